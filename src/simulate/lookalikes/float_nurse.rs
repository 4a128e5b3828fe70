//! `float_nurse`: float-pool nurses work a different unit almost every
//! shift, so they open patients of many departments none of which is
//! their home. "Not my department" must mean the unit they work in that
//! day, not the one on the roster.

use rand::seq::SliceRandom;

use super::plan::Setup;
use crate::simulate::planner::Rows;
use crate::simulate::world::DeptKind;

/// The look-alike's name in lookalikes.csv.
pub(crate) const NAME: &str = "float_nurse";

/// `per` float-pool users, over the whole window.
pub(crate) fn plan(set: &mut Setup) -> Rows {
    let (world, per, w0, w1) = (&*set.world, set.per, set.w0, set.w1);
    let n_users = world.users.len();
    let float = world.depts_of(DeptKind::FloatPool);
    let mut floats: Vec<u32> = (0..n_users as u32).filter(|&u| float.contains(&world.users[u as usize].home)).collect();
    floats.shuffle(set.rng);
    let mut rows = Vec::new();
    for &u in floats.iter().take(per) {
        set.reserved[u as usize] = true;
        rows.push((u, None, w0, w1 - 1));
    }
    rows
}
