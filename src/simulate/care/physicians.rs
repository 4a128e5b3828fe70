//! An attending's or resident's shift: a look back at a former patient
//! now and then; on a ward, their own patients plus a round-robin share of
//! uncovered ones (residents carry about ten, attendings cover at most
//! about twenty), nocturnists cross-covering neighbouring adult units and
//! consults asked of the department; in the ED, their own and a share of
//! uncovered patients; in a clinic, chart prep, the visit and note signing,
//! chart review before upcoming visits, and the inbox.

use rand::Rng;

use super::generator::{Gen, Work};
use super::profiles::{Profile, PHYS, RESIDENT};
use super::today::Today;
use crate::simulate::encounters::NO_USER;
use crate::simulate::event::DAY;
use crate::simulate::schedule::Shift;
use crate::simulate::world::{DeptKind, Role};

/// An attending or resident at work.
#[derive(Clone, Copy)]
struct OnShift {
    /// The work span.
    w: Work,
    /// Its index in `Today::work`.
    wi: usize,
    /// A resident rather than an attending.
    resident: bool,
    /// A night shift.
    night: bool,
    /// Their activity profile.
    prof: &'static Profile,
    /// Their place in the team.
    k: usize,
    /// The team's size.
    n: usize,
}

/// Work span `wi` of an attending or a resident.
pub(super) fn shift(g: &mut Gen, t: &Today, wi: usize) {
    let w = t.work[wi];
    let (world, encs) = (t.ctx.world, t.ctx.encs);
    let user = &world.users[w.user as usize];
    g.logins(&w, 1);
    // Looking back at a former patient (a result that came in
    // late, a letter, curiosity about the outcome): legitimate,
    // but no current encounter explains it.
    if let Some(old) = t.provider_old.get(&w.user) {
        if g.rng.gen_bool(0.25) {
            let e = old[g.rng.gen_range(0..old.len())];
            let t = g.rng.gen_range(w.t0..w.t1);
            g.burst(w.user, encs[e as usize].patient, w.unit, t, &PHYS, false);
        }
    }
    let resident = user.role == Role::Resident;
    let fam = if resident { 2 } else { 1 };
    let (k, n) = t.team_pos(fam, wi);
    let prof = if resident { &RESIDENT } else { &PHYS };
    let night = matches!(w.shift, Shift::Night12);
    let me = OnShift { w, wi, resident, night, prof, k, n };
    match world.depts[w.unit as usize].kind {
        DeptKind::Inpatient => ward(g, t, &me),
        DeptKind::Emergency => emergency(g, t, &me),
        _ => clinic(g, t, &me),
    }
}

/// On a ward: their own patients and a round-robin share of uncovered
/// ones, nocturnists cross-covering neighbouring adult units, and the
/// consults asked of the department.
fn ward(g: &mut Gen, t: &Today, me: &OnShift) {
    let OnShift { w, wi, resident, night, prof, k, n } = *me;
    let (ctx, world, encs, d0) = (t.ctx, t.ctx.world, t.ctx.encs, t.d0);
    let Today { unit_in, teams, .. } = t;
    let on_duty_in = |u: u32, unit: u16| t.on_duty_in(u, unit);
    // Residents carry about ten patients, attendings
    // cover at most about twenty besides their own.
    let cap = if resident {
        10
    } else if night {
        40
    } else {
        20
    };
    let mut taken = 0;
    for (j, &e) in unit_in[w.unit as usize].iter().enumerate() {
        let enc = &encs[e as usize];
        let mine = enc.provider == w.user
            || ctx.plan.forced.get(w.user as usize).map(|f| f.contains(&enc.patient)).unwrap_or(false);
        let uncovered = enc.provider == NO_USER || !on_duty_in(enc.provider, w.unit);
        let rate = if night {
            0.12
        } else if resident {
            0.45
        } else {
            0.3
        };
        let share = ((uncovered && !resident) || resident) && j % n == k && taken < cap;
        if share {
            taken += 1;
        }
        if mine || share {
            g.care(&w, enc.patient, enc.start, enc.end, rate, prof, !night);
        } else if night && g.rng.gen_bool(0.2) {
            g.care(&w, enc.patient, enc.start, enc.end, 0.0, prof, false);
        }
    }
    // Nocturnists cross-cover neighbouring adult units.
    if night && !resident {
        for id in ["SURG", "CARD", "NEURO", "ONC", "ORTHO"] {
            let other = world.dept(id);
            if other == w.unit {
                continue;
            }
            for &e in &unit_in[other as usize] {
                if g.rng.gen_bool(0.04) {
                    let enc = &encs[e as usize];
                    g.care(&w, enc.patient, enc.start, enc.end, 0.0, prof, false);
                }
            }
        }
    }
    // Consults asked of this department.
    if !resident && !night {
        let docs: Vec<u32> = teams.get(&(1, w.unit, w.shift_start)).cloned().unwrap_or_default();
        for list in unit_in.iter() {
            for &e in list {
                let enc = &encs[e as usize];
                if enc.consult != w.unit || enc.start < d0 - 2 * DAY || docs.is_empty() {
                    continue;
                }
                if docs[e as usize % docs.len()] as usize != wi {
                    continue;
                }
                let at_unit = if g.rng.gen_bool(0.5) { enc.dept } else { w.unit };
                let t = g.rng.gen_range(w.t0..w.t1).max(enc.start);
                let saved = g.ws;
                g.pick_ws(w.user, at_unit, 0.0);
                g.burst(w.user, enc.patient, at_unit, t, prof, true);
                g.ws = saved;
            }
        }
    }
}

/// In the ED: their own patients and a share of the uncovered ones present.
fn emergency(g: &mut Gen, t: &Today, me: &OnShift) {
    let OnShift { w, resident, prof, k, n, .. } = *me;
    let encs = t.ctx.encs;
    let on_duty_in = |u: u32, unit: u16| t.on_duty_in(u, unit);
    let mut taken = 0;
    for (j, &e) in t.ed_today.iter().enumerate() {
        let enc = &encs[e as usize];
        let here = enc.start < w.t1 && enc.end > w.t0;
        if !here {
            continue;
        }
        let uncovered = enc.provider == NO_USER || !on_duty_in(enc.provider, w.unit);
        let share = ((uncovered && j % n == k) || (resident && j % (n * 2) == k)) && taken < 14;
        if share {
            taken += 1;
        }
        if enc.provider == w.user || share {
            g.care(&w, enc.patient, enc.start, enc.end, 0.6, prof, true);
        }
    }
}

/// In a clinic: chart prep, the visit, note signing, chart review before
/// upcoming visits, and the inbox of recent patients.
fn clinic(g: &mut Gen, t: &Today, me: &OnShift) {
    let OnShift { w, resident, prof, .. } = *me;
    let encs = t.ctx.encs;
    // Clinic: chart prep, the visit, note signing, inbox.
    for &e in &t.clinic_today[w.unit as usize] {
        let enc = &encs[e as usize];
        if enc.provider != w.user && !(resident && e as usize % 4 == 0) {
            continue;
        }
        g.pick_ws(w.user, w.unit, 0.9);
        let prep = (enc.start - g.rng.gen_range(600..5400)).max(w.t0);
        g.burst(w.user, enc.patient, w.unit, prep, prof, false);
        let visit = enc.start + g.rng.gen_range(60..600);
        g.burst(w.user, enc.patient, w.unit, visit, prof, false);
        let sign = enc.end + g.rng.gen_range(0..7200);
        g.burst(w.user, enc.patient, w.unit, sign, prof, true);
    }
    if let Some(list) = t.upcoming.get(&w.user) {
        for &e in list {
            if g.rng.gen_bool(0.12) {
                let t = g.rng.gen_range(w.t0..w.t1);
                g.burst(w.user, encs[e as usize].patient, w.unit, t, prof, false);
            }
        }
    }
    if let Some(list) = t.provider_recent.get(&w.user) {
        for _ in 0..g.rng.gen_range(3..9).min(list.len()) {
            let e = list[g.rng.gen_range(0..list.len())];
            let t = g.rng.gen_range(w.t0..w.t1);
            g.burst(w.user, encs[e as usize].patient, w.unit, t, prof, false);
        }
    }
}
