//! Finding a table's files and reading their rows, whatever the format.
//!
//! CSV (plain or gzip) is read with the `csv` crate, one record at a time, so
//! a malformed row is caught with its line number and the rest of the file is
//! still read. Parquet is scanned lazily with polars: only the wanted columns
//! are read (projection pushdown), in row batches collected by the streaming
//! engine, so memory stays bounded by the batch, not the file.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::columns::{normalise_header, resolve, ColumnSpec};
use super::error::IngestError;

/// Rows per Parquet batch.
const PARQUET_BATCH_ROWS: usize = 1 << 18;

/// The files of one table, in reading order.
#[derive(Debug, Clone)]
pub struct TableFiles {
    /// Table name.
    pub table: &'static str,
    /// Absolute or bundle-joined paths.
    pub files: Vec<PathBuf>,
    /// The same paths relative to the bundle folder, for reports.
    pub display: Vec<String>,
    /// Files left out because their bytes equal an earlier file's (the same
    /// export copied twice into the folder), relative to the bundle.
    pub duplicates: Vec<String>,
}

fn is_table_file(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    !name.starts_with('.') && (lower.ends_with(".csv") || lower.ends_with(".csv.gz") || lower.ends_with(".parquet"))
}

/// A file or folder's identity, whatever path reaches it.
#[cfg(unix)]
fn identity(meta: &std::fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn identity(_: &std::fs::Metadata) -> (u64, u64) {
    (0, 0)
}

/// Collects a table folder's files in path order. Each real folder and
/// file (device and inode) is visited once, so a symbolic link back up the
/// tree is not a loop and a file linked twice is read once.
fn walk(
    dir: &Path,
    out: &mut Vec<PathBuf>,
    seen: &mut std::collections::HashSet<(u64, u64)>,
) -> Result<(), IngestError> {
    let read = std::fs::read_dir(dir).map_err(|e| IngestError::Read {
        file: dir.to_path_buf(),
        line: 0,
        message: e.to_string(),
    })?;
    let mut entries: Vec<PathBuf> = read.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let Ok(meta) = std::fs::metadata(&path) else { continue };
        let wanted = (meta.is_dir() && !name.starts_with('.')) || (meta.is_file() && is_table_file(name));
        if !wanted || (cfg!(unix) && !seen.insert(identity(&meta))) {
            continue;
        }
        if meta.is_dir() {
            walk(&path, out, seen)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// Splits `files` into the first of each distinct content and the later
/// copies (same size, then same SHA-256): a night's export copied twice
/// into a folder must not count twice. Only files of equal size are read.
fn split_duplicates(files: Vec<PathBuf>) -> Result<(Vec<PathBuf>, Vec<PathBuf>), IngestError> {
    use sha2::{Digest, Sha256};
    let size = |f: &Path| std::fs::metadata(f).map(|m| m.len()).ok();
    let sizes: Vec<Option<u64>> = files.iter().map(|f| size(f)).collect();
    let mut hashes: Vec<Option<[u8; 32]>> = vec![None; files.len()];
    for i in 0..files.len() {
        let shared = sizes[i].is_some() && sizes.iter().enumerate().any(|(j, s)| j != i && *s == sizes[i]);
        if shared {
            let mut f = File::open(&files[i]).map_err(|e| IngestError::Read {
                file: files[i].clone(),
                line: 0,
                message: e.to_string(),
            })?;
            let mut hasher = Sha256::new();
            std::io::copy(&mut f, &mut hasher).map_err(|e| IngestError::Read {
                file: files[i].clone(),
                line: 0,
                message: e.to_string(),
            })?;
            hashes[i] = Some(hasher.finalize().into());
        }
    }
    let (mut keep, mut dup) = (Vec::new(), Vec::new());
    for (i, f) in files.into_iter().enumerate() {
        let earlier = hashes[i].is_some() && (0..i).any(|j| hashes[j] == hashes[i]);
        if earlier {
            dup.push(f);
        } else {
            keep.push(f);
        }
    }
    Ok((keep, dup))
}

/// Finds a table in the bundle: `name.csv`, `name.csv.gz`, `name.parquet`,
/// or a folder `name/` of such files (read in path order, recursively).
/// `Ok(None)` when the table is absent.
pub fn locate(dir: &Path, table: &'static str) -> Result<Option<TableFiles>, IngestError> {
    let candidates = [format!("{table}.csv"), format!("{table}.csv.gz"), format!("{table}.parquet"), table.to_string()];
    let present: Vec<&String> = candidates.iter().filter(|c| dir.join(c).exists()).collect();
    if present.len() > 1 {
        return Err(IngestError::AmbiguousTable {
            dir: dir.to_path_buf(),
            table,
            first: present[0].clone(),
            second: present[1].clone(),
        });
    }
    let Some(found) = present.first() else { return Ok(None) };
    let path = dir.join(found);
    let (files, duplicates) = if path.is_dir() {
        let mut files = Vec::new();
        let mut seen = std::collections::HashSet::new();
        if let Ok(meta) = std::fs::metadata(&path) {
            seen.insert(identity(&meta));
        }
        walk(&path, &mut files, &mut seen)?;
        if files.is_empty() {
            return Err(IngestError::EmptyTableFolder(path));
        }
        split_duplicates(files)?
    } else {
        (vec![path], Vec::new())
    };
    let shown = |f: &PathBuf| f.strip_prefix(dir).unwrap_or(f).to_string_lossy().into_owned();
    let display = files.iter().map(shown).collect();
    let duplicates = duplicates.iter().map(shown).collect();
    Ok(Some(TableFiles { table, files, display, duplicates }))
}

/// One cell value, typed as the source gave it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    /// Text (all CSV cells).
    Str(&'a str),
    /// An integer column.
    Int(i64),
    /// A float column.
    Float(f64),
    /// A boolean column.
    Bool(bool),
    /// A timezone-aware datetime column: UTC microseconds.
    Instant(i64),
    /// A naive datetime column: local wall-clock microseconds.
    Naive(i64),
    /// A date column: days since 1970-01-01.
    Date(i32),
    /// A datetime value whose conversion to microseconds overflows (a
    /// millisecond column holding a value past year 292,000): never wrapped,
    /// always rejected by the typed readers.
    OutOfRange,
}

impl Cell<'_> {
    /// The value as text, for messages and raw rows.
    pub fn to_text(&self) -> String {
        match self {
            Cell::Str(s) => (*s).to_string(),
            Cell::Int(i) => i.to_string(),
            Cell::Float(f) => f.to_string(),
            Cell::Bool(b) => b.to_string(),
            Cell::Instant(u) => format!("{} (UTC µs)", u),
            Cell::Naive(l) if crate::time::is_supported_micros(*l) => crate::time::format_local_minute(*l),
            Cell::Naive(l) => format!("{l} (local µs)"),
            Cell::Date(d) => match crate::time::checked_date_from_days(i64::from(*d)) {
                Some(date) => date.to_string(),
                None => format!("{d} (days since 1970-01-01)"),
            },
            Cell::OutOfRange => "(out of range)".to_string(),
        }
    }
}

/// One data row, with the wanted columns in spec order.
pub struct Row<'a> {
    /// CSV line (header = 1) or 1-based Parquet row.
    pub line: u64,
    /// Cells in the order of the specs; `None` when missing or empty/`NULL`.
    pub cells: &'a [Option<Cell<'a>>],
    /// A whole-row problem (wrong field count, invalid UTF-8).
    pub malformed: Option<String>,
    raw: RawRow<'a>,
}

enum RawRow<'a> {
    Csv(&'a csv::ByteRecord),
    Cells(&'a [Option<Cell<'a>>], &'a [&'a str]),
}

impl<'a> Row<'a> {
    /// A row read from typed columns: `cells` in spec order, `projected`
    /// the present columns' cells, named by `names` (for its raw text).
    pub(super) fn of_cells(
        line: u64,
        cells: &'a [Option<Cell<'a>>],
        projected: &'a [Option<Cell<'a>>],
        names: &'a [&'a str],
    ) -> Self {
        Row { line, cells, malformed: None, raw: RawRow::Cells(projected, names) }
    }

    /// The row as text, for rejected_rows.csv.
    pub fn raw(&self) -> String {
        match &self.raw {
            RawRow::Csv(rec) => {
                rec.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect::<Vec<_>>().join(",")
            }
            RawRow::Cells(cells, names) => cells
                .iter()
                .zip(names.iter())
                .map(|(c, n)| format!("{n}={}", c.map(|c| c.to_text()).unwrap_or_default()))
                .collect::<Vec<_>>()
                .join(","),
        }
    }
}

fn is_missing(s: &str) -> bool {
    s.is_empty() || s == "NULL"
}

/// A text cell, trimmed; `None` when missing.
pub(super) fn text_cell(s: &str) -> Option<Cell<'_>> {
    let s = trim(s);
    (!is_missing(s)).then_some(Cell::Str(s))
}

/// `str::trim`, skipping the Unicode scan when both ends are plain
/// printable ASCII (almost every cell).
#[inline]
pub(super) fn trim(s: &str) -> &str {
    let printable = |b: u8| b > b' ' && b < 0x7f;
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(&f), Some(&l)) if printable(f) && printable(l) => s,
        _ => s.trim(),
    }
}

/// A line-aligned byte range of a large CSV file, read on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvChunk {
    /// Position among the file's chunks (0 = first).
    pub index: usize,
    /// The header line, newline included.
    pub header: std::sync::Arc<Vec<u8>>,
    /// First byte (a line start).
    pub start: u64,
    /// One past the last byte (a line start or the end of the file).
    pub end: u64,
    /// Line number of the chunk's first line (header = 1).
    pub first_line: u64,
}

/// Files smaller than this are read in one piece.
const CHUNK_MIN_BYTES: u64 = 32 << 20;

/// Chunks are at most about this large, so that the batch of chunks read
/// at a time stays small however large the file is (a spilled read never
/// holds the whole log).
const CHUNK_MAX_BYTES: u64 = 64 << 20;

/// Splits a plain (not compressed) CSV file into about `parts` line-aligned
/// chunks, or more of about 64 MB for a larger file, with the line number
/// each starts at. `None` when the file is small, compressed, or contains a
/// double quote anywhere: a quoted field may hold a newline, and then only
/// a sequential read knows where records end.
pub fn plan_csv_chunks(file: &Path, parts: usize) -> Result<Option<Vec<CsvChunk>>, IngestError> {
    plan_chunks(file, parts, CHUNK_MIN_BYTES, CHUNK_MAX_BYTES)
}

fn plan_chunks(
    file: &Path,
    parts: usize,
    min_bytes: u64,
    max_bytes: u64,
) -> Result<Option<Vec<CsvChunk>>, IngestError> {
    let lower = file.to_string_lossy().to_ascii_lowercase();
    if parts < 2 || !lower.ends_with(".csv") {
        return Ok(None);
    }
    let io = |e: std::io::Error| IngestError::Read { file: file.to_path_buf(), line: 0, message: e.to_string() };
    let size = std::fs::metadata(file).map_err(io)?.len();
    if size < min_bytes {
        return Ok(None);
    }
    let parts = parts.max(size.div_ceil(max_bytes) as usize);
    let mut f = BufReader::with_capacity(4 << 20, File::open(file).map_err(io)?);
    let mut header = Vec::new();
    std::io::BufRead::read_until(&mut f, b'\n', &mut header).map_err(io)?;
    if header.contains(&b'"') || header.last() != Some(&b'\n') {
        return Ok(None);
    }
    let step = (size - header.len() as u64) / parts as u64;
    let mut boundaries = vec![(header.len() as u64, 2u64)]; // (line start, line number)
    let mut pos = header.len() as u64;
    let mut line = 2u64; // the line that starts at `pos`
    let mut next_target = pos + step;
    let mut buf = vec![0u8; 4 << 20];
    // Counted a buffer at a time (a loop LLVM vectorises): the scan of a
    // 1.2 GB file went from 0.4 s to the time it takes to read it.
    let newlines = |bytes: &[u8]| bytes.iter().filter(|&&b| b == b'\n').count() as u64;
    loop {
        let n = f.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        let chunk = &buf[..n];
        if chunk.contains(&b'"') {
            return Ok(None);
        }
        // Each boundary is the first line start at or after its target.
        while boundaries.len() < parts {
            let from = next_target.saturating_sub(1).saturating_sub(pos);
            if from >= n as u64 {
                break;
            }
            let Some(j) = chunk[from as usize..].iter().position(|&b| b == b'\n') else { break };
            let nl = from as usize + j;
            let start = pos + nl as u64 + 1;
            if start >= size {
                break;
            }
            boundaries.push((start, line + newlines(&chunk[..=nl])));
            next_target = start + step;
        }
        line += newlines(chunk);
        pos += n as u64;
    }
    let header = std::sync::Arc::new(header);
    let chunks = boundaries
        .iter()
        .enumerate()
        .map(|(i, &(start, first_line))| CsvChunk {
            index: i,
            header: header.clone(),
            start,
            end: boundaries.get(i + 1).map_or(size, |b| b.0),
            first_line,
        })
        .collect();
    Ok(Some(chunks))
}

/// Reads one chunk planned by [`plan_csv_chunks`]: the header, then the
/// chunk's lines, with line numbers as in the whole file.
pub fn read_csv_chunk(
    file: &Path,
    chunk: &CsvChunk,
    specs: &[ColumnSpec],
    on_row: &mut dyn FnMut(Row<'_>),
) -> Result<u64, IngestError> {
    use std::io::{Seek, SeekFrom};
    let io = |e: std::io::Error| IngestError::Read {
        file: file.to_path_buf(),
        line: chunk.first_line,
        message: e.to_string(),
    };
    let mut f = File::open(file).map_err(io)?;
    f.seek(SeekFrom::Start(chunk.start)).map_err(io)?;
    let body = f.take(chunk.end - chunk.start);
    let reader: Box<dyn Read> = Box::new(std::io::Cursor::new(chunk.header.as_ref().clone()).chain(body));
    // In the stream the chunk's first line is line 2 (after the header).
    read_csv(file, reader, specs, chunk.first_line - 2, on_row)
}

/// Opens a CSV file, decompressing `.gz` on the fly.
pub(super) fn open_csv(file: &Path) -> Result<Box<dyn Read>, IngestError> {
    let f = File::open(file).map_err(|e| IngestError::Read {
        file: file.to_path_buf(),
        line: 0,
        message: e.to_string(),
    })?;
    if file.to_string_lossy().to_ascii_lowercase().ends_with(".gz") {
        Ok(Box::new(flate2::read::MultiGzDecoder::new(BufReader::with_capacity(1 << 20, f))))
    } else {
        Ok(Box::new(f))
    }
}

/// Reads every data row of one file, calling `on_row` for each. Returns the
/// number of data rows read. Missing required columns are errors.
pub fn read_file(file: &Path, specs: &[ColumnSpec], on_row: &mut dyn FnMut(Row<'_>)) -> Result<u64, IngestError> {
    let lower = file.to_string_lossy().to_ascii_lowercase();
    if lower.ends_with(".parquet") {
        read_parquet(file, specs, None, on_row)
    } else {
        read_csv(file, open_csv(file)?, specs, 0, on_row)
    }
}

/// [`read_file`] keeping only the rows `filter` keeps: a Parquet file is
/// scanned with the filter as a predicate (polars pushes it into the scan);
/// a CSV file is read whole and `on_row` drops what it does not keep.
/// Returns the rows passed on.
pub fn read_file_filtered(
    file: &Path,
    specs: &[ColumnSpec],
    filter: &super::filter::RowFilter,
    on_row: &mut dyn FnMut(Row<'_>),
) -> Result<u64, IngestError> {
    let lower = file.to_string_lossy().to_ascii_lowercase();
    if lower.ends_with(".parquet") {
        read_parquet_where(file, specs, None, Some(filter), on_row)
    } else {
        read_csv(file, open_csv(file)?, specs, 0, on_row)
    }
}

/// Most bytes of one CSV line that are read; the rest of a longer line is
/// skipped as it streams by and its record rejected, so a 1 GiB line is
/// never built whole (audit rows are a few hundred bytes).
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// A reader that passes at most `max` bytes of each line (newline
/// excluded), drops the rest of the line, and notes the 1-based numbers
/// of the lines it cut.
struct LineCap<R> {
    inner: R,
    max: usize,
    buf: Vec<u8>,
    pos: usize,
    len: usize,
    /// Bytes of the current line passed so far.
    run: usize,
    /// Dropping the rest of an over-long line.
    skipping: bool,
    /// Newlines passed.
    line: u64,
    cut: std::rc::Rc<std::cell::RefCell<std::collections::VecDeque<u64>>>,
}

impl<R: Read> Read for LineCap<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            if self.pos == self.len {
                self.len = self.inner.read(&mut self.buf)?;
                self.pos = 0;
                if self.len == 0 {
                    return Ok(0);
                }
            }
            let mut written = 0;
            while self.pos < self.len && written < out.len() {
                let rest = &self.buf[self.pos..self.len];
                if self.skipping {
                    match find_newline(rest) {
                        // The newline itself is passed on by the next turn.
                        Some(i) => {
                            self.pos += i;
                            self.skipping = false;
                        }
                        None => self.pos = self.len,
                    }
                    continue;
                }
                let scan = &rest[..rest.len().min(out.len() - written)];
                let allowed = self.max - self.run;
                match find_newline(&scan[..scan.len().min(allowed + 1)]) {
                    Some(i) => {
                        out[written..=written + i].copy_from_slice(&scan[..=i]);
                        written += i + 1;
                        self.pos += i + 1;
                        self.run = 0;
                        self.line += 1;
                    }
                    None => {
                        let n = scan.len().min(allowed);
                        out[written..written + n].copy_from_slice(&scan[..n]);
                        written += n;
                        self.pos += n;
                        self.run += n;
                        if scan.len() > n {
                            self.skipping = true;
                            self.cut.borrow_mut().push_back(self.line + 1);
                        }
                    }
                }
            }
            if written > 0 {
                return Ok(written);
            }
        }
    }
}

/// The position of the first newline in `bytes`, eight bytes at a time
/// (a byte-by-byte search was a twentieth of reading a CSV file).
#[inline]
fn find_newline(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    const NEWLINES: u64 = 0x0a0a_0a0a_0a0a_0a0a;
    let mut words = bytes.chunks_exact(8);
    let mut at = 0;
    for word in &mut words {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        let x = u64::from_le_bytes(w) ^ NEWLINES;
        // The lowest byte flagged is the first zero byte of `x` (a borrow
        // can only flag bytes above a zero one).
        let zero = x.wrapping_sub(ONES) & !x & HIGHS;
        if zero != 0 {
            return Some(at + (zero.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    words.remainder().iter().position(|&b| b == b'\n').map(|i| at + i)
}

fn read_csv(
    file: &Path,
    reader: Box<dyn Read>,
    specs: &[ColumnSpec],
    line_offset: u64,
    on_row: &mut dyn FnMut(Row<'_>),
) -> Result<u64, IngestError> {
    read_csv_capped(file, reader, specs, line_offset, MAX_LINE_BYTES, on_row)
}

fn read_csv_capped(
    file: &Path,
    reader: Box<dyn Read>,
    specs: &[ColumnSpec],
    line_offset: u64,
    max_line: usize,
    on_row: &mut dyn FnMut(Row<'_>),
) -> Result<u64, IngestError> {
    let cut = std::rc::Rc::new(std::cell::RefCell::new(std::collections::VecDeque::new()));
    let capped = LineCap {
        inner: reader,
        max: max_line,
        buf: vec![0; 1 << 16],
        pos: 0,
        len: 0,
        run: 0,
        skipping: false,
        line: 0,
        cut: cut.clone(),
    };
    let mut rdr =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).buffer_capacity(1 << 20).from_reader(capped);
    let read_err = |e: csv::Error| {
        let line = e.position().map(|p| p.line() + line_offset).unwrap_or(0);
        let message = match e.kind() {
            csv::ErrorKind::Io(io) => io.to_string(),
            _ => e.to_string(),
        };
        IngestError::Read { file: file.to_path_buf(), line, message }
    };
    let mut rec = csv::ByteRecord::new();
    if !rdr.read_byte_record(&mut rec).map_err(read_err)? {
        return Err(IngestError::EmptyFile(file.to_path_buf()));
    }
    let headers: Vec<String> = rec.iter().map(|h| String::from_utf8_lossy(h).into_owned()).collect();
    let index = resolve(file, &headers, specs)?;
    let width = headers.len();
    let mut rows = 0u64;
    // The record moves into a StringRecord, which checks a whole row's
    // UTF-8 at once (one ASCII scan for almost every row) instead of one
    // check per cell, and back again: no allocation per row.
    let mut slot = Some(rec);
    while let Some(mut rec) = slot.take() {
        if !rdr.read_byte_record(&mut rec).map_err(read_err)? {
            break;
        }
        rows += 1;
        let start = rec.position().map(|p| p.line()).unwrap_or(rows + 1);
        let line = start + line_offset;
        // A line of this record was cut by the LineCap: the record is not
        // what the file holds.
        let next = rdr.position().line().max(start + 1);
        let was_cut = {
            let mut cut = cut.borrow_mut();
            while cut.front().is_some_and(|&l| l < start) {
                cut.pop_front();
            }
            cut.front().is_some_and(|&l| l < next)
        };
        let mut malformed = if was_cut {
            Some(format!("line longer than {max_line} bytes; the rest of it was skipped unread"))
        } else {
            (rec.len() != width).then(|| format!("expected {width} fields as in the header, found {}", rec.len()))
        };
        let mut stack = [None; 16];
        let mut heap: Vec<Option<Cell<'_>>>;
        let cells: &mut [Option<Cell<'_>>] = if specs.len() <= stack.len() {
            &mut stack[..specs.len()]
        } else {
            heap = vec![None; specs.len()];
            &mut heap
        };
        match csv::StringRecord::from_byte_record(rec) {
            Ok(srec) => {
                if malformed.is_none() {
                    for (cell, idx) in cells.iter_mut().zip(&index) {
                        *cell = idx.and_then(|i| srec.get(i)).and_then(text_cell);
                    }
                }
                on_row(Row { line, cells, malformed, raw: RawRow::Csv(srec.as_byte_record()) });
                slot = Some(srec.into_byte_record());
            }
            Err(e) => {
                let rec = e.into_byte_record();
                if malformed.is_none() {
                    for ((cell, spec), idx) in cells.iter_mut().zip(specs).zip(&index) {
                        *cell = match idx.and_then(|i| rec.get(i)) {
                            None => None,
                            Some(bytes) => match std::str::from_utf8(bytes) {
                                Ok(s) => text_cell(s),
                                Err(_) => {
                                    malformed = Some(format!("column {} is not valid UTF-8", spec.name));
                                    None
                                }
                            },
                        };
                    }
                }
                on_row(Row { line, cells, malformed, raw: RawRow::Csv(&rec) });
                slot = Some(rec);
            }
        }
    }
    Ok(rows)
}

/// How a normalised Parquet column's values become cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Str,
    Int,
    Float,
    Bool,
    Instant(TimeUnit),
    Naive(TimeUnit),
    Date,
}

impl Kind {
    /// Its name in the row index's manifest.
    pub(super) fn code(self) -> String {
        let unit = |u: TimeUnit| match u {
            TimeUnit::Nanoseconds => "ns",
            TimeUnit::Microseconds => "us",
            TimeUnit::Milliseconds => "ms",
        };
        match self {
            Kind::Str => "str".into(),
            Kind::Int => "int".into(),
            Kind::Float => "float".into(),
            Kind::Bool => "bool".into(),
            Kind::Instant(u) => format!("instant_{}", unit(u)),
            Kind::Naive(u) => format!("naive_{}", unit(u)),
            Kind::Date => "date".into(),
        }
    }

    /// The kind a manifest names; `None` for a name no version writes.
    pub(super) fn from_code(code: &str) -> Option<Kind> {
        let unit = |u: &str| match u {
            "ns" => Some(TimeUnit::Nanoseconds),
            "us" => Some(TimeUnit::Microseconds),
            "ms" => Some(TimeUnit::Milliseconds),
            _ => None,
        };
        Some(match code {
            "str" => Kind::Str,
            "int" => Kind::Int,
            "float" => Kind::Float,
            "bool" => Kind::Bool,
            "date" => Kind::Date,
            _ => match code.split_once('_')? {
                ("instant", u) => Kind::Instant(unit(u)?),
                ("naive", u) => Kind::Naive(unit(u)?),
                _ => return None,
            },
        })
    }

    /// The physical type of its normalised column.
    pub(super) fn dtype(self) -> DataType {
        match self {
            Kind::Str => DataType::String,
            Kind::Int | Kind::Instant(_) | Kind::Naive(_) => DataType::Int64,
            Kind::Float => DataType::Float64,
            Kind::Bool => DataType::Boolean,
            Kind::Date => DataType::Int32,
        }
    }
}

/// Microseconds of a datetime column's physical value in `unit`, with
/// checked arithmetic: `None` when it does not fit (never wrapped).
fn to_micros(v: i64, unit: TimeUnit) -> Option<i64> {
    match unit {
        TimeUnit::Nanoseconds => Some(v.div_euclid(1000)),
        TimeUnit::Microseconds => Some(v),
        TimeUnit::Milliseconds => v.checked_mul(1000),
    }
}

pub(super) fn parquet_err(file: &Path) -> impl Fn(PolarsError) -> IngestError + '_ {
    move |e| IngestError::Parquet { file: file.to_path_buf(), message: e.to_string() }
}

/// Reads rows `rows` (0-based, end exclusive; clipped to the file) of a
/// Parquet file, numbered as in the whole file (1-based). Returns the
/// number of rows read.
pub fn read_parquet_rows(
    file: &Path,
    specs: &[ColumnSpec],
    rows: std::ops::Range<u64>,
    on_row: &mut dyn FnMut(Row<'_>),
) -> Result<u64, IngestError> {
    read_parquet(file, specs, Some(rows), on_row)
}

fn read_parquet(
    file: &Path,
    specs: &[ColumnSpec],
    rows: Option<std::ops::Range<u64>>,
    on_row: &mut dyn FnMut(Row<'_>),
) -> Result<u64, IngestError> {
    read_parquet_where(file, specs, rows, None, on_row)
}

/// Users a filter compares one by one; more are matched with a hash join
/// (the crate's polars has no `is_in`): 400 users compared one by one
/// made a scan of 23 M rows take minutes.
const FEW_USERS: usize = 4;

/// The rows of `lf` a row filter keeps, projected by `exprs`, in file
/// order: the patients' ids compared (they are few), the users' matched by
/// a left join on a small frame of their ids when there are many. The
/// predicate is pushed into the scan (user id second in `specs`, patient
/// id third; `index` maps them to the file's `headers`).
fn filtered_frame(
    lf: LazyFrame,
    filter: &super::filter::RowFilter,
    headers: &[String],
    index: &[Option<usize>],
    exprs: Vec<Expr>,
) -> PolarsResult<DataFrame> {
    const ROW: &str = "__ehrwatch_row";
    const KEY: &str = "__ehrwatch_user";
    const HIT: &str = "__ehrwatch_hit";
    let column =
        |slot: usize| index.get(slot).copied().flatten().map(|i| col(headers[i].as_str()).cast(DataType::String));
    let or = |any: Option<Expr>, e: Expr| Some(any.map_or(e.clone(), |a| a.or(e)));
    let sorted = |ids: &std::collections::HashSet<String>| {
        let mut v: Vec<String> = ids.iter().cloned().collect();
        v.sort();
        v
    };
    let mut keep: Option<Expr> = None;
    if let Some(patient) = column(2) {
        for id in sorted(&filter.patients) {
            keep = or(keep, patient.clone().eq(lit(id)));
        }
    }
    let lf = match column(1).filter(|_| !filter.users.is_empty()) {
        Some(user) if filter.users.len() > FEW_USERS => {
            let ids = sorted(&filter.users);
            let n = ids.len();
            let right = DataFrame::new(n, vec![Column::new(KEY.into(), ids), Column::new(HIT.into(), vec![true; n])])?;
            keep = or(keep, col(HIT).is_not_null());
            lf.with_row_index(ROW, None)
                .join(right.lazy(), [user], [col(KEY)], JoinArgs::new(JoinType::Left))
                .filter(keep.unwrap_or_else(|| lit(false)))
                .sort([ROW], SortMultipleOptions::default())
        }
        Some(user) => {
            for id in sorted(&filter.users) {
                keep = or(keep, user.clone().eq(lit(id)));
            }
            lf.filter(keep.unwrap_or_else(|| lit(false)))
        }
        // Nothing to keep: a predicate no row meets.
        None => lf.filter(keep.unwrap_or_else(|| lit(false))),
    };
    Ok(lf.select(exprs).collect_with_engine(Engine::Streaming)?.unwrap_single())
}

/// The wanted columns of a Parquet file, normalised to a handful of
/// physical types: the expressions that select them (named by the specs),
/// how each is read back into cells, and where each spec is in the file.
pub(super) struct Projection {
    /// The file's column names.
    pub headers: Vec<String>,
    /// Per spec, the file's column, if it has one.
    pub index: Vec<Option<usize>>,
    /// One expression per present spec, aliased to the spec's name.
    pub exprs: Vec<Expr>,
    /// How each present column's values become cells.
    pub kinds: Vec<Kind>,
    /// The present specs' names.
    pub names: Vec<&'static str>,
}

/// The [`Projection`] of a scanned Parquet file; a column of a type its
/// field cannot hold is an error.
pub(super) fn projection(file: &Path, lf: &LazyFrame, specs: &[ColumnSpec]) -> Result<Projection, IngestError> {
    let err = parquet_err(file);
    let schema = lf.clone().collect_schema().map_err(&err)?;
    let headers: Vec<String> = schema.iter_names().map(|n| n.to_string()).collect();
    let index = resolve(file, &headers, specs)?;

    // Project the wanted columns, normalised to a handful of physical types.
    let mut exprs = Vec::new();
    let mut kinds = Vec::new();
    let mut names: Vec<&'static str> = Vec::new();
    for (spec, idx) in specs.iter().zip(&index) {
        let Some(i) = idx else { continue };
        let src = headers[*i].as_str();
        let dtype = schema.get(src).cloned().unwrap_or(DataType::String);
        if let Some(expected) = wrong_type(spec.name, &dtype) {
            return Err(IngestError::ColumnType {
                file: file.to_path_buf(),
                column: spec.name,
                found: dtype.to_string(),
                expected,
            });
        }
        let (expr, kind) = match dtype {
            DataType::String => (col(src), Kind::Str),
            DataType::Boolean => (col(src), Kind::Bool),
            DataType::Float32 | DataType::Float64 => (col(src).cast(DataType::Float64), Kind::Float),
            d if d.is_integer() => (col(src).cast(DataType::Int64), Kind::Int),
            DataType::Datetime(unit, tz) => {
                // The physical value in the column's own unit, converted
                // here with checked arithmetic: polars' unit cast would
                // wrap a millisecond value past i64's microsecond range.
                let kind = if tz.is_some() { Kind::Instant(unit) } else { Kind::Naive(unit) };
                (col(src).cast(DataType::Int64), kind)
            }
            DataType::Date => (col(src).cast(DataType::Int32), Kind::Date),
            _ => (col(src).cast(DataType::String), Kind::Str),
        };
        exprs.push(expr.alias(spec.name));
        kinds.push(kind);
        names.push(spec.name);
    }
    Ok(Projection { headers, index, exprs, kinds, names })
}

fn read_parquet_where(
    file: &Path,
    specs: &[ColumnSpec],
    rows: Option<std::ops::Range<u64>>,
    filter: Option<&super::filter::RowFilter>,
    on_row: &mut dyn FnMut(Row<'_>),
) -> Result<u64, IngestError> {
    let err = parquet_err(file);
    let path = PlRefPath::new(file.to_string_lossy().as_ref());
    let lf = LazyFrame::scan_parquet(path, ScanArgsParquet::default()).map_err(&err)?;
    let Projection { headers, index, exprs, kinds, names } = projection(file, &lf, specs)?;
    if let Some(filter) = filter {
        // The filtered rows are few: one scan, the predicate pushed into it.
        let kept = filtered_frame(lf, filter, &headers, &index, exprs).map_err(&err)?;
        return emit_batch(&kept, &names, &kinds, &index, specs, 0, on_row).map_err(&err);
    }
    let total = row_count(&lf).map_err(&err)?;
    let projection = Projection { headers, index, exprs, kinds, names };
    scan_batches(file, &lf, &projection, total, rows, &mut |batch, offset| {
        emit_batch(batch, &projection.names, &projection.kinds, &projection.index, specs, offset, on_row).map_err(&err)
    })
}

/// Collects rows `rows` (clipped to the `total` rows of the file) of a
/// scanned Parquet file in batches of the projection's columns, passing
/// each with the 0-based row it starts at. Returns the rows collected.
fn scan_batches(
    file: &Path,
    lf: &LazyFrame,
    projection: &Projection,
    total: u64,
    rows: Option<std::ops::Range<u64>>,
    on_batch: &mut dyn FnMut(&DataFrame, u64) -> Result<u64, IngestError>,
) -> Result<u64, IngestError> {
    let err = parquet_err(file);
    let (first, end) = rows.map_or((0, total), |r| (r.start.min(total), r.end.min(total)));
    let mut offset: u64 = first;
    while offset < end {
        let batch = lf
            .clone()
            .select(projection.exprs.clone())
            .slice(offset as i64, (PARQUET_BATCH_ROWS as u64).min(end - offset) as IdxSize)
            .collect_with_engine(Engine::Streaming)
            .map_err(&err)?
            // One select has one sink, so the result is a single frame.
            .unwrap_single();
        let n = batch.height();
        if n == 0 {
            break;
        }
        on_batch(&batch, offset)?;
        offset += n as u64;
    }
    Ok(offset - first)
}

/// Reads rows `rows` (0-based, end exclusive; all when `None`) of a
/// Parquet file in collected batches of the columns `specs` name: each
/// batch goes to `on_batch` with the file's [`Projection`] and the 0-based
/// row it starts at, and returns the rows it read. Returns the rows read.
pub(super) fn read_parquet_batches(
    file: &Path,
    specs: &[ColumnSpec],
    rows: Option<std::ops::Range<u64>>,
    on_batch: &mut dyn FnMut(&DataFrame, &Projection, u64) -> Result<u64, IngestError>,
) -> Result<u64, IngestError> {
    let err = parquet_err(file);
    let path = PlRefPath::new(file.to_string_lossy().as_ref());
    let lf = LazyFrame::scan_parquet(path, ScanArgsParquet::default()).map_err(&err)?;
    let projection = projection(file, &lf, specs)?;
    let total = row_count(&lf).map_err(&err)?;
    scan_batches(file, &lf, &projection, total, rows, &mut |batch, offset| on_batch(batch, &projection, offset))
}

/// Sends a collected batch's rows to `on_row`, numbered from `offset + 1`.
/// Returns the rows sent.
pub(super) fn emit_batch(
    batch: &DataFrame,
    names: &[&str],
    kinds: &[Kind],
    index: &[Option<usize>],
    specs: &[ColumnSpec],
    offset: u64,
    on_row: &mut dyn FnMut(Row<'_>),
) -> PolarsResult<u64> {
    let n = batch.height();
    let mut columns: Vec<ColumnIter<'_>> = Vec::with_capacity(names.len());
    for (name, kind) in names.iter().zip(kinds) {
        let c = batch.column(name)?;
        columns.push(ColumnIter::new(c, *kind)?);
    }
    let mut cells: Vec<Option<Cell<'_>>> = Vec::with_capacity(specs.len());
    let mut projected: Vec<Option<Cell<'_>>> = Vec::with_capacity(names.len());
    for r in 0..n {
        projected.clear();
        for c in columns.iter_mut() {
            projected.push(c.next_cell());
        }
        cells.clear();
        let mut k = 0;
        for idx in index {
            if idx.is_some() {
                cells.push(projected[k]);
                k += 1;
            } else {
                cells.push(None);
            }
        }
        let line = offset + r as u64 + 1;
        on_row(Row { line, cells: &cells, malformed: None, raw: RawRow::Cells(&projected, names) });
    }
    Ok(n as u64)
}

/// What a contract field needs when a Parquet column's type cannot hold
/// it (a float user id, a boolean timestamp, a list anywhere); `None` when
/// the type is readable. Text is accepted everywhere: its cells are
/// checked one by one, like CSV.
fn wrong_type(field: &str, dtype: &DataType) -> Option<&'static str> {
    let text = matches!(dtype, DataType::String);
    let ok = match field {
        "timestamp" | "start" | "end" => text || matches!(dtype, DataType::Datetime(..) | DataType::Date),
        "hire_date" | "termination_date" | "birth_date" | "deceased_date" => {
            text || matches!(dtype, DataType::Datetime(..) | DataType::Date)
        }
        "break_glass" | "vip" | "restricted" => text || dtype.is_integer() || matches!(dtype, DataType::Boolean),
        "lat" | "lon" => text || dtype.is_integer() || dtype.is_float(),
        _ => text || dtype.is_integer(),
    };
    if ok {
        return None;
    }
    Some(match field {
        "timestamp" | "start" | "end" => "a timestamp (datetime, date or text)",
        "hire_date" | "termination_date" | "birth_date" | "deceased_date" => "a date (date, datetime or text)",
        "break_glass" | "vip" | "restricted" => "a boolean (boolean, 0/1 or text)",
        "lat" | "lon" => "a number",
        _ => "text (or an integer id)",
    })
}

/// A typed iterator over one collected column.
enum ColumnIter<'a> {
    Str(Box<dyn Iterator<Item = Option<&'a str>> + 'a>),
    Int(Box<dyn Iterator<Item = Option<i64>> + 'a>, Kind),
    Float(Box<dyn Iterator<Item = Option<f64>> + 'a>),
    Bool(Box<dyn Iterator<Item = Option<bool>> + 'a>),
    Date(Box<dyn Iterator<Item = Option<i32>> + 'a>),
}

impl<'a> ColumnIter<'a> {
    fn new(c: &'a Column, kind: Kind) -> PolarsResult<Self> {
        Ok(match kind {
            Kind::Str => ColumnIter::Str(Box::new(c.str()?.iter())),
            Kind::Int | Kind::Instant(_) | Kind::Naive(_) => ColumnIter::Int(Box::new(c.i64()?.iter()), kind),
            Kind::Float => ColumnIter::Float(Box::new(c.f64()?.iter())),
            Kind::Bool => ColumnIter::Bool(Box::new(c.bool()?.iter())),
            Kind::Date => ColumnIter::Date(Box::new(c.i32()?.iter())),
        })
    }

    fn next_cell(&mut self) -> Option<Cell<'a>> {
        match self {
            ColumnIter::Str(it) => it.next().flatten().map(trim).filter(|s| !is_missing(s)).map(Cell::Str),
            ColumnIter::Int(it, kind) => it.next().flatten().map(|v| match *kind {
                Kind::Instant(unit) => to_micros(v, unit).map_or(Cell::OutOfRange, Cell::Instant),
                Kind::Naive(unit) => to_micros(v, unit).map_or(Cell::OutOfRange, Cell::Naive),
                _ => Cell::Int(v),
            }),
            ColumnIter::Float(it) => it.next().flatten().map(Cell::Float),
            ColumnIter::Bool(it) => it.next().flatten().map(Cell::Bool),
            ColumnIter::Date(it) => it.next().flatten().map(Cell::Date),
        }
    }
}

/// Rows of a Parquet file, from its metadata; `None` for other files or an
/// unreadable one (the read itself then reports the error).
pub fn parquet_rows(file: &Path) -> Option<u64> {
    if !file.to_string_lossy().to_ascii_lowercase().ends_with(".parquet") {
        return None;
    }
    let path = PlRefPath::new(file.to_string_lossy().as_ref());
    row_count(&LazyFrame::scan_parquet(path, ScanArgsParquet::default()).ok()?).ok()
}

/// Rows of a scanned Parquet file (from its metadata).
fn row_count(lf: &LazyFrame) -> PolarsResult<u64> {
    let n = lf.clone().select([len().alias("n")]).collect()?;
    Ok(n.column("n")?.get(0).map(|v| v.extract::<u64>().unwrap_or(0))?)
}

/// The normalised column names of a file, read from its header or schema.
pub fn file_columns(file: &Path) -> Result<Vec<String>, IngestError> {
    let mut names = Vec::new();
    let lower = file.to_string_lossy().to_ascii_lowercase();
    if lower.ends_with(".parquet") {
        let path = PlRefPath::new(file.to_string_lossy().as_ref());
        let schema = LazyFrame::scan_parquet(path, ScanArgsParquet::default())
            .and_then(|lf| lf.clone().collect_schema())
            .map_err(parquet_err(file))?;
        names.extend(schema.iter_names().map(|n| normalise_header(n)));
    } else {
        let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(open_csv(file)?);
        let mut rec = csv::ByteRecord::new();
        if rdr.read_byte_record(&mut rec).map_err(|e| IngestError::Read {
            file: file.to_path_buf(),
            line: 1,
            message: e.to_string(),
        })? {
            names.extend(rec.iter().map(|h| normalise_header(&String::from_utf8_lossy(h))));
        }
    }
    Ok(names)
}

/// The normalised header names of a CSV header line, for tests.
#[cfg(test)]
pub fn header_names(line: &str) -> Vec<String> {
    line.split(',').map(normalise_header).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::columns::{optional, required};

    fn csv_rows(
        text: &str,
        specs: &[ColumnSpec],
    ) -> Result<Vec<(u64, Vec<Option<String>>, Option<String>)>, IngestError> {
        let mut out = Vec::new();
        read_csv(Path::new("t.csv"), Box::new(std::io::Cursor::new(text.as_bytes().to_vec())), specs, 0, &mut |row| {
            out.push((row.line, row.cells.iter().map(|c| c.map(|c| c.to_text())).collect(), row.malformed.clone()))
        })?;
        Ok(out)
    }

    #[test]
    fn csv_rows_keep_line_numbers_and_flag_wrong_field_counts() {
        let text = "A,b\n1,x\n2\n\"3\nstill 3\",y\n4,NULL\n5,y,extra\n";
        let rows = csv_rows(text, &[required("a"), optional("b"), optional("c")]).unwrap();
        assert_eq!(rows.len(), 5);
        assert_eq!(rows[0], (2, vec![Some("1".into()), Some("x".into()), None], None));
        assert!(rows[1].2.as_deref().unwrap().contains("expected 2 fields"));
        assert_eq!(rows[2].0, 4);
        assert_eq!(rows[3].0, 6);
        assert_eq!(rows[3].1[1], None, "NULL is missing");
        assert!(rows[4].2.is_some());
    }

    #[test]
    fn chunks_cover_every_line_once_with_whole_file_line_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("access_log.csv");
        let mut text = String::from("a,b\n");
        for i in 0..200_000u32 {
            text.push_str(&format!("{i},x{}\n", i % 7));
        }
        std::fs::write(&path, &text).unwrap();
        assert_eq!(plan_csv_chunks(&path, 4).unwrap(), None, "small files are read whole");
        let chunks = plan_chunks(&path, 4, 1, u64::MAX).unwrap().expect("an unquoted file is split");
        assert!(chunks.len() >= 2);
        let size = std::fs::metadata(&path).unwrap().len();
        let small = plan_chunks(&path, 4, 1, size / 10).unwrap().unwrap();
        assert!(small.len() >= 10, "at most max_bytes a chunk: {}", small.len());
        assert!(small.iter().all(|c| c.end - c.start <= size / 10 + 16));
        let mut lines = Vec::new();
        for c in &chunks {
            read_csv_chunk(&path, c, &[required("a")], &mut |row| {
                assert_eq!(row.cells[0].map(|c| c.to_text()), Some((row.line - 2).to_string()));
                lines.push(row.line);
            })
            .unwrap();
        }
        assert_eq!(lines.len(), 200_000);
        assert!(lines.windows(2).all(|w| w[1] == w[0] + 1), "consecutive and complete");
        assert_eq!(lines[0], 2);

        // A quote anywhere: read sequentially.
        text.push_str("\"q\",y\n");
        std::fs::write(&path, &text).unwrap();
        assert_eq!(plan_chunks(&path, 4, 1, u64::MAX).unwrap(), None);
    }

    #[test]
    fn invalid_utf8_marks_its_row_only_when_the_column_is_wanted() {
        let specs = [required("a"), optional("b")];
        let mut text = b"a,b,extra\n1,M\xc3\xbcller,x\n2,\xff\xfe,x\n3,y,\xff\n4,z,x\n".to_vec();
        let mut rows = Vec::new();
        let reader = Box::new(std::io::Cursor::new(std::mem::take(&mut text)));
        read_csv(Path::new("t.csv"), reader, &specs, 0, &mut |row| {
            rows.push((
                row.line,
                row.cells.iter().map(|c| c.map(|c| c.to_text())).collect::<Vec<_>>(),
                row.malformed.clone(),
                row.raw(),
            ))
        })
        .unwrap();
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0].1, vec![Some("1".to_string()), Some("Müller".to_string())]);
        assert_eq!(rows[0].2, None);
        assert_eq!(rows[1].2.as_deref(), Some("column b is not valid UTF-8"));
        assert!(rows[1].3.starts_with("2,"), "raw kept, lossily: {}", rows[1].3);
        // An unread column's bytes are not the row's problem.
        assert_eq!((rows[2].1[1].clone(), rows[2].2.clone()), (Some("y".to_string()), None));
        assert_eq!((rows[3].0, rows[3].2.clone()), (5, None));
    }

    /// The boundaries a byte-by-byte scan finds: the first line start at
    /// or after each target, with its line number.
    fn reference_bounds(text: &[u8], header: usize, parts: u64) -> Vec<(u64, u64)> {
        let size = text.len() as u64;
        let step = (size - header as u64) / parts;
        let (mut out, mut line, mut target) = (vec![(header as u64, 2u64)], 2u64, header as u64 + step);
        for (i, &b) in text.iter().enumerate().skip(header) {
            if b == b'\n' {
                line += 1;
                let start = i as u64 + 1;
                if start >= target && start < size && (out.len() as u64) < parts {
                    out.push((start, line));
                    target = start + step;
                }
            }
        }
        out
    }

    #[test]
    fn chunk_boundaries_equal_a_byte_by_byte_scan() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("access_log.csv");
        // Lines of varied length, some empty, crossing the 4 MB read buffer.
        let mut text = String::from("a,b\n");
        let mut x: u64 = 7;
        while text.len() < 9 << 20 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let len = (x >> 33) % 300;
            text.extend(std::iter::repeat_n('x', len as usize));
            text.push('\n');
        }
        std::fs::write(&path, &text).unwrap();
        for parts in [2usize, 3, 7, 64, 1000] {
            let got: Vec<(u64, u64)> = plan_chunks(&path, parts, 1, u64::MAX)
                .unwrap()
                .unwrap()
                .iter()
                .map(|c| (c.start, c.first_line))
                .collect();
            assert_eq!(got, reference_bounds(text.as_bytes(), 4, parts as u64), "{parts} parts");
        }
    }

    /// Seeded random CSV text (good rows, wrong field counts, quotes,
    /// invalid UTF-8, over-long lines, no final newline): reading never
    /// panics, and every data row reaches the callback exactly once.
    #[test]
    fn csv_reading_survives_arbitrary_input() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(29);
        let specs = [required("a"), optional("b"), optional("c")];
        let pieces: [&[u8]; 9] = [
            b"1,x,y\n",
            b"2,x\n",
            b"\"3\nq\",x,y\n",
            b"\xff\xfe,x,y\n",
            b",,\n",
            b"\n",
            b"4,\"x",
            b"5,x,y,z\n",
            b"\r\n",
        ];
        for round in 0..2_000 {
            let mut text = b"a,b,c\n".to_vec();
            for _ in 0..rng.gen_range(0..40) {
                if rng.gen_bool(0.05) {
                    text.extend(std::iter::repeat_n(b'w', rng.gen_range(50..300)));
                } else {
                    text.extend_from_slice(pieces[rng.gen_range(0..pieces.len())]);
                }
            }
            let mut seen = 0u64;
            let reader = Box::new(std::io::Cursor::new(text.clone()));
            let read = read_csv_capped(Path::new("t.csv"), reader, &specs, 0, 64, &mut |row| {
                assert!(row.cells.len() == specs.len());
                seen += 1;
            });
            match read {
                Ok(rows) => assert_eq!(rows, seen, "round {round}"),
                Err(e) => assert!(matches!(e, IngestError::Read { .. }), "round {round}: {e}"),
            }
        }
    }

    #[test]
    fn an_over_long_line_is_cut_while_reading_and_its_record_rejected() {
        let specs = [required("a"), optional("b")];
        let long = "y".repeat(5000);
        let text = format!("a,b\n1,x\n2,{long}\n3,z\n4,{long}");
        let mut rows = Vec::new();
        let reader = Box::new(std::io::Cursor::new(text.into_bytes()));
        read_csv_capped(Path::new("t.csv"), reader, &specs, 10, 100, &mut |row| {
            rows.push((row.line, row.cells[0].map(|c| c.to_text()), row.malformed.clone(), row.raw().len()))
        })
        .unwrap();
        assert_eq!(rows.len(), 4, "{rows:?}");
        assert_eq!((rows[0].0, rows[0].2.clone()), (12, None));
        assert_eq!(rows[1].0, 13);
        assert!(rows[1].2.as_deref().unwrap().contains("longer than 100 bytes"), "{rows:?}");
        assert!(rows[1].3 <= 100, "what was kept is cut: {}", rows[1].3);
        assert_eq!((rows[2].0, rows[2].1.clone(), rows[2].2.clone()), (14, Some("3".into()), None));
        assert!(rows[3].2.is_some(), "the last line, without a newline, too");
        // Exactly at the limit is fine.
        let exact = format!("a,b\n1,{}\n", "y".repeat(98));
        let mut ok = 0;
        read_csv_capped(
            Path::new("t.csv"),
            Box::new(std::io::Cursor::new(exact.into_bytes())),
            &specs,
            0,
            100,
            &mut |row| {
                assert!(row.malformed.is_none());
                ok += 1;
            },
        )
        .unwrap();
        assert_eq!(ok, 1);
    }

    #[test]
    fn find_newline_equals_a_byte_by_byte_search() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(31);
        for _ in 0..5_000 {
            let len = rng.gen_range(0..40);
            // Bytes around the newline (0x0a), where a borrow could mislead.
            let bytes: Vec<u8> = (0..len).map(|_| [b'\n', 0x0b, 0x09, 0x8a, 0x00, b'x'][rng.gen_range(0..6)]).collect();
            assert_eq!(find_newline(&bytes), bytes.iter().position(|&b| b == b'\n'), "{bytes:?}");
        }
        assert_eq!(find_newline(b"0123456789abcdef\n"), Some(16));
        assert_eq!(find_newline(b""), None);
    }

    #[test]
    fn empty_file_and_missing_column_are_errors() {
        assert!(matches!(csv_rows("", &[required("a")]), Err(IngestError::EmptyFile(_))));
        assert!(matches!(csv_rows("x\n1\n", &[required("a")]), Err(IngestError::MissingColumn { .. })));
    }

    #[test]
    fn header_normalisation() {
        assert_eq!(header_names(" A ,B"), vec!["a", "b"]);
    }
}
