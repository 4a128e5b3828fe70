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
//! chunks, each the magic `EWS2`, the row count (`u32`, little-endian), its
//! [`Layout`] (one byte, then three zero bytes), then its rows one after
//! the other, each the columns of [`Events`] in declaration order,
//! little-endian: the user as its offset in the block (one byte), the
//! patient, workstation, IP address and department codes in two bytes
//! (`0xFFFF` for none) where the chunk's layout says so, else four; the
//! source file in two or four bytes and the source line in four or eight,
//! likewise; `Action`, `DataCategory` and `bool` in one byte each. Rows
//! are written whole as they arrive (one stream per block, not one per
//! block and column) and narrow where the values allow: 26 bytes a row in
//! a hospital of under 65,535 patients, workstations, addresses and
//! departments, against 43 with every column at full width.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

use chrono_tz::Tz;

use super::bundle::{read_bundle_into, EventSink, Ingested, Parts, UNIT_ROWS};
use super::error::IngestError;
use super::history::{History, HISTORY_FILE};
use super::own::OwnEvents;
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

const MAGIC: [u8; 4] = *b"EWS2";
const HEADER_BYTES: usize = 12;
/// Most bytes per event (every column wide): user (1), patient (4), ts
/// (8), action, category (1 + 1), workstation, ip, department (3 * 4),
/// break_glass (1), source_file (4), source_line (8).
const MAX_ROW_BYTES: usize = 40;

/// Rows of a block file decoded at a time before they are placed.
const TILE_ROWS: usize = 16 * 1024;

/// Which of a chunk's narrowable columns are wide, one bit each
/// ([`Layout::PATIENT`] ...): the rest take two bytes (codes, source file)
/// or four (source line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Layout(u8);

impl Layout {
    const PATIENT: u8 = 1;
    const WORKSTATION: u8 = 2;
    const IP: u8 = 4;
    const DEPARTMENT: u8 = 8;
    const FILE: u8 = 16;
    const LINE: u8 = 32;
    const ALL: u8 = 63;

    /// The narrowest layout that holds every row of `part`.
    fn of(part: &Events) -> Layout {
        // A code fits two bytes below 0xFFFF, which stands for none.
        let wide = |column: &[Code]| column.iter().any(|&c| c != NONE && c >= 0xFFFF);
        let mut bits = 0;
        for (column, bit) in [
            (&part.patient, Layout::PATIENT),
            (&part.workstation, Layout::WORKSTATION),
            (&part.ip, Layout::IP),
            (&part.department, Layout::DEPARTMENT),
        ] {
            if wide(column) {
                bits |= bit;
            }
        }
        if part.source_file.iter().any(|&f| f >= 0xFFFF) {
            bits |= Layout::FILE;
        }
        if part.source_line.iter().any(|&l| l > u64::from(u32::MAX)) {
            bits |= Layout::LINE;
        }
        Layout(bits)
    }

    fn wide(self, bit: u8) -> bool {
        self.0 & bit != 0
    }

    /// Bytes of a code column's value (`bit` names the column).
    fn code_bytes(self, bit: u8) -> usize {
        if self.wide(bit) {
            4
        } else {
            2
        }
    }

    /// Bytes per row.
    fn row_bytes(self) -> usize {
        let codes: usize = [Layout::PATIENT, Layout::WORKSTATION, Layout::IP, Layout::DEPARTMENT]
            .iter()
            .map(|&b| self.code_bytes(b))
            .sum();
        let file = if self.wide(Layout::FILE) { 4 } else { 2 };
        let line = if self.wide(Layout::LINE) { 8 } else { 4 };
        1 + 8 + 1 + 1 + 1 + codes + file + line
    }

    /// Appends event `i` of `e`, of the block whose first user code is
    /// `lo`, as one row.
    #[inline]
    fn put(self, e: &Events, i: usize, lo: Code, out: &mut Vec<u8>) {
        let mut row = RowBytes { bytes: [0; MAX_ROW_BYTES], len: 0 };
        // The user is in the block, so its offset is below BLOCK_USERS.
        row.put([(e.user[i] - lo) as u8]);
        row.code(e.patient[i], self.wide(Layout::PATIENT));
        row.put(e.ts[i].to_le_bytes());
        row.put([e.action[i] as u8, e.category[i] as u8]);
        row.code(e.workstation[i], self.wide(Layout::WORKSTATION));
        row.code(e.ip[i], self.wide(Layout::IP));
        row.code(e.department[i], self.wide(Layout::DEPARTMENT));
        row.put([u8::from(e.break_glass[i])]);
        if self.wide(Layout::FILE) {
            row.put(e.source_file[i].to_le_bytes());
        } else {
            row.put((e.source_file[i] as u16).to_le_bytes());
        }
        if self.wide(Layout::LINE) {
            row.put(e.source_line[i].to_le_bytes());
        } else {
            row.put((e.source_line[i] as u32).to_le_bytes());
        }
        out.extend_from_slice(&row.bytes[..row.len]);
    }
}

/// One row being encoded.
struct RowBytes {
    bytes: [u8; MAX_ROW_BYTES],
    len: usize,
}

impl RowBytes {
    #[inline]
    fn put<const N: usize>(&mut self, b: [u8; N]) {
        self.bytes[self.len..self.len + N].copy_from_slice(&b);
        self.len += N;
    }

    /// A code, in four bytes when `wide`, else in two ([`Layout::of`]
    /// checked that it fits; none is `0xFFFF`).
    #[inline]
    fn code(&mut self, c: Code, wide: bool) {
        if wide {
            self.put(c.to_le_bytes());
        } else {
            self.put((if c == NONE { 0xFFFF } else { c as u16 }).to_le_bytes());
        }
    }
}

/// Reads one row's values in order, each checked.
struct RowReader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl RowReader<'_> {
    #[inline]
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let b = array(&self.bytes[self.at..self.at + N]);
        self.at += N;
        b
    }

    /// A code in four bytes when `wide`, else two (`0xFFFF`: none).
    #[inline]
    fn code(&mut self, wide: bool) -> Code {
        if wide {
            u32::from_le_bytes(self.take())
        } else {
            match u16::from_le_bytes(self.take()) {
                0xFFFF => NONE,
                c => Code::from(c),
            }
        }
    }
}

fn array<const N: usize>(b: &[u8]) -> [u8; N] {
    let mut a = [0; N];
    a.copy_from_slice(b);
    a
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
    /// A block file's bytes, kept from one load to the next (a block is
    /// about 60 MB at 100 M events).
    buffers: std::sync::Mutex<Vec<u8>>,
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
        let file = &mut *buffers;
        let mut written = 0usize;
        for b in blocks.clone() {
            let n = self.counts[b] as usize;
            if n > 0 {
                self.scatter_block(b, file, written, &mut start, &mut events)?;
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
    /// capacity, each row's values to the next slot of its user; pushes each of the block's
    /// users' end to `start`. Every value is checked before it is written:
    /// a damaged file is an error, and the slots are then not all written.
    fn scatter_block(
        &self,
        b: usize,
        file: &mut Vec<u8>,
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
        // The chunks (byte offset, rows, layout), each header checked, and
        // each user's count.
        let mut chunks = Vec::new();
        let mut per_user = [0usize; BLOCK_USERS as usize];
        let block_len = (block_users.end - lo) as usize;
        let (mut read, mut offset) = (0u64, 0usize);
        while offset < file.len() {
            let truncated = || damaged(format!("truncated in the chunk at byte {offset}"));
            let header = file.get(offset..offset + HEADER_BYTES).ok_or_else(truncated)?;
            let rows = u32::from_le_bytes(array(&header[4..8])) as u64;
            let layout = Layout(header[8]);
            if header[..4] != MAGIC || rows > expected - read || layout.0 & !Layout::ALL != 0 || header[9..] != [0; 3] {
                return Err(damaged(format!("damaged chunk header at byte {offset}")));
            }
            let (n, width) = (rows as usize, layout.row_bytes());
            let body = file.get(offset + HEADER_BYTES..offset + HEADER_BYTES + n * width).ok_or_else(truncated)?;
            for row in body.chunks_exact(width) {
                let u = row[0] as usize;
                if u >= block_len {
                    return Err(damaged(format!("damaged chunk at byte {offset}: column user holds an unknown code")));
                }
                per_user[u] += 1;
            }
            chunks.push((offset, n, layout));
            read += rows;
            offset += HEADER_BYTES + n * width;
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
        let n = &self.bounds;
        let known = |c: Code, len: Code| c == NONE || c < len;
        // A tile of rows at a time: decoded and checked into small columns
        // (the file read once, in order), then each column written to its
        // rows' slots (one column at a time: a stream per user, not one per
        // user and column).
        let mut tile = Events::default();
        let mut dest: Vec<u32> = Vec::with_capacity(TILE_ROWS);
        for &(offset, rows, layout) in &chunks {
            let width = layout.row_bytes();
            let body = &file[offset + HEADER_BYTES..offset + HEADER_BYTES + rows * width];
            let fail = |what: Option<&str>| {
                damaged(match what {
                    None => format!("damaged chunk at byte {offset}: a value out of range"),
                    Some(column) => format!("damaged chunk at byte {offset}: column {column} holds an unknown code"),
                })
            };
            for tile_bytes in body.chunks(TILE_ROWS * width) {
                each_column!(tile, c => c.clear());
                dest.clear();
                for bytes in tile_bytes.chunks_exact(width) {
                    let mut r = RowReader { bytes, at: 0 };
                    let [u] = r.take::<1>();
                    let j = usize::from(u);
                    dest.push(next[j] as u32);
                    next[j] += 1;
                    let p = r.code(layout.wide(Layout::PATIENT));
                    let t = i64::from_le_bytes(r.take());
                    let [a, c] = r.take::<2>();
                    let (Some(&a), Some(&c)) = (Action::ALL.get(usize::from(a)), DataCategory::ALL.get(usize::from(c)))
                    else {
                        return Err(fail(None));
                    };
                    let w = r.code(layout.wide(Layout::WORKSTATION));
                    let i = r.code(layout.wide(Layout::IP));
                    let dep = r.code(layout.wide(Layout::DEPARTMENT));
                    let g = match r.take::<1>() {
                        [0] => false,
                        [1] => true,
                        _ => return Err(fail(None)),
                    };
                    let f = if layout.wide(Layout::FILE) {
                        u32::from_le_bytes(r.take())
                    } else {
                        u32::from(u16::from_le_bytes(r.take()))
                    };
                    let l = if layout.wide(Layout::LINE) {
                        u64::from_le_bytes(r.take())
                    } else {
                        u64::from(u32::from_le_bytes(r.take()))
                    };
                    for (value, len, column) in [
                        (p, n.patients, "patient"),
                        (w, n.workstations, "workstation"),
                        (i, n.ips, "ip"),
                        (dep, n.departments, "department"),
                    ] {
                        if !known(value, len) {
                            return Err(fail(Some(column)));
                        }
                    }
                    if f >= n.files && f != HISTORY_FILE {
                        return Err(fail(Some("source_file")));
                    }
                    tile.user.push(lo + Code::from(u));
                    tile.patient.push(p);
                    tile.ts.push(t);
                    tile.action.push(a);
                    tile.category.push(c);
                    tile.workstation.push(w);
                    tile.ip.push(i);
                    tile.department.push(dep);
                    tile.break_glass.push(g);
                    tile.source_file.push(f);
                    tile.source_line.push(l);
                }
                macro_rules! place {
                    ($($f:ident),*) => {$({
                        let slots = events.$f.spare_capacity_mut();
                        for (&v, &d) in tile.$f.iter().zip(&dest) {
                            slots[d as usize].write(v);
                        }
                    })*};
                }
                place!(
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
            }
        }
        Ok(())
    }
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

/// One block's rows waiting to be written: a chunk's header and rows, all
/// of one layout.
#[derive(Debug, Default)]
struct BlockBuffer {
    bytes: Vec<u8>,
    rows: usize,
    layout: Layout,
}

/// The sink that encodes recoded parts' rows into per-block buffers, each
/// a chunk as it will be written, and appends full buffers to the block
/// files.
struct SpillWriter {
    spilled: Spilled,
    buffers: Vec<BlockBuffer>,
    buffered: usize,
    flush_at: usize,
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
        SpillWriter { spilled, buffers: Vec::new(), buffered: 0, flush_at }
    }

    /// Appends block `b`'s buffer to its file as one chunk.
    fn flush(&mut self, b: usize) -> Result<(), IngestError> {
        let buffer = &mut self.buffers[b];
        let n = buffer.rows;
        if n == 0 {
            return Ok(());
        }
        let keep = self.buffers.len().saturating_mul(self.flush_at).saturating_mul(MAX_ROW_BYTES) <= KEPT_BUFFER_BYTES;
        let buffer = &mut self.buffers[b];
        let path = self.spilled.file(b);
        let io = |e: std::io::Error| IngestError::Spill { file: path.clone(), message: format!("cannot write: {e}") };
        // Buffers are flushed before they reach u32::MAX events.
        buffer.bytes[4..8].copy_from_slice(&(n as u32).to_le_bytes());
        debug_assert_eq!(buffer.bytes.len(), HEADER_BYTES + n * buffer.layout.row_bytes());
        let mut file = if self.spilled.created[b] {
            OpenOptions::new().append(true).open(&path).map_err(io)?
        } else {
            let f = crate::fs::create_private(&path).map_err(io)?;
            self.spilled.created[b] = true;
            f
        };
        file.write_all(&buffer.bytes).map_err(io)?;
        self.buffered -= n;
        buffer.rows = 0;
        // Emptied with their room kept while every block's full buffer fits
        // in KEPT_BUFFER_BYTES (the next rows are written without growing
        // the buffer again from nothing), else freed: a log of many blocks
        // holds few rows in each at a time.
        if keep {
            buffer.bytes.clear();
        } else {
            buffer.bytes = Vec::new();
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
        let blocks = part.user.iter().copied().max().map_or(0, |m| (m / BLOCK_USERS) as usize + 1);
        if blocks > self.buffers.len() {
            self.buffers.resize_with(blocks, BlockBuffer::default);
            s.counts.resize(blocks, 0);
            s.created.resize(blocks, false);
        }
        let layout = Layout::of(&part);
        // A block's buffer holds rows of one layout: one of another is
        // written first.
        for b in 0..blocks {
            if self.buffers[b].rows > 0 && self.buffers[b].layout != layout {
                self.flush(b)?;
            }
        }
        for i in 0..part.len() {
            let b = (part.user[i] / BLOCK_USERS) as usize;
            let buffer = &mut self.buffers[b];
            if buffer.rows == 0 {
                buffer.layout = layout;
                buffer.bytes.clear();
                buffer.bytes.extend_from_slice(&MAGIC);
                // The row count is written when the chunk is.
                buffer.bytes.extend_from_slice(&[0; 4]);
                buffer.bytes.extend_from_slice(&[layout.0, 0, 0, 0]);
            }
            layout.put(&part, i, b as Code * BLOCK_USERS, &mut buffer.bytes);
            buffer.rows += 1;
            self.spilled.counts[b] += 1;
            self.buffered += 1;
            if buffer.rows >= self.flush_at {
                self.flush(b)?;
            }
            if self.buffered >= BUFFER_EVENTS {
                self.flush_all()?;
            }
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
    let (data, spilled, _) =
        read_bundle_spilled_with_history(dir, tz, progress, spill_dir, max_events, input, rejects_dir, None)?;
    Ok((data, spilled))
}

/// [`read_bundle_spilled`] with an incremental run's `history` (when
/// given) merged first, as [`super::read_bundle_with_history`] merges it
/// (same codes, and history events spilled with `source_file`
/// [`HISTORY_FILE`]). With a history, also returns this run's own events,
/// not the history's, set aside under `spill_dir` ([`OwnEvents`]): the
/// state's next batches are made of them, one input file at a time.
#[allow(clippy::too_many_arguments)]
pub fn read_bundle_spilled_with_history(
    dir: &Path,
    tz: Tz,
    progress: &Progress,
    spill_dir: &Path,
    max_events: u64,
    input: &crate::config::InputParams,
    rejects_dir: Option<&Path>,
    history: Option<&dyn History>,
) -> Result<(Ingested<()>, Spilled, Option<OwnEvents>), IngestError> {
    let parts = Parts { rows: unit_rows(max_events), bounded: true, spool: rejects_dir, filter: None, indexed: None };
    let mut own = history.map(|_| OwnEvents::create(&spill_dir.join("own"))).transpose()?;
    let (data, spilled) =
        read_spilled_into(dir, tz, progress, spill_dir, FLUSH_EVENTS, parts, input, history, own.as_mut())?;
    Ok((data, spilled, own))
}

/// Passes every part on to the spill, setting aside the rows that are not
/// the history's.
struct KeepOwn<'a> {
    spill: &'a mut SpillWriter,
    own: &'a mut OwnEvents,
}

impl EventSink for KeepOwn<'_> {
    fn reserve(&mut self, n: usize) -> Result<(), IngestError> {
        self.spill.reserve(n)
    }

    fn append(&mut self, part: Events, maps: &Recode) -> Result<(), IngestError> {
        self.own.append(&part, maps)?;
        self.spill.append(part, maps)
    }

    fn finish(&mut self) -> Result<(), IngestError> {
        self.spill.finish()
    }
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

#[cfg(test)]
fn read_spilled_with(
    dir: &Path,
    tz: Tz,
    progress: &Progress,
    spill_dir: &Path,
    flush_at: usize,
    parts: Parts<'_>,
    input: &crate::config::InputParams,
) -> Result<(Ingested<()>, Spilled), IngestError> {
    read_spilled_into(dir, tz, progress, spill_dir, flush_at, parts, input, None, None)
}

#[allow(clippy::too_many_arguments)]
fn read_spilled_into(
    dir: &Path,
    tz: Tz,
    progress: &Progress,
    spill_dir: &Path,
    flush_at: usize,
    parts: Parts<'_>,
    input: &crate::config::InputParams,
    history: Option<&dyn History>,
    own: Option<&mut OwnEvents>,
) -> Result<(Ingested<()>, Spilled), IngestError> {
    let mut writer = SpillWriter::new(spill_dir, flush_at);
    let data = match own {
        Some(own) => {
            let mut tee = KeepOwn { spill: &mut writer, own };
            read_bundle_into(dir, tz, progress, history, &mut tee, parts, input)?
        }
        None => read_bundle_into(dir, tz, progress, history, &mut writer, parts, input)?,
    };
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
