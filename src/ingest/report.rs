//! What ingest read: files, row counts, and tables it had to skip.

use std::collections::BTreeMap;

/// Counts for one input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReport {
    /// Table name.
    pub table: &'static str,
    /// Path relative to the bundle folder.
    pub path: String,
    /// Data rows read (header excluded).
    pub rows_read: u64,
    /// Rows accepted.
    pub rows_accepted: u64,
    /// Rows rejected (in rejected_rows.csv).
    pub rows_rejected: u64,
}

/// An optional table that was not in the bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedTable {
    /// Table name.
    pub table: &'static str,
    /// Why (for summary.json).
    pub reason: String,
}

/// Totals of the ingest stage.
#[derive(Debug, Clone, Default)]
pub struct IngestReport {
    /// Every file read, in reading order.
    pub files: Vec<FileReport>,
    /// Optional tables that were absent.
    pub skipped_tables: Vec<SkippedTable>,
    /// access_log data rows read.
    pub events_read: u64,
    /// access_log rows accepted.
    pub events_accepted: u64,
    /// access_log rows rejected.
    pub events_rejected: u64,
    /// Events carried over from the incremental state (not in events_read).
    pub history_events: u64,
    /// Files left out because their bytes repeat an earlier file of the
    /// same table (relative to the bundle).
    pub duplicate_files: Vec<String>,
    /// Raw action values that were kept as `other`, with counts.
    pub other_actions: BTreeMap<String, u64>,
    /// Raw data_category values outside the contract, with counts.
    pub other_categories: BTreeMap<String, u64>,
    /// Raw action and data_category values read through a built-in alias
    /// ("Mental Health" as behavioral_health), with counts, keyed
    /// `column: raw = contract value` (see [`IngestReport::count_alias`]).
    pub aliased: BTreeMap<String, u64>,
}

impl IngestReport {
    /// The first table (in reading order) of which more than `max_share`
    /// of the rows were rejected, as an error naming it, its counts and
    /// the column most of its rejects are for (never a value).
    pub fn check_reject_share(&self, rejects: &super::Rejects, max_share: f64) -> Result<(), super::IngestError> {
        let mut tables: Vec<(&'static str, u64, u64)> = Vec::new();
        for f in &self.files {
            match tables.iter_mut().find(|t| t.0 == f.table) {
                Some(t) => {
                    t.1 += f.rows_read;
                    t.2 += f.rows_rejected;
                }
                None => tables.push((f.table, f.rows_read, f.rows_rejected)),
            }
        }
        for (table, read, rejected) in tables {
            if read == 0 || rejected as f64 <= max_share * read as f64 {
                continue;
            }
            let columns: BTreeMap<&str, u64> = rejects.columns(table).collect();
            let most = match columns.iter().max_by_key(|&(c, n)| (*n, std::cmp::Reverse(*c))) {
                Some((c, _)) if !c.is_empty() => format!(", mostly for column {c}"),
                Some(_) => ", mostly malformed rows".to_string(),
                None => String::new(),
            };
            return Err(super::IngestError::TooManyRejected {
                table,
                rejected,
                read,
                percent: 100.0 * rejected as f64 / read as f64,
                limit: 100.0 * max_share,
                most,
            });
        }
        Ok(())
    }

    /// Most distinct unknown values kept per map; the rest are pooled.
    pub const DISTINCT_LIMIT: usize = 50;

    /// Counts `value` of `column` read as the contract's `canonical`,
    /// pooling beyond [`Self::DISTINCT_LIMIT`].
    pub fn count_alias(&mut self, column: &str, value: &str, canonical: &str) {
        let key = format!("{column}: {} = {canonical}", Self::shown(value));
        Self::pool(&mut self.aliased, key);
    }

    /// Counts an unknown value, pooling beyond [`Self::DISTINCT_LIMIT`].
    pub fn count_unknown(map: &mut BTreeMap<String, u64>, value: &str) {
        Self::pool(map, Self::shown(value));
    }

    /// A raw value as the counts show it: trimmed, at most 40 characters,
    /// lower case.
    fn shown(value: &str) -> String {
        value.trim().chars().take(40).collect::<String>().to_lowercase()
    }

    /// Counts `key` in `map`, or in "(other values)" once the map holds
    /// [`Self::DISTINCT_LIMIT`] others.
    fn pool(map: &mut BTreeMap<String, u64>, key: String) {
        if map.contains_key(&key) || map.len() < Self::DISTINCT_LIMIT {
            *map.entry(key).or_insert(0) += 1;
        } else {
            *map.entry("(other values)".to_string()).or_insert(0) += 1;
        }
    }
}
