//! Writing every output file of a run.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;

use super::cell::neutralise;
use super::frames::{alerts_frame, frame, write_parquet, write_parquet_groups, FeatureColumn};
use super::schema::{AlertRow, CareTeamOut, CaseRow, FileCount, RejectedRowOut, SkippedOut, Summary, CONTRACT_VERSION};
use crate::detect::Detection;
use crate::explain::{Explanation, Explanations};
use crate::features::UserFeatures;
use crate::fs::{write_all, Staging};
use crate::ingest::Ingested;
use crate::model::Evidence;
use crate::score::Scored;
use crate::time::ZoneCache;

/// Output that could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// A file or folder could not be written.
    #[error("{path}: cannot write: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Another run writes into the same output folder (exit code 4).
    #[error("output folder {dir} is in use by another ehrwatch run; nothing was written, run again when it has ended")]
    Locked {
        /// The output folder.
        dir: PathBuf,
    },
    /// Building or writing a Parquet file failed.
    #[error("{path}: cannot write Parquet: {message}")]
    Parquet {
        /// The path.
        path: PathBuf,
        /// What polars said.
        message: String,
    },
}

/// Everything a run produced, for the writers.
pub struct RunOutputs<'a> {
    /// The context tables and the evidence kept for the report.
    pub data: &'a Ingested<Evidence>,
    /// Explanations per kept event.
    pub explained: &'a Explanations,
    /// Per-user features.
    pub features: &'a UserFeatures,
    /// Rule results.
    pub detection: &'a Detection,
    /// Alerts and cases.
    pub scored: &'a Scored,
    /// Wall time per stage so far, seconds.
    pub timings: Vec<(&'static str, f64)>,
    /// Window, feedback and pseudonymization of the run.
    pub context: &'a super::context::RunContext,
}

/// Counts of raw input values (unknown actions, categories) for
/// summary.json: in a pseudonymized run each value becomes a keyed `V-`
/// token (the pooled "(other values)" key stays), since the text may be
/// anything a source system wrote, names included.
fn keyed_values(counts: &BTreeMap<String, u64>, p: Option<&super::Pseudonymizer>) -> BTreeMap<String, u64> {
    let Some(p) = p else { return counts.clone() };
    let mut out = BTreeMap::new();
    for (k, n) in counts {
        let key = if k == "(other values)" { k.clone() } else { p.value(k) };
        *out.entry(key).or_insert(0) += n;
    }
    out
}

/// [`keyed_values`] for alias keys (`column: raw = contract value`): only
/// the raw value is pseudonymised.
fn aliased_values(counts: &BTreeMap<String, u64>, p: Option<&super::Pseudonymizer>) -> BTreeMap<String, u64> {
    let Some(p) = p else { return counts.clone() };
    let mut out = BTreeMap::new();
    for (k, n) in counts {
        let key = match k.split_once(": ").and_then(|(c, rest)| rest.rsplit_once(" = ").map(|(raw, to)| (c, raw, to))) {
            Some((column, raw, to)) => format!("{column}: {} = {to}", p.value(raw)),
            None => k.clone(),
        };
        *out.entry(key).or_insert(0) += n;
    }
    out
}

fn csv_bytes<T: Serialize>(rows: impl Iterator<Item = T>, header: &[&str]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
    w.write_record(header)?;
    for r in rows {
        w.serialize(r)?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// Header names of a row type, in field order (serde gives no reflection,
/// so they are listed beside the types' fields).
const ALERT_HEADER: [&str; 13] = [
    "alert_id",
    "rank",
    "score",
    "kind",
    "user_id",
    "patient_id",
    "rules",
    "first_access",
    "last_access",
    "access_count",
    "explanation",
    "severity",
    "case_id",
];
const CASE_HEADER: [&str; 11] = [
    "case_id",
    "rank",
    "score",
    "user_id",
    "alert_count",
    "patient_count",
    "kinds",
    "first_access",
    "last_access",
    "top_reasons",
    "alert_ids",
];
const REJECT_HEADER: [&str; 6] = ["table", "file", "line", "column", "reason", "raw"];

fn alert_rows(run: &RunOutputs<'_>) -> Vec<AlertRow> {
    let dict = &run.data.dict;
    let zone = ZoneCache::new(run.data.tz);
    run.scored
        .alerts
        .iter()
        .map(|a| AlertRow {
            alert_id: a.id.clone(),
            rank: a.rank,
            score: a.score,
            kind: a.kind.as_str().to_string(),
            user_id: dict.users.name(a.user).to_string(),
            patient_id: dict.patients.name(a.patient).to_string(),
            rules: a.rules.join(";"),
            first_access: zone.format_local(a.first),
            last_access: zone.format_local(a.last),
            access_count: a.events.len() as u64,
            explanation: a.explanation(),
            severity: a.severity.as_str().to_string(),
            case_id: a.case_id.clone(),
        })
        .collect()
}

fn case_rows(run: &RunOutputs<'_>) -> Vec<CaseRow> {
    let dict = &run.data.dict;
    let zone = ZoneCache::new(run.data.tz);
    run.scored
        .cases
        .iter()
        .map(|c| CaseRow {
            case_id: c.id.clone(),
            rank: c.rank,
            score: c.score,
            user_id: dict.users.name(c.user).to_string(),
            alert_count: c.alerts.len() as u64,
            patient_count: c.patients as u64,
            kinds: c.kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(";"),
            first_access: zone.format_local(c.first),
            last_access: zone.format_local(c.last),
            top_reasons: c.top_reasons.join("; "),
            alert_ids: c.alerts.iter().map(|&i| run.scored.alerts[i].id.as_str()).collect::<Vec<_>>().join(";"),
        })
        .collect()
}

fn neutral_alert(r: &AlertRow) -> AlertRow {
    AlertRow {
        user_id: neutralise(&r.user_id).into_owned(),
        patient_id: neutralise(&r.patient_id).into_owned(),
        explanation: neutralise(&r.explanation).into_owned(),
        ..r.clone()
    }
}

fn summary(run: &RunOutputs<'_>) -> Summary {
    let r = &run.data.report;
    let mut explained_by = BTreeMap::new();
    for k in Explanation::CARE.into_iter().chain([Explanation::Unexplained]) {
        explained_by.insert(k.as_str().to_string(), run.explained.count(k));
    }
    let mut per_rule: BTreeMap<String, u64> = run.detection.per_rule.keys().map(|k| (k.to_string(), 0)).collect();
    let mut per_kind = BTreeMap::new();
    let mut per_severity = BTreeMap::new();
    for a in &run.scored.alerts {
        for rule in &a.rules {
            *per_rule.entry(rule.to_string()).or_insert(0) += 1;
        }
        *per_kind.entry(a.kind.as_str().to_string()).or_insert(0) += 1;
        *per_severity.entry(a.severity.as_str().to_string()).or_insert(0) += 1;
    }
    Summary {
        contract_version: CONTRACT_VERSION,
        ehrwatch_version: env!("CARGO_PKG_VERSION").to_string(),
        timezone: run.data.tz.name().to_string(),
        input_files: r
            .files
            .iter()
            .map(|f| FileCount {
                table: f.table.to_string(),
                path: f.path.clone(),
                rows_read: f.rows_read,
                rows_accepted: f.rows_accepted,
                rows_rejected: f.rows_rejected,
            })
            .collect(),
        events_read: r.events_read,
        events_rejected: r.events_rejected,
        events_scored: r.events_accepted,
        other_rows_rejected: r.files.iter().filter(|f| f.table != "access_log").map(|f| f.rows_rejected).sum(),
        rejected_rows_unlisted: run.data.rejects.unlisted,
        duplicate_files: r.duplicate_files.clone(),
        patient_accesses: run.explained.patient_accesses(),
        explained_fraction: (run.explained.explained_fraction() * 10_000.0).round() / 10_000.0,
        explained_by,
        other_actions: keyed_values(&r.other_actions, run.context.pseudonymizer.as_ref()),
        other_categories: keyed_values(&r.other_categories, run.context.pseudonymizer.as_ref()),
        aliased_values: aliased_values(&r.aliased, run.context.pseudonymizer.as_ref()),
        alerts: run.scored.alerts.len() as u64,
        cases: run.scored.cases.len() as u64,
        alerts_per_rule: per_rule,
        alerts_per_kind: per_kind,
        alerts_per_severity: per_severity,
        downgraded_per_rule: {
            let mut m = BTreeMap::new();
            for f in &run.detection.downgraded {
                *m.entry(f.rule.to_string()).or_insert(0) += 1;
            }
            m
        },
        skipped_detectors: run
            .detection
            .skipped
            .iter()
            .map(|s| SkippedOut { name: s.rule.to_string(), reason: s.reason.clone() })
            .collect(),
        skipped_tables: r
            .skipped_tables
            .iter()
            .map(|s| SkippedOut { name: s.table.to_string(), reason: s.reason.clone() })
            .collect(),
        wall_time_seconds: run.timings.iter().map(|(k, v)| (k.to_string(), (v * 1000.0).round() / 1000.0)).collect(),
        care_team: run.data.care_teams.as_ref().map(|t| {
            let active: std::collections::BTreeSet<u32> = run.features.users.iter().map(|(u, _)| *u).collect();
            CareTeamOut {
                rows: t.rows,
                patients: t.patients() as u64,
                users: t.users() as u64,
                users_not_in_log: t.user_codes().filter(|u| !active.contains(u)).count() as u64,
                accesses_explained: run.explained.count(Explanation::CareTeamMember),
            }
        }),
        ..super::report_files::summary_extensions(run)
    }
}

/// The rows `rows` of user_features.parquet.
fn user_features_frame(
    run: &RunOutputs<'_>,
    rows: std::ops::Range<usize>,
) -> polars::prelude::PolarsResult<polars::prelude::DataFrame> {
    let dict = &run.data.dict;
    let users = &run.features.users[rows.clone()];
    let mut alerts: BTreeMap<u32, (u64, f64)> = BTreeMap::new();
    for a in &run.scored.alerts {
        let e = alerts.entry(a.user).or_insert((0, 0.0));
        e.0 += 1;
        e.1 = e.1.max(a.score);
    }
    let mut downgraded: BTreeMap<u32, u64> = BTreeMap::new();
    for f in &run.detection.downgraded {
        *downgraded.entry(f.user).or_insert(0) += f.events.len() as u64;
    }
    let ids = super::pseudonym::Ids(run.context.pseudonymizer.as_ref());
    let record = |u: u32| run.data.roster.as_ref().and_then(|r| r.get(u));
    let str_col =
        |name: &'static str, f: &dyn Fn(u32) -> String| FeatureColumn::text(name, users.iter().map(|(u, _)| f(*u)));
    let count = |f: &dyn Fn(&crate::features::UserStats) -> u64| users.iter().map(|(_, s)| f(s)).collect();
    let float = |f: &dyn Fn(&crate::features::UserStats) -> f64| users.iter().map(|(_, s)| f(s)).collect();
    frame(
        users.len(),
        vec![
            str_col("user_id", &|u| ids.user(dict.users.name(u))),
            str_col("role", &|u| record(u).and_then(|r| r.role.as_deref().map(str::to_string)).unwrap_or_default()),
            str_col("role_class", &|u| {
                run.explained.roles.class(u).map(|c| c.as_str().to_string()).unwrap_or_default()
            }),
            str_col("role_source", &|u| {
                run.explained.roles.get(u).map(|a| a.source.as_str().to_string()).unwrap_or_default()
            }),
            str_col("department_id", &|u| {
                record(u).and_then(|r| r.department).map(|d| dict.departments.name(d).to_string()).unwrap_or_default()
            }),
            FeatureColumn::Bool("in_roster", users.iter().map(|(u, _)| record(*u).is_some()).collect()),
            FeatureColumn::Count("events", count(&|s| u64::from(s.events))),
            FeatureColumn::Count("patient_accesses", count(&|s| u64::from(s.patient_accesses))),
            FeatureColumn::Count("distinct_patients", count(&|s| u64::from(s.distinct_patients))),
            FeatureColumn::Count("unexplained_accesses", count(&|s| u64::from(s.unexplained_accesses))),
            FeatureColumn::Float("unexplained_share", float(&|s| s.unexplained_share())),
            FeatureColumn::Count("after_hours_accesses", count(&|s| u64::from(s.after_hours_accesses))),
            FeatureColumn::Float("after_hours_share", float(&|s| s.after_hours_share())),
            FeatureColumn::Count("weekend_accesses", count(&|s| u64::from(s.weekend_accesses))),
            FeatureColumn::Count("active_days", count(&|s| u64::from(s.active_days))),
            FeatureColumn::Count("prints", count(&|s| u64::from(s.prints))),
            FeatureColumn::Count("exports", count(&|s| u64::from(s.exports))),
            FeatureColumn::Count("break_glass", count(&|s| u64::from(s.break_glass))),
            FeatureColumn::Count("distinct_workstations", count(&|s| u64::from(s.distinct_workstations))),
            FeatureColumn::text("usual_hours", users.iter().map(|(_, s)| s.usual_hours.to_string())),
            FeatureColumn::Bool("usual_hours_learned", users.iter().map(|(_, s)| s.usual_hours.learned).collect()),
            FeatureColumn::Count(
                "explained_relationship_accesses",
                users.iter().map(|(u, _)| downgraded.get(u).copied().unwrap_or(0)).collect(),
            ),
            FeatureColumn::Count("alerts", users.iter().map(|(u, _)| alerts.get(u).map_or(0, |a| a.0)).collect()),
            FeatureColumn::Float(
                "max_alert_score",
                users.iter().map(|(u, _)| alerts.get(u).map_or(0.0, |a| a.1)).collect(),
            ),
        ]
        .into_iter()
        .chain(super::user_features::behaviour_columns(run, rows))
        .collect(),
    )
}

/// Writes alerts (CSV, JSON lines, Parquet), cases.csv, rejected_rows.csv,
/// user_features.parquet and summary.json into `out`, atomically. Returns the
/// summary that was written.
pub fn write_outputs(out: &Path, mut run: RunOutputs<'_>) -> Result<Summary, OutputError> {
    let started = Instant::now();
    let io = |name: &str| {
        let path = out.join(name);
        move |source: std::io::Error| OutputError::Io { path: path.clone(), source }
    };
    let csv_io = |name: &str| {
        let path = out.join(name);
        move |e: csv::Error| OutputError::Io { path: path.clone(), source: std::io::Error::other(e.to_string()) }
    };
    let pq = |name: &str| {
        let path = out.join(name);
        move |e: polars::prelude::PolarsError| OutputError::Parquet { path: path.clone(), message: e.to_string() }
    };
    let mut staging = Staging::new(out).map_err(io("."))?;

    let mut alerts = alert_rows(&run);
    if let Some(p) = &run.context.pseudonymizer {
        p.alerts(&mut alerts);
    }
    let bytes = csv_bytes(alerts.iter().map(neutral_alert), &ALERT_HEADER).map_err(csv_io("alerts.csv"))?;
    write_all(&mut staging, "alerts.csv", &bytes).map_err(io("alerts.csv"))?;

    let mut jsonl = Vec::new();
    for a in &alerts {
        serde_json::to_writer(&mut jsonl, a).map_err(|e| io("alerts.jsonl")(e.into()))?;
        jsonl.push(b'\n');
    }
    write_all(&mut staging, "alerts.jsonl", &jsonl).map_err(io("alerts.jsonl"))?;

    let firsts: Vec<i64> = run.scored.alerts.iter().map(|a| a.first).collect();
    let lasts: Vec<i64> = run.scored.alerts.iter().map(|a| a.last).collect();
    let mut df = alerts_frame(&alerts, &firsts, &lasts).map_err(pq("alerts.parquet"))?;
    let mut w = staging.create("alerts.parquet").map_err(io("alerts.parquet"))?;
    write_parquet(&mut w, &mut df).map_err(pq("alerts.parquet"))?;
    Staging::finish(w).map_err(io("alerts.parquet"))?;

    let mut cases = case_rows(&run);
    if let Some(p) = &run.context.pseudonymizer {
        p.cases(&mut cases);
    }
    let bytes = csv_bytes(
        cases.iter().map(|c| CaseRow { user_id: neutralise(&c.user_id).into_owned(), ..c.clone() }),
        &CASE_HEADER,
    )
    .map_err(csv_io("cases.csv"))?;
    write_all(&mut staging, "cases.csv", &bytes).map_err(io("cases.csv"))?;

    // Streamed from the spool (or the rows in memory) to the file, row by
    // row: never the whole file in memory.
    let withhold_raw = run.context.pseudonymizer.is_some();
    let out_row = |r: &crate::ingest::RejectedRow| RejectedRowOut {
        table: r.table.to_string(),
        file: neutralise(&r.file).into_owned(),
        line: r.line,
        column: r.column.clone(),
        reason: if withhold_raw {
            neutralise(&r.reason_without_value()).into_owned()
        } else {
            neutralise(&r.reason).into_owned()
        },
        raw: if withhold_raw { String::new() } else { neutralise(&r.raw).into_owned() },
    };
    let mut w = staging.create("rejected_rows.csv").map_err(io("rejected_rows.csv"))?;
    {
        let mut c = csv::WriterBuilder::new().has_headers(false).from_writer(&mut w);
        c.write_record(REJECT_HEADER).map_err(csv_io("rejected_rows.csv"))?;
        let mut failed = None;
        let reviewed = run.context.reviewed.iter().map(|r| &r.rejects);
        for rejects in std::iter::once(&run.data.rejects).chain(reviewed) {
            rejects
                .each_row(&mut |r| {
                    if failed.is_none() {
                        failed = c.serialize(out_row(&r)).err();
                    }
                })
                .map_err(|e| io("rejected_rows.csv")(std::io::Error::other(e.to_string())))?;
        }
        if let Some(e) = failed {
            return Err(csv_io("rejected_rows.csv")(e));
        }
        c.flush().map_err(io("rejected_rows.csv"))?;
    }
    Staging::finish(w).map_err(io("rejected_rows.csv"))?;

    let mut w = staging.create("user_features.parquet").map_err(io("user_features.parquet"))?;
    // A row group at a time: a run of millions of users never holds the
    // whole table as columns.
    write_parquet_groups(&mut w, run.features.users.len(), |rows| user_features_frame(&run, rows))
        .map_err(pq("user_features.parquet"))?;
    Staging::finish(w).map_err(io("user_features.parquet"))?;

    run.timings.push(("output", started.elapsed().as_secs_f64()));
    let summary = summary(&run);
    let mut json = serde_json::to_vec_pretty(&summary).map_err(|e| io("summary.json")(e.into()))?;
    json.write_all(b"\n").map_err(io("summary.json"))?;
    write_all(&mut staging, "summary.json", &json).map_err(io("summary.json"))?;

    super::report_files::write_history_and_report(&mut staging, out, &run, &summary)?;

    staging.commit().map_err(io("."))?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pseudonymised run hides the raw value an alias read, and keeps the
    /// column and the contract value it was read as.
    #[test]
    fn aliased_values_hide_only_the_raw_value() {
        let p = super::super::Pseudonymizer::from_key_file_bytes(b"0123456789abcdef").unwrap();
        let counts: BTreeMap<String, u64> =
            [("data_category: mental health = behavioral_health".to_string(), 3)].into();
        let out = aliased_values(&counts, Some(&p));
        let (key, n) = out.iter().next().unwrap();
        assert_eq!(*n, 3);
        assert_eq!(key, &format!("data_category: {} = behavioral_health", p.value("mental health")));
        assert!(key.contains("V-") && !key.contains("mental"), "{key}");
        assert_eq!(aliased_values(&counts, None), counts);
    }
}
