//! The access_log table: one row per access of one patient's record.

use super::columns::{optional, ColumnSpec};
use super::fields::{boolean, required_text, timestamp, FieldError};
use super::plausible::Plausible;
use super::report::IngestReport;
use super::source::{text_cell, Cell, Kind, Row};
use crate::model::{Action, DataCategory, Dictionaries, Events, ACCESS_LOG_COLUMNS, ACCESS_LOG_REQUIRED, NONE};
use crate::time::ZoneCache;
use polars::prelude::{DataFrame, PolarsResult, StringChunked};

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
///
/// Next to each code, the [`ViewKey`] its value was read under, when the
/// reader had one: comparing two keys is one 16-byte comparison, where
/// comparing the strings looks the last value up in the dictionary first.
#[derive(Debug, Default)]
pub struct Sessions {
    last: Vec<[(crate::model::Code, ViewKey); 4]>,
}

impl Sessions {
    fn of(&mut self, user: crate::model::Code) -> &mut [(crate::model::Code, ViewKey); 4] {
        let u = user as usize;
        if u >= self.last.len() {
            self.last.resize(u + 1, [(NONE, NO_KEY); 4]);
        }
        &mut self.last[u]
    }
}

/// A cell's raw value as Arrow's string view holds it when the value is at
/// most 12 bytes (its length and bytes, zero-padded: equal keys mean equal
/// raw values, so equal cells); [`NO_KEY`] for longer values, absent ones
/// and readers without views (CSV).
pub type ViewKey = u128;

/// No [`ViewKey`]: the value is compared as a string.
pub const NO_KEY: ViewKey = 0;

/// [`code_of`], first trying the code `last` names: by key when the cell
/// has one equal to the last one's, else by comparing the strings.
fn session_code(
    dict: &mut crate::model::Dictionary,
    cell: Option<Cell<'_>>,
    last: &mut (crate::model::Code, ViewKey),
    key: ViewKey,
) -> u32 {
    match cell {
        Some(Cell::Str(_)) if key != NO_KEY && last.1 == key && last.0 != NONE => last.0,
        // Both keyed and different: other raw values, so (whitespace
        // aside, which interning settles) another id; no string compare.
        Some(Cell::Str(s)) if key != NO_KEY && last.1 != NO_KEY => {
            *last = (dict.intern(s), key);
            last.0
        }
        Some(Cell::Str(s)) if last.0 != NONE && dict.name(last.0) == s => {
            last.1 = key;
            last.0
        }
        Some(Cell::Str(s)) => {
            *last = (dict.intern(s), key);
            last.0
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
    let mut to = Target { file_index, dict, events, report, zone, sessions, plausible };
    accept_cells(row.cells, row.line, &[NO_KEY; 4], &mut to)
}

/// Where accepted rows go, and what reading them needs.
pub struct Target<'a> {
    /// The part's file index ([`Events::source_file`]).
    pub file_index: u32,
    /// The part's dictionaries.
    pub dict: &'a mut Dictionaries,
    /// The part's events.
    pub events: &'a mut Events,
    /// Unknown actions and categories are counted here.
    pub report: &'a mut IngestReport,
    /// Reads naive timestamps.
    pub zone: &'a mut ZoneCache,
    /// Each user's last ids.
    pub sessions: &'a mut Sessions,
    /// Which instants are believed.
    pub plausible: &'a Plausible,
}

/// [`accept`] of a row given as its cells (in [`SPECS`] order) and line,
/// with the [`ViewKey`]s of its patient, workstation, IP address and
/// department cells ([`NO_KEY`] where there is none).
fn accept_cells(c: &[Option<Cell<'_>>], line: u64, keys: &[ViewKey; 4], to: &mut Target<'_>) -> Result<(), FieldError> {
    let Target { file_index, dict, events, report, zone, sessions, plausible } = to;
    let file_index = *file_index;
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
    events.patient.push(session_code(&mut dict.patients, c[2], &mut last[3], keys[0]));
    events.ts.push(ts);
    events.action.push(action);
    events.category.push(category);
    events.workstation.push(session_code(&mut dict.workstations, c[5], &mut last[0], keys[1]));
    events.ip.push(session_code(&mut dict.ips, c[6], &mut last[1], keys[2]));
    events.department.push(session_code(&mut dict.departments, c[7], &mut last[2], keys[3]));
    events.break_glass.push(break_glass);
    events.source_file.push(file_index);
    events.source_line.push(line);
    Ok(())
}

/// Accepts a collected Parquet batch of the access log (columns named by
/// [`SPECS`], as `kinds` say, `names` the present ones, rows numbered
/// from `offset + 1`) column by column: the same checks and codes as
/// [`accept`] row by row, without a boxed iterator per cell, and with each
/// short id's [`ViewKey`] compared before its string. A rejected row goes
/// to `on_reject` as the [`Row`] the row-by-row reader would have made.
/// Returns the rows read, or `None` when a column is of a type only the
/// row-by-row reader takes (an integer id, a datetime), without reading any.
pub(super) fn accept_frame(
    frame: &DataFrame,
    kinds: &[Kind],
    names: &[&'static str],
    offset: u64,
    to: &mut Target<'_>,
    on_reject: &mut dyn FnMut(&Row<'_>, FieldError),
) -> PolarsResult<Option<u64>> {
    let text_only = names
        .iter()
        .zip(kinds)
        .all(|(name, kind)| matches!(kind, Kind::Str) || (*name == "break_glass" && matches!(kind, Kind::Bool)));
    if !text_only {
        return Ok(None);
    }
    let mut frame = frame.clone();
    frame.align_chunks();
    let text = |name: &str| -> PolarsResult<Option<&StringChunked>> {
        match names.iter().position(|n| *n == name) {
            Some(i) if kinds[i] == Kind::Str => Ok(Some(frame.column(name)?.str()?)),
            _ => Ok(None),
        }
    };
    // One optional column of strings per spec (`None` when absent).
    let columns: Vec<Option<&StringChunked>> = SPECS.iter().map(|s| text(s.name)).collect::<PolarsResult<_>>()?;
    let flags = match names.iter().position(|n| *n == "break_glass") {
        Some(i) if kinds[i] == Kind::Bool => Some(frame.column("break_glass")?.bool()?),
        _ => None,
    };
    let present: Vec<usize> = (0..SPECS.len()).filter(|&i| names.contains(&SPECS[i].name)).collect();
    let mut chunks: Vec<Option<_>> = columns.iter().map(|c| c.map(|c| c.downcast_iter())).collect();
    let mut flag_chunks = flags.map(|f| f.downcast_iter());
    let mut line = offset;
    let mut cells: [Option<Cell<'_>>; 9] = [None; 9];
    let mut keys = [NO_KEY; 4];
    for _ in 0..frame.first_col_n_chunks() {
        let arrays: Vec<Option<_>> = chunks.iter_mut().map(|c| c.as_mut().and_then(|c| c.next())).collect();
        let flag_array = flag_chunks.as_mut().and_then(|c| c.next());
        let n = arrays.iter().flatten().map(|a| a.len()).next().or(flag_array.map(|a| a.len())).unwrap_or(0);
        for i in 0..n {
            line += 1;
            for (spec, array) in arrays.iter().enumerate() {
                let Some(array) = array else { continue };
                cells[spec] = array.get(i).and_then(text_cell);
                // Patient, workstation, IP address, department: specs 2, 5, 6, 7.
                let slot = match spec {
                    2 => 0,
                    5 => 1,
                    6 => 2,
                    7 => 3,
                    _ => continue,
                };
                let view = array.views()[i];
                keys[slot] = if view.is_inline() && cells[spec].is_some() { view.as_u128() } else { NO_KEY };
            }
            if let Some(flag) = flag_array {
                let valid = flag.validity().is_none_or(|v| v.get_bit(i));
                cells[8] = valid.then(|| Cell::Bool(flag.value(i)));
            }
            if let Err(e) = accept_cells(&cells, line, &keys, to) {
                let projected: Vec<Option<Cell<'_>>> = present.iter().map(|&i| cells[i]).collect();
                on_reject(&Row::of_cells(line, &cells, &projected, names), e);
            }
        }
    }
    Ok(Some(line - offset))
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
