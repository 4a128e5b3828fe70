//! Reading a whole bundle: the tables in a fixed order, then the access
//! log's events into a sink (kept and sorted in memory, or spilled to disk).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use rayon::prelude::*;

use super::aliases::RowRules;
use super::columns::ColumnSpec;
use super::error::IngestError;
use super::fields::FieldError;
use super::history::{merge_history, History};
use super::plausible::Plausible;
use super::rejects::{RejectedRow, Rejects};
use super::report::{FileReport, IngestReport, SkippedTable};
use super::source::{
    emit_batch, locate, parquet_err, parquet_rows, plan_csv_chunks, read_csv_chunk, read_file, read_file_filtered,
    read_parquet_batches, read_parquet_rows, CsvChunk, Row, TableFiles,
};
use super::{access_log, care_team, contacts, encounters, patients, roster};
use crate::config::InputParams;
use crate::model::{
    CareTeams, Code, Contacts, Dictionaries, Encounters, Events, Patients, Recode, Roster, SortedParts,
};
use crate::progress::Progress;
use crate::time::ZoneCache;

/// Everything ingest read: the dictionary-coded tables and the accounting,
/// with a set of access-log events whose type says which: `Events` (every
/// accepted event, as [`read_bundle`] returns them), `()` (none: a spilled
/// run's events are on disk), [`crate::model::Partition`] (one partition of
/// users, what explain, features and detect read) or
/// [`crate::model::Evidence`] (the events kept for scoring and the outputs).
#[derive(Debug)]
pub struct Ingested<E = Events> {
    /// The bundle folder.
    pub dir: PathBuf,
    /// The hospital's time zone.
    pub tz: Tz,
    /// Id dictionaries shared by all tables.
    pub dict: Dictionaries,
    /// Access-log events, sorted by (user, time): which ones, the type
    /// `E` says.
    pub events: E,
    /// The users table, if present.
    pub roster: Option<Roster>,
    /// The patients table, if present.
    pub patients: Option<Patients>,
    /// The encounters table, if present.
    pub encounters: Option<Encounters>,
    /// The patient_contacts table, if present.
    pub contacts: Option<Contacts>,
    /// The care_team table, if present.
    pub care_teams: Option<CareTeams>,
    /// Files, counts and skipped tables.
    pub report: IngestReport,
    /// Rows that were not accepted.
    pub rejects: Rejects,
}

impl<E> Ingested<E> {
    /// The same tables with other events; also returns the events these had.
    pub fn with_events<F>(self, events: F) -> (Ingested<F>, E) {
        let Ingested {
            dir,
            tz,
            dict,
            events: had,
            roster,
            patients,
            encounters,
            contacts,
            care_teams,
            report,
            rejects,
        } = self;
        (Ingested { dir, tz, dict, events, roster, patients, encounters, contacts, care_teams, report, rejects }, had)
    }
}

impl Ingested<Events> {
    /// Every event as the one partition of a run held in memory.
    pub fn whole(self) -> Ingested<crate::model::Partition> {
        let n_users = self.dict.users.len();
        let (data, events) = self.with_events(());
        data.with_events(crate::model::Partition::whole(events, n_users)).0
    }
}

fn present_columns(files: &TableFiles, specs: &[ColumnSpec]) -> Result<Vec<&'static str>, IngestError> {
    // Columns present in every file of the table; rules needing a column
    // check this, so a column missing from one day's file is not assumed.
    let mut present: Option<Vec<&'static str>> = None;
    for f in &files.files {
        let names = super::source::file_columns(f)?;
        let here: Vec<&'static str> =
            specs.iter().filter(|s| names.iter().any(|n| n == s.name)).map(|s| s.name).collect();
        present = Some(match present {
            None => here,
            Some(prev) => prev.into_iter().filter(|c| here.contains(c)).collect(),
        });
    }
    Ok(present.unwrap_or_default())
}

/// Reads every file of a table, sending each row to `accept` and recording
/// counts and rejections (one `report.files` entry per file, in order).
fn read_table(
    files: &TableFiles,
    specs: &[ColumnSpec],
    report: &mut IngestReport,
    rejects: &mut Rejects,
    progress: &crate::progress::StageBar,
    accept: &mut dyn FnMut(&Row<'_>, u32) -> Result<(), FieldError>,
) -> Result<(), IngestError> {
    report.duplicate_files.extend(files.duplicates.iter().cloned());
    for (path, shown) in files.files.iter().zip(&files.display) {
        read_source(files.table, shown, report, rejects, progress, accept, &mut |on_row| {
            read_file(path, specs, on_row)
        })?;
    }
    Ok(())
}

/// Reads one source (a file, or a chunk of one) through `read`, sending each
/// row to `accept` and recording one FileReport with its counts.
fn read_source(
    table: &'static str,
    shown: &str,
    report: &mut IngestReport,
    rejects: &mut Rejects,
    progress: &crate::progress::StageBar,
    accept: &mut dyn FnMut(&Row<'_>, u32) -> Result<(), FieldError>,
    read: &mut dyn FnMut(&mut dyn FnMut(Row<'_>)) -> Result<u64, IngestError>,
) -> Result<(), IngestError> {
    let file_index = report.files.len() as u32;
    let mut file_report =
        FileReport { table, path: shown.to_string(), rows_read: 0, rows_accepted: 0, rows_rejected: 0 };
    let rows = read(&mut |row: Row<'_>| {
        let outcome = match &row.malformed {
            Some(m) => Err(FieldError::new("", m.clone())),
            None => accept(&row, file_index),
        };
        match outcome {
            Ok(()) => file_report.rows_accepted += 1,
            Err(e) => {
                file_report.rows_rejected += 1;
                rejects.push(reject(table, shown, &row, e));
            }
        }
        if row.line % 65_536 == 0 {
            progress.inc(65_536);
        }
    })?;
    file_report.rows_read = rows;
    debug_assert_eq!(file_report.rows_read, file_report.rows_accepted + file_report.rows_rejected);
    report.files.push(file_report);
    Ok(())
}

/// The rejection of `row` of file `shown` for `e`.
fn reject(table: &'static str, shown: &str, row: &Row<'_>, e: FieldError) -> RejectedRow {
    RejectedRow {
        table,
        file: shown.to_string(),
        line: row.line,
        column: e.column.to_string(),
        reason: e.reason,
        value: e.value,
        raw: row.raw(),
    }
}

/// One access-log file (or chunk of one) read on its own.
#[derive(Default)]
pub(super) struct PartialLog {
    /// A chunk after the first of its file: its counts join the file's report.
    continues: bool,
    dict: Dictionaries,
    events: Events,
    report: IngestReport,
    rejects: Rejects,
    counts: IngestReport,
}

/// Interns a file's own dictionaries into the shared ones, in code order.
pub(super) fn remap(local: &Dictionaries, global: &mut Dictionaries) -> Recode {
    let mut maps = Recode::default();
    remap_more(local, global, &mut maps);
    maps
}

/// Extends `maps` with the codes `local` has gained since they were made
/// (a file read in parts keeps one set of dictionaries).
fn remap_more(local: &Dictionaries, global: &mut Dictionaries, maps: &mut Recode) {
    let each = |l: &crate::model::Dictionary, g: &mut crate::model::Dictionary, m: &mut Vec<Code>| {
        let from = m.len() as Code;
        m.extend((from..l.len() as Code).map(|c| g.intern(l.name(c))));
    };
    each(&local.users, &mut global.users, &mut maps.users);
    each(&local.patients, &mut global.patients, &mut maps.patients);
    each(&local.workstations, &mut global.workstations, &mut maps.workstations);
    each(&local.ips, &mut global.ips, &mut maps.ips);
    each(&local.departments, &mut global.departments, &mut maps.departments);
}

pub(super) fn merge_counts(
    into: &mut std::collections::BTreeMap<String, u64>,
    from: std::collections::BTreeMap<String, u64>,
) {
    for (k, v) in from {
        if into.contains_key(&k) || into.len() < IngestReport::DISTINCT_LIMIT {
            *into.entry(k).or_insert(0) += v;
        } else {
            *into.entry("(other values)".to_string()).or_insert(0) += v;
        }
    }
}

/// Where the access log's events go as they are read: kept in memory
/// ([`Events`], sorted at the end) or spilled to disk by user
/// (`super::spill`). Parts arrive in input order, so a sink that keeps
/// that order per user gives the same (user, time, input order) sort.
pub(super) trait EventSink: Send {
    /// A hint that about `n` more events will be appended; an allocation
    /// that fails is an error, not an abort.
    fn reserve(&mut self, _n: usize) -> Result<(), IngestError> {
        Ok(())
    }
    /// Takes one part's events, in input order, with their ids recoded into
    /// the shared codes by `maps`.
    fn append(&mut self, part: Events, maps: &Recode) -> Result<(), IngestError>;
    /// Called once, after the last part.
    fn finish(&mut self) -> Result<(), IngestError>;
}

/// In memory: the parts are kept, recoded in place, and sorted into one
/// set of columns at the end ([`SortedParts::into_sorted`]).
impl EventSink for SortedParts {
    fn append(&mut self, part: Events, maps: &Recode) -> Result<(), IngestError> {
        self.push_recoded(part, maps);
        Ok(())
    }

    fn finish(&mut self) -> Result<(), IngestError> {
        Ok(())
    }
}

/// Where parts of the access log are merged: the shared dictionaries, the
/// sink and the accounting.
struct Merge<'a> {
    dict: &'a mut Dictionaries,
    sink: &'a mut dyn EventSink,
    report: &'a mut IngestReport,
    rejects: &'a mut Rejects,
}

/// Called with a part's dictionaries and events once it holds the given
/// number of events (a streamed file sends them on and empties them).
type OnFull<'a> = (usize, &'a mut dyn FnMut(&Dictionaries, &mut Events) -> Result<(), IngestError>);

/// Reads one piece of the access log into a part of its own (own
/// dictionaries, counts and rejects). With `on_full`, the part's events are
/// handed over whenever they reach the limit.
pub(super) fn read_piece(
    files: &TableFiles,
    k: usize,
    piece: &Piece,
    tz: Tz,
    rules: &RowRules,
    bar: &crate::progress::StageBar,
    parts: Parts<'_>,
    mut on_full: Option<OnFull<'_>>,
) -> Result<PartialLog, IngestError> {
    let spool = parts.spool;
    let (path, shown) = (&files.files[k], &files.display[k]);
    let mut part =
        PartialLog { continues: piece.continues(), rejects: Rejects::spooling_in(spool), ..Default::default() };
    // Columns allocated once instead of doubling (each doubling copies
    // the part and faults in fresh pages); a refused reservation only
    // leaves them to grow. A filtered read keeps few of a file's rows:
    // reserving the file's count for each file held gigabytes.
    if parts.filter.is_none() {
        let _ = part.events.try_reserve(expected_rows(path, piece, on_full.as_ref().map(|f| f.0)));
    }
    let mut zone = ZoneCache::new(tz);
    let mut sessions = access_log::Sessions::default();
    let parquet = path.to_string_lossy().to_ascii_lowercase().ends_with(".parquet");
    if parquet && parts.filter.is_none() && on_full.is_none() {
        let rows = match piece {
            Piece::Rows { rows, .. } => Some(rows.clone()),
            _ => None,
        };
        let mut to = access_log::Target {
            file_index: 0,
            dict: &mut part.dict,
            events: &mut part.events,
            report: &mut part.counts,
            zone: &mut zone,
            sessions: &mut sessions,
            rules,
        };
        let mut file_report = FileReport {
            table: files.table,
            path: shown.to_string(),
            rows_read: 0,
            rows_accepted: 0,
            rows_rejected: 0,
        };
        let rejects = &mut part.rejects;
        let mut on_reject = |row: &Row<'_>, e: FieldError| {
            file_report.rows_rejected += 1;
            rejects.push(reject(files.table, shown, row, e));
        };
        let read = read_parquet_batches(path, &access_log::SPECS, rows, &mut |batch, projection, offset| {
            let (names, kinds) = (&projection.names, &projection.kinds);
            let read = match access_log::accept_frame(batch, kinds, names, offset, &mut to, &mut on_reject) {
                Ok(Some(read)) => read,
                // A column of a type read row by row (an integer id, a
                // datetime): the batch is, too.
                Ok(None) => {
                    emit_batch(batch, names, kinds, &projection.index, &access_log::SPECS, offset, &mut |row| {
                        let accepted = access_log::accept(
                            &row,
                            to.file_index,
                            to.dict,
                            to.events,
                            to.report,
                            to.zone,
                            to.sessions,
                            to.rules,
                        );
                        if let Err(e) = accepted {
                            on_reject(&row, e);
                        }
                    })
                    .map_err(parquet_err(path))?
                }
                Err(e) => return Err(parquet_err(path)(e)),
            };
            bar.inc(read);
            Ok(read)
        })?;
        file_report.rows_read = read;
        file_report.rows_accepted = read - file_report.rows_rejected;
        part.report.files.push(file_report);
        return Ok(part);
    }
    let mut failed: Option<IngestError> = None;
    let (dict, events, counts) = (&mut part.dict, &mut part.events, &mut part.counts);
    read_source(
        files.table,
        shown,
        &mut part.report,
        &mut part.rejects,
        bar,
        &mut |row, file_index| {
            access_log::accept(row, file_index, dict, events, counts, &mut zone, &mut sessions, rules)?;
            if let Some((limit, hand_over)) = on_full.as_mut() {
                if events.len() >= *limit && failed.is_none() {
                    failed = hand_over(dict, events).err();
                }
            }
            Ok(())
        },
        &mut |on_row| match parts.filter {
            // Only the kept rows count as read.
            Some(filter) => {
                let mut kept = 0u64;
                let mut keep = |row: Row<'_>| {
                    if row.malformed.is_none() && filter.keeps(&row) {
                        kept += 1;
                        on_row(row);
                    }
                };
                match piece {
                    Piece::Csv(c) => read_csv_chunk(path, c, &access_log::SPECS, &mut keep)?,
                    Piece::Rows { rows, .. } => read_parquet_rows(path, &access_log::SPECS, rows.clone(), &mut keep)?,
                    Piece::Whole | Piece::Stream => match parts.indexed {
                        Some(rows) => rows.emit(k, path, &mut keep)?,
                        None => read_file_filtered(path, &access_log::SPECS, filter, &mut keep)?,
                    },
                };
                Ok(kept)
            }
            None => match piece {
                Piece::Csv(c) => read_csv_chunk(path, c, &access_log::SPECS, on_row),
                Piece::Rows { rows, .. } => read_parquet_rows(path, &access_log::SPECS, rows.clone(), on_row),
                Piece::Whole | Piece::Stream => read_file(path, &access_log::SPECS, on_row),
            },
        },
    )?;
    match failed {
        Some(e) => Err(e),
        None => Ok(part),
    }
}

/// Most rows a piece of the access log may hold, for reserving its
/// columns: a Parquet range's rows, a Parquet file's footer count (bounded
/// by its size), a CSV file's or chunk's bytes over the shortest row worth
/// reserving for; at most `limit` (a streamed file's hand-over size) and
/// never past [`UNIT_ROWS`] twice over, so a lying footer reserves little.
fn expected_rows(path: &Path, piece: &Piece, limit: Option<usize>) -> usize {
    const CSV_ROW_BYTES: u64 = 64;
    let bytes = || std::fs::metadata(path).map_or(0, |m| m.len());
    let rows = match piece {
        Piece::Rows { rows, .. } => rows.end.saturating_sub(rows.start),
        Piece::Csv(c) => c.end.saturating_sub(c.start) / CSV_ROW_BYTES,
        Piece::Whole | Piece::Stream => match parquet_rows(path) {
            Some(rows) => rows.min(bytes().saturating_mul(MAX_ROWS_PER_BYTE)),
            None => bytes() / CSV_ROW_BYTES,
        },
    };
    let cap = limit.unwrap_or(2 * UNIT_ROWS).min(2 * UNIT_ROWS);
    usize::try_from(rows).unwrap_or(usize::MAX).min(cap)
}

/// Reads one access-log file from start to end on this thread, sending its
/// events to the sink every `unit_rows` events (with the codes its
/// dictionaries have so far), so that a large gzip or quoted CSV file is
/// never held whole. Its rejects and counts are merged at the end, as a
/// file read in one part would be: nothing else is merged meanwhile.
fn read_streamed(
    files: &TableFiles,
    k: usize,
    tz: Tz,
    rules: &RowRules,
    bar: &crate::progress::StageBar,
    unit_rows: usize,
    to: Merge<'_>,
) -> Result<(), IngestError> {
    let Merge { dict, sink, report, rejects } = to;
    let spool = rejects.spool_dir().map(Path::to_path_buf);
    let mut maps = Recode::default();
    let file_index = report.files.len() as u32;
    let mut send = |local: &Dictionaries, events: &mut Events| -> Result<(), IngestError> {
        remap_more(local, dict, &mut maps);
        let mut e = std::mem::take(events);
        e.source_file.iter_mut().for_each(|f| *f += file_index);
        sink.append(e, &maps)
    };
    let parts = Parts { rows: unit_rows, bounded: true, spool: spool.as_deref(), filter: None, indexed: None };
    let mut part = read_piece(files, k, &Piece::Stream, tz, rules, bar, parts, Some((unit_rows, &mut send)))?;
    send(&part.dict, &mut part.events)?;
    merge_partial(part, dict, sink, report, rejects)
}

/// `read` of every item, in item order, run on as many threads of their
/// own as rayon's pool has (fewer for fewer items), each taking the next
/// item when done with one.
///
/// Not on rayon's pool: reading a Parquet piece waits for polars, which
/// decodes in its own pool, and a rayon worker that waits for another
/// pool steals work of its own pool meanwhile. It took the batch's other
/// pieces onto its own stack, where each waits for the one above it, and
/// the other core sat idle: one file of 11.7 M rows was read on one core
/// for two thirds of its ingest. A thread of its own only waits.
pub(super) fn on_own_threads<T: Sync, R: Send>(items: &[T], read: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = rayon::current_num_threads().clamp(1, items.len().max(1));
    if threads <= 1 {
        return items.iter().map(read).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        mine.push((i, read(item)));
                    }
                    mine
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
    });
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

/// Merges parts read in file order ([`merge_partial`] each), stopping at
/// the first that failed.
fn merge_all(parts: Vec<Result<PartialLog, IngestError>>, to: &mut Merge<'_>) -> Result<(), IngestError> {
    for part in parts {
        merge_partial(part?, to.dict, &mut *to.sink, to.report, to.rejects)?;
    }
    Ok(())
}

/// Sends one file's rows to `sink`, recoding its ids into the shared
/// dictionaries.
pub(super) fn merge_partial(
    part: PartialLog,
    dict: &mut Dictionaries,
    sink: &mut dyn EventSink,
    report: &mut IngestReport,
    rejects: &mut Rejects,
) -> Result<(), IngestError> {
    let maps = remap(&part.dict, dict);
    let file_index = match (part.continues, report.files.last_mut(), part.report.files.first()) {
        (true, Some(last), Some(chunk)) => {
            last.rows_read += chunk.rows_read;
            last.rows_accepted += chunk.rows_accepted;
            last.rows_rejected += chunk.rows_rejected;
            report.files.len() as u32 - 1
        }
        _ => {
            let i = report.files.len() as u32;
            report.files.extend(part.report.files);
            i
        }
    };
    let mut e = part.events;
    e.source_file.iter_mut().for_each(|f| *f += file_index);
    sink.append(e, &maps)?;
    rejects.extend(part.rejects);
    merge_counts(&mut report.other_actions, part.counts.other_actions);
    merge_counts(&mut report.other_categories, part.counts.other_categories);
    merge_counts(&mut report.aliased, part.counts.aliased);
    Ok(())
}

/// A table the bundle lacks, and what the run therefore does not know
/// (worded by the data, not by the rules that need it: which rules are
/// skipped is the detect stage's to say, in `skipped_detectors`).
fn skipped(table: &'static str, lacking: &str) -> SkippedTable {
    SkippedTable { table, reason: format!("{table} table not in the bundle; {lacking}") }
}

/// The most access-log rows read into one part at a time, by default: a
/// larger Parquet file is read in row ranges of this size (in parallel);
/// in a spilled run, a larger file that can only be read from start to
/// end (gzip, quoted CSV) is merged every this many events.
pub(super) const UNIT_ROWS: usize = 4 << 20;

/// The most rows of a large Parquet file read into one part when the log
/// is held in memory: one file of 12 M rows in 4 M-row parts kept one of
/// two cores idle for the last third of its read; in 1 M-row parts the
/// cores share it evenly (the parts are merged in order, so the codes and
/// the results are the same).
pub(super) const MEMORY_UNIT_ROWS: usize = 1 << 20;

/// Most rows a Parquet file is believed to hold per byte of its size, for
/// up-front reservations and for cutting it into pieces.
pub(super) const MAX_ROWS_PER_BYTE: u64 = 8;

/// How one part of the access log is read.
#[derive(Debug, Clone)]
pub(super) enum Piece {
    /// The whole file into one part.
    Whole,
    /// A line-aligned chunk of a plain CSV file.
    Csv(CsvChunk),
    /// Rows `rows` of a Parquet file, the `index`-th range of the file.
    Rows { index: usize, rows: std::ops::Range<u64> },
    /// The whole file, alone, merged every so many events: a file too large
    /// to hold that only a sequential read can split.
    Stream,
}

impl Piece {
    /// A part after the first of its file.
    pub(super) fn continues(&self) -> bool {
        match self {
            Piece::Csv(c) => c.index > 0,
            Piece::Rows { index, .. } => *index > 0,
            Piece::Whole | Piece::Stream => false,
        }
    }
}

/// Cuts the access log's files into pieces of about `unit_rows` rows at
/// most (within a factor for CSV, whose rows are estimated).
/// `parquet_rows` holds each Parquet file's row count (`None` for CSV).
/// A larger file only a sequential read can split is streamed when
/// `bounded` (a run that must not hold the log), else read whole: it is
/// held anyway, and streamed files are read one at a time.
pub(super) fn plan_pieces(
    files: &[PathBuf],
    parquet_rows: &[Option<u64>],
    unit_rows: usize,
    bounded: bool,
) -> Result<Vec<(usize, Piece)>, IngestError> {
    let unit = unit_rows.max(1) as u64;
    let mut pieces = Vec::new();
    for (k, path) in files.iter().enumerate() {
        if let Some(rows) = parquet_rows[k] {
            if rows <= unit {
                pieces.push((k, Piece::Whole));
            } else {
                let ranges = (0..rows).step_by(unit as usize).map(|start| start..(start + unit).min(rows));
                pieces.extend(ranges.enumerate().map(|(index, rows)| (k, Piece::Rows { index, rows })));
            }
        } else if let Some(chunks) = plan_csv_chunks(path, rayon::current_num_threads().max(1) * 2)? {
            pieces.extend(chunks.into_iter().map(|c| (k, Piece::Csv(c))));
        } else if bounded && super::estimate::csv_rows(path) > unit {
            pieces.push((k, Piece::Stream));
        } else {
            pieces.push((k, Piece::Whole));
        }
    }
    Ok(pieces)
}

/// Reads a bundle folder. `tz` reads naive timestamps; access-log
/// timestamps are checked against the default [`InputParams`].
pub fn read_bundle(dir: &Path, tz: Tz, progress: &Progress) -> Result<Ingested, IngestError> {
    read_bundle_with_history(dir, tz, progress, None, &InputParams::default(), None)
}

/// Reads a bundle folder with earlier runs' events (the incremental state)
/// placed before the bundle's access log, as if their files came first.
/// History events carry `source_file == HISTORY_FILE`; they are not counted
/// in `events_read` (they were counted by the run that read them), but in
/// `history_events`. With `rejects_dir`, rejected rows are spooled to an
/// unlinked file there instead of held ([`Rejects::spooling_in`]).
pub fn read_bundle_with_history(
    dir: &Path,
    tz: Tz,
    progress: &Progress,
    history: Option<&dyn History>,
    input: &InputParams,
    rejects_dir: Option<&Path>,
) -> Result<Ingested, IngestError> {
    let mut events = SortedParts::default();
    let parts = Parts { spool: rejects_dir, ..Parts::IN_MEMORY };
    let data = read_bundle_into(dir, tz, progress, history, &mut events, parts, input)?;
    Ok(data.with_events(events.into_sorted()).0)
}

/// Reads a bundle folder keeping only the access-log rows `filter` keeps
/// (see `filter.rs`: pushed into the scan of Parquet files). The context
/// tables are read whole.
///
/// `context` carries the context tables from one read of the bundle to
/// the next: empty, it is filled by this read; filled, the tables are
/// taken from it rather than read again (the result is the same).
pub fn read_bundle_filtered(
    dir: &Path,
    tz: Tz,
    progress: &Progress,
    filter: &super::filter::RowFilter,
    input: &InputParams,
    context: &mut Option<ContextTables>,
) -> Result<Ingested, IngestError> {
    let parts = Parts { filter: Some(filter), ..Parts::IN_MEMORY };
    read_filtered_parts(dir, tz, progress, parts, input, context)
}

/// [`read_bundle_filtered`] with the access-log rows fetched from a row
/// index of the bundle ([`super::open_row_index`]) instead of scanned:
/// the same rows, in the same order, with the same row numbers (and the
/// same `context` cache).
pub fn read_bundle_indexed(
    dir: &Path,
    tz: Tz,
    progress: &Progress,
    filter: &super::filter::RowFilter,
    input: &InputParams,
    index: &super::row_index::RowIndex,
    context: &mut Option<ContextTables>,
) -> Result<Ingested, IngestError> {
    let rows = index.fetch(filter)?;
    let parts = Parts { filter: Some(filter), indexed: Some(&rows), ..Parts::IN_MEMORY };
    read_filtered_parts(dir, tz, progress, parts, input, context)
}

/// The in-memory read both [`read_bundle_filtered`] and
/// [`read_bundle_indexed`] make, with the context tables cached.
fn read_filtered_parts(
    dir: &Path,
    tz: Tz,
    progress: &Progress,
    parts: Parts<'_>,
    input: &InputParams,
    context: &mut Option<ContextTables>,
) -> Result<Ingested, IngestError> {
    let mut events = SortedParts::default();
    let data = read_bundle_with_context(dir, tz, progress, None, &mut events, parts, input, Some(context))?;
    Ok(data.with_events(events.into_sorted()).0)
}

/// The events of the incremental state alone, without a bundle (no
/// context tables): `investigate --state` without `--input`. Ids get the
/// codes a run over the same history gives.
pub fn read_history_only(tz: Tz, history: &dyn History) -> Result<Ingested, IngestError> {
    let mut dict = Dictionaries::default();
    let mut parts = SortedParts::default();
    let mut report = IngestReport { history_events: history.events() as u64, ..Default::default() };
    merge_history(history, &mut dict, &mut parts)?;
    EventSink::finish(&mut parts)?;
    let events = parts.into_sorted();
    report.skipped_tables.push(skipped("users", "no bundle was given with the state folder"));
    Ok(Ingested {
        dir: PathBuf::new(),
        tz,
        dict,
        events,
        roster: None,
        patients: None,
        encounters: None,
        contacts: None,
        care_teams: None,
        report,
        rejects: Rejects::spooling_in(None),
    })
}

/// How much of the access log one part may hold.
#[derive(Debug, Clone, Copy)]
pub(super) struct Parts<'a> {
    /// Rows read into one part, about (a few parts are read at a time).
    pub rows: usize,
    /// Whether this bounds every file (a spilled run), so that a large file
    /// only a sequential read can split is streamed rather than held.
    pub bounded: bool,
    /// Where rejected rows are spooled ([`Rejects::spooling_in`]); `None`
    /// keeps them in memory.
    pub spool: Option<&'a Path>,
    /// Only these rows of the access log are kept (`investigate`).
    pub filter: Option<&'a super::filter::RowFilter>,
    /// The kept rows, fetched from a row index (with `filter`).
    pub indexed: Option<&'a super::row_index::IndexedRows>,
}

impl Parts<'static> {
    /// In memory: large Parquet files are read in ranges (in parallel), any
    /// other file whole; rejects kept in memory.
    pub const IN_MEMORY: Parts<'static> =
        Parts { rows: MEMORY_UNIT_ROWS, bounded: false, spool: None, filter: None, indexed: None };
}

/// Reads a bundle folder, sending the access log's events (after the
/// history's, if any) to `sink`, not into the result. Each part
/// of the log read on its own holds at most about `parts.rows` rows when
/// `parts.bounded`, whatever the files' sizes.
pub(super) fn read_bundle_into(
    dir: &Path,
    tz: Tz,
    progress: &Progress,
    history: Option<&dyn History>,
    sink: &mut dyn EventSink,
    parts: Parts<'_>,
    input: &InputParams,
) -> Result<Ingested<()>, IngestError> {
    read_bundle_with_context(dir, tz, progress, history, sink, parts, input, None)
}

/// The context tables of a bundle as one read left them, with the
/// dictionaries, report and rejects they filled before any access-log row:
/// what a later read of the same bundle starts from instead of reading
/// them again (`investigate patient` reads the bundle's log filtered
/// several times).
#[derive(Debug, Clone)]
pub struct ContextTables {
    dict: Dictionaries,
    report: IngestReport,
    rejects: Rejects,
    roster: Option<Roster>,
    patients: Option<Patients>,
    encounter_rows: Option<(Vec<crate::model::Encounter>, Vec<&'static str>)>,
    contacts: Option<Contacts>,
    care_teams: Option<CareTeams>,
}

impl ContextTables {
    /// The dictionaries the context tables filled (their ids' codes,
    /// before any access-log row's).
    pub fn dict(&self) -> &Dictionaries {
        &self.dict
    }

    /// The tables with `dict`, the dictionaries a whole read of the same
    /// bundle filled (a cluster's driver's): a filtered read from them
    /// gives its rows the codes the whole read gave them (every id of the
    /// rows is in `dict` already). `None` when `dict` does not begin with
    /// the codes these tables gave (not the same bundle).
    pub fn with_dictionaries(mut self, dict: Dictionaries) -> Option<ContextTables> {
        let prefix = |own: &crate::model::Dictionary, all: &crate::model::Dictionary| {
            own.len() <= all.len() && (0..own.len() as crate::model::Code).all(|c| own.name(c) == all.name(c))
        };
        let (own, all) = (&self.dict, &dict);
        let fits = prefix(&own.users, &all.users)
            && prefix(&own.patients, &all.patients)
            && prefix(&own.departments, &all.departments)
            && prefix(&own.workstations, &all.workstations)
            && prefix(&own.ips, &all.ips);
        fits.then(|| {
            self.dict = dict;
            self
        })
    }
}

/// An optional table of the bundle: `read` over its files, or, when the
/// bundle has none, `None` and the table listed as skipped with `why`.
fn optional_table<T>(
    dir: &Path,
    table: &'static str,
    why: &'static str,
    report: &mut IngestReport,
    read: impl FnOnce(&TableFiles, &mut IngestReport) -> Result<T, IngestError>,
) -> Result<Option<T>, IngestError> {
    match locate(dir, table)? {
        None => {
            report.skipped_tables.push(skipped(table, why));
            Ok(None)
        }
        Some(files) => read(&files, report).map(Some),
    }
}

/// [`read_bundle_into`], the context tables taken from `context` when it
/// holds them, else read and, with `context`, kept in it.
#[allow(clippy::too_many_arguments)]
pub(super) fn read_bundle_with_context(
    dir: &Path,
    tz: Tz,
    progress: &Progress,
    history: Option<&dyn History>,
    sink: &mut dyn EventSink,
    parts: Parts<'_>,
    input: &InputParams,
    mut context: Option<&mut Option<ContextTables>>,
) -> Result<Ingested<()>, IngestError> {
    let mut given = context.as_deref().and_then(Option::clone);
    let unit_rows = parts.rows;
    if !dir.is_dir() {
        return Err(IngestError::NotABundle(dir.to_path_buf()));
    }
    let access_files =
        locate(dir, "access_log")?.ok_or(IngestError::MissingTable { dir: dir.to_path_buf(), table: "access_log" })?;
    let rules = RowRules::new(Plausible::for_files(&access_files.files, input, std::time::SystemTime::now()), input);
    let access_duplicates = access_files.duplicates.clone();
    let mut dict = Dictionaries::default();
    let mut report = IngestReport::default();
    let mut rejects = Rejects::spooling_in(parts.spool);
    let mut zone = ZoneCache::new(tz);
    let bar = progress.stage("ingest");

    // The context tables are read (into the shared dictionaries, first)
    // while the first batch of access-log files is read into its own.
    let mut read_context = || -> Result<_, IngestError> {
        if let Some(c) = given.take() {
            (dict, report, rejects) = (c.dict, c.report, c.rejects);
            return Ok((c.roster, c.patients, c.encounter_rows, c.contacts, c.care_teams));
        }
        let roster = optional_table(
            dir,
            "users",
            "no user has a job title, department, employment dates, name or address",
            &mut report,
            |files, report| {
                let mut roster = Roster::with_columns(present_columns(files, &roster::SPECS)?);
                let mut seen = Vec::new();
                read_table(files, &roster::SPECS, report, &mut rejects, &bar, &mut |row, _| {
                    roster::accept(row, &mut dict, &mut roster, &mut seen)
                })?;
                Ok(roster)
            },
        )?;

        let patients = optional_table(
            dir,
            "patients",
            "no patient is flagged VIP, restricted or deceased, or has a name or address",
            &mut report,
            |files, report| {
                let mut table = Patients::with_columns(present_columns(files, &patients::SPECS)?);
                let mut seen = HashMap::new();
                read_table(files, &patients::SPECS, report, &mut rejects, &bar, &mut |row, _| {
                    patients::accept(row, &mut dict, &mut table, &mut seen)
                })?;
                Ok(table)
            },
        )?;

        let encounter_rows = optional_table(
            dir,
            "encounters",
            "no access can be explained by an encounter, so more accesses stay unexplained",
            &mut report,
            |files, report| {
                let columns = present_columns(files, &encounters::SPECS)?;
                let mut rows = Vec::new();
                let mut seen = HashMap::new();
                read_table(files, &encounters::SPECS, report, &mut rejects, &bar, &mut |row, _| {
                    encounters::accept(row, &mut dict, &mut rows, &mut seen, &mut zone)
                })?;
                Ok((rows, columns))
            },
        )?;

        let contacts = optional_table(
            dir,
            "patient_contacts",
            "no patient has a listed contact (relative or emergency contact)",
            &mut report,
            |files, report| {
                let mut rows = Vec::new();
                read_table(files, &contacts::SPECS, report, &mut rejects, &bar, &mut |row, _| {
                    contacts::accept(row, &mut dict, &mut rows)
                })?;
                Ok(Contacts { rows })
            },
        )?;

        let care_teams = optional_table(
            dir,
            "care_team",
            "no care-team or study-team assignment links a user to a patient, so only encounters, charting and learned patterns explain accesses",
            &mut report,
            |files, report| {
                let mut teams = CareTeams::default();
                read_table(files, &care_team::SPECS, report, &mut rejects, &bar, &mut |row, _| {
                    care_team::accept(row, &mut dict, &mut teams, &mut zone)
                })?;
                Ok(teams)
            },
        )?;
        Ok((roster, patients, encounter_rows, contacts, care_teams))
    };

    // Parquet metadata gives the row counts up front: columns allocated
    // once at their final size, instead of doubling (and copying) as files
    // are merged, which at 100 M events is seconds and gigabytes.
    // A footer's count is believed only as far as the file's size allows
    // (a row takes at least a bit or so in any column that varies; the
    // bound is generous), so a lying footer cannot reserve gigabytes.
    let file_rows: Vec<Option<u64>> = access_files
        .files
        .par_iter()
        .map(|f| {
            let bytes = std::fs::metadata(f).map_or(0, |m| m.len());
            parquet_rows(f).map(|rows| rows.min(bytes.saturating_mul(MAX_ROWS_PER_BYTE)))
        })
        .collect();
    let known_rows: u64 = file_rows.iter().flatten().sum();
    // (A filtered read keeps few of them: nothing is reserved.)
    if parts.filter.is_none() {
        sink.reserve(
            usize::try_from(known_rows).unwrap_or(usize::MAX).saturating_add(history.map_or(0, |h| h.events())),
        )?;
    }
    // The access log's files (one per day, typically) are read in parallel,
    // each into its own dictionaries, then merged in file order: interning a
    // file's values in their order of first appearance after the previous
    // files' gives exactly the codes a sequential read would.
    // A few files per thread at a time, so memory holds one batch of
    // partial results, not the whole log twice.
    let batch = rayon::current_num_threads().max(1) * 2;
    // Large plain CSV files are split into line-aligned chunks read in
    // parallel too (when no field is quoted, so no record spans lines), and
    // large Parquet files into row ranges.
    // A filtered read scans each Parquet file whole, with the filter pushed
    // into the scan: the kept rows are few, and a range would hide them
    // from the predicate.
    let unit_rows = if parts.filter.is_some() { usize::MAX } else { unit_rows };
    let pieces = plan_pieces(&access_files.files, &file_rows, unit_rows, parts.bounded)?;
    let read_batch = |batch: &[(usize, Piece)]| -> Vec<Result<PartialLog, IngestError>> {
        on_own_threads(batch, |(k, piece)| read_piece(&access_files, *k, piece, tz, &rules, &bar, parts, None))
    };
    // Pieces read in parallel, a batch at a time; a streamed file alone.
    let mut groups: Vec<&[(usize, Piece)]> = Vec::new();
    let mut rest = &pieces[..];
    while !rest.is_empty() {
        let n = match rest.iter().position(|(_, p)| matches!(p, Piece::Stream)) {
            Some(0) => 1,
            Some(i) => i.min(batch),
            None => rest.len().min(batch),
        };
        let (group, tail) = rest.split_at(n);
        groups.push(group);
        rest = tail;
    }
    let mut groups = groups.into_iter();
    // The context tables are read while the first batch is (a streamed
    // file waits for them).
    let first: &[(usize, Piece)] = match groups.as_slice().first().copied() {
        Some(g) if !matches!(g, [(_, Piece::Stream)]) => {
            groups.next();
            g
        }
        _ => &[],
    };
    let (tables, first) = rayon::join(&mut read_context, || read_batch(first));
    let (roster, patients, encounter_rows, contacts, care_teams) = tables?;
    if let Some(keep) = context.as_deref_mut().filter(|k| k.is_none()) {
        *keep = Some(ContextTables {
            dict: dict.clone(),
            report: report.clone(),
            rejects: rejects.clone(),
            roster: roster.clone(),
            patients: patients.clone(),
            encounter_rows: encounter_rows.clone(),
            contacts: contacts.clone(),
            care_teams: care_teams.clone(),
        });
    }
    if let Some(h) = history {
        report.history_events = h.events() as u64;
        merge_history(h, &mut dict, sink)?;
    }
    let first_access_file = report.files.len();
    // Each batch is merged (in file order, on one thread: the shared
    // dictionaries, the sink) while the next one is read on the other
    // threads, so that the merge (recoding, a spill's writes) is no serial
    // step between reads. The merge comes first, so the first error in file
    // order is the one returned, as a read one batch at a time returns it.
    let mut pending = first;
    for group in groups {
        let mut merge = Merge { dict: &mut dict, sink: &mut *sink, report: &mut report, rejects: &mut rejects };
        if let [(k, Piece::Stream)] = group {
            merge_all(std::mem::take(&mut pending), &mut merge)?;
            read_streamed(&access_files, *k, tz, &rules, &bar, unit_rows, merge)?;
            continue;
        }
        let (merged, next) = rayon::join(|| merge_all(std::mem::take(&mut pending), &mut merge), || read_batch(group));
        merged?;
        pending = next;
    }
    merge_all(pending, &mut Merge { dict: &mut dict, sink: &mut *sink, report: &mut report, rejects: &mut rejects })?;
    report.duplicate_files.extend(access_duplicates);
    let access_reports = &report.files[first_access_file..];
    report.events_read = access_reports.iter().map(|f| f.rows_read).sum();
    report.events_accepted = access_reports.iter().map(|f| f.rows_accepted).sum();
    report.events_rejected = access_reports.iter().map(|f| f.rows_rejected).sum();
    sink.finish()?;
    bar.finish();

    let encounters = encounter_rows.map(|(rows, columns)| Encounters::new(rows, dict.patients.len(), columns));
    Ok(Ingested {
        dir: dir.to_path_buf(),
        tz,
        dict,
        events: (),
        roster,
        patients,
        encounters,
        contacts,
        care_teams,
        report,
        rejects,
    })
}
