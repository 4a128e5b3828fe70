//! `break_glass`: emergency override used without a care explanation.
//!
//! Why it matters: break-the-glass opens charts the user is otherwise denied
//! and relies on after-the-fact review. In a real emergency the user treats
//! the patient (an encounter, an order, charting); used with no such link,
//! the override is the classic path to a restricted chart.
//!
//! Example: a registration clerk breaks the glass on a restricted chart at
//! 23:10 and the patient has no encounter anywhere near the clerk.

use crate::detect::finding::{AlertKind, Fact, Finding};
use crate::detect::input::{DetectInput, Rule};
use crate::detect::params::{NoParams, RuleSettings};

/// The rule.
pub struct BreakGlass;

impl Rule for BreakGlass {
    const ID: &'static str = "break_glass";
    const DEFAULTS: RuleSettings = RuleSettings::weight(0.6);
    type Params = NoParams;

    fn check(&self, input: &DetectInput<'_>) -> Result<(), String> {
        if !input.population.any_break_glass {
            return Err("no access in the log used break-the-glass (access_log.break_glass absent or all false)".into());
        }
        Ok(())
    }

    fn run(&self, _params: &Self::Params, input: &DetectInput<'_>) -> Vec<Finding> {
        let events = &input.data.events;
        input.per_user(|user, range| {
            let hits = range.filter(|&i| {
                events.break_glass[i] && !input.explained.kind[i].is_patient_specific() && events.has_patient(i)
            });
            input
                .by_patient(hits)
                .into_iter()
                .map(|(patient, evs)| Finding {
                    rule: Self::ID,
                    kind: AlertKind::Snooping,
                    user,
                    patient,
                    facts: vec![Fact::BreakGlass { count: evs.len() }],
                    events: evs,
                    downgraded: false,
                })
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_fixture::World;

    #[test]
    fn fires_on_unexplained_break_glass() {
        let mut w = World::new();
        w.user("r1").department("REG");
        w.patient("P1").restricted();
        w.access_with("2026-11-28 23:10:00", "r1", "P1", "view", "", true);
        let found = w.run(&BreakGlass);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].facts[0].sentence(), "used break-the-glass emergency access");
    }

    #[test]
    fn an_ed_emergency_is_not_flagged() {
        let mut w = World::new();
        w.user("d1").department("ED");
        w.patient("P1").restricted();
        w.encounter("P1", "ED", "2026-11-28 23:00:00", None, Some("d1"));
        w.access_with("2026-11-28 23:10:00", "d1", "P1", "view", "", true);
        assert!(w.run(&BreakGlass).is_empty());
    }

    /// Break-the-glass by a pharmacist during the stay (pharmacy's routine,
    /// a population-level link) fires; by the unit's nurse it does not.
    #[test]
    fn a_population_level_link_does_not_clear_break_the_glass() {
        let mut w = World::new();
        w.user("ph").department("PHARM").role("PharmD");
        w.user("rn").department("MED").role("RN");
        w.patient("R").restricted();
        w.encounter("R", "MED", "2026-11-27 08:00:00", None, None);
        w.access_with("2026-11-28 10:00:00", "ph", "R", "view", "notes", true);
        w.access_with("2026-11-28 11:00:00", "rn", "R", "view", "notes", true);
        let found = w.run(&BreakGlass);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(w.user_of(&found[0]), "ph");
    }
}
