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
//! - `CURRENT`: the name of the live generation folder;
//! - `gen-NNNNNN/events.parquet`: the events, in their original input order,
//!   ids as codes into `ids.parquet`, each with the batch (input file) it
//!   came from;
//! - `gen-NNNNNN/ids.parquet`: the id strings per space, in code order;
//! - `gen-NNNNNN/manifest.json`: time zone, retention, and one entry per
//!   absorbed input file (its content hash, days and event count);
//! - `.lock`: held by the run using the folder.
//!
//! A run writes a new generation next to the live one and switches
//! `CURRENT` with a rename, so an interrupted run leaves the previous state
//! whole. An input file whose content was absorbed before (a rerun of the
//! same night) replaces its earlier copy instead of adding to it, so
//! rerunning a night gives the same result. Events older than the retention
//! (`--state-days`, counted back from the latest day) are dropped.

mod files;
mod lock;

use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::ingest::{History, Ingested, HISTORY_FILE};
use crate::model::{Action, DataCategory, Events, NONE};
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
    /// Another run holds the folder.
    #[error(
        "state folder {dir} is in use by another ehrwatch run (process {pid}); if no run is active, remove {dir}/.lock"
    )]
    Locked {
        /// The state folder.
        dir: PathBuf,
        /// The process recorded in the lock.
        pid: String,
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

/// The state as loaded for a run: the history to merge, and what it holds.
#[derive(Debug)]
pub struct Loaded {
    /// Events and ids to hand to ingest.
    pub history: History,
    /// Index into the kept manifest batches of each history event, in order.
    batch_of: Vec<u32>,
    /// Manifest batches kept (the replaced ones left out).
    batches: Vec<Batch>,
    /// Input files already absorbed by an earlier run, whose earlier copy
    /// this run replaces.
    pub replaced: Vec<String>,
}

/// What the state holds after this run, for summary.json.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct StateOut {
    /// The state folder.
    pub path: String,
    /// Events carried over from earlier runs into this one.
    pub history_events: u64,
    /// Input files of this run that an earlier run had absorbed (a rerun):
    /// their earlier copy was replaced, not added to.
    pub replaced_files: Vec<String>,
    /// Events the state holds after this run.
    pub events_kept: u64,
    /// Events dropped by the retention.
    pub events_expired: u64,
    /// First and last local day the state holds after this run.
    pub first_day: Option<String>,
    /// Last local day held.
    pub last_day: Option<String>,
    /// Days kept, counted back from the latest day.
    pub retain_days: u32,
}

/// The next generation, computed before the outputs are written and
/// committed after them.
#[derive(Debug)]
pub struct SavePlan {
    /// Event indices (into the run's events) to keep, in input order.
    order: Vec<u32>,
    /// New batch of each kept event.
    batch_of: Vec<u32>,
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

impl StateDir {
    /// Opens (creating if missing, owner-only) and locks a state folder.
    pub fn open(dir: &Path, tz: Tz) -> Result<StateDir, StateError> {
        files::create_private_dir(dir).map_err(io_err(dir))?;
        let lock = Lock::acquire(dir)?;
        let current = dir.join("CURRENT");
        let manifest = match std::fs::read_to_string(&current) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(io_err(&current)(e)),
            Ok(name) => {
                let path = dir.join(name.trim()).join("manifest.json");
                let text = std::fs::read_to_string(&path).map_err(io_err(&path))?;
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

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    fn generation_dir(&self, generation: u64) -> PathBuf {
        self.dir.join(format!("gen-{generation:06}"))
    }

    /// Loads the held events, leaving out the batches whose content is one
    /// of this run's input files (`keys`).
    pub fn load(&self, keys: &[FileKey]) -> Result<Loaded, StateError> {
        let Some(m) = &self.manifest else {
            return Ok(Loaded {
                history: History::default(),
                batch_of: Vec::new(),
                batches: Vec::new(),
                replaced: Vec::new(),
            });
        };
        let gen = self.generation_dir(m.generation);
        let stored = files::read_generation(&gen, m.batches.len()).map_err(|e| match e {
            files::ReadError::Io(path, source) => StateError::Io { path, source },
            files::ReadError::Bad(what) => corrupt(&self.dir, what),
        })?;
        let replaced_idx: Vec<bool> = m.batches.iter().map(|b| keys.iter().any(|k| k.key == b.key)).collect();
        let replaced: Vec<String> =
            keys.iter().filter(|k| m.batches.iter().any(|b| b.key == k.key)).map(|k| k.file.clone()).collect();
        // Renumber the kept batches and keep their events, in stored order.
        let mut new_index = vec![u32::MAX; m.batches.len()];
        let mut batches = Vec::new();
        for (i, b) in m.batches.iter().enumerate() {
            if !replaced_idx[i] {
                new_index[i] = batches.len() as u32;
                batches.push(b.clone());
            }
        }
        let mut events = Events::default();
        let mut batch_of = Vec::new();
        let s = stored.events;
        for i in 0..s.ts.len() {
            let b = new_index[s.batch[i] as usize];
            if b == u32::MAX {
                continue;
            }
            batch_of.push(b);
            events.user.push(s.user[i]);
            events.patient.push(s.patient[i]);
            events.ts.push(s.ts[i]);
            events.action.push(s.action[i]);
            events.category.push(s.category[i]);
            events.workstation.push(s.workstation[i]);
            events.ip.push(s.ip[i]);
            events.department.push(s.department[i]);
            events.break_glass.push(s.break_glass[i]);
        }
        let ids = stored.ids;
        let history = History {
            users: ids.users,
            patients: ids.patients,
            departments: ids.departments,
            workstations: ids.workstations,
            ips: ids.ips,
            events,
        };
        Ok(Loaded { history, batch_of, batches, replaced })
    }

    /// Plans the next generation: every event of the run (history and
    /// new), minus those older than `retain_days` before the latest day.
    /// `batch_of` and `batches` come from [`Loaded`] (moved out of it
    /// before the history went to ingest); `keys` are this run's files.
    pub fn plan(
        &self,
        data: &Ingested,
        kept: LoadedBatches,
        keys: &[FileKey],
        retain_days: u32,
    ) -> Result<SavePlan, StateError> {
        let ev = &data.events;
        let mut zone = ZoneCache::new(data.tz);
        let local_day = |zone: &mut ZoneCache, t: i64| zone.to_local(t).div_euclid(MICROS_PER_DAY) as i32;
        // The access log's file reports are in the order `keys` were made.
        let first_access = data.report.files.iter().position(|f| f.table == "access_log").unwrap_or(0);
        if data.report.files.iter().filter(|f| f.table == "access_log").count() != keys.len() {
            return Err(corrupt(&self.dir, "the bundle's access-log files changed while the run read them"));
        }
        let mut batches = kept.batches;
        let first_new = batches.len() as u32;
        batches.extend(keys.iter().map(|k| Batch {
            key: k.key.clone(),
            file: k.file.clone(),
            events: 0,
            first_day: String::new(),
            last_day: String::new(),
        }));
        let cutoff = ev.ts.iter().max().map(|&t| {
            let last = local_day(&mut zone, t);
            zone.to_utc(i64::from(last - retain_days.max(1) as i32 + 1) * MICROS_PER_DAY)
        });
        let mut keyed: Vec<(u64, u64, u32)> = Vec::with_capacity(ev.len());
        for i in 0..ev.len() {
            if cutoff.is_some_and(|c| ev.ts[i] < c) {
                continue;
            }
            let f = ev.source_file[i];
            let key = if f == HISTORY_FILE { 0 } else { 1 + u64::from(f) };
            keyed.push((key, ev.source_line[i], i as u32));
        }
        {
            use rayon::slice::ParallelSliceMut;
            keyed.par_sort_unstable();
        }
        let order: Vec<u32> = keyed.into_iter().map(|k| k.2).collect();
        let mut span: Vec<Option<(i64, i64)>> = vec![None; batches.len()];
        let batch_of: Vec<u32> = order
            .iter()
            .map(|&i| {
                let i = i as usize;
                let f = ev.source_file[i];
                let b = if f == HISTORY_FILE {
                    kept.batch_of[ev.source_line[i] as usize]
                } else {
                    first_new + (f as usize - first_access) as u32
                };
                let s = &mut span[b as usize];
                let t = ev.ts[i];
                *s = Some(s.map_or((t, t), |(a, z)| (a.min(t), z.max(t))));
                batches[b as usize].events += 1;
                b
            })
            .collect();
        // Batches with no event left are forgotten; renumber the rest.
        let mut renumber = vec![u32::MAX; batches.len()];
        let mut live = Vec::new();
        for (b, mut batch) in batches.into_iter().enumerate() {
            if let Some((a, z)) = span[b] {
                batch.first_day = date_from_days(local_day(&mut zone, a)).to_string();
                batch.last_day = date_from_days(local_day(&mut zone, z)).to_string();
                renumber[b] = live.len() as u32;
                live.push(batch);
            }
        }
        let batch_of: Vec<u32> = batch_of.into_iter().map(|b| renumber[b as usize]).collect();
        let (mut first, mut last) = (None, None);
        for &i in &order {
            let t = ev.ts[i as usize];
            first = Some(first.map_or(t, |f: i64| f.min(t)));
            last = Some(last.map_or(t, |l: i64| l.max(t)));
        }
        let day = |zone: &mut ZoneCache, t: Option<i64>| t.map(|t| date_from_days(local_day(zone, t)).to_string());
        let (first_day, last_day) = (day(&mut zone, first), day(&mut zone, last));
        let manifest = Manifest {
            format: STATE_FORMAT,
            timezone: data.tz.name().to_string(),
            generation: self.manifest.as_ref().map_or(1, |m| m.generation + 1),
            retain_days,
            events: order.len() as u64,
            first_day: first_day.clone(),
            last_day: last_day.clone(),
            batches: live,
        };
        let summary = StateOut {
            path: self.dir.display().to_string(),
            history_events: data.report.history_events,
            replaced_files: kept.replaced,
            events_kept: order.len() as u64,
            events_expired: (ev.len() - order.len()) as u64,
            first_day,
            last_day,
            retain_days,
        };
        Ok(SavePlan { order, batch_of, manifest, summary })
    }

    /// Writes the planned generation and makes it the live one; the old
    /// generation is removed afterwards. Until the switch, the previous
    /// state is untouched.
    pub fn commit(self, data: &Ingested, plan: SavePlan) -> Result<(), StateError> {
        let gen = self.generation_dir(plan.manifest.generation);
        let partial = self.dir.join(format!(".gen-{:06}.partial-{}", plan.manifest.generation, std::process::id()));
        let stored = files::compact(&data.events, &data.dict, &plan.order, plan.batch_of);
        files::write_generation(&partial, &stored, &plan.manifest)
            .map_err(|(p, e)| StateError::Io { path: p, source: e })?;
        if gen.exists() {
            std::fs::remove_dir_all(&gen).map_err(io_err(&gen))?;
        }
        std::fs::rename(&partial, &gen).map_err(io_err(&gen))?;
        let name = gen.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        files::replace_file(&self.dir, "CURRENT", format!("{name}\n").as_bytes())
            .map_err(|(p, e)| StateError::Io { path: p, source: e })?;
        // Earlier generations and leftovers of interrupted runs go.
        if let Ok(entries) = std::fs::read_dir(&self.dir) {
            for entry in entries.flatten() {
                let n = entry.file_name().to_string_lossy().to_string();
                if n != name && (n.starts_with("gen-") || n.starts_with(".gen-")) {
                    let _ = std::fs::remove_dir_all(entry.path());
                }
            }
        }
        Ok(())
    }
}

/// The batch bookkeeping of [`Loaded`], kept by the caller while the
/// history itself goes to ingest.
#[derive(Debug, Default)]
pub struct LoadedBatches {
    batch_of: Vec<u32>,
    batches: Vec<Batch>,
    replaced: Vec<String>,
}

impl Loaded {
    /// Splits the history (for ingest) from the batch bookkeeping (for the
    /// plan).
    pub fn split(self) -> (History, LoadedBatches) {
        (self.history, LoadedBatches { batch_of: self.batch_of, batches: self.batches, replaced: self.replaced })
    }
}

/// A stored event column set (codes into the stored ids).
#[derive(Debug, Default)]
pub(crate) struct StoredEvents {
    pub user: Vec<u32>,
    pub patient: Vec<u32>,
    pub ts: Vec<i64>,
    pub action: Vec<Action>,
    pub category: Vec<DataCategory>,
    pub workstation: Vec<u32>,
    pub ip: Vec<u32>,
    pub department: Vec<u32>,
    pub break_glass: Vec<bool>,
    pub batch: Vec<u32>,
}

/// Stored id strings per space, indexed by stored code.
#[derive(Debug, Default)]
pub(crate) struct StoredIds {
    pub users: Vec<String>,
    pub patients: Vec<String>,
    pub departments: Vec<String>,
    pub workstations: Vec<String>,
    pub ips: Vec<String>,
}

/// One generation's content.
#[derive(Debug, Default)]
pub(crate) struct Stored {
    pub events: StoredEvents,
    pub ids: StoredIds,
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
