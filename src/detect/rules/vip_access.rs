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

use crate::detect::finding::{AlertKind, Fact, Finding};
use crate::detect::input::{DetectInput, Rule};
use crate::detect::params::{NoParams, RuleSettings};

/// The rule.
pub struct VipAccess;

impl Rule for VipAccess {
    const ID: &'static str = "vip_access";
    const DEFAULTS: RuleSettings = RuleSettings::weight(0.6);
    type Params = NoParams;

    fn check(&self, input: &DetectInput<'_>) -> Result<(), String> {
        input.patients_column("vip")
    }

    fn run(&self, _params: &Self::Params, input: &DetectInput<'_>) -> Vec<Finding> {
        let Some(patients) = &input.data.patients else {
            return Vec::new();
        };
        let events = &input.data.events;
        input.per_user(|user, range| {
            let hits = range.filter(|&i| {
                !input.explained.kind[i].is_patient_specific() && patients.get(events.patient[i]).is_some_and(|p| p.vip)
            });
            input
                .by_patient(hits)
                .into_iter()
                .map(|(patient, evs)| Finding {
                    rule: Self::ID,
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
    use crate::test_fixture::World;

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

    /// The encounters lost the VIP's medicine stay. Two of the ward's
    /// staff charted that day, so the resident who opens the chart from the
    /// ward that evening was on the patient's unit, as a listed stay would
    /// say: no alert. With one chartist, or from another unit, the resident
    /// is flagged.
    #[test]
    fn the_units_staff_in_a_stay_the_encounters_lost_do_not_fire_and_others_do() {
        let ward = |chartists: usize, from: &str| {
            let mut w = World::new();
            for n in ["rn1", "rn2"] {
                w.user(n).department("MED").role("Registered Nurse");
            }
            w.user("res").department("CC7920").role("Resident Physician");
            w.patient("VIP1").vip();
            for (k, n) in ["rn1", "rn2"].into_iter().take(chartists).enumerate() {
                let at = format!("2026-11-10 0{}:10:00", 8 + k);
                w.access_from_dept(&at, n, "VIP1", "update", "WS-M1", "10.1.0.5", "MED");
            }
            w.access_from_dept("2026-11-10 19:02:00", "res", "VIP1", "view", "WS-M3", "10.1.0.7", from);
            let flagged = w.run(&VipAccess).iter().any(|f| w.user_of(f) == "res");
            flagged
        };
        assert!(!ward(2, "MED"));
        assert!(ward(1, "MED"));
        assert!(ward(2, "ORTHO"));
    }

    /// A pharmacist's role explains opening any inpatient during the stay:
    /// a population-level reason, which does not clear a VIP's chart. The
    /// alert says why, and scores below the same access with no link at all.
    #[test]
    fn a_population_level_explanation_fires_and_says_so() {
        let mut w = world();
        w.user("pharm").department("PHARM").role("Clinical Pharmacist");
        w.access("2026-11-28 19:40:00", "pharm", "VIP1", "view");
        let found = w.run(&VipAccess);
        assert_eq!(found.len(), 1);
        assert_eq!(w.user_of(&found[0]), "pharm");
        let kinds: Vec<_> = w.explanations().into_iter().map(|(_, _, e)| e).collect();
        assert_eq!(kinds, vec![crate::explain::Explanation::RoleTiming]);
        let alerts = w.alerts();
        let text = alerts[0].explanation.clone();
        assert!(text.contains("pharmacy staff routinely open the charts of patients in care"), "{text}");
        assert!(
            text.contains("the user opened no other patient of ED within 6 hours: not part of a round of work"),
            "{text}"
        );
        assert!(text.contains("no encounter, order or charting links the user to the patient"), "{text}");

        // The same look with no link at all scores higher.
        let mut cold = world();
        cold.user("pharm").department("PHARM").role("Clinical Pharmacist");
        cold.access("2026-12-31 19:40:00", "pharm", "VIP1", "view"); // a month after discharge
        let cold = cold.alerts();
        assert!(cold[0].score > alerts[0].score, "{} vs {}", cold[0].score, alerts[0].score);

        // A look as part of a round of the VIP's unit says so.
        let mut round = world();
        round.user("pharm").department("PHARM").role("Clinical Pharmacist");
        for k in 0..3 {
            let p = format!("ED{k}");
            round.patient(&p);
            round.encounter(&p, "ED", "2026-11-28 08:00:00", Some("2026-11-28 22:00:00"), None);
            round.access(&format!("2026-11-28 19:{}0:00", k + 1), "pharm", &p, "view");
        }
        round.access("2026-11-28 19:40:00", "pharm", "VIP1", "view");
        let routine = round.alerts();
        let vip = routine.iter().find(|a| a.patient == "VIP1").expect("the VIP alert");
        assert!(vip.explanation.contains("the user opened 3 other patients of ED within 6 hours"));
    }

    /// A coder's queue is the charts they code, which they update: their
    /// own charting explains those, and they still count as the queue the
    /// VIP's chart was opened in. A look at the VIP's chart with nothing
    /// else worked around it says it was not part of a queue.
    #[test]
    fn a_coders_queue_counts_the_charts_they_updated() {
        let text_of = |queue: usize| {
            let mut w = world();
            w.user("coder").department("HIM").role("Coder III");
            for k in 0..queue {
                let p = format!("D{k}");
                w.patient(&p);
                w.encounter(&p, "MED", "2026-11-20 08:00:00", Some("2026-11-28 12:00:00"), None);
                w.access(&format!("2026-11-30 10:{k}0:00"), "coder", &p, "view");
                w.access(&format!("2026-11-30 10:{k}5:00"), "coder", &p, "update");
            }
            w.access("2026-11-30 10:45:00", "coder", "VIP1", "view"); // after the VIP's discharge
            let alerts = w.alerts();
            alerts.iter().find(|a| a.patient == "VIP1").expect("VIP alert").explanation.clone()
        };
        let worked = text_of(3);
        assert!(worked.contains("the user worked 3 other such charts within 6 hours"), "{worked}");
        let alone = text_of(0);
        assert!(alone.contains("not part of a queue of work"), "{alone}");
    }

    /// A coder reads through the charts of their queue (a dozen screens
    /// each). Two views of the VIP's chart in the middle of it are a
    /// glance, not the queue's work: the role's reason does not cover it,
    /// and the alert weighs in full. Reading the VIP's chart through like
    /// the others, or a short look that prints (a release of information),
    /// is the queue's work and stays damped.
    #[test]
    fn a_coders_glance_at_a_vip_between_charts_read_through_weighs_in_full() {
        let alert_of = |looks: &[&str]| {
            let mut w = world();
            w.user("coder").department("HIM").role("Coder III");
            for k in 0..6 {
                let p = format!("D{k}");
                w.patient(&p);
                w.encounter(&p, "MED", "2026-11-20 08:00:00", Some("2026-11-28 12:00:00"), None);
                for s in 0..12 {
                    w.access_with(
                        &format!("2026-11-30 {:02}:{:02}:00", 9 + k, s * 4),
                        "coder",
                        &p,
                        "view",
                        "notes",
                        false,
                    );
                }
            }
            for (s, action) in looks.iter().enumerate() {
                w.access_with(&format!("2026-11-30 11:50:{:02}", s * 4), "coder", "VIP1", action, "notes", false);
            }
            let alerts = w.alerts();
            alerts.into_iter().find(|a| a.patient == "VIP1").expect("VIP alert")
        };
        let glance = alert_of(&["view", "view"]);
        assert!(
            glance.explanation.contains(
                "a glance: 2 accesses, reading only, where each of the 6 other charts the user worked within 6 hours \
                 took 12 or more"
            ),
            "{}",
            glance.explanation
        );
        let through = alert_of(&["view"; 12]);
        let printed = alert_of(&["view", "print"]);
        for routine in [&through, &printed] {
            assert!(!routine.explanation.contains("a glance"), "{}", routine.explanation);
            assert!(
                routine.explanation.contains("HIM and coding staff routinely open charts"),
                "{}",
                routine.explanation
            );
            assert!(glance.score > routine.score + 10.0, "{} vs {}", glance.score, routine.score);
        }
    }

    #[test]
    fn a_patient_specific_explanation_does_not_fire() {
        let mut w = world();
        w.user("rn").department("ED").role("Registered Nurse II");
        w.access("2026-11-28 10:00:00", "rn", "VIP1", "view"); // on the VIP's unit during the stay
        assert!(w.run(&VipAccess).is_empty());
    }

    /// The VIP world and a pharmacist who opened `n` MED inpatients once
    /// each over the week before, in the section `section(i)` names.
    fn pharmacist(n: usize, section: impl Fn(usize) -> &'static str) -> World {
        let mut w = world();
        w.user("pharm").department("PHARM").role("Pharmacist II");
        for i in 0..n {
            let p = format!("M{i}");
            w.patient(&p);
            w.encounter(&p, "MED", "2026-11-20 08:00:00", None, None);
            let at = format!("2026-11-2{} 1{}:{:02}:00", 1 + i % 7, i % 10, i / 10);
            w.access_with(&at, "pharm", &p, "view", section(i), false);
        }
        w
    }

    /// The pharmacist's look at the VIP's chart on the 28th, a minute per
    /// section, and its alert.
    fn vip_look(mut w: World, sections: &[&str]) -> crate::test_fixture::ScoredAlert {
        for (k, c) in sections.iter().enumerate() {
            w.access_with(&format!("2026-11-28 12:0{k}:00"), "pharm", "VIP1", "view", c, false);
        }
        w.alerts().into_iter().find(|a| a.patient == "VIP1").expect("VIP alert")
    }

    /// A pharmacist whose work is medications: a look at the VIP's notes
    /// during the stay is not that work, and scores above a look at the
    /// VIP's medications.
    #[test]
    fn a_section_the_user_never_opens_is_named_and_weighs_more() {
        let score_of = |category: &str| {
            let mut w = pharmacist(60, |_| "medications");
            w.access_with("2026-11-28 12:00:00", "pharm", "VIP1", "view", category, false);
            let alerts = w.alerts();
            let a = alerts.iter().find(|a| a.patient == "VIP1").expect("VIP alert").clone();
            (a.score, a.explanation)
        };
        let (notes, text) = score_of("notes");
        let (meds, routine) = score_of("medications");
        assert!(
            text.contains("opened notes, which make up 2% of the user's accesses: not the user's usual work"),
            "{text}"
        );
        assert!(!routine.contains("usual work"), "{routine}");
        assert!(notes > meds, "{notes} vs {meds}");
    }

    /// A pharmacist who reads notes now and then (3-4% of their
    /// accesses, under the 5% of usual work): one look at the VIP's notes
    /// beside one at the medications is no pattern, and the alert does not
    /// call it one; two of four is, and it does.
    #[test]
    fn one_access_of_two_in_a_section_opened_now_and_then_is_no_pattern() {
        let text_of = |sections: &[&str]| {
            let w = pharmacist(100, |i| if i % 50 == 0 { "notes" } else { "medications" });
            vip_look(w, sections).explanation
        };
        let one = text_of(&["medications", "notes"]);
        assert!(!one.contains("usual work"), "{one}");
        let two = text_of(&["medications", "notes", "medications", "notes"]);
        assert!(
            two.contains("opened notes, which make up 4% of the user's accesses: not the user's usual work"),
            "{two}"
        );
    }

    /// A role's reason covers the role's work. A pharmacist who opens a
    /// VIP inpatient's notes and demographics and never a medication did
    /// none of it: the rule weighs in full, and the alert names the user's
    /// usual work. So does a look at a section the user all but never
    /// opens (billing), even beside their usual work. The look-alike, a
    /// pharmacist verifying the VIP's medications and orders, stays damped.
    #[test]
    fn nothing_of_the_users_usual_work_opened_weighs_in_full() {
        let alert_of = |sections: &[&str]| {
            vip_look(pharmacist(150, |i| if i % 5 == 0 { "orders" } else { "medications" }), sections)
        };
        let snoop = alert_of(&["notes", "demographics", "notes"]);
        let work = alert_of(&["medications", "orders", "medications"]);
        // Medications verified, and the billing section the user never opens.
        let odd = alert_of(&["medications", "billing", "medications"]);
        assert!(
            odd.explanation
                .contains("opened billing, which the user all but never opens, so the role's reason does not cover it"),
            "{}",
            odd.explanation
        );
        assert!(odd.score > work.score + 10.0, "{} vs {}", odd.score, work.score);
        assert!(
            snoop
                .explanation
                .contains("none of what was opened is the user's usual work (medications 78%, orders 20%)"),
            "{}",
            snoop.explanation
        );
        assert!(!work.explanation.contains("usual work ("), "{}", work.explanation);
        assert!(snoop.score > work.score + 10.0, "{} vs {}", snoop.score, work.score);
        // A reason that covers none of it links nothing: the snoop also
        // earns "no care link at all", besides the rule in full and the
        // sections the user rarely opens (3 accesses: two repeats).
        let w = world();
        let s = crate::config::ScoreParams::default();
        let p = 1.0
            - (1.0 - w.weight::<VipAccess>())
                * (1.0 - s.off_pattern_weight)
                * (1.0 - s.unexplained_weight)
                * 0.98f64.powi(2);
        assert_eq!(snoop.score, (p * 1000.0).round() / 10.0, "{}", snoop.explanation);
    }
}
