//! The canonical access_log row every adapter produces, and what converting
//! one source row yields: records, or a rejection with its reason.

use crate::model::{Action, DataCategory};

/// One row of the contract's access_log.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessRecord {
    /// When the access happened, UTC microseconds.
    pub timestamp: i64,
    /// The account that acted.
    pub user_id: String,
    /// The patient whose record was touched; `None` for login, logout and
    /// searches that opened nothing.
    pub patient_id: Option<String>,
    /// What the user did; `Other` when the source's code is not mapped.
    pub action: Action,
    /// Part of the record; `Unspecified` when the source does not say.
    pub data_category: DataCategory,
    /// Device or terminal.
    pub workstation_id: Option<String>,
    /// Source address.
    pub ip_address: Option<String>,
    /// Department context of the access.
    pub department_id: Option<String>,
    /// An emergency override opened the record.
    pub break_glass: bool,
    /// Free text given for the access (for example the break-the-glass reason).
    pub reason: Option<String>,
    /// The source system's id of the event.
    pub event_id: Option<String>,
}

impl AccessRecord {
    /// A record with only the required fields set.
    pub fn new(timestamp: i64, user_id: String, action: Action) -> Self {
        AccessRecord {
            timestamp,
            user_id,
            patient_id: None,
            action,
            data_category: DataCategory::Unspecified,
            workstation_id: None,
            ip_address: None,
            department_id: None,
            break_glass: false,
            reason: None,
            event_id: None,
        }
    }
}

/// A source value the adapter could not map, counted in import_summary.json.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unmapped {
    /// An action or event code kept as `other`.
    Action(String),
    /// A data category left empty.
    Category(String),
}

/// Why a source row was not converted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The source column or element at fault; empty for whole-row problems.
    pub column: String,
    /// What was wrong and what was expected. Never carries a patient id.
    pub reason: String,
}

impl Rejection {
    /// A rejection naming a column.
    pub fn new(column: impl Into<String>, reason: impl Into<String>) -> Self {
        Rejection { column: column.into(), reason: reason.into() }
    }
}

/// The result of converting one source row (or resource).
#[derive(Debug, Clone, PartialEq)]
pub enum Converted {
    /// Zero or more records (a FHIR event naming two patients gives two),
    /// with the values that could not be mapped.
    Records(Vec<AccessRecord>, Vec<Unmapped>),
    /// The row was rejected.
    Rejected(Rejection),
}

impl Converted {
    /// A rejection.
    pub fn reject(column: impl Into<String>, reason: impl Into<String>) -> Self {
        Converted::Rejected(Rejection::new(column, reason))
    }
}

/// Rejects a record whose action needs a patient but has none, with the same
/// reason `detect` would give, so the problem shows at import time.
pub fn check_patient(record: &AccessRecord) -> Result<(), Rejection> {
    if record.patient_id.is_none() && record.action.needs_patient() {
        return Err(Rejection::new(
            "patient_id",
            format!("missing patient; a {} needs the patient whose record was touched", record.action.as_str()),
        ));
    }
    Ok(())
}
