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
    /// A contract column is named twice in one header.
    #[error("{file}: column \"{column}\" appears twice in the header (columns {first} and {second}); keep one")]
    DuplicateColumn {
        /// The file.
        file: PathBuf,
        /// The column.
        column: &'static str,
        /// 1-based position of its first occurrence.
        first: usize,
        /// 1-based position of the second.
        second: usize,
    },
    /// A Parquet column's type cannot hold its contract field.
    #[error("{file}: column \"{column}\" is of type {found}; expected {expected}")]
    ColumnType {
        /// The file.
        file: PathBuf,
        /// The column.
        column: &'static str,
        /// Its Parquet (polars) type.
        found: String,
        /// What the contract field needs.
        expected: &'static str,
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
    /// Memory for the access log could not be allocated.
    #[error("cannot allocate memory for {events} events; lower --partition-events so the log is processed a part at a time, or check the Parquet files' row counts")]
    OutOfMemory {
        /// Events the allocation was for.
        events: u64,
    },
    /// The row index (`ehrwatch index`) could not be built or read.
    #[error("row index {dir}: {message}")]
    Index {
        /// The index folder.
        dir: PathBuf,
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
    /// Too large a share of a table's rows was rejected: the feed is
    /// broken, and alerts from what is left would mislead.
    #[error("{table}: {rejected} of {read} rows rejected ({percent:.1}%), more than input.max_reject_share ({limit:.1}%){most}; nothing was written; fix the feed, or raise --max-reject-share")]
    TooManyRejected {
        /// The table.
        table: &'static str,
        /// Rows rejected.
        rejected: u64,
        /// Rows read.
        read: u64,
        /// `rejected / read`, percent.
        percent: f64,
        /// The limit, percent.
        limit: f64,
        /// ", mostly for column X", or empty.
        most: String,
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
