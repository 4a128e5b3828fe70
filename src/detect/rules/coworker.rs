//! `coworker`: a user opens the record of another employee.
//!
//! Why it matters: coworkers' charts draw curiosity (a colleague's
//! pregnancy, diagnosis or psychiatric stay); stronger when the patient works
//! in the user's own department. The roster's `patient_id` links employees to
//! their own records. Accesses care explains (an employee treated in the ED)
//! are downgraded, not alerted.
//!
//! Example: a nurse on 4 West opens the results of a 4 West colleague who was
//! seen in outpatient oncology.

use crate::detect::finding::{Fact, Finding};
use crate::detect::input::{DetectInput, Rule};
use crate::detect::params::{unit, Invalid, RuleParams, RuleSettings};

/// `[rules.coworker]`, besides `enabled` and `weight` (the weight when the
/// patient works in another department).
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct CoworkerParams {
    /// Weight in 0..=1 when the patient works in the user's own department.
    pub same_department_weight: f64,
}

impl Default for CoworkerParams {
    fn default() -> Self {
        Self { same_department_weight: 0.6 }
    }
}

impl RuleParams for CoworkerParams {
    fn check(&self) -> Result<(), Invalid> {
        unit("same_department_weight", self.same_department_weight)
    }
}

/// The rule.
pub struct Coworker;

impl Rule for Coworker {
    const ID: &'static str = "coworker";
    const DEFAULTS: RuleSettings = RuleSettings::weight(0.45);
    type Params = CoworkerParams;

    fn stronger_weights(&self, params: &CoworkerParams) -> Vec<(Fact, f64)> {
        vec![(Fact::CoworkerPatient { same_department: true }, params.same_department_weight)]
    }

    fn check(&self, input: &DetectInput<'_>) -> Result<(), String> {
        input.roster_column("patient_id")
    }

    fn run(&self, _params: &Self::Params, input: &DetectInput<'_>) -> Vec<Finding> {
        let rel = input.relations;
        input.per_user(|user, _| {
            input.relationship_findings(Self::ID, user, |patient| {
                let employee = rel.employee(patient)?;
                if employee == user {
                    return None; // self access is its own rule
                }
                let mut facts = vec![Fact::CoworkerPatient { same_department: rel.same_department(user, employee) }];
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

    fn world() -> World {
        let mut w = World::new();
        w.user("n1").department("4W");
        w.user("n2").department("4W").own_record("P2");
        w.user("x1").department("LAB").own_record("P3");
        w.patient("P2");
        w.patient("P3");
        w
    }

    #[test]
    fn fires_on_a_coworkers_record_and_knows_the_department() {
        let mut w = world();
        w.access("2026-11-28 10:00:00", "n1", "P2", "view");
        w.access("2026-11-28 10:05:00", "n1", "P3", "view");
        let found = w.run(&Coworker);
        assert_eq!(found.len(), 2);
        let by_patient = |p: &str| found.iter().find(|f| w.patient_of(f) == p).unwrap().facts[0].clone();
        assert_eq!(by_patient("P2"), Fact::CoworkerPatient { same_department: true });
        assert_eq!(by_patient("P3"), Fact::CoworkerPatient { same_department: false });
    }

    #[test]
    fn a_coworker_in_the_users_own_department_weighs_more_than_one_elsewhere() {
        let mut w = world();
        w.access("2026-11-28 10:00:00", "n1", "P2", "view");
        w.access("2026-11-28 10:05:00", "n1", "P3", "view");
        let alerts = w.alerts();
        let score = |p: &str| alerts.iter().find(|a| a.patient == p && a.rules == ["coworker"]).expect("alert").score;
        let cfg = Coworker::resolve(&w.config.rules).expect("valid");
        let (same, other) = (cfg.params.same_department_weight, cfg.settings.weight);
        assert!(same > other);
        // Same evidence otherwise (one access, no care link, usual hours).
        assert!(score("P2") > score("P3"), "{alerts:?}");
        let expected = |weight: f64| {
            let p = 1.0 - (1.0 - weight) * (1.0 - w.config.score.unexplained_weight);
            (p * 1000.0).round() / 10.0
        };
        assert_eq!(score("P2"), expected(same));
        assert_eq!(score("P3"), expected(other));
    }

    #[test]
    fn an_employee_treated_by_the_user_is_not_an_alert() {
        let mut w = world();
        w.encounter("P3", "4W", "2026-11-27 08:00:00", None, None);
        w.access("2026-11-28 10:00:00", "n1", "P3", "view");
        let found = w.run(&Coworker);
        assert!(found.iter().all(|f| f.downgraded), "{found:?}");
    }

    #[test]
    fn own_record_is_not_coworker() {
        let mut w = world();
        w.access("2026-11-28 10:00:00", "n2", "P2", "view");
        assert!(w.run(&Coworker).is_empty());
    }

    /// A lab technologist opening a coworker's results during her stay:
    /// the laboratory's routine does not clear a coworker's chart.
    #[test]
    fn a_population_level_link_does_not_clear_a_coworker() {
        let mut w = world();
        w.user("mt").department("LAB").role("Medical Technologist");
        w.encounter("P2", "MED", "2026-11-27 08:00:00", None, None);
        w.access("2026-11-28 03:00:00", "mt", "P2", "view");
        let found = w.run(&Coworker);
        assert_eq!(found.len(), 1);
        assert_eq!(w.user_of(&found[0]), "mt");
    }
}
