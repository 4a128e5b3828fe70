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
    /// The row as read, cut to [`Rejects::RAW_LIMIT`] characters.
    pub raw: String,
}

/// The rejected rows of a run, in input order.
#[derive(Debug, Default, Clone)]
pub struct Rejects {
    /// The rows.
    pub rows: Vec<RejectedRow>,
}

impl Rejects {
    /// Longest raw text kept per row.
    pub const RAW_LIMIT: usize = 500;

    /// Records a rejected row.
    pub fn push(&mut self, mut row: RejectedRow) {
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
