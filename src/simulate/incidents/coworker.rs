//! `coworker`: a clinician or clerk opens the chart of a colleague who is
//! also a patient, preferably one from their own department, on one or two
//! shifts, with no care link: the classic "what is wrong with her?" look
//! privacy officers find after a colleague's admission.

use rand::Rng;

use crate::simulate::planner::{Planner, Rows, CLINICAL};

/// The scenario's name in labels.csv.
pub(crate) const NAME: &str = "coworker";

/// Places one incident; `None` when the world has no candidate.
pub(crate) fn place(pl: &mut Planner) -> Option<Rows> {
    for u in pl.actors(|_, _| true) {
        let home = pl.world.users[u as usize].home;
        let mut cands: Vec<u32> = (0..pl.world.users.len() as u32)
            .filter(|&v| v != u && pl.world.users[v as usize].patient.is_some())
            .collect();
        // Same department first: the classic case.
        cands.sort_by_key(|&v| pl.world.users[v as usize].home != home);
        for v in cands.into_iter().take(20) {
            let p = pl.world.users[v as usize].patient?;
            if pl.used_patient[p as usize]
                || pl.linked(u, p)
                || pl.world.kin.iter().any(|k| k.user == u && k.patient == p)
            {
                continue;
            }
            let (a, b) = {
                let v = pl.rng.gen_range(1..3);
                pl.snoop(u, p, v, CLINICAL)
            }?;
            return Some(vec![(u, Some(p), a, b)]);
        }
    }
    None
}
