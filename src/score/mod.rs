//! Score: merge findings into alerts, render their evidence, score, rank and
//! group them into cases.

mod alerts;
mod cases;
mod evidence;
mod feedback;
mod role_norms;
pub mod window;

pub use alerts::{score, Alert, Scored, Severity};
pub use cases::Case;
pub use feedback::{apply_feedback, FeedbackOutcome, Suppressed};
pub use window::{Window, WindowSpec};
