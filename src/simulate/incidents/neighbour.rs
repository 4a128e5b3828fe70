//! `neighbour`: an employee opens the chart of the nearest patient living
//! within 300 m of their home (not their household, not their surname), on
//! one or two shifts: the neighbour whose ambulance was seen in the street.

use rand::Rng;

use crate::simulate::planner::{Planner, Rows, CLINICAL};

/// The scenario's name in labels.csv.
pub(crate) const NAME: &str = "neighbour";

/// Places one incident; `None` when the world has no candidate.
pub(crate) fn place(pl: &mut Planner) -> Option<Rows> {
    for u in pl.actors(|_, _| true) {
        let h = pl.world.users[u as usize].household;
        let last = pl.world.users[u as usize].last.clone();
        let mut best: Option<(f64, u32)> = None;
        for p in 0..pl.world.patients.len() as u32 {
            let pat = &pl.world.patients[p as usize];
            if pat.household == h || pat.last == last || pat.deceased.is_some() || pl.used_patient[p as usize] {
                continue;
            }
            let d = pl.world.distance_m(h, pat.household);
            if d < 300.0 && best.map(|b| d < b.0).unwrap_or(true) {
                best = Some((d, p));
            }
        }
        let Some((_, p)) = best else { continue };
        if pl.linked(u, p) {
            continue;
        }
        let (a, b) = {
            let v = pl.rng.gen_range(1..3);
            pl.snoop(u, p, v, CLINICAL)
        }?;
        return Some(vec![(u, Some(p), a, b)]);
    }
    None
}
