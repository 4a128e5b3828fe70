//! The patients table.

use std::collections::HashMap;

use super::columns::{optional, required, ColumnSpec};
use super::fields::{boolean, date, float, required_text, text, FieldError};
use super::source::Row;
use crate::model::{Dictionaries, PatientRecord, Patients};

/// Columns read from patients.
pub const SPECS: [ColumnSpec; 11] = [
    required("patient_id"),
    optional("first_name"),
    optional("last_name"),
    optional("birth_date"),
    optional("address"),
    optional("zip"),
    optional("lat"),
    optional("lon"),
    optional("deceased_date"),
    optional("vip"),
    optional("restricted"),
];

/// Parses one patients row into `patients`, rejecting duplicate ids.
pub fn accept(
    row: &Row<'_>,
    dict: &mut Dictionaries,
    patients: &mut Patients,
    seen: &mut HashMap<String, u64>,
) -> Result<(), FieldError> {
    let c = row.cells;
    let id = required_text(c[0], "patient_id")?;
    if let Some(first) = seen.get(&*id) {
        return Err(FieldError::new(
            "patient_id",
            format!("duplicate patient_id; the same patient is first defined on line {first}"),
        ));
    }
    let record = PatientRecord {
        first_name: text(c[1]),
        last_name: text(c[2]),
        birth_date: date(c[3], "birth_date")?,
        address: text(c[4]),
        zip: text(c[5]),
        lat: float(c[6], "lat", (-90.0, 90.0))?,
        lon: float(c[7], "lon", (-180.0, 180.0))?,
        deceased_date: date(c[8], "deceased_date")?,
        vip: boolean(c[9], "vip")?.unwrap_or(false),
        restricted: boolean(c[10], "restricted")?.unwrap_or(false),
    };
    seen.insert(id.to_string(), row.line);
    patients.insert(dict.patients.intern(&id), record);
    Ok(())
}
