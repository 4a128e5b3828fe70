//! The list of rules, and running them.

use std::collections::BTreeMap;

use super::behaviour::{BulkExtraction, CompromisedAccount, PeerOutlier, SlowExfiltration, UnexplainedBrowsing};
use super::finding::{Fact, Finding};
use super::input::{DetectInput, Rule, SkippedDetector};
use super::rules::{
    BreakGlass, Coworker, DeceasedAccess, EmploymentWindow, Family, FormerPatient, Neighbour, RestrictedAccess,
    SelfAccess, VipAccess,
};

/// Every rule, in a fixed order (the order rules are listed in alerts).
pub fn all_rules() -> Vec<Box<dyn Rule>> {
    vec![
        Box::new(SelfAccess),
        Box::new(Family),
        Box::new(Coworker),
        Box::new(Neighbour),
        Box::new(VipAccess),
        Box::new(DeceasedAccess),
        Box::new(FormerPatient),
        Box::new(RestrictedAccess),
        Box::new(BreakGlass),
        Box::new(EmploymentWindow),
        Box::new(BulkExtraction),
        Box::new(SlowExfiltration),
        Box::new(CompromisedAccount),
        Box::new(UnexplainedBrowsing),
        Box::new(PeerOutlier),
    ]
}

/// What the detect stage produced.
#[derive(Debug, Default)]
pub struct Detection {
    /// All findings, rule by rule in registry order.
    pub findings: Vec<Finding>,
    /// Rules that could not run.
    pub skipped: Vec<SkippedDetector>,
    /// Relationship findings whose accesses care explains: not alerts, kept
    /// for audit (summary.json counts, user features).
    pub downgraded: Vec<Finding>,
    /// Findings per rule id (zero for rules that ran and found nothing).
    pub per_rule: BTreeMap<&'static str, u64>,
    /// Each rule's scoring weight.
    pub weights: Weights,
    /// Rule ids in registry order.
    pub order: Vec<&'static str>,
}

/// The scoring weight of each rule, and the stronger weights some facts earn.
#[derive(Debug, Clone, Default)]
pub struct Weights {
    /// Each rule's weight.
    pub rule: BTreeMap<&'static str, f64>,
    /// Per rule: (fact, weight) pairs that override the rule's weight when
    /// the finding established the fact and the weight is higher.
    pub stronger: BTreeMap<&'static str, Vec<(Fact, f64)>>,
}

impl Weights {
    /// The weight of `rule` for an alert that established `facts`; 0.5 for
    /// a rule this run does not know.
    pub fn of(&self, rule: &str, facts: &[Fact]) -> f64 {
        let base = self.rule.get(rule).copied().unwrap_or(0.5);
        self.stronger
            .get(rule)
            .into_iter()
            .flatten()
            .filter(|(fact, _)| facts.contains(fact))
            .map(|(_, w)| *w)
            .fold(base, f64::max)
    }
}

/// Runs every rule that can run.
pub fn detect(input: &DetectInput<'_>) -> Detection {
    use rayon::prelude::*;
    let mut out = Detection::default();
    let rules = all_rules();
    // The rules are independent: they run side by side (most use one core
    // for part of their work), and their results are taken in registry
    // order, so the findings' order does not depend on which ends first.
    let results: Vec<Result<Vec<Finding>, String>> =
        rules.par_iter().map(|rule| rule.check(input).map(|()| rule.run(input))).collect();
    for (rule, result) in rules.iter().zip(results) {
        out.order.push(rule.id());
        out.weights.rule.insert(rule.id(), rule.weight(input.config));
        out.weights.stronger.insert(rule.id(), rule.stronger_weights(input.config));
        match result {
            Err(reason) => out.skipped.push(SkippedDetector { rule: rule.id(), reason }),
            Ok(findings) => {
                let (downgraded, found): (Vec<Finding>, Vec<Finding>) =
                    findings.into_iter().partition(|f| f.downgraded);
                out.per_rule.insert(rule.id(), found.len() as u64);
                out.findings.extend(found);
                out.downgraded.extend(downgraded);
            }
        }
    }
    fold_subsumed(&mut out.findings, &input.data.events.patient);
    annotate_population_level(&mut out.findings, input);
    out
}

/// Adds [`Fact::PopulationLevel`] to every snooping finding about one
/// patient whose accesses no patient-specific link explains but a
/// population-level one does, with how routine the access looks (see the
/// fact). Scoring weighs the alert by it; one place computes it for every
/// sensitive and relationship rule.
fn annotate_population_level(findings: &mut [Finding], input: &DetectInput<'_>) {
    use crate::explain::Explanation;
    use crate::model::NONE;
    use rayon::prelude::*;
    let ev = &input.data.events;
    let kinds = &input.explained.kind;
    let ranges: crate::model::FxHashMap<crate::model::Code, std::ops::Range<usize>> =
        ev.user_ranges().into_iter().collect();
    findings.par_iter_mut().for_each(|f| {
        if f.kind != super::finding::AlertKind::Snooping || f.patient == NONE {
            return;
        }
        if f.events.iter().any(|&i| kinds[i].is_patient_specific()) {
            return;
        }
        // The most frequent population-level link among the accesses.
        let Some(explanation) = [Explanation::RoleTiming, Explanation::RecurringPanel, Explanation::CareTeamGroup]
            .into_iter()
            .map(|k| (f.events.iter().filter(|&&i| kinds[i] == k).count(), k))
            .filter(|(n, _)| *n > 0)
            .max_by_key(|(n, k)| (*n, std::cmp::Reverse(*k)))
            .map(|(_, k)| k)
        else {
            return;
        };
        let Some(range) = ranges.get(&f.user).cloned() else { return };
        let class = input.explained.roles.class(f.user);
        let queue = explanation == Explanation::RoleTiming
            && class.and_then(|c| input.config.explain.work_of(c)).is_some_and(|w| {
                matches!(w, crate::config::RoleWorkKind::AfterDischarge | crate::config::RoleWorkKind::AroundVisit)
            });
        let (round, routine, department) = if explanation == Explanation::RecurringPanel {
            let mut panel: Vec<crate::model::Code> = range
                .filter(|&j| kinds[j] == Explanation::RecurringPanel && ev.patient[j] != f.patient)
                .map(|j| ev.patient[j])
                .collect();
            panel.sort_unstable();
            panel.dedup();
            ("list", Some(panel.len() as u32), None)
        } else if queue {
            ("queue", Some(super::rounds::queue_of(input, f.patient, &f.events, range)), None)
        } else {
            let (n, d) = super::rounds::round_of(input, f.patient, &f.events, range);
            ("round", d.map(|_| n), d)
        };
        let fact = Fact::PopulationLevel {
            explanation,
            class,
            round,
            routine,
            department: department.map(|d| input.data.dict.departments.name(d).to_string()),
        };
        f.facts.push(fact);
    });
}

/// Per-patient findings that repeat a user-level finding of the same user
/// patient by patient. They would crowd the ranked list with one case; they
/// are dropped, and the user-level finding carries them. A per-patient
/// finding is covered by a user-level one when all its accesses are that
/// finding's evidence, or its patient is one that finding pulled (the views
/// that went with the prints).
///
/// - Per-patient browsing (its only fact is [`Fact::UnexplainedBreadth`]),
///   under any user-level finding: use after termination, a bulk pull, slow
///   exfiltration, a compromised-account day, the user-level browsing.
/// - A finding about the chart only (VIP, restricted, deceased, sensitive
///   sections, a former patient: every fact [`Fact::is_about_the_chart`];
///   relationships and break-the-glass keep their own lines), under an
///   exfiltration or account finding. The first such finding gains
///   [`Fact::AlsoIncludes`], counting the folded patients by kind of chart.
/// - A user-level browsing finding whose patients are at least half taken
///   by an exfiltration or account finding: its breadth fact moves there.
///
/// `patient_of` is the events' patients.
fn fold_subsumed(findings: &mut Vec<Finding>, patient_of: &[crate::model::Code]) {
    use super::finding::AlertKind;
    use crate::model::{Code, NONE};
    use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
    let only_breadth = |f: &Finding| {
        !f.facts.is_empty() && f.facts.iter().all(|x| matches!(x, Fact::UnexplainedBreadth { .. }))
    };
    let taking = |f: &Finding| f.patient == NONE && matches!(f.kind, AlertKind::Exfiltration | AlertKind::Account);
    // Per user: the events and patients of every user-level finding, and of
    // the exfiltration and account ones, with the first of those.
    #[derive(Default)]
    struct Cover {
        events: HashSet<usize>,
        patients: HashSet<Code>,
        taken_events: HashSet<usize>,
        taken_patients: HashSet<Code>,
        carrier: Option<usize>,
    }
    let mut cover: HashMap<Code, Cover> = HashMap::new();
    for (k, f) in findings.iter().enumerate().filter(|(_, f)| f.patient == NONE) {
        let c = cover.entry(f.user).or_default();
        let patients = f.events.iter().map(|&i| patient_of[i]).filter(|&p| p != NONE);
        if taking(f) {
            c.taken_events.extend(f.events.iter().copied());
            c.taken_patients.extend(patients.clone());
            c.carrier.get_or_insert(k);
        }
        c.events.extend(f.events.iter().copied());
        c.patients.extend(patients);
    }
    let mut folded: BTreeMap<usize, BTreeMap<(&'static str, &'static str), BTreeSet<Code>>> = BTreeMap::new();
    let mut moved: BTreeMap<usize, Vec<Fact>> = BTreeMap::new();
    let mut drop = vec![false; findings.len()];
    for (k, f) in findings.iter().enumerate() {
        let Some(c) = cover.get(&f.user) else { continue };
        if f.patient != NONE && only_breadth(f) {
            drop[k] = c.patients.contains(&f.patient) || f.events.iter().all(|e| c.events.contains(e));
        } else if f.patient != NONE && !f.facts.is_empty() && f.facts.iter().all(Fact::is_about_the_chart) {
            let Some(carrier) = c.carrier else { continue };
            if c.taken_patients.contains(&f.patient) || f.events.iter().all(|e| c.taken_events.contains(e)) {
                drop[k] = true;
                if let Some(noun) = f.facts.iter().find_map(Fact::chart_noun) {
                    folded.entry(carrier).or_default().entry(noun).or_default().insert(f.patient);
                }
            }
        } else if f.patient == NONE && f.kind == AlertKind::Behaviour && only_breadth(f) {
            let Some(carrier) = c.carrier else { continue };
            let patients: BTreeSet<Code> = f.events.iter().map(|&i| patient_of[i]).filter(|&p| p != NONE).collect();
            let taken = patients.iter().filter(|p| c.taken_patients.contains(p)).count();
            if !patients.is_empty() && taken * 2 >= patients.len() {
                drop[k] = true;
                moved.entry(carrier).or_default().extend(f.facts.iter().cloned());
            }
        }
    }
    for (carrier, facts) in moved {
        for fact in facts {
            if !findings[carrier].facts.contains(&fact) {
                findings[carrier].facts.push(fact);
            }
        }
    }
    for (carrier, kinds) in folded {
        let charts = kinds.into_iter().map(|((one, many), p)| (one, many, p.len() as u32)).collect();
        findings[carrier].facts.push(Fact::AlsoIncludes { charts });
    }
    let mut k = 0;
    findings.retain(|_| {
        k += 1;
        !drop[k - 1]
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::finding::AlertKind;
    use crate::model::NONE;
    use chrono::NaiveDate;

    fn finding(rule: &'static str, user: u32, patient: u32, events: Vec<usize>) -> Finding {
        let breadth = Fact::UnexplainedBreadth {
            patients: 30,
            days: 5,
            peer_median: 0.0,
            peer_label: "all users".into(),
            in_rounds: 0,
        };
        let (kind, fact) = match rule {
            "employment_window" => (AlertKind::Account, Fact::AfterTermination { date: NaiveDate::MIN, days: 3 }),
            "slow_exfiltration" | "bulk_extraction" => (
                AlertKind::Exfiltration,
                Fact::BulkExtraction { patients: 50, window: "1 day", what: "printed or exported", baseline: 2.0 },
            ),
            "unexplained_browsing" if patient == NONE => (AlertKind::Behaviour, breadth),
            "unexplained_browsing" => (AlertKind::Snooping, breadth),
            "vip_access" => (AlertKind::Snooping, Fact::VipPatient),
            "restricted_access" => (AlertKind::Snooping, Fact::RestrictedChart),
            _ => (AlertKind::Snooping, Fact::SharesSurnameAndHome),
        };
        Finding { rule, kind, user, patient, events, facts: vec![fact], downgraded: false }
    }

    #[test]
    fn a_fact_earns_its_stronger_weight_and_only_when_present() {
        let mut w = Weights::default();
        w.rule.insert("coworker", 0.45);
        w.stronger.insert("coworker", vec![(Fact::CoworkerPatient { same_department: true }, 0.6)]);
        let same = [Fact::CoworkerPatient { same_department: true }, Fact::SharesSurname];
        let other = [Fact::CoworkerPatient { same_department: false }];
        assert_eq!(w.of("coworker", &same), 0.6);
        assert_eq!(w.of("coworker", &other), 0.45);
        assert_eq!(w.of("unknown", &same), 0.5);
        // A "stronger" weight configured below the rule's never weakens it.
        w.stronger.insert("coworker", vec![(Fact::CoworkerPatient { same_department: true }, 0.3)]);
        assert_eq!(w.of("coworker", &same), 0.45);
    }

    #[test]
    fn browsing_already_covered_by_a_user_level_finding_is_dropped_and_the_rest_kept() {
        // Events 10-12 touch no patient; 20 is an export of patient 9.
        let mut patient_of = vec![NONE; 30];
        patient_of[20] = 9;
        patient_of[21] = 9;
        let mut f = vec![
            finding("employment_window", 1, NONE, vec![10, 11, 12]),
            finding("slow_exfiltration", 3, NONE, vec![20]),
            finding("unexplained_browsing", 1, 7, vec![10, 11]), // all covered: dropped
            finding("unexplained_browsing", 1, 8, vec![12, 13]), // 13 is not: kept
            finding("unexplained_browsing", 2, 7, vec![10]),     // another user: kept
            finding("family", 1, 7, vec![10]),                   // a relationship: kept
            finding("unexplained_browsing", 3, 9, vec![21]),     // the pulled patient's view: dropped
            finding("unexplained_browsing", 3, 5, vec![22]),     // a patient not pulled: kept
        ];
        fold_subsumed(&mut f, &patient_of);
        let kept: Vec<(&str, u32, u32)> = f.iter().map(|x| (x.rule, x.user, x.patient)).collect();
        assert_eq!(
            kept,
            vec![
                ("employment_window", 1, NONE),
                ("slow_exfiltration", 3, NONE),
                ("unexplained_browsing", 1, 8),
                ("unexplained_browsing", 2, 7),
                ("family", 1, 7),
                ("unexplained_browsing", 3, 5)
            ]
        );
        // Browsing folds silently: the user-level finding's evidence holds it.
        assert_eq!(f[0].facts.len(), 1);
    }

    #[test]
    fn sensitive_charts_a_bulk_pull_took_fold_into_it_and_say_so() {
        // User 4 exports patients 1-3 (events 0-2) and views patient 4
        // (event 3) the same night; user 5 only opens a VIP.
        let patient_of = vec![1, 2, 3, 4, 6, 1, 2, 3, 4, 5, 6];
        let mut f = vec![
            finding("bulk_extraction", 4, NONE, vec![0, 1, 2]),
            finding("vip_access", 4, 1, vec![5]),        // pulled: folded
            finding("restricted_access", 4, 2, vec![6]), // pulled: folded
            finding("restricted_access", 4, 3, vec![7]), // pulled: folded
            finding("restricted_access", 4, 4, vec![8]), // not pulled: kept
            finding("family", 4, 3, vec![7]),            // a relationship: kept
            finding("unexplained_browsing", 4, NONE, vec![0, 1, 2, 3, 4]), // 3 of 5 patients pulled: moved
            finding("vip_access", 5, 5, vec![9]),        // no pull: kept
            finding("unexplained_browsing", 5, NONE, vec![9, 10]), // no pull: kept
        ];
        fold_subsumed(&mut f, &patient_of);
        let kept: Vec<(&str, u32, u32)> = f.iter().map(|x| (x.rule, x.user, x.patient)).collect();
        assert_eq!(
            kept,
            vec![
                ("bulk_extraction", 4, NONE),
                ("restricted_access", 4, 4),
                ("family", 4, 3),
                ("vip_access", 5, 5),
                ("unexplained_browsing", 5, NONE)
            ]
        );
        let sentences: Vec<String> = f[0].facts.iter().map(Fact::sentence).collect();
        assert_eq!(sentences.len(), 3, "{sentences:?}");
        assert!(sentences[1].starts_with("opened 30 patients' records that no care explains"), "{sentences:?}");
        assert_eq!(sentences[2], "the records taken include 1 VIP's chart, 2 restricted charts");
    }
}
