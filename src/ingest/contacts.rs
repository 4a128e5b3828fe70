//! The patient_contacts table.

use super::columns::{optional, required, ColumnSpec};
use super::fields::{required_text, text, FieldError};
use super::source::Row;
use crate::model::{Contact, Dictionaries};

/// Columns read from patient_contacts.
pub const SPECS: [ColumnSpec; 5] = [
    required("patient_id"),
    optional("first_name"),
    optional("last_name"),
    optional("relationship"),
    optional("address"),
];

/// Parses one patient_contacts row.
pub fn accept(row: &Row<'_>, dict: &mut Dictionaries, out: &mut Vec<Contact>) -> Result<(), FieldError> {
    let c = row.cells;
    let patient = required_text(c[0], "patient_id")?;
    out.push(Contact {
        patient: dict.patients.intern(&patient),
        first_name: text(c[1]),
        last_name: text(c[2]),
        relationship: text(c[3]).map(|r| r.to_lowercase()),
        address: text(c[4]),
    });
    Ok(())
}
