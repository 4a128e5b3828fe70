//! `peer_outlier`: behaviour far from the user's peer group.
//!
//! Why it matters: users who do similar work behave alike (the peer groups
//! are learned from behaviour, not job titles); a user far from every peer
//! is doing something else: harvesting, browsing, a shared or stolen
//! account. The finding names the features that drive the distance, in the
//! user's and the group's own units.
//!
//! Example: "behaves unlike the 212 users of peer group '3 nurses in MED'
//! (7.2 times a typical member's distance): views distinct patients per day:
//! 84.0, 4.1 times the group's median of 20.5".

use crate::detect::finding::{AlertKind, Fact, Finding};
use crate::detect::input::{DetectInput, Rule};
use crate::detect::params::{finite_at_least, Invalid, RuleParams, RuleSettings};
use crate::features::PROFILE_FEATURES;
use crate::model::NONE;

/// `[rules.peer_outlier]`, besides `enabled` and `weight`.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct PeerOutlierParams {
    /// Outlier score (distance to the peer group in units of its spread), at least.
    pub min_score: f64,
}

impl Default for PeerOutlierParams {
    fn default() -> Self {
        Self { min_score: 6.0 }
    }
}

impl RuleParams for PeerOutlierParams {
    fn check(&self) -> Result<(), Invalid> {
        finite_at_least("min_score", self.min_score, 0.0, "an outlier score of 0 or more")
    }
}

/// The rule.
pub struct PeerOutlier;

impl Rule for PeerOutlier {
    const ID: &'static str = "peer_outlier";
    const DEFAULTS: RuleSettings = RuleSettings::weight(0.3);
    type Params = PeerOutlierParams;

    fn check(&self, input: &DetectInput<'_>) -> Result<(), String> {
        if input.features.peers.is_none() {
            return Err(format!("fewer than {} users: no peer groups", input.config.peers.min_users));
        }
        Ok(())
    }

    fn run(&self, params: &Self::Params, input: &DetectInput<'_>) -> Vec<Finding> {
        let Some(groups) = &input.features.peers else { return Vec::new() };
        let ev = &input.data.events;
        let min = params.min_score;
        let mut out = Vec::new();
        for (i, (user, s)) in input.features.users.iter().enumerate() {
            let score = groups.outlier[i];
            if score < min || !input.scope.contains(*user) {
                continue;
            }
            let g = groups.assignment[i];
            let mut order: Vec<usize> = (0..PROFILE_FEATURES.len()).collect();
            let profile = s.profile();
            let contributions = groups.contributions(i, &profile);
            order.sort_by(|&a, &b| contributions[b].total_cmp(&contributions[a]));
            let drivers: Vec<(&'static str, f64, f64)> = order
                .into_iter()
                .filter(|&j| contributions[j] > 1.0)
                .take(3)
                .map(|j| (PROFILE_FEATURES[j].1, profile.values[j], groups.medians[g][j]))
                .collect();
            if drivers.is_empty() {
                continue; // far out only by doing less than peers
            }
            // Evidence: the user's accesses no care explains, or their busiest day.
            let mut events: Vec<usize> = s
                .days
                .iter()
                .flat_map(|d| d.events.clone())
                .filter(|&k| ev.patient[k] != NONE && !input.explained.kind[k].is_explained())
                .collect();
            if events.is_empty() {
                if let Some(d) = s.days.iter().max_by_key(|d| d.distinct_patients) {
                    events = d.events.clone().collect();
                }
            }
            out.push(Finding {
                rule: Self::ID,
                kind: AlertKind::Behaviour,
                user: *user,
                patient: NONE,
                events,
                facts: vec![Fact::PeerOutlier {
                    score,
                    label: groups.labels[g].clone(),
                    size: groups.sizes[g],
                    drivers,
                }],
                downgraded: false,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_fixture::World;

    fn ward(w: &mut World, extra: usize) {
        for n in 0..30 {
            let u = format!("rn{n}");
            w.user(&u).department("MED").role("nurse");
            let many = if n == 7 { extra } else { 0 };
            for k in 0..(4 + n % 5 + many) {
                let p = format!("M{n}-{k}");
                w.patient(&p);
                w.encounter(&p, "MED", "2026-11-01 00:00:00", None, None);
                w.access(&format!("2026-11-0{} 1{}:00:00", k % 5 + 2, k % 8), &u, &p, "view");
            }
        }
    }

    #[test]
    fn fires_on_a_user_far_from_the_group_and_names_the_driver() {
        let mut w = World::new();
        ward(&mut w, 0);
        for k in 0..150 {
            w.access(&format!("2026-11-09 {:02}:{:02}:00", k / 60 + 1, k % 60), "rn7", &format!("X{k}"), "export");
        }
        let found = w.run(&PeerOutlier);
        let rn7: Vec<&Finding> = found.iter().filter(|f| w.user_of(f) == "rn7").collect();
        assert_eq!(rn7.len(), 1, "{found:?}");
        let s = rn7[0].facts[0].sentence();
        assert!(s.contains("behaves unlike the") && s.contains("times the group's median"), "{s}");
        assert!(found.len() <= 2, "at most one other user is far out: {}", found.len());
    }

    #[test]
    fn ordinary_variation_does_not_fire() {
        let mut w = World::new();
        ward(&mut w, 3);
        assert!(w.run(&PeerOutlier).is_empty());
    }
}
