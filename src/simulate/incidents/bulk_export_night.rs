//! `bulk_export_night`: a clinician, clerk or back-office employee logs in
//! from their own workstation in the small hours of a night off and
//! exports 80 to 250 unrelated charts at script pace: a list of patients
//! taken before leaving, or sold. The label is about the user as a whole.

use super::night_session::{place_session, NightSession};
use crate::simulate::planner::{Planner, Rows};

/// The scenario's name in labels.csv.
pub(crate) const NAME: &str = "bulk_export_night";

/// Places one incident; `None` when the world has no candidate.
pub(crate) fn place(pl: &mut Planner) -> Option<Rows> {
    let how = NightSession {
        back_office: true,
        outside_device: false,
        charts: 80..250,
        gap: 1..6,
        rows: 2,
        scripted: true,
        export_share: None,
    };
    place_session(pl, &how)
}
