//! Injected incidents, each labelled in labels.csv: one file per scenario,
//! saying what real behaviour it imitates, listed in `registry`.
//!
//! Every snooping incident is done by an insider during a shift, from the
//! user's usual unit and workstation, in between care, because that is how
//! real snooping looks; the patient has no encounter with the user as
//! provider or in any unit the user works in. Exfiltration and account
//! misuse are about the user as a whole (labels with an empty patient).
//! The real world's scenarios (`--realism real`) imitate patterns privacy
//! officers find in real audit logs that the clean ones leave out, and draw
//! from RNG streams of their own.

mod marked_chart;
mod night_session;
mod plan;

pub(crate) mod break_glass;
pub(crate) mod bulk_export_night;
pub(crate) mod compromised_account;
pub(crate) mod contact;
pub(crate) mod coworker;
pub(crate) mod curious_browsing;
pub(crate) mod deceased;
pub(crate) mod family;
pub(crate) mod former_patient;
pub(crate) mod insider_export;
pub(crate) mod low_curiosity;
pub(crate) mod neighbour;
pub(crate) mod research_snoop;
pub(crate) mod restricted;
pub(crate) mod self_access;
pub(crate) mod service_snoop;
pub(crate) mod slow_exfiltration;
pub(crate) mod terminated;
pub(crate) mod vip;

pub(crate) use plan::{count_for, plan, plan_real, LabelRow, Taken};
