//! The shifts of staff who are not on a care team or a task queue: a
//! clinical pharmacist on a ward, IT staff (many logins, the odd ticket on
//! a current inpatient's record), research coordinators (a handful of
//! their study patients), and everyone else (logins and searches only).

use rand::seq::SliceRandom;
use rand::Rng;

use super::generator::Gen;
use super::profiles::{IT, PHARM, RESEARCH};
use super::today::Today;

/// Work span `wi` of a clinical pharmacist on an inpatient unit.
pub(super) fn unit_pharmacist(g: &mut Gen, t: &Today, wi: usize) {
    let (w, encs) = (t.work[wi], t.ctx.encs);
    g.logins(&w, 1);
    for &e in &t.unit_in[w.unit as usize] {
        let enc = &encs[e as usize];
        g.care(&w, enc.patient, enc.start, enc.end, 0.12, &PHARM, false);
    }
}

/// Work span `wi` of IT staff.
pub(super) fn it(g: &mut Gen, t: &Today, wi: usize) {
    let (w, encs, nd, unit_in) = (t.work[wi], t.ctx.encs, t.ctx.world.depts.len(), &t.unit_in);
    let pairs = g.rng.gen_range(4..12);
    g.logins(&w, pairs);
    // Occasional ticket on a current inpatient's record.
    for _ in 0..g.rng.gen_range(0..3) {
        let list = &unit_in[g.rng.gen_range(0..nd)];
        if let Some(&e) = list.choose(&mut g.rng) {
            let t = g.rng.gen_range(w.t0..w.t1);
            g.burst(w.user, encs[e as usize].patient, w.unit, t, &IT, false);
        }
    }
}

/// Work span `wi` of a research coordinator.
pub(super) fn research(g: &mut Gen, t: &Today, wi: usize) {
    let (w, ctx) = (t.work[wi], t.ctx);
    g.logins(&w, 1);
    if let Some((_, study)) = ctx.plan.studies.iter().find(|(u, _)| *u == w.user) {
        let k = g.rng.gen_range(6..15).min(study.len());
        let picks: Vec<u32> = study.choose_multiple(&mut g.rng, k).copied().collect();
        for p in picks {
            let t = g.rng.gen_range(w.t0..w.t1);
            g.burst(w.user, p, w.unit, t, &RESEARCH, false);
        }
    }
}

/// Work span `wi` of anyone else: logins and searches.
pub(super) fn background(g: &mut Gen, t: &Today, wi: usize) {
    let w = t.work[wi];
    g.logins(&w, 1);
}
