//! Ingest: the only stage that reads files.
//!
//! Finds each table of the bundle (`name.csv`, `name.csv.gz`, `name.parquet`
//! or a folder `name/` of such files), matches columns case-insensitively,
//! parses and dictionary-codes every row, and accounts for every row: it is
//! either accepted or recorded in [`Rejects`] with file, line and reason.
//!
//! Invariants: `events_read == events_accepted + events_rejected`; a missing
//! required table or column is an [`IngestError`], never a panic; nothing
//! printed from here carries a patient id or name.

mod access_log;
mod bundle;
mod columns;
mod contacts;
mod encounters;
mod error;
mod fields;
mod patients;
mod rejects;
mod report;
mod reviewed;
mod roster;
mod source;

pub use bundle::{read_bundle, Ingested};
pub use error::IngestError;
pub use rejects::{RejectedRow, Rejects};
pub use report::{FileReport, IngestReport, SkippedTable};
pub use reviewed::{read_reviewed, Review, Reviews, Verdict};
