//! `ehrwatch evaluate`: scores a run's ranked alerts against a simulator's
//! labels.
//!
//! A labelled (user, patient) row is hit by an alert for the same user and
//! patient whose evidence span `[first_access, last_access]` overlaps the
//! row's `[start, end]` (with [`WINDOW_SLACK_SECONDS`] of slack either side);
//! a label about the user as a whole (empty patient) is hit by an alert of
//! that user, about any patient, whose span overlaps the incident window.
//! An alert for the right user months before the incident does not count.
//! Times are compared as local wall-clock times: labels are naive local
//! times and alerts carry the hospital's offset, which is dropped.
//!
//! Recall, precision and average precision are computed over label rows
//! ("targets"); an incident counts as found when any of its rows is.
//! Case-capped precision credits each (case, incident) pair once, so one
//! user's ten alerts on one incident earn one hit, not ten. Look-alikes
//! (`lookalikes.csv` next to the labels, same window rule) that appear in
//! the top K are reported as false alarms a privacy officer would have had
//! to review; an alert that hits a labelled incident is a true alarm and is
//! never also counted as a look-alike, even when its user did look-alike
//! work in the same window. The workload is alerts per 1,000 users per day. Output holds
//! scenario names and numbers only, never ids.
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;

/// Why an evaluation failed.
#[derive(Debug, thiserror::Error)]
pub enum EvaluateError {
    /// A file cannot be opened or parsed as CSV.
    #[error("cannot read {path}: {message}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A required column is missing.
    #[error("{path}: missing column {column}; expected the columns of the data contract")]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column.
        column: &'static str,
    },
    /// A value cannot be read.
    #[error("{path} line {line}: {message}")]
    BadValue {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// There is nothing to evaluate.
    #[error("{path}: no labelled incidents")]
    NoLabels {
        /// The labels file.
        path: PathBuf,
    },
}

/// Scores of one scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioScore {
    /// Scenario name.
    pub scenario: String,
    /// Incidents.
    pub incidents: usize,
    /// Label rows (targets).
    pub targets: usize,
    /// Targets hit by an alert in the top K.
    pub targets_hit: usize,
    /// Incidents with at least one target hit in the top K.
    pub incidents_hit: usize,
    /// Top-K alerts that hit a target of this scenario.
    pub alerts_at_k: usize,
    /// Average precision over the whole ranking for this scenario's targets.
    pub average_precision: f64,
}

impl ScenarioScore {
    /// Targets hit in the top K over targets.
    pub fn recall(&self) -> f64 {
        ratio(self.targets_hit, self.targets)
    }
}

/// Look-alike rows of one scenario and how many were hit in the top K.
#[derive(Debug, Clone, PartialEq)]
pub struct LookalikeScore {
    /// Scenario name.
    pub scenario: String,
    /// Rows.
    pub rows: usize,
    /// Rows hit by an alert in the top K.
    pub hit: usize,
}

/// Where a workload figure came from, for the reader of the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Given on the command line (`--users`, `--days`).
    Argument,
    /// Distinct `user_id` in users.csv next to the labels.
    UsersCsv,
    /// The detection window (`from`, `to`) in summary.json next to the alerts.
    SummaryWindow,
}

impl Source {
    fn name(self) -> &'static str {
        match self {
            Source::Argument => "the command line",
            Source::UsersCsv => "users.csv",
            Source::SummaryWindow => "summary.json window",
        }
    }
}

/// The review workload the run asks of a privacy office.
#[derive(Debug, Clone, PartialEq)]
pub struct Workload {
    /// Users in the hospital, and where the number came from.
    pub users: Option<(usize, Source)>,
    /// Days the access log spans, and where the number came from.
    pub days: Option<(u32, Source)>,
}

impl Workload {
    /// Alerts / (users / 1000) / days, when both are known.
    pub fn per_1000_users_per_day(&self, alerts: usize) -> Option<f64> {
        match (self.users, self.days) {
            (Some((u, _)), Some((d, _))) if u > 0 && d > 0 => Some(alerts as f64 / (u as f64 / 1000.0) / d as f64),
            _ => None,
        }
    }
}

/// What `evaluate` needs besides the two files; every field is optional.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EvaluateOptions {
    /// How many top-ranked alerts a reviewer looks at; twice the incidents
    /// when `None`.
    pub k: Option<usize>,
    /// Users in the hospital; overrides users.csv next to the labels.
    pub users: Option<usize>,
    /// Days the access log spans; overrides summary.json's `window` next to
    /// the alerts.
    pub days: Option<u32>,
}

/// The result of an evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// K.
    pub k: usize,
    /// Alerts read.
    pub alerts: usize,
    /// Incidents.
    pub incidents: usize,
    /// Label rows.
    pub targets: usize,
    /// Per scenario, by name.
    pub scenarios: Vec<ScenarioScore>,
    /// Targets hit in the top K over all targets.
    pub recall_at_k: f64,
    /// Incidents found in the top K over all incidents.
    pub incident_recall_at_k: f64,
    /// Top-K alerts that hit any target, over K (or over the alerts when
    /// fewer than K).
    pub precision_at_k: f64,
    /// Like `precision_at_k`, but a top-K alert counts only when it is the
    /// first alert of its case (`case_id`, else its user) to hit an
    /// incident: each (case, incident) pair earns credit once.
    pub case_precision_at_k: f64,
    /// The highest case precision@K these labels allow: the labelled
    /// (user, incident) pairs, at most K, over K. With K at twice the
    /// incidents and one user per incident it is 0.5.
    pub case_precision_ceiling: f64,
    /// Average precision over the whole ranking.
    pub average_precision: f64,
    /// Look-alikes, when lookalikes.csv was found next to the labels.
    pub lookalikes: Vec<LookalikeScore>,
    /// Top-K alerts that hit a look-alike row and no labelled incident.
    pub lookalike_alerts_at_k: usize,
    /// Users and days, for alerts per 1,000 users per day.
    pub workload: Workload,
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

impl Evaluation {
    /// Alerts per 1,000 users per day, when users and days are known.
    pub fn alerts_per_1000_users_per_day(&self) -> Option<f64> {
        self.workload.per_1000_users_per_day(self.alerts)
    }

    /// The totals as one JSON object on one line, with per-scenario counts
    /// under `scenarios` (names and numbers only).
    pub fn json_line(&self) -> String {
        let look_rows: usize = self.lookalikes.iter().map(|l| l.rows).sum();
        let look_hit: usize = self.lookalikes.iter().map(|l| l.hit).sum();
        let scenarios: serde_json::Map<String, serde_json::Value> = self
            .scenarios
            .iter()
            .map(|s| {
                let v = serde_json::json!({
                    "incidents": s.incidents,
                    "incidents_hit_at_k": s.incidents_hit,
                    "label_rows": s.targets,
                    "label_rows_hit_at_k": s.targets_hit,
                    "alerts_at_k": s.alerts_at_k,
                    "average_precision": round4(s.average_precision),
                });
                (s.scenario.clone(), v)
            })
            .collect();
        serde_json::json!({
            "k": self.k,
            "alerts": self.alerts,
            "incidents": self.incidents,
            "label_rows": self.targets,
            "recall_at_k": round4(self.recall_at_k),
            "incident_recall_at_k": round4(self.incident_recall_at_k),
            "precision_at_k": round4(self.precision_at_k),
            "case_precision_at_k": round4(self.case_precision_at_k),
            "case_precision_ceiling": round4(self.case_precision_ceiling),
            "average_precision": round4(self.average_precision),
            "lookalike_rows": look_rows,
            "lookalike_rows_hit_at_k": look_hit,
            "lookalike_alerts_at_k": self.lookalike_alerts_at_k,
            "users": self.workload.users.map(|u| u.0),
            "days": self.workload.days.map(|d| d.0),
            "alerts_per_1000_users_per_day": self.alerts_per_1000_users_per_day().map(round4),
            "window_slack_seconds": WINDOW_SLACK_SECONDS,
            "scenarios": scenarios,
        })
        .to_string()
    }
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

impl fmt::Display for Evaluation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} alerts, {} incidents ({} label rows), K = {}",
            self.alerts, self.incidents, self.targets, self.k
        )?;
        writeln!(
            f,
            "{:<22} {:>9} {:>6} {:>12} {:>15} {:>9} {:>7}",
            "scenario", "incidents", "rows", "recall@K", "incidents@K", "alerts@K", "AP"
        )?;
        for s in &self.scenarios {
            writeln!(
                f,
                "{:<22} {:>9} {:>6} {:>12} {:>15} {:>9} {:>7.3}",
                s.scenario,
                s.incidents,
                s.targets,
                format!("{:.3}", s.recall()),
                format!("{}/{}", s.incidents_hit, s.incidents),
                s.alerts_at_k,
                s.average_precision
            )?;
        }
        writeln!(
            f,
            "{:<22} {:>9} {:>6} {:>12} {:>15} {:>9} {:>7.3}",
            "all",
            self.incidents,
            self.targets,
            format!("{:.3}", self.recall_at_k),
            format!("{:.3}", self.incident_recall_at_k),
            "",
            self.average_precision
        )?;
        writeln!(f, "precision@K: {:.3}", self.precision_at_k)?;
        writeln!(
            f,
            "case precision@K: {:.3} of at most {:.3} (a case earns one hit per incident; its further alerts on \
             that incident are misses)",
            self.case_precision_at_k, self.case_precision_ceiling
        )?;
        if !self.lookalikes.is_empty() {
            writeln!(f, "look-alikes in the top K ({} alerts):", self.lookalike_alerts_at_k)?;
            for l in &self.lookalikes {
                writeln!(f, "  {:<24} {:>4} of {:>5} rows", l.scenario, l.hit, l.rows)?;
            }
        }
        match (self.workload.users, self.workload.days, self.alerts_per_1000_users_per_day()) {
            (Some((u, us)), Some((d, ds)), Some(w)) => writeln!(
                f,
                "workload: {w:.2} alerts per 1,000 users per day ({} alerts, {u} users from {}, {d} days from {})",
                self.alerts,
                us.name(),
                ds.name()
            )?,
            (users, days, _) => {
                let hint = match (users, days) {
                    (None, None) => "users and days unknown: pass --users N and --days N",
                    (None, _) => "users unknown: pass --users N, or keep users.csv next to the labels",
                    _ => "days unknown: pass --days N, or run detect with --from/--to or --last",
                };
                writeln!(f, "workload: {hint}")?
            }
        }
        Ok(())
    }
}

/// Undoes the spreadsheet-formula neutralisation of the alert writer: a
/// cell that started with `=`, `+`, `-`, `@`, tab or CR was written with a
/// leading apostrophe.
pub fn unneutralise(cell: &str) -> &str {
    let t = cell.trim_matches(|c| c == ' ' || c == '\n');
    match t.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => t,
    }
}

struct Table {
    path: PathBuf,
    header: Vec<String>,
    rows: Vec<(u64, csv::StringRecord)>,
}

impl Table {
    fn read(path: &Path) -> Result<Table, EvaluateError> {
        let err = |m: String| EvaluateError::Read { path: path.to_path_buf(), message: m };
        let mut r = csv::ReaderBuilder::new().flexible(true).from_path(path).map_err(|e| err(e.to_string()))?;
        let header = r
            .headers()
            .map_err(|e| err(e.to_string()))?
            .iter()
            .map(|h| h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
            .collect();
        let mut rows = Vec::new();
        for rec in r.records() {
            let rec = rec.map_err(|e| err(e.to_string()))?;
            let line = rec.position().map(|p| p.line()).unwrap_or(0);
            rows.push((line, rec));
        }
        Ok(Table { path: path.to_path_buf(), header, rows })
    }

    fn col(&self, name: &'static str) -> Result<usize, EvaluateError> {
        self.header
            .iter()
            .position(|h| h == name)
            .ok_or(EvaluateError::MissingColumn { path: self.path.clone(), column: name })
    }

    fn opt_col(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }
}

fn cell(rec: &csv::StringRecord, i: usize) -> String {
    unneutralise(rec.get(i).unwrap_or("")).to_string()
}

/// How far outside a label's window an alert's span may end and still hit
/// it: timestamps are rounded to the second on both sides and an alert's
/// span is built from the accesses the rule kept, so a hit that misses
/// the window by minutes is a hit.
pub const WINDOW_SLACK_SECONDS: i64 = 3600;

/// The local wall-clock time of a timestamp: `YYYY-MM-DD HH:MM:SS` or
/// `YYYY-MM-DDTHH:MM:SS`, with any fraction and offset (`-06:00`, `Z`)
/// after it dropped.
fn wall_clock(s: &str) -> Option<NaiveDateTime> {
    let head = s.trim().get(..19)?;
    NaiveDateTime::parse_from_str(head, "%Y-%m-%d %H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(head, "%Y-%m-%dT%H:%M:%S"))
        .ok()
}

/// A label or look-alike row: the user, the patient (empty = the user as a
/// whole) and the local window in which it happened.
#[derive(Debug, Clone)]
struct Target {
    user: String,
    patient: String,
    start: NaiveDateTime,
    end: NaiveDateTime,
}

/// One alert: whom it names, the local span of its evidence, its case.
#[derive(Debug, Clone)]
struct Alert {
    user: String,
    patient: String,
    first: NaiveDateTime,
    last: NaiveDateTime,
    case: String,
}

/// Whether `alert` hits `target`: same user, same patient unless the target
/// is the user as a whole, and the alert's span overlaps the target's
/// window widened by the slack.
fn hits(target: &Target, alert: &Alert) -> bool {
    let slack = chrono::Duration::seconds(WINDOW_SLACK_SECONDS);
    target.user == alert.user
        && (target.patient.is_empty() || target.patient == alert.patient)
        && alert.first <= target.end + slack
        && alert.last >= target.start - slack
}

/// Reads the window columns of a label or look-alike row.
fn window(
    t: &Table,
    line: u64,
    rec: &csv::StringRecord,
    c_start: usize,
    c_end: usize,
) -> Result<(NaiveDateTime, NaiveDateTime), EvaluateError> {
    let at = |c: usize, name: &str| {
        // The value is not echoed: a shifted row could hold an id here.
        wall_clock(&cell(rec, c)).ok_or_else(|| EvaluateError::BadValue {
            path: t.path.clone(),
            line,
            message: format!("{name} is not a time; expected \"YYYY-MM-DD HH:MM:SS\""),
        })
    };
    let (start, end) = (at(c_start, "start")?, at(c_end, "end")?);
    if end < start {
        return Err(EvaluateError::BadValue { path: t.path.clone(), line, message: "end is before start".into() });
    }
    Ok((start, end))
}

/// Distinct non-empty `user_id` in a users.csv.
fn count_users(path: &Path) -> Result<usize, EvaluateError> {
    let t = Table::read(path)?;
    let c = t.col("user_id")?;
    Ok(t.rows.iter().map(|(_, r)| cell(r, c)).filter(|u| !u.is_empty()).collect::<BTreeSet<_>>().len())
}

/// Days of the detection window in a summary.json (`window.from` to
/// `window.to`, both inclusive), when the run was given one.
fn window_days(path: &Path) -> Result<Option<u32>, EvaluateError> {
    let err = |m: String| EvaluateError::Read { path: path.to_path_buf(), message: m };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| err(e.to_string()))?;
    let day = |k: &str| {
        v.get("window")
            .and_then(|w| w.get(k))
            .and_then(|d| d.as_str())
            .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    };
    Ok(match (day("from"), day("to")) {
        (Some(from), Some(to)) if to >= from => u32::try_from((to - from).num_days() + 1).ok(),
        _ => None,
    })
}

/// Evaluates `alerts` against `labels`; `k` defaults to twice the number of
/// incidents. Users and days for the workload come from the files next to
/// them (see [`evaluate_with`]).
pub fn evaluate(labels: &Path, alerts: &Path, k: Option<usize>) -> Result<Evaluation, EvaluateError> {
    evaluate_with(labels, alerts, &EvaluateOptions { k, ..EvaluateOptions::default() })
}

/// Evaluates `alerts` against `labels`. Users are `options.users`, else the
/// distinct users of users.csv next to the labels; days are `options.days`,
/// else the detection window of summary.json next to the alerts (present
/// when detect ran with `--from/--to` or `--last`); the workload is unknown
/// when either is missing.
pub fn evaluate_with(labels: &Path, alerts: &Path, options: &EvaluateOptions) -> Result<Evaluation, EvaluateError> {
    // Labels: targets per scenario, incident of each target. Rows of one
    // (user, patient, incident) are one target over the union of windows.
    let lt = Table::read(labels)?;
    let (c_inc, c_sc, c_user, c_pat) =
        (lt.col("incident_id")?, lt.col("scenario")?, lt.col("user_id")?, lt.col("patient_id")?);
    let (c_start, c_end) = (lt.col("start")?, lt.col("end")?);
    let mut targets: Vec<(Target, String, String)> = Vec::new(); // (target, scenario, incident)
    let mut seen: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    for (line, rec) in &lt.rows {
        let user = cell(rec, c_user);
        if user.is_empty() {
            return Err(EvaluateError::BadValue {
                path: lt.path.clone(),
                line: *line,
                message: "empty user_id".into(),
            });
        }
        let (start, end) = window(&lt, *line, rec, c_start, c_end)?;
        let patient = cell(rec, c_pat);
        let inc = cell(rec, c_inc);
        match seen.get(&(user.clone(), patient.clone(), inc.clone())) {
            Some(&i) => {
                let t = &mut targets[i].0;
                t.start = t.start.min(start);
                t.end = t.end.max(end);
            }
            None => {
                seen.insert((user.clone(), patient.clone(), inc.clone()), targets.len());
                targets.push((Target { user, patient, start, end }, cell(rec, c_sc), inc));
            }
        }
    }
    if targets.is_empty() {
        return Err(EvaluateError::NoLabels { path: lt.path });
    }
    let incidents: BTreeSet<&str> = targets.iter().map(|t| t.2.as_str()).collect();
    let n_incidents = incidents.len();
    let k = options.k.unwrap_or(2 * n_incidents).max(1);

    // Alerts in rank order (file order breaks ties).
    let at = Table::read(alerts)?;
    let (a_rank, a_user, a_pat) = (at.col("rank")?, at.col("user_id")?, at.col("patient_id")?);
    let (a_first, a_last) = (at.col("first_access")?, at.col("last_access")?);
    let a_case = at.opt_col("case_id");
    let mut ranked: Vec<(f64, usize, Alert)> = Vec::new();
    for (i, (line, rec)) in at.rows.iter().enumerate() {
        let bad = |message: String| EvaluateError::BadValue { path: at.path.clone(), line: *line, message };
        let rank: f64 = cell(rec, a_rank)
            .parse()
            .map_err(|_| bad(format!("rank {:?} is not a number", rec.get(a_rank).unwrap_or(""))))?;
        let time = |c: usize, name: &str| {
            wall_clock(&cell(rec, c)).ok_or_else(|| bad(format!("{name} is not a timestamp; expected RFC 3339")))
        };
        let (first, last) = (time(a_first, "first_access")?, time(a_last, "last_access")?);
        let user = cell(rec, a_user);
        let case = a_case.map(|c| cell(rec, c)).filter(|c| !c.is_empty()).unwrap_or_else(|| user.clone());
        ranked.push((rank, i, Alert { user, patient: cell(rec, a_pat), first, last, case }));
    }
    ranked.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal).then(a.1.cmp(&b.1)));
    let alerts_list: Vec<Alert> = ranked.into_iter().map(|r| r.2).collect();

    // Walk the ranking once.
    let n_t = targets.len();
    let mut first_hit: Vec<Option<usize>> = vec![None; n_t];
    let mut correct_so_far = 0usize;
    let mut ap_sum = 0.0;
    let mut ap_by_scenario: BTreeMap<&str, f64> = BTreeMap::new();
    let mut alerts_at_k_by_scenario: BTreeMap<&str, usize> = BTreeMap::new();
    let mut correct_at_k = 0usize;
    let mut case_correct_at_k = 0usize;
    let mut credited: BTreeSet<(&str, &str)> = BTreeSet::new(); // (case, incident)
    for (pos, a) in alerts_list.iter().enumerate() {
        let matched: Vec<usize> = (0..n_t).filter(|&t| hits(&targets[t].0, a)).collect();
        if matched.is_empty() {
            continue;
        }
        correct_so_far += 1;
        let prec = correct_so_far as f64 / (pos + 1) as f64;
        if pos < k {
            correct_at_k += 1;
            let scen: BTreeSet<&str> = matched.iter().map(|&t| targets[t].1.as_str()).collect();
            for s in scen {
                *alerts_at_k_by_scenario.entry(s).or_default() += 1;
            }
            // Not short-circuited: every incident this alert hits is
            // credited to its case, so a later alert cannot claim it.
            let mut first_of_case = false;
            for &t in &matched {
                first_of_case |= credited.insert((a.case.as_str(), targets[t].2.as_str()));
            }
            if first_of_case {
                case_correct_at_k += 1;
            }
        }
        for t in matched {
            if first_hit[t].is_none() {
                first_hit[t] = Some(pos);
                ap_sum += prec;
                *ap_by_scenario.entry(targets[t].1.as_str()).or_default() += prec;
            }
        }
    }
    let in_k = |t: usize| first_hit[t].map(|p| p < k).unwrap_or(false);

    let mut by_scenario: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, t) in targets.iter().enumerate() {
        by_scenario.entry(t.1.as_str()).or_default().push(i);
    }
    let scenarios = by_scenario
        .iter()
        .map(|(&s, ts)| {
            let incs: BTreeSet<&str> = ts.iter().map(|&t| targets[t].2.as_str()).collect();
            let incs_hit: BTreeSet<&str> = ts.iter().filter(|&&t| in_k(t)).map(|&t| targets[t].2.as_str()).collect();
            ScenarioScore {
                scenario: s.to_string(),
                incidents: incs.len(),
                targets: ts.len(),
                targets_hit: ts.iter().filter(|&&t| in_k(t)).count(),
                incidents_hit: incs_hit.len(),
                alerts_at_k: alerts_at_k_by_scenario.get(s).copied().unwrap_or(0),
                average_precision: ap_by_scenario.get(s).copied().unwrap_or(0.0) / ts.len() as f64,
            }
        })
        .collect();
    let incidents_found: BTreeSet<&str> = (0..n_t).filter(|&t| in_k(t)).map(|t| targets[t].2.as_str()).collect();

    // Look-alikes next to the labels, under the same window rule.
    let mut lookalikes = Vec::new();
    let mut lookalike_alerts_at_k = 0;
    let look_path = labels.with_file_name("lookalikes.csv");
    if look_path.is_file() {
        let t = Table::read(&look_path)?;
        let (l_sc, l_user) = (t.col("scenario")?, t.col("user_id")?);
        let (l_start, l_end) = (t.col("start")?, t.col("end")?);
        let l_pat = t.opt_col("patient_id");
        let mut rows: Vec<(String, Target)> = Vec::with_capacity(t.rows.len());
        for (line, r) in &t.rows {
            let (start, end) = window(&t, *line, r, l_start, l_end)?;
            let target =
                Target { user: cell(r, l_user), patient: l_pat.map(|c| cell(r, c)).unwrap_or_default(), start, end };
            rows.push((cell(r, l_sc), target));
        }
        // An alert that hits a labelled incident is a true alarm, even when
        // its user also did legitimate look-alike work in the window (an
        // exfiltrating clerk who also registered a VIP): only alerts that
        // hit no label count against the look-alikes.
        let top: Vec<&Alert> = alerts_list[..k.min(alerts_list.len())]
            .iter()
            .filter(|a| !targets.iter().any(|(t, _, _)| hits(t, a)))
            .collect();
        let mut per: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        for (s, target) in &rows {
            let e = per.entry(s.as_str()).or_default();
            e.0 += 1;
            if top.iter().any(|a| hits(target, a)) {
                e.1 += 1;
            }
        }
        lookalike_alerts_at_k = top.iter().filter(|a| rows.iter().any(|(_, t)| hits(t, a))).count();
        lookalikes =
            per.into_iter().map(|(s, (rows, hit))| LookalikeScore { scenario: s.to_string(), rows, hit }).collect();
    }

    // Workload: the arguments, else the files next to labels and alerts.
    let users = match options.users {
        Some(n) => Some((n, Source::Argument)),
        None => {
            let path = labels.with_file_name("users.csv");
            if path.is_file() {
                Some((count_users(&path)?, Source::UsersCsv))
            } else {
                None
            }
        }
    };
    let days = match options.days {
        Some(n) => Some((n, Source::Argument)),
        None => {
            let path = alerts.with_file_name("summary.json");
            if path.is_file() {
                window_days(&path)?.map(|d| (d, Source::SummaryWindow))
            } else {
                None
            }
        }
    };

    // A count of zero is no count: it would divide by zero.
    let (users, days) = (users.filter(|u| u.0 > 0), days.filter(|d| d.0 > 0));
    let denom = k.min(alerts_list.len()).max(1);
    let pairs = targets.iter().map(|t| (t.0.user.as_str(), t.2.as_str())).collect::<BTreeSet<_>>().len();
    let at_k = |n: usize| if alerts_list.is_empty() { 0.0 } else { n as f64 / denom as f64 };
    Ok(Evaluation {
        k,
        alerts: alerts_list.len(),
        incidents: n_incidents,
        targets: n_t,
        scenarios,
        recall_at_k: ratio((0..n_t).filter(|&t| in_k(t)).count(), n_t),
        incident_recall_at_k: ratio(incidents_found.len(), n_incidents),
        precision_at_k: at_k(correct_at_k),
        case_precision_at_k: at_k(case_correct_at_k),
        case_precision_ceiling: at_k(pairs.min(denom)),
        average_precision: ap_sum / n_t as f64,
        lookalikes,
        lookalike_alerts_at_k,
        workload: Workload { users, days },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_formula_apostrophe_only() {
        assert_eq!(unneutralise("'=HYPERLINK()"), "=HYPERLINK()");
        assert_eq!(unneutralise("'-12"), "-12");
        assert_eq!(unneutralise("O'Brien"), "O'Brien");
        assert_eq!(unneutralise("'abc"), "'abc");
        assert_eq!(unneutralise("U10001"), "U10001");
    }

    fn at(s: &str) -> NaiveDateTime {
        wall_clock(s).expect("test time")
    }

    fn target(user: &str, patient: &str, start: &str, end: &str) -> Target {
        Target { user: user.into(), patient: patient.into(), start: at(start), end: at(end) }
    }

    fn alert(user: &str, patient: &str, first: &str, last: &str) -> Alert {
        Alert { user: user.into(), patient: patient.into(), first: at(first), last: at(last), case: user.into() }
    }

    #[test]
    fn user_level_targets_match_any_patient_in_the_window() {
        let (s, e) = ("2026-10-20 10:00:00", "2026-10-20 10:30:00");
        let t = target("U1", "", s, e);
        assert!(hits(&t, &alert("U1", "P9", s, e)));
        assert!(!hits(&t, &alert("U2", "P9", s, e)));
        let p = target("U1", "P1", s, e);
        assert!(hits(&p, &alert("U1", "P1", s, e)));
        assert!(!hits(&p, &alert("U1", "P2", s, e)));
        assert!(!hits(&p, &alert("U1", "", s, e)));
    }

    #[test]
    fn window_rule_uses_local_wall_clock_and_an_hour_of_slack() {
        let t = target("U1", "P1", "2026-10-20 10:00:00", "2026-10-20 10:30:00");
        // Months earlier: the right pair, the wrong time.
        assert!(!hits(&t, &alert("U1", "P1", "2026-07-01T10:00:00-05:00", "2026-07-01T10:20:00-05:00")));
        // Spans that contain, start inside or end inside the window.
        assert!(hits(&t, &alert("U1", "P1", "2026-10-01T00:00:00-05:00", "2026-10-31T00:00:00-05:00")));
        assert!(hits(&t, &alert("U1", "P1", "2026-10-20T10:29:00-05:00", "2026-10-22T00:00:00-05:00")));
        // Within the slack, and just outside it.
        assert!(hits(&t, &alert("U1", "P1", "2026-10-20T09:00:00-05:00", "2026-10-20T09:30:00-05:00")));
        assert!(!hits(&t, &alert("U1", "P1", "2026-10-20T08:00:00-05:00", "2026-10-20T08:59:00-05:00")));
        assert!(hits(&t, &alert("U1", "P1", "2026-10-20T11:30:00-05:00", "2026-10-20T12:00:00-05:00")));
        assert!(!hits(&t, &alert("U1", "P1", "2026-10-20T11:31:00-05:00", "2026-10-20T12:00:00-05:00")));
        // The offset is dropped, not applied: 10:10-05:00 is 10:10 local
        // (15:10 UTC would be outside the window and its slack).
        assert!(hits(&t, &alert("U1", "P1", "2026-10-20T10:10:00-05:00", "2026-10-20T10:10:00-05:00")));
        assert_eq!(wall_clock("2026-10-20T10:10:00.250Z"), wall_clock("2026-10-20 10:10:00"));
        assert_eq!(wall_clock("2026-10-20"), None);
    }

    struct Files(tempfile::TempDir);

    impl Files {
        fn new(labels: &str, alerts: &str) -> Files {
            let dir = tempfile::tempdir().expect("tempdir");
            std::fs::write(dir.path().join("labels.csv"), labels).expect("write");
            std::fs::write(dir.path().join("alerts.csv"), alerts).expect("write");
            Files(dir)
        }

        fn write(&self, name: &str, text: &str) {
            std::fs::write(self.0.path().join(name), text).expect("write");
        }

        fn run(&self, options: EvaluateOptions) -> Result<Evaluation, EvaluateError> {
            evaluate_with(&self.0.path().join("labels.csv"), &self.0.path().join("alerts.csv"), &options)
        }

        fn k(&self, k: usize) -> Evaluation {
            self.run(EvaluateOptions { k: Some(k), ..EvaluateOptions::default() }).expect("evaluate")
        }
    }

    const HEADER: &str = "alert_id,rank,score,kind,user_id,patient_id,rules,first_access,last_access,access_count";

    #[test]
    fn an_alert_for_the_right_user_and_patient_outside_the_window_does_not_hit() {
        let labels = "incident_id,scenario,user_id,patient_id,start,end
INC-1,vip,U1,P1,2026-10-20 10:00:00,2026-10-20 10:30:00
INC-2,bulk_export_night,U2,,2026-10-21 02:00:00,2026-10-21 03:00:00
";
        // The two top alerts name the labelled pair and user, months early;
        // the next two are the incidents themselves.
        let alerts = format!(
            "{HEADER}
a1,1,99,snooping,U1,P1,vip,2026-07-01T10:00:00-05:00,2026-07-01T10:05:00-05:00,3
a2,2,98,exfiltration,U2,P5,bulk,2026-06-02T02:00:00-05:00,2026-06-02T02:30:00-05:00,300
a3,3,97,snooping,U1,P1,vip,2026-10-20T10:10:00-05:00,2026-10-20T10:12:00-05:00,2
a4,4,96,exfiltration,U2,P7,bulk,2026-10-21T02:05:00-05:00,2026-10-21T02:55:00-05:00,400
"
        );
        let f = Files::new(labels, &alerts);
        let ev = f.k(2);
        assert_eq!((ev.recall_at_k, ev.incident_recall_at_k, ev.precision_at_k), (0.0, 0.0, 0.0));
        let ev = f.k(4);
        assert_eq!((ev.recall_at_k, ev.incident_recall_at_k, ev.precision_at_k), (1.0, 1.0, 0.5));
        // First hits at ranks 3 and 4: AP = (1/3 + 2/4) / 2.
        assert!((ev.average_precision - (1.0 / 3.0 + 0.5) / 2.0).abs() < 1e-9, "{}", ev.average_precision);

        // Look-alikes follow the same rule: the early alert is not one.
        f.write(
            "lookalikes.csv",
            "scenario,user_id,patient_id,start,end
same_surname_treating,U1,P1,2026-07-01 09:00:00,2026-07-01 09:30:00
night_shift,U2,,2026-10-25 00:00:00,2026-10-26 00:00:00
",
        );
        let ev = f.k(4);
        let looks: Vec<(&str, usize, usize)> =
            ev.lookalikes.iter().map(|l| (l.scenario.as_str(), l.rows, l.hit)).collect();
        assert_eq!(looks, [("night_shift", 1, 0), ("same_surname_treating", 1, 1)]);
        assert_eq!(ev.lookalike_alerts_at_k, 1);
    }

    #[test]
    fn an_alert_on_a_labelled_incident_is_not_also_a_look_alike() {
        // U1 exfiltrates over two weeks and, in the same weeks, registers a
        // VIP as part of the job (a look-alike row); U2 only does the
        // look-alike work.
        let labels = "incident_id,scenario,user_id,patient_id,start,end
INC-1,slow_exfiltration,U1,,2026-10-10 08:00:00,2026-10-24 18:00:00
";
        let alerts = format!(
            "{HEADER}
a1,1,90,exfiltration,U1,,slow_exfiltration,2026-10-12T08:00:00-05:00,2026-10-20T17:00:00-05:00,50
a2,2,80,snooping,U2,P9,vip_access,2026-10-15T10:00:00-05:00,2026-10-15T10:05:00-05:00,3
"
        );
        let f = Files::new(labels, &alerts);
        f.write(
            "lookalikes.csv",
            "scenario,user_id,patient_id,start,end
vip_care_team,U1,P8,2026-10-15 09:00:00,2026-10-15 09:10:00
vip_care_team,U2,P9,2026-10-15 10:00:00,2026-10-15 10:10:00
",
        );
        let ev = f.k(2);
        assert_eq!(ev.precision_at_k, 0.5);
        let looks: Vec<(&str, usize, usize)> =
            ev.lookalikes.iter().map(|l| (l.scenario.as_str(), l.rows, l.hit)).collect();
        assert_eq!(looks, [("vip_care_team", 2, 1)]);
        assert_eq!(ev.lookalike_alerts_at_k, 1);
    }

    #[test]
    fn case_precision_credits_one_user_once_per_incident() {
        let labels = "incident_id,scenario,user_id,patient_id,start,end
INC-1,curious_browsing,U1,,2026-10-20 08:00:00,2026-10-20 18:00:00
INC-2,family,U2,P2,2026-10-21 10:00:00,2026-10-21 10:30:00
";
        let mut alerts = String::from(HEADER);
        alerts.push('\n');
        for i in 0..10 {
            alerts.push_str(&format!(
                "b{i},{},50,snooping,U1,P{},unexplained,2026-10-20T09:00:00-05:00,2026-10-20T09:01:00-05:00,1\n",
                i + 1,
                100 + i
            ));
        }
        alerts.push_str("c1,11,40,snooping,U2,P2,family,2026-10-21T10:01:00-05:00,2026-10-21T10:02:00-05:00,1\n");
        alerts.push_str("c2,12,30,snooping,U3,P3,family,2026-10-21T10:01:00-05:00,2026-10-21T10:02:00-05:00,1\n");
        let f = Files::new(labels, &alerts);
        let ev = f.k(12);
        assert!((ev.precision_at_k - 11.0 / 12.0).abs() < 1e-9, "{}", ev.precision_at_k);
        assert!((ev.case_precision_at_k - 2.0 / 12.0).abs() < 1e-9, "{}", ev.case_precision_at_k);
        assert!((ev.case_precision_ceiling - 2.0 / 12.0).abs() < 1e-9, "{}", ev.case_precision_ceiling);
        let ev = f.k(5);
        assert_eq!((ev.precision_at_k, ev.case_precision_at_k, ev.case_precision_ceiling), (1.0, 0.2, 0.4));

        // The case column, when present, is the unit: U1's alerts split
        // over two cases earn two credits.
        let with_case: String = alerts
            .lines()
            .enumerate()
            .map(|(i, l)| match i {
                0 => format!("{l},case_id\n"),
                1..=5 => format!("{l},C1\n"),
                _ => format!("{l},C{i}\n"),
            })
            .collect();
        let f = Files::new(labels, &with_case);
        let ev = f.k(12);
        assert!((ev.case_precision_at_k - 7.0 / 12.0).abs() < 1e-9, "{}", ev.case_precision_at_k);
    }

    #[test]
    fn workload_reads_users_csv_and_the_summary_window_unless_given() {
        let labels = "incident_id,scenario,user_id,patient_id,start,end
INC-1,vip,U1,P1,2026-10-20 10:00:00,2026-10-20 10:30:00
";
        let mut alerts = String::from(HEADER);
        alerts.push('\n');
        for i in 0..6 {
            alerts.push_str(&format!(
                "a{i},{},9,snooping,U{i},P1,x,2026-10-20T10:00:00Z,2026-10-20T10:00:00Z,1\n",
                i + 1
            ));
        }
        let f = Files::new(labels, &alerts);
        let ev = f.run(EvaluateOptions::default()).expect("evaluate");
        assert_eq!(ev.workload, Workload { users: None, days: None });
        assert_eq!(ev.alerts_per_1000_users_per_day(), None);
        assert!(ev.to_string().contains("workload: users and days unknown"));

        // Four distinct users (one listed twice, one row without an id),
        // a ten-day window: 6 alerts / 4 thousandths / 10 days = 150.
        f.write("users.csv", "user_id,role\nU1,nurse\nU2,nurse\nU2,nurse\n,clerk\nU3,clerk\nU4,md\n");
        f.write("summary.json", r#"{"alerts": 6, "window": {"from": "2026-10-01", "to": "2026-10-10"}}"#);
        let ev = f.run(EvaluateOptions::default()).expect("evaluate");
        assert_eq!(ev.workload.users, Some((4, Source::UsersCsv)));
        assert_eq!(ev.workload.days, Some((10, Source::SummaryWindow)));
        let w = ev.alerts_per_1000_users_per_day().expect("workload");
        assert!((w - 150.0).abs() < 1e-9, "{w}");
        let json: serde_json::Value = serde_json::from_str(&ev.json_line()).expect("json");
        assert_eq!(json["alerts_per_1000_users_per_day"], 150.0);
        assert_eq!(json["case_precision_at_k"], ev.case_precision_at_k);
        assert_eq!(json["scenarios"]["vip"]["incidents_hit_at_k"], 1);
        assert!(ev.to_string().contains("150.00 alerts per 1,000 users per day"));

        // Arguments win; a run without a window leaves the days unknown.
        let ev = f.run(EvaluateOptions { users: Some(2000), days: Some(30), k: None }).expect("evaluate");
        let w = ev.alerts_per_1000_users_per_day().expect("workload");
        assert!((w - 0.1).abs() < 1e-12, "{w}");
        f.write("summary.json", r#"{"alerts": 6, "window": null}"#);
        let ev = f.run(EvaluateOptions::default()).expect("evaluate");
        assert_eq!(ev.workload.days, None);
        assert!(ev.to_string().contains("workload: days unknown"), "{ev}");
    }

    #[test]
    fn missing_alert_times_are_an_error_with_the_line() {
        let labels = "incident_id,scenario,user_id,patient_id,start,end
INC-1,vip,U-71,P-71,2026-10-20 10:00:00,2026-10-20 10:30:00
";
        let alerts = format!("{HEADER}\na1,1,9,snooping,U-71,P-71,x,,2026-10-20T10:00:00Z,1\n");
        let err = Files::new(labels, &alerts).run(EvaluateOptions::default()).expect_err("no first_access");
        let msg = err.to_string();
        assert!(msg.contains("line 2") && msg.contains("first_access"), "{msg}");
        // (Ids with a hyphen: a temporary folder's random name, which the
        // message names, is letters and digits and could hold "U1".)
        assert!(!msg.contains("U-71") && !msg.contains("P-71"), "{msg}");
    }
}
