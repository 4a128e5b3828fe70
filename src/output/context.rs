//! What a run adds around its results for the writers: the detection
//! window, the feedback step's outcome and reviewed.csv's bad rows, and the
//! pseudonymizer of the exports.

use super::pseudonym::Pseudonymizer;
use crate::ingest::Reviews;
use crate::score::{FeedbackOutcome, Window};

/// The run's context beyond the pipeline's results.
#[derive(Debug, Clone, Default)]
pub struct RunContext {
    /// The detection window, when one was asked for.
    pub window: Option<Window>,
    /// reviewed.csv as read, when given.
    pub reviewed: Option<Reviews>,
    /// What the feedback step did.
    pub feedback: FeedbackOutcome,
    /// Replaces ids in the exports, when given.
    pub pseudonymizer: Option<Pseudonymizer>,
    /// The incremental state after this run, with `--state`.
    pub state: Option<super::schema::StateOut>,
    /// The first and last instant of the run's events (UTC microseconds),
    /// `None` without events.
    pub time_range: Option<(i64, i64)>,
    /// How many user partitions the events were processed in; `None` when
    /// they were held in memory at once.
    pub partitions: Option<usize>,
    /// How the roster's titles and departments were understood.
    pub roles: crate::roles::RoleCoverage,
}
