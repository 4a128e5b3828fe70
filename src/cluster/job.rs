//! A job as the executors see it: what the driver sends with every task
//! (the bundle's path, the configuration's text, the plan of user-code
//! ranges, the pass), and the work a task does with it ([`Job::run`]:
//! pass 1 ([`Job::span`]), pass 2 ([`Job::measure`]) or pass 4
//! ([`Job::detect`]) on one partition, encoded by `codec`). Pure ehrwatch code, without Ballista, so the same
//! function runs in a test, a standalone cluster and a remote executor.
//!
//! An executor reads the bundle itself, through `ingest` exactly as the
//! driver does (same files, same order, same codes), once per job: the
//! first task of a job on an executor reads it, later tasks of the job
//! (of either pass: the driver keeps one job id for both) reuse it, and
//! the next job replaces it. Pass 2 also reads, from the job's work
//! folder, the merged pass-1 spans (once per job per executor, then the
//! care teams are learned from them here, as the driver learns them) and
//! the partition's direct explanations. Pass 4 reads the same spans (for
//! the population and the role book), everyone's features with their
//! peer groups (`everyone.bin`, once per job per executor) and the
//! partition's explanations.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::config::{parse_timezone, Config};
use crate::error::Error;
use crate::explain::Explanation;
use crate::ingest::{self, Ingested};
use crate::model::{Code, Partition};
use crate::pipeline::{measure, span, Cut, Everyone, Spanning, StashDir};
use crate::progress::Progress;
use crate::roles::RoleBook;

/// What every task of a job carries (as JSON in the task's plan).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// Unique per run: an executor keeps one job's bundle at a time.
    pub id: String,
    /// The input bundle, on a path every executor can read.
    pub input: PathBuf,
    /// The configuration file's path and text, when there was one.
    pub config: Option<(PathBuf, String)>,
    /// `--timezone`, when given.
    pub timezone: Option<String>,
    /// `--max-reject-share`, when given.
    pub max_reject_share: Option<f64>,
    /// `--partition-events`: an executor spills a log larger than this,
    /// as the driver does, and reads back a partition at a time.
    pub partition_events: u64,
    /// The output folder (shared): an executor that spills does so in a
    /// private folder of its own there.
    pub out: PathBuf,
    /// The partitions: contiguous user-code ranges, in order.
    pub plan: Vec<(Code, Code)>,
    /// The pass a task runs: 1 (spans), 2 (explanations and features) or
    /// 4 (the rules).
    #[serde(default = "pass_one")]
    pub pass: u8,
    /// The driver's work folder (shared, owner-only): pass 2 reads the
    /// merged spans (`spans.bin`) and each partition's direct explanations
    /// (`explained-K.bin`) from it.
    #[serde(default)]
    pub work: Option<PathBuf>,
    /// Pass 4: each partition's first event's index in the whole run
    /// (findings and evidence carry run indices).
    #[serde(default)]
    pub firsts: Vec<u64>,
    /// Whether an executor reads only its partitions' users' rows of the
    /// (Parquet) access log, with the driver's codes (`dictionaries.bin`
    /// in the work folder), rather than the whole log.
    #[serde(default)]
    pub split: bool,
    /// `--shuffle`: the run's shuffle folder (shared, owner-only), where
    /// scan tasks leave their slices and shuffle tasks their buckets, and
    /// from which passes 1, 2 and 4 read their partitions' events
    /// ([`super::shuffle`]).
    #[serde(default)]
    pub shuffle: Option<PathBuf>,
    /// `--shuffle`: the slices of the log (ranges of its pieces), in order.
    #[serde(default)]
    pub slices: Vec<(u64, u64)>,
    /// `--shuffle`: how many pieces the driver cut the log into (a scan
    /// task checks it finds as many).
    #[serde(default)]
    pub pieces: u64,
    /// `--shuffle`: the driver's clock when the run began (microseconds
    /// since 1970), against which every scan task checks timestamps in
    /// the future, as one whole read checks them against one clock.
    #[serde(default)]
    pub now_micros: Option<i64>,
}

/// The pass of a scan task (`--shuffle`): a slice of the log read.
pub const SCAN: u8 = 0;

/// The pass of a shuffle task (`--shuffle`): a slice's events recoded and
/// written by partition.
pub const SHUFFLE: u8 = 10;

fn pass_one() -> u8 {
    1
}

/// The file of the merged pass-1 spans in a job's work folder.
pub const SPANS_FILE: &str = "spans.bin";

/// The file of everyone's features (pass 4's input) in a job's work folder.
pub const EVERYONE_FILE: &str = "everyone.bin";

/// The file of the driver's dictionaries in a job's work folder (a split
/// scan's codes).
pub const DICTIONARIES_FILE: &str = "dictionaries.bin";

/// Where the configuration of a job comes from (the driver's arguments).
#[derive(Debug, Clone, Default)]
pub struct ConfigSource {
    /// The configuration file's path and text.
    pub file: Option<(PathBuf, String)>,
    /// `--timezone`.
    pub timezone: Option<String>,
    /// `--max-reject-share`.
    pub max_reject_share: Option<f64>,
}

impl Job {
    /// A job over the bundle at `input`, writing into `out`, with the
    /// driver's configuration and `plan`.
    pub fn new(
        id: String,
        (input, out, partition_events): (&Path, &Path, u64),
        source: &ConfigSource,
        plan: &[Range<Code>],
    ) -> Job {
        Job {
            id,
            input: input.to_path_buf(),
            config: source.file.clone(),
            timezone: source.timezone.clone(),
            max_reject_share: source.max_reject_share,
            partition_events,
            out: out.to_path_buf(),
            plan: plan.iter().map(|r| (r.start, r.end)).collect(),
            pass: 1,
            work: None,
            firsts: Vec::new(),
            split: false,
            shuffle: None,
            slices: Vec::new(),
            pieces: 0,
            now_micros: None,
        }
    }

    /// The job as the JSON a task carries.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A job from a task's JSON.
    pub fn from_json(text: &str) -> Result<Job, Error> {
        serde_json::from_str(text).map_err(|e| Error::Cluster(format!("a task's job does not parse: {e}")))
    }

    /// The configuration, built as the driver built it.
    pub fn config(&self) -> Result<Config, Error> {
        let mut config = match &self.config {
            Some((path, text)) => {
                let config = Config::parse(text, path)?;
                crate::detect::check_rules(&config.rules).map_err(|e| e.in_file(path))?;
                config
            }
            None => Config::default(),
        };
        if let Some(tz) = &self.timezone {
            config.timezone = parse_timezone(tz)?;
        }
        if let Some(share) = self.max_reject_share {
            config.input.max_reject_share = share;
        }
        Ok(config)
    }

    /// The job's pass on the `part`-th partition, encoded for the driver.
    pub fn run(&self, part: usize) -> Result<Vec<u8>, Error> {
        match self.pass {
            SCAN => super::shuffle::scan(self, part),
            SHUFFLE => super::shuffle::shuffle(self, part),
            1 => self.span(part),
            2 => self.measure(part),
            4 => self.detect(part),
            other => Err(Error::Cluster(format!(
                "a task asks for pass {other}; executors run passes 0, 1, 2 and 4 and the shuffle"
            ))),
        }
    }

    /// The user range of the `part`-th partition, and its index as a code.
    fn partition(&self, part: usize) -> Result<(Code, Code, u32), Error> {
        let &(lo, hi) = self.plan.get(part).ok_or_else(|| {
            Error::Cluster(format!("partition {part} is not in the job's plan of {}", self.plan.len()))
        })?;
        let part = u32::try_from(part).map_err(|_| Error::Cluster("too many partitions".into()))?;
        Ok((lo, hi, part))
    }

    /// Pass 1 on the `part`-th partition, encoded for the driver.
    pub fn span(&self, part: usize) -> Result<Vec<u8>, Error> {
        let (lo, hi, part) = self.partition(part)?;
        let prepared = Prepared::of(self)?;
        let events = prepared.events(lo..hi)?;
        let mut data = prepared.data.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        data.events = events;
        let (direct, spans) = span(&data, &prepared.config, &prepared.book);
        data.events = Partition::default();
        Ok(super::codec::encode_span(part, &direct, &spans))
    }

    /// What a pass-2 or pass-4 task on the `part`-th partition starts
    /// from: the partition's code, the work folder, the executor's read of
    /// the bundle, the merged spans, the explanations the driver left for
    /// the partition and its events (as many as those explanations).
    fn task(&self, part: usize, pass: u8) -> Result<Task, Error> {
        let (lo, hi, code) = self.partition(part)?;
        let work =
            self.work.clone().ok_or_else(|| Error::Cluster(format!("a pass-{pass} task names no work folder")))?;
        let prepared = Prepared::of(self)?;
        let spanning = prepared.spanning(&work)?;
        let kinds = StashDir { dir: work.clone() }.unstash(part)?;
        let events = prepared.events(lo..hi)?;
        if events.len() != kinds.len() {
            return Err(Error::Cluster(format!(
                "partition {part}: {} events here, {} explanations from the driver (is the bundle the driver's?)",
                events.len(),
                kinds.len()
            )));
        }
        Ok(Task { code, work, prepared, spanning, kinds, events })
    }

    /// Pass 2 on the `part`-th partition (its direct explanations read from
    /// the work folder, completed by the care teams learned from the merged
    /// spans; its users' features), encoded for the driver.
    pub fn measure(&self, part: usize) -> Result<Vec<u8>, Error> {
        let Task { code, prepared, spanning, kinds: direct, events, .. } = self.task(part, 2)?;
        let mut data = prepared.data.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        data.events = events;
        let (kinds, mut measures) = measure(&data, direct, &spanning, &prepared.config);
        data.events = Partition::default();
        if self.plan.len() > 1 {
            // A partitioned run keeps no daily series past pass 2 (the
            // driver computes them again in pass 4): they need not travel.
            measures.forget_days();
        }
        Ok(super::codec::encode_measure(code, &kinds, &measures))
    }

    /// Pass 4 on the `part`-th partition (its explanations read from the
    /// work folder; everyone's features and peer groups from the driver),
    /// encoded for the driver: its findings and their evidence, with
    /// indices into the whole run.
    pub fn detect(&self, part: usize) -> Result<Vec<u8>, Error> {
        let Task { code, work, prepared, spanning, kinds, events } = self.task(part, 4)?;
        let first = self.firsts.get(part).copied().ok_or_else(|| {
            Error::Cluster(format!("partition {part}: the job gives no first event ({} given)", self.firsts.len()))
        })?;
        let first = usize::try_from(first).map_err(|_| Error::Cluster("a first event past usize".into()))?;
        let mut everyone = prepared.everyone(&work, &spanning)?;
        let everyone = everyone.as_mut().ok_or_else(|| Error::Cluster("everyone's features are missing".into()))?;
        let mut data = prepared.data.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        data.events = events;
        // The features came without daily series: they are computed again
        // for the partition's users, as a partitioned local run does.
        let found = everyone.detect_in(&data, kinds, &prepared.config, first, true, None);
        data.events = Partition::default();
        Ok(super::codec::encode_detect(code, &found))
    }
}

/// What a pass-2 or pass-4 task starts from ([`Job::task`]).
struct Task {
    code: u32,
    work: PathBuf,
    prepared: Arc<Prepared>,
    spanning: Arc<Spanning>,
    kinds: Vec<Explanation>,
    events: Partition,
}

/// A job's bundle as an executor read it.
struct Prepared {
    id: String,
    config: Config,
    book: RoleBook,
    /// The context tables; the events field holds the partition a task
    /// works on (tasks of one executor take turns).
    data: Mutex<Ingested<Partition>>,
    events: Source,
    /// The merged spans, finished here: read by the job's first pass-2
    /// task on this executor.
    spanning: Mutex<Option<Arc<Spanning>>>,
    /// What pass 4 reads of every user: read by the job's first pass-4
    /// task on this executor; tasks take turns with it.
    everyone: Mutex<Option<Everyone>>,
}

/// Where an executor keeps a job's events.
enum Source {
    /// In the bundle's Parquet log, a partition's users' rows read when a
    /// task asks for them (the scan filtered by user id), with the codes
    /// of the driver's dictionaries.
    Split {
        /// The bundle.
        input: PathBuf,
        /// The context tables with the driver's dictionaries.
        context: Option<ingest::ContextTables>,
    },
    /// In the shuffle folder, a partition's buckets read when a task asks
    /// for them, in the run's codes.
    Shuffled {
        /// The shuffle folder.
        dir: PathBuf,
        /// How many slices wrote buckets.
        slices: usize,
        /// The plan the buckets follow.
        plan: Vec<(Code, Code)>,
    },
    /// In memory.
    Memory(Cut),
    /// Spilled by user into a private folder, removed when dropped.
    Spilled {
        /// The spilled events.
        spilled: ingest::Spilled,
        /// Held for its `Drop`, which removes the folder.
        _folder: ExecutorSpill,
    },
}

/// An executor's spill folder inside the job's output folder, named as a
/// local run's with a suffix (`.ehrwatch-spill-PID-executor`, apart from
/// the driver's own when both run in one process), so a run after a killed
/// executor sweeps it; removed when dropped.
struct ExecutorSpill(PathBuf);

impl Drop for ExecutorSpill {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The sizes of the dictionaries, which a read from the driver's must
/// leave as they were.
fn dict_sizes(d: &crate::model::Dictionaries) -> [usize; 5] {
    [d.users.len(), d.patients.len(), d.departments.len(), d.workstations.len(), d.ips.len()]
}

/// The job an executor holds.
static HELD: Mutex<Option<Arc<Prepared>>> = Mutex::new(None);

/// Drops the job this process's executors hold, with its spill folder:
/// called by a driver once its pass is collected, so a standalone
/// cluster (executors in the driver's process) leaves nothing behind.
#[cfg_attr(not(feature = "cluster"), allow(dead_code))]
pub(crate) fn release_held() {
    *HELD.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
}

impl Prepared {
    /// The events of the users `users`.
    fn events(&self, users: std::ops::Range<Code>) -> Result<Partition, Error> {
        Ok(match &self.events {
            Source::Split { input, context } => {
                let (ids, known) = {
                    let data = self.data.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                    let ids = (users.start..users.end).map(|u| data.dict.users.name(u).to_string()).collect();
                    (ids, dict_sizes(&data.dict))
                };
                let filter = ingest::RowFilter { users: ids, patients: Default::default() };
                let mut context = context.clone();
                let tz = self.config.timezone;
                let read = ingest::read_bundle_filtered(
                    input,
                    tz,
                    &Progress::hidden(),
                    &filter,
                    &self.config.input,
                    &mut context,
                )?;
                if dict_sizes(&read.dict) != known {
                    return Err(Error::Cluster(
                        "the access log holds ids the driver did not read (did the bundle change during the run?)"
                            .into(),
                    ));
                }
                let (_, events) = read.with_events(());
                if events.user.iter().any(|u| !users.contains(u)) {
                    return Err(Error::Cluster("a filtered read of the log returned another partition's user".into()));
                }
                Partition::new(users, events)
            }
            Source::Shuffled { dir, slices, plan } => {
                let k = plan.iter().position(|&(lo, hi)| lo == users.start && hi == users.end).ok_or_else(|| {
                    Error::Cluster(format!("users {users:?} are not a partition of the shuffle's plan"))
                })?;
                super::shuffle::read_partition(dir, *slices, k, users)?
            }
            Source::Memory(cut) => cut.events_of(users),
            Source::Spilled { spilled, .. } => Partition::new(users.clone(), spilled.load(users)?),
        })
    }

    /// The merged spans of the work folder `work`, finished (the classes
    /// learned, the care teams learned) once per job.
    fn spanning(&self, work: &Path) -> Result<Arc<Spanning>, Error> {
        let mut held = self.spanning.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(s) = held.as_ref() {
            return Ok(Arc::clone(s));
        }
        let path = work.join(SPANS_FILE);
        let bytes = std::fs::read(&path).map_err(crate::fs::FsError::read(&path))?;
        let (_, _, spans) =
            super::codec::decode_span(&bytes).map_err(|e| Error::Cluster(format!("{}: {e}", path.display())))?;
        let data = self.data.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let spanning = Arc::new(spans.finish(&*data, self.book.clone(), &self.config));
        *held = Some(Arc::clone(&spanning));
        Ok(spanning)
    }

    /// Everyone's features from the work folder `work`, with the
    /// population and role book of `spanning` and who is who to whom
    /// from the context tables, once per job; held locked by the caller.
    fn everyone(&self, work: &Path, spanning: &Spanning) -> Result<std::sync::MutexGuard<'_, Option<Everyone>>, Error> {
        let mut held = self.everyone.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if held.is_none() {
            let path = work.join(EVERYONE_FILE);
            let bytes = std::fs::read(&path).map_err(crate::fs::FsError::read(&path))?;
            let features = super::codec::decode_everyone(&bytes)
                .map_err(|e| Error::Cluster(format!("{}: {e}", path.display())))?;
            let data = self.data.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if features.codes() != data.dict.users.len() {
                return Err(Error::Cluster(format!(
                    "{}: features of {} user codes, {} here (is the bundle the driver's?)",
                    path.display(),
                    features.codes(),
                    data.dict.users.len()
                )));
            }
            *held = Some(Everyone::from_spanning(features, spanning, &*data, &self.config));
        }
        Ok(held)
    }

    /// The job's bundle, read now unless this executor holds it already.
    fn of(job: &Job) -> Result<Arc<Prepared>, Error> {
        let mut held = HELD.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(p) = held.as_ref().filter(|p| p.id == job.id) {
            return Ok(Arc::clone(p));
        }
        // The previous job's events go before this one's are read.
        *held = None;
        let config = job.config()?;
        let progress = Progress::hidden();
        // The driver's test, so a log it spilled is spilled here too.
        let spill = job.partition_events > 0
            && ingest::needs_partitions(
                ingest::estimate_events(&job.input)?,
                ingest::estimate_users(&job.input)?,
                job.partition_events,
            );
        let (data, events) = if let Some(dir) = &job.shuffle {
            // The context tables with the run's dictionaries; the events
            // come from the shuffle's buckets.
            let path = dir.join(DICTIONARIES_FILE);
            let bytes = std::fs::read(&path).map_err(crate::fs::FsError::read(&path))?;
            let dict = super::codec::decode_dictionaries(&bytes)
                .map_err(|e| Error::Cluster(format!("{}: {e}", path.display())))?;
            let mut context = None;
            ingest::read_context(&job.input, config.timezone, &progress, &config.input, &mut context)?;
            let context = context
                .and_then(|c| c.with_dictionaries(dict))
                .ok_or_else(|| Error::Cluster(format!("{}: not the dictionaries of this bundle", path.display())))?;
            let data = ingest::read_context(&job.input, config.timezone, &progress, &config.input, &mut Some(context))?;
            let slices = job.slices.len();
            (data, Source::Shuffled { dir: dir.clone(), slices, plan: job.plan.clone() })
        } else if job.split {
            // Only the context tables are read here (a filter that keeps no
            // row of the log); each task reads its users' rows.
            let work = job.work.as_ref().ok_or_else(|| Error::Cluster("a split scan names no work folder".into()))?;
            let path = work.join(DICTIONARIES_FILE);
            let bytes = std::fs::read(&path).map_err(crate::fs::FsError::read(&path))?;
            let dict = super::codec::decode_dictionaries(&bytes)
                .map_err(|e| Error::Cluster(format!("{}: {e}", path.display())))?;
            let none = ingest::RowFilter::default();
            let mut context = None;
            ingest::read_bundle_filtered(&job.input, config.timezone, &progress, &none, &config.input, &mut context)?;
            let context = context
                .and_then(|c| c.with_dictionaries(dict))
                .ok_or_else(|| Error::Cluster(format!("{}: not the dictionaries of this bundle", path.display())))?;
            let mut seeded = Some(context);
            let data = ingest::read_bundle_filtered(
                &job.input,
                config.timezone,
                &progress,
                &none,
                &config.input,
                &mut seeded,
            )?;
            let (data, _) = data.with_events(());
            (data, Source::Split { input: job.input.clone(), context: seeded })
        } else if spill {
            use crate::fs::FsError;
            // `-executor`: in a standalone cluster the driver runs in the
            // same process and spills into `.ehrwatch-spill-PID` itself.
            let dir = job.out.join(format!("{}{}-executor", crate::fs::SPILL_PREFIX, std::process::id()));
            if dir.exists() {
                std::fs::remove_dir_all(&dir).map_err(FsError::write(&dir))?;
            }
            crate::fs::create_private_dir(&dir).map_err(FsError::write(&dir))?;
            let guard = ExecutorSpill(dir);
            let (data, spilled) = ingest::read_bundle_spilled(
                &job.input,
                config.timezone,
                &progress,
                &guard.0,
                job.partition_events,
                &config.input,
                None,
            )?;
            (data, Source::Spilled { spilled, _folder: guard })
        } else {
            let data =
                ingest::read_bundle_with_history(&job.input, config.timezone, &progress, None, &config.input, None)?;
            let n_users = data.dict.users.len();
            let (data, events) = data.with_events(());
            (data, Source::Memory(Cut::new(Partition::whole(events, n_users), 1)))
        };
        let (data, ()) = data.with_events(Partition::default());
        let book = RoleBook::from_titles(data.roster.as_ref(), &config.explain.titles);
        let prepared = Arc::new(Prepared {
            id: job.id.clone(),
            config,
            book,
            data: Mutex::new(data),
            events,
            spanning: Mutex::new(None),
            everyone: Mutex::new(None),
        });
        *held = Some(Arc::clone(&prepared));
        Ok(prepared)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_survives_its_json_and_rebuilds_the_drivers_configuration() {
        let source = ConfigSource {
            file: Some((PathBuf::from("ehrwatch.toml"), "timezone = \"America/Chicago\"\n".into())),
            timezone: None,
            max_reject_share: Some(0.5),
        };
        let job = Job::new("j1".into(), (Path::new("/data/bundle"), Path::new("/data/out"), 0), &source, &[0..3, 3..9]);
        let back = Job::from_json(&job.to_json()).expect("parses");
        assert_eq!(back, job);
        let config = back.config().expect("valid");
        assert_eq!(config.timezone, chrono_tz::America::Chicago);
        assert_eq!(config.input.max_reject_share, 0.5);
        let over = Job { timezone: Some("Europe/Paris".into()), ..job };
        assert_eq!(over.config().expect("valid").timezone, chrono_tz::Europe::Paris);
        assert!(Job::from_json("{").is_err());
    }

    #[test]
    fn a_split_scan_reads_a_partitions_rows_with_the_drivers_codes() {
        use crate::test_fixture::{simulated_bundle_with, BundleFormat};
        let dir = simulated_bundle_with(BundleFormat::Parquet, |p| {
            (p.users, p.patients, p.days, p.seed, p.incidents) = (40, 400, 3, 11, 2);
        });
        let bundle = dir.path().join("bundle");
        // The driver: the whole log, cut into three user ranges.
        let config = Config::default();
        let whole = ingest::read_bundle(&bundle, config.timezone, &Progress::hidden()).expect("read");
        let n_users = whole.dict.users.len();
        let work = dir.path().join("work");
        std::fs::create_dir(&work).expect("work");
        std::fs::write(work.join(DICTIONARIES_FILE), super::super::codec::encode_dictionaries(&whole.dict))
            .expect("write");
        let (_, events) = whole.with_events(());
        let cut = Cut::new(Partition::whole(events, n_users), 3);
        let plan = crate::pipeline::Partitions::plan(&cut);
        assert_eq!(plan.len(), 3);
        // An executor: the context tables, then each range's rows alone.
        let mut job = Job::new("split-1".into(), (&bundle, dir.path(), 0), &ConfigSource::default(), &plan);
        (job.split, job.work) = (true, Some(work.clone()));
        let prepared = Prepared::of(&job).expect("prepared");
        assert!(matches!(prepared.events, Source::Split { .. }), "a Parquet log is read in part");
        for users in plan {
            let (here, there) = (prepared.events(users.clone()).expect("read"), cut.events_of(users.clone()));
            assert!(here.len() > 100, "{users:?}: {} events", here.len());
            assert_eq!(here.len(), there.len());
            assert_eq!((&here.user, &here.patient, &here.ts), (&there.user, &there.patient, &there.ts));
            assert_eq!(
                (&here.workstation, &here.ip, &here.department),
                (&there.workstation, &there.ip, &there.department)
            );
            assert_eq!(
                (&here.action, &here.category, &here.break_glass),
                (&there.action, &there.category, &there.break_glass)
            );
        }
        release_held();
        // Dictionaries of another bundle do not fit its context tables.
        std::fs::write(work.join(DICTIONARIES_FILE), super::super::codec::encode_dictionaries(&Default::default()))
            .expect("write");
        let err = Prepared::of(&Job { id: "split-2".into(), ..job }).err().expect("refused");
        assert!(err.to_string().contains("not the dictionaries of this bundle"), "{err}");
        release_held();
    }

    #[test]
    fn a_partition_outside_the_plan_is_an_error() {
        let job = Job::new(
            "j2".into(),
            (Path::new("/nonexistent"), Path::new("/nonexistent"), 0),
            &ConfigSource::default(),
            &[0..1],
        );
        let err = job.span(3).expect_err("no such partition");
        assert!(err.to_string().contains("partition 3"), "{err}");
        let err = Job { pass: 2, ..job.clone() }.run(0).expect_err("no work folder");
        assert!(err.to_string().contains("work folder"), "{err}");
        let err = Job { pass: 4, ..job.clone() }.run(0).expect_err("no work folder");
        assert!(err.to_string().contains("work folder"), "{err}");
        let err = Job { pass: 3, ..job.clone() }.run(0).expect_err("not an executor's pass");
        assert!(err.to_string().contains("pass 3"), "{err}");
        // A job written before passes were named is a pass-1 job.
        let old = job.to_json().replace(",\"pass\":1,\"work\":null,\"firsts\":[]", "");
        assert!(!old.contains("pass"), "{old}");
        assert_eq!(Job::from_json(&old).expect("parses"), job);
    }
}
