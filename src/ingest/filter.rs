//! A row filter on the access log: only the rows of some patients, or of
//! some users, are kept. `investigate patient` reads a patient's accesses,
//! and then every access of the users who opened the record, without
//! holding the rest of a large log. For Parquet files the filter is pushed
//! into the polars scan (a predicate on `patient_id` / `user_id`), so only
//! the matching rows are decoded in full; CSV rows are read and dropped.
//!
//! Rows the filter drops are not counted anywhere: a filtered read's
//! [`super::IngestReport`] and its rejects cover the kept rows only, and
//! the line of a kept Parquet row is its position among the kept rows.

use std::collections::HashSet;

use super::source::{Cell, Row};

/// Which access-log rows to keep: those whose patient id is in `patients`
/// or whose user id is in `users` (ids as the files write them, trimmed).
#[derive(Debug, Clone, Default)]
pub struct RowFilter {
    /// Patient ids whose rows are kept.
    pub patients: HashSet<String>,
    /// User ids whose rows are kept.
    pub users: HashSet<String>,
}

impl RowFilter {
    /// Keeps the rows of one patient.
    pub fn patient(id: &str) -> RowFilter {
        RowFilter { patients: HashSet::from([id.to_string()]), users: HashSet::new() }
    }

    /// Whether a row (cells in `access_log::SPECS` order: user id second,
    /// patient id third) is kept.
    pub(super) fn keeps(&self, row: &Row<'_>) -> bool {
        let hit = |cell: Option<&Option<Cell<'_>>>, set: &HashSet<String>| match cell {
            _ if set.is_empty() => false,
            Some(Some(Cell::Str(s))) => set.contains(*s),
            Some(Some(other)) => set.contains(&other.to_text()),
            _ => false,
        };
        hit(row.cells.get(2), &self.patients) || hit(row.cells.get(1), &self.users)
    }
}
