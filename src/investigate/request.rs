//! What an investigation is asked, its errors and its outcome, and the
//! helpers both commands share: the period, ids as shown, sources.

use std::path::PathBuf;

use chrono::NaiveDate;

use crate::config::Config;
use crate::ingest::{Ingested, HISTORY_FILE};
use crate::output::Pseudonymizer;
use crate::time::{days_from_epoch, ZoneCache, MICROS_PER_DAY};

/// Where the events come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// An input bundle (access log and context tables).
    Bundle(PathBuf),
    /// The incremental state folder of `detect --state`, with an optional
    /// bundle for the context tables (users, patients, encounters) and any
    /// access-log files not yet absorbed.
    State {
        /// The state folder.
        dir: PathBuf,
        /// The bundle, if given.
        bundle: Option<PathBuf>,
    },
}

/// What both commands need.
#[derive(Debug, Clone)]
pub struct InvestigateRequest {
    /// Where the events come from.
    pub source: Source,
    /// The output folder.
    pub out: PathBuf,
    /// Validated configuration (time zone, explanation windows).
    pub config: Config,
    /// First local day of the period (inclusive); `None` from the start.
    pub from: Option<NaiveDate>,
    /// Last local day of the period (inclusive); `None` to the end.
    pub to: Option<NaiveDate>,
    /// Ids given and shown are tokens; names are left out.
    pub pseudonymizer: Option<Pseudonymizer>,
    /// `investigate patient`: explain over the whole log instead of the
    /// patient's rows and the rows of the users who opened the record.
    pub full_scan: bool,
    /// `investigate patient`: the row index folder of `ehrwatch index`
    /// (default: BUNDLE/.ehrwatch-index when it exists).
    pub index: Option<PathBuf>,
}

/// Why an investigation failed.
#[derive(Debug, thiserror::Error)]
pub enum InvestigateError {
    /// Reading, explaining or writing failed.
    #[error(transparent)]
    Run(#[from] crate::Error),
    /// The patient id (or token) is in neither the access log nor a
    /// context table. The id is never echoed.
    #[error(
        "the --patient id is not in the access log or the patients, encounters or contacts tables; check the id{hint}"
    )]
    UnknownPatient {
        /// What to check, by how ids are given.
        hint: &'static str,
    },
    /// The user id (or token) is in neither the access log nor the users
    /// table. The id is echoed only when ids are not tokens.
    #[error("the --user id {shown}is not in the access log or the users table; check the id{hint}")]
    UnknownUser {
        /// The id and a space, or empty (pseudonymized).
        shown: String,
        /// What to check.
        hint: &'static str,
    },
    /// The `--state` folder holds no state.
    #[error("{0}: not an ehrwatch state folder (no manifest.json); give the folder of detect --state")]
    NotAState(PathBuf),
    /// The `--alerts` file cannot be read.
    #[error("{path}: cannot read alerts: {message}; give the alerts.csv of a detect run")]
    Alerts {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
}

impl InvestigateError {
    /// Whether another run holds a folder (exit code 4).
    pub fn is_locked(&self) -> bool {
        matches!(self, InvestigateError::Run(e) if e.is_locked())
    }

    /// Whether the user can fix it (exit code 1).
    pub fn is_user_error(&self) -> bool {
        match self {
            InvestigateError::Run(e) => e.is_user_error(),
            _ => true,
        }
    }
}

impl From<crate::ingest::IngestError> for InvestigateError {
    fn from(e: crate::ingest::IngestError) -> Self {
        InvestigateError::Run(e.into())
    }
}

impl From<crate::output::OutputError> for InvestigateError {
    fn from(e: crate::output::OutputError) -> Self {
        InvestigateError::Run(e.into())
    }
}

impl From<crate::state::StateError> for InvestigateError {
    fn from(e: crate::state::StateError) -> Self {
        InvestigateError::Run(e.into())
    }
}

/// What an investigation wrote.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Rows of the CSV file (accesses, or patients).
    pub rows: usize,
    /// The files written.
    pub files: Vec<PathBuf>,
}

/// The hint of an unknown-id error.
pub(super) fn hint(p: Option<&Pseudonymizer>) -> &'static str {
    match p {
        Some(_) => " is a token of this --pseudonymize-key (as in the pseudonymized alerts.csv)",
        None => " (ids are matched exactly, as the access log writes them)",
    }
}

/// The period as local day numbers, inclusive.
#[derive(Debug, Clone, Copy)]
pub(super) struct Period {
    from: i64,
    to: i64,
}

impl Period {
    pub(super) fn of(req: &InvestigateRequest) -> Period {
        Period {
            from: req.from.map_or(i64::MIN, |d| i64::from(days_from_epoch(d))),
            to: req.to.map_or(i64::MAX, |d| i64::from(days_from_epoch(d))),
        }
    }

    /// Whether the UTC instant falls on a local day of the period.
    pub(super) fn contains(&self, zone: &mut ZoneCache, utc: i64) -> bool {
        let day = zone.to_local(utc).div_euclid(MICROS_PER_DAY);
        day >= self.from && day <= self.to
    }

    /// The period in words.
    pub(super) fn describe(req: &InvestigateRequest) -> String {
        match (req.from, req.to) {
            (None, None) => "all days in the data".to_string(),
            (Some(f), None) => format!("from {f} to the end of the data"),
            (None, Some(t)) => format!("from the start of the data to {t}"),
            (Some(f), Some(t)) => format!("{f} to {t}"),
        }
    }
}

/// The access-log sources of the given events: their files as the
/// bundle names them, or the state.
pub(super) fn sources<E>(data: &Ingested<E>, files: impl Iterator<Item = u32>) -> Vec<String> {
    let mut seen: Vec<u32> = files.collect();
    seen.sort_unstable();
    seen.dedup();
    seen.into_iter()
        .map(|f| match f {
            HISTORY_FILE => "the incremental state (earlier nights)".to_string(),
            f => data.report.files.get(f as usize).map_or_else(|| "access_log".to_string(), |r| r.path.clone()),
        })
        .collect()
}

/// The code of an id as given: the id itself, or the one whose token it
/// is (`token` computes an id's token).
pub(super) fn find_code(
    dict: &crate::model::Dictionary,
    given: &str,
    token: Option<&dyn Fn(&str) -> String>,
) -> Option<crate::model::Code> {
    let given = given.trim();
    match token {
        None => dict.get(given),
        Some(token) => (0..dict.len() as crate::model::Code).find(|&c| token(dict.name(c)) == given),
    }
}

/// Creates the output folder if needed and takes its lock, as detect does:
/// another run writing into it is an `OutputError::Locked` (exit code 4).
pub(super) fn lock_output(out: &std::path::Path) -> Result<crate::fs::FolderLock, InvestigateError> {
    use crate::fs::{FolderLock, OUTPUT_LOCK};
    use crate::output::OutputError;
    let io = |source| OutputError::Io { path: out.to_path_buf(), source };
    crate::fs::create_private_dir(out).map_err(io)?;
    match FolderLock::try_acquire(out, OUTPUT_LOCK).map_err(io)? {
        Some(lock) => Ok(lock),
        None => Err(OutputError::Locked { dir: out.to_path_buf() }.into()),
    }
}

/// The sentence of an explanation kind, as patient_access.csv writes it.
pub(super) fn sentence(kind: crate::explain::Explanation) -> String {
    if kind.is_explained() {
        kind.phrase().to_string()
    } else {
        "no care link".to_string()
    }
}
