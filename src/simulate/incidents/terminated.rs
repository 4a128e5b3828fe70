//! `terminated`: an employee whose employment ended keeps using the
//! account on the evenings after their termination date, from their old
//! unit's workstation, opening and sometimes printing six to fifteen
//! unrelated charts: the account nobody disabled. The label is about the
//! user as a whole (empty patient).

use rand::seq::SliceRandom;
use rand::Rng;

use crate::simulate::event::{day_start, Action, DAY};
use crate::simulate::planner::{Planner, Rows, CLINICAL};

/// The scenario's name in labels.csv.
pub(crate) const NAME: &str = "terminated";

/// Places one incident; `None` when the world has no candidate.
pub(crate) fn place(pl: &mut Planner) -> Option<Rows> {
    let w0 = pl.w0();
    let days = pl.world.days as i64;
    let mut cands: Vec<u32> = (0..pl.world.users.len() as u32)
        .filter(|&u| {
            let x = &pl.world.users[u as usize];
            !pl.used[u as usize]
                && x.termination_date.map(|t| {
                    let d = (day_start(t) - w0) / DAY;
                    d >= 0 && d + 2 < days
                }) == Some(true)
        })
        .collect();
    cands.shuffle(pl.rng);
    let u = *cands.first()?;
    let term = day_start(pl.world.users[u as usize].termination_date?);
    let unit = pl.world.users[u as usize].base_unit;
    let ws = pl.ws_for(u, unit);
    let k = pl.rng.gen_range(6..16);
    let ps = pl.unrelated_patients(u, k, false);
    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
    let n_days = pl.rng.gen_range(1..4).min((w0 + days * DAY - term) / DAY - 1).max(1);
    for (i, p) in ps.into_iter().enumerate() {
        let d = 1 + (i as i64 % n_days);
        let t = term + d * DAY + pl.rng.gen_range(17 * 3600..23 * 3600);
        let last = if pl.rng.gen_bool(0.3) { Action::Print } else { Action::View };
        let n = pl.rng.gen_range(2..6);
        let (f, l) = pl.peek(u, p, unit, ws, t, n, CLINICAL, last);
        lo = lo.min(f);
        hi = hi.max(l);
    }
    (lo <= hi).then(|| vec![(u, None, lo, hi)])
}
