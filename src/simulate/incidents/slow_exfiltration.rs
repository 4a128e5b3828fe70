//! `slow_exfiltration`: a billing, registration, HIM or clinic clerk
//! exports or prints a few demographic and billing pages of unrelated
//! patients every working day for one to two weeks, from their own desk
//! during their own shifts: identity theft at a pace that never trips a
//! daily volume threshold. The label is about the user as a whole.

use rand::seq::SliceRandom;
use rand::Rng;

use crate::simulate::event::{Action, Category};
use crate::simulate::planner::{Planner, Rows};
use crate::simulate::world::Role;

/// The scenario's name in labels.csv.
pub(crate) const NAME: &str = "slow_exfiltration";

/// Places one incident; `None` when the world has no candidate.
pub(crate) fn place(pl: &mut Planner) -> Option<Rows> {
    let mut cands: Vec<u32> = (0..pl.world.users.len() as u32)
        .filter(|&u| {
            !pl.used[u as usize]
                && matches!(
                    pl.world.users[u as usize].role,
                    Role::Billing | Role::Registration | Role::HimCoder | Role::MedicalAssistant
                )
                && pl.world.users[u as usize].termination_date.is_none()
                && pl.world.users[u as usize].hire_date <= pl.world.start
        })
        .collect();
    cands.shuffle(pl.rng);
    for u in cands {
        let mut wins = pl.work_windows(u);
        wins.sort_by_key(|w| w.0);
        if wins.len() < 4 {
            continue;
        }
        let span = wins.len().min(pl.rng.gen_range(5..11));
        let start_i = pl.rng.gen_range(0..=wins.len() - span);
        let per_day = pl.rng.gen_range(4..10);
        let ps = pl.unrelated_patients(u, per_day * span, false);
        if ps.len() < span * 2 {
            continue;
        }
        let (mut lo, mut hi) = (i64::MAX, i64::MIN);
        for (i, p) in ps.into_iter().enumerate() {
            let (_, (unit, a, b)) = wins[start_i + i % span];
            let ws = pl.ws_for(u, unit);
            let t = pl.rng.gen_range(a..b);
            let last = if pl.rng.gen_bool(0.5) { Action::Export } else { Action::Print };
            let (f, l) = pl.peek(
                u,
                p,
                unit,
                ws,
                t,
                3,
                &[Category::Demographics, Category::Billing, Category::Demographics],
                last,
            );
            lo = lo.min(f);
            hi = hi.max(l);
        }
        return Some(vec![(u, None, lo, hi)]);
    }
    None
}
