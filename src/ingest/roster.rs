//! The users table (HR roster).

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

/// Parses one users row into `roster`; `seen` holds, by user code, one
/// more than the line that first defined the user (0: none yet), to reject duplicates
/// (by code rather than by id: a roster of millions of users kept a copy
/// of every id for this).
pub fn accept(
    row: &Row<'_>,
    dict: &mut Dictionaries,
    roster: &mut Roster,
    seen: &mut Vec<u64>,
) -> Result<(), FieldError> {
    let c = row.cells;
    let user = required_text(c[0], "user_id")?;
    let first = dict.users.get(&user).and_then(|code| seen.get(code as usize)).and_then(|&n| n.checked_sub(1));
    if let Some(first) = first {
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
    let code = dict.users.intern(&user);
    if seen.len() <= code as usize {
        seen.resize(code as usize + 1, 0);
    }
    seen[code as usize] = row.line.saturating_add(1);
    roster.insert(code, record);
    Ok(())
}
