//! One import run's bookkeeping: converted records go to the Parquet sink,
//! rejected rows to `import_rejected_rows.csv` (streamed, so a file full of
//! bad rows does not fill memory), and every row is counted per input file.
//!
//! Invariant: for each input, `rows_read = rows_converted + rows_rejected`.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;

use serde::Serialize;

use super::error::ImportError;
use super::parquet_sink::ParquetSink;
use super::record::{Converted, Unmapped};
use crate::output::neutralise;

/// Name of the rejected-rows file in the output bundle.
pub const REJECTED_FILE: &str = "import_rejected_rows.csv";
/// Name of the summary file in the output bundle.
pub const SUMMARY_FILE: &str = "import_summary.json";
/// Name of the access log written into the output bundle.
pub const ACCESS_LOG_FILE: &str = "access_log.parquet";

/// Longest raw text kept per rejected row (as `detect` does).
const RAW_LIMIT: usize = 500;
/// Most distinct values kept per counting map; the rest are pooled.
const DISTINCT_LIMIT: usize = 100;

/// Counts for one input file.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct InputCount {
    /// The file as given.
    pub file: String,
    /// Source rows (lines, CSV records or FHIR resources) read.
    pub rows_read: u64,
    /// Rows converted into one or more access_log records.
    pub rows_converted: u64,
    /// Rows rejected (in import_rejected_rows.csv).
    pub rows_rejected: u64,
    /// access_log records written from this file.
    pub records_written: u64,
}

/// `import_summary.json`: what an import read, wrote and could not map.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportSummary {
    /// Data contract version of the access_log written.
    pub contract_version: u32,
    /// Source format.
    pub format: String,
    /// Time zone naive source timestamps were read in.
    pub timezone: String,
    /// The access_log file written, relative to the bundle.
    pub output: String,
    /// Per input file.
    pub inputs: Vec<InputCount>,
    /// Totals over inputs.
    pub rows_read: u64,
    /// Rows converted.
    pub rows_converted: u64,
    /// Rows rejected.
    pub rows_rejected: u64,
    /// access_log records written (a FHIR event naming two patients gives two).
    pub records_written: u64,
    /// Parquet row groups written.
    pub row_groups: u64,
    /// Source action or event codes kept as `other`, with counts.
    pub other_actions: BTreeMap<String, u64>,
    /// Source data categories that could not be mapped (left empty), with counts.
    pub unmapped_categories: BTreeMap<String, u64>,
    /// Rejections per reason, with counts.
    pub rejection_reasons: BTreeMap<String, u64>,
    /// Wall time of the import, seconds.
    pub wall_seconds: f64,
}

fn count(map: &mut BTreeMap<String, u64>, value: &str) {
    let key: String = value.trim().chars().take(160).collect();
    if map.contains_key(&key) || map.len() < DISTINCT_LIMIT {
        *map.entry(key).or_insert(0) += 1;
    } else {
        *map.entry("(other values)".to_string()).or_insert(0) += 1;
    }
}

/// The bookkeeping of one run, handed to each format's reader.
pub struct Session<'w> {
    sink: ParquetSink<'w>,
    rejects: csv::Writer<&'w mut BufWriter<File>>,
    rejects_path: PathBuf,
    /// Counts so far.
    pub summary: ImportSummary,
}

impl<'w> Session<'w> {
    /// A session writing records to `sink` and rejections to `rejects`.
    pub fn new(
        sink: ParquetSink<'w>,
        rejects: &'w mut BufWriter<File>,
        rejects_path: PathBuf,
        summary: ImportSummary,
    ) -> Result<Self, ImportError> {
        let mut w = csv::Writer::from_writer(rejects);
        w.write_record(["table", "file", "line", "column", "reason", "raw"])
            .map_err(|e| ImportError::write(&rejects_path, e))?;
        Ok(Session { sink, rejects: w, rejects_path, summary })
    }

    /// Starts counting a new input file.
    pub fn begin_file(&mut self, display: &str) {
        self.summary.inputs.push(InputCount { file: display.to_string(), ..InputCount::default() });
    }

    fn current(&mut self) -> &mut InputCount {
        if self.summary.inputs.is_empty() {
            self.summary.inputs.push(InputCount::default());
        }
        self.summary.inputs.last_mut().expect("an input is being read")
    }

    /// Accounts for one source row. `raw` renders the row for
    /// import_rejected_rows.csv and is called only for rejected rows.
    pub fn row(&mut self, line: u64, raw: impl FnOnce() -> String, outcome: Converted) -> Result<(), ImportError> {
        self.current().rows_read += 1;
        match outcome {
            Converted::Records(records, unmapped) => {
                for u in unmapped {
                    match u {
                        Unmapped::Action(v) => count(&mut self.summary.other_actions, &v),
                        Unmapped::Category(v) => count(&mut self.summary.unmapped_categories, &v),
                    }
                }
                let n = records.len() as u64;
                for r in records {
                    self.sink.push(r).map_err(|e| ImportError::write(ACCESS_LOG_FILE, e))?;
                }
                let c = self.current();
                c.rows_converted += 1;
                c.records_written += n;
            }
            Converted::Rejected(rej) => {
                self.current().rows_rejected += 1;
                let reason_key =
                    if rej.column.is_empty() { rej.reason.clone() } else { format!("{}: {}", rej.column, rej.reason) };
                count(&mut self.summary.rejection_reasons, &reason_key);
                let mut raw = raw();
                if raw.len() > RAW_LIMIT {
                    let mut cut = RAW_LIMIT;
                    while !raw.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    raw.truncate(cut);
                    raw.push('…');
                }
                let file = self.summary.inputs.last().map(|c| c.file.clone()).unwrap_or_default();
                let line = line.to_string();
                self.rejects
                    .write_record([
                        "access_log",
                        &neutralise(&file),
                        &line,
                        &neutralise(&rej.column),
                        &neutralise(&rej.reason),
                        &neutralise(&raw),
                    ])
                    .map_err(|e| ImportError::write(&self.rejects_path, e))?;
            }
        }
        Ok(())
    }

    /// Writes the last row group and flushes the rejects; returns the totals.
    pub fn finish(self) -> Result<ImportSummary, ImportError> {
        let Session { sink, mut rejects, rejects_path, mut summary } = self;
        let (rows, groups) = sink.finish().map_err(|e| ImportError::write(ACCESS_LOG_FILE, e))?;
        rejects.flush().map_err(|e| ImportError::write(&rejects_path, e))?;
        summary.row_groups = groups;
        summary.rows_read = summary.inputs.iter().map(|c| c.rows_read).sum();
        summary.rows_converted = summary.inputs.iter().map(|c| c.rows_converted).sum();
        summary.rows_rejected = summary.inputs.iter().map(|c| c.rows_rejected).sum();
        summary.records_written = summary.inputs.iter().map(|c| c.records_written).sum();
        debug_assert_eq!(rows, summary.records_written);
        Ok(summary)
    }
}
