//! Score: merge findings into alerts, render their evidence, score, rank and
//! group them into cases.

mod alerts;
mod cases;
mod evidence;

pub use alerts::{score, Alert, Scored, Severity};
pub use cases::Case;
