//! A simulated hospital with labelled incidents: the test bench for ehrwatch.
//!
//! [`simulate`] builds a world (departments, workforce, patients, households,
//! contacts), a schedule, encounters, plans legitimate look-alikes and
//! injected incidents, then generates the access log day by day in parallel
//! and writes a bundle that follows the data contract, plus `labels.csv` and
//! `lookalikes.csv`. The same parameters and seed always give the same bytes.

mod care;
mod encounters;
mod event;
mod incidents;
mod lookalikes;
mod names;
mod params;
mod population;
mod report;
mod run;
mod schedule;
mod synthea;
mod workforce;
mod world;
mod writer;

pub use incidents::SCENARIOS;
pub use params::{BundleFormat, SimulateError, SimulateParams};
pub use report::{RoleStats, SimulationReport};
pub use run::simulate;

/// Look-alike scenarios that may appear in lookalikes.csv.
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
