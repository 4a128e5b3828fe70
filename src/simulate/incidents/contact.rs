//! `contact`: an employee opens the chart of a friend or ex-partner who
//! lists them as an emergency contact, on one to three shifts. Small worlds
//! may have no such friend; then an actor is written into an unrelated
//! patient's contacts (an ex-partner, say) and snoops on that patient.

use rand::Rng;

use super::family::snoop_on_kin;
use crate::simulate::planner::{Planner, Rows, CLINICAL};
use crate::simulate::world::{Contact, Kin};

/// The scenario's name in labels.csv.
pub(crate) const NAME: &str = "contact";

/// Places one incident; `None` when the world has no candidate.
pub(crate) fn place(pl: &mut Planner) -> Option<Rows> {
    snoop_on_kin(pl, false).or_else(|| list_as_contact(pl))
}

/// Lists an actor as the contact of an unrelated patient, and snoops.
fn list_as_contact(pl: &mut Planner) -> Option<Rows> {
    // Small worlds may have no usable friend: list an actor as the
    // contact of an unrelated patient (an ex-partner, say).
    for u in pl.actors(|_, _| true).into_iter().take(20) {
        let Some(&p) = pl.unrelated_patients(u, 1, true).first() else { continue };
        let user = pl.world.users[u as usize].clone();
        let address = pl.world.households[user.household as usize].address.clone();
        let relationship = ["partner", "friend"][pl.rng.gen_range(0..2)];
        let v = pl.rng.gen_range(1..4);
        let Some((a, b)) = pl.snoop(u, p, v, CLINICAL) else { continue };
        let at = pl.world.contacts.partition_point(|c| c.patient <= p);
        pl.world.contacts.insert(at, Contact { patient: p, first: user.first, last: user.last, relationship, address });
        pl.world.kin.push(Kin { user: u, patient: p, same_household: false, listed_contact: true, relative: false });
        return Some(vec![(u, Some(p), a, b)]);
    }
    None
}
