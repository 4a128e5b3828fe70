//! Who is who to whom: normalised names and addresses of users, patients and
//! contacts, built once per run and shared by the relationship rules.

mod addresses;
mod geo;
mod index;
mod names;
mod nicknames;

pub use addresses::{normalise_address, Address};
pub use geo::distance_m;
pub use index::{Relation, Relations, SharedAddress};
pub use names::{normalise_name, surname_tokens, Surname};
pub use nicknames::{GivenName, Nicknames};
