//! Rows exported from OpenEMR's `log` table (`sql/database.sql`: id, date,
//! event, category, user, groupname, comments, user_notes, patient_id,
//! success, checksum, crt_user, log_from, menu_item_id, ccda_doc_id; the
//! older schema without category and later columns reads too), as CSV or TSV
//! with a header line.
//!
//! - `timestamp` ← `date`, the server's local time (`--timezone`).
//! - `user_id` ← `user`; `patient_id` ← `patient_id` (empty, NULL or 0: none).
//! - `action` ← `event`: `login`, `logout`, `view`, `print`, `export`, and
//!   `<area>-<query type>` as OpenEMR's EventAuditLogger writes them
//!   (`patient-record-select` view, `-insert`/`-create` create,
//!   `-update`/`-replace` update, `-delete` delete, `-search` search,
//!   `-print` print, `-export` export). Anything else is `other`, counted per
//!   event name; so is a patient-level event without a patient (for example
//!   `scheduling-select`), counted as "view without a patient".
//! - `data_category` ← `category` (Patient Demographics, Lab Results,
//!   Medication, ...; see [`category_of`]) or the event's area (`lab-results`,
//!   `order`); the contract's own names are accepted as they are.
//! - `department_id` ← `groupname` only with `--department-from-group`
//!   (OpenEMR groups are sites' own: sometimes departments, often not).
//! - `event_id` ← `id`. `comments` (base64 SQL carrying patient data) is never
//!   read, except into `import_rejected_rows.csv` for a rejected row.
//! - `success = 0` rows are rejected: the attempt failed, and the contract
//!   has no column for failures.
//!
//! OpenEMR's log has no workstation, IP or break-the-glass column.

use std::path::{Path, PathBuf};

use super::delimited;
use super::error::ImportError;
use super::inputs::InputFile;
use super::record::{AccessRecord, Converted, Unmapped};
use super::run::ImportRequest;
use super::session::Session;
use super::vocabulary::{format_naive, timestamp};
use crate::model::{Action, DataCategory};
use crate::time::ZoneCache;

/// Options of an OpenEMR import.
#[derive(Debug, Clone)]
pub struct OpenemrPlan {
    timestamp_format: Option<String>,
    department_from_group: bool,
}

/// Takes the OpenEMR options from the request.
pub fn plan(req: &ImportRequest) -> Result<OpenemrPlan, ImportError> {
    Ok(OpenemrPlan { timestamp_format: req.timestamp_format.clone(), department_from_group: req.department_from_group })
}

/// The action an OpenEMR event name stands for.
pub fn event_action(event: &str) -> Option<Action> {
    let e = event.trim().to_ascii_lowercase();
    match e.as_str() {
        "login" | "portal-login" => return Some(Action::Login),
        "logout" | "portal-logout" => return Some(Action::Logout),
        "view" => return Some(Action::View),
        "print" => return Some(Action::Print),
        "export" => return Some(Action::Export),
        _ => {}
    }
    let verb = e.rsplit('-').next()?;
    if verb == e {
        return None;
    }
    Some(match verb {
        "select" => Action::View,
        "insert" | "create" => Action::Create,
        "update" | "replace" => Action::Update,
        "delete" => Action::Delete,
        "search" => Action::Search,
        "print" => Action::Print,
        "export" => Action::Export,
        _ => return None,
    })
}

/// The data category of an OpenEMR `category` value or event area.
pub fn category_of(value: &str) -> Option<DataCategory> {
    let v = value.trim().to_ascii_lowercase();
    Some(match v.as_str() {
        "patient demographics" | "demographics" | "patient-record" => DataCategory::Demographics,
        "lab results" | "lab-results" | "lab-order" | "results" => DataCategory::Results,
        "medication" | "medications" | "prescriptions" | "immunization" => DataCategory::Medications,
        "encounter form" | "clinical notes" | "clinical note" | "notes" => DataCategory::Notes,
        "procedure order" | "order" | "orders" => DataCategory::Orders,
        "billing" | "patient insurance" | "fee sheet" => DataCategory::Billing,
        "imaging" => DataCategory::Imaging,
        _ => return DataCategory::parse(&v),
    })
}

struct Columns {
    date: usize,
    event: usize,
    user: usize,
    category: Option<usize>,
    group: Option<usize>,
    patient: Option<usize>,
    success: Option<usize>,
    id: Option<usize>,
}

fn convert(
    plan: &OpenemrPlan,
    c: &Columns,
    rec: &csv::ByteRecord,
    zone: &mut ZoneCache,
) -> Result<Converted, (String, String)> {
    let get = |i: Option<usize>, name: &str| delimited::cell(rec, i).map_err(|e| (name.to_string(), e));
    if let Some(s) = get(c.success, "success")? {
        if s == "0" {
            return Err((
                "success".into(),
                "success is 0: the attempt failed, so no record was opened; the contract has no column for failures"
                    .into(),
            ));
        }
    }
    let date = get(Some(c.date), "date")?.ok_or(("date".to_string(), "missing date".to_string()))?;
    let ts = timestamp(date, plan.timestamp_format.as_deref(), zone).map_err(|e| ("date".to_string(), e))?;
    let user = get(Some(c.user), "user")?.ok_or(("user".to_string(), "missing user".to_string()))?;
    let event = get(Some(c.event), "event")?.ok_or(("event".to_string(), "missing event".to_string()))?;
    let mut unmapped = Vec::new();
    let mut action = event_action(event).unwrap_or_else(|| {
        unmapped.push(Unmapped::Action(event.to_string()));
        Action::Other
    });
    let patient = get(c.patient, "patient_id")?.filter(|p| *p != "0").map(str::to_string);
    if patient.is_none() && action.needs_patient() {
        unmapped.push(Unmapped::Action(format!("{} without a patient", action.as_str())));
        action = Action::Other;
    }
    let mut r = AccessRecord::new(ts, user.to_string(), action);
    r.patient_id = patient;
    let area = event.rsplit_once('-').map(|(a, _)| a).unwrap_or("");
    r.data_category = match get(c.category, "category")? {
        Some(cat) => category_of(cat).unwrap_or_else(|| {
            unmapped.push(Unmapped::Category(cat.to_string()));
            DataCategory::Unspecified
        }),
        None => category_of(area).filter(|c| *c != DataCategory::Demographics).unwrap_or(DataCategory::Unspecified),
    };
    if plan.department_from_group {
        r.department_id = get(c.group, "groupname")?.map(str::to_string);
    }
    r.event_id = get(c.id, "id")?.map(str::to_string);
    Ok(Converted::Records(vec![r], unmapped))
}

/// Reads one export of the log table.
pub fn read_file(
    plan: &OpenemrPlan,
    file: &InputFile,
    session: &mut Session<'_>,
    zone: &mut ZoneCache,
) -> Result<(), ImportError> {
    let delimiter = delimited::sniff_delimiter(&file.path)?;
    let path: &Path = &file.path;
    delimited::read(
        file,
        delimiter,
        true,
        |h| {
            Ok(Columns {
                date: delimited::require(path, h, &["date"])?,
                event: delimited::require(path, h, &["event"])?,
                user: delimited::require(path, h, &["user"])?,
                category: delimited::find(h, &["category"]),
                group: delimited::find(h, &["groupname"]),
                patient: Some(delimited::require(path, h, &["patient_id"])?),
                success: delimited::find(h, &["success"]),
                id: delimited::find(h, &["id"]),
            })
        },
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

/// The file [`OpenemrWriter`] writes.
pub const OPENEMR_FILE: &str = "openemr_log.csv";

/// The log table's columns (current schema).
pub const LOG_COLUMNS: [&str; 15] = [
    "id",
    "date",
    "event",
    "category",
    "user",
    "groupname",
    "comments",
    "user_notes",
    "patient_id",
    "success",
    "checksum",
    "crt_user",
    "log_from",
    "menu_item_id",
    "ccda_doc_id",
];

fn event_name(a: Action) -> &'static str {
    match a {
        Action::View => "patient-record-select",
        Action::Create => "patient-record-insert",
        Action::Update => "patient-record-update",
        Action::Delete => "patient-record-delete",
        Action::Search => "patient-record-search",
        Action::Print => "patient-record-print",
        Action::Export => "patient-record-export",
        Action::Login => "login",
        Action::Logout => "logout",
        Action::Other => "other",
    }
}

fn category_name(c: DataCategory) -> &'static str {
    match c {
        DataCategory::Demographics => "Patient Demographics",
        DataCategory::Results => "Lab Results",
        DataCategory::Medications => "Medication",
        DataCategory::Notes => "Clinical Notes",
        DataCategory::Orders => "Procedure Order",
        DataCategory::Billing => "Billing",
        DataCategory::Imaging => "Imaging",
        DataCategory::Unspecified | DataCategory::Other => "",
        sensitive => sensitive.as_str(),
    }
}

/// Writes canonical records as rows of OpenEMR's log table
/// (`openemr_log.csv`, local times in the given zone, the department in
/// `groupname`). Workstation, IP and break-the-glass have no column there
/// and are not written.
pub struct OpenemrWriter {
    log: csv::Writer<std::io::BufWriter<std::fs::File>>,
    zone: ZoneCache,
    seq: u64,
}

impl OpenemrWriter {
    /// Starts `openemr_log.csv` in folder `dir`.
    pub fn create(dir: &Path, tz: chrono_tz::Tz) -> std::io::Result<Self> {
        let f = std::fs::File::create(dir.join(OPENEMR_FILE))?;
        let mut log = csv::Writer::from_writer(std::io::BufWriter::with_capacity(1 << 20, f));
        log.write_record(LOG_COLUMNS).map_err(std::io::Error::other)?;
        Ok(OpenemrWriter { log, zone: ZoneCache::new(tz), seq: 0 })
    }

    /// Writes one record.
    pub fn write(&mut self, r: &AccessRecord) -> std::io::Result<()> {
        self.seq += 1;
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        let row = [
            self.seq.to_string(),
            format_naive(r.timestamp, &mut self.zone),
            event_name(r.action).to_string(),
            category_name(r.data_category).to_string(),
            r.user_id.clone(),
            o(&r.department_id),
            String::new(),
            String::new(),
            o(&r.patient_id),
            "1".to_string(),
            String::new(),
            String::new(),
            "open-emr".to_string(),
            String::new(),
            String::new(),
        ];
        self.log.write_record(&row).map_err(std::io::Error::other)
    }

    /// Flushes; returns the file written.
    pub fn finish(mut self, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        self.log.flush()?;
        Ok(vec![dir.join(OPENEMR_FILE)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_names() {
        assert_eq!(event_action("patient-record-select"), Some(Action::View));
        assert_eq!(event_action("lab-results-insert"), Some(Action::Create));
        assert_eq!(event_action("patient-record-replace"), Some(Action::Update));
        assert_eq!(event_action("login"), Some(Action::Login));
        assert_eq!(event_action("http-request-get"), None);
        assert_eq!(event_action("backup"), None);
        assert_eq!(category_of("Lab Results"), Some(DataCategory::Results));
        assert_eq!(category_of("hiv"), Some(DataCategory::Hiv));
        assert_eq!(category_of("Scheduling"), None);
    }
}
