//! The incremental state: a folder that carries earlier nights' access log,
//! so a nightly run reads only the new day's files plus the state.
//!
//! Per-user baselines (usual hours, daily series, known devices and
//! patients, peer groups, care-team groups) are all recomputed from the
//! events the state holds, so a nightly run with `--state` gives exactly the
//! alerts of a full run over the same days with the window set to the new
//! ones, and configuration changes never invalidate the state.
//!
//! Layout of the folder (owner-only, like the input it copies):
//!
//! - `manifest.json`: time zone, retention, and one entry per absorbed
//!   input file (a batch): its content hash, days, event count and data
//!   files, in the order the files were fed;
//! - `batches/KEY-gGENERATION.events.parquet`: one batch's events in their
//!   original input order, ids as codes into the batch's own
//!   `.ids.parquet` (codes in order of first appearance);
//! - `.lock`: held by the run using the folder.
//!
//! A night writes only its own batch files (and rewrites a batch that the
//! retention cuts in the middle), then replaces `manifest.json` with a
//! rename once the outputs are written, so an interrupted run leaves the
//! previous state whole; files no manifest names are removed afterwards.
//! An input file whose content was absorbed before (a rerun of the same
//! night) replaces its earlier copy instead of adding to it, so rerunning a
//! night gives the same result. Events older than the retention
//! (`--state-days`, counted back from the latest day) are dropped.

mod files;
mod lock;

use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::ingest::{History, HistoryError, HistoryPart, IngestReport, HISTORY_FILE};
use crate::model::{Dictionaries, Dictionary, Events, Recode, NONE};
use crate::output::StateOut;
use crate::time::{date_from_days, ZoneCache, MICROS_PER_DAY};

pub use files::{file_keys, FileKey};
use lock::Lock;

/// Version of the folder layout; a state of another version is refused.
pub const STATE_FORMAT: u32 = 1;

/// Why the state folder cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// A file of the state (or an input file being hashed) cannot be read or written.
    #[error("state folder: {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Another run holds the folder (exit code 4).
    #[error("state folder {dir} is in use by another ehrwatch run; nothing was changed, run again when it has ended")]
    Locked {
        /// The state folder.
        dir: PathBuf,
    },
    /// The state was built in another time zone, so its days would shift.
    #[error(
        "state folder {dir} holds days of time zone {state}, but this run uses {run}; run with --timezone {state}, or start a new state folder with a full run"
    )]
    Timezone {
        /// The state folder.
        dir: PathBuf,
        /// The state's zone.
        state: String,
        /// This run's zone.
        run: String,
    },
    /// This run's own events, set aside to be written into the state,
    /// cannot be read back.
    #[error("the run's own events cannot be read back to write the state ({what}); nothing was changed")]
    Own {
        /// What failed.
        what: String,
    },
    /// The folder's content is not a state this version can read.
    #[error(
        "state folder {dir}: {what}; move the folder away and rebuild the state with one run over the history (ehrwatch detect --state NEW_DIR on a bundle with all days)"
    )]
    Corrupt {
        /// The state folder.
        dir: PathBuf,
        /// What is wrong.
        what: String,
    },
}

impl StateError {
    /// Whether the user can fix it with arguments (exit code 1) rather than
    /// it being an environment failure (exit code 2).
    pub fn is_user_error(&self) -> bool {
        matches!(self, StateError::Locked { .. } | StateError::Timezone { .. })
    }
}

/// One absorbed input file in the manifest.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct Batch {
    /// SHA-256 (first 128 bits, hex) of the file's bytes.
    key: String,
    /// The file as named in the bundle it came from.
    file: String,
    /// Events of it still held.
    events: u64,
    /// First and last local day of those events.
    first_day: String,
    last_day: String,
    /// Its data files, relative to the state folder, without the
    /// `.events.parquet` / `.ids.parquet` suffix.
    data: String,
}

/// manifest.json.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Manifest {
    format: u32,
    timezone: String,
    generation: u64,
    retain_days: u32,
    events: u64,
    first_day: Option<String>,
    last_day: Option<String>,
    batches: Vec<Batch>,
}

/// An open state folder, locked for this run.
#[derive(Debug)]
pub struct StateDir {
    dir: PathBuf,
    manifest: Option<Manifest>,
    _lock: Lock,
}

/// The batches a run carries over: ingest reads them one at a time as it
/// merges them (this is its [`History`]), and [`StateDir::stage`] then
/// weighs each against the retention, reading again only those it cuts.
#[derive(Debug)]
pub struct Held {
    dir: PathBuf,
    /// Manifest batches kept (the replaced ones left out), in order.
    batches: Vec<Batch>,
    /// Events in all of them.
    events: u64,
    /// Input files already absorbed by an earlier run, whose earlier copy
    /// this run replaces.
    replaced: Vec<String>,
}

impl History for Held {
    fn events(&self) -> usize {
        self.events as usize
    }

    fn parts(&self) -> usize {
        self.batches.len()
    }

    fn load(&self, k: usize) -> Result<HistoryPart, HistoryError> {
        let b = &self.batches[k];
        files::read_batch(&self.dir.join(&b.data), b.events)
            .map_err(|e| Box::new(read_error(&self.dir)(e)) as HistoryError)
    }
}

/// A run's own events (its access-log files', not the history's), one
/// input file at a time.
pub trait OwnFiles {
    /// The events of source file `f` (its index in the ingest report), ids
    /// in the run's codes, in any order.
    fn file(&self, f: u32) -> Result<Events, HistoryError>;
    /// The first and last instant of them all; `None` without any.
    fn time_range(&self) -> Option<(i64, i64)>;
}

/// Own events held in memory among the history's: each file's rows, and
/// their time range, are found in one pass.
pub struct Resident<'a> {
    events: &'a Events,
    rows: Vec<Vec<usize>>,
    range: Option<(i64, i64)>,
}

impl<'a> Resident<'a> {
    /// `events`' rows by source file, the history's ([`HISTORY_FILE`]) left out.
    pub fn new(events: &'a Events) -> Resident<'a> {
        let mut rows: Vec<Vec<usize>> = Vec::new();
        let mut range: Option<(i64, i64)> = None;
        for (i, &f) in events.source_file.iter().enumerate() {
            if f != HISTORY_FILE {
                if rows.len() <= f as usize {
                    rows.resize(f as usize + 1, Vec::new());
                }
                rows[f as usize].push(i);
                let t = events.ts[i];
                range = Some(range.map_or((t, t), |(lo, hi)| (lo.min(t), hi.max(t))));
            }
        }
        Resident { events, rows, range }
    }
}

impl OwnFiles for Resident<'_> {
    fn file(&self, f: u32) -> Result<Events, HistoryError> {
        Ok(self.events.gather(self.rows.get(f as usize).map_or(&[][..], |r| &r[..])))
    }

    fn time_range(&self) -> Option<(i64, i64)> {
        self.range
    }
}

/// Own events a spilled run set aside.
impl OwnFiles for crate::ingest::OwnEvents {
    fn file(&self, f: u32) -> Result<Events, HistoryError> {
        self.of_file(f).map_err(|e| Box::new(e) as HistoryError)
    }

    fn time_range(&self) -> Option<(i64, i64)> {
        crate::ingest::OwnEvents::time_range(self)
    }
}

/// What a run read, as [`StateDir::stage`] makes the next state of it.
#[derive(Clone, Copy)]
pub struct Night<'a> {
    /// This run's own events.
    pub own: &'a dyn OwnFiles,
    /// The run's dictionaries (the history's ids included).
    pub dict: &'a Dictionaries,
    /// The run's time zone.
    pub tz: Tz,
    /// The run's ingest report (its access-log files, in reading order).
    pub report: &'a IngestReport,
    /// The latest instant of every event of the run, the history's included.
    pub last: Option<i64>,
}

/// A batch of the next state as staging weighs it: the events it had and
/// the events it keeps.
struct Next {
    batch: Batch,
    total: u64,
    kept: u64,
}

/// The next state, its new batch files already written (but not yet named
/// by the manifest); [`StateDir::commit`] makes it the live one.
#[derive(Debug)]
pub struct Staged {
    manifest: Manifest,
    /// For summary.json.
    pub summary: StateOut,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> StateError + '_ {
    move |source| StateError::Io { path: path.to_path_buf(), source }
}

fn corrupt(dir: &Path, what: impl Into<String>) -> StateError {
    StateError::Corrupt { dir: dir.to_path_buf(), what: what.into() }
}

fn read_error(dir: &Path) -> impl Fn(files::ReadError) -> StateError + '_ {
    move |e| match e {
        files::ReadError::Io(path, source) => StateError::Io { path, source },
        files::ReadError::Bad(what) => corrupt(dir, what),
    }
}

impl StateDir {
    /// Opens (creating if missing, owner-only) and locks a state folder.
    pub fn open(dir: &Path, tz: Tz) -> Result<StateDir, StateError> {
        files::create_private_dir(dir).map_err(io_err(dir))?;
        let lock = Lock::acquire(dir)?;
        let path = dir.join("manifest.json");
        let manifest = match std::fs::read_to_string(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(io_err(&path)(e)),
            Ok(text) => {
                let m: Manifest = serde_json::from_str(&text)
                    .map_err(|e| corrupt(dir, format!("{} is not a state manifest ({e})", path.display())))?;
                if m.format != STATE_FORMAT {
                    return Err(corrupt(
                        dir,
                        format!("layout version {} (this ehrwatch reads version {STATE_FORMAT})", m.format),
                    ));
                }
                if m.timezone != tz.name() {
                    return Err(StateError::Timezone {
                        dir: dir.to_path_buf(),
                        state: m.timezone,
                        run: tz.name().to_string(),
                    });
                }
                Some(m)
            }
        };
        Ok(StateDir { dir: dir.to_path_buf(), manifest, _lock: lock })
    }

    /// The held batches, leaving out those whose content is one of this
    /// run's input files (`keys`). Nothing is read yet: ingest loads the
    /// batches one at a time as it merges them, interning their ids batch by
    /// batch, which gives codes in order of first appearance over the whole
    /// history.
    ///
    /// A held batch is replaced by an input file of the same content (a
    /// rerun), or by one of the same name whose days overlap the batch's (a
    /// corrected re-export of the night, with a row more or less):
    /// `days_of` gives an input file's local days (`YYYY-MM-DD`), and is
    /// asked only about files whose name a held batch has.
    pub fn load<E>(
        &self,
        keys: &[FileKey],
        days_of: &mut dyn FnMut(&FileKey) -> Result<Vec<String>, E>,
    ) -> Result<Held, E> {
        let held = self.manifest.as_ref().map_or(&[][..], |m| &m.batches[..]);
        let mut replaces = vec![false; held.len()];
        let mut replaced = Vec::new();
        for k in keys {
            let mut hit = false;
            for (b, batch) in held.iter().enumerate() {
                if batch.key == k.key {
                    replaces[b] = true;
                    hit = true;
                }
            }
            let renamed: Vec<usize> =
                (0..held.len()).filter(|&b| !replaces[b] && held[b].file == k.file && held[b].key != k.key).collect();
            if !renamed.is_empty() {
                let days = days_of(k)?;
                for b in renamed {
                    let (first, last) = (&held[b].first_day, &held[b].last_day);
                    if days.iter().any(|d| d >= first && d <= last) {
                        replaces[b] = true;
                        hit = true;
                    }
                }
            }
            if hit {
                replaced.push(k.file.clone());
            }
        }
        let batches: Vec<Batch> = held.iter().zip(&replaces).filter(|(_, r)| !**r).map(|(b, _)| b.clone()).collect();
        let events = batches.iter().map(|b| b.events).sum();
        Ok(Held { dir: self.dir.clone(), batches, events, replaced })
    }

    /// Computes the next state and writes its new batch files: this run's
    /// input files, and any held batch the retention (`retain_days` back
    /// from the latest day, at most the day of `latest`, UTC µs) cuts in
    /// the middle. Batches left with no
    /// events are forgotten. Nothing the live manifest names is touched.
    /// `held` is what [`StateDir::load`] gave this run's ingest.
    ///
    /// Of the run's events only its own are read (`night`), one input file
    /// at a time; a held batch is read again from its files when the cut
    /// falls within a day of it, so a run that spilled its history to disk
    /// stages the state that a run holding it in memory stages.
    pub fn stage(
        &self,
        night: &Night<'_>,
        held: &Held,
        keys: &[FileKey],
        retain_days: u32,
        latest: i64,
    ) -> Result<Staged, StateError> {
        let mut zone = ZoneCache::new(night.tz);
        let local_day = |zone: &mut ZoneCache, t: i64| zone.to_local(t).div_euclid(MICROS_PER_DAY) as i32;
        // The access log's file reports are in the order `keys` were made.
        let report = night.report;
        let first_access = report.files.iter().position(|f| f.table == "access_log").unwrap_or(0);
        if report.files.iter().filter(|f| f.table == "access_log").count() != keys.len() {
            return Err(corrupt(&self.dir, "the bundle's access-log files changed while the run read them"));
        }
        let generation = self.manifest.as_ref().map_or(1, |m| m.generation + 1);
        // Counted back from the last day the data holds, but never from
        // past `latest` (the newest access-log file's time plus the
        // tolerance): one row from a wrong clock expires nothing.
        let cut_day = night.last.map(|t| local_day(&mut zone, t.min(latest)) - retain_days.max(1) as i32 + 1);
        let cutoff = cut_day.map(|d| zone.to_utc(i64::from(d) * MICROS_PER_DAY));
        let keeps = |t: i64| cutoff.is_none_or(|c| t >= c);

        let batch_dir = self.dir.join("batches");
        files::create_private_dir(&batch_dir).map_err(io_err(&batch_dir))?;
        // Writes `batch` as the rows `order` (input order) of `events`, at
        // once: memory holds one batch's rows at a time.
        let mut write = |batch: &mut Batch, events: &Events, order: &[u32]| -> Result<(), StateError> {
            let (lo, hi) = order.iter().fold((i64::MAX, i64::MIN), |(lo, hi), &i| {
                (lo.min(events.ts[i as usize]), hi.max(events.ts[i as usize]))
            });
            batch.events = order.len() as u64;
            batch.first_day = date_from_days(local_day(&mut zone, lo)).to_string();
            batch.last_day = date_from_days(local_day(&mut zone, hi)).to_string();
            batch.data = format!("batches/{}-g{generation:06}", batch.key);
            let stored = files::compact(events, night.dict, order);
            files::write_batch(&self.dir.join(&batch.data), &stored)
                .map_err(|(path, source)| StateError::Io { path, source })
        };

        // Every batch of the next state with the events it had and keeps;
        // those to write (this run's files, held batches the cut falls in)
        // are written as they come.
        let mut next: Vec<Next> = Vec::new();
        // A held batch (one input file's events, in input order) is wholly
        // kept or wholly expired when its days lie more than a day from
        // the cut; else it is read back and counted.
        let day = |d: i32| date_from_days(d).to_string();
        let near = cut_day.map(|d| (day(d - 1), day(d + 1)));
        for batch in &held.batches {
            let mut n = Next { batch: batch.clone(), total: batch.events, kept: batch.events };
            match &near {
                Some((before, _)) if batch.last_day < *before => n.kept = 0,
                Some((_, after)) if batch.first_day <= *after => {
                    let part =
                        files::read_batch(&self.dir.join(&batch.data), batch.events).map_err(read_error(&self.dir))?;
                    let order: Vec<u32> =
                        (0..part.events.len() as u32).filter(|&i| keeps(part.events.ts[i as usize])).collect();
                    n.kept = order.len() as u64;
                    if n.kept > 0 && n.kept < n.total {
                        write(&mut n.batch, &self.shared_codes(part, night.dict)?, &order)?;
                    }
                }
                _ => {}
            }
            next.push(n);
        }
        // This run's files, one at a time: every kept row, in input order.
        for (k, key) in keys.iter().enumerate() {
            let f = (first_access + k) as u32;
            let events = night.own.file(f).map_err(|e| StateError::Own { what: e.to_string() })?;
            let mut order: Vec<u32> = (0..events.len() as u32).filter(|&i| keeps(events.ts[i as usize])).collect();
            // `source_line` orders a file's rows as it was read.
            order.sort_unstable_by_key(|&i| events.source_line[i as usize]);
            let mut batch = Batch {
                key: key.key.clone(),
                file: key.file.clone(),
                events: 0,
                first_day: String::new(),
                last_day: String::new(),
                data: String::new(),
            };
            if !order.is_empty() {
                write(&mut batch, &events, &order)?;
            }
            next.push(Next { batch, total: events.len() as u64, kept: order.len() as u64 });
        }
        let expired: u64 = next.iter().map(|n| n.total - n.kept).sum();
        let live: Vec<Batch> = next.into_iter().filter(|n| n.kept > 0).map(|n| n.batch).collect();
        let events_kept: u64 = live.iter().map(|b| b.events).sum();
        let first_day = live.iter().map(|b| b.first_day.clone()).min();
        let last_day = live.iter().map(|b| b.last_day.clone()).max();
        let manifest = Manifest {
            format: STATE_FORMAT,
            timezone: night.tz.name().to_string(),
            generation,
            retain_days,
            events: events_kept,
            first_day: first_day.clone(),
            last_day: last_day.clone(),
            batches: live,
        };
        let summary = StateOut {
            path: self.dir.display().to_string(),
            history_events: report.history_events,
            replaced_files: held.replaced.clone(),
            events_kept,
            events_expired: expired,
            files_kept: manifest.batches.len() as u64,
            first_day,
            last_day,
            retain_days,
        };
        Ok(Staged { manifest, summary })
    }

    /// A held batch's events with the run's codes for its ids (which the
    /// run interned when it merged the batch).
    fn shared_codes(&self, part: HistoryPart, dict: &Dictionaries) -> Result<Events, StateError> {
        let codes = |values: &[String], shared: &Dictionary| -> Result<Vec<u32>, StateError> {
            values
                .iter()
                .map(|v| shared.get(v).ok_or_else(|| corrupt(&self.dir, "a batch changed while the run read it")))
                .collect()
        };
        let maps = Recode {
            users: codes(&part.users, &dict.users)?,
            patients: codes(&part.patients, &dict.patients)?,
            departments: codes(&part.departments, &dict.departments)?,
            workstations: codes(&part.workstations, &dict.workstations)?,
            ips: codes(&part.ips, &dict.ips)?,
        };
        let mut events = part.events;
        events.recode(&maps);
        Ok(events)
    }

    /// Makes the staged state the live one (one rename of manifest.json),
    /// then removes batch files that no manifest names any more.
    pub fn commit(self, staged: Staged) -> Result<(), StateError> {
        let text = serde_json::to_string_pretty(&staged.manifest)
            .map_err(|e| corrupt(&self.dir, format!("manifest cannot be written ({e})")))?;
        files::replace_file(&self.dir, "manifest.json", format!("{text}\n").as_bytes())
            .map_err(|(path, source)| StateError::Io { path, source })?;
        let named: std::collections::HashSet<String> = staged
            .manifest
            .batches
            .iter()
            .flat_map(|b| [format!("{}.events.parquet", b.data), format!("{}.ids.parquet", b.data)])
            .collect();
        if let Ok(entries) = std::fs::read_dir(self.dir.join("batches")) {
            for entry in entries.flatten() {
                let name = format!("batches/{}", entry.file_name().to_string_lossy());
                if !named.contains(&name) {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        Ok(())
    }
}

/// Codes of one space renumbered in order of first appearance.
pub(crate) struct Compactor<'a> {
    dict: &'a crate::model::Dictionary,
    map: Vec<u32>,
    pub values: Vec<String>,
}

impl<'a> Compactor<'a> {
    pub fn new(dict: &'a crate::model::Dictionary) -> Self {
        Compactor { dict, map: vec![NONE; dict.len()], values: Vec::new() }
    }

    pub fn code(&mut self, code: u32) -> u32 {
        if code == NONE {
            return NONE;
        }
        let slot = &mut self.map[code as usize];
        if *slot == NONE {
            *slot = self.values.len() as u32;
            self.values.push(self.dict.name(code).to_string());
        }
        *slot
    }
}
