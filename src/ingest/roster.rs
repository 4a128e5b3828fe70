//! The users table (HR roster).

use std::collections::HashMap;

use super::columns::{optional, required, ColumnSpec};
use super::fields::{date, float, required_text, text, FieldError};
use super::source::Row;
use crate::model::{Dictionaries, Roster, Text, UserRecord};

/// Columns read from users.
pub const SPECS: [ColumnSpec; 12] = [
    required("user_id"),
    optional("first_name"),
    optional("last_name"),
    optional("role"),
    optional("department_id"),
    optional("address"),
    optional("zip"),
    optional("lat"),
    optional("lon"),
    optional("hire_date"),
    optional("termination_date"),
    optional("patient_id"),
];

/// Parses one users row into `roster`; `seen` maps user ids to the line that
/// first defined them, to reject duplicates.
pub fn accept(
    row: &Row<'_>,
    dict: &mut Dictionaries,
    roster: &mut Roster,
    seen: &mut HashMap<String, u64>,
) -> Result<(), FieldError> {
    let c = row.cells;
    let user = required_text(c[0], "user_id")?;
    if let Some(first) = seen.get(&*user) {
        return Err(FieldError::new(
            "user_id",
            format!("duplicate user_id; the same user is first defined on line {first}"),
        ));
    }
    let lat = float(c[7], "lat", (-90.0, 90.0))?;
    let lon = float(c[8], "lon", (-180.0, 180.0))?;
    let hire_date = date(c[9], "hire_date")?;
    let termination_date = date(c[10], "termination_date")?;
    if let (Some(h), Some(t)) = (hire_date, termination_date) {
        if t < h {
            return Err(FieldError::new("termination_date", "termination_date is before hire_date"));
        }
    }
    let record = UserRecord {
        first_name: text(c[1]).map(Text::from),
        last_name: text(c[2]).map(Text::from),
        role: text(c[3]).map(|r| Text::from(r.to_lowercase())),
        department: text(c[4]).map(|d| dict.departments.intern(&d)),
        address: text(c[5]).map(Text::from),
        zip: text(c[6]).map(Text::from),
        lat,
        lon,
        hire_date,
        termination_date,
        patient: text(c[11]).map(|p| dict.patients.intern(&p)),
    };
    seen.insert(user.to_string(), row.line);
    roster.insert(dict.users.intern(&user), record);
    Ok(())
}
