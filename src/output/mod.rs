//! Output: the only stage that writes the results. Every file is written
//! into a staging folder inside the output folder ([`crate::fs::Staging`]),
//! with owner-only permissions, and renamed into place only once all of
//! them are complete, so a reader never sees half a file and a failed run
//! leaves the previous outputs intact.

mod cell;
mod context;
mod frames;
mod history;
mod hmac;
mod html;
pub mod investigation;
pub mod pseudonym;
mod report;
mod report_files;
mod schema;
mod svg;
mod user_features;
mod write;

pub use cell::neutralise;
pub use context::RunContext;
pub use html::escape;
pub use pseudonym::Pseudonymizer;
pub use schema::{AlertRow, CaseRow, FileCount, RejectedRowOut, SkippedOut, StateOut, Summary, CONTRACT_VERSION};
pub use write::{write_outputs, OutputError, RunOutputs};
