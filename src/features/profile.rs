//! The behaviour profile: a fixed vector of per-user features that peer
//! groups are learned from. Volumes are per active day, so part-timers and
//! full-timers compare; shares are in 0..=1.

use super::user_stats::{ratio, UserStats};

/// Names of the profile's features, in order, with the phrase used when a
/// feature drives an outlier explanation.
pub const PROFILE_FEATURES: [(&str, &str); 12] = [
    ("patient_accesses_per_day", "opens records"),
    ("distinct_patients_per_day", "views distinct patients per day"),
    ("peak_hour_patients", "opens distinct patients within one hour at the peak"),
    ("unexplained_share", "has accesses no care explains (share)"),
    ("after_hours_share", "works outside usual hours (share)"),
    ("weekend_share", "works on weekends (share)"),
    ("extractions_per_day", "prints or exports per day"),
    ("distinct_workstations", "uses distinct workstations"),
    ("other_department_share", "opens patients never seen in the user's department (share)"),
    ("first_time_share", "opens patients for the first time (share of daily patients)"),
    ("peer_affinity", "shares patients with department peers (share)"),
    ("sensitive_share", "opens sensitive sections (share)"),
];

/// Features that are counts or volumes: log-scaled before clustering.
pub const LOG_SCALED: [usize; 5] = [0, 1, 2, 6, 7];

/// One user's profile.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Profile {
    /// Values in the order of [`PROFILE_FEATURES`].
    pub values: [f64; 12],
}

impl Profile {
    /// Builds the profile from a user's stats (their daily series as
    /// summed up in `busiest`). `has_home` says whether the
    /// department-relative features mean anything (else they are neutral).
    pub fn of(s: &UserStats, has_home: bool) -> Profile {
        let days = s.active_days.max(1) as f64;
        let extraction = (s.prints + s.exports) as f64;
        let peak = s.busiest.peak_hour_patients as f64;
        let daily_distinct = s.busiest.patient_days as f64 / days;
        // First-time share over days after the first (the first day is all new).
        let (new, seen) = (u64::from(s.busiest.later_first_time), u64::from(s.busiest.later_patients));
        Profile {
            values: [
                s.patient_accesses as f64 / days,
                daily_distinct,
                peak,
                s.unexplained_share(),
                s.after_hours_share(),
                ratio(s.weekend_accesses, s.patient_accesses),
                extraction / days,
                s.distinct_workstations as f64,
                if has_home { ratio(s.other_department_patients, s.distinct_patients) } else { 0.0 },
                if seen > 0 { new as f64 / seen as f64 } else { 0.0 },
                if has_home { ratio(s.peer_shared_patients, s.distinct_patients) } else { 1.0 },
                ratio(s.sensitive_accesses, s.patient_accesses),
            ],
        }
    }
}
