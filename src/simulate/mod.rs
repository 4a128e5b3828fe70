//! A simulated hospital with labelled incidents: the test bench for ehrwatch.
//!
//! [`simulate`] builds a world (departments, workforce, patients, households,
//! contacts), a schedule, encounters, plans legitimate look-alikes and
//! injected incidents, then generates the access log day by day in parallel
//! and writes a bundle that follows the data contract (with the optional
//! `care_team.csv`: the research coordinators' study teams), plus
//! `labels.csv` and `lookalikes.csv`. The same parameters and seed always give the same bytes.
//!
//! Every incident scenario and look-alike is one file under `incidents/`
//! or `lookalikes/` plus one line in `registry`; a day's rows come from
//! `care`, in named steps. `--realism real` adds real-world incidents and
//! look-alikes to the same world from RNG streams of their own; `--export
//! hr` writes the world as a hospital's systems spell it (`hr_export`,
//! `hr_titles`, `dhcp`). The clean world and export are unchanged by
//! either.

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
mod planner;
mod population;
mod registry;
mod report;
mod run;
mod schedule;
mod synthea;
mod workforce;
mod world;
mod writer;

pub use params::{BundleFormat, Export, Realism, SimulateError, SimulateParams};
pub use registry::scenario_names;
pub use report::{RoleStats, SimulationReport};
pub use run::simulate;
