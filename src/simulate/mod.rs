//! A simulated hospital with labelled incidents: the test bench for ehrwatch.
//!
//! [`simulate`] builds a world (departments, workforce, patients, households,
//! contacts), a schedule, encounters, plans legitimate look-alikes and
//! injected incidents, then generates the access log day by day in parallel
//! and writes a bundle that follows the data contract, plus `labels.csv` and
//! `lookalikes.csv`. The same parameters and seed always give the same bytes.
//!
//! `--realism real` adds real-world incidents and look-alikes to the same
//! world (`real_incidents`, `real_lookalikes`) from RNG streams of their
//! own; `--export hr` writes the world as a hospital's systems spell it
//! (`hr_export`, `hr_titles`, `dhcp`). The clean world and export are
//! unchanged by either.

mod care;
mod dhcp;
mod encounters;
mod event;
mod hr_export;
mod hr_titles;
mod incidents;
mod lookalikes;
mod names;
mod params;
mod population;
mod real_incidents;
mod real_lookalikes;
mod report;
mod run;
mod schedule;
mod synthea;
mod workforce;
mod world;
mod writer;

pub use incidents::SCENARIOS;
pub use params::{BundleFormat, Export, Realism, SimulateError, SimulateParams};
pub use real_incidents::REAL_SCENARIOS;
pub use real_lookalikes::REAL_LOOKALIKE_SCENARIOS;
pub use report::{RoleStats, SimulationReport};
pub use run::simulate;

/// Look-alike scenarios of the clean world in lookalikes.csv (the real
/// world adds [`REAL_LOOKALIKE_SCENARIOS`]).
pub const LOOKALIKE_SCENARIOS: [&str; 10] = [
    "same_surname_treating",
    "night_shift",
    "ed_surge",
    "him_billing_volume",
    "research_coordinator",
    "new_hire",
    "vip_care_team",
    "break_glass_emergency",
    "float_nurse",
    "rotating_resident",
];
