//! `restricted`: an employee with no part in the care reads the sensitive
//! part of a chart (behavioural health, substance use, HIV, reproductive,
//! genetic) that the system lets through without an override: the
//! diagnosis is what the snooper came for.

use super::marked_chart::{sensitive_reads, snoop, MarkedChart};
use crate::simulate::planner::{Planner, Rows};

/// The scenario's name in labels.csv.
pub(crate) const NAME: &str = "restricted";

/// Places one incident; `None` when the world has no candidate.
pub(crate) fn place(pl: &mut Planner) -> Option<Rows> {
    let how = MarkedChart {
        target: |p, _| p.sensitive.is_sensitive(),
        reads: sensitive_reads,
        in_hospital_first: false,
        override_first: false,
        second_look: false,
    };
    snoop(pl, &how)
}
