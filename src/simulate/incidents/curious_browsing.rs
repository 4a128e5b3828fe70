//! `curious_browsing`: an employee opens five to ten unrelated patients
//! (no care, kin or address link) on a handful of shifts, a few views each
//! of demographics, notes and results: idle curiosity spread over the
//! record system, one label row per patient.

use rand::Rng;

use crate::simulate::event::{Action, Category};
use crate::simulate::planner::{Planner, Rows};

/// The scenario's name in labels.csv.
pub(crate) const NAME: &str = "curious_browsing";

/// Places one incident; `None` when the world has no candidate.
pub(crate) fn place(pl: &mut Planner) -> Option<Rows> {
    for u in pl.actors(|_, _| true) {
        let k = pl.rng.gen_range(5..11);
        let ps = pl.unrelated_patients(u, k, true);
        if ps.len() < 5 {
            continue;
        }
        let wins = pl.work_windows(u);
        if wins.is_empty() {
            continue;
        }
        let mut rows = Vec::new();
        for (i, p) in ps.into_iter().enumerate() {
            let (_, (unit, a, b)) = wins[i % wins.len().min(4)];
            let ws = pl.ws_for(u, unit);
            let t = pl.rng.gen_range(a..b);
            let n = pl.rng.gen_range(1..5);
            let (f, l) = pl.peek(
                u,
                p,
                unit,
                ws,
                t,
                n,
                &[Category::Demographics, Category::Notes, Category::Results],
                Action::View,
            );
            rows.push((u, Some(p), f, l));
        }
        return Some(rows);
    }
    None
}
