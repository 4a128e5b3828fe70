//! The error of the run's own scratch files (the spill and the stash of
//! a partitioned run, the state's replaced files): the path and what the
//! operating system said.

use std::io;
use std::path::PathBuf;

/// A scratch file or folder that could not be written or read back.
#[derive(Debug, thiserror::Error)]
pub enum FsError {
    /// Creating, writing, renaming or removing failed.
    #[error("{path}: cannot write: {source}")]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// Reading back failed, or what was read back is damaged.
    #[error("{path}: cannot read: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
}

impl FsError {
    /// A writing error on `path`, for `map_err`.
    pub fn write(path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> FsError {
        let path = path.into();
        move |source| FsError::Write { path, source }
    }

    /// A reading error on `path`, for `map_err`.
    pub fn read(path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> FsError {
        let path = path.into();
        move |source| FsError::Read { path, source }
    }

    /// The path and the operating system's error, for a caller that words
    /// the message itself.
    pub fn into_parts(self) -> (PathBuf, io::Error) {
        match self {
            FsError::Write { path, source } | FsError::Read { path, source } => (path, source),
        }
    }
}
