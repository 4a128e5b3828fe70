//! `him_billing_volume`: HIM coders and billing clerks open hundreds of
//! charts a week, days to weeks after discharge, none of them their
//! patients: coding and billing queues. Volume and "no care link" alone
//! would flag them; the role and the timing after discharge explain it.

use rand::seq::SliceRandom;

use super::plan::Setup;
use crate::simulate::planner::Rows;
use crate::simulate::world::Role;

/// The look-alike's name in lookalikes.csv.
pub(crate) const NAME: &str = "him_billing_volume";

/// Twice `per` employed coders and billing clerks, over the whole window.
pub(crate) fn plan(set: &mut Setup) -> Rows {
    let (world, per, w0, w1) = (&*set.world, set.per, set.w0, set.w1);
    let n_users = world.users.len();
    let mut back: Vec<u32> = (0..n_users as u32)
        .filter(|&u| {
            matches!(world.users[u as usize].role, Role::HimCoder | Role::Billing)
                && world.users[u as usize].termination_date.is_none()
        })
        .collect();
    back.shuffle(set.rng);
    let mut rows = Vec::new();
    for &u in back.iter().take(per * 2) {
        set.reserved[u as usize] = true;
        rows.push((u, None, w0, w1 - 1));
    }
    rows
}
