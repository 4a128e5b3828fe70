//! `compromised_account`: a clinical or front-desk account is used in the
//! small hours of a night its owner is not working, from a laptop on a
//! foreign address the hospital has never seen, to open 30 to 90 unrelated
//! charts at a person's pace and export a quarter of them: stolen
//! credentials. The label is about the user as a whole.

use super::night_session::{place_session, NightSession};
use crate::simulate::planner::{Planner, Rows};

/// The scenario's name in labels.csv.
pub(crate) const NAME: &str = "compromised_account";

/// Places one incident; `None` when the world has no candidate.
pub(crate) fn place(pl: &mut Planner) -> Option<Rows> {
    let how = NightSession {
        back_office: false,
        outside_device: true,
        charts: 30..90,
        gap: 8..60,
        rows: 3,
        scripted: false,
        export_share: Some(0.25),
    };
    place_session(pl, &how)
}
