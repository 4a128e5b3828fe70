//! `vip`: an employee with no part in their care opens a VIP's chart
//! (a local celebrity, a politician), preferably while the VIP is in
//! hospital, and comes back for a second look on a later shift: the
//! pattern behind most publicised snooping cases.

use super::marked_chart::{snoop, MarkedChart};
use crate::simulate::planner::{Planner, Rows, CLINICAL};

/// The scenario's name in labels.csv.
pub(crate) const NAME: &str = "vip";

/// Places one incident; `None` when the world has no candidate.
pub(crate) fn place(pl: &mut Planner) -> Option<Rows> {
    let how = MarkedChart {
        target: |p, _| p.vip,
        reads: |_| CLINICAL.to_vec(),
        in_hospital_first: true,
        override_first: false,
        second_look: true,
    };
    snoop(pl, &how)
}
