//! An attending's or resident's shift: a look back at a former patient
//! now and then; on a ward, their own patients plus a round-robin share of
//! uncovered ones (residents carry about ten, attendings cover at most
//! about twenty), nocturnists cross-covering neighbouring adult units and
//! consults asked of the department; in the ED, their own and a share of
//! uncovered patients; in a clinic, chart prep, the visit and note signing,
//! chart review before upcoming visits, and the inbox.

use rand::Rng;

use super::generator::Gen;
use super::profiles::{PHYS, RESIDENT};
use super::today::Today;
use crate::simulate::encounters::NO_USER;
use crate::simulate::event::DAY;
use crate::simulate::schedule::Shift;
use crate::simulate::world::{DeptKind, Role};

/// Work span `wi` of an attending or a resident.
pub(super) fn shift(g: &mut Gen, t: &Today, wi: usize) {
    let w = t.work[wi];
    let (ctx, world, encs) = (t.ctx, t.ctx.world, t.ctx.encs);
    let user = &world.users[w.user as usize];
    let kind = world.depts[w.unit as usize].kind;
    let d0 = t.d0;
    let Today { unit_in, ed_today, clinic_today, provider_recent, provider_old, upcoming, teams, .. } = t;
    let team_pos = |fam: u8, wi: usize| t.team_pos(fam, wi);
    let on_duty_in = |u: u32, unit: u16| t.on_duty_in(u, unit);
    g.logins(&w, 1);
    // Looking back at a former patient (a result that came in
    // late, a letter, curiosity about the outcome): legitimate,
    // but no current encounter explains it.
    if let Some(old) = provider_old.get(&w.user) {
        if g.rng.gen_bool(0.25) {
            let e = old[g.rng.gen_range(0..old.len())];
            let t = g.rng.gen_range(w.t0..w.t1);
            g.burst(w.user, encs[e as usize].patient, w.unit, t, &PHYS, false);
        }
    }
    let resident = user.role == Role::Resident;
    let fam = if resident { 2 } else { 1 };
    let (k, n) = team_pos(fam, wi);
    let prof = if resident { &RESIDENT } else { &PHYS };
    let night = matches!(w.shift, Shift::Night12);
    match kind {
        DeptKind::Inpatient => {
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
        DeptKind::Emergency => {
            let mut taken = 0;
            for (j, &e) in ed_today.iter().enumerate() {
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
        _ => {
            // Clinic: chart prep, the visit, note signing, inbox.
            for &e in &clinic_today[w.unit as usize] {
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
            if let Some(list) = upcoming.get(&w.user) {
                for &e in list {
                    if g.rng.gen_bool(0.12) {
                        let t = g.rng.gen_range(w.t0..w.t1);
                        g.burst(w.user, encs[e as usize].patient, w.unit, t, prof, false);
                    }
                }
            }
            if let Some(list) = provider_recent.get(&w.user) {
                for _ in 0..g.rng.gen_range(3..9).min(list.len()) {
                    let e = list[g.rng.gen_range(0..list.len())];
                    let t = g.rng.gen_range(w.t0..w.t1);
                    g.burst(w.user, encs[e as usize].patient, w.unit, t, prof, false);
                }
            }
        }
    }
}
