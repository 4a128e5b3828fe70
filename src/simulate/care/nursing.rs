//! A nurse's or medical assistant's shift: the team splits the unit's
//! patients round-robin (at most twice the unit's ratio each) and charts
//! them; now and then a look at a colleague's patient; an ICU nurse
//! answers a rapid-response call elsewhere; in the ED the team splits the
//! patients present; in a clinic, rooming before and after each visit,
//! phone triage and refills for recent patients.

use rand::seq::SliceRandom;
use rand::Rng;

use super::generator::Gen;
use super::profiles::{MA, NURSE};
use super::today::Today;
use crate::simulate::world::{DeptKind, Role};

/// Work span `wi` of a nurse or medical assistant.
pub(super) fn shift(g: &mut Gen, t: &Today, wi: usize) {
    let w = t.work[wi];
    let (ctx, world, encs) = (t.ctx, t.ctx.world, t.ctx.encs);
    let user = &world.users[w.user as usize];
    let kind = world.depts[w.unit as usize].kind;
    let nd = world.depts.len();
    let Today { unit_in, ed_today, clinic_today, clinic_recent, .. } = t;
    let team_pos = |fam: u8, wi: usize| t.team_pos(fam, wi);
    g.logins(&w, 2);
    let (k, n) = team_pos(0, wi);
    let (prof, rate) = if user.role == Role::Nurse { (&NURSE, 0.8) } else { (&MA, 0.0) };
    if world.depts[w.unit as usize].id == "ICU" && user.role == Role::Nurse && g.rng.gen_bool(0.15) {
        // Rapid-response call on another unit, charted.
        let other = (g.rng.gen_range(0..nd)) as u16;
        if let Some(&e) = unit_in[other as usize].choose(&mut g.rng) {
            let t = g.rng.gen_range(w.t0..w.t1);
            g.burst(w.user, encs[e as usize].patient, w.unit, t, &NURSE, true);
        }
    }
    match kind {
        DeptKind::Inpatient => {
            let list = &unit_in[w.unit as usize];
            // A nurse carries at most twice the unit's ratio.
            let cap = (world.depts[w.unit as usize].ratio * 2.0) as usize * n;
            for (j, &e) in list.iter().enumerate() {
                let enc = &encs[e as usize];
                let forced = ctx.plan.forced.get(w.user as usize).map(|f| f.contains(&enc.patient)).unwrap_or(false);
                if (j % n == k && j < cap) || forced {
                    g.care(&w, enc.patient, enc.start, enc.end, rate, prof, true);
                } else if g.rng.gen_bool(0.06) {
                    g.care(&w, enc.patient, enc.start, enc.end, 0.0, prof, false);
                }
            }
        }
        DeptKind::Emergency => {
            let mut taken = 0;
            for (j, &e) in ed_today.iter().enumerate() {
                let enc = &encs[e as usize];
                let here = enc.start < w.t1 && enc.end > w.t0;
                if here && j % n == k && taken < 16 {
                    taken += 1;
                    g.care(&w, enc.patient, enc.start, enc.end, 1.3, prof, true);
                }
            }
        }
        _ => {
            for (j, &e) in clinic_today[w.unit as usize].iter().enumerate() {
                let enc = &encs[e as usize];
                if j % n == k || g.rng.gen_bool(0.1) {
                    let t = enc.start - g.rng.gen_range(0..900);
                    g.pick_ws(w.user, w.unit, 0.8);
                    g.burst(w.user, enc.patient, w.unit, t, prof, false);
                    if g.rng.gen_bool(0.6) {
                        let t2 = enc.end + g.rng.gen_range(0..1800);
                        g.burst(w.user, enc.patient, w.unit, t2, prof, false);
                    }
                }
            }
            // Phone triage and refills for recent patients.
            let recent = &clinic_recent[w.unit as usize];
            if !recent.is_empty() {
                for _ in 0..g.rng.gen_range(2..7) {
                    let e = recent[g.rng.gen_range(0..recent.len())];
                    let t = g.rng.gen_range(w.t0..w.t1);
                    g.burst(w.user, encs[e as usize].patient, w.unit, t, prof, false);
                }
            }
        }
    }
}
