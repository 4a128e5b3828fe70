//! Features: per-user behaviour measured over the run's events: volumes,
//! breadth, unexplained share, usual hours in hospital local time, a daily
//! series per user (baselines, exfiltration windows), a behaviour profile,
//! and peer groups learned by clustering the profiles.

mod peer_groups;
mod profile;
mod user_days;
mod user_stats;
mod usual_hours;

pub use peer_groups::{mixture_probability, PeerGroups};
pub use profile::{Profile, PROFILE_FEATURES};
pub use user_days::{median, peak_distinct, robust_center_scale, Busiest, DayStats};
pub use user_stats::{
    compute, finish, ratio, team_only_patients, user_stats, Coverage, UserFeatures, UserStats, CATEGORIES,
};
pub use usual_hours::UsualHours;
