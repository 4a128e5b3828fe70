//! Detect: rules (and, later, models) that turn explained events and user
//! features into findings, each carrying the facts that raised it.

pub mod behaviour;
mod finding;
mod input;
mod params;
mod registry;
pub mod relations;
pub(crate) mod rounds;
pub mod rules;

pub use finding::{AlertKind, Fact, Finding};
pub use input::{DetectInput, PatientGroups, Population, Rule, Scope, SkippedRule};
pub use params::{Invalid, NoParams, Resolved, RuleParams, RuleSettings};
pub use registry::{all_rules, check_rules, detect, effective_rules, AnyRule, Detection, Outcome, Weights};
