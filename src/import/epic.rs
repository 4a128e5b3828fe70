//! Epic Clarity ACCESS_LOG-style extracts.
//!
//! The extract has one row per access: `ACCESS_TIME` (the hospital's local
//! time, as Clarity stores it), `USER_ID`, `WORKSTATION_ID`, `METRIC_ID`,
//! `PAT_ID` and `CSN` (the encounter, not used), `ACCESS_ACTION_C`. What the
//! user did is the metric: its name comes from a `METRIC_NAME` column when
//! the extract joined it, else from the metric table given with `--metrics`
//! (`METRIC_ID`, `METRIC_NAME`). A mapping turns metric names into contract
//! actions, data categories and break-the-glass flags: the built-in
//! [`DEFAULT_MAPPING`] (`src/import/epic_metrics.toml`) or a file given with
//! `--mapping` in the same shape. Optional columns `DEPARTMENT_ID`,
//! `IP_ADDRESS` and `ACCESS_LOG_ID` (or `EVENT_ID`) are read when present.
//!
//! A metric the mapping does not know is imported as `other` and counted per
//! name; so is a patient-level action on a row without `PAT_ID` (for
//! example an In Basket metric), counted as "view without a patient".

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::delimited;
use super::error::ImportError;
use super::inputs::InputFile;
use super::record::{AccessRecord, Converted, Unmapped};
use super::run::ImportRequest;
use super::session::Session;
use super::vocabulary::{action_name, category_name, format_naive, timestamp};
use crate::model::{Action, DataCategory};
use crate::time::ZoneCache;

/// The built-in metric mapping, documented in the file itself.
pub const DEFAULT_MAPPING: &str = include_str!("epic_metrics.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MetricEntry {
    action: String,
    #[serde(default)]
    data_category: String,
    #[serde(default)]
    break_glass: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ContainsRule {
    text: String,
    action: String,
    #[serde(default)]
    data_category: String,
    #[serde(default)]
    break_glass: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingFile {
    #[serde(default)]
    metrics: BTreeMap<String, MetricEntry>,
    #[serde(default)]
    contains: Vec<ContainsRule>,
    #[serde(default)]
    access_action: BTreeMap<String, String>,
}

/// What a metric means in the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricMeaning {
    /// The action.
    pub action: Action,
    /// The data category.
    pub category: DataCategory,
    /// Whether the metric is a break-the-glass access.
    pub break_glass: bool,
}

/// A validated metric mapping.
#[derive(Debug, Clone)]
pub struct MetricMapping {
    exact: HashMap<String, MetricMeaning>,
    contains: Vec<(String, MetricMeaning)>,
    access_action: HashMap<String, Action>,
}

fn meaning(action: &str, category: &str, break_glass: bool) -> Result<MetricMeaning, String> {
    Ok(MetricMeaning { action: action_name(action)?, category: category_name(category)?, break_glass })
}

impl MetricMapping {
    /// Parses a mapping; `file` names it in errors.
    pub fn parse(text: &str, file: &Path) -> Result<Self, ImportError> {
        let err = |message: String| ImportError::Mapping { file: file.to_path_buf(), message };
        let m: MappingFile =
            toml::from_str(text).map_err(|e| err(format!("not a valid metric mapping: {}", e.message())))?;
        let mut exact = HashMap::new();
        for (name, e) in m.metrics {
            let v = meaning(&e.action, &e.data_category, e.break_glass)
                .map_err(|x| err(format!("[metrics] \"{name}\": {x}")))?;
            exact.insert(name.trim().to_lowercase(), v);
        }
        let mut contains = Vec::new();
        for (i, r) in m.contains.into_iter().enumerate() {
            let v = meaning(&r.action, &r.data_category, r.break_glass)
                .map_err(|x| err(format!("[[contains]] rule {}: {x}", i + 1)))?;
            contains.push((r.text.trim().to_lowercase(), v));
        }
        let mut access_action = HashMap::new();
        for (code, a) in m.access_action {
            access_action.insert(
                code.trim().to_string(),
                action_name(&a).map_err(|x| err(format!("[access_action] \"{code}\": {x}")))?,
            );
        }
        Ok(MetricMapping { exact, contains, access_action })
    }

    /// The built-in mapping.
    pub fn default_mapping() -> Self {
        Self::parse(DEFAULT_MAPPING, Path::new("(built-in epic mapping)")).expect("the built-in mapping is valid")
    }

    /// What a metric name means, if the mapping knows it.
    pub fn lookup(&self, name: &str) -> Option<MetricMeaning> {
        let lower = name.trim().to_lowercase();
        self.exact
            .get(&lower)
            .copied()
            .or_else(|| self.contains.iter().find(|(t, _)| lower.contains(t.as_str())).map(|(_, m)| *m))
    }
}

/// Everything an Epic import needs besides the extract.
#[derive(Debug, Clone)]
pub struct EpicPlan {
    metric_names: Option<HashMap<String, String>>,
    mapping: MetricMapping,
    timestamp_format: Option<String>,
}

fn load_metric_table(path: &Path) -> Result<HashMap<String, String>, ImportError> {
    let file = InputFile { path: path.to_path_buf(), display: path.display().to_string() };
    let delimiter = delimited::sniff_delimiter(path)?;
    let mut names = HashMap::new();
    let mut bad: Option<ImportError> = None;
    delimited::read(
        &file,
        delimiter,
        true,
        |h| Ok((delimited::require(path, h, &["METRIC_ID"])?, delimited::require(path, h, &["METRIC_NAME"])?)),
        |idx, line, rec, malformed| {
            let id = delimited::cell(rec, Some(idx.0));
            let name = delimited::cell(rec, Some(idx.1));
            match (malformed, id, name) {
                (None, Ok(Some(id)), Ok(Some(name))) => {
                    names.insert(id.to_string(), name.to_string());
                }
                _ => {
                    bad.get_or_insert(ImportError::Mapping {
                        file: path.to_path_buf(),
                        message: format!("line {line}: expected a METRIC_ID and a METRIC_NAME"),
                    });
                }
            }
            Ok(())
        },
    )?;
    match bad {
        Some(e) => Err(e),
        None => Ok(names),
    }
}

/// Loads the metric table and mapping named in the request.
pub fn plan(req: &ImportRequest) -> Result<EpicPlan, ImportError> {
    let mapping = match &req.mapping {
        None => MetricMapping::default_mapping(),
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| ImportError::Open { file: p.clone(), message: e.to_string() })?;
            MetricMapping::parse(&text, p)?
        }
    };
    let metric_names = req.metrics.as_deref().map(load_metric_table).transpose()?;
    Ok(EpicPlan { metric_names, mapping, timestamp_format: req.timestamp_format.clone() })
}

struct Columns {
    time: usize,
    user: usize,
    patient: Option<usize>,
    workstation: Option<usize>,
    metric_id: Option<usize>,
    metric_name: Option<usize>,
    access_action: Option<usize>,
    department: Option<usize>,
    ip: Option<usize>,
    event_id: Option<usize>,
}

fn columns(plan: &EpicPlan, file: &Path, h: &[String]) -> Result<Columns, ImportError> {
    let c = Columns {
        time: delimited::require(file, h, &["ACCESS_TIME", "ACCESS_INSTANT"])?,
        user: delimited::require(file, h, &["USER_ID"])?,
        patient: Some(delimited::require(file, h, &["PAT_ID"])?),
        workstation: delimited::find(h, &["WORKSTATION_ID"]),
        metric_id: delimited::find(h, &["METRIC_ID"]),
        metric_name: delimited::find(h, &["METRIC_NAME"]),
        access_action: delimited::find(h, &["ACCESS_ACTION_C"]),
        department: delimited::find(h, &["DEPARTMENT_ID"]),
        ip: delimited::find(h, &["IP_ADDRESS"]),
        event_id: delimited::find(h, &["ACCESS_LOG_ID", "EVENT_ID"]),
    };
    if c.metric_name.is_none() {
        if c.metric_id.is_none() {
            return Err(ImportError::MissingColumn {
                file: file.to_path_buf(),
                column: "METRIC_ID".into(),
                found: delimited::header_shape(h),
            });
        }
        if plan.metric_names.is_none() {
            return Err(ImportError::Usage(format!(
                "{}: the extract has METRIC_ID but no METRIC_NAME; pass the metric table with --metrics FILE (METRIC_ID,METRIC_NAME)",
                file.display()
            )));
        }
    }
    Ok(c)
}

fn convert(
    plan: &EpicPlan,
    c: &Columns,
    rec: &csv::ByteRecord,
    zone: &mut ZoneCache,
) -> Result<Converted, (String, String)> {
    let get = |i: Option<usize>, name: &str| delimited::cell(rec, i).map_err(|e| (name.to_string(), e));
    let ts_text =
        get(Some(c.time), "ACCESS_TIME")?.ok_or(("ACCESS_TIME".to_string(), "missing ACCESS_TIME".to_string()))?;
    let ts = timestamp(ts_text, plan.timestamp_format.as_deref(), zone).map_err(|e| ("ACCESS_TIME".to_string(), e))?;
    let user = get(Some(c.user), "USER_ID")?.ok_or(("USER_ID".to_string(), "missing USER_ID".to_string()))?;
    let mut unmapped = Vec::new();
    let name: Option<String> = match get(c.metric_name, "METRIC_NAME")? {
        Some(n) => Some(n.to_string()),
        None => match get(c.metric_id, "METRIC_ID")? {
            None => return Err(("METRIC_ID".into(), "missing METRIC_ID; expected the metric of the access".into())),
            Some(id) => match plan.metric_names.as_ref().and_then(|t| t.get(id)) {
                Some(n) => Some(n.clone()),
                None => {
                    unmapped.push(Unmapped::Action(format!("metric id {id} (not in the metric table)")));
                    None
                }
            },
        },
    };
    let mut m = match &name {
        Some(n) => plan.mapping.lookup(n).unwrap_or_else(|| {
            unmapped.push(Unmapped::Action(format!("metric {n}")));
            MetricMeaning { action: Action::Other, category: DataCategory::Unspecified, break_glass: false }
        }),
        None => MetricMeaning { action: Action::Other, category: DataCategory::Unspecified, break_glass: false },
    };
    if let Some(code) = get(c.access_action, "ACCESS_ACTION_C")? {
        if let Some(a) = plan.mapping.access_action.get(code) {
            m.action = *a;
        }
    }
    let patient = get(c.patient, "PAT_ID")?.map(str::to_string);
    if patient.is_none() && m.action.needs_patient() {
        unmapped.push(Unmapped::Action(format!("{} without a patient", m.action.as_str())));
        m.action = Action::Other;
    }
    let mut r = AccessRecord::new(ts, user.to_string(), m.action);
    r.patient_id = patient;
    r.data_category = m.category;
    r.break_glass = m.break_glass;
    r.workstation_id = get(c.workstation, "WORKSTATION_ID")?.map(str::to_string);
    r.department_id = get(c.department, "DEPARTMENT_ID")?.map(str::to_string);
    r.ip_address = get(c.ip, "IP_ADDRESS")?.map(str::to_string);
    r.event_id = get(c.event_id, "ACCESS_LOG_ID")?.map(str::to_string);
    Ok(Converted::Records(vec![r], unmapped))
}

/// Reads one extract file.
pub fn read_file(
    plan: &EpicPlan,
    file: &InputFile,
    session: &mut Session<'_>,
    zone: &mut ZoneCache,
) -> Result<(), ImportError> {
    let delimiter = delimited::sniff_delimiter(&file.path)?;
    delimited::read(
        file,
        delimiter,
        true,
        |h| columns(plan, &file.path, h),
        |c, line, rec, malformed| {
            let outcome = match malformed {
                Some(reason) => Converted::reject("", reason),
                None => convert(plan, c, rec, zone).unwrap_or_else(|(col, reason)| Converted::reject(col, reason)),
            };
            session.row(line, || delimited::raw(rec, delimiter), outcome)
        },
    )
}

// ---------------------------------------------------------------------------
// Writing.

/// Files [`EpicWriter`] writes.
pub const EPIC_FILES: [&str; 3] = ["epic_access_log.csv", "epic_metrics.csv", "epic_metric_mapping.toml"];

/// Writes canonical records as an Epic-style extract: `epic_access_log.csv`
/// (ACCESS_TIME in local time, USER_ID, WORKSTATION_ID, METRIC_ID, PAT_ID,
/// CSN, ACCESS_ACTION_C, and the extension columns DEPARTMENT_ID and
/// IP_ADDRESS), then at [`EpicWriter::finish`] the metric table
/// `epic_metrics.csv` and the mapping `epic_metric_mapping.toml` for the
/// metrics used. Metric names are the default mapping's where one means the
/// same, else `ehrwatch <action> <category>[ break-the-glass]`.
pub struct EpicWriter {
    dir: PathBuf,
    log: csv::Writer<std::io::BufWriter<std::fs::File>>,
    zone: ZoneCache,
    metrics: Vec<(MetricMeaning, String)>,
    default: Vec<(MetricMeaning, String)>,
}

fn io(e: csv::Error) -> std::io::Error {
    std::io::Error::other(e)
}

impl EpicWriter {
    /// Starts writing into folder `dir`; local times in `tz`.
    pub fn create(dir: &Path, tz: chrono_tz::Tz) -> std::io::Result<Self> {
        let f = std::fs::File::create(dir.join(EPIC_FILES[0]))?;
        let mut log = csv::Writer::from_writer(std::io::BufWriter::with_capacity(1 << 20, f));
        log.write_record([
            "ACCESS_TIME",
            "USER_ID",
            "WORKSTATION_ID",
            "METRIC_ID",
            "PAT_ID",
            "CSN",
            "ACCESS_ACTION_C",
            "DEPARTMENT_ID",
            "IP_ADDRESS",
        ])
        .map_err(io)?;
        let mut default: Vec<(MetricMeaning, String)> = Vec::new();
        let parsed: MappingFile = toml::from_str(DEFAULT_MAPPING).map_err(std::io::Error::other)?;
        for (name, e) in parsed.metrics {
            if let Ok(m) = meaning(&e.action, &e.data_category, e.break_glass) {
                default.push((m, name));
            }
        }
        Ok(EpicWriter { dir: dir.to_path_buf(), log, zone: ZoneCache::new(tz), metrics: Vec::new(), default })
    }

    fn metric_id(&mut self, m: MetricMeaning) -> usize {
        if let Some(i) = self.metrics.iter().position(|(x, _)| *x == m) {
            return i + 1;
        }
        let name = self.default.iter().find(|(x, _)| *x == m).map(|(_, n)| n.clone()).unwrap_or_else(|| {
            let cat = if m.category == DataCategory::Unspecified {
                String::new()
            } else {
                format!(" {}", m.category.as_str())
            };
            format!("ehrwatch {}{cat}{}", m.action.as_str(), if m.break_glass { " break-the-glass" } else { "" })
        });
        self.metrics.push((m, name));
        self.metrics.len()
    }

    /// Writes one record.
    pub fn write(&mut self, r: &AccessRecord) -> std::io::Result<()> {
        // A category outside the contract has no name to map to: written unspecified.
        let category = if r.data_category == DataCategory::Other { DataCategory::Unspecified } else { r.data_category };
        let id = self.metric_id(MetricMeaning { action: r.action, category, break_glass: r.break_glass });
        let ts = format_naive(r.timestamp, &mut self.zone);
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        self.log
            .write_record([
                ts,
                r.user_id.clone(),
                o(&r.workstation_id),
                id.to_string(),
                o(&r.patient_id),
                String::new(),
                String::new(),
                o(&r.department_id),
                o(&r.ip_address),
            ])
            .map_err(io)
    }

    /// Writes the metric table and mapping; returns the files written.
    pub fn finish(mut self) -> std::io::Result<Vec<PathBuf>> {
        self.log.flush()?;
        let mut table = csv::Writer::from_path(self.dir.join(EPIC_FILES[1])).map_err(io)?;
        table.write_record(["METRIC_ID", "METRIC_NAME"]).map_err(io)?;
        let mut toml = String::from("# Written by ehrwatch: the metrics of epic_access_log.csv.\n[metrics]\n");
        for (i, (m, name)) in self.metrics.iter().enumerate() {
            table.write_record([(i + 1).to_string(), name.clone()]).map_err(io)?;
            toml.push_str(&format!(
                "{:?} = {{ action = \"{}\", data_category = \"{}\", break_glass = {} }}\n",
                name,
                m.action.as_str(),
                m.category.as_str(),
                m.break_glass
            ));
        }
        table.flush()?;
        std::fs::File::create(self.dir.join(EPIC_FILES[2]))?.write_all(toml.as_bytes())?;
        Ok(EPIC_FILES.iter().map(|f| self.dir.join(f)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_mapping_is_valid_and_matches_names_case_insensitively() {
        let m = MetricMapping::default_mapping();
        let notes = m.lookup("chart review NOTES tab selected").unwrap();
        assert_eq!((notes.action, notes.category), (Action::View, DataCategory::Notes));
        assert!(m.lookup("Emergency Break-the-Glass override").unwrap().break_glass);
        assert_eq!(m.lookup("Discharge summary printed").unwrap().action, Action::Print);
        assert_eq!(m.lookup("In Basket opened"), None);
    }

    #[test]
    fn bad_mapping_names_the_entry() {
        let e = MetricMapping::parse("[metrics]\n\"X\" = { action = \"peek\" }\n", Path::new("m.toml")).unwrap_err();
        assert!(e.to_string().contains("[metrics] \"X\""), "{e}");
    }
}
