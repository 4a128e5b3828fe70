//! reviewed.csv: the privacy officer's verdicts on earlier alerts, read for
//! the feedback step (`detect --reviewed FILE`).
//!
//! Columns (matched case-insensitively): `alert_id` and `verdict` required;
//! `reviewer`, `note` and `user_id` optional (`user_id` lets a confirmed
//! alert that is no longer in the data still mark its user as a repeat
//! offender). A verdict is `confirmed`, `false_positive` or `duplicate`
//! (case, spaces and hyphens do not matter). A row that cannot be used is
//! not dropped silently: it is returned in `rejects` (written to
//! rejected_rows.csv as table `reviewed`) and counted. When one alert is
//! reviewed twice, the later row wins.

use std::path::Path;

use super::{IngestError, RejectedRow, Rejects};

/// A reviewer's verdict on an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verdict {
    /// A real incident.
    Confirmed,
    /// Not an incident: suppressed in later runs.
    FalsePositive,
    /// Already handled under another alert: suppressed in later runs.
    Duplicate,
}

impl Verdict {
    /// Parses `confirmed`, `false_positive` or `duplicate`, forgiving case,
    /// spaces and hyphens.
    pub fn parse(s: &str) -> Option<Verdict> {
        match s.trim().to_ascii_lowercase().replace([' ', '-'], "_").as_str() {
            "confirmed" => Some(Verdict::Confirmed),
            "false_positive" => Some(Verdict::FalsePositive),
            "duplicate" => Some(Verdict::Duplicate),
            _ => None,
        }
    }

    /// The file's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Confirmed => "confirmed",
            Verdict::FalsePositive => "false_positive",
            Verdict::Duplicate => "duplicate",
        }
    }

    /// Whether the alert is closed without an incident (suppressed later).
    pub fn suppresses(self) -> bool {
        matches!(self, Verdict::FalsePositive | Verdict::Duplicate)
    }
}

/// One usable row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    /// The alert, as in alerts.csv.
    pub alert_id: String,
    /// The verdict.
    pub verdict: Verdict,
    /// Who reviewed it (may be empty).
    pub reviewer: String,
    /// Free text (may be empty).
    pub note: String,
    /// The alert's user, when the file gives it.
    pub user_id: Option<String>,
    /// Line in the file (header = 1).
    pub line: u64,
}

/// The file's usable rows and its rejected ones.
#[derive(Debug, Clone, Default)]
pub struct Reviews {
    /// Usable rows, in file order.
    pub rows: Vec<Review>,
    /// Rows that could not be used (table `reviewed`).
    pub rejects: Rejects,
    /// Data rows read.
    pub rows_read: u64,
    /// The file as given, for reports.
    pub file: String,
}

/// Reads reviewed.csv. A missing file or required column is an error (exit
/// code 1); a bad row is recorded in `rejects`.
pub fn read_reviewed(path: &Path) -> Result<Reviews, IngestError> {
    let read_err = |line: u64, message: String| IngestError::Read { file: path.to_path_buf(), line, message };
    let bytes = std::fs::read(path).map_err(|e| read_err(0, e.to_string()))?;
    let mut r = csv::ReaderBuilder::new().flexible(true).has_headers(true).from_reader(&bytes[..]);
    let headers = r.headers().map_err(|e| read_err(1, e.to_string()))?.clone();
    if headers.is_empty() || headers.iter().all(|h| h.trim().is_empty()) {
        return Err(IngestError::EmptyFile(path.to_path_buf()));
    }
    let find = |name: &str| {
        headers.iter().position(|h| h.trim().trim_start_matches('\u{feff}').trim().eq_ignore_ascii_case(name))
    };
    let required = |name: &'static str| {
        find(name).ok_or_else(|| IngestError::MissingColumn {
            file: path.to_path_buf(),
            column: name,
            found: headers.iter().collect::<Vec<_>>().join(", "),
        })
    };
    let (c_id, c_verdict) = (required("alert_id")?, required("verdict")?);
    let (c_reviewer, c_note, c_user) = (find("reviewer"), find("note"), find("user_id"));
    let file = path.display().to_string();
    let mut out = Reviews { file: file.clone(), ..Reviews::default() };
    for rec in r.records() {
        let rec = rec.map_err(|e| read_err(out.rows_read + 2, e.to_string()))?;
        out.rows_read += 1;
        let line = rec.position().map_or(out.rows_read + 1, |p| p.line());
        let raw = rec.iter().collect::<Vec<_>>().join(",");
        let reject = |column: &str, reason: String| RejectedRow {
            table: "reviewed",
            file: file.clone(),
            line,
            column: column.to_string(),
            reason,
            value: None,
            raw: raw.clone(),
        };
        if rec.len() != headers.len() {
            out.rejects.push(reject(
                "",
                format!("{} fields where the header has {}; quote fields that hold commas", rec.len(), headers.len()),
            ));
            continue;
        }
        let get = |c: Option<usize>| c.and_then(|c| rec.get(c)).map(str::trim).unwrap_or("").to_string();
        let alert_id = get(Some(c_id));
        if alert_id.is_empty() {
            out.rejects.push(reject("alert_id", "alert_id is empty".into()));
            continue;
        }
        let verdict_text = get(Some(c_verdict));
        let Some(verdict) = Verdict::parse(&verdict_text) else {
            let shown = format!("{verdict_text:?}");
            let mut row =
                reject("verdict", format!("verdict {shown} is not one of confirmed, false_positive, duplicate"));
            row.value = Some(shown);
            out.rejects.push(row);
            continue;
        };
        let user = get(c_user);
        out.rows.push(Review {
            alert_id,
            verdict,
            reviewer: get(c_reviewer),
            note: get(c_note),
            user_id: (!user.is_empty()).then_some(user),
            line,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Reviews, IngestError> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("reviewed.csv");
        std::fs::write(&p, text).unwrap();
        read_reviewed(&p)
    }

    #[test]
    fn rows_are_read_and_bad_ones_reported() {
        let r = read(
            "Alert_ID,Verdict,reviewer,note\na1,confirmed,kim,\"called HR, confirmed\"\na2,False Positive,kim,\n,duplicate,kim,\na3,maybe,kim,\na4,duplicate\n",
        )
        .unwrap();
        assert_eq!(r.rows_read, 5);
        assert_eq!(r.rows.len(), 2);
        assert_eq!(r.rows[0].verdict, Verdict::Confirmed);
        assert_eq!(r.rows[0].note, "called HR, confirmed");
        assert_eq!(r.rows[1].verdict, Verdict::FalsePositive);
        let reasons: Vec<(u64, &str)> = r.rejects.rows.iter().map(|x| (x.line, x.column.as_str())).collect();
        assert_eq!(reasons, vec![(4, "alert_id"), (5, "verdict"), (6, "")]);
        assert!(r.rejects.rows[1].reason.contains("\"maybe\""));
        assert!(r.rejects.rows.iter().all(|x| x.table == "reviewed"));
    }

    #[test]
    fn a_missing_column_or_file_is_an_error() {
        let e = read("alert_id,reviewer\na1,kim\n").unwrap_err();
        assert!(e.to_string().contains("\"verdict\""), "{e}");
        assert!(read_reviewed(Path::new("/nonexistent/reviewed.csv")).is_err());
    }
}
