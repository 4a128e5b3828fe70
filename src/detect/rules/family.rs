//! `family`: a user opens a relative's record.
//!
//! Why it matters: relatives and ex-partners are the most common targets of
//! snooping (custody fights, curiosity about a sick parent). The user and the
//! patient are taken to be family when they share a surname and a home
//! address, or when the user's name matches one of the patient's listed
//! contacts (next of kin, guarantor, emergency contact); given names match
//! nickname-aware ("Bill" is "William"). A contact listed under another
//! surname (a maiden or married name) with the user's given name counts only
//! when an address corroborates it: the contact's listed address is the
//! user's home, or the patient lives there. A shared surname alone is weak
//! evidence (common surnames) and is not a finding; neither is a shared
//! given name alone. A full-name match with a contact listed at an address
//! that is not the user's home (nor the patient's, when the patient lives
//! with the user) may be a namesake: it fires at `namesake_weight`.
//!
//! Accesses care explains (a nurse treating her own mother on her unit) are
//! not alerts; they are counted as downgraded for audit. The user's own
//! record (the roster's `patient_id`) is no relative's: it shares the
//! user's surname and home by definition, and `self_access` names it.
//!
//! Example: a registration clerk opens the chart of a patient who lives at
//! the clerk's address and shares the clerk's surname, with no encounter.

use crate::detect::finding::{Fact, Finding};
use crate::detect::input::{DetectInput, Rule};
use crate::detect::params::{unit, Invalid, RuleParams, RuleSettings};

/// `[rules.family]`, besides `enabled` and `weight`.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct FamilyParams {
    /// Weight in 0..=1 when the only tie is the user's name on a contact
    /// listed at another address ([`Fact::NamesakeContact`]): common names
    /// recur, and a relative's listing usually carries the user's home.
    pub namesake_weight: f64,
}

impl Default for FamilyParams {
    fn default() -> Self {
        Self { namesake_weight: 0.45 }
    }
}

impl RuleParams for FamilyParams {
    fn check(&self) -> Result<(), Invalid> {
        unit("namesake_weight", self.namesake_weight)
    }
}

/// The rule.
pub struct Family;

impl Rule for Family {
    const ID: &'static str = "family";
    const DEFAULTS: RuleSettings = RuleSettings::weight(0.85);
    type Params = FamilyParams;

    fn weaker_weights(&self, params: &FamilyParams) -> Vec<(Fact, f64)> {
        vec![(Fact::NamesakeContact { relationship: None }, params.namesake_weight)]
    }

    fn check(&self, input: &DetectInput<'_>) -> Result<(), String> {
        let Some(roster) = &input.data.roster else { return Err("users table missing".into()) };
        if !roster.has_column("last_name") {
            return Err("users.last_name missing".into());
        }
        let households = roster.has_column("address")
            && input.data.patients.as_ref().is_some_and(|p| p.has_column("last_name") && p.has_column("address"));
        let contacts = roster.has_column("first_name") && input.data.contacts.is_some();
        if !households && !contacts {
            return Err("needs users and patients with last_name and address, or patient_contacts".into());
        }
        Ok(())
    }

    fn run(&self, _params: &Self::Params, input: &DetectInput<'_>) -> Vec<Finding> {
        let rel = input.relations;
        input.per_user(|user, _| {
            let own = input.data.roster.as_ref().and_then(|r| r.get(user)).and_then(|u| u.patient);
            input.relationship_findings(Self::ID, user, |patient| {
                if own == Some(patient) {
                    return None;
                }
                let mut facts = Vec::new();
                if rel.household(user, patient) {
                    facts.push(Fact::SharesSurnameAndHome);
                }
                match rel.contact_checked(user, patient) {
                    // A shared home already corroborates the name.
                    Some((relationship, true)) if facts.is_empty() => {
                        facts.push(Fact::NamesakeContact { relationship })
                    }
                    Some((relationship, _)) => facts.push(Fact::NamedAsContact { relationship }),
                    None => {
                        if let Some((relationship, shared)) = rel.contact_under_other_surname(user, patient) {
                            facts.push(Fact::ContactUnderOtherSurname { relationship, shared });
                        }
                    }
                }
                (!facts.is_empty()).then_some(facts)
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::relations::SharedAddress;
    use crate::test_fixture::World;

    #[test]
    fn fires_on_same_surname_and_home() {
        let mut w = World::new();
        w.user("r1").department("REG").name("Maria", "García-López").address("12 Oak Street Apt 4B");
        w.patient("P1").name("Jose", "Lopez").address("12 OAK ST #4b");
        w.access("2026-11-28 10:00:00", "r1", "P1", "view");
        let found = w.run(&Family);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].facts, vec![Fact::SharesSurnameAndHome]);
        assert!(!found[0].downgraded);
    }

    #[test]
    fn fires_when_the_user_is_a_listed_contact() {
        let mut w = World::new();
        w.user("r1").department("REG").name("Maria", "Lopez").address("1 Elm Rd");
        w.patient("P1").name("Jose", "Smith").address("99 Pine Ave");
        w.contact("P1", "María", "LOPEZ", "spouse");
        w.access("2026-11-28 10:00:00", "r1", "P1", "view");
        let found = w.run(&Family);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].facts, vec![Fact::NamedAsContact { relationship: Some("spouse".into()) }]);
        assert!(found[0].facts[0].sentence().contains("listed contact (spouse)"));
    }

    /// The user's full name on a contact listed at another address, with
    /// the patient living elsewhere too: perhaps a namesake. It fires at
    /// the weaker weight and says why; the same contact at the user's
    /// home fires in full.
    #[test]
    fn a_namesake_contact_at_another_address_fires_weaker_than_one_at_the_users_home() {
        let mut w = World::new();
        w.user("it1").department("IT").name("Beverly", "Smith").address("550 Spring Ave");
        w.user("it2").department("IT").name("Ann", "Moss").address("3 Lake Ct");
        w.patient("P1").name("Jose", "Smith").address("240 Madison Blvd");
        w.patient("P2").name("Tom", "Moss").address("77 Pine Rd");
        w.contact_at("P1", "Beverly", "Smith", "spouse", "240 Madison Blvd");
        w.contact_at("P2", "Ann", "Moss", "spouse", "3 LAKE COURT");
        w.access("2026-11-28 10:00:00", "it1", "P1", "view");
        w.access("2026-11-28 10:00:00", "it2", "P2", "view");
        let found = w.run(&Family);
        assert_eq!(found.len(), 2);
        let by = |u: &str| found.iter().find(|f| w.user_of(f) == u).expect("fires").facts.clone();
        assert_eq!(by("it1"), vec![Fact::NamesakeContact { relationship: Some("spouse".into()) }]);
        assert_eq!(by("it2"), vec![Fact::NamedAsContact { relationship: Some("spouse".into()) }]);
        assert!(by("it1")[0].sentence().contains("perhaps a namesake"));
        let alerts = w.alerts();
        let score = |u: &str| alerts.iter().find(|a| a.user == u).expect("alert").score;
        assert!(score("it1") < score("it2"), "{} vs {}", score("it1"), score("it2"));
    }

    /// A contact with no address listed is not contradicted.
    #[test]
    fn a_contact_with_no_address_is_no_namesake() {
        let mut w = World::new();
        w.user("r1").department("REG").name("Maria", "Lopez").address("1 Elm Rd");
        w.patient("P1").name("Jose", "Smith").address("99 Pine Ave");
        w.contact("P1", "Maria", "Lopez", "spouse");
        w.access("2026-11-28 10:00:00", "r1", "P1", "view");
        assert_eq!(w.run(&Family)[0].facts, vec![Fact::NamedAsContact { relationship: Some("spouse".into()) }]);
    }

    #[test]
    fn fires_for_a_contact_listed_under_a_nickname_at_the_users_address() {
        let mut w = World::new();
        w.user("r1").department("REG").name("William", "Carter").address("123 OAK AVENUE #3D");
        w.patient("P1").name("Ruth", "Moss").address("9 Pine Rd");
        w.contact_at("P1", "Bill", "CARTER", "son", "123 Oak Av. Apt. 3-D");
        w.access("2026-11-28 10:00:00", "r1", "P1", "view");
        let found = w.run(&Family);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].facts, vec![Fact::NamedAsContact { relationship: Some("son".into()) }]);

        // Without the nickname table "Bill" is not "William".
        w.config.names.builtin_nicknames = false;
        assert!(w.run(&Family).is_empty());
        // A configured group brings it back.
        w.config.names.nicknames = vec![vec!["William".into(), "Bill".into()]];
        assert_eq!(w.run(&Family).len(), 1);
    }

    #[test]
    fn fires_for_a_maiden_name_contact_at_the_users_address() {
        let mut w = World::new();
        w.user("r1").department("REG").name("Margaret", "Jones").address("12 Oak Street Apt 4B");
        w.patient("P1").name("Harold", "Smith").address("77 Elm Rd");
        w.contact_at("P1", "Peggy", "Smith", "daughter", "12 OAK ST #4b");
        w.access("2026-11-28 10:00:00", "r1", "P1", "view");
        let found = w.run(&Family);
        assert_eq!(found.len(), 1);
        let fact =
            Fact::ContactUnderOtherSurname { relationship: Some("daughter".into()), shared: SharedAddress::Contact };
        assert_eq!(found[0].facts, vec![fact.clone()]);
        assert_eq!(
            fact.sentence(),
            "listed as the patient's contact (daughter) under another surname at the user's address (same given name)"
        );
        assert_eq!(fact.label(), "family");
    }

    #[test]
    fn fires_for_a_married_name_contact_when_the_patient_lives_with_the_user() {
        let mut w = World::new();
        w.user("r1").department("REG").name("Mary", "Jones").address("5 Bay St Apt 2");
        w.patient("P1").name("Ann", "Smith").address("5 Bay Street #2");
        w.contact("P1", "Mary", "Smith", "daughter");
        w.access("2026-11-28 10:00:00", "r1", "P1", "view");
        let found = w.run(&Family);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].facts,
            vec![Fact::ContactUnderOtherSurname {
                relationship: Some("daughter".into()),
                shared: SharedAddress::Patient
            }]
        );
        assert!(found[0].facts[0].sentence().contains("the patient lives at the user's address"));
    }

    #[test]
    fn a_shared_given_name_alone_is_not_family() {
        let mut w = World::new();
        w.user("r1").department("REG").name("Mary", "Jones").address("1 Elm Rd Apt 3");
        // A contact with the user's given name and another surname: at
        // another address, at another unit of the user's building, or with
        // no address while the patient lives elsewhere.
        w.patient("P1").name("Ann", "Smith").address("99 Pine Ave");
        w.contact_at("P1", "Mary", "Smith", "daughter", "40 Lake Shore Pkwy");
        w.patient("P2").name("Ann", "Brown").address("99 Pine Ave");
        w.contact_at("P2", "Mary", "Brown", "daughter", "1 Elm Road Apt 2");
        w.patient("P3").name("Ann", "White").address("7 Bay St");
        w.contact("P3", "Mary", "White", "daughter");
        // A patient with the user's given name at the user's home, not a
        // listed contact: a flatmate, not family.
        w.patient("P4").name("Mary", "Green").address("1 Elm Road #3");
        // A contact at the user's address with another given name.
        w.patient("P5").name("Ann", "Black").address("99 Pine Ave");
        w.contact_at("P5", "Robert", "Black", "son", "1 Elm Rd Apt 3");
        for p in ["P1", "P2", "P3", "P4", "P5"] {
            w.access("2026-11-28 10:00:00", "r1", p, "view");
        }
        let found = w.run(&Family);
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn a_surname_alone_is_not_family() {
        let mut w = World::new();
        w.user("r1").department("REG").name("Maria", "Smith").address("1 Elm Rd");
        w.patient("P1").name("John", "Smith").address("99 Pine Ave");
        w.access("2026-11-28 10:00:00", "r1", "P1", "view");
        assert!(w.run(&Family).is_empty());
    }

    #[test]
    fn a_nurse_treating_her_relative_is_downgraded_not_alerted() {
        let mut w = World::new();
        w.user("n1").department("ICU").name("Ana", "Garcia").address("5 Bay St");
        w.patient("P1").name("Luis", "Garcia").address("5 Bay Street");
        w.encounter("P1", "ICU", "2026-11-27 08:00:00", None, None);
        w.access("2026-11-28 10:00:00", "n1", "P1", "update");
        let found = w.run(&Family);
        assert_eq!(found.len(), 1);
        assert!(found[0].downgraded);
    }

    /// A pharmacist verifying her mother's medications during the stay:
    /// pharmacy's routine does not clear a relative's chart.
    #[test]
    fn a_population_level_link_does_not_clear_a_relative() {
        let mut w = World::new();
        w.user("ph").department("PHARM").role("Clinical Pharmacist").name("Ana", "Ruiz").address("5 Elm St");
        w.patient("P1").name("Rosa", "Ruiz").address("5 Elm St");
        w.encounter("P1", "MED", "2026-11-27 08:00:00", None, None);
        w.access("2026-11-28 10:00:00", "ph", "P1", "view");
        let found = w.run(&Family);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(!found[0].downgraded);
    }

    /// A clerk opening their own record (the roster names it), which shares
    /// their surname and home: `self_access` says so, and the family rule
    /// does not call the user their own relative. Their brother at the
    /// same address still fires.
    #[test]
    fn the_users_own_record_is_not_a_relatives() {
        let mut w = World::new();
        w.user("clerk").department("PFS").name("Ana", "Garcia").address("5 Bay St").own_record("ME");
        w.patient("ME").name("Ana", "Garcia").address("5 Bay Street");
        w.patient("BRO").name("Luis", "Garcia").address("5 Bay Street");
        w.access("2026-11-28 10:00:00", "clerk", "ME", "view");
        w.access("2026-11-28 10:05:00", "clerk", "BRO", "view");
        let found = w.run(&Family);
        let patients: Vec<String> = found.iter().map(|f| w.patient_of(f)).collect();
        assert_eq!(patients, ["BRO"]);
        let alerts = w.alerts();
        let own = alerts.iter().find(|a| a.patient == "ME").expect("self_access alert");
        assert_eq!(own.rules, ["self_access"]);
        assert!(!own.explanation.contains("shares last name"), "{}", own.explanation);
    }
}
