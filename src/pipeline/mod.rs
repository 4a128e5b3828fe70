//! The one place that chains the stages:
//! `ingest -> explain -> features -> detect -> score -> output`.
//!
//! Explain, features and detect run in `analysis.rs`, a partition of users
//! at a time, the same way whether the run holds its events in memory (one
//! partition of every user) or spills them to disk (several); scoring and
//! the outputs run on the evidence the analysis keeps.

use std::path::PathBuf;
use std::time::Instant;

use crate::config::Config;
use crate::detect::{DetectInput, Scope};
use crate::error::Error;
use crate::model::Partition;
use crate::output::{write_outputs, Pseudonymizer, RunContext, RunOutputs, Summary};
use crate::progress::Progress;
use crate::score::{window, WindowSpec};
use crate::state::{self, StateDir};
use crate::time::ZoneCache;
use crate::time::{date_from_days, MICROS_PER_DAY};
use crate::{explain, ingest, score};

mod analysis;
pub use analysis::{
    analyse, analyse_with, explain_every_event, measure, span, Analysed, Cut, Elsewhere, Everyone, ExplainedRun, Found,
    Measures, Partitions, Resident, Scanned, Spanning, Spans, StashDir,
};

/// What `detect` needs to run.
#[derive(Debug, Clone)]
pub struct DetectRequest {
    /// The input bundle folder.
    pub input: PathBuf,
    /// The output folder.
    pub out: PathBuf,
    /// Validated configuration.
    pub config: Config,
    /// The days whose accesses may raise alerts (the rest is baseline).
    pub window: WindowSpec,
    /// reviewed.csv: verdicts on earlier alerts (suppression, repeat offenders).
    pub reviewed: Option<PathBuf>,
    /// Replaces user and patient ids in the exports by keyed tokens.
    pub pseudonymizer: Option<Pseudonymizer>,
    /// Incremental mode: earlier nights' events come from this state
    /// folder, and this run's are added to it.
    pub state: Option<StateRequest>,
    /// A larger access log (its events, plus [`ingest::EVENTS_PER_USER`]
    /// for each user the roster lists) is spilled to disk and processed a
    /// partition of users (of at most about this weight) at a time; 0
    /// never does.
    pub partition_events: u64,
}

/// Incremental mode (`--state`).
#[derive(Debug, Clone)]
pub struct StateRequest {
    /// The state folder; created on first use.
    pub dir: PathBuf,
    /// Days the state keeps, counted back from the latest day.
    pub retain_days: u32,
}

/// The window of an incremental run when none was asked for: the local
/// days of this run's own (new) events, from the first and last instant of
/// them. `None` when the run brought no events, so that nothing old is
/// alerted on again.
fn new_days(own: Option<(i64, i64)>, tz: chrono_tz::Tz) -> Option<WindowSpec> {
    let (lo, hi) = own?;
    let mut zone = ZoneCache::new(tz);
    let day = |zone: &mut ZoneCache, t: i64| date_from_days(zone.to_local(t).div_euclid(MICROS_PER_DAY) as i32);
    Some(WindowSpec::Dates { from: Some(day(&mut zone, lo)), to: Some(day(&mut zone, hi)) })
}

/// An incremental run's state folder, open and locked: the input files'
/// keys, the batches it holds (this run's history) and the retention.
type OpenState = (StateDir, Vec<state::FileKey>, state::Held, u32);

/// What an incremental run takes from what it read before its analysis:
/// the window of its own days, and the next state, staged.
type Staging = (Option<WindowSpec>, Option<state::Staged>);

/// Stages an incremental run's next state from its own events (`own`),
/// what it read (`data`) and the time range of all its events, the
/// history's included; with the window of the run's own days.
fn stage<E>(
    (dir, keys, held, retain): &OpenState,
    own: &dyn state::OwnFiles,
    data: &ingest::Ingested<E>,
    time_range: Option<(i64, i64)>,
    latest: i64,
) -> Result<Staging, Error> {
    let night =
        state::Night { own, dict: &data.dict, tz: data.tz, report: &data.report, last: time_range.map(|(_, hi)| hi) };
    let staged = dir.stage(&night, held, keys, *retain, latest)?;
    Ok((new_days(own.time_range(), data.tz), Some(staged)))
}

/// Reads the bundle spilled to disk under `out`, then analyses it a
/// partition of users at a time. Also returns the events' time range, and
/// the spill, being removed meanwhile. With a state, its history is
/// spilled with the run's own files, and the next state is staged from
/// the run's own events (set aside in the spill, read back a file at a
/// time) before the analysis.
fn analyse_spilled(
    req: &DetectRequest,
    state: Option<&OpenState>,
    latest: i64,
    elsewhere: Option<&dyn Elsewhere>,
    progress: &Progress,
    lap: &mut dyn FnMut(&'static str),
) -> Result<(analysis::Analysed, Option<(i64, i64)>, Removal, Staging), Error> {
    let root = SpillRoot::create(&req.out)?;
    let events_dir = root.dir.join("events");
    crate::fs::create_private_dir(&events_dir).map_err(crate::fs::FsError::write(&events_dir))?;
    let config = &req.config;
    let (data, spilled, own) = ingest::read_bundle_spilled_with_history(
        &req.input,
        config.timezone,
        progress,
        &events_dir,
        req.partition_events,
        &config.input,
        Some(root.dir.as_path()),
        state.map(|(_, _, held, _)| held as &dyn ingest::History),
    )?;
    data.report.check_reject_share(&data.rejects, config.input.max_reject_share)?;
    lap("ingest");
    let time_range = spilled.time_range();
    let staging = match (state, own) {
        (Some(state), Some(own)) => {
            let staging = stage(state, &own, &data, time_range, latest)?;
            lap("state_write");
            staging
        }
        _ => (None, None),
    };
    let parts = SpilledPartitions {
        spilled: &spilled,
        max_events: req.partition_events,
        stash: analysis::StashDir { dir: root.dir.clone() },
        spare: std::sync::Mutex::new(None),
    };
    let done = analysis::analyse_with(data, &parts, elsewhere, config, progress, lap)?;
    drop(parts);
    // A log of many users is spilled into many files: they are removed
    // while the run scores and writes.
    Ok((done, time_range, Removal::start(move || drop((spilled, root))), staging))
}

/// Removes a spill on another thread; dropping it waits for the removal,
/// so nothing of the spill outlives the run.
struct Removal(Option<std::thread::JoinHandle<()>>);

impl Removal {
    fn start(remove: impl FnOnce() + Send + 'static) -> Removal {
        Removal(Some(std::thread::spawn(remove)))
    }
}

impl Drop for Removal {
    fn drop(&mut self) {
        if let Some(removing) = self.0.take() {
            let _ = removing.join();
        }
    }
}

/// The owner-only folder a partitioned run spills into, inside the output
/// folder (where the run may write patient data, and on disk rather than
/// in a RAM-backed /tmp); removed with everything in it when dropped, so
/// the spill goes when the run ends, fails or unwinds.
struct SpillRoot {
    dir: PathBuf,
}

impl SpillRoot {
    fn create(out: &std::path::Path) -> Result<SpillRoot, Error> {
        use crate::fs::FsError;
        crate::fs::create_private_dir(out).map_err(FsError::write(out))?;
        crate::fs::sweep_leftovers(out).map_err(FsError::write(out))?;
        let dir = out.join(format!("{}{}", crate::fs::SPILL_PREFIX, std::process::id()));
        // A folder of this name is a leftover of a killed run that had this
        // process id: it holds patient data and nothing else uses it.
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(FsError::write(&dir))?;
        }
        crate::fs::create_private_dir(&dir).map_err(FsError::write(&dir))?;
        Ok(SpillRoot { dir })
    }
}

impl Drop for SpillRoot {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A spilled access log's partitions, with explanations stashed beside it.
struct SpilledPartitions<'a> {
    spilled: &'a ingest::Spilled,
    max_events: u64,
    stash: analysis::StashDir,
    /// The columns of a partition the passes are done with, for the next
    /// load to fill instead of faulting in fresh pages.
    spare: std::sync::Mutex<Option<crate::model::Events>>,
}

/// At most this many users in a partition (a multiple of the spill's
/// blocks): the rules hold the identities and daily series of a
/// partition's users, about 600 bytes a user, so a log of millions of
/// users with few events each is cut finer than its weight alone asks.
/// Far above every bench and test world, whose plans it leaves as they were.
const MAX_PARTITION_USERS: crate::model::Code = 4096 * ingest::BLOCK_USERS;

/// `plan` with every range of more than `max` users cut into ranges of
/// `max` users (the last one taking the rest), in order.
fn cap_users(
    plan: Vec<std::ops::Range<crate::model::Code>>,
    max: crate::model::Code,
) -> Vec<std::ops::Range<crate::model::Code>> {
    plan.into_iter()
        .flat_map(|users| {
            (users.start..users.end)
                .step_by(max.max(1) as usize)
                .map(move |from| from..from.saturating_add(max.max(1)).min(users.end))
        })
        .collect()
}

impl Partitions for SpilledPartitions<'_> {
    fn plan(&self) -> Vec<std::ops::Range<crate::model::Code>> {
        cap_users(self.spilled.plan_weighted(self.max_events, ingest::EVENTS_PER_USER), MAX_PARTITION_USERS)
    }

    fn load(&self, users: std::ops::Range<crate::model::Code>) -> Result<Partition, Error> {
        let spare = self.spare.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take();
        let events = self.spilled.load_into(users.clone(), spare.unwrap_or_default())?;
        Ok(Partition::new(users, events))
    }

    fn recycle(&self, done: Partition) {
        if let Some(events) = done.into_unshared() {
            *self.spare.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(events);
        }
    }

    fn stash(&self, part: usize, kinds: Vec<explain::Explanation>) -> Result<(), Error> {
        self.stash.stash(part, &kinds)
    }

    fn unstash(&self, part: usize) -> Result<Vec<explain::Explanation>, Error> {
        self.stash.unstash(part)
    }
}

/// Creates the output folder if needed and takes its lock, without
/// waiting: another run writing into it is an [`OutputError::Locked`].
fn lock_output(out: &std::path::Path) -> Result<crate::fs::FolderLock, Error> {
    use crate::fs::{FolderLock, OUTPUT_LOCK};
    use crate::output::OutputError;
    let io = |source| OutputError::Io { path: out.to_path_buf(), source };
    crate::fs::create_private_dir(out).map_err(io)?;
    match FolderLock::try_acquire(out, OUTPUT_LOCK).map_err(io)? {
        Some(lock) => Ok(lock),
        None => Err(OutputError::Locked { dir: out.to_path_buf() }.into()),
    }
}

/// Runs the whole pipeline and writes the outputs. Returns the summary that
/// was written to `summary.json`.
pub fn run_detect(req: &DetectRequest, progress: &Progress) -> Result<Summary, Error> {
    run_detect_with(req, None, progress)
}

/// [`run_detect`], with pass 1 run `elsewhere` when given (a cluster): a
/// run held in memory is then cut into `elsewhere.partitions()`
/// partitions. Not with `--state`.
pub fn run_detect_with(
    req: &DetectRequest,
    elsewhere: Option<&dyn Elsewhere>,
    progress: &Progress,
) -> Result<Summary, Error> {
    let mut timings = Vec::new();
    let mut clock = Instant::now();
    let mut lap = |name: &'static str| {
        timings.push((name, clock.elapsed().as_secs_f64()));
        clock = Instant::now();
    };
    let config = &req.config;
    // One run at a time per output folder (and, below, per state folder):
    // held until this function returns, however it returns.
    let _out_lock = lock_output(&req.out)?;

    let state = match &req.state {
        None => None,
        Some(s) => {
            let dir = StateDir::open(&s.dir, config.timezone)?;
            let keys = state::file_keys(&ingest::access_log_files(&req.input)?)?;
            let mut days_of = |k: &state::FileKey| -> Result<Vec<String>, Error> {
                Ok(ingest::file_days(&req.input.join(&k.file), config.timezone)?)
            };
            let held = dir.load(&keys, &mut days_of)?;
            lap("state_load");
            Some((dir, keys, held, s.retain_days))
        }
    };
    // Users cost memory as well as events (2 M users with one event each
    // took 3.65 GB in memory): the roster's users count too.
    // A night's history counts with its own files: a state of 90 days is
    // spilled and analysed a partition of users at a time, as a full run
    // over those days would be (not on a cluster, which holds a night in
    // memory).
    let history_events = state.as_ref().map_or(0, |(_, _, held, _)| ingest::History::events(held) as u64);
    let partitioned = (state.is_none() || elsewhere.is_none())
        && req.partition_events > 0
        && ingest::needs_partitions(
            ingest::estimate_events(&req.input)?.saturating_add(history_events),
            ingest::estimate_users(&req.input)?,
            req.partition_events,
        );
    let reviewed = req.reviewed.as_deref().map(ingest::read_reviewed).transpose()?;
    // The window and the state's retention count from the data's last day,
    // which is never past what the access-log files can hold (ingest
    // rejected later rows; this also bounds a state filled before it did).
    let latest = ingest::Plausible::for_files(
        &ingest::access_log_files(&req.input)?.into_iter().map(|(p, _)| p).collect::<Vec<_>>(),
        &config.input,
        std::time::SystemTime::now(),
    )
    .latest;
    // A cluster that reads the log itself (`--shuffle`): the driver reads
    // the context tables alone.
    let scanned = match (elsewhere, &state) {
        (Some(remote), None) => remote.scan(config, progress)?,
        _ => None,
    };
    let (run, time_range, own_days, plan, _removal) = if let (Some(scanned), Some(remote)) = (scanned, elsewhere) {
        let Scanned { data, plan, time_range } = scanned;
        data.report.check_reject_share(&data.rejects, config.input.max_reject_share)?;
        lap("ingest");
        let cut = Cut::from_plan(plan);
        let run = analysis::analyse_with(data, &cut, Some(remote), config, progress, &mut lap)?;
        (run, time_range, None, None, None)
    } else if partitioned {
        let (run, time_range, removal, (own_days, plan)) =
            analyse_spilled(req, state.as_ref(), latest, elsewhere, progress, &mut lap)?;
        (run, time_range, own_days, plan, Some(removal))
    } else {
        let history = state.as_ref().map(|(_, _, held, _)| held as &dyn ingest::History);
        // Rejected rows are spooled to an unlinked file in a private folder
        // of the output, not held (a garbage feed of millions of rows).
        let spool = SpillRoot::create(&req.out)?;
        let data = ingest::read_bundle_with_history(
            &req.input,
            config.timezone,
            progress,
            history,
            &config.input,
            Some(&spool.dir),
        )?;
        data.report.check_reject_share(&data.rejects, config.input.max_reject_share)?;
        lap("ingest");
        let time_range = data.events.time_range();
        // What needs every event (this run's days, the state's next
        // batches) is taken before the analysis keeps only the evidence.
        let (own_days, plan) = match &state {
            Some(state) => {
                let staging = stage(state, &state::Resident::new(&data.events), &data, time_range, latest)?;
                lap("state_write");
                staging
            }
            None => (None, None),
        };
        let n_users = data.dict.users.len();
        let (data, events) = data.with_events(());
        let whole = Partition::whole(events, n_users);
        let run = match elsewhere {
            Some(remote) => {
                // Every pass runs on the executors, which read the events
                // themselves: the driver keeps the plan, not the events.
                let cut = Cut::new(whole, remote.partitions()).without_events();
                analysis::analyse_with(data, &cut, Some(remote), config, progress, &mut lap)?
            }
            None => analysis::analyse(data, &Resident::new(whole), config, progress, &mut lap)?,
        };
        (run, time_range, own_days, plan, None)
    };
    let analysis::Analysed { data, explained, features, detection, population, relations, partitions } = run;
    let partitions = partitioned.then_some(partitions);
    let time_range = time_range.map(|(lo, hi)| (lo.min(latest), hi.min(latest)));
    let patient_groups = std::sync::OnceLock::new();
    let input = DetectInput {
        data: &data,
        explained: &explained,
        features: &features,
        config,
        relations: &relations,
        patient_groups: &patient_groups,
        population: &population,
        scope: Scope::ALL,
    };
    // An incremental run alerts on its own days unless told otherwise; with
    // no new events it alerts on nothing.
    let spec = match (&state, req.window) {
        (Some(_), WindowSpec::All) => own_days,
        (_, spec) => Some(spec),
    };
    let window = spec.and_then(|spec| window::resolve(spec, time_range, &mut ZoneCache::new(data.tz)));
    let findings = match (&window, spec) {
        (Some(w), _) => window::restrict(detection.findings.clone(), w, &data.events.ts),
        (None, None) => Vec::new(),
        (None, Some(_)) => detection.findings.clone(),
    };
    let scored = score::score(findings, &input, &detection.weights, &detection.order, &config.score);
    let aliases = match &req.pseudonymizer {
        Some(p) => p.aliases(scored.alerts.iter().map(|a| a.id.as_str()), &data.dict),
        None => Default::default(),
    };
    let reviews = reviewed.as_ref().map_or(&[][..], |r| &r.rows[..]);
    let (scored, feedback) = score::apply_feedback(scored, reviews, &aliases, &input, &config.score);
    lap("score");
    // The outputs do not read who is who to whom: an index of every user
    // of the roster, gone before the outputs' own tables are built.
    drop(relations);
    let roles = {
        let mut known = vec![false; data.dict.departments.len()];
        for (d, first) in population.department_first.iter().enumerate() {
            known[d] |= *first != i64::MAX;
        }
        if let Some(enc) = &data.encounters {
            for d in enc.departments() {
                known[d as usize] = true;
            }
        }
        explained.roles.coverage(data.roster.as_ref(), &|d| known.get(d as usize).copied().unwrap_or(false))
    };
    let context = RunContext {
        roles,
        window,
        reviewed,
        feedback,
        pseudonymizer: req.pseudonymizer.clone(),
        state: plan.as_ref().map(|p| p.summary.clone()),
        time_range,
        partitions,
    };
    let summary = write_outputs(
        &req.out,
        RunOutputs {
            data: &data,
            explained: &explained,
            features: &features,
            detection: &detection,
            scored: &scored,
            timings,
            context: &context,
        },
    )?;
    // The state moves on only once the outputs are in place: a run that
    // fails before this point leaves the previous state, and rerunning the
    // night gives the same result.
    if let (Some((dir, ..)), Some(staged)) = (state, plan) {
        dir.commit(staged)?;
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_of_too_many_users_are_cut_and_the_others_left_as_they_are() {
        assert_eq!(cap_users(vec![0..10, 10..12], 4), vec![0..4, 4..8, 8..10, 10..12]);
        assert_eq!(cap_users(vec![0..8], 4), vec![0..4, 4..8]);
        assert_eq!(cap_users(Vec::new(), 4), Vec::<std::ops::Range<u32>>::new());
        // Far above every bench and test world, and cut on the spill's blocks.
        assert_eq!(cap_users(vec![0..3000, 3000..5000], MAX_PARTITION_USERS), vec![0..3000, 3000..5000]);
        let two_million = cap_users(vec![0..2_000_000], MAX_PARTITION_USERS);
        assert_eq!(two_million.len(), 8);
        assert!(two_million.iter().all(|r| r.start % ingest::BLOCK_USERS == 0 && r.len() <= 262_144));
        assert_eq!(two_million.last().map(|r| r.end), Some(2_000_000));
    }
}
