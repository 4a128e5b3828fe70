//! Errors that stop ingest: a whole file or table that cannot be read.
//! Bad rows are not errors; they go to [`super::Rejects`].

use std::path::PathBuf;

/// A bundle that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// Earlier nights' events (the incremental state) could not be loaded.
    #[error(transparent)]
    History(super::history::HistoryError),
    /// The input folder does not exist or is not a folder.
    #[error(
        "input bundle {0}: not a folder; expected a folder holding access_log.csv, access_log.parquet or access_log/"
    )]
    NotABundle(PathBuf),
    /// A required table has no file.
    #[error("input bundle {dir}: required table {table} is missing; expected {table}.csv, {table}.csv.gz, {table}.parquet or a folder {table}/")]
    MissingTable {
        /// The bundle folder.
        dir: PathBuf,
        /// The table name.
        table: &'static str,
    },
    /// A table's folder holds no readable file.
    #[error("{0}: folder holds no .csv, .csv.gz or .parquet file")]
    EmptyTableFolder(PathBuf),
    /// A required column is missing from a file.
    #[error("{file}: required column \"{column}\" is missing (found: {found})")]
    MissingColumn {
        /// The file.
        file: PathBuf,
        /// The missing column.
        column: &'static str,
        /// The columns the file has.
        found: String,
    },
    /// The file has no header line.
    #[error("{0}: file is empty; expected a header line")]
    EmptyFile(PathBuf),
    /// Reading failed.
    #[error("{file} line {line}: cannot read: {message}")]
    Read {
        /// The file.
        file: PathBuf,
        /// The line reached.
        line: u64,
        /// What went wrong.
        message: String,
    },
    /// A spill file (the access log bucketed by user on disk, see
    /// [`super::read_bundle_spilled`]) could not be written or read back.
    #[error("spill file {file}: {message}")]
    Spill {
        /// The spill file.
        file: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A Parquet file could not be read.
    #[error("{file}: not a readable Parquet file: {message}")]
    Parquet {
        /// The file.
        file: PathBuf,
        /// What polars said.
        message: String,
    },
    /// The table exists in two forms.
    #[error("input bundle {dir}: table {table} is given twice ({first} and {second}); keep one")]
    AmbiguousTable {
        /// The bundle folder.
        dir: PathBuf,
        /// The table name.
        table: &'static str,
        /// One file.
        first: String,
        /// The other.
        second: String,
    },
}
