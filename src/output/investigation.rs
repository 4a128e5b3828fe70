//! The files of `ehrwatch investigate`: patient_access.csv and .html (who
//! opened one patient's record), user_activity.csv and .html (what one
//! user did). `investigate` builds the rows and pages below from the
//! explained events; this module only renders and writes them.
//!
//! As for detect's outputs: the files are staged and renamed into the
//! output folder together ([`crate::fs::Staging`]), owner-only; every CSV
//! text cell goes through [`neutralise`]; every value placed in HTML goes
//! through [`escape`]; the pages are self-contained (inline CSS and SVG,
//! no scripts or fetches) and printable. A patient page says nothing about
//! any other patient.

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use super::cell::neutralise;
use super::html::escape;
use super::write::OutputError;
use crate::fs::{write_all, Staging};

/// One access to the patient: a row of patient_access.csv.
#[derive(Debug, Clone, Serialize)]
pub struct PatientAccessRow {
    /// Local time, RFC 3339 with offset.
    pub time: String,
    /// User id (a token when pseudonymized).
    pub user_id: String,
    /// The user's name from the roster (empty when pseudonymized or unknown).
    pub user_name: String,
    /// The user's role class (from the title, or learned from their work).
    pub role_class: String,
    /// Department of the access (the user's home department when the log
    /// does not say).
    pub department_id: String,
    /// Workstation.
    pub workstation_id: String,
    /// Action.
    pub action: String,
    /// Data category.
    pub data_category: String,
    /// Break-the-glass.
    pub break_glass: bool,
    /// Explanation kind (`encounter_provider`, ..., `unexplained`).
    pub explanation: String,
    /// The explanation as a sentence, or "no care link".
    pub explanation_sentence: String,
}

/// patient_access.csv's columns, in field order.
pub const PATIENT_ACCESS_HEADER: [&str; 11] = [
    "time",
    "user_id",
    "user_name",
    "role_class",
    "department_id",
    "workstation_id",
    "action",
    "data_category",
    "break_glass",
    "explanation",
    "explanation_sentence",
];

/// Everything patient_access.csv and .html show.
#[derive(Debug, Clone)]
pub struct PatientPage {
    /// The patient id as shown (a token when pseudonymized).
    pub patient: String,
    /// The period, in words ("2026-10-01 to 2026-10-31", "all retained days").
    pub period: String,
    /// The systems the accesses came from (access-log files or the state).
    pub sources: Vec<String>,
    /// The accesses, in time order.
    pub rows: Vec<PatientAccessRow>,
    /// Consecutive accesses by one user in one session: ranges of `rows`.
    pub sessions: Vec<std::ops::Range<usize>>,
    /// Whether ids are tokens (and names left out).
    pub pseudonymized: bool,
    /// Notes on how the explanations were computed, shown in the header.
    pub notes: Vec<String>,
}

/// One patient the user opened: a row of user_activity.csv.
#[derive(Debug, Clone, Serialize)]
pub struct UserPatientRow {
    /// Patient id (a token when pseudonymized).
    pub patient_id: String,
    /// First access in the period, local RFC 3339.
    pub first_access: String,
    /// Last access in the period, local RFC 3339.
    pub last_access: String,
    /// Accesses in the period.
    pub accesses: u64,
    /// Views.
    pub views: u64,
    /// Creates and updates (charting).
    pub charting: u64,
    /// Prints.
    pub prints: u64,
    /// Exports.
    pub exports: u64,
    /// Any other action (delete, search, other).
    pub other_actions: u64,
    /// Accesses per data category, `category=n` joined by `;`.
    pub categories: String,
    /// The explanation of most of the accesses (`unexplained` when most
    /// have no care link; on a tie, the care explanation).
    pub explanation: String,
    /// Accesses no care explains.
    pub unexplained_accesses: u64,
    /// Alert ids from `--alerts` for this user and patient, joined by `;`.
    pub alert_ids: String,
}

/// user_activity.csv's columns, in field order.
pub const USER_ACTIVITY_HEADER: [&str; 13] = [
    "patient_id",
    "first_access",
    "last_access",
    "accesses",
    "views",
    "charting",
    "prints",
    "exports",
    "other_actions",
    "categories",
    "explanation",
    "unexplained_accesses",
    "alert_ids",
];

/// A workstation or address the user worked from.
#[derive(Debug, Clone)]
pub struct DeviceRow {
    /// "workstation" or "address".
    pub kind: &'static str,
    /// Its id or address.
    pub id: String,
    /// The first local day the user used it in the data.
    pub first_seen: String,
    /// The user's accesses from it in the period.
    pub accesses: u64,
}

/// Everything user_activity.csv and .html show.
#[derive(Debug, Clone)]
pub struct UserPage {
    /// The user id as shown (a token when pseudonymized).
    pub user: String,
    /// Name from the roster (`None` when pseudonymized or unknown).
    pub name: Option<String>,
    /// Role title and class, in words.
    pub role: String,
    /// Home department.
    pub department: String,
    /// The period, in words.
    pub period: String,
    /// The systems the accesses came from.
    pub sources: Vec<String>,
    /// One row per patient, unexplained first.
    pub rows: Vec<UserPatientRow>,
    /// Accesses per local day (`YYYY-MM-DD`) and hour.
    pub heat: Vec<(String, [u32; 24])>,
    /// The user's usual hours (learned, or the default window).
    pub usual: [bool; 24],
    /// The usual hours in words, and whether they were learned.
    pub usual_label: String,
    /// Distinct patients per local day.
    pub daily: Vec<(String, u64)>,
    /// The peer group's median of distinct patients a day, and its label.
    pub peer_median: Option<(f64, String)>,
    /// Workstations and addresses used in the period.
    pub devices: Vec<DeviceRow>,
    /// Whether ids are tokens (and names left out).
    pub pseudonymized: bool,
}

fn io(out: &Path, name: &str) -> impl FnOnce(std::io::Error) -> OutputError {
    let path = out.join(name);
    move |source| OutputError::Io { path, source }
}

fn csv_error(out: &Path, name: &str) -> impl FnOnce(csv::Error) -> OutputError {
    let path = out.join(name);
    move |e| OutputError::Io { path, source: std::io::Error::other(e.to_string()) }
}

fn csv_of<T: Serialize>(header: &[&str], rows: impl Iterator<Item = T>) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
    w.write_record(header)?;
    for r in rows {
        w.serialize(r)?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

fn n(s: &str) -> String {
    neutralise(s).into_owned()
}

/// Writes patient_access.csv and patient_access.html into `out`, atomically.
pub fn write_patient_access(out: &Path, page: &PatientPage) -> Result<(), OutputError> {
    let mut staging = Staging::new(out).map_err(io(out, "."))?;
    let rows = page.rows.iter().map(|r| PatientAccessRow {
        time: n(&r.time),
        user_id: n(&r.user_id),
        user_name: n(&r.user_name),
        role_class: n(&r.role_class),
        department_id: n(&r.department_id),
        workstation_id: n(&r.workstation_id),
        action: n(&r.action),
        data_category: n(&r.data_category),
        break_glass: r.break_glass,
        explanation: n(&r.explanation),
        explanation_sentence: n(&r.explanation_sentence),
    });
    let bytes = csv_of(&PATIENT_ACCESS_HEADER, rows).map_err(csv_error(out, "patient_access.csv"))?;
    write_all(&mut staging, "patient_access.csv", &bytes).map_err(io(out, "patient_access.csv"))?;
    let html = render_patient(page);
    write_all(&mut staging, "patient_access.html", html.as_bytes()).map_err(io(out, "patient_access.html"))?;
    staging.commit().map_err(io(out, "."))?;
    Ok(())
}

/// Writes user_activity.csv and user_activity.html into `out`, atomically.
pub fn write_user_activity(out: &Path, page: &UserPage) -> Result<(), OutputError> {
    let mut staging = Staging::new(out).map_err(io(out, "."))?;
    let rows = page.rows.iter().map(|r| UserPatientRow {
        patient_id: n(&r.patient_id),
        first_access: n(&r.first_access),
        last_access: n(&r.last_access),
        categories: n(&r.categories),
        explanation: n(&r.explanation),
        alert_ids: n(&r.alert_ids),
        ..r.clone()
    });
    let bytes = csv_of(&USER_ACTIVITY_HEADER, rows).map_err(csv_error(out, "user_activity.csv"))?;
    write_all(&mut staging, "user_activity.csv", &bytes).map_err(io(out, "user_activity.csv"))?;
    let html = render_user(page);
    write_all(&mut staging, "user_activity.html", html.as_bytes()).map_err(io(out, "user_activity.html"))?;
    staging.commit().map_err(io(out, "."))?;
    Ok(())
}

const CSS: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:0 auto;max-width:1000px;padding:16px 24px;color:#1d2730;line-height:1.4}
h1{font-size:24px;margin:8px 0 2px}h2{font-size:19px;border-bottom:2px solid #dfe4e8;padding-bottom:4px;margin-top:28px}
.muted{color:#5f6b76}.cards{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}.card{border:1px solid #dfe4e8;border-radius:6px;padding:8px 14px;min-width:110px}
.card b{display:block;font-size:22px}.none{color:#fff;background:#c0392b}
table{border-collapse:collapse;width:100%;font-size:13px;margin:8px 0}th,td{border-bottom:1px solid #e5e9ec;padding:4px 6px;text-align:left;vertical-align:top}th{background:#f4f6f8}
td.num,th.num{text-align:right}tr.unexplained td{background:#fdecea}code{font-size:12px;background:#f4f6f8;padding:0 3px;border-radius:3px;word-break:break-all}td code{white-space:nowrap}
.note{background:#fff8e1;border-left:4px solid #f1c40f;padding:6px 10px}@media print{body{max-width:none}tr{page-break-inside:avoid}}";

fn head(h: &mut String, title: &str) {
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"referrer\" content=\"no-referrer\">\n<title>{}</title>\n<style>\n{CSS}\n</style>\n</head>\n<body>\n",
        escape(title)
    );
}

/// "1 access", "2 accesses".
fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// `2026-10-05T09:12:00-05:00` as `2026-10-05 09:12`.
fn minute(rfc3339: &str) -> String {
    rfc3339.get(..16).map_or_else(|| rfc3339.to_string(), |s| s.replacen('T', " ", 1))
}

/// Counts of `values`, most frequent first, as `a ×3, b`.
fn tally<'a>(values: impl Iterator<Item = &'a str>) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for v in values {
        match counts.iter_mut().find(|(k, _)| *k == v) {
            Some(c) => c.1 += 1,
            None => counts.push((v, 1)),
        }
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    counts
        .iter()
        .map(|(k, c)| {
            let k = if k.is_empty() { "unspecified" } else { k };
            if *c == 1 {
                k.to_string()
            } else {
                format!("{k} ×{c}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Renders patient_access.html.
pub fn render_patient(page: &PatientPage) -> String {
    let mut h = String::with_capacity(16 * 1024);
    head(&mut h, "Accesses to a patient record");
    let _ = write!(
        h,
        "<header><h1>Who opened this patient's record</h1><p>Patient <code>{}</code> · {}</p>",
        escape(&page.patient),
        escape(&page.period)
    );
    let systems = if page.sources.is_empty() { "none".to_string() } else { page.sources.join(", ") };
    let _ = write!(h, "<p class=\"muted\">Systems (audit-log sources): {}</p>", escape(&systems));
    let _ = write!(
        h,
        "<p>This page lists every access to this patient's electronic health record found in the audit logs above, in time order. Accesses one person made in one sitting (same workstation, less than {} minutes apart) are grouped into one line. For each, it says whether the hospital's records show a care reason: for example that the person was the patient's treating clinician, worked in the unit where the patient was being cared for, or wrote in the record. \"No care link\" means the records show no such reason; it does not by itself mean the access was wrong.</p>",
        SESSION_GAP_MINUTES
    );
    if page.pseudonymized {
        h.push_str("<p class=\"muted\">User and patient ids are pseudonymous tokens (keyed HMAC-SHA256); names are left out.</p>");
    }
    for note in &page.notes {
        let _ = write!(h, "<p class=\"note\">{}</p>", escape(note));
    }
    // Counts by explanation.
    h.push_str("<div class=\"cards\">");
    let users: std::collections::BTreeSet<&str> = page.rows.iter().map(|r| r.user_id.as_str()).collect();
    let _ = write!(h, "<div class=\"card\"><b>{}</b>accesses</div>", page.rows.len());
    let _ = write!(h, "<div class=\"card\"><b>{}</b>people</div>", users.len());
    let mut kinds: Vec<(&str, &str, usize)> = Vec::new();
    for r in &page.rows {
        match kinds.iter_mut().find(|k| k.0 == r.explanation) {
            Some(k) => k.2 += 1,
            None => kinds.push((&r.explanation, &r.explanation_sentence, 1)),
        }
    }
    kinds.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(b.0)));
    for (kind, sentence, count) in &kinds {
        let class = if *kind == "unexplained" { " none" } else { "" };
        let _ = write!(h, "<div class=\"card{class}\"><b>{count}</b>{}</div>", escape(sentence));
    }
    h.push_str("</div></header>");

    h.push_str("<h2>Accesses</h2>");
    if page.rows.is_empty() {
        h.push_str("<p class=\"note\">No access to this patient's record was found in this period.</p>");
    } else {
        h.push_str("<table><tr><th>when</th><th>who</th><th>role</th><th>department</th><th>workstation</th><th class=\"num\">accesses</th><th>what</th><th>care reason</th></tr>");
        for s in &page.sessions {
            let rows = &page.rows[s.clone()];
            let Some(first) = rows.first() else { continue };
            let last = &rows[rows.len() - 1];
            let when = if rows.len() == 1 || minute(&first.time) == minute(&last.time) {
                minute(&first.time)
            } else {
                format!("{} – {}", minute(&first.time), last.time.get(11..16).unwrap_or(""))
            };
            let who = if first.user_name.is_empty() {
                format!("<code>{}</code>", escape(&first.user_id))
            } else {
                format!("{} <code>{}</code>", escape(&first.user_name), escape(&first.user_id))
            };
            let actions = tally(rows.iter().map(|r| r.action.as_str()));
            let categories = tally(rows.iter().map(|r| r.data_category.as_str()));
            let glass = rows.iter().filter(|r| r.break_glass).count();
            let glass = if glass > 0 { format!("; break-the-glass ×{glass}") } else { String::new() };
            let reason = tally(rows.iter().map(|r| r.explanation_sentence.as_str()));
            let unexplained = rows.iter().any(|r| r.explanation == "unexplained");
            let _ = write!(
                h,
                "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{} ({}){}</td><td>{}</td></tr>",
                if unexplained { " class=\"unexplained\"" } else { "" },
                escape(&when),
                who,
                escape(&first.role_class),
                escape(&first.department_id),
                escape(&first.workstation_id),
                rows.len(),
                escape(&actions),
                escape(&categories),
                escape(&glass),
                escape(&reason),
            );
        }
        h.push_str("</table>");
        let _ = write!(
            h,
            "<p class=\"muted\">{} in {}. Every access is listed one by one in patient_access.csv.</p>",
            plural(page.rows.len(), "access", "accesses"),
            plural(page.sessions.len(), "sitting", "sittings")
        );
    }
    h.push_str("</body>\n</html>\n");
    h
}

/// Accesses further apart than this start a new sitting on the patient page.
pub const SESSION_GAP_MINUTES: i64 = 30;

/// Renders user_activity.html.
pub fn render_user(page: &UserPage) -> String {
    let mut h = String::with_capacity(32 * 1024);
    head(&mut h, "Activity of one user");
    let who = match &page.name {
        Some(name) => format!("{} <code>{}</code>", escape(name), escape(&page.user)),
        None => format!("<code>{}</code>", escape(&page.user)),
    };
    let _ = write!(h, "<header><h1>What this user did</h1><p>User {who} · {}</p>", escape(&page.period));
    let dept =
        if page.department.is_empty() { String::new() } else { format!(" · home department {}", page.department) };
    let _ = write!(h, "<p class=\"muted\">Role {}{}</p>", escape(&page.role), escape(&dept));
    let systems = if page.sources.is_empty() { "none".to_string() } else { page.sources.join(", ") };
    let _ = write!(h, "<p class=\"muted\">Systems (audit-log sources): {}</p>", escape(&systems));
    if page.pseudonymized {
        h.push_str("<p class=\"muted\">User and patient ids are pseudonymous tokens (keyed HMAC-SHA256); names are left out.</p>");
    }
    let accesses: u64 = page.rows.iter().map(|r| r.accesses).sum();
    let unexplained = page.rows.iter().filter(|r| r.explanation == "unexplained").count();
    let partly = page.rows.iter().filter(|r| r.unexplained_accesses > 0 && r.explanation != "unexplained").count();
    let _ = write!(
        h,
        "<div class=\"cards\"><div class=\"card\"><b>{}</b>patients</div><div class=\"card\"><b>{accesses}</b>patient accesses</div><div class=\"card none\"><b>{unexplained}</b>patients with no care link</div><div class=\"card\"><b>{partly}</b>partly explained</div><div class=\"card\"><b>{}</b>days active</div></div></header>",
        page.rows.len(),
        page.daily.len()
    );
    if page.rows.is_empty() && page.heat.is_empty() {
        h.push_str("<p class=\"note\">This user has no access in this period.</p>");
    }

    h.push_str("<h2>When: accesses by day and hour</h2>");
    let _ = write!(
        h,
        "<p class=\"muted\">Darker cells hold more accesses; the green band marks the user's usual hours ({}). Cells outside them that hold accesses are outlined in red.</p>",
        escape(&page.usual_label)
    );
    h.push_str(&heat_map(&page.heat, &page.usual));

    h.push_str("<h2>How many: distinct patients a day</h2>");
    match &page.peer_median {
        Some((m, label)) => {
            let _ = write!(
                h,
                "<p class=\"muted\">Bars: the user's distinct patients each active day. Dashed line: the median of their peer group ({}), {:.1} a day.</p>",
                escape(label),
                m
            );
        }
        None => h.push_str("<p class=\"muted\">Bars: the user's distinct patients each active day (no peer group was learned for this run).</p>"),
    }
    h.push_str(&daily_chart(&page.daily, page.peer_median.as_ref().map(|m| m.0)));

    h.push_str("<h2>Whom: patients opened</h2><p class=\"muted\">Patients with no care link first, then partly explained, then the rest by first access.</p>");
    if page.rows.is_empty() {
        h.push_str("<p class=\"note\">No patient record was opened in this period.</p>");
    } else {
        h.push_str("<table><tr><th>patient</th><th>first</th><th>last</th><th class=\"num\">accesses</th><th>actions</th><th>categories</th><th>care reason</th><th>alerts</th></tr>");
        for r in &page.rows {
            let mut actions = Vec::new();
            for (n, what) in [
                (r.views, "view"),
                (r.charting, "charting"),
                (r.prints, "print"),
                (r.exports, "export"),
                (r.other_actions, "other"),
            ] {
                if n > 0 {
                    actions.push(format!("{what} ×{n}"));
                }
            }
            let reason = if r.explanation == "unexplained" {
                "no care link".to_string()
            } else if r.unexplained_accesses > 0 {
                format!("{} ({} without a care link)", r.explanation, r.unexplained_accesses)
            } else {
                r.explanation.clone()
            };
            let _ = write!(
                h,
                "<tr{}><td><code>{}</code></td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                if r.unexplained_accesses > 0 { " class=\"unexplained\"" } else { "" },
                escape(&r.patient_id),
                escape(&minute(&r.first_access)),
                escape(&minute(&r.last_access)),
                r.accesses,
                escape(&actions.join(", ")),
                escape(&r.categories.replace(';', ", ")),
                escape(&reason),
                escape(&r.alert_ids.replace(';', ", ")),
            );
        }
        h.push_str("</table>");
    }

    h.push_str("<h2>Where from: workstations and addresses</h2>");
    if page.devices.is_empty() {
        h.push_str("<p class=\"muted\">The log names no workstation or address for this user in this period.</p>");
    } else {
        h.push_str("<table><tr><th>kind</th><th>id</th><th>first seen (this user)</th><th class=\"num\">accesses in the period</th></tr>");
        for d in &page.devices {
            let _ = write!(
                h,
                "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td class=\"num\">{}</td></tr>",
                d.kind,
                escape(&d.id),
                escape(&d.first_seen),
                d.accesses
            );
        }
        h.push_str("</table>");
    }
    h.push_str("</body>\n</html>\n");
    h
}

/// Days drawn in the heat map at most (the latest ones).
const HEAT_DAYS: usize = 92;

/// A day-by-hour heat map (inline SVG): one row per day, one column per
/// hour, usual hours banded.
fn heat_map(heat: &[(String, [u32; 24])], usual: &[bool; 24]) -> String {
    let shown = &heat[heat.len().saturating_sub(HEAT_DAYS)..];
    let (cell_w, cell_h, left, top) = (30.0, 14.0, 86.0, 22.0);
    let width = left + 24.0 * cell_w + 10.0;
    let height = top + shown.len().max(1) as f64 * cell_h + 8.0;
    let max = shown.iter().flat_map(|(_, hours)| hours.iter()).copied().max().unwrap_or(0).max(1);
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" role=\"img\" aria-label=\"accesses by day and hour\" font-family=\"sans-serif\" font-size=\"10\">"
    );
    for (hour, is_usual) in usual.iter().enumerate() {
        let x = left + hour as f64 * cell_w;
        if *is_usual {
            let _ = write!(
                s,
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{cell_w:.1}\" height=\"{:.1}\" fill=\"#d5f5e3\"/>",
                top - 4.0,
                height - top - 4.0
            );
        }
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"12\" text-anchor=\"middle\" fill=\"#5f6b76\">{hour:02}</text>",
            x + cell_w / 2.0
        );
    }
    for (row, (day, hours)) in shown.iter().enumerate() {
        let y = top + row as f64 * cell_h;
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#1d2730\">{}</text>",
            left - 6.0,
            y + cell_h - 3.0,
            escape(day)
        );
        for (hour, &count) in hours.iter().enumerate() {
            if count == 0 {
                continue;
            }
            let x = left + hour as f64 * cell_w;
            let strength = 0.15 + 0.85 * f64::from(count) / f64::from(max);
            let outline =
                if usual[hour] { String::new() } else { " stroke=\"#c0392b\" stroke-width=\"1.5\"".to_string() };
            let _ = write!(
                s,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#1f5f8b\" fill-opacity=\"{strength:.2}\"{outline}><title>{} {hour:02}:00 — {count}</title></rect>",
                x + 1.0,
                y + 1.0,
                cell_w - 2.0,
                cell_h - 2.0,
                escape(day)
            );
        }
    }
    s.push_str("</svg>");
    if heat.len() > shown.len() {
        let _ = write!(s, "<p class=\"muted\">The latest {} of {} active days are drawn.</p>", shown.len(), heat.len());
    }
    s
}

/// Distinct patients per day as bars, with the peer median as a dashed line.
fn daily_chart(daily: &[(String, u64)], median: Option<f64>) -> String {
    let (left, top, plot_w, plot_h) = (40.0, 10.0, 880.0, 160.0);
    let width = left + plot_w + 20.0;
    let height = top + plot_h + 40.0;
    let max = daily.iter().map(|d| d.1 as f64).fold(median.unwrap_or(0.0), f64::max).max(1.0);
    let bar = plot_w / daily.len().max(1) as f64;
    let y_of = |v: f64| top + plot_h - v / max * plot_h;
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" role=\"img\" aria-label=\"distinct patients a day\" font-family=\"sans-serif\" font-size=\"10\">"
    );
    let _ = write!(
        s,
        "<line x1=\"{left}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#9aa5ae\"/>",
        top + plot_h,
        left + plot_w,
        top + plot_h
    );
    let _ = write!(
        s,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#5f6b76\">{max:.0}</text>",
        left - 4.0,
        top + 8.0
    );
    let _ = write!(
        s,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#5f6b76\">0</text>",
        left - 4.0,
        top + plot_h
    );
    for (i, (day, n)) in daily.iter().enumerate() {
        let x = left + i as f64 * bar;
        let y = y_of(*n as f64);
        let _ = write!(
            s,
            "<rect x=\"{:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#5d8aa8\"><title>{}: {n}</title></rect>",
            x + bar * 0.1,
            (bar * 0.8).max(0.5),
            top + plot_h - y,
            escape(day)
        );
    }
    let label_every = (daily.len() / 10).max(1);
    for (i, (day, _)) in daily.iter().enumerate().step_by(label_every) {
        let x = left + (i as f64 + 0.5) * bar;
        let _ = write!(
            s,
            "<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#5f6b76\">{}</text>",
            top + plot_h + 14.0,
            escape(day.get(5..).unwrap_or(day))
        );
    }
    if let Some(m) = median {
        let y = y_of(m);
        let _ = write!(
            s,
            "<line x1=\"{left}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#d35400\" stroke-width=\"2\" stroke-dasharray=\"6 4\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#d35400\">peer median {m:.1}</text>",
            left + plot_w,
            left + plot_w,
            y - 4.0
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(user: &str, name: &str, explanation: &str) -> PatientAccessRow {
        PatientAccessRow {
            time: "2026-10-05T09:12:00-05:00".into(),
            user_id: user.into(),
            user_name: name.into(),
            role_class: "nurse".into(),
            department_id: "MED".into(),
            workstation_id: "WS-1".into(),
            action: "view".into(),
            data_category: "notes".into(),
            break_glass: false,
            explanation: explanation.into(),
            explanation_sentence: "no care link".into(),
        }
    }

    #[test]
    fn the_patient_page_escapes_input_and_groups_sittings() {
        let page = PatientPage {
            patient: "<P1>".into(),
            period: "all retained days".into(),
            sources: vec!["access_log/2026-10-05.csv".into()],
            rows: vec![
                access("u<1>", "Ann \"O'Neil\"", "unexplained"),
                access("u<1>", "Ann \"O'Neil\"", "unexplained"),
            ],
            sessions: vec![0..2],
            pseudonymized: false,
            notes: vec![],
        };
        let html = render_patient(&page);
        assert!(!html.contains("<P1>") && html.contains("&lt;P1&gt;"), "patient id escaped");
        assert!(!html.contains("u<1>") && html.contains("u&lt;1&gt;"));
        assert!(html.contains("Ann &quot;O&#39;Neil&quot;"));
        assert!(html.contains("<td class=\"num\">2</td>"), "two accesses in one sitting: {html}");
        assert!(!html.contains("<script"));
    }

    #[test]
    fn an_empty_period_says_so() {
        let page = PatientPage {
            patient: "P1".into(),
            period: "2026-01-01 to 2026-01-02".into(),
            sources: vec![],
            rows: vec![],
            sessions: vec![],
            pseudonymized: true,
            notes: vec![],
        };
        let html = render_patient(&page);
        assert!(html.contains("No access to this patient"));
        assert!(html.contains("pseudonymous tokens"));
    }
}
