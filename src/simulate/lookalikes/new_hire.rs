//! `new_hire`: someone hired during the window has no history: every
//! chart, every hour and every workstation is new for them. Baselines built
//! from a user's own past must not flag a first week.

use super::plan::Setup;
use crate::simulate::event::day_start;
use crate::simulate::planner::Rows;

/// The look-alike's name in lookalikes.csv.
pub(crate) const NAME: &str = "new_hire";

/// Every user hired after the first day (and not terminated), from the
/// hire date to the end of the window.
pub(crate) fn plan(set: &mut Setup) -> Rows {
    let (world, w1) = (&*set.world, set.w1);
    let mut rows = Vec::new();
    for u in 0..world.users.len() as u32 {
        let x = &world.users[u as usize];
        if x.hire_date > world.start && x.termination_date.is_none() {
            set.reserved[u as usize] = true;
            let s = day_start(x.hire_date);
            rows.push((u, None, s, w1 - 1));
        }
    }
    rows
}
