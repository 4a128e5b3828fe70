//! `ehrwatch investigate`: the two questions that follow an alert. "Who
//! has looked at this patient's record?" (`patient.rs`: every access to
//! one patient, with its care explanation) and "what else did this user
//! do?" (`user.rs`: one user's patients, hours, volume against peers and
//! devices).
//!
//! Not a second analysis: the events are read by `ingest` (from a bundle
//! or the incremental state, `load.rs`) and explained by the pipeline's
//! own passes (`pipeline::explain_every_event`, the passes `detect` runs),
//! then filtered to the patient or user and the period (`request.rs`),
//! and written by `output::investigation`. Invariants: nothing is printed
//! from here; an unknown id is an error that names the patient id never
//! and the user id only without `--pseudonymize-key`.

mod learned;
mod load;
mod patient;
mod request;
mod user;

pub use learned::{keep_learned, KeptLearning, LEARNED_FILE};
pub use patient::investigate_patient;
pub use request::{InvestigateError, InvestigateRequest, Outcome, Source};
pub use user::investigate_user;
