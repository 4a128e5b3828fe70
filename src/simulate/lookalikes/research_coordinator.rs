//! `research_coordinator`: a research coordinator opens the charts of the
//! patients on their study list (oncology and cardiology patients, some
//! with no current encounter) day after day, with no care role at all.
//! Planned here (the study lists); the rows are written by the day
//! generator, and the lookalikes.csv rows come from what it saw.

use rand::seq::SliceRandom;
use rand::Rng;

use super::plan::Setup;
use crate::simulate::planner::Rows;
use crate::simulate::world::Role;

/// The look-alike's name in lookalikes.csv.
pub(crate) const NAME: &str = "research_coordinator";

/// Gives every research coordinator a study list of 25 to 59 living
/// oncology and cardiology patients.
pub(crate) fn plan(set: &mut Setup) -> Rows {
    let (rng, world, encs) = (&mut *set.rng, &*set.world, &*set.encs);
    let n_users = world.users.len();
    let study_depts: Vec<u16> = ["ONC", "ONCC", "CARD", "CARDC"].iter().map(|d| world.dept(d)).collect();
    let mut pool: Vec<u32> = encs.iter().filter(|e| study_depts.contains(&e.dept)).map(|e| e.patient).collect();
    pool.sort_unstable();
    pool.dedup();
    pool.retain(|&p| world.patients[p as usize].deceased.is_none());
    for u in 0..n_users as u32 {
        if world.users[u as usize].role != Role::Research || pool.is_empty() {
            continue;
        }
        let k = rng.gen_range(25..60).min(pool.len());
        let mut study: Vec<u32> = pool.choose_multiple(rng, k).copied().collect();
        study.sort_unstable();
        set.plan.studies.push((u, study));
        set.reserved[u as usize] = true;
    }
    Vec::new()
}
