//! The row index: a copy of a Parquet access log's rows kept twice, once
//! ordered by user and once by patient, so that `investigate patient` reads
//! one patient's rows, and every row of a few users, without scanning the
//! log (`ehrwatch index` builds it; `investigate patient` uses it when it
//! matches the log's files).
//!
//! Daily files hold every user's rows of the day in time order, so neither
//! Parquet statistics (the min/max of `user_id` and `patient_id` in a row
//! group span nearly every id) nor a list of row groups per id can skip
//! much: 47 users' rows are in every row group of every file. The index
//! therefore stores the rows themselves, normalised as the reader projects
//! them (`source::projection`), with their file and row number, in
//! `by_user-GEN.parquet` and `by_patient-GEN.parquet` (row groups of
//! 16 Ki rows, each id's rows contiguous), and each id's row range in
//! `by_user-GEN.keys.parquet` and `by_patient-GEN.keys.parquet`.
//! `manifest.json` names the generation and, per access-log file, its
//! path in the bundle, size, modification time and the SHA-256 of its last
//! 64 KiB (a Parquet file's footer, with its row groups' offsets and
//! statistics), and how each column was read.
//!
//! Invariants: a filtered read through the index hands `access_log::accept`
//! the same rows, with the same cells, in the same order and with the same
//! row numbers as the filtered scan of the files (`source::filtered_frame`);
//! an index whose files do not match the bundle's is never used (the
//! caller scans instead); the folder and its files are owner-only, and hold
//! the access log's columns only (ids, no names: the log has none).

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use polars::prelude::*;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::access_log::SPECS;
use super::error::IngestError;
use super::filter::RowFilter;
use super::source::{emit_batch, locate, parquet_err, parquet_rows, projection, Kind, Row};

/// The index's folder inside a bundle when no other is given.
pub const INDEX_DIR: &str = ".ehrwatch-index";
/// Version of the index layout; an index of another version is not used.
pub const INDEX_FORMAT: u32 = 1;
/// Rows per row group of the ordered copies: a patient's few rows cost
/// at most a group or two decoded.
const ROW_GROUP_ROWS: usize = 16_384;
/// Buckets the rows are spread over before each is sorted, so building
/// holds about 1/64 of the log at a time.
const BUCKETS: usize = 64;
/// Bytes at the end of each file whose hash keys it.
const TAIL_BYTES: u64 = 64 * 1024;
const MANIFEST: &str = "manifest.json";
const FILE: &str = "__file";
const ROW: &str = "__row";
const KEY: &str = "__key";

/// One of the two orders of the copy.
#[derive(Debug, Clone, Copy)]
enum Order {
    User,
    Patient,
}

impl Order {
    const BOTH: [Order; 2] = [Order::User, Order::Patient];

    fn name(self) -> &'static str {
        match self {
            Order::User => "by_user",
            Order::Patient => "by_patient",
        }
    }

    /// The id's place in `access_log::SPECS`.
    fn slot(self) -> usize {
        match self {
            Order::User => 1,
            Order::Patient => 2,
        }
    }
}

/// What identifies an access-log file's content, cheaply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct FileStamp {
    /// Path relative to the bundle.
    name: String,
    bytes: u64,
    modified_ns: u64,
    tail_sha256: String,
}

/// One indexed access-log file.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct IndexedFile {
    stamp: FileStamp,
    rows: u64,
    /// Per column of `access_log::SPECS`: how it was read, or `None` when
    /// the file has no such column.
    kinds: Vec<Option<String>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Manifest {
    format: u32,
    /// Names the data files of this build.
    generation: String,
    rows: u64,
    files: Vec<IndexedFile>,
}

/// What `ehrwatch index` built.
#[derive(Debug, Clone)]
pub struct IndexSummary {
    /// Access-log files indexed.
    pub files: usize,
    /// Rows indexed (each kept twice).
    pub rows: u64,
    /// Bytes of the index's files.
    pub bytes: u64,
    /// The index folder.
    pub dir: PathBuf,
}

fn stamp(path: &Path, shown: &str) -> std::io::Result<FileStamp> {
    let meta = std::fs::metadata(path)?;
    let modified_ns = meta
        .modified()?
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    let mut f = File::open(path)?;
    let len = meta.len();
    f.seek(SeekFrom::Start(len.saturating_sub(TAIL_BYTES)))?;
    let mut tail = Vec::new();
    f.take(TAIL_BYTES).read_to_end(&mut tail)?;
    let digest = Sha256::digest(&tail);
    let tail_sha256 = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    Ok(FileStamp { name: shown.to_string(), bytes: len, modified_ns, tail_sha256 })
}

/// A stable bucket of an id (FNV-1a).
fn bucket(id: &str) -> usize {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h % BUCKETS as u64) as usize
}

/// Builds the row index of `bundle`'s access log into `out` (created
/// owner-only), replacing an earlier index there. Only Parquet logs are
/// indexed, and all files must read each column as the same type.
pub fn build_row_index(bundle: &Path, out: &Path) -> Result<IndexSummary, IngestError> {
    let ierr = |message: String| IngestError::Index { dir: out.to_path_buf(), message };
    let io = |e: std::io::Error| ierr(e.to_string());
    let files = locate(bundle, "access_log")?
        .ok_or(IngestError::MissingTable { dir: bundle.to_path_buf(), table: "access_log" })?;
    if let Some(shown) = files.display.iter().find(|f| !f.to_ascii_lowercase().ends_with(".parquet")) {
        return Err(ierr(format!(
            "{shown} is not Parquet; only Parquet access logs are indexed (investigate scans a CSV log)"
        )));
    }

    // Each file's projection, and one physical type per column for all.
    let mut entries = Vec::new();
    let mut dtypes: Vec<Option<DataType>> = vec![None; SPECS.len()];
    let mut scans = Vec::new();
    for (path, shown) in files.files.iter().zip(&files.display) {
        let lf = LazyFrame::scan_parquet(PlRefPath::new(path.to_string_lossy().as_ref()), ScanArgsParquet::default())
            .map_err(parquet_err(path))?;
        let proj = projection(path, &lf, &SPECS)?;
        let mut kinds = Vec::with_capacity(SPECS.len());
        let mut present = proj.kinds.iter();
        for (s, idx) in proj.index.iter().enumerate() {
            let kind = idx.and_then(|_| present.next().copied());
            if let Some(kind) = kind {
                match &dtypes[s] {
                    Some(d) if *d != kind.dtype() => {
                        return Err(ierr(format!(
                        "{shown}: column {} is read as {}, other files as {d}; only logs whose files agree are indexed",
                        SPECS[s].name,
                        kind.dtype()
                    )))
                    }
                    _ => dtypes[s] = Some(kind.dtype()),
                }
            }
            kinds.push(kind);
        }
        entries.push(IndexedFile {
            stamp: stamp(path, shown).map_err(io)?,
            rows: parquet_rows(path).unwrap_or(0),
            kinds: kinds.iter().map(|k| k.map(Kind::code)).collect(),
        });
        scans.push((lf, proj, kinds));
    }
    let dtypes: Vec<DataType> = dtypes.into_iter().map(|d| d.unwrap_or(DataType::String)).collect();

    // Pass 1: every file's rows, normalised, spread over the buckets of
    // each order (scratch files unlinked at once).
    crate::fs::create_private_dir(out).map_err(io)?;
    let generation =
        format!("{:x}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
    let scratch = |o: Order, b: usize| out.join(format!(".scratch-{}-{}-{b}", std::process::id(), o.name()));
    let mut buckets: Vec<Vec<(File, Option<polars::io::parquet::write::BatchedWriter<File>>)>> = Vec::new();
    for o in Order::BOTH {
        let mut files_o = Vec::new();
        for b in 0..BUCKETS {
            let f = crate::fs::create_unlinked(&scratch(o, b)).map_err(io)?;
            files_o.push((f, None));
        }
        buckets.push(files_o);
    }
    let frame_of = |k: usize| -> Result<DataFrame, IngestError> {
        let (lf, proj, kinds) = &scans[k];
        let path = &files.files[k];
        let mut exprs = Vec::new();
        let mut present = proj.exprs.iter();
        for (s, kind) in kinds.iter().enumerate() {
            exprs.push(match kind {
                Some(_) => present.next().cloned().unwrap_or_else(|| lit(NULL)),
                None => lit(NULL).cast(dtypes[s].clone()).alias(SPECS[s].name),
            });
        }
        for o in Order::BOTH {
            let key = match proj.index.get(o.slot()).copied().flatten() {
                Some(i) => col(proj.headers[i].as_str()).cast(DataType::String),
                None => lit(NULL).cast(DataType::String),
            };
            exprs.push(key.alias(format!("{KEY}{}", o.slot())));
        }
        exprs.push(lit(k as u32).cast(DataType::UInt32).alias(FILE));
        exprs.push(col(ROW).cast(DataType::UInt64));
        lf.clone()
            .with_row_index(ROW, Some(1))
            .select(exprs)
            .collect_with_engine(Engine::Streaming)
            .map(|d| d.unwrap_single())
            .map_err(parquet_err(path))
    };
    let mut rows = 0u64;
    let batch = rayon::current_num_threads().max(1);
    let ks: Vec<usize> = (0..files.files.len()).collect();
    for group in ks.chunks(batch) {
        let frames: Vec<Result<DataFrame, IngestError>> = group.par_iter().map(|&k| frame_of(k)).collect();
        for df in frames {
            let df = df?;
            rows += df.height() as u64;
            for (oi, o) in Order::BOTH.into_iter().enumerate() {
                let other = format!("{KEY}{}", Order::BOTH[1 - oi].slot());
                let keys = df.column(&format!("{KEY}{}", o.slot())).and_then(|c| c.str().cloned());
                let keys = keys.map_err(|e| ierr(e.to_string()))?;
                let mut picks: Vec<Vec<IdxSize>> = vec![Vec::new(); BUCKETS];
                for (i, id) in keys.iter().enumerate() {
                    // A row without the id is found by no filter on it.
                    if let Some(id) = id {
                        picks[bucket(id)].push(i as IdxSize);
                    }
                }
                let slim = df.drop(&other).map_err(|e| ierr(e.to_string()))?;
                for (b, idx) in picks.into_iter().enumerate() {
                    if idx.is_empty() {
                        continue;
                    }
                    let part = slim.take(&IdxCa::from_vec("".into(), idx)).map_err(|e| ierr(e.to_string()))?;
                    let mut part = part;
                    part.rechunk_mut();
                    let (file, writer) = &mut buckets[oi][b];
                    if writer.is_none() {
                        let w = file.try_clone().map_err(io)?;
                        *writer = Some(
                            ParquetWriter::new(w)
                                .with_compression(ParquetCompression::Zstd(None))
                                .batched(part.schema())
                                .map_err(|e| ierr(e.to_string()))?,
                        );
                    }
                    if let Some(w) = writer.as_mut() {
                        w.write_batch(&part).map_err(|e| ierr(e.to_string()))?;
                    }
                }
            }
        }
    }

    // Pass 2: each bucket sorted by id, then file and row, appended to its
    // order's copy; each id's range noted.
    let mut staging = crate::fs::Staging::new(out).map_err(io)?;
    let mut bytes = 0u64;
    for (oi, o) in Order::BOTH.into_iter().enumerate() {
        let key = format!("{KEY}{}", o.slot());
        let data_name = format!("{}-{generation}.parquet", o.name());
        let mut writer: Option<polars::io::parquet::write::BatchedWriter<std::io::BufWriter<File>>> = None;
        let (mut ids, mut starts, mut lens) = (Vec::<String>::new(), Vec::<u64>::new(), Vec::<u64>::new());
        let mut at = 0u64;
        for (file, w) in buckets[oi].iter_mut() {
            let Some(w) = w.take() else { continue };
            w.finish().map_err(|e| ierr(e.to_string()))?;
            file.seek(SeekFrom::Start(0)).map_err(io)?;
            let df = ParquetReader::new(file.try_clone().map_err(io)?).finish().map_err(|e| ierr(e.to_string()))?;
            let df = df
                .lazy()
                .sort([key.as_str(), FILE, ROW], SortMultipleOptions::default())
                .collect()
                .map_err(|e| ierr(e.to_string()))?;
            let keys = df.column(&key).and_then(|c| c.str().cloned()).map_err(|e| ierr(e.to_string()))?;
            for id in keys.iter().flatten() {
                if ids.last().map(String::as_str) == Some(id) {
                    if let Some(n) = lens.last_mut() {
                        *n += 1;
                    }
                } else {
                    ids.push(id.to_string());
                    starts.push(at);
                    lens.push(1);
                }
                at += 1;
            }
            let df = df.drop(&key).map_err(|e| ierr(e.to_string()))?;
            if writer.is_none() {
                let f = staging.create(&data_name).map_err(io)?;
                writer = Some(
                    ParquetWriter::new(f)
                        .with_compression(ParquetCompression::Zstd(None))
                        .batched(df.schema())
                        .map_err(|e| ierr(e.to_string()))?,
                );
            }
            if let Some(w) = writer.as_mut() {
                for off in (0..df.height()).step_by(ROW_GROUP_ROWS) {
                    let mut part = df.slice(off as i64, ROW_GROUP_ROWS);
                    part.rechunk_mut();
                    w.write_batch(&part).map_err(|e| ierr(e.to_string()))?;
                }
            }
        }
        if let Some(w) = writer {
            w.finish().map_err(|e| ierr(e.to_string()))?;
        }
        let n = ids.len();
        let mut keys = DataFrame::new(
            n,
            vec![Column::new("id".into(), ids), Column::new("start".into(), starts), Column::new("rows".into(), lens)],
        )
        .map_err(|e| ierr(e.to_string()))?;
        let mut f = staging.create(&format!("{}-{generation}.keys.parquet", o.name())).map_err(io)?;
        ParquetWriter::new(&mut f)
            .with_compression(ParquetCompression::Zstd(None))
            .finish(&mut keys)
            .map_err(|e| ierr(e.to_string()))?;
        crate::fs::Staging::finish(f).map_err(io)?;
    }
    let manifest = Manifest { format: INDEX_FORMAT, generation: generation.clone(), rows, files: entries };
    let text = serde_json::to_vec_pretty(&manifest).map_err(|e| ierr(e.to_string()))?;
    bytes += text.len() as u64;
    crate::fs::write_all(&mut staging, MANIFEST, &text).map_err(io)?;
    staging.commit().map_err(io)?;
    // Earlier builds' data files are no longer named by the manifest.
    if let Ok(dir) = std::fs::read_dir(out) {
        for entry in dir.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let ours = Order::BOTH.iter().any(|o| name.starts_with(&format!("{}-", o.name())));
            if ours && !name.contains(&generation) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    for o in Order::BOTH {
        for name in [format!("{}-{generation}.parquet", o.name()), format!("{}-{generation}.keys.parquet", o.name())] {
            bytes += std::fs::metadata(out.join(name)).map_or(0, |m| m.len());
        }
    }
    Ok(IndexSummary { files: files.files.len(), rows, bytes, dir: out.to_path_buf() })
}

/// A row index that matches a bundle's access-log files.
#[derive(Debug, Clone)]
pub struct RowIndex {
    dir: PathBuf,
    manifest: Manifest,
}

/// Whether a bundle's row index can be used.
#[derive(Debug, Clone)]
pub enum IndexState {
    /// No index in the folder.
    Missing,
    /// An index that does not match the bundle (why, naming files only).
    Stale(String),
    /// An index of exactly the bundle's access-log files.
    Ready(RowIndex),
}

/// Opens the row index in `dir` and checks it against `bundle`'s
/// access-log files (names, sizes, modification times and the hashes of
/// their last 64 KiB).
pub fn open_row_index(dir: &Path, bundle: &Path) -> IndexState {
    let text = match std::fs::read(dir.join(MANIFEST)) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return IndexState::Missing,
        Err(e) => return IndexState::Stale(format!("its manifest cannot be read ({e})")),
    };
    let manifest: Manifest = match serde_json::from_slice(&text) {
        Ok(m) => m,
        Err(_) => return IndexState::Stale("its manifest is not one this version writes".to_string()),
    };
    if manifest.format != INDEX_FORMAT {
        return IndexState::Stale(format!(
            "it is of format {}; this version reads format {INDEX_FORMAT}",
            manifest.format
        ));
    }
    let files = match locate(bundle, "access_log") {
        Ok(Some(f)) => f,
        _ => return IndexState::Stale("the bundle's access log cannot be listed".to_string()),
    };
    if files.files.len() != manifest.files.len() {
        return IndexState::Stale(format!(
            "the access log has {} files, the index {}",
            files.files.len(),
            manifest.files.len()
        ));
    }
    let stamps: Vec<std::io::Result<FileStamp>> =
        files.files.par_iter().zip(files.display.par_iter()).map(|(p, shown)| stamp(p, shown)).collect();
    for (s, entry) in stamps.into_iter().zip(&manifest.files) {
        match s {
            Ok(s) if s == entry.stamp => {}
            Ok(s) => return IndexState::Stale(format!("{} changed since the index was built", s.name)),
            Err(e) => return IndexState::Stale(format!("{} cannot be read ({e})", entry.stamp.name)),
        }
    }
    let unknown = |f: &IndexedFile| f.kinds.iter().flatten().any(|k| Kind::from_code(k).is_none());
    if manifest.files.iter().any(|f| f.kinds.len() != SPECS.len() || unknown(f)) {
        return IndexState::Stale("its manifest is not one this version writes".to_string());
    }
    IndexState::Ready(RowIndex { dir: dir.to_path_buf(), manifest })
}

/// The rows of the access log a filter keeps, fetched from the index, by
/// file (each in row order).
#[derive(Debug)]
pub(super) struct IndexedRows {
    /// Per file, its rows in each range read (each in row order).
    pieces: HashMap<usize, Vec<DataFrame>>,
    /// Per file, per column of `SPECS`: how it reads.
    kinds: Vec<Vec<Option<Kind>>>,
}

impl IndexedRows {
    /// No rows of any file: a read through it reads the context tables
    /// and no access-log row (`super::slice`).
    pub(super) fn none() -> IndexedRows {
        IndexedRows { pieces: HashMap::new(), kinds: Vec::new() }
    }
}

impl RowIndex {
    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The build's name (new at every build): what a file kept beside the
    /// index and derived from it records, to know it is of this build.
    pub fn generation(&self) -> &str {
        &self.manifest.generation
    }

    /// Every user id of the log, in the by-user copy's order, with its
    /// rows.
    pub fn users(&self) -> Result<Vec<(String, u64)>, IngestError> {
        let keys_path = self.dir.join(format!("{}-{}.keys.parquet", Order::User.name(), self.manifest.generation));
        let keys =
            ParquetReader::new(File::open(&keys_path).map_err(|e| self.err(e))?).finish().map_err(|e| self.err(e))?;
        let col = |n: &str| keys.column(n).map_err(|e| self.err(e));
        let (ids, lens) = (col("id")?.str().cloned(), col("rows")?.u64().cloned());
        let (ids, lens) = (ids.map_err(|e| self.err(e))?, lens.map_err(|e| self.err(e))?);
        Ok(ids.iter().zip(lens.iter()).filter_map(|(id, n)| Some((id?.to_string(), n.unwrap_or(0)))).collect())
    }

    fn err(&self, e: impl std::fmt::Display) -> IngestError {
        IngestError::Index { dir: self.dir.clone(), message: e.to_string() }
    }

    /// The rows `filter` keeps: each patient's and each user's row range
    /// read from its ordered copy (row groups outside the ranges are not
    /// decoded), then put back in file and row order, a row kept by both
    /// orders once.
    pub(super) fn fetch(&self, filter: &RowFilter) -> Result<IndexedRows, IngestError> {
        let g = &self.manifest.generation;
        // Each copy's footer is parsed once (it lists thousands of row
        // groups), then each range is read with it, decoding only the row
        // groups the range covers.
        let mut ranges: Vec<(PathBuf, polars::io::parquet::metadata::FileMetadataRef, u64, u64)> = Vec::new();
        for (o, wanted) in [(Order::User, &filter.users), (Order::Patient, &filter.patients)] {
            if wanted.is_empty() {
                continue;
            }
            let keys_path = self.dir.join(format!("{}-{g}.keys.parquet", o.name()));
            let keys = ParquetReader::new(File::open(&keys_path).map_err(|e| self.err(e))?)
                .finish()
                .map_err(|e| self.err(e))?;
            let col = |n: &str| keys.column(n).map_err(|e| self.err(e));
            let (ids, starts, lens) =
                (col("id")?.str().cloned(), col("start")?.u64().cloned(), col("rows")?.u64().cloned());
            let (ids, starts, lens) =
                (ids.map_err(|e| self.err(e))?, starts.map_err(|e| self.err(e))?, lens.map_err(|e| self.err(e))?);
            let data = self.dir.join(format!("{}-{g}.parquet", o.name()));
            let mut reader = ParquetReader::new(File::open(&data).map_err(|e| self.err(e))?);
            let metadata = reader.get_metadata().map_err(|e| self.err(e))?.clone();
            let wanted: HashSet<&str> = wanted.iter().map(String::as_str).collect();
            for ((id, start), len) in ids.iter().zip(starts.iter()).zip(lens.iter()) {
                if let (Some(id), Some(start), Some(len)) = (id, start, len) {
                    if wanted.contains(id) {
                        ranges.push((data.clone(), metadata.clone(), start, len));
                    }
                }
            }
        }
        // Ranges a row group or less apart are read as one span (thousands
        // of patients' ranges would otherwise decode their shared row groups
        // again and again), then cut back into the ranges.
        ranges.sort_by(|a, b| (&a.0, a.2).cmp(&(&b.0, b.2)));
        let mut spans: Vec<Span> = Vec::new();
        for (path, metadata, start, len) in ranges {
            match spans.last_mut() {
                Some(s) if s.path == path && start <= s.end.saturating_add(SPAN_GAP_ROWS) => {
                    s.end = s.end.max(start + len);
                    s.ranges.push((start, len));
                }
                _ => spans.push(Span { path, metadata, start, end: start + len, ranges: vec![(start, len)] }),
            }
        }
        // A few chunks of spans per thread, each read in turn: a parallel
        // iterator over thousands of reads, each waiting on polars' own
        // threads, nested them on one stack until it overflowed.
        let chunk = spans.len().div_ceil(rayon::current_num_threads().max(1) * 2).max(1);
        let frames: Vec<Result<DataFrame, IngestError>> =
            spans.par_chunks(chunk).flat_map_iter(|chunk| chunk.iter().flat_map(|span| self.read_span(span))).collect();
        let kinds = self
            .manifest
            .files
            .iter()
            .map(|f| f.kinds.iter().map(|k| k.as_deref().and_then(Kind::from_code)).collect())
            .collect();
        // Each range is in file and row order: cut it by file (slices
        // share the range's buffers), and merge a file's pieces only when
        // it emits, so the fetched rows are held once.
        let mut out: HashMap<usize, Vec<DataFrame>> = HashMap::new();
        for f in frames {
            let f = f?;
            let file = f.column(FILE).and_then(|c| c.cast(&DataType::UInt32)).map_err(|e| self.err(e))?;
            let file = file.u32().cloned().map_err(|e| self.err(e))?;
            let mut start = 0usize;
            let mut current: Option<u32> = None;
            for (i, k) in file.iter().enumerate() {
                if k != current {
                    if let Some(c) = current {
                        out.entry(c as usize).or_default().push(f.slice(start as i64, i - start));
                    }
                    (start, current) = (i, k);
                }
            }
            if let Some(c) = current {
                out.entry(c as usize).or_default().push(f.slice(start as i64, f.height() - start));
            }
        }
        Ok(IndexedRows { pieces: out, kinds })
    }
}

/// Rows a span read from an ordered copy may skip between two wanted
/// ranges (one row group of the copy: `build_row_index` writes 16 Ki).
const SPAN_GAP_ROWS: u64 = 16 * 1024;

/// Adjacent row ranges of one ordered copy, read at once.
struct Span {
    path: PathBuf,
    metadata: polars::io::parquet::metadata::FileMetadataRef,
    start: u64,
    end: u64,
    /// The wanted ranges (start, rows), ascending, within `start..end`.
    ranges: Vec<(u64, u64)>,
}

impl RowIndex {
    /// A span's rows, cut into its wanted ranges.
    fn read_span(&self, span: &Span) -> Vec<Result<DataFrame, IngestError>> {
        let read = || -> Result<DataFrame, IngestError> {
            let mut reader = ParquetReader::new(File::open(&span.path).map_err(|e| self.err(e))?);
            reader.set_metadata(span.metadata.clone());
            let slice = (
                usize::try_from(span.start).unwrap_or(usize::MAX),
                usize::try_from(span.end - span.start).unwrap_or(0),
            );
            reader.with_slice(Some(slice)).finish().map_err(|e| self.err(e))
        };
        match read() {
            Err(e) => vec![Err(e)],
            Ok(df) if span.ranges.len() == 1 => vec![Ok(df)],
            Ok(df) => span
                .ranges
                .iter()
                .map(|&(start, len)| Ok(df.slice((start - span.start) as i64, usize::try_from(len).unwrap_or(0))))
                .collect(),
        }
    }
}

impl IndexedRows {
    fn err_at(&self, path: &Path, e: impl std::fmt::Display) -> IngestError {
        IngestError::Parquet { file: path.to_path_buf(), message: e.to_string() }
    }

    /// Sends file `k`'s fetched rows to `on_row`, numbered 1, 2, ... as
    /// the filtered scan numbers the rows it keeps. Returns the rows sent.
    pub(super) fn emit(&self, k: usize, path: &Path, on_row: &mut dyn FnMut(Row<'_>)) -> Result<u64, IngestError> {
        let Some(pieces) = self.pieces.get(&k) else { return Ok(0) };
        let merged;
        let df = match pieces.as_slice() {
            [one] => one,
            _ => {
                let mut all = pieces[0].clone();
                for p in &pieces[1..] {
                    all.vstack_mut(p).map_err(|e| self.err_at(path, e))?;
                }
                let all = all.lazy().sort([ROW], SortMultipleOptions::default()).collect();
                let all = all.map_err(|e| self.err_at(path, e))?;
                // A row kept by both orders (the patient's, by a user
                // kept) comes twice, the copies next to each other.
                let row = all.column(ROW).and_then(|c| c.u64().cloned()).map_err(|e| self.err_at(path, e))?;
                let mut take: Vec<IdxSize> = Vec::with_capacity(all.height());
                let mut last = None;
                for (i, r) in row.iter().enumerate() {
                    if r.is_none() || r != last {
                        take.push(i as IdxSize);
                    }
                    last = r;
                }
                merged = if take.len() == all.height() {
                    all
                } else {
                    all.take(&IdxCa::from_vec("".into(), take)).map_err(|e| self.err_at(path, e))?
                };
                &merged
            }
        };
        let Some(kinds) = self.kinds.get(k) else { return Ok(0) };
        let mut names = Vec::new();
        let mut present = Vec::new();
        let mut index = Vec::new();
        for (s, kind) in kinds.iter().enumerate() {
            match kind {
                Some(kind) => {
                    names.push(SPECS[s].name);
                    present.push(*kind);
                    index.push(Some(s));
                }
                None => index.push(None),
            }
        }
        emit_batch(df, &names, &present, &index, &SPECS, 0, on_row).map_err(parquet_err(path))
    }
}
