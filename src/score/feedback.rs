//! Feedback: the reviewers' verdicts on earlier alerts (reviewed.csv),
//! applied after scoring as a pure step.
//!
//! - An alert closed as `false_positive` or `duplicate` is suppressed: it
//!   leaves alerts.* and its case, and is listed in the report and counted
//!   in summary.json instead. Alert ids are stable across reruns of the same
//!   data, so a verdict keeps applying to the same finding.
//! - A user with `confirmed` alerts is a repeat offender: each of their
//!   other alerts gains one more independent signal of weight
//!   `score.repeat_offender_weight` in the noisy-OR,
//!   `p' = 1 - (1 - p)(1 - w)`, and the sentence "the user has N confirmed
//!   earlier alerts (repeat offender)". The confirmed alert itself is left as
//!   it is. The user comes from the row's `user_id` when given, else from
//!   the alert of that id in this run.
//!
//! Afterwards alerts are re-ranked and regrouped into cases exactly as
//! [`super::score`] does.

use std::collections::{BTreeMap, HashMap};

use super::alerts::{rank_and_group, Alert, Scored, Severity};
use crate::config::ScoreParams;
use crate::detect::DetectInput;
use crate::ingest::{Review, Verdict};
use crate::model::{Code, Evidence};

/// An alert a reviewer closed earlier.
#[derive(Debug, Clone)]
pub struct Suppressed {
    /// The alert as this run scored it.
    pub alert: Alert,
    /// `false_positive` or `duplicate`.
    pub verdict: Verdict,
    /// Who closed it.
    pub reviewer: String,
    /// Their note.
    pub note: String,
}

/// What the feedback step did.
#[derive(Debug, Clone, Default)]
pub struct FeedbackOutcome {
    /// Suppressed alerts, in the rank order they would have had.
    pub suppressed: Vec<Suppressed>,
    /// Alerts whose score the repeat-offender signal raised.
    pub boosted: u64,
    /// Users with confirmed alerts (in the file or this run).
    pub repeat_offenders: u64,
    /// Usable review rows.
    pub reviews: u64,
    /// Reviewed alert ids that are not alerts of this run (other days).
    pub not_in_run: u64,
}

impl FeedbackOutcome {
    /// Suppressed alerts per verdict.
    pub fn suppressed_by_verdict(&self) -> BTreeMap<String, u64> {
        let mut m: BTreeMap<String, u64> =
            [Verdict::FalsePositive, Verdict::Duplicate].iter().map(|v| (v.as_str().to_string(), 0)).collect();
        for s in &self.suppressed {
            *m.entry(s.verdict.as_str().to_string()).or_insert(0) += 1;
        }
        m
    }
}

/// Applies `reviews` (file order; a later row for the same alert wins) to
/// `scored`. `aliases` maps other spellings of ids (pseudonymous tokens of
/// alert and user ids) to the real ones, so verdicts given on a
/// pseudonymized export apply too.
pub fn apply_feedback(
    scored: Scored,
    reviews: &[Review],
    aliases: &HashMap<String, String>,
    input: &DetectInput<'_, Evidence>,
    params: &ScoreParams,
) -> (Scored, FeedbackOutcome) {
    let mut outcome = FeedbackOutcome { reviews: reviews.len() as u64, ..FeedbackOutcome::default() };
    if reviews.is_empty() {
        return (scored, outcome);
    }
    let dict = &input.data.dict;
    let resolve = |s: &str| aliases.get(s).cloned().unwrap_or_else(|| s.to_string());
    let mut latest: BTreeMap<String, &Review> = BTreeMap::new();
    for r in reviews {
        latest.insert(resolve(&r.alert_id), r);
    }
    let by_id: HashMap<&str, &Alert> = scored.alerts.iter().map(|a| (a.id.as_str(), a)).collect();
    let mut confirmed: BTreeMap<Code, u64> = BTreeMap::new();
    for (id, r) in &latest {
        if !by_id.contains_key(id.as_str()) {
            outcome.not_in_run += 1;
        }
        if r.verdict != Verdict::Confirmed {
            continue;
        }
        let user = match &r.user_id {
            Some(u) => dict.users.get(&resolve(u)),
            None => by_id.get(id.as_str()).map(|a| a.user),
        };
        if let Some(u) = user {
            *confirmed.entry(u).or_insert(0) += 1;
        }
    }
    outcome.repeat_offenders = confirmed.len() as u64;
    let w = params.repeat_offender_weight;
    let mut kept = Vec::with_capacity(scored.alerts.len());
    for mut a in scored.alerts {
        match latest.get(&a.id) {
            Some(r) if r.verdict.suppresses() => {
                outcome.suppressed.push(Suppressed {
                    alert: a,
                    verdict: r.verdict,
                    reviewer: r.reviewer.clone(),
                    note: r.note.clone(),
                });
                continue;
            }
            Some(_) => {}
            None => {
                if let Some(&n) = confirmed.get(&a.user) {
                    if w > 0.0 {
                        let p = 1.0 - (1.0 - a.score / 100.0) * (1.0 - w);
                        a.score = (p * 1000.0).round() / 10.0;
                        a.severity = Severity::of(a.score, params);
                        outcome.boosted += 1;
                    }
                    let s = if n == 1 { "" } else { "s" };
                    a.sentences.push(format!("the user has {n} confirmed earlier alert{s} (repeat offender)"));
                }
            }
        }
        kept.push(a);
    }
    (rank_and_group(kept, input), outcome)
}
