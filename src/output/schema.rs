//! The output files' row types: the boundary defined by the data contract
//! (`../shared/data-contract.md`, section 2). Required columns come first, in
//! the contract's order; ehrwatch's extensions follow them.

use std::collections::BTreeMap;

use serde::Serialize;

/// Version of the data contract these files follow.
pub const CONTRACT_VERSION: u32 = 1;

/// One row of alerts.csv / alerts.jsonl / alerts.parquet.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AlertRow {
    /// Stable across reruns: hash of kind, user, patient and first access date.
    pub alert_id: String,
    /// 1 = most urgent.
    pub rank: u32,
    /// Risk score 0-100, higher is worse.
    pub score: f64,
    /// snooping | exfiltration | account | behaviour.
    pub kind: String,
    /// The account.
    pub user_id: String,
    /// The patient; empty for user-level findings.
    pub patient_id: String,
    /// `;`-separated rule ids.
    pub rules: String,
    /// First evidence access, RFC 3339 in hospital local time.
    pub first_access: String,
    /// Last evidence access, RFC 3339 in hospital local time.
    pub last_access: String,
    /// Accesses in the evidence.
    pub access_count: u64,
    /// Evidence sentences, `; `-separated.
    pub explanation: String,
    /// Extension: low | medium | high, from the score.
    pub severity: String,
    /// Extension: the case (cases.csv) the alert belongs to.
    pub case_id: String,
}

/// One row of cases.csv.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CaseRow {
    /// Stable id.
    pub case_id: String,
    /// 1 = most urgent.
    pub rank: u32,
    /// Combined score 0-100.
    pub score: f64,
    /// The account.
    pub user_id: String,
    /// Alerts in the case.
    pub alert_count: u64,
    /// Distinct patients in the case.
    pub patient_count: u64,
    /// `;`-separated kinds.
    pub kinds: String,
    /// First evidence access.
    pub first_access: String,
    /// Last evidence access.
    pub last_access: String,
    /// The most frequent reasons with counts, `; `-separated.
    pub top_reasons: String,
    /// `;`-separated alert ids, best first.
    pub alert_ids: String,
}

/// One row of rejected_rows.csv.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RejectedRowOut {
    /// Table.
    pub table: String,
    /// File relative to the bundle.
    pub file: String,
    /// CSV line (header = 1) or 1-based Parquet row.
    pub line: u64,
    /// Column at fault; empty for whole-row problems.
    pub column: String,
    /// What was wrong and what was expected.
    pub reason: String,
    /// The row as read (cut to 500 characters).
    pub raw: String,
}

/// One input file in summary.json.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FileCount {
    /// Table.
    pub table: String,
    /// Path relative to the bundle.
    pub path: String,
    /// Data rows read.
    pub rows_read: u64,
    /// Rows accepted.
    pub rows_accepted: u64,
    /// Rows rejected.
    pub rows_rejected: u64,
}

/// A skipped rule or table in summary.json.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SkippedOut {
    /// Rule id or table name.
    pub name: String,
    /// Why, e.g. "users.patient_id missing".
    pub reason: String,
}

/// summary.json.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Summary {
    /// Data contract version.
    pub contract_version: u32,
    /// ehrwatch version that wrote the files.
    pub ehrwatch_version: String,
    /// Hospital time zone used.
    pub timezone: String,
    /// Input files with row counts.
    pub input_files: Vec<FileCount>,
    /// access_log rows read.
    pub events_read: u64,
    /// access_log rows rejected (see rejected_rows.csv).
    pub events_rejected: u64,
    /// access_log rows accepted and scored; events_read = events_scored + events_rejected.
    pub events_scored: u64,
    /// Rows of other tables rejected.
    pub other_rows_rejected: u64,
    /// Scored events that touched a patient.
    pub patient_accesses: u64,
    /// Share of patient accesses with a treatment explanation.
    pub explained_fraction: f64,
    /// Patient accesses per explanation kind (including "unexplained").
    pub explained_by: BTreeMap<String, u64>,
    /// Unknown action values kept as `other`, with counts.
    pub other_actions: BTreeMap<String, u64>,
    /// Unknown data_category values kept as `other`, with counts.
    pub other_categories: BTreeMap<String, u64>,
    /// action and data_category values read through a built-in alias, with
    /// counts, keyed `column: raw value = contract value`.
    pub aliased_values: BTreeMap<String, u64>,
    /// Alerts written.
    pub alerts: u64,
    /// Cases written.
    pub cases: u64,
    /// Alerts in which each rule fired.
    pub alerts_per_rule: BTreeMap<String, u64>,
    /// Alerts per kind.
    pub alerts_per_kind: BTreeMap<String, u64>,
    /// Alerts per severity.
    pub alerts_per_severity: BTreeMap<String, u64>,
    /// Relationship findings that care explains, per rule: not alerts, kept for audit.
    pub downgraded_per_rule: BTreeMap<String, u64>,
    /// Rules that did not run, and why.
    pub skipped_detectors: Vec<SkippedOut>,
    /// Optional tables absent from the bundle, and what that disables.
    pub skipped_tables: Vec<SkippedOut>,
    /// Wall time per stage, seconds.
    pub wall_time_seconds: BTreeMap<String, f64>,
    /// The detection window (`--from/--to`, `--last`), when one was given.
    pub window: Option<WindowOut>,
    /// Alerts suppressed by reviewed.csv, per verdict.
    pub suppressed: BTreeMap<String, u64>,
    /// Alerts whose score the repeat-offender signal raised.
    pub repeat_offender_alerts: u64,
    /// reviewed.csv, when given.
    pub reviewed: Option<ReviewedOut>,
    /// Input files read once only: their bytes repeat an earlier file of
    /// the same table (an export copied twice into a folder).
    pub duplicate_files: Vec<String>,
    /// Rejected rows counted but not listed in rejected_rows.csv, which
    /// holds the first 100,000 in full.
    pub rejected_rows_unlisted: u64,
    /// Whether user and patient ids were replaced by keyed tokens.
    pub pseudonymized: bool,
    /// The incremental state (`--state`): events carried over from earlier
    /// runs, files replaced by a rerun, what the state holds now. Absent
    /// without `--state`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<StateOut>,
    /// How many user partitions the access log was processed in, when it
    /// was spilled to disk and processed a partition at a time
    /// (`--partition-events`). Absent when the events were held in memory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partitions: Option<u64>,
    /// How the roster's job titles and departments were understood: users
    /// per role class and how each was assigned, the most frequent titles
    /// no rule mapped, roster departments that match no EHR department.
    /// Absent without a users table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roles: Option<RolesOut>,
    /// What the care_team table listed and how much of it matched the
    /// access log. Absent without a care_team table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub care_team: Option<CareTeamOut>,
}

/// `care_team` in summary.json.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct CareTeamOut {
    /// Rows accepted.
    pub rows: u64,
    /// Patients with a care team listed.
    pub patients: u64,
    /// Distinct users listed.
    pub users: u64,
    /// Listed users with no access in the log: ids the access log does not
    /// use (another id scheme), or staff who opened none of the charts.
    pub users_not_in_log: u64,
    /// Patient accesses the care team explained (`explained_by.care_team_member`).
    pub accesses_explained: u64,
}

/// `state` in summary.json: what the incremental state holds after this
/// run (filled in by `state::StateDir::stage`).
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct StateOut {
    /// The state folder.
    pub path: String,
    /// Events carried over from earlier runs into this one.
    pub history_events: u64,
    /// Input files of this run that an earlier run had absorbed (a rerun,
    /// or a corrected re-export: same name, overlapping days): their
    /// earlier copy was replaced, not added to.
    pub replaced_files: Vec<String>,
    /// Events the state holds after this run.
    pub events_kept: u64,
    /// Events dropped by the retention.
    pub events_expired: u64,
    /// Batches (absorbed input files) held after this run.
    pub files_kept: u64,
    /// First local day the state holds after this run.
    pub first_day: Option<String>,
    /// Last local day held.
    pub last_day: Option<String>,
    /// Days kept, counted back from the latest day.
    pub retain_days: u32,
}

/// `roles` in summary.json.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct RolesOut {
    /// Rostered users.
    pub users: u64,
    /// Users classed by a built-in title rule.
    pub by_title_rule: u64,
    /// Users classed by the configuration's `[roles.titles]`.
    pub by_config: u64,
    /// Users whose title said nothing, classed by their work.
    pub by_behaviour: u64,
    /// Users with no class (no rule, no distinctive work).
    pub unclassed: u64,
    /// Users with an empty title.
    pub no_title: u64,
    /// Per class: users per source (`title_rule`, `config`, `behaviour`).
    pub classes: BTreeMap<String, BTreeMap<String, u64>>,
    /// The most frequent titles no rule mapped (left out of pseudonymized
    /// runs), with their user counts.
    pub unmapped_titles: Vec<TitleCount>,
    /// Distinct titles no rule mapped.
    pub unmapped_title_kinds: u64,
    /// Rostered users with a home department.
    pub users_with_department: u64,
    /// ... whose department appears in no encounter and no access (an HR
    /// cost-centre code, for example): the department rules fall back to
    /// the departments users work from.
    pub department_unmatched: u64,
    /// One line when most users fell back to behaviour or to nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// One unmapped title and its user count.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct TitleCount {
    /// The title as the roster writes it.
    pub title: String,
    /// Users with it.
    pub users: u64,
}

/// The detection window in summary.json.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct WindowOut {
    /// First local day, `YYYY-MM-DD`.
    pub from: String,
    /// Last local day (inclusive).
    pub to: String,
}

/// reviewed.csv in summary.json.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct ReviewedOut {
    /// The file as given.
    pub path: String,
    /// Data rows read.
    pub rows_read: u64,
    /// Rows used.
    pub rows_accepted: u64,
    /// Rows rejected (in rejected_rows.csv, table `reviewed`).
    pub rows_rejected: u64,
    /// Reviewed alerts that are not alerts of this run.
    pub not_in_run: u64,
}
