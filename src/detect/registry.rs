//! The list of rules, and running them.
//!
//! A rule is its file plus one line of [`all_rules`]. The registry knows no
//! rule by name: it resolves each rule's `[rules.<id>]` table (see
//! `params.rs`), skips it when it is switched off or its data is missing,
//! runs it, and keeps its weights for scoring.

use std::collections::BTreeMap;

use super::behaviour::{BulkExtraction, CompromisedAccount, PeerOutlier, SlowExfiltration, UnexplainedBrowsing};
use super::finding::{Fact, Finding};
use super::input::{DetectInput, Rule, SkippedRule};
use super::rules::{
    BreakGlass, Coworker, DeceasedAccess, EmploymentWindow, Family, FormerPatient, Neighbour, OffList,
    RestrictedAccess, SelfAccess, VipAccess,
};
use crate::config::{ConfigError, RulesParams};

/// Every rule, in a fixed order (the order rules are listed in alerts).
pub fn all_rules() -> Vec<Box<dyn AnyRule>> {
    vec![
        Box::new(SelfAccess),
        Box::new(Family),
        Box::new(Coworker),
        Box::new(Neighbour),
        Box::new(VipAccess),
        Box::new(DeceasedAccess),
        Box::new(FormerPatient),
        Box::new(OffList),
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

/// A rule of the registry, whatever its tunables' type: the object-safe
/// face of [`Rule`], implemented for every rule.
pub trait AnyRule: Sync {
    /// The rule's id ([`Rule::ID`]).
    fn id(&self) -> &'static str;

    /// Resolves and checks the rule's table in `rules`.
    fn validate(&self, rules: &RulesParams) -> Result<(), ConfigError>;

    /// The rule's effective settings and tunables in `rules` (its table
    /// over its defaults), as a table of the configuration file.
    fn effective(&self, rules: &RulesParams) -> Result<toml::Table, ConfigError>;

    /// Resolves the rule's table once, then skips the rule (switched off,
    /// data missing) or runs it.
    fn evaluate(&self, input: &DetectInput<'_>) -> Outcome;
}

/// What running one rule gave.
#[derive(Debug)]
pub struct Outcome {
    /// The rule's weight.
    pub weight: f64,
    /// Facts that earn a stronger weight, with it.
    pub stronger: Vec<(Fact, f64)>,
    /// Kinds of facts that give a weaker weight, with it.
    pub weaker: Vec<(Fact, f64)>,
    /// The findings, or why the rule did not run.
    pub result: Result<Vec<Finding>, String>,
}

impl<R: Rule> AnyRule for R {
    fn id(&self) -> &'static str {
        R::ID
    }

    fn validate(&self, rules: &RulesParams) -> Result<(), ConfigError> {
        R::resolve(rules).map(|_| ())
    }

    fn effective(&self, rules: &RulesParams) -> Result<toml::Table, ConfigError> {
        let r = R::resolve(rules)?;
        let own = |e: toml::ser::Error| ConfigError::RuleTable { rule: R::ID.to_string(), message: e.to_string() };
        let mut table = toml::Table::try_from(r.settings).map_err(own)?;
        table.extend(toml::Table::try_from(r.params).map_err(own)?);
        Ok(table)
    }

    fn evaluate(&self, input: &DetectInput<'_>) -> Outcome {
        let r = match R::resolve(&input.config.rules) {
            Ok(r) => r,
            // Unreachable past `check_rules` at startup; a run configured
            // in code still says why the rule did not run.
            Err(e) => {
                return Outcome {
                    weight: R::DEFAULTS.weight,
                    stronger: Vec::new(),
                    weaker: Vec::new(),
                    result: Err(e.to_string()),
                }
            }
        };
        let result = if !r.settings.enabled {
            Err("disabled in configuration".to_string())
        } else {
            self.check(input).map(|()| self.run(&r.params, input))
        };
        Outcome {
            weight: r.settings.weight,
            stronger: self.stronger_weights(&r.params),
            weaker: self.weaker_weights(&r.params),
            result,
        }
    }
}

/// Checks the `[rules.*]` tables: each names a rule of the registry, and
/// each rule's table resolves (known keys, values of the right type and in
/// range). Called when the configuration is loaded.
pub fn check_rules(rules: &RulesParams) -> Result<(), ConfigError> {
    let all = all_rules();
    if let Some(unknown) = rules.ids().find(|id| !all.iter().any(|r| r.id() == *id)) {
        let known: Vec<&str> = all.iter().map(|r| r.id()).collect();
        return Err(ConfigError::RuleTable {
            rule: unknown.to_string(),
            message: format!("unknown rule, expected one of `{}`", known.join("`, `")),
        });
    }
    all.iter().try_for_each(|r| r.validate(rules))
}

/// Every rule's effective table in `rules`, by id: what the run uses.
pub fn effective_rules(rules: &RulesParams) -> Result<BTreeMap<&'static str, toml::Table>, ConfigError> {
    all_rules().iter().map(|r| Ok((r.id(), r.effective(rules)?))).collect()
}

/// What the detect stage produced.
#[derive(Debug, Default)]
pub struct Detection {
    /// All findings, rule by rule in registry order.
    pub findings: Vec<Finding>,
    /// Rules that could not run.
    pub skipped: Vec<SkippedRule>,
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
    /// Per rule: (kind of fact, weight) pairs that lower the rule's weight
    /// when the finding established a fact of that kind and no stronger
    /// weight applies.
    pub weaker: BTreeMap<&'static str, Vec<(Fact, f64)>>,
}

impl Weights {
    /// The weight of `rule` for an alert that established `facts`; 0.5 for
    /// a rule this run does not know.
    pub fn of(&self, rule: &str, facts: &[Fact]) -> f64 {
        let base = self.rule.get(rule).copied().unwrap_or(0.5);
        let stronger = self
            .stronger
            .get(rule)
            .into_iter()
            .flatten()
            .filter(|(fact, _)| facts.iter().any(|f| f.earns(fact)))
            .map(|(_, w)| *w)
            .fold(base, f64::max);
        if stronger > base {
            return stronger;
        }
        let kind = std::mem::discriminant::<Fact>;
        self.weaker
            .get(rule)
            .into_iter()
            .flatten()
            .filter(|(fact, _)| facts.iter().any(|f| kind(f) == kind(fact)))
            .map(|(_, w)| *w)
            .fold(base, f64::min)
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
    let outcomes: Vec<Outcome> = rules.par_iter().map(|rule| rule.evaluate(input)).collect();
    for (rule, outcome) in rules.iter().zip(outcomes) {
        out.order.push(rule.id());
        out.weights.rule.insert(rule.id(), outcome.weight);
        out.weights.stronger.insert(rule.id(), outcome.stronger);
        out.weights.weaker.insert(rule.id(), outcome.weaker);
        match outcome.result {
            Err(reason) => out.skipped.push(SkippedRule { rule: rule.id(), reason }),
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
/// fact), and [`Fact::UnitRound`] to those nothing explains that were part
/// of the user's work in the patient's unit. Scoring weighs the alert by
/// it; one place computes it for every
/// sensitive and relationship rule.
fn annotate_population_level(findings: &mut [Finding], input: &DetectInput<'_>) {
    use crate::explain::Explanation;
    use crate::model::NONE;
    use rayon::prelude::*;
    let ev = &input.data.events;
    let kinds = &input.explained.kind;
    let ranges: crate::model::FxHashMap<crate::model::Code, std::ops::Range<usize>> =
        ev.user_ranges().into_iter().collect();
    // Each user's work per unit, scanned once per user and unit.
    let units = super::rounds::Units::default();
    findings.par_iter_mut().for_each(|f| {
        if f.kind != super::finding::AlertKind::Snooping || f.patient == NONE {
            return;
        }
        if f.events.iter().any(|&i| kinds[i].is_patient_specific()) {
            return;
        }
        // The most frequent population-level link among the accesses.
        let Some(explanation) = [
            Explanation::RoleTiming,
            Explanation::RecurringPanel,
            Explanation::CareTeamGroup,
            Explanation::UnlistedVisit,
        ]
        .into_iter()
        .map(|k| (f.events.iter().filter(|&&i| kinds[i] == k).count(), k))
        .filter(|(n, _)| *n > 0)
        .max_by_key(|(n, k)| (*n, std::cmp::Reverse(*k)))
        .map(|(_, k)| k) else {
            // Nothing explains the accesses: were they part of a round of
            // the patient's unit?
            if let Some(range) = ranges.get(&f.user).cloned() {
                // In a unit the user covers, at least one other of its
                // patients that shift: the user was working there.
                if let Some((d, others, work)) =
                    super::rounds::unit_round(input, f.patient, &f.events, range, 1, &units)
                {
                    let department = input.data.dict.departments.name(d).to_string();
                    f.facts.push(Fact::UnitRound { department, others, days: work.days, patients: work.patients });
                }
            }
            return;
        };
        let Some(range) = ranges.get(&f.user).cloned() else { return };
        let class = input.explained.roles.class(f.user);
        let queue = explanation == Explanation::RoleTiming
            && class.and_then(|c| input.config.explain.work_of(c)).is_some_and(|w| {
                matches!(w, crate::config::RoleWorkKind::AfterDischarge | crate::config::RoleWorkKind::AroundVisit)
            });
        let (round, routine, department) = if explanation == Explanation::UnlistedVisit {
            ("visit", None, None)
        } else if explanation == Explanation::RecurringPanel {
            let mut panel: Vec<crate::model::Code> = range
                .clone()
                .filter(|&j| kinds[j] == Explanation::RecurringPanel && ev.patient[j] != f.patient)
                .map(|j| ev.patient[j])
                .collect();
            panel.sort_unstable();
            panel.dedup();
            ("list", Some(panel.len() as u32), None)
        } else if queue {
            ("queue", Some(super::rounds::queue_of(input, f.patient, &f.events, range.clone())), None)
        } else {
            let (n, d) = super::rounds::round_of(input, f.patient, &f.events, range.clone());
            ("round", d.map(|_| n), d)
        };
        // Colleagues' care is no task of the user's; but when every sitting
        // was the user's work in the patient's unit (a round, or a unit the
        // user covers), the access is tied to the unit as an unlinked one
        // would be, and says so once.
        let unit = (explanation == Explanation::CareTeamGroup)
            .then(|| super::rounds::unit_round(input, f.patient, &f.events, range.clone(), 1, &units))
            .flatten();
        let round = if unit.is_some() { "unit" } else { round };
        let fact = Fact::PopulationLevel {
            explanation,
            class,
            round,
            routine,
            department: department.map(|d| input.data.dict.departments.name(d).to_string()),
        };
        f.facts.push(fact);
        if let Some((d, others, work)) = unit {
            let department = input.data.dict.departments.name(d).to_string();
            f.facts.push(Fact::UnitRound { department, others, days: work.days, patients: work.patients });
        }
        if queue {
            let share = input.config.score.glance_share;
            if let Some((accesses, charts, least)) = super::rounds::glance(input, f.patient, &f.events, range, share) {
                f.facts.push(Fact::Glance { accesses, charts, least });
            }
        }
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
///   sections, a former patient, a hospital employee of another
///   department: every fact [`Fact::is_about_the_chart`]; relationships,
///   a coworker of the user's own department and break-the-glass keep
///   their own lines), under an
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
    let only_breadth =
        |f: &Finding| !f.facts.is_empty() && f.facts.iter().all(|x| matches!(x, Fact::UnexplainedBreadth { .. }));
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
            team_only: 0,
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
            "coworker" => (AlertKind::Snooping, Fact::CoworkerPatient { same_department: patient == 3 }),
            _ => (AlertKind::Snooping, Fact::SharesSurnameAndHome),
        };
        Finding { rule, kind, user, patient, events, facts: vec![fact], downgraded: false }
    }

    fn rules(text: &str) -> RulesParams {
        crate::config::Config::parse(text, std::path::Path::new("e.toml")).expect("parses").rules
    }

    #[test]
    fn rule_tables_are_laid_over_the_rules_defaults_and_checked() {
        use crate::detect::rules::{Neighbour, VipAccess};
        assert!(check_rules(&RulesParams::default()).is_ok());
        let r = rules("[rules.vip_access]\nweight = 0.7\n");
        assert!(check_rules(&r).is_ok());
        let vip = VipAccess::resolve(&r).unwrap();
        assert_eq!((vip.settings.enabled, vip.settings.weight), (true, 0.7));

        // A table with some of its keys keeps the others' defaults.
        let r = rules("[rules.vip_access]\nenabled = false\n[rules.neighbour]\nmax_distance_m = 80\n");
        let vip = VipAccess::resolve(&r).unwrap();
        assert!(!vip.settings.enabled);
        assert_eq!(vip.settings.weight, VipAccess::DEFAULTS.weight);
        let n = Neighbour::resolve(&r).unwrap();
        assert_eq!((n.params.max_distance_m, n.settings.weight), (80.0, Neighbour::DEFAULTS.weight));

        let err = |text: &str| check_rules(&rules(text)).unwrap_err().to_string();
        assert_eq!(
            err("[rules.vip_access]\nweight = 3.0\n"),
            "configuration: rules.vip_access.weight = 3 is out of range; expected a number from 0 to 1"
        );
        let e = err("[rules.vip_access]\nwieght = 0.2\n");
        assert!(e.contains("rules.vip_access") && e.contains("wieght"), "{e}");
        let e = err("[rules.vip_acess]\nweight = 0.2\n");
        assert!(e.contains("rules.vip_acess: unknown rule") && e.contains("`vip_access`"), "{e}");
    }

    /// Every numeric tunable of every rule is range-checked: a value far
    /// out of range (negative, NaN, zero where a count is needed) in each
    /// key of each rule is an error naming that key.
    #[test]
    fn every_tunable_of_every_rule_is_checked() {
        for (id, table) in effective_rules(&RulesParams::default()).unwrap() {
            for (key, value) in table {
                let bad: Vec<toml::Value> = match value {
                    toml::Value::Float(_) => vec![toml::Value::Float(f64::NAN), toml::Value::Float(-1.0)],
                    toml::Value::Integer(_) => vec![toml::Value::Integer(-1)],
                    toml::Value::Boolean(_) => continue,
                    other => panic!("rules.{id}.{key} = {other}: a tunable of an unexpected type"),
                };
                for v in bad {
                    let mut r = RulesParams::default();
                    r.set(id, &key, v.clone());
                    let e = check_rules(&r).expect_err("out of range").to_string();
                    assert!(e.contains(&format!("rules.{id}")) && e.contains(&key), "rules.{id}.{key} = {v}: {e}");
                }
            }
        }
        // Counts that must be positive, and spans, reject 0.
        for (id, key) in [
            ("slow_exfiltration", "span_days"),
            ("slow_exfiltration", "min_days"),
            ("bulk_extraction", "day_min_patients"),
        ] {
            let mut r = RulesParams::default();
            r.set(id, key, 0);
            let e = check_rules(&r).expect_err("zero").to_string();
            assert!(e.contains(&format!("rules.{id}.{key} = 0 is out of range")), "{e}");
        }
        let mut r = RulesParams::default();
        r.set("slow_exfiltration", "z", f64::INFINITY);
        assert!(check_rules(&r).unwrap_err().to_string().contains("rules.slow_exfiltration.z = inf"));
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
    fn a_weaker_fact_lowers_the_weight_by_kind_unless_a_stronger_one_applies() {
        let mut w = Weights::default();
        w.rule.insert("family", 0.85);
        w.weaker.insert("family", vec![(Fact::NamesakeContact { relationship: None }, 0.45)]);
        // Matched by kind, whatever the relationship.
        let namesake = [Fact::NamesakeContact { relationship: Some("spouse".into()) }];
        assert_eq!(w.of("family", &namesake), 0.45);
        assert_eq!(w.of("family", &[Fact::NamedAsContact { relationship: None }]), 0.85);
        // A stronger fact wins over a weaker one.
        w.stronger.insert("family", vec![(Fact::SharesSurnameAndHome, 0.9)]);
        assert_eq!(w.of("family", &[namesake[0].clone(), Fact::SharesSurnameAndHome]), 0.9);
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
            finding("coworker", 4, 2, vec![6]),          // an employee of another department, pulled: folded
            finding("coworker", 4, 3, vec![7]),          // a coworker of the user's own department: kept
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
                ("coworker", 4, 3),
                ("vip_access", 5, 5),
                ("unexplained_browsing", 5, NONE)
            ]
        );
        let sentences: Vec<String> = f[0].facts.iter().map(Fact::sentence).collect();
        assert_eq!(sentences.len(), 3, "{sentences:?}");
        assert!(sentences[1].starts_with("opened 30 patients' records that no care explains"), "{sentences:?}");
        assert_eq!(
            sentences[2],
            "the records taken include 1 VIP's chart, 1 hospital employee's record, 2 restricted charts"
        );
    }
}
