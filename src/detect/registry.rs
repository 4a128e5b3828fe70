//! The list of rules, and running them.

use std::collections::BTreeMap;

use super::behaviour::{BulkExtraction, CompromisedAccount, PeerOutlier, SlowExfiltration, UnexplainedBrowsing};
use super::finding::Finding;
use super::input::{DetectInput, Rule, SkippedDetector};
use super::rules::{
    BreakGlass, Coworker, DeceasedAccess, EmploymentWindow, Family, Neighbour, RestrictedAccess, SelfAccess, VipAccess,
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
    pub weights: BTreeMap<&'static str, f64>,
    /// Rule ids in registry order.
    pub order: Vec<&'static str>,
}

/// Runs every rule that can run.
pub fn detect(input: &DetectInput<'_>) -> Detection {
    let mut out = Detection::default();
    for rule in all_rules() {
        out.order.push(rule.id());
        out.weights.insert(rule.id(), rule.weight(input.config));
        match rule.check(input) {
            Err(reason) => out.skipped.push(SkippedDetector { rule: rule.id(), reason }),
            Ok(()) => {
                let (downgraded, found): (Vec<Finding>, Vec<Finding>) =
                    rule.run(input).into_iter().partition(|f| f.downgraded);
                out.per_rule.insert(rule.id(), found.len() as u64);
                out.findings.extend(found);
                out.downgraded.extend(downgraded);
            }
        }
    }
    out
}
