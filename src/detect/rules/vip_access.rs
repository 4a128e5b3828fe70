//! `vip_access`: a VIP patient's record opened without a care explanation.
//!
//! Why it matters: celebrities, politicians and other flagged patients draw
//! curious staff; VIP snooping is the classic headline breach (and the HIPAA
//! penalties that followed). The care team of a VIP opens the record all day
//! long, so only accesses that no encounter, department or charting explains
//! are evidence.
//!
//! Example: a billing clerk with no link to the patient opens a flagged
//! patient's notes twice on the evening the patient was admitted elsewhere.

use crate::config::Config;
use crate::detect::finding::{AlertKind, Fact, Finding};
use crate::detect::input::{enabled, DetectInput, Rule};

/// The rule.
pub struct VipAccess;

impl Rule for VipAccess {
    fn id(&self) -> &'static str {
        "vip_access"
    }

    fn weight(&self, config: &Config) -> f64 {
        config.rules.vip_access.weight
    }

    fn check(&self, input: &DetectInput<'_>) -> Result<(), String> {
        enabled(input.config.rules.vip_access.enabled)?;
        input.patients_column("vip")
    }

    fn run(&self, input: &DetectInput<'_>) -> Vec<Finding> {
        let Some(patients) = &input.data.patients else {
            return Vec::new();
        };
        let events = &input.data.events;
        input.per_user(|user, range| {
            let hits = range.filter(|&i| {
                !input.explained.kind[i].is_direct() && patients.get(events.patient[i]).is_some_and(|p| p.vip)
            });
            input
                .by_patient(hits)
                .into_iter()
                .map(|(patient, evs)| Finding {
                    rule: self.id(),
                    kind: AlertKind::Snooping,
                    user,
                    patient,
                    events: evs,
                    facts: vec![Fact::VipPatient],
                    downgraded: false,
                })
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::rules::fixture::World;

    fn world() -> World {
        let mut w = World::new();
        w.user("care").department("ED");
        w.user("clerk").department("BILLING");
        w.patient("VIP1").vip();
        w.patient("P2");
        w.encounter("VIP1", "ED", "2026-11-28 08:00:00", Some("2026-11-28 20:00:00"), Some("care"));
        w
    }

    #[test]
    fn fires_on_unexplained_vip_access() {
        let mut w = world();
        w.access("2026-11-28 21:05:00", "clerk", "VIP1", "view");
        w.access("2026-11-28 21:07:00", "clerk", "P2", "view");
        let found = w.run(&VipAccess);
        assert_eq!(found.len(), 1);
        assert_eq!((w.user_of(&found[0]), w.patient_of(&found[0])), ("clerk".into(), "VIP1".into()));
        assert_eq!(found[0].facts, vec![Fact::VipPatient]);
    }

    #[test]
    fn the_vips_care_team_does_not_fire() {
        let mut w = world();
        w.access("2026-11-28 09:00:00", "care", "VIP1", "view");
        w.access("2026-11-28 23:30:00", "care", "VIP1", "update");
        assert!(w.run(&VipAccess).is_empty());
    }
}
