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
mod aliases;
mod bundle;
mod care_team;
mod columns;
mod contacts;
mod encounters;
mod error;
mod estimate;
mod fields;
mod filter;
mod history;
mod own;
mod patients;
mod plausible;
mod rejects;
mod report;
mod reviewed;
mod roster;
mod row_index;
mod slice;
mod source;
mod spill;

pub use aliases::{Aliases, RowRules};
pub use bundle::{
    read_bundle, read_bundle_filtered, read_bundle_indexed, read_bundle_with_history, read_history_only, ContextTables,
    Ingested,
};
pub use error::IngestError;
pub use estimate::{estimate_events, estimate_users, needs_partitions, EVENTS_PER_USER};
pub use filter::RowFilter;
pub use history::{History, HistoryError, HistoryPart, HISTORY_FILE};
pub use own::OwnEvents;
pub use plausible::Plausible;
pub use rejects::{RejectedRow, Rejects, SpoolError};
pub use report::{FileReport, IngestReport, SkippedTable};
pub use reviewed::{read_reviewed, Review, Reviews, Verdict};
pub use row_index::{build_row_index, open_row_index, IndexState, IndexSummary, RowIndex, INDEX_DIR, INDEX_FORMAT};
pub use slice::{join_slices, log_pieces, read_context, read_log_slice, LogPieces, LogSlice, SliceJoin, SliceSummary};
pub use spill::{read_bundle_spilled, read_bundle_spilled_with_history, Spilled, BLOCK_USERS};

/// The access log's files of a bundle, in reading order, as (path, path
/// relative to the bundle). An error when the table is missing.
pub fn access_log_files(dir: &std::path::Path) -> Result<Vec<(std::path::PathBuf, String)>, IngestError> {
    if !dir.is_dir() {
        return Err(IngestError::NotABundle(dir.to_path_buf()));
    }
    let files = source::locate(dir, "access_log")?
        .ok_or(IngestError::MissingTable { dir: dir.to_path_buf(), table: "access_log" })?;
    Ok(files.files.into_iter().zip(files.display).collect())
}

/// The files of the bundle's context tables (users, patients, encounters,
/// patient contacts, care teams), each table's in reading order: a single file, or
/// every file of its folder. Absent tables give none.
pub fn context_files(dir: &std::path::Path) -> Result<Vec<std::path::PathBuf>, IngestError> {
    let mut files = Vec::new();
    for table in ["users", "patients", "encounters", "patient_contacts", "care_team"] {
        if let Some(found) = source::locate(dir, table)? {
            files.extend(found.files);
        }
    }
    Ok(files)
}

/// The local days (`YYYY-MM-DD`, in `tz`) an access-log file's readable
/// timestamps fall on, sorted; rows that cannot be read are left out.
pub fn file_days(file: &std::path::Path, tz: chrono_tz::Tz) -> Result<Vec<String>, IngestError> {
    let mut zone = crate::time::ZoneCache::new(tz);
    let mut days = std::collections::BTreeSet::new();
    source::read_file(file, &[columns::required("timestamp")], &mut |row| {
        if let Ok(Some(t)) = fields::timestamp(row.cells[0], "timestamp", &mut zone) {
            days.insert(zone.to_local(t).div_euclid(crate::time::MICROS_PER_DAY));
        }
    })?;
    Ok(days.into_iter().map(|d| crate::time::date_from_days(d as i32).to_string()).collect())
}

/// The users table's columns, in contract order.
pub fn users_columns() -> impl Iterator<Item = &'static str> {
    roster::SPECS.iter().map(|s| s.name)
}

/// The patients table's columns, in contract order.
pub fn patients_columns() -> impl Iterator<Item = &'static str> {
    patients::SPECS.iter().map(|s| s.name)
}
