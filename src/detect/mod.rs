//! Detect: rules (and, later, models) that turn explained events and user
//! features into findings, each carrying the facts that raised it.

pub mod behaviour;
mod finding;
mod input;
mod registry;
pub(crate) mod rounds;
pub mod relations;
pub mod rules;

pub use finding::{AlertKind, Fact, Finding};
pub use input::{DetectInput, PatientGroups, Population, Rule, Scope, SkippedDetector};
pub use registry::{detect, Detection, Weights};
