//! `off_list`: a user whose work is a recurring list of patients (a study
//! panel) opens, on a single day, patients who are not on the list, more
//! of them than the way the user revisits the list can account for.
//!
//! Why it matters: a research coordinator opens the charts of the study's
//! patients day after day, with no encounter of their own; none of that
//! work has a care link, so "no care explains it" says nothing about one
//! more chart. What does stand out is a patient opened once and never
//! again by someone whose every other patient comes back: the neighbour,
//! the celebrity, the ex, looked up between two study visits.
//!
//! How: among the user's patients, those opened on `panel_min_days` days
//! or more are the list (the explain stage's `RecurringPanel`), and so are
//! those opened on as many days whose care team the hospital lists the
//! user on (the `care_team` table's study teams: `CareTeamMember`). A
//! listed patient opened once is one of the list's own one-offs: counted
//! with the one-off patients, as the model predicts, but never flagged.
//! From how
//! many days each list patient was opened, and on how many days the user
//! worked, the chance that a list patient is seen on one day only follows
//! (each working day a list patient is opened with the same chance, fitted
//! so that the list's mean matches). That gives the one-off patients the
//! list itself would leave; the rule fires on the user's one-off patients
//! (opened on one day, nothing patient-specific explains them) only when
//! they clearly outnumber it: a Poisson tail below `max_chance`, and at
//! least `min_excess_share` of them beyond the expected. A user for whom
//! one-off looks are a large part of the work (`max_one_off_share` of
//! their patients or more: screening for a study, say) is left alone,
//! and so is a short window, where the list has not come round yet.
//!
//! Example: a coordinator revisits 34 study patients on about 6 days each
//! over 20 working days, so about 0.3 of their patients would be seen only
//! once; 7 were, each on a single afternoon.

use crate::detect::finding::{AlertKind, Fact, Finding};
use crate::detect::input::{DetectInput, Rule};
use crate::detect::params::{Invalid, RuleParams, RuleSettings};
use crate::explain::Explanation;
use crate::model::{Code, FxHashMap, NONE};
use crate::time::MICROS_PER_DAY;

/// `[rules.off_list]`, besides `enabled` and `weight`.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct OffListParams {
    /// List patients (opened on several days) a user needs before their
    /// list is known well enough to judge one-off looks against.
    pub min_list_patients: u32,
    /// Working days with patient accesses a user needs in the window.
    pub min_active_days: u32,
    /// Fire only when this many one-off patients or more would arise from
    /// the list by chance less often than this (a Poisson tail).
    pub max_chance: f64,
    /// Fire only when at least this share of the one-off patients is
    /// beyond what the list explains.
    pub min_excess_share: f64,
    /// Leave a user alone when one-off patients are at least this share
    /// of all their patients: one-off looks are then part of the work.
    pub max_one_off_share: f64,
    /// With the user's list known from the care_team table, fire when at
    /// least this many patients off it were opened on a single day.
    pub min_off_team: u32,
}

impl Default for OffListParams {
    fn default() -> Self {
        Self {
            min_list_patients: 10,
            min_active_days: 12,
            max_chance: 0.001,
            min_excess_share: 0.75,
            max_one_off_share: 0.25,
            min_off_team: 3,
        }
    }
}

impl RuleParams for OffListParams {
    fn check(&self) -> Result<(), Invalid> {
        crate::detect::params::within(
            "min_list_patients",
            self.min_list_patients,
            1,
            1_000_000,
            "a number of patients from 1",
        )?;
        crate::detect::params::within("min_active_days", self.min_active_days, 1, 3660, "a number of days from 1")?;
        crate::detect::params::within("min_off_team", self.min_off_team, 1, 1_000_000, "a number of patients from 1")?;
        for (key, v) in [
            ("max_chance", self.max_chance),
            ("min_excess_share", self.min_excess_share),
            ("max_one_off_share", self.max_one_off_share),
        ] {
            crate::detect::params::within(key, v, f64::MIN_POSITIVE, 1.0, "a number above 0 and at most 1")?;
        }
        Ok(())
    }
}

/// The rule.
pub struct OffList;

/// The learned-list test: `observed` one-off patients of a user with
/// `list` list patients opened on `list_days` days in all over
/// `active_days` working days, and `patients` patients in all. The fact
/// when they clearly outnumber what the list leaves, else `None`.
fn off_the_list(
    s: &OffListParams,
    list: u32,
    list_days: u64,
    active_days: u32,
    observed: u32,
    patients: usize,
) -> Option<Fact> {
    if f64::from(observed) >= s.max_one_off_share * patients as f64 {
        return None;
    }
    let model = ListModel::of(list, list_days, active_days)?;
    let excess = 1.0 - model.expected / f64::from(observed);
    if excess < s.min_excess_share || poisson_tail(observed, model.expected) >= s.max_chance {
        return None;
    }
    Some(Fact::OffList {
        list: model.list,
        mean_days: (model.mean_days * 10.0).round() / 10.0,
        active_days: model.active_days,
        expected: (model.expected * 10.0).round() / 10.0,
        observed,
    })
}

/// How a user's list accounts for one-off patients.
#[derive(Debug, Clone, Copy, PartialEq)]
struct ListModel {
    /// Patients opened on several days.
    list: u32,
    /// Their mean number of days.
    mean_days: f64,
    /// Days the user opened any patient.
    active_days: u32,
    /// One-off patients the list would leave, expected.
    expected: f64,
}

/// The chances that a list patient is opened on no day and on one day of
/// `days` working days, when each day it is opened with the same chance
/// `q`, fitted so that the list patients' mean days (counting only those
/// seen on two days or more) is `mean`. `None` when no chance fits.
fn fit(mean: f64, days: u32) -> Option<(f64, f64)> {
    let d = f64::from(days);
    if days < 2 || !(2.0..=d).contains(&mean) {
        return None;
    }
    let moments = |q: f64| {
        let p0 = (1.0 - q).powf(d);
        let p1 = d * q * (1.0 - q).powf(d - 1.0);
        let rest = (1.0 - p0 - p1).max(1e-12);
        ((d * q - p1) / rest, p0, p1)
    };
    let (mut lo, mut hi) = (1e-9, 1.0 - 1e-9);
    for _ in 0..100 {
        let q = (lo + hi) / 2.0;
        if moments(q).0 < mean {
            lo = q;
        } else {
            hi = q;
        }
    }
    let (_, p0, p1) = moments((lo + hi) / 2.0);
    Some((p0, p1))
}

/// P(X >= k) for X Poisson with mean `lambda`.
fn poisson_tail(k: u32, lambda: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    let (mut below, mut term) = (0.0, (-lambda).exp());
    for i in 0..k {
        below += term;
        term *= lambda / f64::from(i + 1);
    }
    (1.0 - below).max(0.0)
}

impl ListModel {
    /// The model of `list` patients opened on `total_days` days in all,
    /// by a user active on `active_days` days; `None` when it cannot be fitted.
    fn of(list: u32, total_days: u64, active_days: u32) -> Option<ListModel> {
        if list == 0 {
            return None;
        }
        let mean_days = total_days as f64 / f64::from(list);
        let (p0, p1) = fit(mean_days, active_days)?;
        let expected = f64::from(list) * p1 / (1.0 - p0 - p1).max(1e-12);
        Some(ListModel { list, mean_days, active_days, expected })
    }
}

impl Rule for OffList {
    const ID: &'static str = "off_list";
    const DEFAULTS: RuleSettings = RuleSettings::weight(0.45);
    type Params = OffListParams;

    fn run(&self, s: &Self::Params, input: &DetectInput<'_>) -> Vec<Finding> {
        let ev = &input.data.events;
        let kinds = &input.explained.kind;
        input.per_user(|user, range| {
            // The list: patients the user revisits (learned), or whose care
            // team the hospital lists the user on (a study team).
            let listed = |k: Explanation| k == Explanation::RecurringPanel || k == Explanation::CareTeamMember;
            if !range.clone().any(|i| listed(kinds[i])) {
                return Vec::new();
            }
            // Per patient: distinct days, whether the list claims it,
            // whether care ties the user to the patient (the care-team
            // table aside), and whether the table lists the user on the
            // patient's team.
            let mut per: FxHashMap<Code, (i64, u32, bool, bool, bool)> = FxHashMap::default();
            // A user's events are in time order: their days come sorted.
            let mut active: Vec<i64> = Vec::new();
            for i in range.clone() {
                let p = ev.patient[i];
                if p == NONE {
                    continue;
                }
                let day = ev.ts[i].div_euclid(MICROS_PER_DAY);
                if active.last() != Some(&day) {
                    active.push(day);
                }
                let e = per.entry(p).or_insert((i64::MIN, 0, false, false, false));
                if e.0 != day {
                    e.0 = day;
                    e.1 += 1;
                }
                e.2 |= listed(kinds[i]);
                e.3 |= kinds[i].is_patient_specific() && kinds[i] != Explanation::CareTeamMember;
                e.4 |= kinds[i] == Explanation::CareTeamMember;
            }
            let active_days = active.len() as u32;
            let (mut list, mut list_days) = (0u32, 0u64);
            // Patients opened on a single day (what the list model
            // predicts a count of: its own one-off patients are among
            // them), and those of them no care-team row lists (the ones
            // that can fire).
            let (mut observed, mut one_off) = (0u32, Vec::<Code>::new());
            let min_days = input.config.explain.panel_min_days.max(2);
            let team = per.values().filter(|e| e.4).count() as u32;
            for (&p, &(_, days, listed, tied, on_team)) in &per {
                if listed && days >= min_days {
                    list += 1;
                    list_days += u64::from(days);
                } else if days == 1 && !tied {
                    observed += 1;
                    if !on_team {
                        one_off.push(p);
                    }
                }
            }
            let fact = if team >= s.min_list_patients {
                // The hospital lists the user's patients: the list is
                // known, so the list leaves no one-off patient off it to
                // expect, and a few patients off it, each opened once,
                // are what the rule is for.
                let off = one_off.len() as u32;
                if off < s.min_off_team || f64::from(off) >= s.max_one_off_share * per.len() as f64 {
                    return Vec::new();
                }
                Fact::OffTeam { team, observed: off }
            } else {
                if list < s.min_list_patients || active_days < s.min_active_days || one_off.is_empty() {
                    return Vec::new();
                }
                match off_the_list(s, list, list_days, active_days, observed, per.len()) {
                    Some(f) => f,
                    None => return Vec::new(),
                }
            };
            one_off.sort_unstable();
            input
                .by_patient(range.filter(|&i| one_off.binary_search(&ev.patient[i]).is_ok()))
                .into_iter()
                .map(|(patient, events)| Finding {
                    rule: Self::ID,
                    kind: AlertKind::Snooping,
                    user,
                    patient,
                    facts: vec![fact.clone()],
                    events,
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

    /// A study coordinator (a research title: a panel role) who opens 30
    /// list patients in turn, 10 a day, over 21 working days in October
    /// and November: every list patient comes back about 7 times.
    fn coordinator() -> World {
        let mut w = World::new();
        w.user("crc").role("Clinical Research Coordinator").department("RES");
        for p in 0..30 {
            w.patient(&format!("S{p}"));
        }
        for day in 0..21 {
            let date = chrono::NaiveDate::from_ymd_opt(2026, 10, 1).expect("date") + chrono::Duration::days(day);
            for k in 0..10 {
                let p = (day * 10 + k) % 30;
                let at = format!("{} {:02}:{:02}:00", date.format("%Y-%m-%d"), 9 + k / 2, (k % 2) * 30);
                w.access_from_dept(&at, "crc", &format!("S{p}"), "view", "WS-RES-1", "10.0.9.1", "RES");
            }
        }
        w
    }

    fn look(w: &mut World, patient: &str, at: &str) {
        w.patient(patient);
        w.access_from_dept(at, "crc", patient, "view", "WS-RES-1", "10.0.9.1", "RES");
    }

    /// The coordinator of [`coordinator`], listed in care_team on the team
    /// of study patients S0 to S(n-1).
    fn listed_coordinator(n: usize) -> World {
        let mut w = coordinator();
        for p in 0..n {
            w.care_team(&format!("S{p}"), "crc", Some("2026-09-01"), None);
        }
        w
    }

    /// The coordinator's looks at X1, X2 and X3, one day each: what the
    /// rule finds, by patient, and the first finding's sentence.
    fn three_looks(mut w: World) -> (Vec<String>, String) {
        look(&mut w, "X1", "2026-10-06 14:10:00");
        look(&mut w, "X2", "2026-10-13 15:20:00");
        look(&mut w, "X3", "2026-10-20 13:05:00");
        let found = w.run(&OffList);
        let mut patients: Vec<String> = found.iter().map(|f| w.patient_of(f)).collect();
        patients.sort_unstable();
        (patients, found.first().map(|f| f.facts[0].sentence()).unwrap_or_default())
    }

    #[test]
    fn fires_on_one_off_patients_the_list_does_not_account_for() {
        let (patients, sentence) = three_looks(coordinator());
        assert_eq!(patients, ["X1", "X2", "X3"]);
        assert_eq!(
            sentence,
            "opened on a single day, and not on the user's recurring list: the user opens the 30 patients of \
             that list on 7 days each (of 21 working days), so about 0.1 of their patients would be opened only \
             once; 3 were"
        );
    }

    /// The look-alike: a coordinator with a large list, each patient
    /// opened now and then, leaves one-off patients of the list itself;
    /// the same count of one-off looks as above is then what the list
    /// gives, and so is a screening coordinator's stream of new patients.
    #[test]
    fn one_offs_the_list_accounts_for_or_screening_work_do_not_fire() {
        let mut w = World::new();
        w.user("crc").role("Clinical Research Coordinator").department("RES");
        // 40 list patients, 6 a day at random over 21 days: about 1 day in
        // 7 each, so a few are opened once by chance.
        let mut seed = 7u64;
        let mut days_of = [0u32; 40];
        for day in 0..21 {
            let date = chrono::NaiveDate::from_ymd_opt(2026, 10, 1).expect("date") + chrono::Duration::days(day);
            let mut today = std::collections::BTreeSet::new();
            while today.len() < 6 {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                today.insert((seed >> 33) % 40);
            }
            for (k, p) in today.into_iter().enumerate() {
                days_of[p as usize] += 1;
                let at = format!("{} {:02}:00:00", date.format("%Y-%m-%d"), 9 + k);
                w.patient(&format!("S{p}"));
                w.access_from_dept(&at, "crc", &format!("S{p}"), "view", "WS-RES-1", "10.0.9.1", "RES");
            }
        }
        let once = days_of.iter().filter(|&&d| d == 1).count();
        assert!((2..10).contains(&once), "the list itself leaves a few one-off patients: {once}");
        assert!(w.run(&OffList).is_empty());

        // Screening: the list of the first test, plus 15 new patients
        // looked at once each (a third of the user's patients).
        let mut screen = coordinator();
        for k in 0..15 {
            look(&mut screen, &format!("N{k}"), &format!("2026-10-{:02} 16:00:00", 1 + k));
        }
        assert!(screen.run(&OffList).is_empty());
    }

    /// With the study team listed in care_team, the list is known: a
    /// listed study patient opened once is never flagged, and three
    /// patients off the list, each opened once, fire even where the
    /// learned list's statistics would let them pass (a list that comes
    /// round rarely).
    #[test]
    fn a_listed_study_team_is_the_list() {
        let mut w = listed_coordinator(31);
        look(&mut w, "S30", "2026-10-08 11:10:00");
        let (patients, sentence) = three_looks(w);
        assert_eq!(patients, ["X1", "X2", "X3"]);
        assert_eq!(
            sentence,
            "opened on a single day, and not one of the 31 patients whose care team (study team) the hospital \
             lists the user on; 3 patients off that list were each opened on a single day"
        );
    }

    /// The look-alike: with the list known, two stray one-off looks (a
    /// chart opened by mistake, a patient screened) are not enough.
    #[test]
    fn two_one_off_looks_off_a_listed_team_do_not_fire() {
        let mut w = listed_coordinator(30);
        look(&mut w, "X1", "2026-10-06 14:10:00");
        look(&mut w, "X2", "2026-10-13 15:20:00");
        assert!(w.run(&OffList).is_empty());
    }

    #[test]
    fn a_nurse_without_a_list_or_a_short_window_does_not_fire() {
        // No recurring list: nothing to judge one-off looks against.
        let mut w = World::new();
        w.user("rn").department("MED");
        for k in 0..20 {
            w.patient(&format!("P{k}"));
            w.access_from_dept(
                &format!("2026-10-{:02} 10:00:00", 1 + k),
                "rn",
                &format!("P{k}"),
                "view",
                "WS-1",
                "10.0.0.1",
                "MED",
            );
        }
        assert!(w.run(&OffList).is_empty());
        // Too few working days for the list to come round.
        let mut short = World::new();
        short.user("crc").role("Clinical Research Coordinator").department("RES");
        for day in 0..5 {
            for k in 0..10 {
                let p = format!("S{}", (day * 10 + k) % 12);
                short.patient(&p);
                short.access_from_dept(
                    &format!("2026-10-{:02} {:02}:00:00", 1 + day, 8 + k),
                    "crc",
                    &p,
                    "view",
                    "WS-RES-1",
                    "10.0.9.1",
                    "RES",
                );
            }
        }
        for k in 0..3 {
            short.patient(&format!("X{k}"));
            short.access_from_dept(
                &format!("2026-10-0{} 17:30:00", 1 + k),
                "crc",
                &format!("X{k}"),
                "view",
                "WS-RES-1",
                "10.0.9.1",
                "RES",
            );
        }
        assert!(short.run(&OffList).is_empty());
    }

    #[test]
    fn the_list_model_fits_the_mean_and_the_tail_is_a_poisson_tail() {
        // 30 list patients on 7 days each over 21 days: one-off patients
        // of the list are all but impossible.
        let m = ListModel::of(30, 210, 21).expect("fits");
        assert!(m.expected < 0.2, "{m:?}");
        // A thin list (2.5 days each over 10 days) leaves many.
        let thin = ListModel::of(25, 62, 10).expect("fits");
        assert!(thin.expected > 5.0, "{thin:?}");
        assert!((poisson_tail(1, 1.0) - (1.0 - (-1.0f64).exp())).abs() < 1e-12);
        assert_eq!(poisson_tail(0, 3.0), 1.0);
        assert!(poisson_tail(7, 0.3) < 1e-6);
        assert!(ListModel::of(10, 10, 20).is_none(), "a mean under two days is no list");
    }
}
