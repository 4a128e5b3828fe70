//! One day of access-log rows, generated from care.
//!
//! Clinical staff (nurses, physicians, residents, medical assistants) split
//! the patients of the unit they work in that shift, round-robin within the
//! unit and shift, and open and chart them repeatedly; attendings see their
//! own patients and cover for absent colleagues; consultants write a note on
//! another unit's patient; nocturnists cross-cover. Service staff (lab,
//! radiology, central pharmacy, registration, case management, HIM coding,
//! billing) work a queue of tasks generated from encounters, each handed to
//! someone on shift. Every shift has logins, logouts and patient searches
//! without a patient. [`simulate_day`] runs the steps in order (see `day`).

mod day;
mod generator;
mod links;
mod nursing;
mod physicians;
mod profiles;
mod support_staff;
mod tasks;
mod today;

pub use day::{simulate_day, Ctx, DayOutput, DayStats, Notable, NotableKind, Plan};
pub use generator::mix;
