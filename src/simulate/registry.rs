//! The scenario registry: every injected incident and every legitimate
//! look-alike the simulator knows, one line each, in the order they are
//! planned. A scenario is its file (under `incidents/` or `lookalikes/`,
//! with a doc saying what real behaviour it imitates) plus one line here.
//!
//! Invariants: the order of the lines is the order of the RNG draws, so
//! moving a line changes the bytes of every bundle (append new scenarios
//! at the end of their group); a scenario in both realism modes is planned
//! with the clean world (streams 6 and 7), one only in the real world after
//! it (streams 8 and 9), so adding a real-only scenario leaves the clean
//! world's bytes alone.

use super::incidents as inc;
use super::lookalikes::{self as look, Setup};
use super::params::Realism;
use super::planner::{Planner, Rows};

/// How a scenario is placed, which also says whether it is labelled.
#[derive(Clone, Copy)]
pub(crate) enum Place {
    /// An incident, labelled in labels.csv: placed once per incident by the
    /// incident planner; `None` when the world has no candidate.
    Incident(fn(&mut Planner) -> Option<Rows>),
    /// A clean-world look-alike (lookalikes.csv), planned into the world
    /// and the plan ahead of the days.
    Ahead(fn(&mut Setup) -> Rows),
    /// A real-world look-alike (lookalikes.csv), planned as care rows with
    /// the incident planner's helpers, at most the given number of times.
    Care(fn(&mut Planner, usize) -> Rows),
}

/// One registry line.
#[derive(Clone, Copy)]
pub(crate) struct Scenario {
    /// Name in labels.csv or lookalikes.csv.
    pub name: &'static str,
    /// Realism modes whose world includes it.
    pub modes: &'static [Realism],
    /// How it is placed.
    pub place: Place,
}

impl Scenario {
    /// Whether its rows are labelled incidents (labels.csv) rather than
    /// look-alikes (lookalikes.csv).
    pub(crate) fn labelled(&self) -> bool {
        matches!(self.place, Place::Incident(_))
    }
}

/// In both worlds.
const ALL: &[Realism] = &[Realism::Clean, Realism::Real];
/// In the real world only.
const REAL: &[Realism] = &[Realism::Real];

use Place::{Ahead, Care, Incident};

/// Every scenario, in planning order.
#[rustfmt::skip]
pub(crate) const REGISTRY: &[Scenario] = &[
    // Incidents of the clean world, in the order incidents are spread over them.
    Scenario { name: inc::self_access::NAME, modes: ALL, place: Incident(inc::self_access::place) },
    Scenario { name: inc::family::NAME, modes: ALL, place: Incident(inc::family::place) },
    Scenario { name: inc::coworker::NAME, modes: ALL, place: Incident(inc::coworker::place) },
    Scenario { name: inc::neighbour::NAME, modes: ALL, place: Incident(inc::neighbour::place) },
    Scenario { name: inc::contact::NAME, modes: ALL, place: Incident(inc::contact::place) },
    Scenario { name: inc::vip::NAME, modes: ALL, place: Incident(inc::vip::place) },
    Scenario { name: inc::deceased::NAME, modes: ALL, place: Incident(inc::deceased::place) },
    Scenario { name: inc::restricted::NAME, modes: ALL, place: Incident(inc::restricted::place) },
    Scenario { name: inc::break_glass::NAME, modes: ALL, place: Incident(inc::break_glass::place) },
    Scenario { name: inc::terminated::NAME, modes: ALL, place: Incident(inc::terminated::place) },
    Scenario { name: inc::bulk_export_night::NAME, modes: ALL, place: Incident(inc::bulk_export_night::place) },
    Scenario { name: inc::slow_exfiltration::NAME, modes: ALL, place: Incident(inc::slow_exfiltration::place) },
    Scenario { name: inc::curious_browsing::NAME, modes: ALL, place: Incident(inc::curious_browsing::place) },
    Scenario { name: inc::compromised_account::NAME, modes: ALL, place: Incident(inc::compromised_account::place) },
    // Incidents the real world adds.
    Scenario { name: inc::service_snoop::NAME, modes: REAL, place: Incident(inc::service_snoop::place) },
    Scenario { name: inc::former_patient::NAME, modes: REAL, place: Incident(inc::former_patient::place) },
    Scenario { name: inc::research_snoop::NAME, modes: REAL, place: Incident(inc::research_snoop::place) },
    Scenario { name: inc::insider_export::NAME, modes: REAL, place: Incident(inc::insider_export::place) },
    Scenario { name: inc::low_curiosity::NAME, modes: REAL, place: Incident(inc::low_curiosity::place) },
    // Look-alikes of the clean world.
    Scenario { name: look::same_surname_treating::NAME, modes: ALL, place: Ahead(look::same_surname_treating::plan) },
    Scenario { name: look::night_shift::NAME, modes: ALL, place: Ahead(look::night_shift::plan) },
    Scenario { name: look::ed_surge::NAME, modes: ALL, place: Ahead(look::ed_surge::plan) },
    Scenario { name: look::him_billing_volume::NAME, modes: ALL, place: Ahead(look::him_billing_volume::plan) },
    Scenario { name: look::research_coordinator::NAME, modes: ALL, place: Ahead(look::research_coordinator::plan) },
    Scenario { name: look::new_hire::NAME, modes: ALL, place: Ahead(look::new_hire::plan) },
    Scenario { name: look::float_nurse::NAME, modes: ALL, place: Ahead(look::float_nurse::plan) },
    Scenario { name: look::rotating_resident::NAME, modes: ALL, place: Ahead(look::rotating_resident::plan) },
    Scenario { name: look::vip_care_team::NAME, modes: ALL, place: Ahead(look::vip_care_team::plan) },
    Scenario { name: look::break_glass_emergency::NAME, modes: ALL, place: Ahead(look::break_glass_emergency::plan) },
    // Look-alikes the real world adds.
    Scenario { name: look::pharmacist_verification::NAME, modes: REAL, place: Care(look::pharmacist_verification::plan) },
    Scenario { name: look::coder_discharged::NAME, modes: REAL, place: Care(look::coder_discharged::plan) },
    Scenario { name: look::readmission_reread::NAME, modes: REAL, place: Care(look::readmission_reread::plan) },
];

/// The incidents (`labelled`) or look-alikes that `realism` adds to the
/// world, in registry order: the clean world's for [`Realism::Clean`], the
/// ones only the real world has for [`Realism::Real`].
pub(crate) fn added_by(labelled: bool, realism: Realism) -> impl Iterator<Item = &'static Scenario> {
    // Realism modes are nested: the real world is the clean one plus more.
    let first_mode = |s: &Scenario| if s.modes.contains(&Realism::Clean) { Realism::Clean } else { Realism::Real };
    REGISTRY.iter().filter(move |s| s.labelled() == labelled && first_mode(s) == realism)
}

/// Names of the incident scenarios (`labelled`, in labels.csv) or the
/// look-alikes (in lookalikes.csv) that `realism` adds to the world, in
/// the order they are planned. The real world also has the clean world's.
pub fn scenario_names(labelled: bool, realism: Realism) -> Vec<&'static str> {
    added_by(labelled, realism).map(|s| s.name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_every_kind_runs_in_its_world() {
        let mut names: Vec<&str> = REGISTRY.iter().map(|s| s.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), REGISTRY.len(), "a scenario name is registered twice");
        for s in REGISTRY {
            assert!(!s.modes.is_empty(), "{} is in no world", s.name);
            // Look-alikes planned ahead run only with the clean world's
            // planner, care look-alikes only with the real world's.
            match s.place {
                Place::Ahead(_) => assert!(s.modes.contains(&Realism::Clean), "{}", s.name),
                Place::Care(_) => assert!(!s.modes.contains(&Realism::Clean), "{}", s.name),
                Place::Incident(_) => {}
            }
        }
    }

    #[test]
    fn the_worlds_have_their_scenarios_in_planning_order() {
        let clean = scenario_names(true, Realism::Clean);
        assert_eq!(clean.len(), 14);
        assert_eq!((clean[0], clean[13]), ("self", "compromised_account"));
        assert_eq!(
            scenario_names(true, Realism::Real),
            ["service_snoop", "former_patient", "research_snoop", "insider_export", "low_curiosity"]
        );
        assert_eq!(scenario_names(false, Realism::Clean).len(), 10);
        assert_eq!(
            scenario_names(false, Realism::Real),
            ["pharmacist_verification", "coder_discharged", "readmission_reread"]
        );
    }
}
