//! The care_team table: users a hospital system lists on a patient's care
//! (treatment teams, primary-care panels, research study teams).

use super::columns::{optional, required, ColumnSpec};
use super::fields::{date, required_text, FieldError};
use super::source::Row;
use crate::model::{CareAssignment, CareTeams, Dictionaries};
use crate::time::{ZoneCache, MICROS_PER_DAY};

/// Columns read from care_team.
pub const SPECS: [ColumnSpec; 5] =
    [required("patient_id"), required("user_id"), optional("relationship"), optional("start"), optional("end")];

/// Parses one care_team row: the span runs from the start day's local
/// midnight to the end of the end day; an empty start or end leaves that
/// side open. An end before the start is rejected.
pub fn accept(
    row: &Row<'_>,
    dict: &mut Dictionaries,
    out: &mut CareTeams,
    zone: &mut ZoneCache,
) -> Result<(), FieldError> {
    let c = row.cells;
    let patient = required_text(c[0], "patient_id")?;
    let user = required_text(c[1], "user_id")?;
    let start = date(c[3], "start")?;
    let end = date(c[4], "end")?;
    if let (Some(s), Some(e)) = (start, end) {
        if e < s {
            return Err(FieldError::new("end", "end is before start".to_string()));
        }
    }
    let a = CareAssignment::over_days(dict.users.intern(&user), start, end, |day| zone.to_utc(day * MICROS_PER_DAY));
    out.add(dict.patients.intern(&patient), a);
    Ok(())
}
