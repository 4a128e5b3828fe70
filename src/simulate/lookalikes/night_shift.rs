//! `night_shift`: nurses who work permanent nights chart at 03:00 every
//! week. Night work is normal for them; a detector that treats off-hours
//! access as suspect must learn each user's own hours.

use super::plan::Setup;
use crate::simulate::planner::Rows;
use crate::simulate::schedule::Shift;
use crate::simulate::world::Role;

/// The look-alike's name in lookalikes.csv.
pub(crate) const NAME: &str = "night_shift";

/// The `per` nurses with the most night shifts, over the whole window.
pub(crate) fn plan(set: &mut Setup) -> Rows {
    let (world, sched, per, w0, w1) = (&*set.world, set.sched, set.per, set.w0, set.w1);
    let n_users = world.users.len();
    let mut nights: Vec<(i64, u32)> = (0..n_users as u32)
        .filter(|&u| world.users[u as usize].role == Role::Nurse && world.users[u as usize].nights)
        .map(|u| (-((0..world.days as i64).filter(|&d| sched.get(d, u).shift == Shift::Night12).count() as i64), u))
        .collect();
    nights.sort();
    let mut rows = Vec::new();
    for &(_, u) in nights.iter().take(per) {
        set.reserved[u as usize] = true;
        rows.push((u, None, w0, w1 - 1));
    }
    rows
}
