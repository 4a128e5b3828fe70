//! Explain: decide, for every patient access, whether care explains it.
//!
//! Published work (Fabbri and LeFevre) explains over 90% of accesses by a
//! treatment relationship and reviews only the rest; every rule after
//! this stage sees each access's [`Explanation`]. Two passes: direct care
//! (`care.rs`: encounters, charting, role and timing), then collaborative
//! groups learned from the direct explanations (`group.rs`), then visits
//! the encounters do not list, seen in others' charting (`charted.rs`).

mod care;
mod charted;
mod explanation;
mod group;
mod per_patient;
mod stage;

pub use care::{explain_direct, explain_direct_classed};
pub use charted::Charting;
pub use explanation::{Explanation, Explanations};
pub use group::{CareTeams, CareVisits};
pub use stage::explain;
