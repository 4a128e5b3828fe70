//! `break_glass_emergency`: in the emergency department a clinician opens
//! a restricted (confidential) chart with the emergency override, because
//! the patient is in front of them. A break-the-glass rule must tell this
//! from the override used as a key. Nothing to plan: care in the ED uses
//! the override by itself (see `care`), and the lookalikes.csv rows come
//! from what the day generator saw.

use super::plan::Setup;
use crate::simulate::planner::Rows;

/// The look-alike's name in lookalikes.csv.
pub(crate) const NAME: &str = "break_glass_emergency";

/// Plans nothing: the override is part of ordinary ED care.
pub(crate) fn plan(_: &mut Setup) -> Rows {
    Vec::new()
}
