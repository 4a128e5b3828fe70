//! Rows that could not be accepted, with where they came from and why.
//!
//! A run that writes outputs gives ingest a folder to spool rejects in
//! ([`Rejects::spooling_in`]): each row goes to a private, already unlinked
//! file as it is rejected (nothing is left on disk however the run ends),
//! and memory holds only counts, so a feed of garbage cannot fill it (5 M
//! rejects held whole took 2.8 GB). Without a folder (tests, library
//! callers) the rows are kept in [`Rejects::rows`]. Either way the first
//! [`Rejects::KEEP`] rows are kept in full, in input order, and the rest
//! only counted.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// One rejected row, as written to `rejected_rows.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct RejectedRow {
    /// Table name (`access_log`, `users`, ...).
    pub table: &'static str,
    /// File, relative to the bundle folder.
    pub file: String,
    /// Line in a CSV file (1 = header), or 1-based row in a Parquet file.
    pub line: u64,
    /// The column at fault, empty for whole-row problems.
    pub column: String,
    /// What was wrong and what was expected.
    pub reason: String,
    /// The text of `reason` that quotes an input value, if any: a
    /// pseudonymized run writes the reason with it withheld
    /// ([`RejectedRow::reason_without_value`]).
    pub value: Option<String>,
    /// The row as read, cut to [`Rejects::RAW_LIMIT`] characters.
    pub raw: String,
}

impl RejectedRow {
    /// The reason with the input value it quotes replaced by
    /// `(value withheld)`: what a pseudonymized run writes.
    pub fn reason_without_value(&self) -> String {
        match &self.value {
            Some(v) if !v.is_empty() => self.reason.replace(v.as_str(), "(value withheld)"),
            _ => self.reason.clone(),
        }
    }
}

/// The rejected rows of a run, in input order: the first
/// [`Rejects::KEEP`] in full (in memory, or spooled to disk), the rest only
/// counted; and every reject counted per table and column.
#[derive(Debug, Default, Clone)]
pub struct Rejects {
    /// The rows kept in full, when not spooled.
    pub rows: Vec<RejectedRow>,
    /// Rejected rows beyond [`Rejects::KEEP`]: counted in the file reports,
    /// not listed in rejected_rows.csv.
    pub unlisted: u64,
    /// Where a spool file is created at the first reject; `None` keeps
    /// rows in memory.
    spool_dir: Option<PathBuf>,
    spool: Option<Arc<Mutex<Spool>>>,
    /// Rows in the spool file.
    spooled: usize,
    /// Every reject (listed or not) per (table, column).
    columns: BTreeMap<(&'static str, String), u64>,
}

/// An unlinked file of rejected rows (CSV: table, file, line, column,
/// reason, value or empty with a flag, raw) and the first write error.
#[derive(Debug)]
struct Spool {
    out: BufWriter<File>,
    error: Option<String>,
}

/// The spool's record: `RejectedRow` with `value` split in a flag and text.
type SpoolRecord = (String, String, u64, String, String, bool, String, String);

/// Reading the spool back failed: the message names the cause, never a value.
#[derive(Debug, thiserror::Error)]
#[error("rejected rows could not be read back from the spool: {0}")]
pub struct SpoolError(String);

fn table_name(t: &str) -> &'static str {
    const TABLES: [&str; 7] =
        ["access_log", "users", "patients", "encounters", "patient_contacts", "care_team", "reviewed"];
    TABLES.iter().find(|n| **n == t).copied().unwrap_or("unknown")
}

impl Rejects {
    /// Longest raw text kept per row.
    pub const RAW_LIMIT: usize = 500;

    /// Most rejected rows kept in full (about 100 MB at the raw limit, on
    /// disk when spooled).
    pub const KEEP: usize = 100_000;

    /// Rejects that spool their rows to a private file in `dir` (created
    /// at the first reject and unlinked at once), holding only counts.
    pub fn spooling_in(dir: Option<&Path>) -> Rejects {
        Rejects { spool_dir: dir.map(Path::to_path_buf), ..Rejects::default() }
    }

    /// Empty rejects that spool where these do (for a part read alongside).
    pub fn sibling(&self) -> Rejects {
        Rejects::spooling_in(self.spool_dir.as_deref())
    }

    /// The folder rows are spooled in, if any.
    pub fn spool_dir(&self) -> Option<&Path> {
        self.spool_dir.as_deref()
    }

    /// Every reject counted per (table, column), listed or not: with
    /// `rows` and `unlisted`, what a part's rejects carry from one process
    /// to another ([`Rejects::from_counts`]; a cluster's scan tasks).
    pub fn column_counts(&self) -> impl Iterator<Item = (&'static str, &str, u64)> + '_ {
        self.columns.iter().map(|((t, c), n)| (*t, c.as_str(), *n))
    }

    /// Rejects (in memory) listing `rows`, with `unlisted` more counted
    /// and the per-column counts `columns` (table, column, count): what
    /// [`Rejects::column_counts`] and the public fields gave in another
    /// process. A table name ingest does not know becomes `unknown`.
    pub fn from_counts(
        rows: Vec<RejectedRow>,
        unlisted: u64,
        columns: impl IntoIterator<Item = (String, String, u64)>,
    ) -> Rejects {
        let columns = columns.into_iter().map(|(t, c, n)| ((table_name(&t), c), n)).collect();
        Rejects { rows, unlisted, columns, ..Rejects::default() }
    }

    /// Rows kept in full so far (in memory or spooled).
    pub fn listed(&self) -> usize {
        self.rows.len() + self.spooled
    }

    /// Every reject counted, listed or not.
    pub fn total(&self) -> u64 {
        self.listed() as u64 + self.unlisted
    }

    /// Every reject of `table`, per column (empty for whole-row problems).
    pub fn columns<'a>(&'a self, table: &'a str) -> impl Iterator<Item = (&'a str, u64)> + 'a {
        self.columns.iter().filter(move |((t, _), _)| *t == table).map(|((_, c), n)| (c.as_str(), *n))
    }

    /// Appends another part's rejects (read after this one), keeping at
    /// most [`Rejects::KEEP`] rows in full.
    pub fn extend(&mut self, other: Rejects) {
        for (k, n) in &other.columns {
            *self.columns.entry(k.clone()).or_insert(0) += n;
        }
        self.unlisted += other.unlisted;
        let mut listed = 0u64;
        other
            .each_row(&mut |row| {
                listed += 1;
                self.keep(row);
            })
            .unwrap_or_else(|e| self.fail(e.0));
        // Rows the other part listed but could not give back are counted.
        self.unlisted += (other.listed() as u64).saturating_sub(listed);
    }

    /// Records a rejected row (or only counts it, past [`Rejects::KEEP`]).
    pub fn push(&mut self, mut row: RejectedRow) {
        *self.columns.entry((row.table, row.column.clone())).or_insert(0) += 1;
        if row.raw.len() > Self::RAW_LIMIT {
            let mut cut = Self::RAW_LIMIT;
            while !row.raw.is_char_boundary(cut) {
                cut -= 1;
            }
            row.raw.truncate(cut);
            row.raw.push('…');
        }
        self.keep(row);
    }

    /// Lists a row (already counted per column) or counts it as unlisted.
    fn keep(&mut self, row: RejectedRow) {
        if self.listed() >= Self::KEEP {
            self.unlisted += 1;
            return;
        }
        if self.spool.is_none() && self.rows.is_empty() {
            if let Some(dir) = &self.spool_dir {
                self.spool = open_spool(dir).map(|s| Arc::new(Mutex::new(s)));
                if self.spool.is_none() {
                    // No spool file: keep rows in memory, as without a folder.
                    self.spool_dir = None;
                }
            }
        }
        let Some(spool) = &self.spool else {
            self.rows.push(row);
            return;
        };
        let mut s = spool.lock().unwrap_or_else(|p| p.into_inner());
        let record: SpoolRecord = (
            row.table.to_string(),
            row.file,
            row.line,
            row.column,
            row.reason,
            row.value.is_some(),
            row.value.unwrap_or_default(),
            row.raw,
        );
        let mut w = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
        let written = w
            .serialize(record)
            .map_err(|e| e.to_string())
            .and_then(|()| w.into_inner().map_err(|e| e.to_string()))
            .and_then(|bytes| s.out.write_all(&bytes).map_err(|e| e.to_string()));
        match written {
            Ok(()) => self.spooled += 1,
            Err(e) => {
                s.error.get_or_insert(e);
                self.unlisted += 1;
            }
        }
    }

    fn fail(&mut self, message: String) {
        if let Some(spool) = &self.spool {
            spool.lock().unwrap_or_else(|p| p.into_inner()).error.get_or_insert(message);
        }
    }

    /// Calls `each` with every row kept in full, in input order (read back
    /// from the spool when there is one). Fails if the spool could not be
    /// written or read.
    pub fn each_row(&self, each: &mut dyn FnMut(RejectedRow)) -> Result<(), SpoolError> {
        for row in &self.rows {
            each(row.clone());
        }
        let Some(spool) = &self.spool else { return Ok(()) };
        let mut s = spool.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = &s.error {
            return Err(SpoolError(e.clone()));
        }
        let err = |e: std::io::Error| SpoolError(e.to_string());
        s.out.flush().map_err(err)?;
        let mut file = s.out.get_ref().try_clone().map_err(err)?;
        let end = file.stream_position().map_err(err)?;
        file.seek(SeekFrom::Start(0)).map_err(err)?;
        let reader = std::io::BufReader::new(std::io::Read::take(&mut file, end));
        let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(reader);
        for record in r.deserialize::<SpoolRecord>() {
            let (table, file, line, column, reason, has_value, value, raw) =
                record.map_err(|e| SpoolError(e.to_string()))?;
            each(RejectedRow {
                table: table_name(&table),
                file,
                line,
                column,
                reason,
                value: has_value.then_some(value),
                raw,
            });
        }
        // Appends go on at the end (the handles share one offset).
        s.out.get_mut().seek(SeekFrom::Start(end)).map_err(err)?;
        Ok(())
    }

    /// Number of rejected rows of one table, listed or not.
    pub fn count(&self, table: &str) -> u64 {
        self.columns(table).map(|(_, n)| n).sum()
    }
}

/// Creates the spool file, owner-only, and unlinks it at once: only this
/// process's handle reaches it, and it is gone when the process ends.
fn open_spool(dir: &Path) -> Option<Spool> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = dir.join(format!("rejects-{}-{n}.csv", std::process::id()));
    let file = crate::fs::create_unlinked(&path).ok()?;
    Some(Spool { out: BufWriter::with_capacity(1 << 16, file), error: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(line: u64) -> RejectedRow {
        RejectedRow {
            table: "access_log",
            file: "a.csv".into(),
            line,
            column: "timestamp".into(),
            reason: "bad".into(),
            value: None,
            raw: "x".repeat(600),
        }
    }

    #[test]
    fn past_the_cap_rejects_are_counted_not_kept() {
        let mut r = Rejects::default();
        for line in 0..(Rejects::KEEP as u64 + 5) {
            r.push(row(line));
        }
        assert_eq!((r.rows.len(), r.unlisted), (Rejects::KEEP, 5));
        assert!(r.rows[0].raw.chars().count() <= Rejects::RAW_LIMIT + 1);
        let mut part = Rejects::default();
        part.push(row(1));
        part.unlisted = 2;
        r.extend(part);
        assert_eq!((r.rows.len(), r.unlisted), (Rejects::KEEP, 8));
        let mut small = Rejects::default();
        small.extend(Rejects { rows: vec![row(1), row(2)], ..Rejects::default() });
        assert_eq!((small.rows.len(), small.unlisted), (2, 0));
    }

    fn rows_of(r: &Rejects) -> Vec<RejectedRow> {
        let mut out = Vec::new();
        r.each_row(&mut |x| out.push(x)).unwrap();
        out
    }

    #[test]
    fn spooled_rejects_hold_only_counts_and_give_back_every_row_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut memory = Rejects::default();
        let mut spooled = Rejects::spooling_in(Some(dir.path()));
        let mut part = spooled.sibling();
        for line in 0..7u64 {
            let mut r = row(line);
            r.column = if line % 3 == 0 { "timestamp" } else { "user_id" }.into();
            r.value = (line % 2 == 0).then(|| format!("\"v{line}, \n\"\"x\"\""));
            r.raw = format!("a,\"b\nc\",{}", "é".repeat(line as usize));
            let target = if line < 4 { &mut spooled } else { &mut part };
            target.push(r.clone());
            memory.push(r);
        }
        assert!(spooled.rows.is_empty() && part.rows.is_empty(), "nothing held in memory");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "the spool files are unlinked");
        spooled.extend(part);
        assert_eq!((spooled.listed(), spooled.unlisted, spooled.total()), (7, 0, 7));
        assert_eq!(rows_of(&spooled), memory.rows, "the same rows, in order, values and all");
        assert_eq!(rows_of(&spooled), memory.rows, "read back twice");
        let mut after = row(9);
        after.table = "users";
        after.raw = "short".into();
        spooled.push(after.clone());
        assert_eq!(rows_of(&spooled).last(), Some(&after), "appends go on after a read");
        let columns: Vec<(&str, u64)> = spooled.columns("access_log").collect();
        assert_eq!(columns, vec![("timestamp", 3), ("user_id", 4)]);
        assert_eq!((spooled.count("users"), spooled.count("access_log")), (1, 7));
    }

    #[test]
    fn spooled_rejects_past_the_cap_are_counted_not_kept() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = Rejects::spooling_in(Some(dir.path()));
        for line in 0..(Rejects::KEEP as u64 + 3) {
            r.push(row(line));
        }
        assert_eq!((r.listed(), r.unlisted, r.rows.len()), (Rejects::KEEP, 3, 0));
        assert_eq!(r.count("access_log"), Rejects::KEEP as u64 + 3, "every reject counted per column");
        let mut n = 0u64;
        r.each_row(&mut |x| {
            assert_eq!(x.line, n);
            n += 1;
        })
        .unwrap();
        assert_eq!(n, Rejects::KEEP as u64);
    }

    #[test]
    fn without_a_usable_folder_rejects_stay_in_memory() {
        let mut r = Rejects::spooling_in(Some(Path::new("/nonexistent/ehrwatch-spool")));
        r.push(row(1));
        assert_eq!((r.rows.len(), r.listed()), (1, 1));
    }

    #[test]
    fn a_reason_without_its_value() {
        let mut r = row(2);
        r.reason = "break_glass \"PYY1234\" is not valid; expected true, false, 1 or 0".into();
        r.value = Some("\"PYY1234\"".into());
        assert_eq!(r.reason_without_value(), "break_glass (value withheld) is not valid; expected true, false, 1 or 0");
    }
}
