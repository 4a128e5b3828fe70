//! A job as the executors see it: what the driver sends with every task
//! (the bundle's path, the configuration's text, the plan of user-code
//! ranges), and the work a task does with it ([`Job::span`]: pass 1 on one
//! partition, encoded by `codec`). Pure ehrwatch code, without Ballista,
//! so the same function runs in a test, a standalone cluster and a remote
//! executor.
//!
//! An executor reads the bundle itself, through `ingest` exactly as the
//! driver does (same files, same order, same codes), once per job: the
//! first task of a job on an executor reads it, later tasks of the job
//! reuse it, and the next job replaces it.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::config::{parse_timezone, Config};
use crate::error::Error;
use crate::ingest::{self, Ingested};
use crate::model::{Code, Partition};
use crate::pipeline::{span, Cut};
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
}

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

    /// Pass 1 on the `part`-th partition, encoded for the driver.
    pub fn span(&self, part: usize) -> Result<Vec<u8>, Error> {
        let &(lo, hi) = self.plan.get(part).ok_or_else(|| {
            Error::Cluster(format!("partition {part} is not in the job's plan of {}", self.plan.len()))
        })?;
        let prepared = Prepared::of(self)?;
        let events = match &prepared.events {
            Source::Memory(cut) => cut.events_of(lo..hi),
            Source::Spilled { spilled, .. } => Partition::new(lo..hi, spilled.load(lo..hi)?),
        };
        let mut data = prepared.data.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        data.events = events;
        let (direct, spans) = span(&data, &prepared.config, &prepared.book);
        data.events = Partition::default();
        let part = u32::try_from(part).map_err(|_| Error::Cluster("too many partitions".into()))?;
        Ok(super::codec::encode_span(part, &direct, &spans))
    }
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
}

/// Where an executor keeps a job's events.
enum Source {
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
        let (data, events) = if spill {
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
        let prepared = Arc::new(Prepared { id: job.id.clone(), config, book, data: Mutex::new(data), events });
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
    fn a_partition_outside_the_plan_is_an_error() {
        let job = Job::new(
            "j2".into(),
            (Path::new("/nonexistent"), Path::new("/nonexistent"), 0),
            &ConfigSource::default(),
            &[0..1],
        );
        let err = job.span(3).expect_err("no such partition");
        assert!(err.to_string().contains("partition 3"), "{err}");
    }
}
