//! `ehrwatch evaluate`: scores a run's ranked alerts against a simulator's
//! labels.
//!
//! A labelled (user, patient) row is hit by an alert for the same user and
//! patient; a label about the user as a whole (empty patient) is hit by any
//! alert for that user. Recall, precision and average precision are computed
//! over label rows ("targets"); an incident counts as found when any of its
//! rows is. Look-alikes (`lookalikes.csv` next to the labels) that appear in
//! the top K are reported as false alarms a privacy officer would have had
//! to review. Output holds scenario names and numbers only, never ids.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

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
    /// Average precision over the whole ranking.
    pub average_precision: f64,
    /// Look-alikes, when lookalikes.csv was found next to the labels.
    pub lookalikes: Vec<LookalikeScore>,
    /// Top-K alerts that hit a look-alike row.
    pub lookalike_alerts_at_k: usize,
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

impl Evaluation {
    /// The totals as one JSON object on one line.
    pub fn json_line(&self) -> String {
        let look_rows: usize = self.lookalikes.iter().map(|l| l.rows).sum();
        let look_hit: usize = self.lookalikes.iter().map(|l| l.hit).sum();
        serde_json::json!({
            "k": self.k,
            "alerts": self.alerts,
            "incidents": self.incidents,
            "label_rows": self.targets,
            "recall_at_k": round4(self.recall_at_k),
            "incident_recall_at_k": round4(self.incident_recall_at_k),
            "precision_at_k": round4(self.precision_at_k),
            "average_precision": round4(self.average_precision),
            "lookalike_rows": look_rows,
            "lookalike_rows_hit_at_k": look_hit,
            "lookalike_alerts_at_k": self.lookalike_alerts_at_k,
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
        if !self.lookalikes.is_empty() {
            writeln!(f, "look-alikes in the top K ({} alerts):", self.lookalike_alerts_at_k)?;
            for l in &self.lookalikes {
                writeln!(f, "  {:<24} {:>4} of {:>5} rows", l.scenario, l.hit, l.rows)?;
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

/// (user, patient) of a label or look-alike row; patient empty = whole user.
type Target = (String, String);

fn hits(target: &Target, alert: &Target) -> bool {
    target.0 == alert.0 && (target.1.is_empty() || target.1 == alert.1)
}

/// Evaluates `alerts` against `labels`; `k` defaults to twice the number of
/// incidents.
pub fn evaluate(labels: &Path, alerts: &Path, k: Option<usize>) -> Result<Evaluation, EvaluateError> {
    // Labels: targets per scenario, incident of each target.
    let lt = Table::read(labels)?;
    let (c_inc, c_sc, c_user, c_pat) =
        (lt.col("incident_id")?, lt.col("scenario")?, lt.col("user_id")?, lt.col("patient_id")?);
    let mut targets: Vec<(Target, String, String)> = Vec::new(); // (target, scenario, incident)
    let mut seen: BTreeSet<(Target, String)> = BTreeSet::new();
    for (line, rec) in &lt.rows {
        let user = cell(rec, c_user);
        if user.is_empty() {
            return Err(EvaluateError::BadValue {
                path: lt.path.clone(),
                line: *line,
                message: "empty user_id".into(),
            });
        }
        let t = (user, cell(rec, c_pat));
        let inc = cell(rec, c_inc);
        if seen.insert((t.clone(), inc.clone())) {
            targets.push((t, cell(rec, c_sc), inc));
        }
    }
    if targets.is_empty() {
        return Err(EvaluateError::NoLabels { path: lt.path });
    }
    let incidents: BTreeSet<&str> = targets.iter().map(|t| t.2.as_str()).collect();
    let n_incidents = incidents.len();
    let k = k.unwrap_or(2 * n_incidents).max(1);

    // Alerts in rank order (file order breaks ties).
    let at = Table::read(alerts)?;
    let (a_rank, a_user, a_pat) = (at.col("rank")?, at.col("user_id")?, at.col("patient_id")?);
    let mut ranked: Vec<(f64, usize, Target)> = Vec::new();
    for (i, (line, rec)) in at.rows.iter().enumerate() {
        let rank: f64 = cell(rec, a_rank).parse().map_err(|_| EvaluateError::BadValue {
            path: at.path.clone(),
            line: *line,
            message: format!("rank {:?} is not a number", rec.get(a_rank).unwrap_or("")),
        })?;
        ranked.push((rank, i, (cell(rec, a_user), cell(rec, a_pat))));
    }
    ranked.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal).then(a.1.cmp(&b.1)));
    let alerts_list: Vec<Target> = ranked.into_iter().map(|r| r.2).collect();

    // Walk the ranking once.
    let n_t = targets.len();
    let mut first_hit: Vec<Option<usize>> = vec![None; n_t];
    let mut correct_so_far = 0usize;
    let mut ap_sum = 0.0;
    let mut ap_by_scenario: BTreeMap<&str, f64> = BTreeMap::new();
    let mut alerts_at_k_by_scenario: BTreeMap<&str, usize> = BTreeMap::new();
    let mut correct_at_k = 0usize;
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

    // Look-alikes next to the labels.
    let mut lookalikes = Vec::new();
    let mut lookalike_alerts_at_k = 0;
    let look_path = labels.with_file_name("lookalikes.csv");
    if look_path.is_file() {
        let t = Table::read(&look_path)?;
        let (l_sc, l_user) = (t.col("scenario")?, t.col("user_id")?);
        let l_pat = t.opt_col("patient_id");
        let rows: Vec<(String, Target)> = t
            .rows
            .iter()
            .map(|(_, r)| (cell(r, l_sc), (cell(r, l_user), l_pat.map(|c| cell(r, c)).unwrap_or_default())))
            .collect();
        let top = &alerts_list[..k.min(alerts_list.len())];
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

    let denom = k.min(alerts_list.len()).max(1);
    Ok(Evaluation {
        k,
        alerts: alerts_list.len(),
        incidents: n_incidents,
        targets: n_t,
        scenarios,
        recall_at_k: ratio((0..n_t).filter(|&t| in_k(t)).count(), n_t),
        incident_recall_at_k: ratio(incidents_found.len(), n_incidents),
        precision_at_k: if alerts_list.is_empty() { 0.0 } else { correct_at_k as f64 / denom as f64 },
        average_precision: ap_sum / n_t as f64,
        lookalikes,
        lookalike_alerts_at_k,
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

    #[test]
    fn user_level_targets_match_any_patient() {
        let t = ("U1".to_string(), String::new());
        assert!(hits(&t, &("U1".into(), "P9".into())));
        assert!(!hits(&t, &("U2".into(), "P9".into())));
        let p = ("U1".to_string(), "P1".to_string());
        assert!(hits(&p, &("U1".into(), "P1".into())));
        assert!(!hits(&p, &("U1".into(), "P2".into())));
        assert!(!hits(&p, &("U1".into(), String::new())));
    }
}
