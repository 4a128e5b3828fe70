//! `low_curiosity`: low-intensity curiosity, the kind that never trips a
//! volume threshold: four to eight unrelated patients (no care, kin or
//! address links), each opened once, during day-time working hours, spread
//! over the weeks of the window. One label row per patient.

use rand::Rng;

use crate::simulate::event::{Action, Category, DAY};
use crate::simulate::planner::{Planner, Rows};

/// The scenario's name in labels.csv.
pub(crate) const NAME: &str = "low_curiosity";

/// Places one incident; `None` when the world has no candidate.
pub(crate) fn place(pl: &mut Planner) -> Option<Rows> {
    let cands = pl.actors(|w, u| !w.users[u as usize].nights);
    for u in cands.into_iter().take(40) {
        let w0 = pl.w0();
        // Shifts that overlap 08:00-18:00 by at least half an hour.
        let mut wins: Vec<(u32, (u16, i64, i64))> = pl
            .work_windows(u)
            .into_iter()
            .filter_map(|(d, (unit, a, b))| {
                let d0 = w0 + d as i64 * DAY;
                let (lo, hi) = (a.max(d0 + 8 * 3600), b.min(d0 + 18 * 3600));
                (hi - lo > 1800).then_some((d, (unit, lo, hi)))
            })
            .collect();
        wins.sort_by_key(|w| w.0);
        let k = pl.rng.gen_range(4..9);
        if wins.len() < 4 {
            continue;
        }
        let ps = pl.unrelated_patients(u, k.min(wins.len()), true);
        if ps.len() < 4 {
            continue;
        }
        let mut rows = Vec::new();
        for (i, &p) in ps.iter().enumerate() {
            // Evenly spread over the user's day shifts.
            let (_, (unit, a, b)) = wins[i * wins.len() / ps.len()];
            let ws = pl.ws_for(u, unit);
            // Done well before the end of the hours.
            let t = pl.rng.gen_range(a..b - 300);
            let n = if pl.rng.gen_bool(0.7) { 1 } else { 2 };
            let (f, l) = pl.peek(u, p, unit, ws, t, n, &[Category::Demographics, Category::Notes], Action::View);
            rows.push((u, Some(p), f, l));
        }
        return Some(rows);
    }
    None
}
