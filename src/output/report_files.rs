//! The run-level files around the contract's outputs: history.jsonl (one
//! line per run, for the trend) and report.html, staged with the others so
//! all of them are replaced together; and the summary.json keys that
//! describe the window, the feedback and pseudonymization.

use std::collections::BTreeMap;
use std::path::Path;

use super::history::{read_history, HistoryLine, HISTORY_FILE};
use super::pseudonym::Ids;
use super::report::{render_report, ReportInput};
use super::schema::{ReviewedOut, Summary, WindowOut};
use super::write::{OutputError, RunOutputs};
use crate::fs::{write_all, Staging};
use crate::time::ZoneCache;

/// summary.json's extension keys for this run (the rest left default).
pub(super) fn summary_extensions(run: &RunOutputs<'_>) -> Summary {
    let ctx = run.context;
    Summary {
        window: ctx.window.map(|w| WindowOut { from: w.from_date.to_string(), to: w.to_date.to_string() }),
        suppressed: ctx.feedback.suppressed_by_verdict(),
        repeat_offender_alerts: ctx.feedback.boosted,
        reviewed: ctx.reviewed.as_ref().map(|r| ReviewedOut {
            path: r.file.clone(),
            rows_read: r.rows_read,
            rows_accepted: r.rows.len() as u64,
            rows_rejected: r.rejects.rows.len() as u64,
            not_in_run: ctx.feedback.not_in_run,
        }),
        pseudonymized: ctx.pseudonymizer.is_some(),
        state: ctx.state.clone(),
        partitions: ctx.partitions.map(|n| n as u64),
        roles: run.data.roster.as_ref().map(|_| roles_out(&ctx.roles, ctx.pseudonymizer.is_some())),
        ..Summary::default()
    }
}

/// The roster coverage as summary.json writes it; titles are left out of
/// pseudonymized runs (a rare title can single an employee out).
fn roles_out(c: &crate::roles::RoleCoverage, pseudonymized: bool) -> super::schema::RolesOut {
    use crate::roles::RoleSource;
    let by = |s: RoleSource| c.classes.iter().filter(|((_, x), _)| *x == s).map(|(_, n)| *n as u64).sum();
    let mut classes: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for ((class, source), n) in &c.classes {
        classes.entry(class.as_str().to_string()).or_default().insert(source.as_str().to_string(), *n as u64);
    }
    super::schema::RolesOut {
        users: c.users as u64,
        by_title_rule: by(RoleSource::Title),
        by_config: by(RoleSource::Config),
        by_behaviour: by(RoleSource::Behaviour),
        unclassed: c.unclassed as u64,
        no_title: c.no_title as u64,
        classes,
        unmapped_titles: if pseudonymized {
            Vec::new()
        } else {
            c.unmapped_titles
                .iter()
                .map(|(t, n)| super::schema::TitleCount { title: t.clone(), users: *n as u64 })
                .collect()
        },
        unmapped_title_kinds: c.unmapped_title_kinds as u64,
        users_with_department: c.with_department as u64,
        department_unmatched: c.department_unmatched as u64,
        warning: c.warning(),
    }
}

/// This run's history line: its window, or the local days of the data's
/// first and last access when no window was given.
fn history_line(run: &RunOutputs<'_>, summary: &Summary) -> HistoryLine {
    let (from, to) = match run.context.window {
        Some(w) => (w.from_date.to_string(), w.to_date.to_string()),
        None => {
            let mut zone = ZoneCache::new(run.data.tz);
            let mut day =
                |t: Option<i64>| t.map(|t| crate::time::format_local_date(zone.to_local(t))).unwrap_or_default();
            let range = run.context.time_range;
            (day(range.map(|r| r.0)), day(range.map(|r| r.1)))
        }
    };
    HistoryLine {
        window_from: from,
        window_to: to,
        events_read: summary.events_read,
        events_rejected: summary.events_rejected,
        explained_fraction: summary.explained_fraction,
        alerts: summary.alerts,
        cases: summary.cases,
        alerts_per_severity: summary.alerts_per_severity.clone(),
        suppressed: run.context.feedback.suppressed.len() as u64,
    }
}

/// Stages history.jsonl (earlier lines plus this run's) and report.html.
pub(super) fn write_history_and_report(
    staging: &mut Staging,
    out: &Path,
    run: &RunOutputs<'_>,
    summary: &Summary,
) -> Result<(), OutputError> {
    let io = |name: &str| {
        let path = out.join(name);
        move |source: std::io::Error| OutputError::Io { path: path.clone(), source }
    };
    let mut history = read_history(out);
    history.record(history_line(run, summary));
    write_all(staging, HISTORY_FILE, history.to_jsonl().as_bytes()).map_err(io(HISTORY_FILE))?;
    let html = render_report(&ReportInput {
        run,
        summary,
        history: &history.runs,
        ids: Ids(run.context.pseudonymizer.as_ref()),
    });
    write_all(staging, "report.html", html.as_bytes()).map_err(io("report.html"))?;
    Ok(())
}
