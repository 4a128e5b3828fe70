//! `neighbour`: a user opens the record of someone living next door.
//!
//! Why it matters: neighbours are a classic snooping target (gossip, feuds),
//! and home proximity is how commercial tools find them. Homes within
//! `max_distance_m` by latitude/longitude, homes on the same street (by
//! name, in the same zip) within `street_distance_m`, or at the same street
//! address (same building, any unit), count. When either home has no
//! coordinates (HR exports rarely geocode), the same block of the same
//! street (same hundred-block of house numbers, same zip) counts instead
//! of a distance. When user and patient also share a
//! surname and a home, that is `family`, not this rule. Accesses care
//! explains are downgraded.
//!
//! Example: a lab technician opens the chart of the patient who lives 80 m
//! away, with no order, encounter or charting linking them.

use crate::detect::finding::{Fact, Finding};
use crate::detect::input::{DetectInput, Rule};
use crate::detect::params::{finite_at_least, Invalid, RuleParams, RuleSettings};
use crate::detect::relations::Relation;

/// `[rules.neighbour]`, besides `enabled` and `weight`.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct NeighbourParams {
    /// Homes this close (metres, by lat/lon) are neighbours; the same street
    /// address always is.
    pub max_distance_m: f64,
    /// Homes on the same street (street name and zip, any house number)
    /// this close (metres, by lat/lon) are neighbours too.
    pub street_distance_m: f64,
}

impl Default for NeighbourParams {
    fn default() -> Self {
        Self { max_distance_m: 150.0, street_distance_m: 300.0 }
    }
}

impl RuleParams for NeighbourParams {
    fn check(&self) -> Result<(), Invalid> {
        finite_at_least("max_distance_m", self.max_distance_m, 0.0, "a distance in metres, 0 or more")?;
        finite_at_least("street_distance_m", self.street_distance_m, 0.0, "a distance in metres, 0 or more")
    }
}

/// The rule.
pub struct Neighbour;

impl Rule for Neighbour {
    const ID: &'static str = "neighbour";
    const DEFAULTS: RuleSettings = RuleSettings::weight(0.55);
    type Params = NeighbourParams;

    fn check(&self, input: &DetectInput<'_>) -> Result<(), String> {
        let Some(roster) = &input.data.roster else { return Err("users table missing".into()) };
        let Some(patients) = &input.data.patients else { return Err("patients table missing".into()) };
        let coords = roster.has_column("lat") && roster.has_column("lon") && patients.has_column("lat");
        let streets = roster.has_column("address") && patients.has_column("address");
        if !coords && !streets {
            return Err("users and patients need lat/lon or address".into());
        }
        Ok(())
    }

    fn run(&self, params: &Self::Params, input: &DetectInput<'_>) -> Vec<Finding> {
        let rel = input.relations;
        let (max, along) = (params.max_distance_m, params.street_distance_m);
        input.per_user(|user, _| {
            input.relationship_findings(Self::ID, user, |patient| {
                if rel.household(user, patient) || rel.employee(patient) == Some(user) {
                    return None; // family or self
                }
                let Some(Relation::Neighbour { distance_m, same_street, same_home, same_block }) =
                    rel.neighbour(user, patient, max, along)
                else {
                    return None;
                };
                let mut facts = vec![Fact::Neighbour { distance_m, same_street, same_home, same_block }];
                if rel.shares_surname(user, patient) {
                    facts.push(Fact::SharesSurname);
                }
                Some(facts)
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_fixture::World;

    #[test]
    fn fires_within_the_distance_and_names_it() {
        let mut w = World::new();
        w.user("t1").department("LAB").name("Tom", "Reed").address("10 Oak St").at(41.0, -87.0);
        w.patient("P1").name("Ann", "Yu").address("14 Oak St").at(41.0007, -87.0);
        w.patient("P2").name("Bo", "Li").address("90 Far Rd").at(41.05, -87.0);
        w.access("2026-11-28 10:00:00", "t1", "P1", "view");
        w.access("2026-11-28 10:01:00", "t1", "P2", "view");
        let found = w.run(&Neighbour);
        assert_eq!(found.len(), 1);
        assert_eq!(w.patient_of(&found[0]), "P1");
        assert_eq!(found[0].facts[0].sentence(), "lives 78 m from the patient");
    }

    /// Two hundred metres down one's own street is a neighbour; as far on
    /// another street, or on a street of the same name in another zip, is not.
    #[test]
    fn further_along_the_same_street_counts_and_another_street_does_not() {
        let mut w = World::new();
        w.user("t1").department("LAB").name("Tom", "Reed").address("560 Sycamore Ct").zip("46243").at(41.0, -87.0);
        w.patient("P1").name("Ann", "Yu").address("528 SYCAMORE COURT").zip("46243").at(41.0020, -87.0);
        w.patient("P2").name("Bo", "Li").address("530 Maple Dr").zip("46243").at(41.0020, -87.0);
        w.patient("P3").name("Cy", "Ng").address("528 Sycamore Ct").zip("46245").at(41.0020, -87.0);
        w.patient("P4").name("Di", "Ox").address("900 Sycamore Ct").zip("46243").at(41.0040, -87.0);
        for p in ["P1", "P2", "P3", "P4"] {
            w.access("2026-11-28 10:00:00", "t1", p, "view");
        }
        let found = w.run(&Neighbour);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(w.patient_of(&found[0]), "P1");
        assert_eq!(found[0].facts[0].sentence(), "lives 222 m from the patient");
    }

    /// Without coordinates, the same block of one's street is a
    /// neighbour; the next block, or the same numbers on another street,
    /// are not.
    #[test]
    fn without_coordinates_the_same_block_counts_and_the_next_does_not() {
        let mut w = World::new();
        w.user("t1").department("LAB").name("Tom", "Reed").address("214 Elm Ave").zip("46243");
        w.patient("P1").name("Ann", "Yu").address("236 ELM AVENUE APT 25").zip("46243");
        w.patient("P2").name("Bo", "Li").address("306 Elm Ave").zip("46243");
        w.patient("P3").name("Cy", "Ng").address("236 Oak Ave").zip("46243");
        for p in ["P1", "P2", "P3"] {
            w.access("2026-11-28 10:00:00", "t1", p, "view");
        }
        let found = w.run(&Neighbour);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(w.patient_of(&found[0]), "P1");
        assert_eq!(found[0].facts[0].sentence(), "lives on the same block of the same street as the patient");
    }

    #[test]
    fn same_building_counts_without_coordinates() {
        let mut w = World::new();
        w.user("t1").department("LAB").name("Tom", "Reed").address("10 Oak Street Apt 1");
        w.patient("P1").name("Ann", "Yu").address("10 Oak St #7");
        w.access("2026-11-28 10:00:00", "t1", "P1", "view");
        let found = w.run(&Neighbour);
        assert_eq!(found[0].facts[0].sentence(), "lives at the same street address as the patient");
    }

    #[test]
    fn a_treating_clinician_next_door_is_downgraded_and_family_is_left_to_family() {
        let mut w = World::new();
        w.user("d1").department("ED").name("Tom", "Reed").address("10 Oak St").at(41.0, -87.0);
        w.patient("P1").name("Ann", "Yu").address("12 Oak St").at(41.0001, -87.0);
        w.patient("P2").name("Kim", "Reed").address("10 Oak St").at(41.0, -87.0);
        w.encounter("P1", "ED", "2026-11-28 08:00:00", Some("2026-11-28 12:00:00"), Some("d1"));
        w.access("2026-11-28 10:00:00", "d1", "P1", "view");
        w.access("2026-11-28 10:00:00", "d1", "P2", "view");
        let found = w.run(&Neighbour);
        assert_eq!(found.len(), 1);
        assert!(found[0].downgraded);
    }

    /// A lab technologist drawing results for a neighbour's stay: the
    /// laboratory's routine does not clear a neighbour's chart; the
    /// neighbour's own unit nurse is cleared (downgraded for audit).
    #[test]
    fn a_population_level_link_does_not_clear_a_neighbour() {
        let mut w = World::new();
        w.user("t1")
            .department("LAB")
            .role("Medical Technologist")
            .name("Tom", "Reed")
            .address("10 Oak St")
            .at(41.0, -87.0);
        w.user("n1").department("MED").role("RN").name("Eve", "Lund").address("12 Oak St").at(41.0, -87.0002);
        w.patient("P1").name("Ann", "Yu").address("14 Oak St").at(41.0007, -87.0);
        w.encounter("P1", "MED", "2026-11-27 08:00:00", None, None);
        w.access("2026-11-28 10:00:00", "t1", "P1", "view");
        w.access("2026-11-28 11:00:00", "n1", "P1", "view");
        let found = w.run(&Neighbour);
        let alerts: Vec<String> = found.iter().filter(|f| !f.downgraded).map(|f| w.user_of(f)).collect();
        assert_eq!(alerts, ["t1"], "{found:?}");
    }
}
