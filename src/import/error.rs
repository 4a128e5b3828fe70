//! Errors that stop an import: an input or mapping file that cannot be read
//! as a whole, or an output that cannot be written. A bad row is not an
//! error; it goes to `import_rejected_rows.csv` with its file, line and
//! reason. Messages name files and lines, never patient ids or names.

use std::path::PathBuf;

/// An import that cannot run or finish.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// An input path does not exist or cannot be opened.
    #[error("{file}: cannot open: {message}")]
    Open {
        /// The input.
        file: PathBuf,
        /// What the system said.
        message: String,
    },
    /// Reading an input failed part way (I/O, gzip, CSV framing).
    #[error("{file} line {line}: cannot read: {message}")]
    Read {
        /// The input.
        file: PathBuf,
        /// The line reached (0 when unknown).
        line: u64,
        /// What went wrong.
        message: String,
    },
    /// A folder given as input holds no file of the format.
    #[error("{dir}: folder holds no {expected} file")]
    EmptyFolder {
        /// The folder.
        dir: PathBuf,
        /// The file kinds looked for.
        expected: &'static str,
    },
    /// A whole-document input is not what the format expects.
    #[error("{file}: {message}; expected {expected}")]
    BadDocument {
        /// The input.
        file: PathBuf,
        /// What was found.
        message: String,
        /// What the format expects.
        expected: &'static str,
    },
    /// A delimited input lacks a column the format needs.
    #[error("{file} line 1: required column \"{column}\" is missing (found: {found})")]
    MissingColumn {
        /// The input.
        file: PathBuf,
        /// The missing column.
        column: String,
        /// The columns the header has.
        found: String,
    },
    /// A delimited input has no header line.
    #[error("{0} line 1: file is empty; expected a header line")]
    EmptyFile(PathBuf),
    /// A mapping or metric file is invalid.
    #[error("{file}: {message}")]
    Mapping {
        /// The mapping file (or a description of the built-in one).
        file: PathBuf,
        /// What is wrong and what is expected.
        message: String,
    },
    /// The arguments do not fit the format.
    #[error("{0}")]
    Usage(String),
    /// The output bundle already holds the access log in another form, which
    /// would make the bundle ambiguous for `detect`.
    #[error(
        "{dir}: already holds {existing}; remove it or import into another folder (import writes access_log.parquet)"
    )]
    ConflictingTable {
        /// The output bundle.
        dir: PathBuf,
        /// The conflicting file or folder name.
        existing: String,
    },
    /// An output could not be written.
    #[error("{file}: cannot write: {message}")]
    Write {
        /// The output.
        file: PathBuf,
        /// What went wrong.
        message: String,
    },
}

impl ImportError {
    /// Whether the user can fix it by changing inputs, mappings or arguments
    /// (exit code 1), as opposed to an environment failure (exit code 2).
    pub fn is_user_error(&self) -> bool {
        !matches!(self, ImportError::Write { .. })
    }

    pub(crate) fn write(file: impl Into<PathBuf>, e: impl std::fmt::Display) -> Self {
        ImportError::Write { file: file.into(), message: e.to_string() }
    }
}
