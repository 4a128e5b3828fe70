//! The day generator's state and its building blocks: a burst of work on
//! one chart, the care of a patient over a span of a shift, and the
//! logins, logouts and searches of a shift.
//!
//! Every draw comes from the day's own RNG stream, in call order; the
//! steps of a day call these in a fixed order, so the rows of a day depend
//! only on the world, the plan and `(seed, day)`.

use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::day::Ctx;
use super::profiles::{pick, Profile, ACTIONS, CATS};
use crate::simulate::event::{Action, Category, Event, NO_PATIENT};
use crate::simulate::schedule::Shift;
use crate::simulate::world::{DeptKind, World};

/// A span of work: one user, in one unit, between two times of this day.
#[derive(Debug, Clone, Copy)]
pub(super) struct Work {
    /// The user.
    pub(super) user: u32,
    /// Unit worked in.
    pub(super) unit: u16,
    /// The shift.
    pub(super) shift: Shift,
    /// Start of the whole shift (may be the previous evening).
    pub(super) shift_start: i64,
    /// Start of the part of the shift in this day.
    pub(super) t0: i64,
    /// End of the part of the shift in this day.
    pub(super) t1: i64,
}

/// The day's generator: its RNG, the rows written so far, and the
/// workstation of the user whose work is being generated.
pub(super) struct Gen<'a> {
    /// The shared context.
    pub(super) ctx: &'a Ctx<'a>,
    /// The day's RNG stream.
    pub(super) rng: Xoshiro256PlusPlus,
    /// Local midnight starting the day.
    pub(super) d0: i64,
    /// Local midnight ending the day.
    pub(super) d1: i64,
    /// Rows written so far.
    pub(super) out: Vec<Event>,
    /// Current workstation per user while generating their work.
    pub(super) ws: u32,
}

/// Derives a per-purpose seed.
pub fn mix(seed: u64, a: u64, b: u64) -> u64 {
    let mut z = seed ^ a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl<'a> Gen<'a> {
    /// The world.
    pub(super) fn world(&self) -> &'a World {
        self.ctx.world
    }

    /// Picks the workstation for `user` working in `unit`: their own when
    /// remote, else, unless they stay where they are (`sticky`), their own
    /// in their base unit or one of the unit's.
    pub(super) fn pick_ws(&mut self, user: u32, unit: u16, sticky: f64) {
        let u = &self.world().users[user as usize];
        if u.remote {
            if let Some(w) = u.own_ws {
                self.ws = w;
                return;
            }
        }
        if self.rng.gen_bool(sticky) && self.ws != u32::MAX {
            return;
        }
        let pool = &self.world().ws_pools[unit as usize];
        if u.base_unit == unit && self.rng.gen_bool(0.5) {
            if let Some(w) = u.own_ws {
                self.ws = w;
                return;
            }
        }
        if !pool.is_empty() {
            self.ws = pool[self.rng.gen_range(0..pool.len())];
        }
    }

    /// Adds a row if it falls in the day.
    pub(super) fn push(&mut self, ts: i64, user: u32, patient: u32, unit: u16, action: Action, cat: Category) {
        if ts < self.d0 || ts >= self.d1 {
            return;
        }
        self.out.push(Event {
            ts,
            user,
            patient,
            ws: self.ws,
            dept: unit,
            action,
            cat,
            break_glass: false,
            reason: 0,
            tag: 0,
        });
    }

    /// A burst of activity on one patient's record starting at `t`.
    pub(super) fn burst(&mut self, user: u32, patient: u32, unit: u16, t: i64, prof: &Profile, chart: bool) -> i64 {
        let world = self.world();
        let pat = &world.patients[patient as usize];
        let dep_sens = world.depts[unit as usize].sensitive;
        let mut t = t;
        if self.rng.gen_bool(0.12) {
            let ts = t - self.rng.gen_range(5..40);
            self.push(ts, user, NO_PATIENT, unit, Action::Search, Category::Unspecified);
        }
        // Restricted charts opened from the ED need the emergency override.
        if pat.restricted && world.depts[unit as usize].kind == DeptKind::Emergency && self.rng.gen_bool(0.3) {
            if t >= self.d0 && t < self.d1 {
                self.out.push(Event {
                    ts: t,
                    user,
                    patient,
                    ws: self.ws,
                    dept: unit,
                    action: Action::View,
                    cat: Category::Demographics,
                    break_glass: true,
                    reason: 1 + self.rng.gen_range(0..2),
                    tag: 0,
                });
            }
            t += self.rng.gen_range(5..30);
        }
        let n = self.rng.gen_range(prof.len.0..=prof.len.1);
        for i in 0..n {
            let mut action = ACTIONS[pick(&mut self.rng, &prof.actions)];
            let mut cat = CATS[pick(&mut self.rng, &prof.cats)];
            if chart && i == n - 1 {
                action = Action::Create;
                cat = Category::Notes;
            }
            if matches!(cat, Category::Notes | Category::Results) {
                let s = pat.sensitive;
                if dep_sens != Category::Unspecified
                    && (s == dep_sens || dep_sens == Category::BehavioralHealth)
                    && self.rng.gen_bool(0.6)
                {
                    cat = dep_sens;
                } else if s != Category::Unspecified && self.rng.gen_bool(0.1) {
                    cat = s;
                }
            }
            self.push(t, user, patient, unit, action, cat);
            t += self.rng.gen_range(4..75);
        }
        t
    }

    /// Background noise of a shift: the login, `extra_pairs` logouts and
    /// logins in between, the logout, and searches that open nothing.
    pub(super) fn logins(&mut self, w: &Work, extra_pairs: u32) {
        let u = w.user;
        self.pick_ws(u, w.unit, 0.0);
        let t = w.t0.max(w.shift_start + self.rng.gen_range(0..600));
        if w.t0 == w.shift_start || t > w.t0 {
            self.push(t, u, NO_PATIENT, w.unit, Action::Login, Category::Unspecified);
        }
        for _ in 0..extra_pairs {
            let a = self.rng.gen_range(w.t0..w.t1.max(w.t0 + 1));
            self.push(a, u, NO_PATIENT, w.unit, Action::Logout, Category::Unspecified);
            let b = a + self.rng.gen_range(20..900);
            self.push(b, u, NO_PATIENT, w.unit, Action::Login, Category::Unspecified);
        }
        let end = w.shift_start + w.shift.span().1 - self.rng.gen_range(0..900);
        if end < self.d1 && end >= w.t0 {
            self.push(end, u, NO_PATIENT, w.unit, Action::Logout, Category::Unspecified);
        }
        for _ in 0..self.rng.gen_range(1..4) {
            let a = self.rng.gen_range(w.t0..w.t1.max(w.t0 + 1));
            self.push(a, u, NO_PATIENT, w.unit, Action::Search, Category::Unspecified);
        }
    }

    /// Touches spread over the overlap of `[a, b)` with the work window.
    pub(super) fn care(
        &mut self,
        w: &Work,
        patient: u32,
        a: i64,
        b: i64,
        per_hour: f64,
        prof: &Profile,
        chart_daily: bool,
    ) {
        let (lo, hi) = (a.max(w.t0), b.min(w.t1));
        if hi <= lo {
            return;
        }
        let hours = (hi - lo) as f64 / 3600.0;
        let expected = (hours * per_hour).max(0.6);
        let n = (expected.floor() as u32 + u32::from(self.rng.gen_bool(expected.fract()))).max(1);
        for i in 0..n {
            let t = self.rng.gen_range(lo..hi);
            self.pick_ws(w.user, w.unit, 0.7);
            self.burst(w.user, patient, w.unit, t, prof, chart_daily && i == 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_differ_by_purpose_and_are_stable() {
        assert_eq!(mix(1, 2, 3), mix(1, 2, 3));
        assert_ne!(mix(1, 2, 3), mix(1, 2, 4));
        assert_ne!(mix(1, 2, 3), mix(2, 2, 3));
    }
}
