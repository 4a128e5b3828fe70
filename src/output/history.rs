//! history.jsonl: one line per run in the output folder (its window and
//! totals), read back for the report's trend. It is the one file output
//! reads: its own earlier output, never input data.
//!
//! The file is rewritten through the run's staging folder, so it is replaced
//! atomically with the other outputs. A run over the same window as an
//! earlier line replaces that line (rerunning a night does not count it
//! twice); lines this version cannot parse are kept as they are. Lines are
//! ordered by window.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// One run's line.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HistoryLine {
    /// First local day of the detection window (or of the data).
    pub window_from: String,
    /// Last local day of the detection window (or of the data).
    pub window_to: String,
    /// access_log rows read.
    pub events_read: u64,
    /// access_log rows rejected.
    pub events_rejected: u64,
    /// Share of patient accesses care explains.
    pub explained_fraction: f64,
    /// Alerts written.
    pub alerts: u64,
    /// Cases written.
    pub cases: u64,
    /// Alerts per severity.
    pub alerts_per_severity: BTreeMap<String, u64>,
    /// Alerts suppressed by reviewed.csv.
    #[serde(default)]
    pub suppressed: u64,
}

/// The file's lines: parsed ones and the others kept verbatim.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// Parsed lines, in file order.
    pub runs: Vec<HistoryLine>,
    /// Lines that did not parse, kept on rewrite.
    pub other: Vec<String>,
}

/// File name in the output folder.
pub const HISTORY_FILE: &str = "history.jsonl";

/// Reads `out/history.jsonl`; a missing or unreadable file is an empty
/// history, and so is anything but a regular file: a symbolic link is not
/// followed (`O_NOFOLLOW`), so a link planted in the output folder cannot
/// make the report show another file's lines.
pub fn read_history(out: &Path) -> History {
    let mut h = History::default();
    let Ok(mut file) = crate::fs::open_no_follow(&out.join(HISTORY_FILE)) else { return h };
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return h;
    }
    let mut text = String::new();
    if std::io::Read::read_to_string(&mut file, &mut text).is_err() {
        return h;
    }
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        match serde_json::from_str::<HistoryLine>(line) {
            Ok(r) => h.runs.push(r),
            Err(_) => h.other.push(line.to_string()),
        }
    }
    h
}

impl History {
    /// Adds this run, replacing a line with the same window, and orders lines by window.
    pub fn record(&mut self, run: HistoryLine) {
        self.runs.retain(|r| !(r.window_from == run.window_from && r.window_to == run.window_to));
        self.runs.push(run);
        self.runs.sort_by(|a, b| a.window_to.cmp(&b.window_to).then(a.window_from.cmp(&b.window_from)));
    }

    /// The file's new text.
    pub fn to_jsonl(&self) -> String {
        let mut s = String::new();
        for l in &self.other {
            s.push_str(l);
            s.push('\n');
        }
        for r in &self.runs {
            s.push_str(&serde_json::to_string(r).unwrap_or_default());
            s.push('\n');
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(from: &str, to: &str, alerts: u64) -> HistoryLine {
        HistoryLine {
            window_from: from.into(),
            window_to: to.into(),
            events_read: 10,
            events_rejected: 0,
            explained_fraction: 0.9,
            alerts,
            cases: 1,
            alerts_per_severity: BTreeMap::new(),
            suppressed: 0,
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_or_special_history_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = dir.path().join("secret.txt");
        std::fs::write(&elsewhere, "secret line\n").unwrap();
        std::os::unix::fs::symlink(&elsewhere, dir.path().join(HISTORY_FILE)).unwrap();
        let h = read_history(dir.path());
        assert!(h.runs.is_empty() && h.other.is_empty(), "{:?}", h.other);
        std::fs::remove_file(dir.path().join(HISTORY_FILE)).unwrap();
        std::fs::create_dir(dir.path().join(HISTORY_FILE)).unwrap();
        assert!(read_history(dir.path()).other.is_empty());
    }

    #[test]
    fn a_rerun_of_a_window_replaces_its_line_and_junk_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(HISTORY_FILE), "not json\n").unwrap();
        let mut h = read_history(dir.path());
        assert_eq!(h.other.len(), 1);
        h.record(line("2026-11-02", "2026-11-02", 3));
        h.record(line("2026-11-01", "2026-11-01", 5));
        h.record(line("2026-11-02", "2026-11-02", 4));
        assert_eq!(h.runs.iter().map(|r| r.alerts).collect::<Vec<_>>(), vec![5, 4]);
        std::fs::write(dir.path().join(HISTORY_FILE), h.to_jsonl()).unwrap();
        let again = read_history(dir.path());
        assert_eq!(again.runs, h.runs);
        assert_eq!(again.other, vec!["not json".to_string()]);
    }
}
