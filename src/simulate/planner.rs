//! The planner that places incidents and real-world look-alikes in the
//! world: who may act, when they work, which patients nothing links to
//! them, and the rows (a search, a few views) of one look at a chart.
//!
//! Invariants: every row it plans falls in one of the actor's scheduled
//! shifts unless a scenario asks otherwise; all randomness comes from the
//! one RNG stream handed in, in call order, so a scenario draws the same
//! numbers wherever its code lives.

use rand::seq::SliceRandom;
use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::encounters::Encounter;
use super::event::{day_start, Action, Category, Event, DAY};
use super::schedule::{Schedule, Shift};
use super::world::{DeptKind, Role, World};

/// (user, patient or `None` for the user as a whole, first access, last
/// access) per row a scenario places.
pub(super) type Rows = Vec<(u32, Option<u32>, i64, i64)>;

/// The planner's state: the world, who and what is taken, and the rows
/// planned so far.
pub(super) struct Planner<'a> {
    pub(super) world: &'a mut World,
    pub(super) encs: &'a [Encounter],
    /// Encounter indices per patient (all encounters, exported or not).
    pub(super) by_patient: &'a [Vec<u32>],
    pub(super) sched: &'a Schedule,
    pub(super) rng: &'a mut Xoshiro256PlusPlus,
    /// Users that may not act (look-alikes, earlier incidents).
    pub(super) used: Vec<bool>,
    /// Patients already the target of an incident.
    pub(super) used_patient: Vec<bool>,
    /// Rows per day.
    pub(super) extra: Vec<Vec<Event>>,
    /// Scripted pace: no searches, seconds between rows.
    pub(super) fast: bool,
    /// Users that acted in an incident (clean or real so far).
    pub(super) acted: Vec<bool>,
    /// Research coordinators and their study lists.
    pub(super) studies: &'a [(u32, Vec<u32>)],
}

/// What the planners read of the world besides the world itself.
#[derive(Clone, Copy)]
pub(crate) struct Setting<'a> {
    /// Encounters, sorted by start.
    pub(crate) encs: &'a [Encounter],
    /// Encounter indices per patient (all encounters, exported or not).
    pub(crate) by_patient: &'a [Vec<u32>],
    /// The schedule.
    pub(crate) sched: &'a Schedule,
    /// Research coordinators and their study lists.
    pub(crate) studies: &'a [(u32, Vec<u32>)],
}

/// A snooper's working window on a day: unit, start, end (local seconds).
pub(super) type Window = (u16, i64, i64);

impl<'a> Planner<'a> {
    /// A planner with nobody used but `used`, nobody acted and no patient
    /// taken.
    pub(super) fn new(
        rng: &'a mut Xoshiro256PlusPlus,
        world: &'a mut World,
        at: Setting<'a>,
        used: Vec<bool>,
    ) -> Planner<'a> {
        let days = world.days as usize;
        Planner {
            acted: vec![false; world.users.len()],
            studies: at.studies,
            used,
            used_patient: vec![false; world.patients.len()],
            world,
            encs: at.encs,
            by_patient: at.by_patient,
            sched: at.sched,
            rng,
            extra: vec![Vec::new(); days],
            fast: false,
        }
    }
}

impl Planner<'_> {
    /// Local midnight of the first simulated day.
    pub(super) fn w0(&self) -> i64 {
        day_start(self.world.start)
    }

    /// Days (in random order) on which `u` works a shift that starts that
    /// day, from the first quarter of the window on.
    pub(super) fn work_windows(&mut self, u: u32) -> Vec<(u32, Window)> {
        let days = self.world.days as i64;
        let from = (days / 4).max(1).min(days - 1);
        let mut out = self.shift_windows(u, from);
        out.shuffle(self.rng);
        out
    }

    /// The working part of each shift of `u` that starts on day `from` or
    /// later (a quarter of an hour in from either end, the part before
    /// midnight), in day order.
    pub(super) fn shift_windows(&self, u: u32, from: i64) -> Vec<(u32, Window)> {
        let days = self.world.days as i64;
        let mut out = Vec::new();
        for d in from.max(0)..days {
            let s = self.sched.get(d, u);
            if s.shift == Shift::Off {
                continue;
            }
            let (st, len) = s.shift.span();
            let d0 = self.w0() + d * DAY;
            let (a, b) = (d0 + st, (d0 + st + len).min(d0 + DAY));
            if b - a > 3600 {
                out.push((d as u32, (s.unit, a + 900, b - 900)));
            }
        }
        out
    }

    /// Whether care could explain `u` opening `p`: the user provided one of
    /// the patient's encounters, or one happened in a unit the user works in.
    pub(super) fn linked(&self, u: u32, p: u32) -> bool {
        let user = &self.world.users[u as usize];
        let mut units = vec![user.home, user.base_unit];
        for d in -1..self.world.days as i64 {
            let s = self.sched.get(d, u);
            if s.shift != Shift::Off && !units.contains(&s.unit) {
                units.push(s.unit);
            }
        }
        // Service roles touch every inpatient and ED patient.
        let service = matches!(
            user.role,
            Role::Pharmacist
                | Role::LabTech
                | Role::RadiologyTech
                | Role::CaseManager
                | Role::HimCoder
                | Role::Billing
                | Role::Registration
        );
        self.by_patient[p as usize].iter().any(|&e| {
            let e = &self.encs[e as usize];
            e.provider == u || units.contains(&e.dept) || (service && e.end > self.w0() - 45 * DAY)
        })
    }

    /// Clinical and front-desk staff employed through the whole window.
    pub(super) fn is_actor_role(&self, u: u32) -> bool {
        let x = &self.world.users[u as usize];
        matches!(x.role, Role::Nurse | Role::Physician | Role::Resident | Role::Registration | Role::MedicalAssistant)
            && self.world.depts[x.home as usize].kind != DeptKind::FloatPool
            && x.termination_date.is_none()
            && x.hire_date <= self.world.start
    }

    /// Unused actors passing `filter`, in random order.
    pub(super) fn actors(&mut self, filter: impl Fn(&World, u32) -> bool) -> Vec<u32> {
        let mut v: Vec<u32> = (0..self.world.users.len() as u32)
            .filter(|&u| !self.used[u as usize] && self.is_actor_role(u) && filter(self.world, u))
            .collect();
        v.shuffle(self.rng);
        v
    }

    /// The user's own workstation in their base unit, else one of `unit`'s.
    pub(super) fn ws_for(&mut self, u: u32, unit: u16) -> u32 {
        let user = &self.world.users[u as usize];
        if user.base_unit == unit {
            if let Some(w) = user.own_ws {
                return w;
            }
        }
        let pool = &self.world.ws_pools[unit as usize];
        pool.choose(self.rng).copied().unwrap_or(0)
    }

    /// Adds a row to its day; returns its time.
    pub(super) fn emit(&mut self, ev: Event) -> i64 {
        let day = (ev.ts - self.w0()).div_euclid(DAY);
        if day >= 0 && (day as usize) < self.extra.len() {
            self.extra[day as usize].push(ev);
        }
        ev.ts
    }

    /// Adds one care row (tag 0): legitimate work planned with the
    /// incident planner's helpers.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn care_row(&mut self, ts: i64, u: u32, p: u32, ws: u32, unit: u16, action: Action, cat: Category) {
        self.emit(Event {
            ts,
            user: u,
            patient: p,
            ws,
            dept: unit,
            action,
            cat,
            break_glass: false,
            reason: 0,
            tag: 0,
        });
    }

    /// A short look at one record: a search, then `n` views of `cats`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn peek(
        &mut self,
        u: u32,
        p: u32,
        unit: u16,
        ws: u32,
        t: i64,
        n: u32,
        cats: &[Category],
        action_last: Action,
    ) -> (i64, i64) {
        let mut t = t;
        if !self.fast && self.rng.gen_bool(0.7) {
            self.emit(Event {
                ts: t,
                user: u,
                patient: u32::MAX,
                ws,
                dept: unit,
                action: Action::Search,
                cat: Category::Unspecified,
                break_glass: false,
                reason: 0,
                tag: 1,
            });
            t += self.rng.gen_range(5..40);
        }
        let first = t;
        for i in 0..n {
            let cat = cats[self.rng.gen_range(0..cats.len())];
            let action = if i == n - 1 { action_last } else { Action::View };
            self.emit(Event {
                ts: t,
                user: u,
                patient: p,
                ws,
                dept: unit,
                action,
                cat,
                break_glass: false,
                reason: 0,
                tag: 1,
            });
            t += if self.fast { self.rng.gen_range(2..12) } else { self.rng.gen_range(6..90) };
        }
        (first, t)
    }

    /// Snooping on one patient over `visits` separate moments on working days.
    pub(super) fn snoop(&mut self, u: u32, p: u32, visits: usize, cats: &[Category]) -> Option<(i64, i64)> {
        let wins = self.work_windows(u);
        if wins.is_empty() {
            return None;
        }
        let (mut lo, mut hi) = (i64::MAX, i64::MIN);
        for (_, (unit, a, b)) in wins.into_iter().take(visits) {
            let ws = self.ws_for(u, unit);
            let t = self.rng.gen_range(a..b);
            let n = self.rng.gen_range(2..7);
            let (f, l) = self.peek(u, p, unit, ws, t, n, cats, Action::View);
            lo = lo.min(f);
            hi = hi.max(l);
        }
        Some((lo, hi))
    }

    /// Up to `k` untaken patients that neither the user's own record,
    /// kin nor care ([`Self::linked`]) connects to the user.
    pub(super) fn unrelated_patients(&mut self, u: u32, k: usize, alive_only: bool) -> Vec<u32> {
        let mut out = Vec::new();
        let n = self.world.patients.len() as u32;
        let mut tries = 0;
        while out.len() < k && tries < k * 50 {
            tries += 1;
            let p = self.rng.gen_range(0..n);
            let pat = &self.world.patients[p as usize];
            if (alive_only && pat.deceased.is_some()) || self.used_patient[p as usize] || out.contains(&p) {
                continue;
            }
            if self.world.users[u as usize].patient == Some(p)
                || self.world.kin.iter().any(|x| x.user == u && x.patient == p)
            {
                continue;
            }
            if self.linked(u, p) {
                continue;
            }
            out.push(p);
        }
        out
    }

    /// Employed from before the window to its end.
    pub(super) fn employed(&self, u: u32) -> bool {
        let x = &self.world.users[u as usize];
        x.termination_date.is_none() && x.hire_date <= self.world.start
    }

    /// The user's own record or a relative's or friend's: other scenarios.
    pub(super) fn own_or_kin(&self, u: u32, p: u32) -> bool {
        self.world.users[u as usize].patient == Some(p) || self.world.kin.iter().any(|k| k.user == u && k.patient == p)
    }

    /// Units the user works in: home, base and every scheduled unit.
    pub(super) fn units_of(&self, u: u32) -> Vec<u16> {
        let x = &self.world.users[u as usize];
        let mut units = vec![x.home, x.base_unit];
        for d in -1..self.world.days as i64 {
            let s = self.sched.get(d, u);
            if s.shift != Shift::Off && !units.contains(&s.unit) {
                units.push(s.unit);
            }
        }
        units
    }

    /// One or two looks at `p` by `u`, each a few views of `cats` at a
    /// random time within one of the shift windows `fits` (unit, from, to);
    /// the first and last access.
    pub(super) fn look_on_shifts(&mut self, u: u32, p: u32, fits: &[(u16, i64, i64)], cats: &[Category]) -> (i64, i64) {
        let visits = self.rng.gen_range(1..3).min(fits.len());
        let (mut lo, mut hi) = (i64::MAX, i64::MIN);
        for &(unit, a, b) in fits.iter().take(visits) {
            let ws = self.ws_for(u, unit);
            let t = self.rng.gen_range(a..b);
            let n = self.rng.gen_range(2..5);
            let (f, l) = self.peek(u, p, unit, ws, t, n, cats, Action::View);
            lo = lo.min(f);
            hi = hi.max(l);
        }
        (lo, hi)
    }
}

/// Categories a snooper reads in a clinical chart.
pub(super) const CLINICAL: &[Category] =
    &[Category::Demographics, Category::Notes, Category::Results, Category::Medications, Category::Imaging];
