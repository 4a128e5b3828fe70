//! Legitimate look-alikes: work that fools naive detectors and must not be
//! flagged, written to lookalikes.csv. One file per look-alike, saying what
//! real behaviour it imitates, listed in `registry`.

mod plan;

pub(crate) mod break_glass_emergency;
pub(crate) mod coder_discharged;
pub(crate) mod ed_surge;
pub(crate) mod float_nurse;
pub(crate) mod him_billing_volume;
pub(crate) mod new_hire;
pub(crate) mod night_shift;
pub(crate) mod pharmacist_verification;
pub(crate) mod readmission_reread;
pub(crate) mod research_coordinator;
pub(crate) mod rotating_resident;
pub(crate) mod same_surname_treating;
pub(crate) mod vip_care_team;

pub(crate) use plan::{plan, plan_real, rows_from_notable, surge_day, LookalikeRow, Setup};
