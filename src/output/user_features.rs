//! The behaviour columns of user_features.parquet: the daily-series
//! summaries, the profile features peer groups are learned from, and the
//! peer group itself (group, label, whether it matches the declared role,
//! outlier score, mixture probability).

use super::frames::FeatureColumn;
use super::write::RunOutputs;
use crate::features::PROFILE_FEATURES;

/// Profile column names, prefixed so they do not collide with the counts.
const PROFILE_COLUMNS: [&str; 12] = [
    "profile_patient_accesses_per_day",
    "profile_distinct_patients_per_day",
    "profile_peak_hour_patients",
    "profile_unexplained_share",
    "profile_after_hours_share",
    "profile_weekend_share",
    "profile_extractions_per_day",
    "profile_distinct_workstations",
    "profile_other_department_share",
    "profile_first_time_share",
    "profile_peer_affinity",
    "profile_sensitive_share",
];

/// The behaviour columns of the `rows` of `run.features.users`.
pub fn behaviour_columns(run: &RunOutputs<'_>, rows: std::ops::Range<usize>) -> Vec<FeatureColumn> {
    debug_assert_eq!(PROFILE_COLUMNS.len(), PROFILE_FEATURES.len());
    let users = &run.features.users[rows.clone()];
    let peers = run.features.peers.as_ref();
    let count = |f: &dyn Fn(&crate::features::UserStats) -> u64| users.iter().map(|(_, s)| f(s)).collect();
    let mut cols = vec![
        FeatureColumn::Count("unexplained_patients", count(&|s| u64::from(s.unexplained_patients))),
        FeatureColumn::Count("team_only_patients", count(&|s| u64::from(s.team_only_patients))),
        FeatureColumn::Count("distinct_ips", count(&|s| u64::from(s.distinct_ips))),
        FeatureColumn::Count("sensitive_accesses", count(&|s| u64::from(s.sensitive_accesses))),
        FeatureColumn::Count("other_department_patients", count(&|s| u64::from(s.other_department_patients))),
        FeatureColumn::Count("peer_shared_patients", count(&|s| u64::from(s.peer_shared_patients))),
        // From `busiest`: the daily series is not kept for every user.
        FeatureColumn::Count("max_day_distinct_patients", count(&|s| u64::from(s.busiest.distinct_patients))),
        FeatureColumn::Count("max_day_extraction_patients", count(&|s| u64::from(s.busiest.extraction_patients))),
        FeatureColumn::Count("days_with_new_device", count(&|s| u64::from(s.busiest.new_device_days))),
    ];
    let profiles: Vec<crate::features::Profile> = users.iter().map(|(_, s)| s.profile()).collect();
    for (j, name) in PROFILE_COLUMNS.iter().enumerate() {
        cols.push(FeatureColumn::Float(name, profiles.iter().map(|p| p.values[j]).collect()));
    }
    let n = users.len();
    match peers {
        Some(g) => {
            let assignment = &g.assignment[rows.clone()];
            cols.push(FeatureColumn::Count("peer_group", assignment.iter().map(|&a| a as u64 + 1).collect()));
            cols.push(FeatureColumn::text("peer_group_label", assignment.iter().map(|&a| &g.labels[a])));
            cols.push(FeatureColumn::Count("peer_group_size", assignment.iter().map(|&a| g.sizes[a] as u64).collect()));
            cols.push(FeatureColumn::Bool("peer_group_matches_role", g.matches_role[rows.clone()].to_vec()));
            cols.push(FeatureColumn::Float("peer_outlier_score", g.outlier[rows.clone()].to_vec()));
            cols.push(FeatureColumn::Float(
                "peer_group_probability",
                g.membership_probability.as_ref().map_or_else(|| vec![f64::NAN; n], |p| p[rows].to_vec()),
            ));
        }
        None => {
            cols.push(FeatureColumn::Count("peer_group", vec![0; n]));
            cols.push(FeatureColumn::text("peer_group_label", std::iter::repeat_n("", n)));
            cols.push(FeatureColumn::Count("peer_group_size", vec![0; n]));
            cols.push(FeatureColumn::Bool("peer_group_matches_role", vec![false; n]));
            cols.push(FeatureColumn::Float("peer_outlier_score", vec![f64::NAN; n]));
            cols.push(FeatureColumn::Float("peer_group_probability", vec![f64::NAN; n]));
        }
    }
    cols
}
