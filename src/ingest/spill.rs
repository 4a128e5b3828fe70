//! The access log spilled to disk, bucketed by user, so that a run over
//! 100 M events never holds them all at once: the log is read once, each
//! part's recoded events are scattered into blocks of [`BLOCK_USERS`]
//! consecutive user codes and appended to one file per block, and a range
//! of users is loaded back later ([`Spilled::load`]).
//!
//! Invariants: [`read_bundle_spilled`] gives the same dictionaries, codes,
//! report and rejects as [`super::read_bundle`]; loading a range of users
//! gives exactly the rows, order and columns of the in-memory read's sorted
//! events for those users (blocks keep input order, and the same stable sort
//! runs on them). Spill files are owner-only and removed when the
//! [`Spilled`] is dropped, also when reading fails half way. A damaged spill
//! file is an [`IngestError::Spill`], never a panic.
//!
//! File format (read only by this module, within one run): a sequence of
//! chunks, each the magic `EWS1`, the row count (`u32`, little-endian), then
//! every column of [`Events`] in declaration order as a little-endian array
//! (`Action`, `DataCategory` and `bool` as one byte each).

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

use chrono_tz::Tz;

use super::bundle::{read_bundle_into, EventSink, Ingested, Parts, UNIT_ROWS};
use super::error::IngestError;
use crate::model::{each_column, Action, Code, DataCategory, Events, Recode, NONE};
use crate::progress::Progress;

/// Consecutive user codes per block (one spill file each); partitions are
/// made of whole blocks.
pub const BLOCK_USERS: Code = 64;

/// Events buffered per block before it is written.
const FLUSH_EVENTS: usize = 16 * 1024;

/// Events buffered over all blocks before every block is written, so memory
/// stays bounded (about 90 MB) however many blocks there are.
const BUFFER_EVENTS: usize = 2 << 20;

/// Most bytes of block buffers kept with their room after a flush (see
/// `SpillWriter::flush`).
const KEPT_BUFFER_BYTES: usize = 256 << 20;

const MAGIC: [u8; 4] = *b"EWS1";
const HEADER_BYTES: usize = 8;
/// Bytes per event: user, patient (4 + 4), ts (8), action, category (1 + 1),
/// workstation, ip, department (3 * 4), break_glass (1), source_file (4),
/// source_line (8).
const ROW_BYTES: usize = 43;

/// One column's values as little-endian bytes.
trait Cell: Copy {
    const BYTES: usize;
    fn put(self, out: &mut Vec<u8>);
    /// `None` for bytes no value encodes to (a damaged file).
    fn get(b: &[u8]) -> Option<Self>;
}

fn array<const N: usize>(b: &[u8]) -> [u8; N] {
    let mut a = [0; N];
    a.copy_from_slice(b);
    a
}

/// Integers: their little-endian bytes.
macro_rules! le_cell {
    ($($t:ty),*) => {$(
        impl Cell for $t {
            const BYTES: usize = std::mem::size_of::<$t>();
            fn put(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn get(b: &[u8]) -> Option<Self> {
                Some(<$t>::from_le_bytes(array(b)))
            }
        }
    )*};
}
le_cell!(u32, u64, i64);

impl Cell for bool {
    const BYTES: usize = 1;
    fn put(self, out: &mut Vec<u8>) {
        out.push(self as u8);
    }
    fn get(b: &[u8]) -> Option<Self> {
        match b[0] {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
}

impl Cell for Action {
    const BYTES: usize = 1;
    fn put(self, out: &mut Vec<u8>) {
        out.push(self as u8);
    }
    fn get(b: &[u8]) -> Option<Self> {
        Action::ALL.get(b[0] as usize).copied()
    }
}

impl Cell for DataCategory {
    const BYTES: usize = 1;
    fn put(self, out: &mut Vec<u8>) {
        out.push(self as u8);
    }
    fn get(b: &[u8]) -> Option<Self> {
        DataCategory::ALL.get(b[0] as usize).copied()
    }
}

fn put_column<T: Cell>(values: &[T], out: &mut Vec<u8>) {
    for &v in values {
        v.put(out);
    }
}

/// Dictionary sizes, to check that codes read back are codes of this run.
#[derive(Debug, Default)]
struct Bounds {
    users: Code,
    patients: Code,
    workstations: Code,
    ips: Code,
    departments: Code,
    files: u32,
}

/// The access log of a bundle spilled to disk by [`read_bundle_spilled`],
/// bucketed into blocks of [`BLOCK_USERS`] user codes. Dropping it removes
/// the spill files and the (then empty) spill folder.
#[derive(Debug)]
pub struct Spilled {
    dir: PathBuf,
    /// Events per block.
    counts: Vec<u64>,
    /// Whether block `b`'s file was created (so it is removed on drop).
    created: Vec<bool>,
    /// Smallest and largest `ts`.
    time: Option<(i64, i64)>,
    bounds: Bounds,
    /// A block file's bytes and its rows' slots, kept from one load to the
    /// next (a block is about 100 MB at 100 M events).
    buffers: std::sync::Mutex<(Vec<u8>, Vec<u32>)>,
}

impl Spilled {
    fn file(&self, block: usize) -> PathBuf {
        self.dir.join(format!("block-{block:06}.spill"))
    }

    /// The spill folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Number of user codes (the users dictionary's length): partitions
    /// cover `0..users()`.
    pub fn users(&self) -> Code {
        self.bounds.users
    }

    /// Number of spilled events (the accepted access-log rows).
    pub fn events(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// The smallest and largest event time (UTC microseconds); `None`
    /// without events.
    pub fn time_range(&self) -> Option<(i64, i64)> {
        self.time
    }

    /// Contiguous ranges of user codes, in order, covering `0..users()`,
    /// each made of whole blocks and holding at most `max_events` events
    /// unless a single block holds more. Empty when there are no users.
    pub fn plan(&self, max_events: u64) -> Vec<Range<Code>> {
        self.plan_weighted(max_events, 0)
    }

    /// As [`Spilled::plan`], with each user weighing `per_user` events on
    /// top of its own: a partition holds at most `max_events` of events
    /// and user weight together (unless a single block weighs more), so a
    /// log of many users with few events each is cut too.
    pub fn plan_weighted(&self, max_events: u64, per_user: u64) -> Vec<Range<Code>> {
        let mut out = Vec::new();
        let (mut start, mut held) = (0 as Code, 0u64);
        for (b, &events) in self.counts.iter().enumerate() {
            let first = b as Code * BLOCK_USERS;
            let users = u64::from(self.bounds.users.saturating_sub(first).min(BLOCK_USERS));
            let n = events.saturating_add(users.saturating_mul(per_user));
            if first > start && held.saturating_add(n) > max_events {
                out.push(start..first);
                (start, held) = (first, 0);
            }
            held = held.saturating_add(n);
        }
        if self.bounds.users > start {
            out.push(start..self.bounds.users);
        }
        out
    }

    /// The events of users `users`, sorted by (user, time, input order):
    /// exactly the slice of [`super::read_bundle`]'s events for those users.
    /// Users outside `0..users()` have no events.
    ///
    /// Each block's file is read whole and its rows written straight to
    /// their sorted places (a counting sort by user, stable: a block keeps
    /// input order), so the columns are allocated once, at their final size,
    /// and no unsorted copy of the partition is made; then each user's
    /// events are sorted by time where they are not in order already.
    pub fn load(&self, users: Range<Code>) -> Result<Events, IngestError> {
        self.load_into(users, Events::default())
    }

    /// [`Spilled::load`] into the columns of `reuse` (emptied first; their
    /// values are not read): a partition's columns, once the passes are
    /// done with it, hold the next one without faulting in fresh pages.
    pub fn load_into(&self, users: Range<Code>, reuse: Events) -> Result<Events, IngestError> {
        let end = users.end.min(self.bounds.users);
        let mut events = reuse;
        each_column!(events, c => c.clear());
        if users.start >= end {
            return Ok(events);
        }
        let blocks = (users.start / BLOCK_USERS) as usize..end.div_ceil(BLOCK_USERS) as usize;
        let total = self.counts[blocks.clone()].iter().sum::<u64>() as usize;
        each_column!(events, c => c.reserve_exact(total));
        // Where each user's events start (one entry per user of the
        // blocks, and the end), for the sort by time within users.
        let mut start = Vec::with_capacity((blocks.len() * BLOCK_USERS as usize) + 1);
        start.push(0usize);
        let mut buffers = self.buffers.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let (file, dest) = &mut *buffers;
        let mut written = 0usize;
        for b in blocks.clone() {
            let n = self.counts[b] as usize;
            if n > 0 {
                self.scatter_block(b, file, dest, written, &mut start, &mut events)?;
            } else {
                start.extend(std::iter::repeat_n(written, BLOCK_USERS as usize));
            }
            written += n;
        }
        debug_assert_eq!(written, total);
        each_column!(events, c => {
            // SAFETY: each block's rows were written to a permutation of
            // its range of `0..total` (`scatter_block` checked that the
            // block holds exactly its count of rows and wrote every column
            // of every row, or returned an error before this point), and
            // the blocks' ranges follow one another up to `total`, so
            // every slot below `total` is initialised.
            unsafe { c.set_len(total) }
        });
        events.sort_within_users(&start);
        let whole =
            users.start.is_multiple_of(BLOCK_USERS) && (end.is_multiple_of(BLOCK_USERS) || end == self.bounds.users);
        if !whole {
            // Sorted by user: the range's users are one run of rows.
            let from = events.user.partition_point(|&u| u < users.start);
            let to = events.user.partition_point(|&u| u < end);
            each_column!(events, c => {
                c.truncate(to);
                c.drain(..from);
            });
        }
        Ok(events)
    }

    /// Reads block `b`'s file (into `file`) and writes its rows, a counting
    /// sort by user, to slots `first..first + counts[b]` of `events`' spare
    /// capacity (`dest` holds each row's slot); pushes each of the block's
    /// users' end to `start`. Every value is checked before it is written:
    /// a damaged file is an error, and the slots are then not all written.
    fn scatter_block(
        &self,
        b: usize,
        file: &mut Vec<u8>,
        dest: &mut Vec<u32>,
        first: usize,
        start: &mut Vec<usize>,
        events: &mut Events,
    ) -> Result<(), IngestError> {
        let path = self.file(b);
        let damaged = |message: String| IngestError::Spill { file: path.clone(), message };
        let io = |e: std::io::Error| damaged(format!("cannot read: {e}"));
        file.clear();
        File::open(&path).and_then(|mut f| f.read_to_end(file)).map_err(io)?;
        let expected = self.counts[b];
        let lo = b as Code * BLOCK_USERS;
        let block_users = lo..(lo + BLOCK_USERS).min(self.bounds.users);
        // The chunks (byte offset, rows), each header checked, and each
        // user's count.
        let mut chunks = Vec::new();
        let mut per_user = [0usize; BLOCK_USERS as usize];
        let (mut read, mut offset) = (0u64, 0usize);
        while offset < file.len() {
            let truncated = || damaged(format!("truncated in the chunk at byte {offset}"));
            let header = file.get(offset..offset + HEADER_BYTES).ok_or_else(truncated)?;
            let rows = u32::from_le_bytes(array(&header[4..])) as u64;
            if header[..4] != MAGIC || rows > expected - read {
                return Err(damaged(format!("damaged chunk header at byte {offset}")));
            }
            let n = rows as usize;
            let body = file.get(offset + HEADER_BYTES..offset + HEADER_BYTES + n * ROW_BYTES).ok_or_else(truncated)?;
            for u in body[..n * 4].chunks_exact(4).map(|x| u32::from_le_bytes(array(x))) {
                if !block_users.contains(&u) {
                    return Err(damaged(format!("damaged chunk at byte {offset}: column user holds an unknown code")));
                }
                per_user[(u - lo) as usize] += 1;
            }
            chunks.push((offset, n));
            read += rows;
            offset += HEADER_BYTES + n * ROW_BYTES;
        }
        if read != expected {
            return Err(damaged(format!("holds {read} events, {expected} were written")));
        }
        // Each user's next slot, in user order (the sort is stable).
        let mut next = [0usize; BLOCK_USERS as usize];
        let mut at = first;
        for (j, count) in per_user.iter().enumerate() {
            next[j] = at;
            at += count;
            start.push(at);
        }
        dest.clear();
        for &(offset, n) in &chunks {
            let users = &file[offset + HEADER_BYTES..offset + HEADER_BYTES + n * 4];
            dest.extend(users.chunks_exact(4).map(|x| {
                let j = (u32::from_le_bytes(array(x)) - lo) as usize;
                next[j] += 1;
                (next[j] - 1) as u32
            }));
        }
        let n = &self.bounds;
        let mut row = 0usize;
        for &(offset, rows) in &chunks {
            let body = &file[offset + HEADER_BYTES..offset + HEADER_BYTES + rows * ROW_BYTES];
            let to = &dest[row..row + rows];
            let fail = |what: Option<&str>| {
                damaged(match what {
                    None => format!("damaged chunk at byte {offset}: a value out of range"),
                    Some(column) => format!("damaged chunk at byte {offset}: column {column} holds an unknown code"),
                })
            };
            let code = |len: Code| move |c: Code| c == NONE || c < len;
            let mut at = 0;
            let mut column = |width: usize| {
                let bytes = &body[at..at + rows * width];
                at += rows * width;
                bytes
            };
            // Declaration order, as the writer wrote them; the enums' and
            // the flags' values are checked before any code, as before.
            let (user, patient, ts) = (column(4), column(4), column(8));
            let (action, category) = (column(1), column(1));
            let (workstation, ip, department) = (column(4), column(4), column(4));
            let (break_glass, source_file, source_line) = (column(1), column(4), column(8));
            let valid = action.iter().all(|&a| (a as usize) < Action::ALL.len())
                && category.iter().all(|&c| (c as usize) < DataCategory::ALL.len())
                && break_glass.iter().all(|&f| f <= 1);
            if !valid {
                return Err(fail(None));
            }
            place(user, to, &mut events.user, |_| true);
            if !place(patient, to, &mut events.patient, code(n.patients)) {
                return Err(fail(Some("patient")));
            }
            place(ts, to, &mut events.ts, |_| true);
            place(action, to, &mut events.action, |_| true);
            place(category, to, &mut events.category, |_| true);
            for (bytes, column, len, name) in [
                (workstation, &mut events.workstation, n.workstations, "workstation"),
                (ip, &mut events.ip, n.ips, "ip"),
                (department, &mut events.department, n.departments, "department"),
            ] {
                if !place(bytes, to, column, code(len)) {
                    return Err(fail(Some(name)));
                }
            }
            place(break_glass, to, &mut events.break_glass, |_| true);
            if !place(source_file, to, &mut events.source_file, |f: u32| f < n.files) {
                return Err(fail(Some("source_file")));
            }
            place(source_line, to, &mut events.source_line, |_| true);
            row += rows;
        }
        Ok(())
    }
}

/// Writes the values of one column of a chunk (`bytes`, little-endian) to
/// the slots `to` names in `column`'s spare capacity; false, at the first
/// value that is not one or that `known` refuses.
fn place<T: Cell>(bytes: &[u8], to: &[u32], column: &mut Vec<T>, known: impl Fn(T) -> bool) -> bool {
    let slots = column.spare_capacity_mut();
    for (b, &d) in bytes.chunks_exact(T::BYTES).zip(to) {
        match T::get(b) {
            Some(v) if known(v) => {
                slots[d as usize].write(v);
            }
            _ => return false,
        }
    }
    true
}

impl Drop for Spilled {
    fn drop(&mut self) {
        for b in 0..self.created.len() {
            if self.created[b] {
                let _ = fs::remove_file(self.file(b));
            }
        }
        // Only if empty: the folder is the caller's, and may hold more.
        let _ = fs::remove_dir(&self.dir);
    }
}

/// The sink that scatters recoded parts into per-block buffers and appends
/// full buffers to the block files.
struct SpillWriter {
    spilled: Spilled,
    buffers: Vec<Events>,
    buffered: usize,
    flush_at: usize,
    bytes: Vec<u8>,
}

impl SpillWriter {
    fn new(dir: &Path, flush_at: usize) -> SpillWriter {
        let spilled = Spilled {
            dir: dir.to_path_buf(),
            counts: Vec::new(),
            created: Vec::new(),
            time: None,
            bounds: Bounds::default(),
            buffers: Default::default(),
        };
        SpillWriter { spilled, buffers: Vec::new(), buffered: 0, flush_at, bytes: Vec::new() }
    }

    /// Appends block `b`'s buffer to its file as one chunk.
    fn flush(&mut self, b: usize) -> Result<(), IngestError> {
        let n = self.buffers[b].len();
        if n == 0 {
            return Ok(());
        }
        let keep = self.buffers.len().saturating_mul(self.flush_at).saturating_mul(ROW_BYTES) <= KEPT_BUFFER_BYTES;
        let path = self.spilled.file(b);
        let io = |e: std::io::Error| IngestError::Spill { file: path.clone(), message: format!("cannot write: {e}") };
        let out = &mut self.bytes;
        out.clear();
        out.extend_from_slice(&MAGIC);
        // Buffers are flushed before they reach u32::MAX events.
        out.extend_from_slice(&(n as u32).to_le_bytes());
        let e = &mut self.buffers[b];
        each_column!(e, c => put_column(c, out));
        debug_assert_eq!(out.len(), HEADER_BYTES + n * ROW_BYTES);
        let mut file = if self.spilled.created[b] {
            OpenOptions::new().append(true).open(&path).map_err(io)?
        } else {
            let f = crate::fs::create_private(&path).map_err(io)?;
            self.spilled.created[b] = true;
            f
        };
        file.write_all(out).map_err(io)?;
        self.buffered -= n;
        // Emptied with their room kept while every block's full buffer fits
        // in KEPT_BUFFER_BYTES (the next rows are pushed without growing
        // the columns again from nothing), else freed: a log of many
        // blocks holds few rows in each at a time.
        if keep {
            each_column!(e, c => c.clear());
        } else {
            *e = Events::default();
        }
        Ok(())
    }

    fn flush_all(&mut self) -> Result<(), IngestError> {
        (0..self.buffers.len()).try_for_each(|b| self.flush(b))
    }
}

impl EventSink for SpillWriter {
    fn append(&mut self, mut part: Events, maps: &Recode) -> Result<(), IngestError> {
        if part.is_empty() {
            return Ok(());
        }
        part.recode(maps);
        let lo = part.ts.iter().copied().min().unwrap_or(i64::MAX);
        let hi = part.ts.iter().copied().max().unwrap_or(i64::MIN);
        let s = &mut self.spilled;
        s.time = Some(s.time.map_or((lo, hi), |(a, b)| (a.min(lo), b.max(hi))));
        let block: Vec<u32> = part.user.iter().map(|u| u / BLOCK_USERS).collect();
        let blocks = block.iter().copied().max().map_or(0, |m| m as usize + 1);
        if blocks > self.buffers.len() {
            self.buffers.resize_with(blocks, Events::default);
            s.counts.resize(blocks, 0);
            s.created.resize(blocks, false);
        }
        for &b in &block {
            s.counts[b as usize] += 1;
        }
        // A window of rows at a time, so that no buffer grows far past
        // `flush_at` however large the part is.
        let mut from = 0;
        while from < part.len() {
            let rows = from..(from + self.flush_at).min(part.len());
            let buffers = &mut self.buffers;
            // Column by column: each pass reads one column in order.
            macro_rules! scatter {
                ($($f:ident),*) => {$(
                    for (v, &b) in part.$f[rows.clone()].iter().zip(&block[rows.clone()]) {
                        buffers[b as usize].$f.push(*v);
                    }
                )*};
            }
            scatter!(
                user,
                patient,
                ts,
                action,
                category,
                workstation,
                ip,
                department,
                break_glass,
                source_file,
                source_line
            );
            self.buffered += rows.len();
            for b in 0..blocks {
                if self.buffers[b].len() >= self.flush_at {
                    self.flush(b)?;
                }
            }
            if self.buffered >= BUFFER_EVENTS {
                self.flush_all()?;
            }
            from = rows.end;
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), IngestError> {
        self.flush_all()
    }
}

/// Reads a bundle folder like [`super::read_bundle`] (same dictionaries,
/// codes, report, rejects and counts), except that the access log's events
/// are not kept in memory (`Ingested<()>`) but spilled into files
/// under `spill_dir`, which the caller creates (owner-only) and which the
/// returned [`Spilled`] removes when dropped. Memory holds one batch of
/// parts (about `max_events` rows in all, however large each file is) and
/// bounded per-block buffers, never the whole log. With `rejects_dir`,
/// rejected rows are spooled there ([`super::Rejects::spooling_in`]).
pub fn read_bundle_spilled(
    dir: &Path,
    tz: Tz,
    progress: &Progress,
    spill_dir: &Path,
    max_events: u64,
    input: &crate::config::InputParams,
    rejects_dir: Option<&Path>,
) -> Result<(Ingested<()>, Spilled), IngestError> {
    let parts = Parts { rows: unit_rows(max_events), bounded: true, spool: rejects_dir, filter: None, indexed: None };
    read_spilled_with(dir, tz, progress, spill_dir, FLUSH_EVENTS, parts, input)
}

/// Rows read into one part when at most `max_events` may be held: two
/// batches of parts (two per thread each: one being merged while the next
/// is read) stay within it. Never under 64 K rows: a part is one Parquet
/// scan, and a tiny `--partition-events` should not turn a file into
/// thousands of them (64 K events are 3 MB).
fn unit_rows(max_events: u64) -> usize {
    let parts = rayon::current_num_threads().max(1) as u64 * 4;
    (max_events / parts).clamp(1 << 16, UNIT_ROWS as u64) as usize
}

fn read_spilled_with(
    dir: &Path,
    tz: Tz,
    progress: &Progress,
    spill_dir: &Path,
    flush_at: usize,
    parts: Parts<'_>,
    input: &crate::config::InputParams,
) -> Result<(Ingested<()>, Spilled), IngestError> {
    let mut writer = SpillWriter::new(spill_dir, flush_at);
    let data = read_bundle_into(dir, tz, progress, None, &mut writer, parts, input)?;
    let SpillWriter { mut spilled, .. } = writer;
    let d = &data.dict;
    let code = |len: usize| len as Code;
    spilled.bounds = Bounds {
        users: code(d.users.len()),
        patients: code(d.patients.len()),
        workstations: code(d.workstations.len()),
        ips: code(d.ips.len()),
        departments: code(d.departments.len()),
        files: data.report.files.len() as u32,
    };
    let blocks = spilled.bounds.users.div_ceil(BLOCK_USERS) as usize;
    spilled.counts.resize(blocks, 0);
    spilled.created.resize(blocks, false);
    Ok((data, spilled))
}

#[cfg(test)]
mod tests;
