//! Role classes: what kind of work each user does, from the HR title (the
//! built-in title rules, or the hospital's `[roles.titles]` patterns), or,
//! when the title says nothing, from the user's work set against the
//! encounters (decided in the explain stage, `explain::care`).
//!
//! Invariant: class names, never raw titles, drive explanations and
//! rules; raw titles appear only in the coverage report.

mod book;
mod class;
mod titles;

pub use book::{RoleBook, RoleCoverage};
pub use class::{Assigned, RoleClass, RoleSource};
pub use titles::{normalise_title, TitleRules};
