//! The library's top-level error, and what kind of failure each one is.

use crate::config::ConfigError;
use crate::ingest::IngestError;
use crate::output::OutputError;

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
}

impl Error {
    /// Whether the user can fix it by changing the input, configuration or
    /// arguments (exit code 1), as opposed to an environment or internal
    /// failure (exit code 2).
    pub fn is_user_error(&self) -> bool {
        matches!(self, Error::Ingest(_) | Error::Config(_))
    }
}
