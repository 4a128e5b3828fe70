//! The encounters table.

use std::collections::HashMap;

use super::columns::{optional, required, ColumnSpec};
use super::fields::{required_text, text, timestamp, FieldError};
use super::source::Row;
use crate::model::{Dictionaries, Encounter};
use crate::time::ZoneCache;

/// Columns read from encounters.
pub const SPECS: [ColumnSpec; 6] = [
    required("encounter_id"),
    required("patient_id"),
    optional("department_id"),
    required("start"),
    optional("end"),
    optional("provider_user_id"),
];

/// Parses one encounters row, rejecting duplicate ids and ends before starts.
pub fn accept(
    row: &Row<'_>,
    dict: &mut Dictionaries,
    out: &mut Vec<Encounter>,
    seen: &mut HashMap<String, u64>,
    zone: &mut ZoneCache,
) -> Result<(), FieldError> {
    let c = row.cells;
    let id = required_text(c[0], "encounter_id")?;
    if let Some(first) = seen.get(&*id) {
        return Err(FieldError::new("encounter_id", format!("duplicate encounter_id; first defined on line {first}")));
    }
    let patient = required_text(c[1], "patient_id")?;
    let start = timestamp(c[3], "start", zone)?.ok_or_else(|| FieldError::missing("start"))?;
    let end = timestamp(c[4], "end", zone)?;
    if end.is_some_and(|e| e < start) {
        return Err(FieldError::new("end", "end is before start".to_string()));
    }
    seen.insert(id.to_string(), row.line);
    out.push(Encounter {
        patient: dict.patients.intern(&patient),
        department: text(c[2]).map(|d| dict.departments.intern(&d)),
        start,
        end,
        provider: text(c[5]).map(|u| dict.users.intern(&u)),
    });
    Ok(())
}
