//! `restricted_access`: a restricted chart, or a sensitive section of any
//! chart, opened without a care explanation.
//!
//! Why it matters: psychiatry, substance use (42 CFR Part 2), HIV,
//! reproductive and genetic records carry extra legal protection and the
//! greatest harm when exposed. Care teams open them daily, so only accesses
//! no direct care link clears are evidence; those outrank a coworker's chart
//! in another department (weight 0.5 against 0.45) and stay below a VIP's.
//!
//! Example: an IT analyst opens the behavioural-health notes of a patient on
//! a confidential psychiatric unit, with no link to the patient.
//!
//! The diagnosis is what a snooper comes for. When most of what the user
//! opened of the chart around those reads (within an hour) is a sensitive
//! section, at least `focus_accesses` times, and sensitive sections are
//! rare in the user's own work (under `focus_usual_share` of their patient
//! accesses), the finding states it ([`Fact::SensitiveFocus`]) and weighs
//! `focus_weight`. Care reads a chart whole; a look at one section, over
//! and over, is a search for it.

use crate::detect::finding::{AlertKind, Fact, Finding};
use crate::detect::input::{DetectInput, Rule};
use crate::detect::params::{unit, Invalid, RuleParams, RuleSettings};
use crate::model::Code;

/// `[rules.restricted_access]`, besides `enabled` and `weight`.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct RestrictedParams {
    /// Weight in 0..=1 when a restricted chart was opened but no sensitive
    /// section of it was read ([`Fact::NoSensitiveSection`]): the flag alone
    /// is weaker evidence than the diagnosis a snooper comes for.
    pub chart_only_weight: f64,
    /// Weight in 0..=1 when the look went straight to the sensitive
    /// sections ([`Fact::SensitiveFocus`]).
    pub focus_weight: f64,
    /// Sensitive reads, at the least, that make a look a focused one (0
    /// turns the focus off).
    pub focus_accesses: u32,
    /// The user's own share of sensitive reads over their patient
    /// accesses below which a focused look is out of their way of work.
    pub focus_usual_share: f64,
}

impl Default for RestrictedParams {
    fn default() -> Self {
        Self { chart_only_weight: 0.35, focus_weight: 0.7, focus_accesses: 3, focus_usual_share: 0.05 }
    }
}

impl RuleParams for RestrictedParams {
    fn check(&self) -> Result<(), Invalid> {
        unit("chart_only_weight", self.chart_only_weight)?;
        unit("focus_weight", self.focus_weight)?;
        unit("focus_usual_share", self.focus_usual_share)
    }
}

/// Within this of a sensitive read, the user's other accesses to the chart
/// count as the same look.
const FOCUS_REACH: i64 = 3_600_000_000;

/// [`Fact::SensitiveFocus`] for `user`'s flagged accesses `hits` to
/// `patient`, when most of what the user opened of the chart within
/// [`FOCUS_REACH`] of a sensitive read is a sensitive section, at least
/// `focus_accesses` times, and such sections are under `focus_usual_share`
/// of the user's other patient accesses (known only with 50 or more).
fn focus(
    params: &RestrictedParams,
    input: &DetectInput<'_>,
    user: Code,
    patient: Code,
    hits: &[usize],
) -> Option<Fact> {
    let events = &input.data.events;
    let reads: Vec<i64> = hits.iter().filter(|&&i| events.category[i].is_sensitive()).map(|&i| events.ts[i]).collect();
    if params.focus_accesses == 0 || reads.len() < params.focus_accesses as usize {
        return None;
    }
    let stats = input.features.get(user).filter(|s| s.patient_accesses >= 50)?;
    // The user's other work: this look's own reads left out.
    let own = reads.len() as u64;
    let usual = crate::features::ratio(
        u64::from(stats.sensitive_accesses).saturating_sub(own),
        u64::from(stats.patient_accesses).saturating_sub(own),
    );
    if usual >= params.focus_usual_share {
        return None;
    }
    let chart = input.patient_groups().of(user).find(|(p, _)| *p == patient)?.1;
    let (mut sensitive, mut near) = (0u32, 0u32);
    for &i in chart {
        let (i, t) = (i as usize, events.ts[i as usize]);
        // `reads` ascend: the first read at or after t - reach decides.
        let k = reads.partition_point(|&r| r < t - FOCUS_REACH);
        if reads.get(k).is_some_and(|&r| r <= t + FOCUS_REACH) {
            near += 1;
            sensitive += u32::from(events.category[i].is_sensitive());
        }
    }
    (sensitive >= params.focus_accesses && sensitive * 2 >= near).then(|| Fact::SensitiveFocus {
        sensitive,
        of: near,
        usual_per_mille: (usual * 1000.0).round() as u32,
    })
}

/// The rule.
pub struct RestrictedAccess;

impl Rule for RestrictedAccess {
    const ID: &'static str = "restricted_access";
    const DEFAULTS: RuleSettings = RuleSettings::weight(0.5);
    type Params = RestrictedParams;

    fn weaker_weights(&self, params: &RestrictedParams) -> Vec<(Fact, f64)> {
        vec![(Fact::NoSensitiveSection, params.chart_only_weight)]
    }

    fn stronger_weights(&self, params: &RestrictedParams) -> Vec<(Fact, f64)> {
        vec![(Fact::SensitiveFocus { sensitive: 0, of: 0, usual_per_mille: 0 }, params.focus_weight)]
    }

    // No `check`: it needs either patients.restricted or
    // access_log.data_category, and both are checked per event.

    fn run(&self, params: &Self::Params, input: &DetectInput<'_>) -> Vec<Finding> {
        let events = &input.data.events;
        let patients = input.data.patients.as_ref();
        let restricted = |p| patients.and_then(|t| t.get(p)).is_some_and(|r| r.restricted);
        input.per_user(|user, range| {
            let hits = range.filter(|&i| {
                !input.explained.kind[i].is_patient_specific()
                    && events.has_patient(i)
                    && (events.category[i].is_sensitive() || restricted(events.patient[i]))
            });
            input
                .by_patient(hits)
                .into_iter()
                .map(|(patient, evs)| {
                    let mut facts = Vec::new();
                    if restricted(patient) {
                        facts.push(Fact::RestrictedChart);
                    }
                    let mut categories: Vec<&'static str> = evs
                        .iter()
                        .map(|&i| events.category[i])
                        .filter(|c| c.is_sensitive())
                        .map(|c| c.as_str())
                        .collect();
                    categories.sort_unstable();
                    categories.dedup();
                    if !categories.is_empty() {
                        facts.push(Fact::SensitiveCategories { categories });
                        facts.extend(focus(params, input, user, patient, &evs));
                    } else if facts.contains(&Fact::RestrictedChart) {
                        facts.push(Fact::NoSensitiveSection);
                    }
                    Finding {
                        rule: Self::ID,
                        kind: AlertKind::Snooping,
                        user,
                        patient,
                        events: evs,
                        facts,
                        downgraded: false,
                    }
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
    fn fires_on_restricted_charts_and_sensitive_sections() {
        let mut w = World::new();
        w.user("it1").department("IT");
        w.patient("P1").restricted();
        w.patient("P2");
        w.access("2026-11-28 10:00:00", "it1", "P1", "view");
        w.access_with("2026-11-28 10:05:00", "it1", "P2", "view", "hiv", false);
        w.access_with("2026-11-28 10:06:00", "it1", "P2", "view", "behavioral_health", false);
        let found = w.run(&RestrictedAccess);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].facts, vec![Fact::RestrictedChart, Fact::NoSensitiveSection]);
        assert_eq!(found[1].facts[0].sentence(), "opened sensitive sections: behavioral health, hiv");
    }

    #[test]
    fn a_restricted_chart_with_no_care_link_ranks_above_a_coworker_elsewhere_and_below_a_vip() {
        let mut w = World::new();
        w.user("rn").department("SURG").role("nurse");
        w.user("emp").department("LAB").own_record("E");
        w.patient("R").restricted();
        w.patient("E");
        w.patient("V").vip();
        w.encounter("R", "PSY", "2026-11-20 08:00:00", None, None);
        w.access_with("2026-11-28 10:00:00", "rn", "R", "view", "behavioral_health", false);
        w.access("2026-11-28 10:05:00", "rn", "E", "view");
        w.access("2026-11-28 10:10:00", "rn", "V", "view");
        let ranked: Vec<&str> = w.alerts().iter().map(|a| a.rules[0]).collect();
        assert_eq!(ranked, ["vip_access", "restricted_access", "coworker"]);
    }

    /// What a snooper of a confidential chart comes for is the diagnosis:
    /// the same restricted chart opened without reading a sensitive section
    /// (a clerk's look at its demographics) fires at `chart_only_weight`,
    /// says so, and ranks below the read of its behavioural-health notes.
    #[test]
    fn a_restricted_chart_opened_without_its_sensitive_sections_weighs_less() {
        let alert = |category: &str| {
            let mut w = World::new();
            w.user("rn").department("SURG").role("nurse");
            w.patient("R").restricted();
            w.encounter("R", "PSY", "2026-11-20 08:00:00", None, None);
            w.access_with("2026-11-28 10:00:00", "rn", "R", "view", category, false);
            w.alerts().remove(0)
        };
        let (flag, read) = (alert("demographics"), alert("behavioral_health"));
        assert!(flag
            .explanation
            .contains("the chart is restricted (confidential); no sensitive section of it was opened"));
        assert!(!read.explanation.contains("no sensitive section"), "{}", read.explanation);
        assert!(flag.score + 5.0 < read.score, "{} vs {}", flag.score, read.score);
    }

    /// A surgical nurse with a month of ordinary work (notes, results,
    /// medications of the unit's patients, none sensitive) and
    /// `home`'s staff: `reads` are the user's accesses to patient H's chart
    /// on one morning, minutes apart, by section.
    fn nurse_reading(home_sensitive: bool, reads: &[&str]) -> World {
        let mut w = World::new();
        w.user("rn").department("SURG").role("nurse");
        w.patient("H");
        w.encounter("H", "IDC", "2026-11-20 08:00:00", Some("2026-11-20 09:00:00"), None);
        for d in 0..20 {
            let p = format!("S{d}");
            w.patient(&p);
            let day = format!("2026-11-{:02}", d + 1);
            w.encounter(&p, "SURG", &format!("{day} 07:00:00"), Some(&format!("{day} 18:00:00")), Some("rn"));
            for (k, cat) in ["notes", "results", "medications"].iter().enumerate() {
                let cat = if home_sensitive && k == 0 { "behavioral_health" } else { cat };
                w.access_with(&format!("{day} 09:0{k}:00"), "rn", &p, "view", cat, false);
            }
        }
        for (k, cat) in reads.iter().enumerate() {
            w.access_with(&format!("2026-11-28 10:{:02}:00", 2 * k), "rn", "H", "view", cat, false);
        }
        w
    }

    /// The look that went straight to the diagnosis (four reads of the HIV
    /// section and nothing else of the chart) states it, earns
    /// `focus_weight` and outranks the same HIV reads inside a whole-chart
    /// read (notes, results, medications around them), which does not.
    #[test]
    fn a_look_straight_at_the_diagnosis_says_so_and_weighs_more() {
        let alert = |reads: &[&str]| {
            let w = nurse_reading(false, reads);
            w.alerts().into_iter().find(|a| a.patient == "H").expect("an alert on H")
        };
        let focused = alert(&["hiv", "hiv", "hiv", "hiv"]);
        let whole = alert(&["notes", "hiv", "results", "hiv", "medications", "hiv", "notes", "hiv", "results"]);
        assert!(
            focused.explanation.contains(
                "went straight to the sensitive sections: 4 of the user's 4 accesses to the chart within the hour read them, sections that make up under 1% of the user's work"
            ),
            "{}",
            focused.explanation
        );
        assert!(!whole.explanation.contains("went straight"), "{}", whole.explanation);
        assert!(focused.score > whole.score + 5.0, "{} vs {}", focused.score, whole.score);
        // Two reads are not a pattern.
        let two = alert(&["hiv", "hiv"]);
        assert!(!two.explanation.contains("went straight"), "{}", two.explanation);
    }

    /// Staff whose own work reads sensitive sections (a third of this
    /// nurse's accesses are behavioural-health notes) are not out of their
    /// way when they do it again: no focus, the plain weight.
    #[test]
    fn a_user_whose_work_reads_sensitive_sections_is_not_focused() {
        let w = nurse_reading(true, &["hiv", "hiv", "hiv", "hiv"]);
        let found: Vec<Finding> = w.run(&RestrictedAccess).into_iter().filter(|f| w.patient_of(f) == "H").collect();
        assert_eq!(found.len(), 1);
        assert!(!found[0].facts.iter().any(|f| matches!(f, Fact::SensitiveFocus { .. })), "{:?}", found[0].facts);
    }

    #[test]
    fn the_psychiatric_care_team_does_not_fire() {
        let mut w = World::new();
        w.user("psy").department("PSY");
        w.patient("P1").restricted();
        w.encounter("P1", "PSY", "2026-11-27 08:00:00", None, None);
        w.access_with("2026-11-28 10:00:00", "psy", "P1", "view", "behavioral_health", false);
        assert!(w.run(&RestrictedAccess).is_empty());
    }

    /// A research coordinator's study list explains repeat visits to a
    /// patient, but never a restricted chart.
    #[test]
    fn a_recurring_research_panel_never_clears_a_restricted_chart() {
        let mut w = World::new();
        w.user("crc").department("RES").role("Clinical Research Coordinator");
        w.patient("R").restricted();
        w.access("2026-11-26 10:00:00", "crc", "R", "view");
        w.access("2026-11-28 10:00:00", "crc", "R", "view");
        let kinds: Vec<_> = w.explanations().into_iter().map(|(_, _, e)| e).collect();
        assert_eq!(kinds, vec![crate::explain::Explanation::RecurringPanel; 2]);
        let found = w.run(&RestrictedAccess);
        assert_eq!(found.len(), 1);
        assert_eq!(w.user_of(&found[0]), "crc");
    }

    /// The hospital's care_team table lists the coordinator on the study
    /// patient's team: a patient-specific link, which clears the look at
    /// the restricted chart (even on one day only). The same look without
    /// that row, or after the assignment ended, or by a colleague the
    /// table does not list, still fires.
    #[test]
    fn a_listed_study_team_clears_a_restricted_chart_and_nothing_else_does() {
        let world = |team: Option<(&str, Option<&str>)>| {
            let mut w = World::new();
            w.user("crc").department("RES").role("Clinical Research Coordinator");
            w.user("crc2").department("RES").role("Clinical Research Coordinator");
            w.patient("R").restricted();
            if let Some((from, until)) = team {
                w.care_team("R", "crc", Some(from), until);
            }
            w.access_with("2026-11-28 10:00:00", "crc", "R", "view", "behavioral_health", false);
            w.access_with("2026-11-28 11:00:00", "crc2", "R", "view", "behavioral_health", false);
            w
        };
        let users = |w: &World| -> Vec<String> { w.run(&RestrictedAccess).iter().map(|f| w.user_of(f)).collect() };
        let listed = world(Some(("2026-09-01", None)));
        assert_eq!(listed.explanations()[0].2, crate::explain::Explanation::CareTeamMember);
        assert_eq!(users(&listed), ["crc2"], "the listed coordinator is cleared, the other one is not");
        assert_eq!(users(&world(None)), ["crc", "crc2"]);
        assert_eq!(users(&world(Some(("2026-09-01", Some("2026-11-27"))))), ["crc", "crc2"], "the study ended");
    }

    /// A surgical ward since 2026-11-20: the restricted inpatient R and
    /// `beds` more, S0, S1, ...
    fn surgical_ward(w: &mut World, beds: usize) -> Vec<String> {
        w.patient("R").restricted();
        w.encounter("R", "SURG", "2026-11-20 08:00:00", None, None);
        (0..beds)
            .map(|k| {
                let p = format!("S{k}");
                w.patient(&p);
                w.encounter(&p, "SURG", "2026-11-20 08:00:00", None, None);
                p
            })
            .collect()
    }

    /// A surgical ward of inpatients, a medicine nocturnist who covers it
    /// (opens its patients night after night), and a restricted chart on
    /// the ward.
    fn covered_ward(round_tonight: bool) -> World {
        let mut w = World::new();
        w.user("noc").department("MED").role("physician");
        w.user("rn").department("CARD").role("nurse");
        for (k, p) in surgical_ward(&mut w, 12).iter().enumerate() {
            // Earlier nights on the ward: three patients a night.
            let night = 21 + k / 3;
            w.access(&format!("2026-11-{night} 23:{:02}:00", 10 + k % 3), "noc", p, "view");
        }
        if round_tonight {
            w.access("2026-11-28 01:10:00", "noc", "S0", "view");
            w.access("2026-11-28 01:20:00", "noc", "S1", "view");
        }
        w.access("2026-11-28 01:30:00", "noc", "R", "view");
        w.access("2026-11-28 01:30:00", "rn", "R", "view");
        w
    }

    /// Cross-cover: the nocturnist opens the restricted chart during a
    /// round of the ward's patients. It still fires (no task of the user's
    /// ties them to the patient), says so, and ranks below the same look by
    /// a nurse with no work on the ward.
    #[test]
    fn a_restricted_chart_opened_in_a_round_of_its_ward_fires_below_a_lone_look() {
        let w = covered_ward(true);
        let alerts = w.alerts();
        let noc = alerts.iter().find(|a| a.user == "noc").expect("the nocturnist's look still fires");
        let rn = alerts.iter().find(|a| a.user == "rn").expect("the nurse's look fires");
        assert!(noc.score < rn.score, "round {} vs lone {}", noc.score, rn.score);
        assert!(noc
            .explanation
            .contains("the patient was in SURG; the user opened 2 other patients of SURG within 6 hours"));
        assert!(noc.explanation.contains("as when covering the unit"), "{}", noc.explanation);
        assert!(!rn.explanation.contains("covering the unit"));
    }

    /// The same nocturnist, but no other patient of the ward that night:
    /// the look is not part of the ward's work and weighs in full.
    #[test]
    fn a_covered_ward_without_a_round_that_night_weighs_in_full() {
        let alerts = covered_ward(false).alerts();
        let noc = alerts.iter().find(|a| a.user == "noc").expect("fires");
        let rn = alerts.iter().find(|a| a.user == "rn").expect("fires");
        assert_eq!(noc.score, rn.score);
        assert!(!noc.explanation.contains("covering the unit"));
    }

    /// The nocturnist's look in a round of the ward, then a return to the
    /// chart the next afternoon with no work on the ward: the return is
    /// not the ward's work, so the alert weighs in full, as the nurse's
    /// two looks do.
    #[test]
    fn a_return_to_the_chart_away_from_the_wards_work_weighs_in_full() {
        let mut w = covered_ward(true);
        w.access("2026-11-29 14:00:00", "noc", "R", "view");
        w.access("2026-11-29 14:00:00", "rn", "R", "view");
        let alerts = w.alerts();
        let noc = alerts.iter().find(|a| a.user == "noc").expect("fires");
        let rn = alerts.iter().find(|a| a.user == "rn").expect("fires");
        assert!(!noc.explanation.contains("covering the unit"), "{}", noc.explanation);
        assert_eq!(noc.score, rn.score);
    }

    /// The covered ward, where the nocturnist charts the ward's patients
    /// alongside its surgeon ("surg", their provider), who also treats the
    /// restricted patient the evening before: the care-team group links the
    /// nocturnist's look at R (colleagues treated the patient), and the
    /// nurse's look stays unlinked.
    fn covered_ward_with_team(round_tonight: bool) -> World {
        let mut w = covered_ward(round_tonight);
        w.user("surg").department("SURG").role("physician");
        for k in 0..12 {
            let p = format!("S{k}");
            let night = 21 + k / 3;
            w.access_with(&format!("2026-11-{night} 23:{:02}:00", 30 + k % 3), "noc", &p, "update", "notes", false);
            w.access(&format!("2026-11-{night} 10:00:00"), "surg", &p, "view");
        }
        w.encounter("R", "SURG", "2026-11-20 08:00:00", None, Some("surg"));
        w.access("2026-11-27 18:00:00", "surg", "R", "view");
        w
    }

    /// A care-team group's link (colleagues treated the patient) is no task
    /// of the user's, but when the look was the user's work in a ward they
    /// cover, it weighs as the same look with no link at all does (a
    /// unit's work), and the alert says so once; the same look with no
    /// round of the ward that night weighs in full.
    #[test]
    fn a_care_team_groups_look_in_a_covered_wards_round_weighs_as_the_units_work() {
        let score_of = |w: &World| {
            let kinds = w.explanations();
            let link = kinds.iter().find(|(u, p, _)| u == "noc" && p == "R").map(|k| k.2);
            assert_eq!(link, Some(crate::explain::Explanation::CareTeamGroup), "{kinds:?}");
            w.alerts().into_iter().find(|a| a.user == "noc" && a.patient == "R").expect("the look still fires")
        };
        let round = score_of(&covered_ward_with_team(true));
        let lone = score_of(&covered_ward_with_team(false));
        assert!(round.explanation.contains("colleagues the user often works with treated the patient"));
        assert!(round.explanation.contains("as when covering the unit"), "{}", round.explanation);
        assert_eq!(
            round.explanation.matches("other patients of SURG within 6 hours").count(),
            1,
            "{}",
            round.explanation
        );
        assert!(!lone.explanation.contains("covering the unit"), "{}", lone.explanation);
        // The rule's weight is damped (01:30, outside the user's hours,
        // still counts in full in both).
        assert!(round.score + 10.0 < lone.score, "round {} lone {}", round.score, lone.score);
    }

    /// A coder ("Coder III", whose queue is discharged charts) who updates the
    /// surgical ward's inpatients' demographics day after day (no queue's
    /// work: nobody was discharged), then, between two of them, opens a
    /// restricted patient of the ward in `section`.
    fn coder_on_the_ward(section: &str) -> crate::test_fixture::ScoredAlert {
        let mut w = World::new();
        w.user("coder").department("HIM").role("Coder III");
        for (k, p) in surgical_ward(&mut w, 13).iter().enumerate() {
            let day = 21 + k / 3;
            for m in 0..4 {
                w.access_with(
                    &format!("2026-11-{day} 10:{:02}:00", 10 * (k % 3) + m),
                    "coder",
                    p,
                    "update",
                    "demographics",
                    false,
                );
            }
        }
        w.access_with("2026-11-28 10:00:00", "coder", "S0", "update", "demographics", false);
        w.access_with("2026-11-28 10:10:00", "coder", "S1", "update", "demographics", false);
        w.access_with("2026-11-28 10:20:00", "coder", "R", "view", section, false);
        let alerts = w.alerts();
        alerts.into_iter().find(|a| a.user == "coder" && a.patient == "R").expect("the look fires")
    }

    /// Work in the unit covers what the user's work there reads: the
    /// coder's look at the ward's restricted patient's demographics, in a
    /// round of the ward, weighs as the unit's work; the same look at the
    /// notes, which the coder never reads, is not that work and weighs in
    /// full, and says why.
    #[test]
    fn the_units_work_covers_only_what_the_users_work_there_reads() {
        let usual = coder_on_the_ward("demographics");
        let notes = coder_on_the_ward("notes");
        for a in [&usual, &notes] {
            assert!(a.explanation.contains("as when covering the unit"), "{}", a.explanation);
        }
        assert!(!usual.explanation.contains("which work in the unit covers"), "{}", usual.explanation);
        assert!(
            notes.explanation.contains(
                "none of what was opened is the user's usual work (demographics 98%), which work in the unit covers"
            ),
            "{}",
            notes.explanation
        );
        assert!(notes.score > usual.score + 10.0, "notes {} usual {}", notes.score, usual.score);
    }

    /// A registration clerk registers the surgical ward's admissions day
    /// after day (work their role explains, done for every unit from the
    /// desk), then opens a restricted patient of the ward days into the
    /// stay with no task for them. The registrations do not make the clerk
    /// one who covers the ward: the look weighs as a lone look does.
    #[test]
    fn a_roles_own_work_for_a_unit_does_not_make_the_user_cover_it() {
        let mut w = World::new();
        w.user("clerk").department("ADMIT").role("Registration Clerk");
        w.user("rn").department("CARD").role("nurse");
        w.patient("R").restricted();
        w.encounter("R", "SURG", "2026-11-20 08:00:00", None, None);
        for k in 0..13 {
            let p = format!("S{k}");
            w.patient(&p);
            let day = 20 + k / 3;
            w.encounter(&p, "SURG", &format!("2026-11-{day} 09:00:00"), None, None);
            w.access(&format!("2026-11-{day} 09:{:02}:00", 10 + k % 3), "clerk", &p, "view");
        }
        w.access("2026-11-24 10:00:00", "clerk", "R", "view");
        w.access("2026-11-24 10:00:00", "rn", "R", "view");
        let kinds = w.explanations();
        assert!(
            kinds
                .iter()
                .filter(|(u, _, _)| u == "clerk")
                .filter(|(_, p, _)| p.starts_with('S'))
                .all(|(_, _, e)| *e == crate::explain::Explanation::RoleTiming),
            "{kinds:?}"
        );
        let alerts = w.alerts();
        let clerk = alerts.iter().find(|a| a.user == "clerk" && a.patient == "R").expect("fires");
        let rn = alerts.iter().find(|a| a.user == "rn").expect("fires");
        assert!(!clerk.explanation.contains("covering the unit"), "{}", clerk.explanation);
        assert_eq!(clerk.score, rn.score, "{} / {}", clerk.explanation, rn.explanation);
    }

    /// A lab technologist's role explains results during a stay; the chart
    /// is restricted, so it fires; the unit's own nurse does not.
    #[test]
    fn lab_work_during_the_stay_fires_on_a_restricted_chart_and_the_units_nurse_does_not() {
        let mut w = World::new();
        w.user("mt").department("LAB").role("Medical Technologist");
        w.user("rn").department("PSY").role("RN");
        w.patient("R").restricted();
        w.encounter("R", "PSY", "2026-11-27 08:00:00", None, None);
        w.access("2026-11-28 03:00:00", "mt", "R", "view");
        w.access("2026-11-28 10:00:00", "rn", "R", "view");
        let found = w.run(&RestrictedAccess);
        assert_eq!(found.len(), 1);
        assert_eq!(w.user_of(&found[0]), "mt");
    }
}
