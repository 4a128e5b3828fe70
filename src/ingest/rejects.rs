//! Rows that could not be accepted, with where they came from and why.

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
/// [`Rejects::KEEP`] in full, the rest only counted, so a feed of garbage
/// cannot fill memory (5 M rejects held whole took 2.8 GB).
#[derive(Debug, Default, Clone)]
pub struct Rejects {
    /// The rows kept in full.
    pub rows: Vec<RejectedRow>,
    /// Rejected rows beyond [`Rejects::KEEP`]: counted in the file reports,
    /// not listed in rejected_rows.csv.
    pub unlisted: u64,
}

impl Rejects {
    /// Longest raw text kept per row.
    pub const RAW_LIMIT: usize = 500;

    /// Most rejected rows kept in full (about 100 MB at the raw limit).
    pub const KEEP: usize = 100_000;

    /// Appends another part's rejects (read after this one), keeping at
    /// most [`Rejects::KEEP`] rows in full.
    pub fn extend(&mut self, other: Rejects) {
        let room = Self::KEEP.saturating_sub(self.rows.len());
        let n = other.rows.len();
        self.rows.extend(other.rows.into_iter().take(room));
        self.unlisted += other.unlisted + n.saturating_sub(room) as u64;
    }

    /// Records a rejected row (or only counts it, past [`Rejects::KEEP`]).
    pub fn push(&mut self, mut row: RejectedRow) {
        if self.rows.len() >= Self::KEEP {
            self.unlisted += 1;
            return;
        }
        if row.raw.len() > Self::RAW_LIMIT {
            let mut cut = Self::RAW_LIMIT;
            while !row.raw.is_char_boundary(cut) {
                cut -= 1;
            }
            row.raw.truncate(cut);
            row.raw.push('…');
        }
        self.rows.push(row);
    }

    /// Number of rejected rows of one table.
    pub fn count(&self, table: &str) -> u64 {
        self.rows.iter().filter(|r| r.table == table).count() as u64
    }
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
        small.extend(Rejects { rows: vec![row(1), row(2)], unlisted: 0 });
        assert_eq!((small.rows.len(), small.unlisted), (2, 0));
    }

    #[test]
    fn a_reason_without_its_value() {
        let mut r = row(2);
        r.reason = "break_glass \"PYY1234\" is not valid; expected true, false, 1 or 0".into();
        r.value = Some("\"PYY1234\"".into());
        assert_eq!(r.reason_without_value(), "break_glass (value withheld) is not valid; expected true, false, 1 or 0");
    }
}
