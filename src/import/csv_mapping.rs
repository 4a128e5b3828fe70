//! Any delimited file, read through a small TOML mapping: which source column
//! holds each contract column, value maps for actions and categories, the
//! timestamp format and the time zone. For example:
//!
//! ```toml
//! delimiter = ","                          # one character; "\t" for tab
//! has_header = true                        # false: columns are 1-based numbers
//! timestamp_format = "%m/%d/%Y %H:%M:%S"   # chrono syntax; default: the contract's forms
//! timezone = "America/Chicago"             # for naive timestamps; --timezone overrides
//!
//! [columns]                                # contract column = source column
//! timestamp = "EventTime"
//! user_id = "UserName"
//! patient_id = "MRN"
//! action = "Activity"
//! data_category = "Section"
//! workstation_id = "Device"
//!
//! [defaults]                               # constants for columns the source lacks
//! department_id = "ED"
//!
//! [actions]                                # source value = contract action (case-insensitive)
//! "Chart Viewed" = "view"
//! "Printed" = "print"
//!
//! [categories]                             # source value = contract data category
//! "LAB" = "results"
//!
//! [break_glass]
//! true_values = ["BTG", "Y"]               # default: true/false/1/0/yes/no
//! ```
//!
//! A value in neither the map nor the contract's own names becomes `other`
//! (actions) or is left empty (categories) and is counted in the summary.
//! Unknown keys in the mapping are errors, so a typo never silently does
//! nothing.

use std::collections::BTreeMap;
use std::path::Path;

use chrono_tz::Tz;
use serde::Deserialize;

use super::delimited;
use super::error::ImportError;
use super::inputs::InputFile;
use super::record::{check_patient, AccessRecord, Converted, Unmapped};
use super::session::Session;
use super::vocabulary::{action_name, category_name, timestamp};
use crate::model::{Action, DataCategory, ACCESS_LOG_COLUMNS};
use crate::time::ZoneCache;

/// A source column: by header name, or by 1-based position.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum ColumnRef {
    /// Header name (case-insensitive).
    Name(String),
    /// 1-based position.
    Position(usize),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct BreakGlassFile {
    #[serde(default)]
    true_values: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingFile {
    delimiter: Option<String>,
    has_header: Option<bool>,
    timestamp_format: Option<String>,
    timezone: Option<String>,
    columns: BTreeMap<String, ColumnRef>,
    #[serde(default)]
    defaults: BTreeMap<String, String>,
    #[serde(default)]
    actions: BTreeMap<String, String>,
    #[serde(default)]
    categories: BTreeMap<String, String>,
    #[serde(default)]
    break_glass: BreakGlassFile,
}

/// A validated mapping.
#[derive(Debug, Clone)]
pub struct CsvMapping {
    delimiter: u8,
    has_header: bool,
    timestamp_format: Option<String>,
    /// The mapping's time zone, if it sets one.
    pub timezone: Option<Tz>,
    /// Source column per contract column (index into [`ACCESS_LOG_COLUMNS`]).
    columns: Vec<Option<ColumnRef>>,
    defaults: Vec<Option<String>>,
    actions: BTreeMap<String, Action>,
    categories: BTreeMap<String, DataCategory>,
    true_values: Vec<String>,
}

fn position(name: &str) -> Option<usize> {
    ACCESS_LOG_COLUMNS.iter().position(|c| *c == name)
}

/// Parses a mapping from TOML text; `file` names it in errors.
pub fn parse(text: &str, file: &Path) -> Result<CsvMapping, ImportError> {
    let err = |message: String| ImportError::Mapping { file: file.to_path_buf(), message };
    let m: MappingFile = toml::from_str(text).map_err(|e| err(format!("not a valid mapping: {}", e.message())))?;
    let delimiter = match m.delimiter.as_deref() {
        None => b',',
        Some("\\t") | Some("\t") | Some("tab") => b'\t',
        Some(d) if d.len() == 1 && d.is_ascii() => d.as_bytes()[0],
        Some(d) => return Err(err(format!("delimiter \"{d}\" must be one ASCII character (or \"\\t\")"))),
    };
    let timezone = match m.timezone.as_deref() {
        None => None,
        Some(t) => Some(
            t.parse::<Tz>()
                .map_err(|_| err(format!("timezone \"{t}\" is not an IANA time zone name (e.g. America/Chicago)")))?,
        ),
    };
    let mut columns = vec![None; ACCESS_LOG_COLUMNS.len()];
    for (k, v) in m.columns {
        let i = position(&k).ok_or_else(|| {
            err(format!(
                "[columns] key \"{k}\" is not a contract column; expected one of {}",
                ACCESS_LOG_COLUMNS.join(", ")
            ))
        })?;
        if let ColumnRef::Position(0) = v {
            return Err(err(format!("[columns] {k} = 0: positions are 1-based")));
        }
        columns[i] = Some(v);
    }
    let mut defaults = vec![None; ACCESS_LOG_COLUMNS.len()];
    for (k, v) in m.defaults {
        let i = position(&k).ok_or_else(|| {
            err(format!(
                "[defaults] key \"{k}\" is not a contract column; expected one of {}",
                ACCESS_LOG_COLUMNS.join(", ")
            ))
        })?;
        defaults[i] = Some(v);
    }
    for required in ["timestamp", "user_id", "patient_id"] {
        if columns[position(required).unwrap_or(0)].is_none() {
            return Err(err(format!("[columns] needs {required} (the source column holding it)")));
        }
    }
    let action_i = position("action").unwrap_or(3);
    if columns[action_i].is_none() && defaults[action_i].is_none() {
        return Err(err("[columns] needs action, or [defaults] action = \"view\" (or another contract action)".into()));
    }
    if let Some(a) = &defaults[action_i] {
        action_name(a).map_err(|e| err(format!("[defaults] {e}")))?;
    }
    if let Some(c) = &defaults[position("data_category").unwrap_or(4)] {
        category_name(c).map_err(|e| err(format!("[defaults] {e}")))?;
    }
    let mut actions = BTreeMap::new();
    for (k, v) in m.actions {
        actions.insert(k.trim().to_lowercase(), action_name(&v).map_err(|e| err(format!("[actions] \"{k}\": {e}")))?);
    }
    let mut categories = BTreeMap::new();
    for (k, v) in m.categories {
        categories
            .insert(k.trim().to_lowercase(), category_name(&v).map_err(|e| err(format!("[categories] \"{k}\": {e}")))?);
    }
    Ok(CsvMapping {
        delimiter,
        has_header: m.has_header.unwrap_or(true),
        timestamp_format: m.timestamp_format,
        timezone,
        columns,
        defaults,
        actions,
        categories,
        true_values: m.break_glass.true_values.iter().map(|v| v.trim().to_lowercase()).collect(),
    })
}

/// Loads a mapping file.
pub fn load(path: &Path) -> Result<CsvMapping, ImportError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ImportError::Open { file: path.to_path_buf(), message: e.to_string() })?;
    parse(&text, path)
}

/// Maps an action value: the value map, then the contract's names, else `other`.
pub fn map_action(value: &str, map: &BTreeMap<String, Action>, unmapped: &mut Vec<Unmapped>) -> Action {
    if let Some(a) = map.get(&value.trim().to_lowercase()) {
        return *a;
    }
    Action::parse(value).unwrap_or_else(|| {
        unmapped.push(Unmapped::Action(value.to_string()));
        Action::Other
    })
}

/// Maps a category value: the value map, then the contract's names, else
/// unspecified (counted).
pub fn map_category(value: &str, map: &BTreeMap<String, DataCategory>, unmapped: &mut Vec<Unmapped>) -> DataCategory {
    if let Some(c) = map.get(&value.trim().to_lowercase()) {
        return *c;
    }
    DataCategory::parse(value).unwrap_or_else(|| {
        unmapped.push(Unmapped::Category(value.to_string()));
        DataCategory::Unspecified
    })
}

impl CsvMapping {
    fn resolve(&self, file: &Path, headers: &[String]) -> Result<Vec<Option<usize>>, ImportError> {
        self.columns
            .iter()
            .map(|c| match c {
                None => Ok(None),
                Some(ColumnRef::Position(p)) if *p <= headers.len() => Ok(Some(p - 1)),
                Some(ColumnRef::Position(p)) => Err(ImportError::MissingColumn {
                    file: file.to_path_buf(),
                    column: format!("column {p}"),
                    found: format!("{} columns", headers.len()),
                }),
                Some(ColumnRef::Name(n)) => delimited::require(file, headers, &[n.as_str()]).map(Some),
            })
            .collect()
    }

    fn convert(&self, rec: &csv::ByteRecord, idx: &[Option<usize>], zone: &mut ZoneCache) -> Converted {
        let mut values: Vec<Option<&str>> = Vec::with_capacity(idx.len());
        for (i, ix) in idx.iter().enumerate() {
            match delimited::cell(rec, *ix) {
                Ok(v) => values.push(v.or(self.defaults[i].as_deref())),
                Err(reason) => return Converted::reject(ACCESS_LOG_COLUMNS[i], reason),
            }
        }
        let Some(ts_text) = values[0] else { return Converted::reject("timestamp", "missing timestamp") };
        let ts = match timestamp(ts_text, self.timestamp_format.as_deref(), zone) {
            Ok(t) => t,
            Err(e) => return Converted::reject("timestamp", e),
        };
        let Some(user) = values[1] else { return Converted::reject("user_id", "missing user_id") };
        let Some(action_text) = values[3] else { return Converted::reject("action", "missing action") };
        let mut unmapped = Vec::new();
        let action = map_action(action_text, &self.actions, &mut unmapped);
        let mut r = AccessRecord::new(ts, user.to_string(), action);
        r.patient_id = values[2].map(str::to_string);
        if let Some(c) = values[4] {
            r.data_category = map_category(c, &self.categories, &mut unmapped);
        }
        r.workstation_id = values[5].map(str::to_string);
        r.ip_address = values[6].map(str::to_string);
        r.department_id = values[7].map(str::to_string);
        if let Some(b) = values[8] {
            let lower = b.to_lowercase();
            r.break_glass = if !self.true_values.is_empty() {
                self.true_values.contains(&lower)
            } else {
                match lower.as_str() {
                    "true" | "1" | "t" | "yes" | "y" => true,
                    "false" | "0" | "f" | "no" | "n" => false,
                    _ => {
                        return Converted::reject(
                            "break_glass",
                            format!(
                            "\"{b}\" is not a boolean; expected true, false, 1 or 0 (or set [break_glass] true_values)"
                        ),
                        )
                    }
                }
            };
        }
        r.reason = values[9].map(str::to_string);
        r.event_id = values[10].map(str::to_string);
        if let Err(rej) = check_patient(&r) {
            return Converted::Rejected(rej);
        }
        Converted::Records(vec![r], unmapped)
    }
}

/// Reads one delimited file through the mapping.
pub fn read_file(
    m: &CsvMapping,
    file: &InputFile,
    session: &mut Session<'_>,
    zone: &mut ZoneCache,
) -> Result<(), ImportError> {
    delimited::read(
        file,
        m.delimiter,
        m.has_header,
        |headers| m.resolve(&file.path, headers),
        |idx, line, rec, malformed| {
            let outcome = match malformed {
                Some(reason) => Converted::reject("", reason),
                None => m.convert(rec, idx, zone),
            };
            session.row(line, || delimited::raw(rec, m.delimiter), outcome)
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_errors_name_the_problem() {
        let p = Path::new("m.toml");
        let e = parse("[columns]\ntimestamp = \"t\"\n", p).unwrap_err().to_string();
        assert!(e.contains("needs user_id"), "{e}");
        let e = parse(
            "[columns]\ntimestamp=\"t\"\nuser_id=\"u\"\npatient_id=\"p\"\naction=\"a\"\n[actions]\nx = \"peek\"\n",
            p,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("[actions] \"x\"") && e.contains("not a contract action"), "{e}");
        let e = parse("colums = 1\n", p).unwrap_err().to_string();
        assert!(e.contains("unknown field"), "{e}");
        let e = parse("[columns]\ntimestamp=\"t\"\nuser_id=\"u\"\npatient_id=\"p\"\nactoin=\"a\"\n", p)
            .unwrap_err()
            .to_string();
        assert!(e.contains("\"actoin\" is not a contract column"), "{e}");
    }
}
