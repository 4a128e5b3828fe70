//! `unexplained_browsing`: many unrelated records, each harmless-looking
//! alone.
//!
//! Why it matters: curious browsing (a handful of charts opened here and
//! there, none linked to the user's work) is the commonest snooping and
//! invisible to rules about one record. Each user's count of distinct
//! patients that no care explains is compared with their peer group (robust
//! z-score against the group's median and MAD; all users when there are no
//! peer groups) and with users of the same role class. Patients the user
//! opened in a round of their unit's patients (three or more of one unit
//! within a few hours: a nocturnist's cross-cover, a float shift) are work
//! the data does not link, not browsing: they are left out of the count,
//! and the alert says how many. A patient whose only link is a care-team
//! group's (colleagues the user works with treated them, within days)
//! counts too: the link names no task of the user's for that patient, and
//! a browser's unit colleagues treat many of the patients browsed. An
//! outlier gets one finding per patient no care explains at all (a
//! team-only patient alone is a colleague helped, and its look is named
//! only in the count), so each record can be reviewed; beyond
//! `max_patient_alerts` patients the pattern is bulk behaviour and one
//! user-level finding replaces them.
//!
//! Example: a nurse opens nine records of patients nobody on her unit
//! treats, in the evenings over two weeks; her peers have none or one.

use std::collections::BTreeMap;

use crate::detect::finding::{AlertKind, Fact, Finding};
use crate::detect::input::{DetectInput, Rule};
use crate::detect::params::{finite_at_least, positive, Invalid, RuleParams, RuleSettings};
use crate::features::robust_center_scale;
use crate::model::NONE;

/// `[rules.unexplained_browsing]`, besides `enabled` and `weight`.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct UnexplainedBrowsingParams {
    /// Distinct unexplained patients a user needs, at least.
    pub min_patients: u32,
    /// Robust z-score against the peer group, at least.
    pub z: f64,
    /// Above this many unexplained patients one user-level finding replaces
    /// the per-patient findings (bulk behaviour, covered by the exfiltration
    /// rules).
    pub max_patient_alerts: u32,
    /// When this many times as many unexplained patients were opened in
    /// rounds of a unit's patients as outside them, the few outside are
    /// the tail of that unlinked work, not browsing (0: off).
    pub rounds_ratio: u32,
}

impl Default for UnexplainedBrowsingParams {
    fn default() -> Self {
        Self { min_patients: 4, z: 3.5, max_patient_alerts: 25, rounds_ratio: 3 }
    }
}

impl RuleParams for UnexplainedBrowsingParams {
    fn check(&self) -> Result<(), Invalid> {
        positive("min_patients", self.min_patients)?;
        // `max_patient_alerts`: any count (its type rejects the rest).
        finite_at_least("z", self.z, 0.0, "a robust z-score of 0 or more")
    }
}

/// The rule.
pub struct UnexplainedBrowsing;

impl Rule for UnexplainedBrowsing {
    const ID: &'static str = "unexplained_browsing";
    const DEFAULTS: RuleSettings = RuleSettings::weight(0.45);
    type Params = UnexplainedBrowsingParams;

    fn check(&self, input: &DetectInput<'_>) -> Result<(), String> {
        if input.features.users.len() < 10 {
            return Err("fewer than 10 users to compare with".into());
        }
        Ok(())
    }

    fn run(&self, p: &Self::Params, input: &DetectInput<'_>) -> Vec<Finding> {
        let users = &input.features.users;
        // Patients no care explains, and those whose only link is a
        // care-team group's: colleagues treated them, which names no task
        // of the user's for the patient.
        let unlinked = |s: &crate::features::UserStats| s.unexplained_patients + s.team_only_patients;
        let ev = &input.data.events;
        // Group of each user: the peer group, or one group of everybody.
        let group = |i: usize| input.features.peers.as_ref().map_or(0, |g| g.assignment[i]);
        let label =
            |g: usize| input.features.peers.as_ref().map_or_else(|| "all users".to_string(), |pg| pg.labels[g].clone());
        // Users of the same role class: a second comparison, so a role
        // whose work is unexplained by design (research coordinators with a
        // study list) is measured against itself too.
        let role = |u: u32| input.explained.roles.class(u).map(|c| c.as_str().to_string());
        // Over every user: once per run, not once per partition.
        let run_wide = input.features.memo(Self::ID, || {
            let mut counts: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
            for (i, (_, s)) in users.iter().enumerate() {
                counts.entry(group(i)).or_default().push(unlinked(s) as f64);
            }
            let stats: BTreeMap<usize, (f64, f64)> =
                counts.iter().map(|(g, v)| (*g, robust_center_scale(v, 1.0))).collect();
            let mut by_role: BTreeMap<String, Vec<f64>> = BTreeMap::new();
            for (u, s) in users.iter() {
                if let Some(r) = role(*u) {
                    by_role.entry(r).or_default().push(unlinked(s) as f64);
                }
            }
            let role_stats: BTreeMap<String, (f64, f64)> = by_role
                .into_iter()
                .filter(|(_, v)| v.len() >= 5)
                .map(|(r, v)| (r, robust_center_scale(&v, 1.0)))
                .collect();
            (stats, role_stats)
        });
        let (stats, role_stats) = &*run_wide;
        let mut out = Vec::new();
        let panel_role = |u: u32| input.is_panel_role(u);
        for (i, (user, s)) in users.iter().enumerate() {
            // Panel roles (research coordinators) open patients no encounter
            // explains by design; without their study lists in the bundle their
            // breadth says nothing. Every other rule still applies to them.
            if !input.scope.contains(*user) || panel_role(*user) {
                continue;
            }
            let (center, scale) = stats[&group(i)];
            let role_center_scale = role(*user).and_then(|r| role_stats.get(&r).copied());
            // Enough patients, and an outlier in the peer group and among
            // the users of the same role class.
            let outlying = |n: usize| {
                let n_f = n as f64;
                n >= p.min_patients as usize
                    && (n_f - center) / scale >= p.z
                    && role_center_scale.is_none_or(|(rc, rs)| (n_f - rc) / rs >= p.z)
            };
            // All unexplained patients first (the patients outside rounds
            // are never more): most users stop here, before any round is
            // looked for.
            if !outlying(unlinked(s) as usize) {
                continue;
            }
            let range = s.days.first().map_or(0..0, |d| d.events.start..s.days.last().map_or(0, |l| l.events.end));
            // The user's work per unit, scanned once per unit rather than
            // once per unexplained patient.
            let units = crate::detect::rounds::Units::default();
            let team = crate::features::team_only_patients(&input.explained.kind, &ev.patient, range.clone());
            let unexplained = range.clone().filter(|&k| {
                let kind = input.explained.kind[k];
                ev.patient[k] != NONE
                    && (!kind.is_explained()
                        || (kind == crate::explain::Explanation::CareTeamGroup && team.contains(&ev.patient[k])))
            });
            // Curious browsing is a record here and there; a patient opened
            // in a round of the unit's patients, or in a unit the user works
            // in day after day (a nocturnist's cross-cover, a float shift),
            // is work the data does not link, and not counted.
            let (by_patient, rounds): (Vec<_>, Vec<_>) =
                input.by_patient(unexplained).into_iter().partition(|(patient, events)| {
                    crate::detect::rounds::unit_round(input, *patient, events, range.clone(), 0, &units).is_none()
                });
            // Most of the unexplained patients in rounds: the few outside
            // them are that unlinked work's tail (a cross-covering
            // physician's odd patient), not browsing.
            if !outlying(by_patient.len())
                || (p.rounds_ratio > 0 && rounds.len() >= p.rounds_ratio as usize * by_patient.len())
            {
                continue;
            }
            let fact = Fact::UnexplainedBreadth {
                patients: by_patient.len() as u64,
                days: u64::from(s.active_days),
                peer_median: center,
                peer_label: label(group(i)),
                in_rounds: rounds.len() as u64,
                team_only: by_patient.iter().filter(|(patient, _)| team.contains(patient)).count() as u64,
            };
            if by_patient.len() > p.max_patient_alerts as usize {
                out.push(Finding {
                    rule: Self::ID,
                    kind: AlertKind::Behaviour,
                    user: *user,
                    patient: NONE,
                    events: by_patient.iter().flat_map(|(_, v)| v.iter().copied()).collect::<Vec<_>>(),
                    facts: vec![fact],
                    downgraded: false,
                });
                continue;
            }
            // A patient whose only link is a care-team group's counts
            // toward the breadth; the alerts are for the patients no care
            // explains at all.
            for (patient, events) in by_patient.into_iter().filter(|(patient, _)| !team.contains(patient)) {
                out.push(Finding {
                    rule: Self::ID,
                    kind: AlertKind::Snooping,
                    user: *user,
                    patient,
                    events,
                    facts: vec![fact.clone()],
                    downgraded: false,
                });
            }
        }
        for f in &mut out {
            f.events.sort_unstable();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_fixture::World;

    /// Twenty nurses on one unit who each treat their own patients.
    fn unit() -> World {
        let mut w = World::new();
        for n in 0..20 {
            let u = format!("rn{n}");
            w.user(&u).department("MED").role("nurse");
            for k in 0..5 {
                let p = format!("M{n}-{k}");
                w.patient(&p);
                w.encounter(&p, "MED", "2026-11-01 00:00:00", None, None);
                w.access(&format!("2026-11-0{} 10:00:00", k + 2), &u, &p, "view");
            }
        }
        w
    }

    #[test]
    fn fires_once_per_unrelated_record_of_an_outlying_user() {
        let mut w = unit();
        for k in 0..8 {
            w.access(&format!("2026-11-0{} 21:00:00", k % 8 + 1), "rn3", &format!("X{k}"), "view");
        }
        let found = w.run(&UnexplainedBrowsing);
        assert_eq!(found.len(), 8);
        assert!(found.iter().all(|f| w.user_of(f) == "rn3" && f.kind == AlertKind::Snooping));
        assert!(found[0].facts[0].sentence().starts_with("opened 8 patients' records that no care explains"));
    }

    /// Breadth weighs: nine records browsed (each opened once, at the same
    /// hour, nothing else differs) rank above four, and the alert names the
    /// count that raised it.
    #[test]
    fn a_broader_browser_scores_higher_than_a_narrow_one() {
        let mut w = unit();
        for k in 0..9 {
            w.access(&format!("2026-11-0{} 11:00:00", k % 8 + 1), "rn3", &format!("X{k}"), "view");
        }
        for k in 0..4 {
            w.access(&format!("2026-11-0{} 11:00:00", k + 1), "rn7", &format!("Y{k}"), "view");
        }
        // In twenty users both stand out from the peer model too, whose
        // user-level alert would carry their records: compare the records.
        w.config.rules =
            crate::config::Config::parse("[rules.peer_outlier]\nenabled = false\n", std::path::Path::new("t.toml"))
                .expect("parses")
                .rules;
        let alerts = w.alerts();
        let score_of = |u: &str| {
            let mine: Vec<_> = alerts.iter().filter(|a| a.user == u && a.rules == ["unexplained_browsing"]).collect();
            assert!(!mine.is_empty(), "{u}: {alerts:?}");
            mine.iter().map(|a| a.score).fold(f64::MIN, f64::max)
        };
        let (broad, narrow) = (score_of("rn3"), score_of("rn7"));
        assert!(broad > narrow, "nine records {broad} vs four {narrow}");
        let text = &alerts.iter().find(|a| a.user == "rn3").expect("rn3's alert").explanation;
        assert!(text.starts_with("opened 9 patients' records that no care explains"), "{text}");
    }

    /// rn3 works with rn4 (they share rn4's five patients), opens
    /// `unexplained` records no care explains, one an evening, and
    /// `team` surgical patients rn4 treated that day, one a day: rn4's
    /// care explains those only at the group level.
    fn teamwork(unexplained: usize, team: usize) -> World {
        let mut w = unit();
        for k in 0..5 {
            w.access(&format!("2026-11-0{} 11:00:00", k + 2), "rn3", &format!("M4-{k}"), "view");
        }
        for k in 0..team {
            let (p, day) = (format!("T{k}"), format!("2026-11-{:02}", 3 + k));
            w.patient(&p);
            w.encounter(&p, "SURG", &format!("{day} 08:00:00"), None, Some("rn4"));
            w.access(&format!("{day} 09:00:00"), "rn4", &p, "view");
            w.access(&format!("{day} 15:00:00"), "rn3", &p, "view");
        }
        for k in 0..unexplained {
            w.access(&format!("2026-11-0{} 21:00:00", k + 1), "rn3", &format!("X{k}"), "view");
        }
        w
    }

    /// Three records no care explains are too few (4 patients needed);
    /// with two patients a colleague treated, which only the care-team
    /// group links, five are an outlier: the alerts are for the three, and
    /// they say the count holds two team-only patients. Team-only patients
    /// alone (a colleague helped) raise no alert.
    #[test]
    fn patients_only_a_care_team_group_links_count_toward_browsing() {
        let w = teamwork(3, 2);
        let kinds: Vec<_> =
            w.explanations().into_iter().filter(|(u, p, _)| u == "rn3" && p.starts_with('T')).map(|e| e.2).collect();
        assert_eq!(kinds, [crate::explain::Explanation::CareTeamGroup; 2], "the fixture's team link");
        let found = w.run(&UnexplainedBrowsing);
        let mut patients: Vec<String> = found.iter().map(|f| w.patient_of(f)).collect();
        patients.sort();
        assert_eq!(patients, ["X0", "X1", "X2"]);
        let text = found[0].facts[0].sentence();
        assert!(
            text.starts_with(
                "opened 5 patients' records that no care explains (for 2 of them, only that colleagues the user works with treated them"
            ),
            "{text}"
        );
        assert!(teamwork(3, 0).run(&UnexplainedBrowsing).is_empty(), "three alone are too few");
        assert!(teamwork(0, 5).run(&UnexplainedBrowsing).is_empty(), "a colleague helped");
    }

    #[test]
    fn research_coordinators_are_compared_with_each_other_too() {
        let mut w = unit();
        for c in 0..5 {
            let u = format!("rc{c}");
            w.user(&u).department("RES").role("research");
            for k in 0..(7 + c) {
                w.access(&format!("2026-11-0{} 11:00:00", k % 8 + 1), &u, &format!("S{c}-{k}"), "view");
            }
        }
        assert!(w.run(&UnexplainedBrowsing).is_empty());
    }

    #[test]
    fn a_user_with_an_unexplained_record_or_two_like_peers_does_not_fire() {
        let mut w = unit();
        for n in 0..20 {
            w.access("2026-11-08 12:00:00", &format!("rn{n}"), &format!("Y{n}"), "view");
        }
        w.access("2026-11-08 13:00:00", "rn3", "Z1", "view");
        assert!(w.run(&UnexplainedBrowsing).is_empty());
    }

    /// A nurse who covers the surgical unit on two nights: eight of its
    /// patients, four at a time within an hour. No encounter links her to
    /// them, but a round of a unit's patients is work, not browsing.
    fn cross_cover(w: &mut World) {
        for k in 0..8 {
            let p = format!("S{k}");
            w.patient(&p);
            w.encounter(&p, "SURG", "2026-11-01 00:00:00", None, None);
            let night = if k < 4 { 3 } else { 6 };
            w.access(&format!("2026-11-0{night} 23:{:02}:00", 10 * (k % 4)), "rn3", &p, "view");
        }
    }

    #[test]
    fn a_round_of_another_units_patients_does_not_fire() {
        let mut w = unit();
        cross_cover(&mut w);
        assert!(w.run(&UnexplainedBrowsing).is_empty());
    }

    /// A float nurse who works the surgical unit day after day, opening its
    /// patients one at a time (12 hours apart, never a round): twelve
    /// patients on six days make it a unit she covers, and they are not
    /// browsing. The same twelve opens spread over twelve units would be.
    #[test]
    fn patients_of_a_unit_the_user_covers_do_not_fire_though_never_in_a_round() {
        let mut w = unit();
        for k in 0..12 {
            let p = format!("S{k}");
            w.patient(&p);
            w.encounter(&p, "SURG", "2026-11-01 00:00:00", None, None);
            let (day, hour) = (k / 2 + 1, if k % 2 == 0 { "02" } else { "14" });
            w.access(&format!("2026-11-0{day} {hour}:00:00"), "rn3", &p, "view");
        }
        assert!(w.run(&UnexplainedBrowsing).is_empty());

        let mut spread = unit();
        for k in 0..12 {
            let p = format!("S{k}");
            spread.patient(&p);
            spread.encounter(&p, &format!("UNIT{k}"), "2026-11-01 00:00:00", None, None);
            let (day, hour) = (k / 2 + 1, if k % 2 == 0 { "02" } else { "14" });
            spread.access(&format!("2026-11-0{day} {hour}:00:00"), "rn3", &p, "view");
        }
        assert_eq!(spread.run(&UnexplainedBrowsing).len(), 12);
    }

    #[test]
    fn records_here_and_there_fire_and_the_round_beside_them_is_left_out() {
        let mut w = unit();
        cross_cover(&mut w);
        for k in 0..5 {
            w.access(&format!("2026-11-0{} 14:00:00", k + 1), "rn3", &format!("X{k}"), "view");
        }
        let found = w.run(&UnexplainedBrowsing);
        let patients: Vec<String> = found.iter().map(|f| w.patient_of(f)).collect();
        assert_eq!(patients, ["X0", "X1", "X2", "X3", "X4"], "{found:?}");
        let text = found[0].facts[0].sentence();
        assert!(
            text.starts_with("opened 5 patients' records that no care explains, each apart from any round"),
            "{text}"
        );
        assert!(text.contains("8 more opened in rounds of a unit's patients"), "{text}");
    }

    /// A physician cross-covering the surgical unit on six nights: 24 of
    /// its patients in rounds, and 4 more opened alone on the same unit's
    /// ward on other days. With three times as many in rounds as outside,
    /// the four are that work's tail, not browsing; with the ratio off
    /// (0) they fire.
    #[test]
    fn a_few_records_beside_many_rounds_are_the_rounds_tail() {
        let mut w = unit();
        for k in 0..24 {
            let p = format!("S{k}");
            w.patient(&p);
            w.encounter(&p, "SURG", "2026-11-01 00:00:00", None, None);
            w.access(&format!("2026-11-{:02} 23:{:02}:00", 1 + 2 * (k / 4), 10 * (k % 4)), "rn3", &p, "view");
        }
        for k in 0..4 {
            let p = format!("T{k}");
            w.patient(&p);
            w.encounter(&p, &format!("UNIT{k}"), "2026-11-01 00:00:00", None, None);
            w.access(&format!("2026-11-{:02} 12:00:00", 2 + 2 * k), "rn3", &p, "view");
        }
        assert!(w.run(&UnexplainedBrowsing).is_empty());
        w.config.rules = crate::config::Config::parse(
            "[rules.unexplained_browsing]\nrounds_ratio = 0\n",
            std::path::Path::new("t.toml"),
        )
        .expect("parses")
        .rules;
        assert_eq!(w.run(&UnexplainedBrowsing).len(), 4);
    }
}
