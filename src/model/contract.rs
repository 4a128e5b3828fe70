//! Column names the data contract fixes for access_log, written out once:
//! ingest reads them, the simulator and the importers write them.

/// access_log columns, in contract order (`../shared/data-contract.md`).
pub const ACCESS_LOG_COLUMNS: [&str; 11] = [
    "timestamp",
    "user_id",
    "patient_id",
    "action",
    "data_category",
    "workstation_id",
    "ip_address",
    "department_id",
    "break_glass",
    "reason",
    "event_id",
];

/// How many of [`ACCESS_LOG_COLUMNS`], from the first, a bundle must have
/// (timestamp, user_id, patient_id, action); the rest are optional.
pub const ACCESS_LOG_REQUIRED: usize = 4;
