//! Cases: one user's alerts grouped, so a serial snooper is one case with
//! many patients. A case's score combines its alerts' scores as a noisy-OR,
//! so more independent alerts make a more urgent case; cases whose combined
//! score saturates are ordered by their best alert, then by the sum of
//! their alert scores.

use std::collections::BTreeMap;

use super::alerts::{stable_id, Alert};
use crate::detect::{AlertKind, DetectInput};
use crate::model::{Code, Evidence, NONE};
use crate::time::ZoneCache;

/// One user's case.
#[derive(Debug, Clone)]
pub struct Case {
    /// Stable id: hash of the user id and the first alert's date.
    pub id: String,
    /// 1 = most urgent.
    pub rank: u32,
    /// Combined score, 0-100.
    pub score: f64,
    /// The user.
    pub user: Code,
    /// Indices into the alerts, best first.
    pub alerts: Vec<usize>,
    /// Distinct patients across the alerts.
    pub patients: usize,
    /// Kinds present.
    pub kinds: Vec<AlertKind>,
    /// First evidence access.
    pub first: i64,
    /// Last evidence access.
    pub last: i64,
    /// The most frequent reasons, as short labels with counts.
    pub top_reasons: Vec<String>,
}

/// Groups ranked alerts by user, sets their `case_id`, and ranks the cases.
pub fn group_cases(alerts: &mut [Alert], input: &DetectInput<'_, Evidence>) -> Vec<Case> {
    let dict = &input.data.dict;
    let mut by_user: BTreeMap<Code, Vec<usize>> = BTreeMap::new();
    for (i, a) in alerts.iter().enumerate() {
        by_user.entry(a.user).or_default().push(i);
    }
    let mut zone = ZoneCache::new(input.data.tz);
    let mut cases: Vec<Case> = by_user
        .into_iter()
        .map(|(user, idx)| {
            let score = 100.0 * (1.0 - idx.iter().fold(1.0, |acc, &i| acc * (1.0 - alerts[i].score / 100.0)));
            let score = (score * 10.0).round() / 10.0;
            let first = idx.iter().map(|&i| alerts[i].first).min().unwrap_or(0);
            let last = idx.iter().map(|&i| alerts[i].last).max().unwrap_or(0);
            let mut patients: Vec<Code> = idx.iter().map(|&i| alerts[i].patient).filter(|p| *p != NONE).collect();
            patients.sort_unstable();
            patients.dedup();
            let mut kinds: Vec<AlertKind> = idx.iter().map(|&i| alerts[i].kind).collect();
            kinds.sort();
            kinds.dedup();
            let mut reasons: BTreeMap<&'static str, usize> = BTreeMap::new();
            for &i in &idx {
                for f in &alerts[i].facts {
                    *reasons.entry(f.label()).or_default() += 1;
                }
            }
            let mut reasons: Vec<(&str, usize)> = reasons.into_iter().collect();
            reasons.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            let top_reasons = reasons.iter().take(3).map(|(l, n)| format!("{l} ×{n}")).collect();
            let first_day = crate::time::format_local_date(zone.to_local(first));
            Case {
                id: stable_id("C-", &[dict.users.name(user), &first_day]),
                rank: 0,
                score,
                user,
                alerts: idx,
                patients: patients.len(),
                kinds,
                first,
                last,
                top_reasons,
            }
        })
        .collect();
    cases.sort_by(|a, b| {
        // The combined score saturates near 100 for serial cases; the best
        // single alert and the sum of alert scores break those ties.
        let best = |c: &Case| c.alerts.iter().map(|&i| alerts[i].score).fold(0.0, f64::max);
        let total = |c: &Case| c.alerts.iter().map(|&i| alerts[i].score).sum::<f64>();
        b.score
            .total_cmp(&a.score)
            .then_with(|| best(b).total_cmp(&best(a)))
            .then_with(|| total(b).total_cmp(&total(a)))
            .then_with(|| dict.users.name(a.user).cmp(dict.users.name(b.user)))
    });
    for (i, c) in cases.iter_mut().enumerate() {
        c.rank = i as u32 + 1;
        for &a in &c.alerts {
            alerts[a].case_id = c.id.clone();
        }
    }
    cases
}
