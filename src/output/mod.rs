//! Output: the only stage that writes files. Every file is written into a
//! staging folder inside the output folder, with owner-only permissions, and
//! renamed into place only once all of them are complete, so a reader never
//! sees half a file and a failed run leaves the previous outputs intact.

mod atomic;
mod cell;
mod context;
mod folder_lock;
mod frames;
mod history;
mod hmac;
mod html;
pub mod pseudonym;
mod report;
mod report_files;
mod schema;
mod svg;
mod user_features;
mod write;

pub use atomic::{
    create_private, create_private_dir, process_alive, sweep_leftovers, Staging, SPILL_PREFIX, STAGING_PREFIX,
};
pub use cell::neutralise;
pub use context::RunContext;
pub use folder_lock::{FolderLock, OUTPUT_LOCK, O_NOFOLLOW};
pub use html::escape;
pub use pseudonym::Pseudonymizer;
pub use schema::{AlertRow, CaseRow, FileCount, RejectedRowOut, SkippedOut, Summary, CONTRACT_VERSION};
pub use write::{write_outputs, OutputError, RunOutputs};
