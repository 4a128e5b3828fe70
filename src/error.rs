//! The library's top-level error, and what kind of failure each one is.
//!
//! Every module's error folds into [`Error`], so the binary has one type to
//! print and one place ([`Error::is_locked`], [`Error::is_user_error`]) that
//! decides the exit code.

use crate::config::ConfigError;
use crate::fs::FsError;
use crate::import::ImportError;
use crate::ingest::IngestError;
use crate::output::OutputError;
use crate::state::StateError;

/// A run that failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input bundle cannot be read.
    #[error(transparent)]
    Ingest(#[from] IngestError),
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The outputs cannot be written.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// The incremental state folder cannot be used.
    #[error(transparent)]
    State(#[from] StateError),
    /// `simulate` failed.
    #[error(transparent)]
    Simulate(#[from] crate::simulate::SimulateError),
    /// `evaluate` could not read its inputs.
    #[error(transparent)]
    Evaluate(#[from] crate::evaluate::EvaluateError),
    /// `import` failed.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// A scratch file of the run (the spill or stash of a partitioned run)
    /// cannot be written or read back.
    #[error(transparent)]
    Fs(#[from] FsError),
    /// A run on a cluster (`detect --engine ballista`) failed: the
    /// cluster could not be reached, a task failed, or a result did not
    /// decode. The message names no patient.
    #[error("cluster: {0}")]
    Cluster(String),
}

impl Error {
    /// Whether another ehrwatch run holds the state or output folder
    /// (exit code 4: nothing was written; run again later).
    pub fn is_locked(&self) -> bool {
        matches!(self, Error::State(StateError::Locked { .. }) | Error::Output(OutputError::Locked { .. }))
    }

    /// Whether the user can fix it by changing the input, configuration or
    /// arguments (exit code 1), as opposed to an environment or internal
    /// failure (exit code 2).
    pub fn is_user_error(&self) -> bool {
        match self {
            // The incremental state failing to load, or the spill files
            // failing to be written or read back, is the environment's fault.
            Error::Ingest(IngestError::History(_) | IngestError::Spill { .. } | IngestError::OutOfMemory { .. }) => {
                false
            }
            Error::Ingest(_) | Error::Config(_) => true,
            Error::State(e) => e.is_user_error(),
            Error::Simulate(e) => {
                matches!(e, crate::simulate::SimulateError::Params(_) | crate::simulate::SimulateError::Synthea { .. })
            }
            // Labels or alerts that cannot be read or lack a column.
            Error::Evaluate(_) => true,
            Error::Import(e) => e.is_user_error(),
            Error::Output(_) | Error::Fs(_) | Error::Cluster(_) => false,
        }
    }
}
