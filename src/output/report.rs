//! report.html: the privacy officer's morning view of a run, one
//! self-contained file (inline CSS and SVG; no scripts, fonts or network
//! fetches), so it opens offline in any browser and can be mailed as is.
//!
//! Sections: the run's totals and the trend over earlier runs into the same
//! folder (history.jsonl); what reviewed.csv suppressed; alerts by rule; the
//! top [`TOP_CASES`] cases, each with its alerts' evidence sentences, a
//! timeline of the user's accesses to the case's patients, and the user's
//! activity against their peers; skipped rules.
//!
//! Every value that comes from the input goes through [`escape`]. User and
//! patient ids appear as in alerts.csv (pseudonymous tokens when the run is
//! pseudonymized); no names. The text is a function of the run alone (no
//! clock, no paths), so the same data gives the same bytes.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write;

use super::history::HistoryLine;
use super::html::escape;
use super::pseudonym::Ids;
use super::schema::Summary;
use super::svg::{bar_chart, peer_chart, timeline, trend_chart, PeerRow, TimelinePoint, TrendPoint};
use super::write::RunOutputs;
use crate::features::UserStats;
use crate::model::{Code, NONE};
use crate::score::{Case, Severity};
use crate::time::{format_local_minute, ZoneCache};

/// Cases shown in full.
pub const TOP_CASES: usize = 25;
/// Alerts listed per case; the rest are in alerts.csv.
const ALERTS_PER_CASE: usize = 12;
/// Patients drawn as their own timeline row; the rest share one row.
const TIMELINE_ROWS: usize = 25;
/// Points drawn per timeline at most (evenly thinned beyond).
const TIMELINE_POINTS: usize = 3000;
/// Runs shown in the trend.
const TREND_RUNS: usize = 30;

const CSS: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:0 auto;max-width:1000px;padding:16px 24px;color:#1d2730;line-height:1.4}
h1{font-size:24px;margin:8px 0 2px}h2{font-size:19px;border-bottom:2px solid #dfe4e8;padding-bottom:4px;margin-top:32px}h3{font-size:16px;margin:0 0 6px}
.muted{color:#5f6b76}.cards{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}.card{border:1px solid #dfe4e8;border-radius:6px;padding:8px 14px;min-width:110px}
.card b{display:block;font-size:22px}.sev-high{color:#fff;background:#c0392b}.sev-medium{color:#fff;background:#d35400}.sev-low{color:#1d2730;background:#f1c40f}
.pill{border-radius:10px;padding:1px 8px;font-size:12px;font-weight:600;white-space:nowrap}
table{border-collapse:collapse;width:100%;font-size:13px;margin:8px 0}th,td{border-bottom:1px solid #e5e9ec;padding:4px 6px;text-align:left;vertical-align:top}th{background:#f4f6f8}
td.num,th.num{text-align:right}.case{border:1px solid #cfd6dc;border-radius:8px;padding:12px 16px;margin:18px 0;page-break-inside:avoid}
.case ul{margin:2px 0;padding-left:18px}.ev li{margin:1px 0}code{font-size:12px;background:#f4f6f8;padding:0 3px;border-radius:3px;word-break:break-all}
td code{white-space:nowrap}.note{background:#fff8e1;border-left:4px solid #f1c40f;padding:6px 10px}@media print{body{max-width:none}}";

fn pill(sev: Severity) -> String {
    format!("<span class=\"pill sev-{0}\">{0}</span>", sev.as_str())
}

fn local_minute(zone: &mut ZoneCache, utc: i64) -> String {
    format_local_minute(zone.to_local(utc))
}

/// "1 row", "2 rows".
fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// The measures of the peer chart: (label, value, is a share).
fn measures(s: &UserStats) -> [(&'static str, f64, bool); 7] {
    let per_day = if s.active_days == 0 { 0.0 } else { s.patient_accesses as f64 / s.active_days as f64 };
    [
        ("patient accesses a day", per_day, false),
        ("distinct patients", s.distinct_patients as f64, false),
        ("unexplained share", s.unexplained_share(), true),
        ("after-hours share", s.after_hours_share(), true),
        ("prints and exports", (s.prints + s.exports) as f64, false),
        ("sensitive-section accesses", s.sensitive_accesses as f64, false),
        ("break-the-glass", s.break_glass as f64, false),
    ]
}

/// Everything the report is built from.
pub struct ReportInput<'a, 'b> {
    /// The run.
    pub run: &'a RunOutputs<'b>,
    /// Its summary.json.
    pub summary: &'a Summary,
    /// Runs into this folder, including this one, oldest first.
    pub history: &'a [HistoryLine],
    /// How ids are exported.
    pub ids: Ids<'a>,
}

/// Renders report.html.
pub fn render_report(input: &ReportInput<'_, '_>) -> String {
    let run = input.run;
    let sum = input.summary;
    let ids = input.ids;
    let ctx = run.context;
    let mut h = String::with_capacity(64 * 1024);
    let window = match (&ctx.window, input.history.last()) {
        (Some(w), _) => format!("detection window {} to {} (earlier data used as baseline)", w.from_date, w.to_date),
        (None, Some(l)) => format!("all accesses, {} to {}", l.window_from, l.window_to),
        (None, None) => "all accesses".to_string(),
    };
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"referrer\" content=\"no-referrer\">\n<title>ehrwatch report: {}</title>\n<style>\n{CSS}\n</style>\n</head>\n<body>\n",
        escape(&window)
    );
    let _ = write!(
        h,
        "<header><h1>EHR access review</h1><p class=\"muted\">{} · time zone {} · ehrwatch {} · data contract {}</p>",
        escape(&window),
        escape(&sum.timezone),
        escape(&sum.ehrwatch_version),
        sum.contract_version
    );
    let identity = if ids.0.is_some() {
        "User and patient ids are pseudonymous tokens (keyed HMAC-SHA256), as in this run's alerts.csv; no names are shown."
    } else {
        "User and patient ids are shown as in alerts.csv; no names are shown. Handle this file as patient data."
    };
    let _ = write!(h, "<p class=\"muted\">{identity}</p></header>\n");

    // Totals.
    let sev = |k: &str| sum.alerts_per_severity.get(k).copied().unwrap_or(0);
    let suppressed: u64 = ctx.feedback.suppressed.len() as u64;
    let _ = write!(
        h,
        "<section id=\"totals\"><h2>This run</h2><div class=\"cards\">\
<div class=\"card\"><b>{}</b>events read</div>\
<div class=\"card\"><b>{}</b>rows rejected</div>\
<div class=\"card\"><b>{}</b>patient accesses explained by care</div>\
<div class=\"card\"><b>{}</b>alerts in {} cases</div>\
<div class=\"card sev-high\"><b>{}</b>high</div>\
<div class=\"card sev-medium\"><b>{}</b>medium</div>\
<div class=\"card sev-low\"><b>{}</b>low</div>\
<div class=\"card\"><b>{}</b>suppressed by review</div></div>",
        sum.events_read,
        sum.events_rejected + sum.other_rows_rejected,
        pct(sum.explained_fraction),
        sum.alerts,
        sum.cases,
        sev("high"),
        sev("medium"),
        sev("low"),
        suppressed
    );
    if let Some(st) = &sum.state {
        // Incremental run: what the baselines stood on.
        let days = match (&st.first_day, &st.last_day) {
            (Some(a), Some(b)) => format!(", {} to {}", escape(a), escape(b)),
            _ => String::new(),
        };
        let _ = write!(
            h,
            "<p class=\"muted\">Incremental run: baselines use {} events from earlier nights kept in the state folder plus this run's {}; the state now holds {} events{days}.</p>",
            st.history_events, sum.events_scored, st.events_kept
        );
    }
    if sum.events_rejected + sum.other_rows_rejected > 0 {
        let _ = write!(
            h,
            "<p class=\"note\">{} input rows could not be read; they are listed in rejected_rows.csv with file, line and reason.</p>",
            sum.events_rejected + sum.other_rows_rejected
        );
    }
    h.push_str("</section>\n");

    // Trend.
    h.push_str("<section id=\"trend\"><h2>Trend</h2>");
    if input.history.len() >= 2 {
        let recent = &input.history[input.history.len().saturating_sub(TREND_RUNS)..];
        let points: Vec<TrendPoint> = recent
            .iter()
            .map(|r| {
                let g = |k: &str| r.alerts_per_severity.get(k).copied().unwrap_or(0);
                let label = if r.window_from == r.window_to {
                    r.window_to.clone()
                } else {
                    format!("{}…{}", r.window_from, r.window_to)
                };
                TrendPoint { label, alerts: [g("low"), g("medium"), g("high")] }
            })
            .collect();
        h.push_str(&trend_chart(&points));
        h.push_str("<table><tr><th>window</th><th class=\"num\">events</th><th class=\"num\">explained</th><th class=\"num\">alerts</th><th class=\"num\">high</th><th class=\"num\">cases</th><th class=\"num\">suppressed</th></tr>");
        for r in recent.iter().rev().take(10) {
            let _ = write!(
                h,
                "<tr><td>{} to {}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                escape(&r.window_from),
                escape(&r.window_to),
                r.events_read,
                pct(r.explained_fraction),
                r.alerts,
                r.alerts_per_severity.get("high").copied().unwrap_or(0),
                r.cases,
                r.suppressed
            );
        }
        h.push_str("</table>");
    } else {
        h.push_str(
            "<p class=\"muted\">The trend appears from the second run into this output folder (history.jsonl).</p>",
        );
    }
    h.push_str("</section>\n");

    feedback_section(&mut h, input);

    // Alerts by rule.
    let mut rules: Vec<(String, f64)> =
        sum.alerts_per_rule.iter().filter(|(_, &n)| n > 0).map(|(k, &n)| (k.clone(), n as f64)).collect();
    rules.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let _ =
        write!(h, "<section id=\"rules\"><h2>Alerts by rule</h2>{}", bar_chart("alerts by rule", &rules, "#34495e"));
    let mut kinds: Vec<(String, f64)> = sum.alerts_per_kind.iter().map(|(k, &n)| (k.clone(), n as f64)).collect();
    kinds.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    if !kinds.is_empty() {
        let _ = write!(h, "<h3>By kind</h3>{}", bar_chart("alerts by kind", &kinds, "#7f8c8d"));
    }
    h.push_str("</section>\n");

    cases_section(&mut h, input);

    roles_section(&mut h, sum);
    care_team_section(&mut h, sum);

    if !sum.skipped_detectors.is_empty() || !sum.skipped_tables.is_empty() {
        h.push_str("<section id=\"skipped\"><h2>Not checked in this run</h2><ul>");
        for s in sum.skipped_tables.iter().chain(&sum.skipped_detectors) {
            let _ = write!(h, "<li><b>{}</b>: {}</li>", escape(&s.name), escape(&s.reason));
        }
        h.push_str("</ul></section>\n");
    }
    h.push_str("<footer class=\"muted\"><p>Full lists: alerts.csv (every alert, ranked, with evidence), cases.csv, summary.json. Scores combine independent signals; a verdict recorded in reviewed.csv (alert_id, verdict, reviewer, note) is applied by the next run with <code>--reviewed</code>.</p></footer>\n</body>\n</html>\n");
    h
}

/// How the roster's titles and departments were understood: users per
/// role class and how each was assigned, the titles no rule maps, roster
/// departments that match no EHR department, and the warning when most
/// users fell back to their work or to nothing.
fn roles_section(h: &mut String, sum: &Summary) {
    let Some(r) = &sum.roles else { return };
    h.push_str("<section id=\"roles\"><h2>Roster coverage</h2>");
    if let Some(w) = &r.warning {
        let _ = write!(h, "<p><b>{}</b></p>", escape(w));
    }
    let _ = write!(
        h,
        "<p>{} rostered users: {} classed by a title rule, {} by the configuration, {} by their work, {} not classed ({} with no title). {} of {} users with a department have one that matches no encounter or access-log department.</p>",
        r.users, r.by_title_rule, r.by_config, r.by_behaviour, r.unclassed, r.no_title, r.department_unmatched, r.users_with_department
    );
    h.push_str("<table><tr><th>role class</th><th>title rule</th><th>configuration</th><th>work</th></tr>");
    for (class, by) in &r.classes {
        let n = |k: &str| by.get(k).copied().unwrap_or(0);
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(class),
            n("title_rule"),
            n("config"),
            n("behaviour")
        );
    }
    h.push_str("</table>");
    if !r.unmapped_titles.is_empty() {
        let _ = write!(
            h,
            "<p>Titles no rule maps ({} distinct; add them to <code>[roles.titles]</code>):</p><ul>",
            r.unmapped_title_kinds
        );
        for t in &r.unmapped_titles {
            let _ = write!(h, "<li>{} ({} users)</li>", escape(&t.title), t.users);
        }
        h.push_str("</ul>");
    }
    h.push_str("</section>\n");
}

/// What the optional care_team table listed and explained.
fn care_team_section(h: &mut String, sum: &Summary) {
    let Some(c) = &sum.care_team else { return };
    let _ = write!(
        h,
        "<section id=\"care-team\"><h2>Care teams</h2><p>The care_team table lists {} users on the care of {} patients ({} rows); it explained {} accesses. {} listed users opened no chart in the access log (ids in another scheme, or staff who opened none of these charts).</p></section>\n",
        c.users, c.patients, c.rows, c.accesses_explained, c.users_not_in_log
    );
}

fn feedback_section(h: &mut String, input: &ReportInput<'_, '_>) {
    let ctx = input.run.context;
    let Some(reviewed) = &ctx.reviewed else { return };
    let fb = &ctx.feedback;
    let ids = input.ids;
    let dict = &input.run.data.dict;
    let by: BTreeMap<String, u64> = fb.suppressed_by_verdict();
    let _ = write!(
        h,
        "<section id=\"suppressed\"><h2>Review feedback</h2><p>{} read from reviewed.csv ({} of them about alerts not in this run). \
{} alerts suppressed: {} false positive, {} duplicate. {} alerts of {} users with confirmed earlier alerts were scored up as repeat offenders.</p>",
        count(fb.reviews as usize, "usable verdict"),
        fb.not_in_run,
        fb.suppressed.len(),
        by.get("false_positive").copied().unwrap_or(0),
        by.get("duplicate").copied().unwrap_or(0),
        fb.boosted,
        fb.repeat_offenders
    );
    if !reviewed.rejects.rows.is_empty() {
        let _ = write!(
            h,
            "<p class=\"note\">{} of reviewed.csv could not be used (lines {}); see rejected_rows.csv, table <code>reviewed</code>.</p>",
            count(reviewed.rejects.rows.len(), "row"),
            reviewed.rejects.rows.iter().take(20).map(|r| r.line.to_string()).collect::<Vec<_>>().join(", ")
        );
    }
    if !fb.suppressed.is_empty() {
        h.push_str("<table><tr><th>alert</th><th>verdict</th><th>reviewer</th><th>note</th><th>user</th><th>patient</th><th>rules</th><th class=\"num\">score</th></tr>");
        for s in fb.suppressed.iter().take(100) {
            let a = &s.alert;
            let _ = write!(
                h,
                "<tr data-suppressed-id=\"{id}\"><td><code>{id}</code></td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td class=\"num\">{:.1}</td></tr>",
                s.verdict.as_str().replace('_', " "),
                escape(&s.reviewer),
                escape(&s.note),
                escape(&ids.user(dict.users.name(a.user))),
                escape(&ids.patient(dict.patients.name(a.patient))),
                escape(&a.rules.join(", ")),
                a.score,
                id = escape(&ids.alert(&a.id)),
            );
        }
        h.push_str("</table>");
        if fb.suppressed.len() > 100 {
            let _ = write!(h, "<p class=\"muted\">and {} more.</p>", fb.suppressed.len() - 100);
        }
    }
    h.push_str("</section>\n");
}

fn cases_section(h: &mut String, input: &ReportInput<'_, '_>) {
    let run = input.run;
    let ids = input.ids;
    let dict = &run.data.dict;
    let cases = &run.scored.cases;
    let shown = cases.len().min(TOP_CASES);
    let _ = write!(h, "<section id=\"cases\"><h2>Top cases ({shown} of {})</h2>", cases.len());
    if cases.is_empty() {
        h.push_str("<p>No alerts in this run.</p></section>\n");
        return;
    }
    // Overview table, then one article per case.
    h.push_str("<table><tr><th class=\"num\">#</th><th>case</th><th>user</th><th>highest alert</th><th class=\"num\">case score</th><th class=\"num\">alerts</th><th class=\"num\">patients</th><th>kinds</th></tr>");
    for c in cases.iter().take(TOP_CASES) {
        let case_id = escape(&ids.case(&c.id));
        let _ = write!(
            h,
            "<tr><td class=\"num\">{}</td><td><a href=\"#case-{case_id}\"><code>{case_id}</code></a></td><td><code>{}</code></td><td>{}</td><td class=\"num\">{:.1}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            c.rank,
            escape(&ids.user(dict.users.name(c.user))),
            pill(case_severity(c, run)),
            c.score,
            c.alerts.len(),
            c.patients,
            c.kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
        );
    }
    h.push_str("</table>\n");
    let ranges: HashMap<Code, std::ops::Range<usize>> = run.data.events.user_ranges().into_iter().collect();
    let peers = PeerIndex::new(run);
    for c in cases.iter().take(TOP_CASES) {
        case_article(h, input, c, &ranges, &peers);
    }
    h.push_str("</section>\n");
}

fn case_severity(c: &Case, run: &RunOutputs<'_>) -> Severity {
    c.alerts.iter().map(|&i| run.scored.alerts[i].severity).max().unwrap_or(Severity::Low)
}

/// `id` as one shell word: as it is when it is plain, else single-quoted.
fn shell_word(id: &str) -> String {
    if !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:@".contains(c)) {
        id.to_string()
    } else {
        format!("'{}'", id.replace('\'', "'\\''"))
    }
}

/// The command line that investigates a case's user over the case's local
/// days (a line to copy, with BUNDLE standing for the input: the report
/// names no paths).
fn investigate_command(user: &str, zone: &mut ZoneCache, first: i64, last: i64, pseudonymized: bool) -> String {
    let day = |zone: &mut ZoneCache, t: i64| {
        crate::time::date_from_days(zone.to_local(t).div_euclid(crate::time::MICROS_PER_DAY) as i32)
    };
    let key = if pseudonymized { " --pseudonymize-key KEY" } else { "" };
    let word = shell_word(user);
    let folder: String = user.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
    format!(
        "ehrwatch investigate user --input BUNDLE --user {word} --from {} --to {} --alerts alerts.csv{key} --out investigate-{folder}",
        day(zone, first),
        day(zone, last)
    )
}

fn case_article(
    h: &mut String,
    input: &ReportInput<'_, '_>,
    c: &Case,
    ranges: &HashMap<Code, std::ops::Range<usize>>,
    peers: &PeerIndex,
) {
    let run = input.run;
    let ids = input.ids;
    let dict = &run.data.dict;
    let mut zone = ZoneCache::new(run.data.tz);
    let case_id = escape(&ids.case(&c.id));
    let user = escape(&ids.user(dict.users.name(c.user)));
    let _ = write!(
        h,
        "<article class=\"case\" id=\"case-{case_id}\" data-case-id=\"{case_id}\" data-rank=\"{}\"><h3>#{} · user <code>{user}</code> · case score {:.1} · highest alert {}</h3>",
        c.rank,
        c.rank,
        c.score,
        pill(case_severity(c, run))
    );
    let record = run.data.roster.as_ref().and_then(|r| r.get(c.user));
    let title = record.and_then(|r| r.role.clone());
    let role = match (title, run.explained.roles.get(c.user)) {
        (Some(t), Some(a)) if a.source == crate::roles::RoleSource::Behaviour => {
            format!("{t} (class {}, learned from the user's work)", a.class)
        }
        (None, Some(a)) if a.source == crate::roles::RoleSource::Behaviour => {
            format!("no title (class {}, learned from the user's work)", a.class)
        }
        (Some(t), Some(a)) => format!("{t} (class {})", a.class),
        (Some(t), None) => format!("{t} (no role class)"),
        (None, _) if record.is_some() => "no title".to_string(),
        (None, _) => "not in the roster".to_string(),
    };
    let dept = record.and_then(|r| r.department).map(|d| dict.departments.name(d).to_string()).unwrap_or_default();
    let _ = write!(
        h,
        "<p class=\"muted\">case <code>{case_id}</code> · role {}{} · {} alerts, {} patients · {} · {} to {}</p>",
        escape(&role),
        if dept.is_empty() { String::new() } else { format!(" in {}", escape(&dept)) },
        c.alerts.len(),
        c.patients,
        c.kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", "),
        local_minute(&mut zone, c.first),
        local_minute(&mut zone, c.last),
    );
    if !c.top_reasons.is_empty() {
        let _ = write!(h, "<p><b>Top reasons:</b> {}</p>", escape(&c.top_reasons.join("; ")));
    }
    let _ = write!(
        h,
        "<p class=\"muted\">Investigate this user (every patient, hour and device of the case's days): <code class=\"cmd\">{}</code></p>",
        escape(&investigate_command(&ids.user(dict.users.name(c.user)), &mut zone, c.first, c.last, ids.0.is_some()))
    );
    // Alerts with their evidence.
    h.push_str("<table><tr><th class=\"num\">rank</th><th>alert</th><th>severity</th><th class=\"num\">score</th><th>patient</th><th>rules</th><th>evidence</th></tr>");
    for &i in c.alerts.iter().take(ALERTS_PER_CASE) {
        let a = &run.scored.alerts[i];
        let patient =
            if a.patient == NONE { "(user-level)".to_string() } else { ids.patient(dict.patients.name(a.patient)) };
        let _ = write!(
            h,
            "<tr data-alert-id=\"{id}\"><td class=\"num\">{}</td><td><code>{id}</code></td><td>{}</td><td class=\"num\">{:.1}</td><td><code>{}</code></td><td>{}</td><td><ul class=\"ev\">",
            a.rank,
            pill(a.severity),
            a.score,
            escape(&patient),
            escape(&a.rules.join(", ")),
            id = escape(&ids.alert(&a.id)),
        );
        for s in &a.sentences {
            let _ = write!(h, "<li>{}</li>", escape(s));
        }
        h.push_str("</ul></td></tr>");
    }
    h.push_str("</table>");
    if c.alerts.len() > ALERTS_PER_CASE {
        let _ = write!(
            h,
            "<p class=\"muted\">and {} more alerts of this case in alerts.csv.</p>",
            c.alerts.len() - ALERTS_PER_CASE
        );
    }
    // Timeline.
    let (rows, points) = timeline_points(run, c, ranges);
    if !points.is_empty() {
        let _ = write!(
            h,
            "<h4>Accesses to the case's patients</h4>{}",
            timeline(
                &format!("timeline of case {}", ids.case(&c.id)),
                &rows.iter().map(|&(ref l, _)| l.clone()).collect::<Vec<_>>(),
                &points
            )
        );
        let total: usize = rows.iter().map(|r| r.1).sum();
        let _ = write!(
            h,
            "<p class=\"muted\">{} accesses by this user to the case's patients, from a day before the case's first evidence to a day after its last.</p>",
            total
        );
    }
    // Peers.
    if let Some((label, chart_rows)) = peers.compare(run, c.user) {
        let _ = write!(
            h,
            "<h4>Activity against peers</h4><p class=\"muted\">Peers: {}. Measured over all data of the run.</p>{}",
            escape(&label),
            peer_chart("the user against their peers", &chart_rows)
        );
    }
    h.push_str("</article>\n");
}

/// Rows (patient label, accesses drawn) and points of a case's timeline:
/// the user's accesses to the patients of the case's evidence, from a day
/// before its first evidence to a day after its last.
fn timeline_points(
    run: &RunOutputs<'_>,
    c: &Case,
    ranges: &HashMap<Code, std::ops::Range<usize>>,
) -> (Vec<(String, usize)>, Vec<TimelinePoint>) {
    let ev = &run.data.events;
    let dict = &run.data.dict;
    let ids = super::pseudonym::Ids(run.context.pseudonymizer.as_ref());
    let evidence: BTreeSet<usize> =
        c.alerts.iter().flat_map(|&i| run.scored.alerts[i].events.iter().copied()).collect();
    let mut first_seen: BTreeMap<Code, usize> = BTreeMap::new();
    for &i in &evidence {
        if ev.patient[i] != NONE {
            first_seen.entry(ev.patient[i]).or_insert(i);
        }
    }
    if first_seen.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let mut order: Vec<(Code, usize)> = first_seen.into_iter().collect();
    order
        .sort_by(|a, b| ev.ts[a.1].cmp(&ev.ts[b.1]).then_with(|| dict.patients.name(a.0).cmp(dict.patients.name(b.0))));
    let mut row_of: HashMap<Code, usize> = HashMap::new();
    for (r, (p, _)) in order.iter().enumerate() {
        row_of.insert(*p, r.min(TIMELINE_ROWS));
    }
    let day = crate::time::MICROS_PER_DAY;
    let (lo, hi) = (c.first - day, c.last + day);
    let mut zone = ZoneCache::new(run.data.tz);
    let mut picked: Vec<usize> = Vec::new();
    if let Some(range) = ranges.get(&c.user) {
        for i in range.clone() {
            if ev.ts[i] >= lo && ev.ts[i] <= hi && row_of.contains_key(&ev.patient[i]) {
                picked.push(i);
            }
        }
    }
    let mut counts = vec![0usize; order.len().min(TIMELINE_ROWS + 1)];
    for &i in &picked {
        counts[row_of[&ev.patient[i]]] += 1;
    }
    let stride = picked.len().div_ceil(TIMELINE_POINTS).max(1);
    let points: Vec<TimelinePoint> = picked
        .iter()
        .step_by(stride)
        .map(|&i| TimelinePoint {
            local: zone.to_local(ev.ts[i]),
            row: row_of[&ev.patient[i]],
            explained: run.explained.kind[i].is_explained(),
        })
        .collect();
    let mut rows: Vec<(String, usize)> = order
        .iter()
        .take(TIMELINE_ROWS)
        .enumerate()
        .map(|(r, (p, _))| (ids.patient(dict.patients.name(*p)), counts[r]))
        .collect();
    if order.len() > TIMELINE_ROWS {
        rows.push((format!("{} more patients", order.len() - TIMELINE_ROWS), counts[TIMELINE_ROWS]));
    }
    (rows, points)
}

/// Who a user's peers are: their learned peer group when there is one, else
/// users of the same role, else everyone.
struct PeerIndex {
    groups: Option<Vec<usize>>,
}

impl PeerIndex {
    fn new(run: &RunOutputs<'_>) -> Self {
        PeerIndex { groups: run.features.peers.as_ref().map(|p| p.assignment.clone()) }
    }

    fn compare(&self, run: &RunOutputs<'_>, user: Code) -> Option<(String, Vec<PeerRow>)> {
        let feats = run.features;
        let pos = feats.position(user)?;
        let me = &feats.users[pos].1;
        let role_of = |u: Code| run.explained.roles.class(u).map(|c| c.as_str().to_string());
        let (label, members): (String, Vec<&UserStats>) = match &self.groups {
            Some(g) if g.len() == feats.users.len() => {
                let k = g[pos];
                let name = run.features.peers.as_ref().and_then(|p| p.labels.get(k).cloned()).unwrap_or_default();
                let m: Vec<&UserStats> = feats
                    .users
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != pos && g[*i] == k)
                    .map(|(_, (_, s))| s)
                    .collect();
                (format!("learned peer group {} ({}), {} other users", k + 1, name, m.len()), m)
            }
            _ => match role_of(user) {
                Some(role) => {
                    let m: Vec<&UserStats> = feats
                        .users
                        .iter()
                        .filter(|(u, _)| *u != user && role_of(*u).as_deref() == Some(role.as_str()))
                        .map(|(_, s)| s)
                        .collect();
                    (format!("users of role class {role}, {} others", m.len()), m)
                }
                None => {
                    let m: Vec<&UserStats> = feats.users.iter().filter(|(u, _)| *u != user).map(|(_, s)| s).collect();
                    (format!("all {} other users", m.len()), m)
                }
            },
        };
        if members.is_empty() {
            return None;
        }
        let mine = measures(me);
        let theirs: Vec<[(&'static str, f64, bool); 7]> = members.iter().map(|s| measures(s)).collect();
        let rows = (0..mine.len())
            .map(|j| PeerRow {
                label: mine[j].0.to_string(),
                user: mine[j].1,
                peers: median(theirs.iter().map(|t| t[j].1).collect()),
                share: mine[j].2,
            })
            .collect();
        Some((label, rows))
    }
}
