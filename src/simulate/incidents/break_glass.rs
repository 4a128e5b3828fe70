//! `break_glass`: an employee with no part in the care opens a restricted
//! (confidential) chart with the emergency override, giving a plausible
//! reason, outside any emergency, and reads the sensitive part: the
//! override misused as a key.

use super::marked_chart::{sensitive_reads, snoop, MarkedChart};
use crate::simulate::planner::{Planner, Rows};

/// The scenario's name in labels.csv.
pub(crate) const NAME: &str = "break_glass";

/// Places one incident; `None` when the world has no candidate.
pub(crate) fn place(pl: &mut Planner) -> Option<Rows> {
    let how = MarkedChart {
        target: |p, _| p.restricted,
        reads: sensitive_reads,
        in_hospital_first: false,
        override_first: true,
        second_look: false,
    };
    snoop(pl, &how)
}
