//! The access log read a slice at a time by separate processes (a
//! cluster's scan tasks), and the slices joined again into what one whole
//! read gives: the same dictionaries, codes, file reports and rejects.
//!
//! The log's files are cut into pieces ([`log_pieces`]: a Parquet file in
//! row ranges, as an in-memory read cuts it, any other file whole); a
//! slice is a contiguous run of pieces. [`read_log_slice`] reads a slice
//! with the same per-piece code the whole read runs (`read_piece`,
//! `merge_partial`), into dictionaries of its own that start empty: each
//! id in its order of first appearance in the slice. [`join_slices`]
//! interns every slice's ids after the context tables', slice by slice in
//! file order. A whole read interns each piece's ids in its order of
//! first appearance after the previous pieces', so both give every id the
//! same code (interning in order is associative: a slice's first-seen
//! list is its pieces' lists merged in order).
//!
//! Invariants: joining the slices of any cut of the pieces gives the
//! dictionaries, report (files, counts) and rejects of
//! [`super::read_bundle`]; a slice's events, recoded with the maps
//! [`join_slices`] returns and their `source_file` moved by the slice's
//! base, are the whole read's events of those pieces in input order.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use chrono_tz::Tz;
use rayon::prelude::*;

use super::aliases::RowRules;
use super::bundle::{
    merge_counts, merge_partial, read_bundle_with_context, read_piece, remap, ContextTables, EventSink, Ingested,
    Parts, Piece, MAX_ROWS_PER_BYTE, MEMORY_UNIT_ROWS,
};
use super::error::IngestError;
use super::plausible::Plausible;
use super::rejects::Rejects;
use super::report::{FileReport, IngestReport};
use super::row_index::IndexedRows;
use super::source::{locate, parquet_rows, TableFiles};
use crate::config::InputParams;
use crate::model::{Dictionaries, Events, Recode};
use crate::progress::Progress;

/// The access log's files and the pieces a slice is made of.
#[derive(Debug, Clone)]
pub struct LogPieces {
    files: TableFiles,
    /// (file, piece) in reading order.
    pieces: Vec<(usize, Piece)>,
    /// Rows of each piece, as far as known before reading (Parquet
    /// metadata; a CSV file's size over 64 bytes a row).
    rows: Vec<u64>,
}

impl LogPieces {
    /// Number of pieces.
    pub fn len(&self) -> usize {
        self.pieces.len()
    }

    /// Whether the log has no piece (no file).
    pub fn is_empty(&self) -> bool {
        self.pieces.is_empty()
    }

    /// `n` contiguous ranges of pieces (as many as there are pieces when
    /// fewer), in order, covering every piece, of about equal rows.
    pub fn slices(&self, n: usize) -> Vec<Range<usize>> {
        let len = self.pieces.len();
        if len == 0 {
            return Vec::new();
        }
        let n = n.clamp(1, len);
        // Rows before each piece.
        let before: Vec<u64> = self.rows.iter().scan(0u64, |acc, &r| Some(std::mem::replace(acc, *acc + r))).collect();
        let total: u64 = self.rows.iter().sum();
        let mut cuts = vec![0usize];
        for j in 1..n {
            let target = total.saturating_mul(j as u64) / n as u64;
            let at = before.partition_point(|&b| b < target);
            let last = cuts[cuts.len() - 1];
            cuts.push(at.max(last + 1).min(len - (n - j)));
        }
        cuts.push(len);
        cuts.windows(2).map(|w| w[0]..w[1]).collect()
    }
}

/// The access log of the bundle `dir` cut into pieces: a Parquet file
/// into ranges of at most [`MEMORY_UNIT_ROWS`] rows, any other file
/// whole. The same on every machine that reads the same files (it does
/// not depend on the number of threads).
pub fn log_pieces(dir: &Path) -> Result<LogPieces, IngestError> {
    if !dir.is_dir() {
        return Err(IngestError::NotABundle(dir.to_path_buf()));
    }
    let files =
        locate(dir, "access_log")?.ok_or(IngestError::MissingTable { dir: dir.to_path_buf(), table: "access_log" })?;
    let file_rows: Vec<(Option<u64>, u64)> = files
        .files
        .par_iter()
        .map(|f| {
            let bytes = std::fs::metadata(f).map_or(0, |m| m.len());
            (parquet_rows(f).map(|rows| rows.min(bytes.saturating_mul(MAX_ROWS_PER_BYTE))), bytes)
        })
        .collect();
    let unit = MEMORY_UNIT_ROWS as u64;
    let (mut pieces, mut rows) = (Vec::new(), Vec::new());
    for (k, (parquet, bytes)) in file_rows.into_iter().enumerate() {
        match parquet {
            Some(n) if n > unit => {
                for (index, start) in (0..n).step_by(unit as usize).enumerate() {
                    let end = (start + unit).min(n);
                    pieces.push((k, Piece::Rows { index, rows: start..end }));
                    rows.push(end - start);
                }
            }
            Some(n) => {
                pieces.push((k, Piece::Whole));
                rows.push(n);
            }
            None => {
                pieces.push((k, Piece::Whole));
                rows.push(bytes / 64);
            }
        }
    }
    Ok(LogPieces { files, pieces, rows })
}

/// One slice of the access log, read on its own.
#[derive(Debug, Default)]
pub struct LogSlice {
    /// The slice's own dictionaries: each id in its order of first
    /// appearance in the slice.
    pub dict: Dictionaries,
    /// The accepted events in input order, in the slice's codes, each
    /// `source_file` an index into `files`.
    pub events: Events,
    /// One report per file (or file's part) of the slice, in order.
    pub files: Vec<FileReport>,
    /// Whether the slice's first piece continues a file the previous
    /// slice began (its report then joins that file's).
    pub continues: bool,
    /// The slice's rejected rows, in input order (in memory).
    pub rejects: Rejects,
    /// Actions the log names that ehrwatch does not know, counted.
    pub other_actions: BTreeMap<String, u64>,
    /// Data categories the log names that ehrwatch does not know, counted.
    pub other_categories: BTreeMap<String, u64>,
    /// Actions and categories read through a built-in alias, counted.
    pub aliased: BTreeMap<String, u64>,
}

/// A sink keeping parts in input order, recoded.
#[derive(Default)]
struct InOrder(Events);

impl EventSink for InOrder {
    fn append(&mut self, mut part: Events, maps: &Recode) -> Result<(), IngestError> {
        part.recode(maps);
        self.0.append(part);
        Ok(())
    }

    fn finish(&mut self) -> Result<(), IngestError> {
        Ok(())
    }
}

/// Reads the pieces `range` of `pieces` (of the bundle `dir`), a few in
/// parallel, with the code a whole read runs on each piece; rows are
/// checked against `input` as a whole read of the same files at `now`
/// checks them (the run's clock: every slice of a run is given the same).
pub fn read_log_slice(
    pieces: &LogPieces,
    range: Range<usize>,
    tz: Tz,
    input: &InputParams,
    now: std::time::SystemTime,
) -> Result<LogSlice, IngestError> {
    let files = &pieces.files;
    let chosen = pieces.pieces.get(range.clone()).ok_or_else(|| IngestError::Read {
        file: files.files.first().cloned().unwrap_or_default(),
        line: 0,
        message: format!(
            "no pieces {range:?} in an access log of {} pieces (did the log change?)",
            pieces.pieces.len()
        ),
    })?;
    let rules = RowRules::new(Plausible::for_files(&files.files, input, now), input);
    let bar = Progress::hidden().stage("scan");
    let parts = Parts::IN_MEMORY;
    let mut dict = Dictionaries::default();
    let mut sink = InOrder::default();
    let mut report = IngestReport::default();
    let mut rejects = Rejects::spooling_in(None);
    let batch = rayon::current_num_threads().max(1) * 2;
    for group in chosen.chunks(batch) {
        let read: Vec<_> =
            group.par_iter().map(|(k, piece)| read_piece(files, *k, piece, tz, &rules, &bar, parts, None)).collect();
        for part in read {
            merge_partial(part?, &mut dict, &mut sink, &mut report, &mut rejects)?;
        }
    }
    Ok(LogSlice {
        dict,
        events: sink.0,
        files: report.files,
        continues: chosen.first().is_some_and(|(_, p)| p.continues()),
        rejects,
        other_actions: report.other_actions,
        other_categories: report.other_categories,
        aliased: report.aliased,
    })
}

/// Reads the bundle's context tables (users, patients, encounters,
/// contacts) and not one access-log row: the tables with their
/// dictionaries, report and rejects, as a whole read has them before its
/// first access-log row (the access log's files are listed with no row).
/// `context` as [`super::read_bundle_filtered`]'s: empty, it is filled;
/// filled (say, with a whole run's dictionaries,
/// [`ContextTables::with_dictionaries`]), the tables come from it.
pub fn read_context(
    dir: &Path,
    tz: Tz,
    progress: &Progress,
    input: &InputParams,
    context: &mut Option<ContextTables>,
) -> Result<Ingested<()>, IngestError> {
    let none = super::filter::RowFilter::default();
    let rows = IndexedRows::none();
    let parts = Parts { filter: Some(&none), indexed: Some(&rows), ..Parts::IN_MEMORY };
    let mut sink = InOrder::default();
    let mut data = read_bundle_with_context(dir, tz, progress, None, &mut sink, parts, input, Some(context))?;
    // The access log's files, each listed with no row: not the whole
    // read's report, which lists them with their rows.
    let context_files = data.report.files.len() - data.report.files.iter().filter(|f| f.table == "access_log").count();
    data.report.files.truncate(context_files);
    Ok(data)
}

/// What a slice's read tells the run besides its events: [`LogSlice`]
/// without them.
#[derive(Debug, Default)]
pub struct SliceSummary {
    /// As [`LogSlice::dict`].
    pub dict: Dictionaries,
    /// As [`LogSlice::files`].
    pub files: Vec<FileReport>,
    /// As [`LogSlice::continues`].
    pub continues: bool,
    /// As [`LogSlice::rejects`].
    pub rejects: Rejects,
    /// As [`LogSlice::other_actions`].
    pub other_actions: BTreeMap<String, u64>,
    /// As [`LogSlice::other_categories`].
    pub other_categories: BTreeMap<String, u64>,
    /// As [`LogSlice::aliased`].
    pub aliased: BTreeMap<String, u64>,
}

impl LogSlice {
    /// The slice without its events.
    pub fn summary(self) -> (SliceSummary, Events) {
        let LogSlice { dict, events, files, continues, rejects, other_actions, other_categories, aliased } = self;
        (SliceSummary { dict, files, continues, rejects, other_actions, other_categories, aliased }, events)
    }
}

/// How a slice's events become the whole run's: its codes' maps, and the
/// index in the run's file reports of its first file (added to every
/// event's `source_file`).
#[derive(Debug, Default)]
pub struct SliceJoin {
    /// Slice code to run code, per id space.
    pub maps: Recode,
    /// The run's index of the slice's file 0.
    pub base: u32,
}

/// The run's tables from the context tables (`context`, as
/// [`read_context`] left them) and every slice of the log, in order:
/// what [`super::read_bundle`] gives without its events (dictionaries,
/// file reports, counts, rejects), and how each slice's events join.
pub fn join_slices(
    dir: &Path,
    tz: Tz,
    input: &InputParams,
    context: ContextTables,
    slices: Vec<SliceSummary>,
) -> Result<(Ingested<()>, Vec<SliceJoin>), IngestError> {
    let mut dict = context.dict().clone();
    let maps: Vec<Recode> = slices.iter().map(|s| remap(&s.dict, &mut dict)).collect();
    let seeded = context.with_dictionaries(dict);
    let mut seeded = Some(seeded.ok_or_else(|| IngestError::Read {
        file: dir.to_path_buf(),
        line: 0,
        message: "the context tables changed while the log was read".into(),
    })?);
    let mut data = read_context(dir, tz, &Progress::hidden(), input, &mut seeded)?;
    let first_access_file = data.report.files.len();
    let mut joins = Vec::with_capacity(slices.len());
    for (s, maps) in slices.into_iter().zip(maps) {
        let files = &mut data.report.files;
        let mut own = s.files.into_iter();
        let base = match (s.continues && files.len() > first_access_file, files.last_mut()) {
            (true, Some(last)) => {
                if let Some(part) = own.next() {
                    last.rows_read += part.rows_read;
                    last.rows_accepted += part.rows_accepted;
                    last.rows_rejected += part.rows_rejected;
                }
                files.len() as u32 - 1
            }
            _ => files.len() as u32,
        };
        files.extend(own);
        data.rejects.extend(s.rejects);
        merge_counts(&mut data.report.other_actions, s.other_actions);
        merge_counts(&mut data.report.other_categories, s.other_categories);
        merge_counts(&mut data.report.aliased, s.aliased);
        joins.push(SliceJoin { maps, base });
    }
    let access = &data.report.files[first_access_file..];
    data.report.events_read = access.iter().map(|f| f.rows_read).sum();
    data.report.events_accepted = access.iter().map(|f| f.rows_accepted).sum();
    data.report.events_rejected = access.iter().map(|f| f.rows_rejected).sum();
    Ok((data, joins))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_fixture::{simulated_bundle_with, BundleFormat};

    /// The whole read's events, and the slices' joined: recoded, moved to
    /// the run's file indices, concatenated in order and sorted.
    fn joined_events(slices: &[(LogSlice, &SliceJoin)]) -> Events {
        let mut all = crate::model::SortedParts::default();
        for (slice, join) in slices {
            let mut e = slice.events.clone();
            e.recode(&join.maps);
            e.source_file.iter_mut().for_each(|f| *f += join.base);
            all.push(e);
        }
        all.into_sorted()
    }

    fn rejects_of(r: &Rejects) -> (Vec<crate::ingest::RejectedRow>, u64, Vec<(String, String, u64)>) {
        let mut rows = Vec::new();
        r.each_row(&mut |row| rows.push(row)).expect("rows");
        let counts = r.column_counts().map(|(t, c, n)| (t.to_string(), c.to_string(), n)).collect();
        (rows, r.unlisted, counts)
    }

    /// Every cut of `dir`'s log into `n` slices joins into the whole read
    /// (which rejects at least `rejected` access-log rows).
    fn slices_join_into_the_whole_read(dir: &Path, tz: Tz, n: usize, rejected: u64) {
        let input = InputParams::default();
        let whole = crate::ingest::read_bundle_with_history(dir, tz, &Progress::hidden(), None, &input, None)
            .expect("whole read");
        assert!(whole.report.events_rejected >= rejected, "{} rejected", whole.report.events_rejected);
        let pieces = log_pieces(dir).expect("pieces");
        let cut = pieces.slices(n);
        assert_eq!(cut.len(), n.min(pieces.len()), "{} pieces", pieces.len());
        assert!(cut.iter().all(|r| !r.is_empty()) && cut.last().map(|r| r.end) == Some(pieces.len()));
        let read: Vec<LogSlice> = cut
            .iter()
            .map(|r| read_log_slice(&pieces, r.clone(), tz, &input, std::time::SystemTime::now()).expect("slice"))
            .collect();
        let mut context = None;
        read_context(dir, tz, &Progress::hidden(), &input, &mut context).expect("context");
        let summaries = read
            .iter()
            .map(|s| SliceSummary {
                dict: s.dict.clone(),
                files: s.files.clone(),
                continues: s.continues,
                rejects: s.rejects.clone(),
                other_actions: s.other_actions.clone(),
                other_categories: s.other_categories.clone(),
                aliased: s.aliased.clone(),
            })
            .collect();
        let (data, joins) = join_slices(dir, tz, &input, context.expect("context kept"), summaries).expect("joined");
        for (a, b, what) in [
            (&data.dict.users, &whole.dict.users, "users"),
            (&data.dict.patients, &whole.dict.patients, "patients"),
            (&data.dict.departments, &whole.dict.departments, "departments"),
            (&data.dict.workstations, &whole.dict.workstations, "workstations"),
            (&data.dict.ips, &whole.dict.ips, "ips"),
        ] {
            assert_eq!(a.len(), b.len(), "{what}");
            assert!((0..a.len() as u32).all(|c| a.name(c) == b.name(c)), "{what}: another code order");
        }
        let files = |r: &IngestReport| {
            r.files
                .iter()
                .map(|f| (f.table, f.path.clone(), f.rows_read, f.rows_accepted, f.rows_rejected))
                .collect::<Vec<_>>()
        };
        assert_eq!(files(&data.report), files(&whole.report));
        assert_eq!(
            (data.report.events_read, data.report.events_accepted, data.report.events_rejected),
            (whole.report.events_read, whole.report.events_accepted, whole.report.events_rejected)
        );
        assert_eq!(data.report.other_actions, whole.report.other_actions);
        assert_eq!(data.report.duplicate_files, whole.report.duplicate_files);
        assert_eq!(rejects_of(&data.rejects), rejects_of(&whole.rejects));
        assert_eq!(data.encounters.is_some(), whole.encounters.is_some());
        let pairs: Vec<(LogSlice, &SliceJoin)> = read.into_iter().zip(&joins).collect();
        let events = joined_events(&pairs);
        let w = &whole.events;
        assert_eq!(events.len(), w.len());
        assert_eq!((&events.user, &events.patient, &events.ts), (&w.user, &w.patient, &w.ts));
        assert_eq!((&events.workstation, &events.ip, &events.department), (&w.workstation, &w.ip, &w.department));
        assert_eq!((&events.action, &events.category, &events.break_glass), (&w.action, &w.category, &w.break_glass));
        assert_eq!((&events.source_file, &events.source_line), (&w.source_file, &w.source_line));
    }

    #[test]
    fn the_samples_slices_join_into_the_whole_read() {
        let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample");
        let tz = chrono_tz::America::Chicago;
        for n in [1, 2, 3] {
            slices_join_into_the_whole_read(&sample, tz, n, 0);
        }
    }

    #[test]
    fn a_daily_parquet_worlds_slices_join_into_the_whole_read_with_its_rejects() {
        let dir = simulated_bundle_with(BundleFormat::Parquet, |p| {
            (p.users, p.patients, p.days, p.seed, p.incidents) = (60, 600, 6, 17, 2);
        });
        let bundle = dir.path().join("bundle");
        let files = crate::ingest::access_log_files(&bundle).expect("files");
        assert!(files.len() >= 5, "{} files", files.len());
        // A CSV day with rows that are rejected, between Parquet days:
        // slices mix both, and their rejects keep their lines.
        let csv = bundle.join("access_log").join("zz-extra.csv");
        let rows = "timestamp,user_id,patient_id,action\nnot a date,NEWUSER,P-NEW,view\n2026-01-03 10:00:00,NEWUSER2,P-NEW2,view\n";
        std::fs::write(&csv, rows).expect("csv");
        assert_eq!(crate::ingest::access_log_files(&bundle).map(|f| f.len()).ok(), Some(files.len() + 1));
        let tz = chrono_tz::UTC;
        let pieces = log_pieces(&bundle).expect("pieces").len();
        for n in [1, 2, 3, pieces] {
            slices_join_into_the_whole_read(&bundle, tz, n, 1);
        }
    }
}
