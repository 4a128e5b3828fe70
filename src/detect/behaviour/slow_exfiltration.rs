//! `slow_exfiltration`: extraction above the user's own baseline, day after
//! day.
//!
//! Why it matters: a careful thief stays under any one-day threshold and
//! takes a few dozen records a day for weeks. Each user's daily count of
//! distinct patients printed or exported in accesses no care explains is
//! compared with their own history
//! (median and normal-consistent MAD, needing `min_history_days` active
//! days): `min_days` elevated days (robust z of `z` or more) within
//! `span_days`, adding up to `min_patients`, make a finding.
//!
//! Example: a unit clerk who prints one or two records a day prints 12 to 20
//! a day on six days over two weeks.

use rayon::prelude::*;

use crate::detect::finding::{AlertKind, Fact, Finding};
use crate::detect::input::{DetectInput, Rule};
use crate::detect::params::{days, finite_at_least, Invalid, RuleParams, RuleSettings};
use crate::features::robust_center_scale;
use crate::model::NONE;

/// `[rules.slow_exfiltration]`, besides `enabled` and `weight`.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct SlowExfiltrationParams {
    /// Active days a user needs before their own baseline is trusted.
    pub min_history_days: u32,
    /// Robust z-score of a day's printed/exported patients over the user's
    /// baseline that makes the day elevated.
    pub z: f64,
    /// Elevated days needed ...
    pub min_days: u32,
    /// ... within this many days.
    pub span_days: u32,
    /// Distinct patients printed or exported on the elevated days, at least.
    pub min_patients: u32,
}

impl Default for SlowExfiltrationParams {
    fn default() -> Self {
        Self { min_history_days: 7, z: 3.0, min_days: 3, span_days: 10, min_patients: 15 }
    }
}

impl RuleParams for SlowExfiltrationParams {
    fn check(&self) -> Result<(), Invalid> {
        days("min_history_days", self.min_history_days, 1)?;
        finite_at_least("z", self.z, 0.0, "a robust z-score of 0 or more")?;
        days("min_days", self.min_days, 1)?;
        // `min_patients`: any count (its type rejects the rest). A span of 0
        // days holds no elevated day (and would end the window before it
        // starts).
        days("span_days", self.span_days, 1)
    }
}

/// The rule.
pub struct SlowExfiltration;

impl Rule for SlowExfiltration {
    const ID: &'static str = "slow_exfiltration";
    const DEFAULTS: RuleSettings = RuleSettings::weight(0.7);
    type Params = SlowExfiltrationParams;

    fn run(&self, p: &Self::Params, input: &DetectInput<'_>) -> Vec<Finding> {
        let ev = &input.data.events;
        input
            .features
            .users
            .par_iter()
            .filter(|(user, _)| input.scope.contains(*user))
            .filter_map(|(user, s)| {
                if s.days.len() < p.min_history_days as usize {
                    return None;
                }
                let series: Vec<f64> = s.days.iter().map(|d| d.unexplained_extraction_patients as f64).collect();
                let (center, scale) = robust_center_scale(&series, 1.0);
                let elevated: Vec<usize> = (0..s.days.len())
                    .filter(|&k| {
                        let v = series[k];
                        (v - center) / scale >= p.z && v >= center + 3.0
                    })
                    .collect();
                // The densest run of elevated days within span_days.
                let span = i64::from(p.span_days);
                let mut best: Option<(usize, usize)> = None;
                let mut lo = 0;
                for hi in 0..elevated.len() {
                    while i64::from(s.days[elevated[hi]].day - s.days[elevated[lo]].day) >= span {
                        lo += 1;
                    }
                    if best.is_none_or(|(a, b)| hi - lo > b - a) {
                        best = Some((lo, hi));
                    }
                }
                let (lo, hi) = best?;
                let days: Vec<usize> = elevated[lo..=hi].to_vec();
                let patients: u64 = days.iter().map(|&k| s.days[k].unexplained_extraction_patients).sum();
                if days.len() < p.min_days as usize || patients < u64::from(p.min_patients) {
                    return None;
                }
                let events: Vec<usize> = days
                    .iter()
                    .flat_map(|&k| s.days[k].events.clone())
                    .filter(|&i| ev.action[i].is_extraction() && !input.explained.kind[i].is_explained())
                    .collect();
                let span_days = i64::from(s.days[*days.last()?].day - s.days[days[0]].day) + 1;
                Some(Finding {
                    rule: Self::ID,
                    kind: AlertKind::Exfiltration,
                    user: *user,
                    patient: NONE,
                    events,
                    facts: vec![Fact::SlowExfiltration { days: days.len(), span_days, patients, baseline: center }],
                    downgraded: false,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_fixture::World;

    fn clerk(w: &mut World, daily: &[usize]) {
        w.user("clerk").department("MED").role("unit_clerk");
        for (d, &n) in daily.iter().enumerate() {
            let day = format!("2026-11-{:02}", d + 1);
            w.access(&format!("{day} 08:00:00"), "clerk", "P0", "view");
            for i in 0..n {
                w.access(&format!("{day} 09:{:02}:00", i % 60), "clerk", &format!("D{d}-{i}"), "print");
            }
        }
    }

    #[test]
    fn fires_on_a_sustained_rise_over_the_users_own_baseline() {
        let mut w = World::new();
        clerk(&mut w, &[1, 2, 1, 0, 2, 1, 1, 2, 1, 14, 16, 0, 15, 18, 1]);
        let found = w.run(&SlowExfiltration);
        assert_eq!(found.len(), 1);
        assert!(
            matches!(found[0].facts[0], Fact::SlowExfiltration { days: 4, patients: 63, .. }),
            "{:?}",
            found[0].facts
        );
    }

    #[test]
    fn one_busy_day_or_a_steady_high_printer_does_not_fire() {
        let mut w = World::new();
        clerk(&mut w, &[1, 2, 1, 0, 2, 1, 1, 2, 1, 30, 1, 0, 1, 2, 1]);
        assert!(w.run(&SlowExfiltration).is_empty());
        let mut w = World::new();
        clerk(&mut w, &[20, 22, 19, 21, 18, 20, 23, 21, 20, 19, 22, 20]);
        assert!(w.run(&SlowExfiltration).is_empty());
    }
}
