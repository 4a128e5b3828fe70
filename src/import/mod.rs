//! Import: converts a source system's audit export into the data contract's
//! access_log (`access_log.parquet` in an input bundle), so `detect` reads one
//! format. Adapters: FHIR AuditEvent ([`fhir`]), Epic ACCESS_LOG-style
//! extracts ([`epic`]), OpenEMR's log table ([`openemr`]) and any delimited
//! file through a TOML mapping ([`csv_mapping`]).
//!
//! Invariants: inputs are streamed (memory holds one Parquet row group and,
//! for FHIR NDJSON, one batch of lines); every source row is converted or
//! rejected with its file, line and reason (`import_rejected_rows.csv`); an
//! unmapped action becomes `other` and is counted per source value in
//! `import_summary.json`; outputs are staged and renamed into place together,
//! owner-only; nothing here prints, and messages never carry patient ids.
//! The writers ([`writer`]) render a canonical log in each format for round
//! trips and for `simulate --format`.

pub mod csv_mapping;
mod delimited;
pub mod epic;
mod error;
pub mod fhir;
mod inputs;
pub mod openemr;
mod parquet_sink;
mod record;
mod run;
mod session;
mod vocabulary;
pub mod writer;

pub use error::ImportError;
pub use record::{AccessRecord, Converted, Rejection, Unmapped};
pub use run::{run_import, Format, ImportRequest};
pub use session::{ImportSummary, InputCount, ACCESS_LOG_FILE, REJECTED_FILE, SUMMARY_FILE};
pub use writer::{write_bundle_as, AccessLogWriter, RenderError};
