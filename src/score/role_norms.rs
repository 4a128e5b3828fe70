//! Role norms: how routine a missing care link is in each role's work.
//!
//! "No care link at all" supports an alert in proportion to how rarely the
//! user's kind of work lacks one. A nurse's or a registrar's records nearly
//! all have one, so a chart with none stands out; an IT analyst working
//! tickets opens records no encounter explains as a matter of course, and a
//! research coordinator follows a study list the bundle does not hold.
//!
//! For each roster role with at least [`MIN_ROLE_USERS`] users who opened
//! patient records, `s` is the median over those users of the share of
//! their patients that nothing (direct or inferred) links them to; the
//! signal's weight is scaled by `1 - s`. Panel roles (research
//! coordinators) are measured the same way: their study patients are
//! explained by the recurring-panel link, so what they open with no link
//! at all is off their list, and counts as much as their role makes it
//! unusual. A user whose title names no role and whose work taught none
//! (an HR title such as "Team Member") is measured with every user of
//! their roster department: an IT department's analysts share a cost
//! centre, whatever their titles. Every rule still fires with its own weight;
//! only this supporting signal changes, and the alert says so.

use std::collections::BTreeMap;

use crate::detect::DetectInput;
use crate::features::median;
use crate::model::{Code, Evidence};

/// Fewer users than this in a role (or a department): no norm, the full
/// weight.
pub const MIN_ROLE_USERS: usize = 5;

/// How routine a missing care link is for one cohort of users: a role
/// class, or a roster department (for the users whose title names no
/// role), and its median share of patients with no care link, above zero.
#[derive(Debug, Clone, PartialEq)]
struct Norm {
    /// The role class's name, or the department's when `department`.
    role: String,
    /// Whether the cohort is every user of a roster department (the norm
    /// of its users with no role class).
    department: bool,
    share: f64,
}

/// The weight of the "no care link" signal for one alert, and the sentence
/// that says why it is lower than configured.
#[derive(Debug, Clone, PartialEq)]
pub struct NoLink {
    /// The signal's weight for this user.
    pub weight: f64,
    /// Why the weight is below the configured one; `None` when it is not.
    pub note: Option<String>,
    /// The role's typical share of patients with no care link (0 without a
    /// norm).
    pub share: f64,
}

/// Norms of the users whose role makes a missing care link routine.
#[derive(Debug, Clone, Default)]
pub struct RoleNorms {
    /// Per user code: the position of the user's role's norm in `norms`
    /// ([`NO_NORM`]: none). A code per user rather than a map to a copy of
    /// the role's name: a run of millions of users kept millions of names.
    by_user: Vec<u32>,
    norms: Vec<Norm>,
}

/// A user whose role has no norm.
const NO_NORM: u32 = u32::MAX;

impl RoleNorms {
    /// Learns the norms from the users' features and the roster.
    pub fn build(input: &DetectInput<'_, Evidence>) -> Self {
        if input.data.roster.is_none() {
            return Self::default();
        }
        // The cohorts a user is measured in: their role class, and their
        // roster department (`true`).
        let class_of = |u: Code| input.explained.roles.class(u).map(|c| (false, c.as_str().to_string()));
        let department_of = |u: Code| {
            input
                .data
                .roster
                .as_ref()
                .and_then(|r| r.get(u))
                .and_then(|r| r.department)
                .map(|d| (true, input.data.dict.departments.name(d).to_string()))
        };
        let mut shares: BTreeMap<(bool, String), Vec<f64>> = BTreeMap::new();
        for (user, s) in &input.features.users {
            if s.distinct_patients == 0 {
                continue;
            }
            let share = s.unexplained_patients as f64 / s.distinct_patients as f64;
            for cohort in [class_of(*user), department_of(*user)].into_iter().flatten() {
                shares.entry(cohort).or_default().push(share);
            }
        }
        let typical: BTreeMap<(bool, String), f64> = shares
            .into_iter()
            .filter(|(_, v)| v.len() >= MIN_ROLE_USERS)
            .map(|(r, mut v)| {
                let m = median(&mut v);
                (r, m)
            })
            .filter(|(_, m)| *m > 0.0)
            .collect();
        let norms: Vec<Norm> =
            typical.into_iter().map(|((department, role), share)| Norm { role, department, share }).collect();
        let mut by_user = vec![NO_NORM; input.features.users.last().map_or(0, |(u, _)| *u as usize + 1)];
        for (user, _) in &input.features.users {
            // The role class when the user has one; the department when not.
            let Some((department, name)) = class_of(*user).or_else(|| department_of(*user)) else { continue };
            if let Some(at) = norms.iter().position(|n| n.department == department && n.role == name) {
                by_user[*user as usize] = at as u32;
            }
        }
        Self { by_user, norms }
    }

    /// The "no care link" signal for `user`, from the configured `weight`.
    pub fn no_link(&self, user: Code, weight: f64) -> NoLink {
        let norm = self.by_user.get(user as usize).and_then(|&at| self.norms.get(at as usize));
        match norm {
            None => NoLink { weight, note: None, share: 0.0 },
            Some(Norm { role, department, share }) => NoLink {
                weight: weight * (1.0 - share.clamp(0.0, 1.0)),
                note: Some(if *department {
                    format!(
                        "a missing care link is routine in the user's department, and the title names no role \
                         ({role}: {} of a typical colleague's patients), so it counts for less",
                        percent(*share)
                    )
                } else {
                    format!(
                        "a missing care link is routine in the user's role ({role}: {} of a typical user's patients), \
                         so it counts for less",
                        percent(*share)
                    )
                }),
                share: *share,
            },
        }
    }
}

fn percent(share: f64) -> String {
    if share < 0.01 {
        "under 1%".to_string()
    } else {
        format!("{:.0}%", share * 100.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_fixture::{ScoredAlert, World};

    /// Five nurses on MED whose patients all have encounters there, five IT
    /// analysts whose ticket work no encounter explains, five research
    /// coordinators following a study list, and a restricted chart (PSY).
    fn hospital() -> World {
        let mut w = World::new();
        for n in 0..5 {
            let (rn, it, rc) = (format!("rn{n}"), format!("it{n}"), format!("rc{n}"));
            w.user(&rn).department("MED").role("nurse");
            w.user(&it).department("IT").role("it");
            w.user(&rc).department("RES").role("research");
            for k in 0..3 {
                let (m, t, s) = (format!("M{n}-{k}"), format!("T{n}-{k}"), format!("S{n}-{k}"));
                w.patient(&m);
                w.patient(&t);
                w.patient(&s);
                w.encounter(&m, "MED", "2026-11-01 08:00:00", None, None);
                w.access(&format!("2026-11-0{} 10:00:00", k + 2), &rn, &m, "view");
                w.access(&format!("2026-11-0{} 11:00:00", k + 2), &it, &t, "view");
                // A study patient, opened on two days: a recurring panel.
                w.access(&format!("2026-11-0{} 09:00:00", k + 2), &rc, &s, "view");
                w.access(&format!("2026-11-1{} 09:00:00", k + 2), &rc, &s, "view");
            }
        }
        w.user("coworker").department("ICU").role("nurse").own_record("EMP");
        w.patient("EMP");
        w.patient("R").restricted();
        w.encounter("R", "PSY", "2026-11-01 08:00:00", None, None);
        w
    }

    fn alert<'a>(alerts: &'a [ScoredAlert], user: &str, patient: &str) -> &'a ScoredAlert {
        alerts.iter().find(|a| a.user == user && a.patient == patient).expect("alert")
    }

    #[test]
    fn an_it_analyst_opening_a_restricted_chart_is_alerted_but_below_a_nurse_doing_the_same() {
        let mut w = hospital();
        w.access_with("2026-11-20 10:00:00", "rn0", "R", "view", "behavioral_health", false);
        w.access_with("2026-11-20 10:00:00", "it0", "R", "view", "behavioral_health", false);
        let alerts = w.alerts();
        let (rn, it) = (alert(&alerts, "rn0", "R"), alert(&alerts, "it0", "R"));
        assert_eq!(rn.rules, ["restricted_access"]);
        assert_eq!(it.rules, ["restricted_access"]);
        assert!(it.score < rn.score, "{it:?} {rn:?}");
        // Every IT analyst's patients lack a care link: the signal is gone,
        // and one day's look at the chart weighs like a role-wide reason.
        let damped = w.weight::<crate::detect::rules::RestrictedAccess>() * w.config.score.population_level_factor;
        assert_eq!(it.score, (damped * 1000.0).round() / 10.0);
        assert!(it.explanation.contains("routine in the user's role (it: 100% of a typical user's patients)"));
        assert!(it.explanation.contains("one look, on one day"), "{}", it.explanation);
        // For the nurse it is the configured weight, and nothing is said.
        let full = 1.0
            - (1.0 - w.weight::<crate::detect::rules::RestrictedAccess>()) * (1.0 - w.config.score.unexplained_weight);
        assert_eq!(rn.score, (full * 1000.0).round() / 10.0);
        assert!(!rn.explanation.contains("routine"), "{}", rn.explanation);
    }

    /// The same IT analyst coming back to the chart on another day is not
    /// working a ticket: the flag weighs in full (only the "no care link"
    /// signal stays routine). Nor is a nurse, whose work links nearly
    /// every chart, ever damped.
    #[test]
    fn an_it_analysts_return_to_a_flagged_chart_on_another_day_weighs_in_full() {
        let mut w = hospital();
        w.access_with("2026-11-20 10:00:00", "it0", "R", "view", "behavioral_health", false);
        w.access_with("2026-11-22 15:00:00", "it0", "R", "view", "behavioral_health", false);
        w.access_with("2026-11-20 10:00:00", "it1", "R", "view", "behavioral_health", false);
        w.access_with("2026-11-20 10:00:00", "rn0", "R", "view", "behavioral_health", false);
        let alerts = w.alerts();
        let (back, once) = (alert(&alerts, "it0", "R"), alert(&alerts, "it1", "R"));
        let weight = w.weight::<crate::detect::rules::RestrictedAccess>();
        // Two accesses: the repeat factor of the score.
        assert_eq!(back.score, ((1.0 - (1.0 - weight) * 0.98) * 1000.0).round() / 10.0, "{back:?}");
        assert!(!back.explanation.contains("one look, on one day"), "{}", back.explanation);
        assert!(once.score < back.score, "{once:?} {back:?}");
        assert!(!alert(&alerts, "rn0", "R").explanation.contains("one look"));
        // Turned off, one day's look weighs in full too.
        let mut off = hospital();
        off.config.score.routine_no_link_share = 0.0;
        off.access_with("2026-11-20 10:00:00", "it1", "R", "view", "behavioral_health", false);
        assert_eq!(alert(&off.alerts(), "it1", "R").score, (weight * 1000.0).round() / 10.0);
    }

    /// An analyst whose HR title names no role ("Team Member") works in
    /// the IT department, where no user's patients have a care link: a
    /// missing link is routine there, and the alert says why. The same
    /// title on MED, whose users' patients all have one, keeps the full
    /// weight.
    #[test]
    fn a_user_whose_title_names_no_role_is_measured_with_their_department() {
        let mut w = hospital();
        w.user("tm").department("IT").role("Team Member");
        w.user("tm2").department("MED").role("Team Member");
        w.patient("T9");
        w.patient("M9");
        w.encounter("M9", "MED", "2026-11-01 08:00:00", None, None);
        w.access("2026-11-02 11:00:00", "tm", "T9", "view");
        w.access("2026-11-02 11:00:00", "tm2", "M9", "view");
        w.access_with("2026-11-20 10:00:00", "tm", "R", "view", "behavioral_health", false);
        w.access_with("2026-11-20 10:00:00", "tm2", "R", "view", "behavioral_health", false);
        let alerts = w.alerts();
        let (it, med) = (alert(&alerts, "tm", "R"), alert(&alerts, "tm2", "R"));
        assert!(
            it.explanation.contains(
                "a missing care link is routine in the user's department, and the title names no role (IT: 100% of a \
                 typical colleague's patients)"
            ),
            "{}",
            it.explanation
        );
        assert!(!med.explanation.contains("routine"), "{}", med.explanation);
        assert!(it.score < med.score, "{it:?} {med:?}");
    }

    /// Study patients are explained by the recurring panel; a coworker
    /// opened once is off the list and counts as it would for a nurse.
    #[test]
    fn a_research_coordinator_opening_a_coworker_off_their_list_counts_like_anyone() {
        let mut w = hospital();
        w.access("2026-11-20 10:00:00", "rc0", "EMP", "view");
        w.access("2026-11-20 10:00:00", "rn0", "EMP", "view");
        let alerts = w.alerts();
        let (rc, rn) = (alert(&alerts, "rc0", "EMP"), alert(&alerts, "rn0", "EMP"));
        assert_eq!(rc.rules, ["coworker"]);
        assert_eq!(rn.score, rc.score);
        assert!(!rc.explanation.contains("routine"), "{}", rc.explanation);
        // The study panel itself raises nothing.
        assert!(alerts.iter().all(|a| !a.patient.starts_with('S')), "{alerts:?}");
    }

    #[test]
    fn without_roles_or_with_few_users_in_a_role_the_weight_is_the_configured_one() {
        let mut w = World::new();
        w.user("it0").department("IT").role("it");
        w.patient("R").restricted();
        w.patient("T");
        w.access("2026-11-20 10:00:00", "it0", "T", "view");
        w.access_with("2026-11-20 11:00:00", "it0", "R", "view", "behavioral_health", false);
        let alerts = w.alerts();
        let full = 1.0
            - (1.0 - w.weight::<crate::detect::rules::RestrictedAccess>()) * (1.0 - w.config.score.unexplained_weight);
        assert_eq!(alert(&alerts, "it0", "R").score, (full * 1000.0).round() / 10.0);
    }

    #[test]
    fn percentages_read_plainly() {
        assert_eq!(percent(0.004), "under 1%");
        assert_eq!(percent(0.894), "89%");
        assert_eq!(percent(1.0), "100%");
    }

    #[test]
    fn users_without_a_norm_keep_the_configured_weight() {
        let norms = RoleNorms::default();
        assert_eq!(norms.no_link(3, 0.3), NoLink { weight: 0.3, note: None, share: 0.0 });
    }

    #[test]
    fn a_routine_missing_link_weighs_less() {
        let norms = RoleNorms {
            by_user: vec![NO_NORM, 0],
            norms: vec![Norm { role: "it".into(), department: false, share: 0.9 }],
        };
        let it = norms.no_link(1, 0.3);
        assert_eq!(norms.no_link(0, 0.3).weight, 0.3, "user 0 has no norm");
        assert_eq!(norms.no_link(7, 0.3).weight, 0.3, "past the table: no norm");
        assert!((it.weight - 0.03).abs() < 1e-12);
        assert!(it.note.unwrap().contains("(it: 90% of a typical user's patients)"));
    }
}
