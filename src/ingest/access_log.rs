//! The access_log table: one row per access of one patient's record.

use super::columns::{optional, required, ColumnSpec};
use super::fields::{boolean, required_text, timestamp, FieldError};
use super::report::IngestReport;
use super::source::{Cell, Row};
use crate::model::{Action, DataCategory, Dictionaries, Events, NONE};
use crate::time::ZoneCache;

/// Columns read from access_log. `reason` and `event_id` are accepted in the
/// input but not read yet: no detector uses them.
pub const SPECS: [ColumnSpec; 9] = [
    required("timestamp"),
    required("user_id"),
    required("patient_id"),
    required("action"),
    optional("data_category"),
    optional("workstation_id"),
    optional("ip_address"),
    optional("department_id"),
    optional("break_glass"),
];

fn code_of(dict: &mut crate::model::Dictionary, cell: Option<Cell<'_>>) -> u32 {
    match cell {
        Some(Cell::Str(s)) => dict.intern(s),
        Some(other) => dict.intern(&other.to_text()),
        None => NONE,
    }
}

/// Parses one row into `events`. Validates everything before touching
/// `events`, so a rejected row leaves no trace but its rejection.
pub fn accept(
    row: &Row<'_>,
    file_index: u32,
    dict: &mut Dictionaries,
    events: &mut Events,
    report: &mut IngestReport,
    zone: &mut ZoneCache,
) -> Result<(), FieldError> {
    let c = row.cells;
    let ts = timestamp(c[0], "timestamp", zone)?.ok_or_else(|| FieldError::missing("timestamp"))?;
    let user = required_text(c[1], "user_id")?;
    let action_text = required_text(c[3], "action")?;
    let action = Action::parse(&action_text);
    let has_patient = c[2].is_some();
    if let Some(a) = action {
        if a.needs_patient() && !has_patient {
            return Err(FieldError {
                column: "patient_id",
                reason: format!("missing patient_id; a {} needs the patient whose record was touched", a.as_str()),
            });
        }
    }
    let category = match c[4] {
        None => DataCategory::Unspecified,
        Some(Cell::Str(s)) => DataCategory::parse(s).unwrap_or_else(|| {
            IngestReport::count_unknown(&mut report.other_categories, s);
            DataCategory::Other
        }),
        Some(cell) => {
            let t = cell.to_text();
            DataCategory::parse(&t).unwrap_or_else(|| {
                IngestReport::count_unknown(&mut report.other_categories, &t);
                DataCategory::Other
            })
        }
    };
    let break_glass = boolean(c[8], "break_glass")?.unwrap_or(false);
    let action = action.unwrap_or_else(|| {
        IngestReport::count_unknown(&mut report.other_actions, &action_text);
        Action::Other
    });

    events.user.push(dict.users.intern(&user));
    events.patient.push(code_of(&mut dict.patients, c[2]));
    events.ts.push(ts);
    events.action.push(action);
    events.category.push(category);
    events.workstation.push(code_of(&mut dict.workstations, c[5]));
    events.ip.push(code_of(&mut dict.ips, c[6]));
    events.department.push(code_of(&mut dict.departments, c[7]));
    events.break_glass.push(break_glass);
    events.source_file.push(file_index);
    events.source_line.push(row.line);
    Ok(())
}
