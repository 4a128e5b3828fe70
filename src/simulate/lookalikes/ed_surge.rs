//! `ed_surge`: on one day in the middle of the window (a bus crash, a
//! heat wave) the emergency department sees far more patients than usual,
//! and everyone working there opens far more charts. Volume rules must
//! compare a user with their peers that day, not only with their own past.

use super::plan::Setup;
use crate::simulate::event::DAY;
use crate::simulate::planner::Rows;
use crate::simulate::schedule::Shift;

/// The look-alike's name in lookalikes.csv.
pub(crate) const NAME: &str = "ed_surge";

/// Reserves everyone whose home or base unit is the ED; one row per ED
/// user on shift there on the surge day.
pub(crate) fn plan(set: &mut Setup) -> Rows {
    let (world, sched, w0) = (&*set.world, set.sched, set.w0);
    let n_users = world.users.len();
    let mut rows = Vec::new();
    if let Some(sd) = set.plan.surge_day {
        let ed = world.dept("ED");
        for u in 0..n_users as u32 {
            let x = &world.users[u as usize];
            if x.home == ed || x.base_unit == ed {
                set.reserved[u as usize] = true;
                if sched.get(sd as i64, u).shift != Shift::Off && sched.get(sd as i64, u).unit == ed {
                    let s = w0 + sd as i64 * DAY;
                    rows.push((u, None, s, s + DAY - 1));
                }
            }
        }
    }
    rows
}
