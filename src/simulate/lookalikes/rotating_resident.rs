//! `rotating_resident`: residents rotate through units and services every
//! few weeks, so their patients, colleagues and departments change within
//! the window. Peer-group and department rules must follow the rotation.

use rand::seq::SliceRandom;

use super::plan::Setup;
use crate::simulate::planner::Rows;
use crate::simulate::world::Role;

/// The look-alike's name in lookalikes.csv.
pub(crate) const NAME: &str = "rotating_resident";

/// `per` residents, over the whole window.
pub(crate) fn plan(set: &mut Setup) -> Rows {
    let (world, per, w0, w1) = (&*set.world, set.per, set.w0, set.w1);
    let mut residents = world.users_of(Role::Resident);
    residents.shuffle(set.rng);
    let mut rows = Vec::new();
    for &u in residents.iter().take(per) {
        set.reserved[u as usize] = true;
        rows.push((u, None, w0, w1 - 1));
    }
    rows
}
