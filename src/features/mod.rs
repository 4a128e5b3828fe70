//! Features: per-user behaviour measured over the run's events.
//!
//! The foundation set: volumes, breadth, the unexplained share, and each
//! user's usual hours in hospital local time (which the evidence sentence
//! "outside the user's usual hours" rests on).

mod user_stats;
mod usual_hours;

pub use user_stats::{compute, UserFeatures, UserStats};
pub use usual_hours::UsualHours;
