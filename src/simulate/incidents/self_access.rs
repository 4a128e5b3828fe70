//! `self`: an employee opens their own chart (results, notes, medications,
//! imaging) from work on one to three shifts, with no care of their own
//! that explains it. Real audit logs show this more than any other
//! snooping: staff checking their own results before the clinician calls.

use rand::Rng;

use crate::simulate::event::Category;
use crate::simulate::planner::{Planner, Rows};

/// The scenario's name in labels.csv.
pub(crate) const NAME: &str = "self";

/// Places one incident; `None` when the world has no candidate.
pub(crate) fn place(pl: &mut Planner) -> Option<Rows> {
    for u in pl.actors(|w, u| w.users[u as usize].patient.is_some()) {
        let p = pl.world.users[u as usize].patient?;
        if pl.linked(u, p) {
            continue;
        }
        let (a, b) = {
            let v = pl.rng.gen_range(1..4);
            pl.snoop(u, p, v, &[Category::Results, Category::Notes, Category::Medications, Category::Imaging])
        }?;
        return Some(vec![(u, Some(p), a, b)]);
    }
    None
}
