//! `deceased`: an employee opens the chart of a patient who died more than
//! 60 days before the window (notes, demographics, results), with no care
//! that explains it: curiosity about how someone died, or the first step of
//! identity theft from the dead.

use super::marked_chart::{snoop, MarkedChart};
use crate::simulate::event::{day_start, Category, DAY};
use crate::simulate::planner::{Planner, Rows};

/// The scenario's name in labels.csv.
pub(crate) const NAME: &str = "deceased";

/// Places one incident; `None` when the world has no candidate.
pub(crate) fn place(pl: &mut Planner) -> Option<Rows> {
    let how = MarkedChart {
        target: |p, w0| p.deceased.map(|d| day_start(d) < w0 - 60 * DAY).unwrap_or(false),
        reads: |_| vec![Category::Notes, Category::Demographics, Category::Results],
        in_hospital_first: false,
        override_first: false,
        second_look: false,
    };
    snoop(pl, &how)
}
