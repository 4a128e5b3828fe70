//! `deceased_access`: a deceased patient's record opened long after death
//! without a care explanation.
//!
//! Why it matters: after death the legitimate work on a chart (death
//! certificate, final billing, HIM coding) ends within weeks; curiosity
//! about a deceased neighbour, relative or public figure does not. Accesses
//! within `min_days_after_death` of the death are the paperwork and are left
//! alone.
//!
//! Example: a radiology technician opens the notes of a patient who died 200
//! days earlier, with no encounter or charting linking them.

use crate::detect::finding::{AlertKind, Fact, Finding};
use crate::detect::input::{DetectInput, Rule};
use crate::detect::params::{days, Invalid, RuleParams, RuleSettings};
use crate::time::{days_from_epoch, LocalTime, ZoneCache};

/// `[rules.deceased_access]`, besides `enabled` and `weight`.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct DeceasedAccessParams {
    /// Accesses this many days or more after death are flagged; earlier ones
    /// are usually death paperwork and billing.
    pub min_days_after_death: u32,
}

impl Default for DeceasedAccessParams {
    fn default() -> Self {
        Self { min_days_after_death: 30 }
    }
}

impl RuleParams for DeceasedAccessParams {
    fn check(&self) -> Result<(), Invalid> {
        days("min_days_after_death", self.min_days_after_death, 0)
    }
}

/// The rule.
pub struct DeceasedAccess;

impl Rule for DeceasedAccess {
    const ID: &'static str = "deceased_access";
    const DEFAULTS: RuleSettings = RuleSettings::weight(0.5);
    type Params = DeceasedAccessParams;

    fn check(&self, input: &DetectInput<'_>) -> Result<(), String> {
        input.patients_column("deceased_date")
    }

    fn run(&self, params: &Self::Params, input: &DetectInput<'_>) -> Vec<Finding> {
        let Some(patients) = &input.data.patients else {
            return Vec::new();
        };
        let events = &input.data.events;
        let min_days = i64::from(params.min_days_after_death);
        input.per_user(|user, range| {
            let mut zone = ZoneCache::new(input.data.tz);
            let hits: Vec<usize> = range
                .filter(|&i| {
                    if input.explained.kind[i].is_patient_specific() {
                        return false;
                    }
                    let Some(died) = patients.get(events.patient[i]).and_then(|p| p.deceased_date) else {
                        return false;
                    };
                    let day = LocalTime::from_local_micros(zone.to_local(events.ts[i])).day;
                    i64::from(day) - i64::from(days_from_epoch(died)) >= min_days
                })
                .collect();
            input
                .by_patient(hits.into_iter())
                .into_iter()
                .filter_map(|(patient, evs)| {
                    let died = patients.get(patient)?.deceased_date?;
                    let first_day = LocalTime::from_local_micros(zone.to_local(events.ts[evs[0]])).day;
                    Some(Finding {
                        rule: Self::ID,
                        kind: AlertKind::Snooping,
                        user,
                        patient,
                        events: evs,
                        facts: vec![Fact::DeceasedPatient {
                            died,
                            days_after: i64::from(first_day) - i64::from(days_from_epoch(died)),
                        }],
                        downgraded: false,
                    })
                })
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_fixture::World;

    fn world() -> World {
        let mut w = World::new();
        w.user("tech").department("RAD");
        w.user("him").department("HIM");
        w.patient("D1").deceased("2026-05-01");
        w
    }

    #[test]
    fn fires_long_after_death() {
        let mut w = world();
        w.access("2026-11-17 14:00:00", "tech", "D1", "view");
        let found = w.run(&DeceasedAccess);
        assert_eq!(found.len(), 1);
        assert!(matches!(found[0].facts[0], Fact::DeceasedPatient { days_after: 200, .. }));
        assert!(found[0].facts[0].sentence().contains("died on 2026-05-01, 200 days"));
    }

    #[test]
    fn death_paperwork_soon_after_death_does_not_fire() {
        let mut w = world();
        w.access("2026-05-10 11:00:00", "him", "D1", "view");
        assert!(w.run(&DeceasedAccess).is_empty());
    }

    /// A coder six weeks after a death, within coding's 90 days after the
    /// last discharge: coding's routine does not clear a long-deceased
    /// patient's chart; the encounter's own provider does.
    #[test]
    fn a_population_level_link_fires_and_the_provider_does_not() {
        let mut w = World::new();
        w.user("coder").department("HIM").role("Coder III");
        w.user("doc").department("MED");
        w.patient("D").deceased("2026-09-01");
        w.encounter("D", "MED", "2026-08-25 08:00:00", Some("2026-08-31 12:00:00"), Some("doc"));
        w.access("2026-10-15 10:00:00", "coder", "D", "view");
        w.access("2026-10-15 11:00:00", "doc", "D", "view");
        let found = w.run(&DeceasedAccess);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(w.user_of(&found[0]), "coder");
    }
}
