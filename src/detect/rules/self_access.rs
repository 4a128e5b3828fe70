//! `self_access`: a user opens their own patient record.
//!
//! Why it matters: most hospitals forbid staff from reading their own chart
//! through their work account (results before the clinician has discussed
//! them, or edits to one's own record); it is among the most common findings
//! of privacy audits. The HR roster's `patient_id` links an employee to their
//! own record.
//!
//! Example: nurse `n204`, whose roster entry lists patient record `P1093`,
//! opens `P1093`'s results at 21:40. Accesses that care explains (an
//! employee admitted to her own unit, whose chart the unit's workstation
//! opens under her account during her shift) are downgraded like every
//! relationship: not an alert, counted for audit.

use crate::detect::finding::{Fact, Finding};
use crate::detect::input::{DetectInput, Rule};
use crate::detect::params::{NoParams, RuleSettings};

/// The rule.
pub struct SelfAccess;

impl Rule for SelfAccess {
    const ID: &'static str = "self_access";
    const DEFAULTS: RuleSettings = RuleSettings::weight(0.9);
    type Params = NoParams;

    fn check(&self, input: &DetectInput<'_>) -> Result<(), String> {
        input.roster_column("patient_id")
    }

    fn run(&self, _params: &Self::Params, input: &DetectInput<'_>) -> Vec<Finding> {
        let Some(roster) = &input.data.roster else { return Vec::new() };
        input.per_user(|user, _| {
            let Some(own) = roster.get(user).and_then(|u| u.patient) else { return Vec::new() };
            input.relationship_findings(Self::ID, user, |patient| (patient == own).then(|| vec![Fact::OwnRecord]))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_fixture::World;

    #[test]
    fn fires_when_an_employee_opens_their_own_record() {
        let mut w = World::new();
        w.user("n1").department("ICU").own_record("P1");
        w.user("n2").department("ICU");
        w.patient("P1");
        w.access("2026-11-28 21:40:00", "n1", "P1", "view");
        w.access("2026-11-28 21:41:00", "n1", "P1", "view");
        w.access("2026-11-28 10:00:00", "n2", "P1", "view");
        let found = w.run(&SelfAccess);
        assert_eq!(found.len(), 1);
        assert_eq!(w.user_of(&found[0]), "n1");
        assert_eq!(w.patient_of(&found[0]), "P1");
        assert_eq!(found[0].events.len(), 2);
        assert_eq!(found[0].facts, vec![Fact::OwnRecord]);
        assert!(!found[0].downgraded);
    }

    #[test]
    fn own_record_opened_while_treated_on_the_own_unit_is_downgraded() {
        let mut w = World::new();
        w.user("n1").department("ICU").own_record("P1");
        w.patient("P1");
        w.encounter("P1", "ICU", "2026-11-27 08:00:00", None, None);
        w.access("2026-11-28 10:00:00", "n1", "P1", "view");
        let found = w.run(&SelfAccess);
        assert_eq!(found.len(), 1);
        assert!(found[0].downgraded);
    }

    #[test]
    fn a_namesake_treating_clinician_is_not_self_access() {
        // Same surname as the patient, treating them, but not their own record.
        let mut w = World::new();
        w.user("n1").department("ICU").last_name("Garcia").own_record("P9");
        w.patient("P1").last_name("Garcia");
        w.encounter("P1", "ICU", "2026-11-27 08:00:00", Some("2026-11-30 08:00:00"), Some("n1"));
        w.access("2026-11-28 10:00:00", "n1", "P1", "view");
        assert!(w.run(&SelfAccess).is_empty());
    }

    #[test]
    fn skipped_without_roster_patient_ids() {
        let mut w = World::new();
        w.user("n1");
        w.access("2026-11-28 10:00:00", "n1", "P1", "view");
        w.drop_roster_column("patient_id");
        assert_eq!(w.check(&SelfAccess), Err("users.patient_id missing".to_string()));
    }

    /// A pharmacist whose own record is an inpatient: pharmacy's routine
    /// during a stay (a population-level link) does not clear it.
    #[test]
    fn a_population_level_link_does_not_clear_the_own_record() {
        let mut w = World::new();
        w.user("ph").department("PHARM").role("Clinical Pharmacist").own_record("P1");
        w.patient("P1");
        w.encounter("P1", "MED", "2026-11-27 08:00:00", None, None);
        w.access("2026-11-28 10:00:00", "ph", "P1", "view");
        let found = w.run(&SelfAccess);
        assert_eq!(found.len(), 1);
        assert!(!found[0].downgraded);
    }
}
