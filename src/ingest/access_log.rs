//! The access_log table: one row per access of one patient's record.

use super::columns::{optional, ColumnSpec};
use super::fields::{boolean, required_text, timestamp, FieldError};
use super::plausible::Plausible;
use super::report::IngestReport;
use super::source::{Cell, Row};
use crate::model::{Action, DataCategory, Dictionaries, Events, ACCESS_LOG_COLUMNS, ACCESS_LOG_REQUIRED, NONE};
use crate::time::ZoneCache;

/// Columns read from access_log: the contract's columns up to
/// `break_glass`, in contract order (the row parser indexes them by
/// position). `reason` and `event_id` are accepted in the input but not read
/// yet: no rule uses them.
pub const SPECS: [ColumnSpec; 9] = {
    let mut specs = [optional(""); 9];
    let mut i = 0;
    while i < specs.len() {
        specs[i] = ColumnSpec { name: ACCESS_LOG_COLUMNS[i], required: i < ACCESS_LOG_REQUIRED };
        i += 1;
    }
    specs
};

fn code_of(dict: &mut crate::model::Dictionary, cell: Option<Cell<'_>>) -> u32 {
    match cell {
        Some(Cell::Str(s)) => dict.intern(s),
        Some(other) => dict.intern(&other.to_text()),
        None => NONE,
    }
}

/// The workstation, IP address, department and patient of each user's
/// last row in one file, as codes: a session repeats the first three row
/// after row, and a user's next row is the same patient's more often than
/// not (59% of rows in the simulated hospital: notes, then results, then
/// orders of one chart), so most rows compare short strings with the last
/// ones instead of hashing them.
#[derive(Debug, Default)]
pub struct Sessions {
    last: Vec<[crate::model::Code; 4]>,
}

impl Sessions {
    fn of(&mut self, user: crate::model::Code) -> &mut [crate::model::Code; 4] {
        let u = user as usize;
        if u >= self.last.len() {
            self.last.resize(u + 1, [NONE; 4]);
        }
        &mut self.last[u]
    }
}

/// [`code_of`], first trying the code `last` names.
fn session_code(dict: &mut crate::model::Dictionary, cell: Option<Cell<'_>>, last: &mut u32) -> u32 {
    match cell {
        Some(Cell::Str(s)) if *last != NONE && dict.name(*last) == s => *last,
        Some(Cell::Str(s)) => {
            *last = dict.intern(s);
            *last
        }
        other => code_of(dict, other),
    }
}

/// Parses one row of file `file_index` into `events`, its ids interned
/// into `dict` (workstation, IP address and department first compared with
/// the user's last row in `sessions`), an unknown action or category
/// counted in `report`, and the instant checked against `plausible`.
/// Validates every cell before pushing any column, so a rejected row
/// leaves no trace but its rejection (the returned [`FieldError`]).
#[allow(clippy::too_many_arguments)]
pub fn accept(
    row: &Row<'_>,
    file_index: u32,
    dict: &mut Dictionaries,
    events: &mut Events,
    report: &mut IngestReport,
    zone: &mut ZoneCache,
    sessions: &mut Sessions,
    plausible: &Plausible,
) -> Result<(), FieldError> {
    let c = row.cells;
    let ts = timestamp(c[0], "timestamp", zone)?.ok_or_else(|| FieldError::missing("timestamp"))?;
    let ts = plausible.check(ts)?;
    let user = required_text(c[1], "user_id")?;
    let action_text = required_text(c[3], "action")?;
    let action = Action::parse(&action_text);
    let has_patient = c[2].is_some();
    if let Some(a) = action {
        if a.needs_patient() && !has_patient {
            return Err(FieldError::new(
                "patient_id",
                format!("missing patient_id; a {} needs the patient whose record was touched", a.as_str()),
            ));
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

    let user = dict.users.intern(&user);
    let last = sessions.of(user);
    events.user.push(user);
    events.patient.push(session_code(&mut dict.patients, c[2], &mut last[3]));
    events.ts.push(ts);
    events.action.push(action);
    events.category.push(category);
    events.workstation.push(session_code(&mut dict.workstations, c[5], &mut last[0]));
    events.ip.push(session_code(&mut dict.ips, c[6], &mut last[1]));
    events.department.push(session_code(&mut dict.departments, c[7], &mut last[2]));
    events.break_glass.push(break_glass);
    events.source_file.push(file_index);
    events.source_line.push(row.line);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Dictionary;

    #[test]
    fn reads_the_contract_columns_up_to_break_glass_with_the_first_four_required() {
        let names: Vec<&str> = SPECS.iter().map(|s| s.name).collect();
        assert_eq!(names, ACCESS_LOG_COLUMNS[..9]);
        assert_eq!(names[8], "break_glass");
        let required: Vec<&str> = SPECS.iter().filter(|s| s.required).map(|s| s.name).collect();
        assert_eq!(required, ["timestamp", "user_id", "patient_id", "action"]);
    }

    #[test]
    fn the_session_cache_gives_the_codes_plain_interning_gives() {
        let rows = [
            ("a", Some("WS1")),
            ("b", Some("WS2")),
            ("a", Some("WS1")),
            ("a", Some("WS3")),
            ("b", None),
            ("b", Some("WS2")),
            ("a", Some("WS1")),
            ("c", Some("WS3")),
            ("a", Some("WS10")),
        ];
        let (mut plain, mut cached, mut users) = (Dictionary::default(), Dictionary::default(), Dictionary::default());
        let mut sessions = Sessions::default();
        for (user, ws) in rows {
            let cell = ws.map(Cell::Str);
            let want = code_of(&mut plain, cell);
            let user = users.intern(user);
            assert_eq!(session_code(&mut cached, cell, &mut sessions.of(user)[0]), want, "{ws:?}");
        }
        assert_eq!(cached.len(), plain.len());
        for c in 0..plain.len() as u32 {
            assert_eq!(cached.name(c), plain.name(c));
        }
    }
}
