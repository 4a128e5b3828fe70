//! The analysis: explain, features and detect over the run's events, one
//! partition of users at a time. A run held in memory is one partition of
//! every user ([`Resident`]); a run too large for memory is spilled to disk
//! by user (`ingest::read_bundle_spilled`) and read back a partition at a
//! time. [`analyse`] is the one function that chains the passes, whatever
//! the partitions are.
//!
//! Each pass is a function from its inputs to a result that merges across
//! partitions (the shape a cluster needs: the per-partition passes run
//! where the events are, the merged results are small and go everywhere):
//!
//! 1. [`span`]: a partition's direct explanations, and what spans users
//!    ([`Spans`]: the care visits the care-team groups are learned from,
//!    which users of each department opened each patient, when each device
//!    was first used, the classes learned from work). Added up, then
//!    [`Spans::finish`] learns the care teams.
//! 2. [`measure`]: a partition's explanations completed by the care teams,
//!    and its users' features ([`Measures`], concatenated in user order).
//! 3. The peer groups, across every user's features (`features::finish`,
//!    on a table of one row per user, not per event).
//! 4. [`detect_partition`]: the rules on a partition's users, with
//!    everybody's features ([`Found`]: the findings and the evidence they
//!    need, merged in partition order, then [`Found::finish`]).
//!
//! Explanations are stashed between passes ([`Partitions::stash`]: kept in
//! memory for a run in memory, one byte an event on disk for a spilled
//! one), and the next partition is read on another thread while one is
//! worked on.
//!
//! Partitions are contiguous ranges of user codes, and events are sorted by
//! user, so an event's index in the whole run is its partition's first index
//! plus its index within the partition: findings carry the indices a run
//! over all events at once gives, and scoring and the outputs run on the
//! kept evidence, which the findings index. A test checks that a spilled
//! run and a run in memory write the same alerts, cases and features.

use std::ops::Range;
use std::sync::{Mutex, OnceLock};

use crate::config::Config;
use crate::detect::relations::Relations;
use crate::detect::{detect, DetectInput, Detection, Finding, Population, Scope};
use crate::error::Error;
use crate::explain::{explain_direct, CareTeams, CareVisits, Charting, Explanation, Explanations};
use crate::features::{self, Coverage, DayStats, UserFeatures, UserStats};
use crate::ingest::Ingested;
use crate::model::{Code, Dictionaries, Events, Evidence, FxHashSet, Partition, NONE};
use crate::progress::{Progress, StageBar};
use crate::roles::{RoleBook, RoleClass};

/// Where a run's events come from, a partition of users at a time.
pub trait Partitions: Sync {
    /// Contiguous user-code ranges covering every user, in order.
    fn plan(&self) -> Vec<Range<Code>>;
    /// The events of the users in `users`, sorted by (user, time, input order).
    fn load(&self, users: Range<Code>) -> Result<Partition, Error>;
    /// Keeps the explanations of the `part`-th partition's events until
    /// [`Partitions::unstash`], so later passes need not explain again.
    fn stash(&self, part: usize, kinds: Vec<Explanation>) -> Result<(), Error>;
    /// The explanations last stashed for the `part`-th partition.
    fn unstash(&self, part: usize) -> Result<Vec<Explanation>, Error>;
    /// Takes back a partition the pass is done with: its columns may be
    /// reused by a later [`Partitions::load`] (the default drops them).
    fn recycle(&self, _done: Partition) {}
    /// Bytes of daily series a run of several partitions may keep from
    /// pass 2 to pass 4 (beyond them, a partition's series are computed
    /// again in pass 4 from its events).
    fn kept_days_bytes(&self) -> usize {
        KEPT_DAYS_BYTES
    }
}

/// The default [`Partitions::kept_days_bytes`]: the series of 2,600 users
/// over 260 days take at most 86 MB, and computing them again took 5 CPU-seconds
/// of a 100 M-event run; a log of millions of users with short histories
/// goes over it and computes them again, as before.
pub const KEPT_DAYS_BYTES: usize = 256 << 20;

/// A run held in memory: one partition of every user, its explanations
/// stashed in memory.
pub struct Resident {
    part: Partition,
    stash: Mutex<Vec<Explanation>>,
}

impl Resident {
    /// The partition of every event.
    pub fn new(part: Partition) -> Resident {
        Resident { part, stash: Mutex::new(Vec::new()) }
    }
}

impl Partitions for Resident {
    fn plan(&self) -> Vec<Range<Code>> {
        vec![self.part.users.clone()]
    }

    fn load(&self, users: Range<Code>) -> Result<Partition, Error> {
        debug_assert_eq!(users, self.part.users);
        Ok(self.part.clone())
    }

    fn stash(&self, _part: usize, kinds: Vec<Explanation>) -> Result<(), Error> {
        *self.stash.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = kinds;
        Ok(())
    }

    fn unstash(&self, _part: usize) -> Result<Vec<Explanation>, Error> {
        Ok(std::mem::take(&mut *self.stash.lock().unwrap_or_else(|poisoned| poisoned.into_inner())))
    }
}

/// A run held in memory cut into contiguous user ranges of about equal
/// events (a cluster's tasks), its explanations stashed in memory.
pub struct Cut {
    whole: Partition,
    plan: Vec<Range<Code>>,
    stash: Mutex<Vec<Vec<Explanation>>>,
    /// Whether `whole` still holds the events ([`Cut::without_events`]).
    held: bool,
}

/// Users `users` (with `total` events, `counts` of them per user with
/// events, in code order) cut into at most `n` contiguous ranges (at least
/// one) of about equal events; a user's events are never split.
fn plan_by_share(
    users: Range<Code>,
    total: u64,
    n: usize,
    counts: impl IntoIterator<Item = (Code, u64)>,
) -> Vec<Range<Code>> {
    let n = n.max(1);
    let mut plan = Vec::with_capacity(n);
    let (mut start, mut done) = (users.start, 0u64);
    for (user, len) in counts {
        // Close the partition before this user once it holds its share.
        let share = total * (plan.len() as u64 + 1) / n as u64;
        if done >= share && done > 0 && user > start && plan.len() + 1 < n {
            plan.push(start..user);
            start = user;
        }
        done += len;
    }
    plan.push(start..users.end.max(start));
    plan
}

impl Cut {
    /// Every event, cut into at most `n` partitions (at least one) of
    /// about equal events; a user's events are never split.
    pub fn new(whole: Partition, n: usize) -> Cut {
        let counts = whole.user_ranges().into_iter().map(|(user, range)| (user, range.len() as u64));
        let plan = plan_by_share(whole.users.clone(), whole.len() as u64, n, counts);
        Cut { whole, stash: Mutex::new(vec![Vec::new(); plan.len()]), plan, held: true }
    }

    /// The plan [`Cut::new`] cuts from events whose users (codes
    /// `0..per_user.len()`) have `per_user` events each, without the
    /// events: a cluster's driver that never read them (`--shuffle`).
    pub fn from_counts(per_user: &[u64], n: usize) -> Cut {
        let end = Code::try_from(per_user.len()).unwrap_or(Code::MAX);
        let counts = (0..end).zip(per_user.iter().copied()).filter(|&(_, len)| len > 0);
        Cut::from_plan(plan_by_share(0..end, per_user.iter().sum(), n, counts))
    }

    /// A plan without events (a cluster's driver that never read them).
    pub fn from_plan(plan: Vec<Range<Code>>) -> Cut {
        Cut { whole: Partition::default(), stash: Mutex::new(vec![Vec::new(); plan.len()]), plan, held: false }
    }

    /// The plan and the stash without the events: what a cluster's driver
    /// keeps once the plan is cut, every pass running on the executors
    /// (which read the events themselves). Loading a partition is then an
    /// error.
    pub fn without_events(self) -> Cut {
        Cut { whole: Partition::default(), held: false, ..self }
    }

    /// The events of `users`, a range of [`Cut::plan`]'s or any other.
    pub fn events_of(&self, users: Range<Code>) -> Partition {
        let user = &self.whole.user;
        let from = user.partition_point(|&u| u < users.start);
        let to = user.partition_point(|&u| u < users.end);
        let idx: Vec<usize> = (from..to).collect();
        Partition::new(users, self.whole.gather(&idx))
    }
}

impl Partitions for Cut {
    fn plan(&self) -> Vec<Range<Code>> {
        self.plan.clone()
    }

    fn load(&self, users: Range<Code>) -> Result<Partition, Error> {
        if !self.held {
            return Err(Error::Cluster("the driver holds no events: every pass runs on the executors".into()));
        }
        Ok(self.events_of(users))
    }

    fn stash(&self, part: usize, kinds: Vec<Explanation>) -> Result<(), Error> {
        let mut stash = self.stash.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if stash.len() <= part {
            stash.resize(part + 1, Vec::new());
        }
        stash[part] = kinds;
        Ok(())
    }

    fn unstash(&self, part: usize) -> Result<Vec<Explanation>, Error> {
        let mut stash = self.stash.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        Ok(stash.get_mut(part).map(std::mem::take).unwrap_or_default())
    }
}

/// The access log as read elsewhere ([`Elsewhere::scan`]).
pub struct Scanned {
    /// The run's tables, without events.
    pub data: Ingested<()>,
    /// The partitions' user ranges.
    pub plan: Vec<Range<Code>>,
    /// The first and last event's instant.
    pub time_range: Option<(i64, i64)>,
}

/// Pass 1 run somewhere else than here: on a cluster's executors
/// (`crate::cluster`), which read the same bundle and cut the same plan.
pub trait Elsewhere: Sync {
    /// How many partitions to cut a run held in memory into.
    fn partitions(&self) -> usize;
    /// Reads the access log elsewhere (a cluster's scan and shuffle), when
    /// it does: the run's tables without events (dictionaries, report and
    /// rejects as a whole read gives them), the plan its partitions are
    /// cut by, and the events' time range. `None`: the driver reads the
    /// log itself.
    fn scan(&self, _config: &Config, _progress: &Progress) -> Result<Option<Scanned>, Error> {
        Ok(None)
    }
    /// Pass 1 on every partition of `plan`, whose ids `dict` codes (the
    /// codes every pass's results are in): each one's direct explanations
    /// and spans, in plan order.
    fn span_all(&self, plan: &[Range<Code>], dict: &Dictionaries) -> Result<Vec<(Vec<Explanation>, Spans)>, Error>;
    /// Pass 2 on every partition of `plan`, given every partition's pass-1
    /// `spans` merged (not finished: each side learns the care teams from
    /// them) and each partition's `direct` explanations: each one's
    /// explanations completed and its users' features, in plan order.
    fn measure_all(
        &self,
        plan: &[Range<Code>],
        spans: &Spans,
        direct: &dyn Fn(usize) -> Result<Vec<Explanation>, Error>,
    ) -> Result<Vec<(Vec<Explanation>, Measures)>, Error>;
    /// Pass 4 on every partition of `plan`, given every user's `features`
    /// with their peer groups (without daily series: each side computes
    /// its partition's again), each partition's first event's index in
    /// the run (`firsts`) and its explanations (`kinds`): each one's
    /// findings and evidence, in plan order.
    fn detect_all(
        &self,
        plan: &[Range<Code>],
        features: &UserFeatures,
        firsts: &[usize],
        kinds: &dyn Fn(usize) -> Result<Vec<Explanation>, Error>,
    ) -> Result<Vec<Found>, Error>;
}

/// Explanations stashed on disk between passes, one byte per event, in a
/// file per partition of an owner-only folder (the spill's).
pub struct StashDir {
    /// The folder.
    pub dir: std::path::PathBuf,
}

impl StashDir {
    fn path(&self, part: usize) -> std::path::PathBuf {
        self.dir.join(format!("explained-{part}.bin"))
    }

    /// Writes the partition's explanations, replacing earlier ones.
    pub fn stash(&self, part: usize, kinds: &[Explanation]) -> Result<(), Error> {
        use std::io::Write;
        let path = self.path(part);
        let io = |source| crate::fs::FsError::Write { path: path.clone(), source };
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(e).into()),
            _ => {}
        }
        let bytes: Vec<u8> = kinds.iter().map(|k| *k as u8).collect();
        crate::fs::create_private(&path).and_then(|mut f| f.write_all(&bytes)).map_err(io)?;
        Ok(())
    }

    /// Reads the partition's explanations back.
    pub fn unstash(&self, part: usize) -> Result<Vec<Explanation>, Error> {
        let path = self.path(part);
        let io = |source| crate::fs::FsError::Read { path: path.clone(), source };
        let bytes = std::fs::read(&path).map_err(io)?;
        bytes
            .iter()
            .map(|&b| Explanation::ALL.get(b as usize).copied())
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| io(std::io::Error::other("damaged: a byte names no explanation")).into())
    }
}

/// What the analysis hands to scoring and the outputs.
pub struct Analysed {
    /// The context tables and the evidence kept from every partition.
    pub data: Ingested<Evidence>,
    /// The explanations of the kept evidence, with the whole run's totals.
    pub explained: Explanations,
    /// Every user's features.
    pub features: UserFeatures,
    /// Every partition's findings, with indices into the kept evidence.
    pub detection: Detection,
    /// What the rules saw of the whole run.
    pub population: Population,
    /// Who is who to whom (from the context tables).
    pub relations: Relations,
    /// How many partitions there were.
    pub partitions: usize,
}

/// Runs the four passes over `parts`. `data` holds the context tables; the
/// result holds them with the evidence the findings index.
pub fn analyse(
    data: Ingested<()>,
    parts: &dyn Partitions,
    config: &Config,
    progress: &Progress,
    timings: &mut dyn FnMut(&'static str),
) -> Result<Analysed, Error> {
    analyse_with(data, parts, None, config, progress, timings)
}

/// [`analyse`], with pass 1 run `elsewhere` when given (the rest runs
/// here on `parts`, whose plan `elsewhere` is handed).
pub fn analyse_with(
    data: Ingested<()>,
    parts: &dyn Partitions,
    elsewhere: Option<&dyn Elsewhere>,
    config: &Config,
    progress: &Progress,
    timings: &mut dyn FnMut(&'static str),
) -> Result<Analysed, Error> {
    let mut plan = parts.plan();
    if plan.is_empty() {
        // No user: one empty partition, so the rules still report what
        // they skipped.
        plan.push(0..0);
    }
    let (mut data, ()) = data.with_events(Partition::default());
    // The partition the last pass ended with, kept for the next pass to
    // start with (passes alternate their order: 1 forwards, 2 backwards,
    // 4 forwards), so that each pass reads one partition fewer and starts
    // without waiting for a read.
    let mut held: Option<(usize, Partition)> = None;

    // Pass 1: what spans users.
    let mut spans = Spans::default();
    let book = RoleBook::from_titles(data.roster.as_ref(), &config.explain.titles);
    match elsewhere {
        Some(remote) => {
            let done = remote.span_all(&plan, &data.dict)?;
            if done.len() != plan.len() {
                return Err(Error::Cluster(format!("{} pass-1 results for {} partitions", done.len(), plan.len())));
            }
            for (k, (direct, span)) in done.into_iter().enumerate() {
                spans.add(span);
                parts.stash(k, direct)?;
            }
        }
        None => {
            let forward: Vec<usize> = (0..plan.len()).collect();
            held = each_partition(&plan, &forward, parts, progress.stage("pass 1/4"), None, |k, events| {
                data.events = events;
                let (direct, span) = span(&data, config, &book);
                spans.add(span);
                parts.stash(k, direct)?;
                Ok(std::mem::take(&mut data.events))
            })?;
        }
    }
    // Pass 2 elsewhere starts from the merged spans, before they are
    // finished here.
    let measured_elsewhere = match elsewhere {
        Some(remote) => Some(remote.measure_all(&plan, &spans, &|k| parts.unstash(k))?),
        None => None,
    };
    let spanning = spans.finish(&data, book, config);
    timings("explain");

    // Pass 2: explanations and features, partition by partition; pass 3:
    // the peer groups across every user.
    let mut measures = Measures::default();
    if plan.len() > 1 {
        // Room for every user once, rather than doubling a table of
        // millions of rows as partitions are appended.
        measures.users.reserve_exact(data.dict.users.len());
    }
    // A partitioned run keeps each user's daily series only while the
    // user's partition is worked on (passes 2 and 4: computed again in
    // pass 4); every user's `busiest` stays.
    let partitioned = plan.len() > 1;
    // Each partition's first event's index in the run (pass 4 elsewhere).
    let mut firsts = Vec::with_capacity(plan.len());
    // Each partition's daily series, taken out of the features in pass 2
    // and put back for pass 4, while they fit in `budget` bytes.
    let mut kept_days: Vec<Option<Vec<(Code, Vec<DayStats>)>>> = vec![None; plan.len()];
    let (budget, mut kept_bytes) = (parts.kept_days_bytes(), 0usize);
    match measured_elsewhere {
        Some(done) => {
            if done.len() != plan.len() {
                return Err(Error::Cluster(format!("{} pass-2 results for {} partitions", done.len(), plan.len())));
            }
            // Merged in plan order, as the local passes merge.
            let mut first = 0usize;
            for (k, (kinds, mut measured)) in done.into_iter().enumerate() {
                if partitioned {
                    measured.forget_days();
                }
                measures.add(measured);
                firsts.push(first);
                first += kinds.len();
                parts.stash(k, kinds)?;
            }
        }
        None => {
            // Backwards (see `held`); the measures are added in plan order.
            let backward: Vec<usize> = (0..plan.len()).rev().collect();
            let mut measured_parts: Vec<Option<Measures>> = (0..plan.len()).map(|_| None).collect();
            held = each_partition(&plan, &backward, parts, progress.stage("pass 2/4"), held.take(), |k, events| {
                data.events = events;
                let (kinds, mut measured) = measure(&data, parts.unstash(k)?, &spanning, config);
                if partitioned {
                    // Kept aside while they fit (pass 4 puts them back), else
                    // computed again in pass 4.
                    let days = measured.take_days();
                    let bytes = days_bytes(&days);
                    if kept_bytes + bytes <= budget {
                        kept_bytes += bytes;
                        kept_days[k] = Some(days);
                    }
                }
                measured_parts[k] = Some(measured);
                parts.stash(k, kinds)?;
                Ok(std::mem::take(&mut data.events))
            })?;
            measured_parts.into_iter().flatten().for_each(|m| measures.add(m));
        }
    }
    data.events = Partition::default();
    let Measures { users, totals } = measures;
    // Pass 4 needs none of pass 2's care visits, teams and coverage.
    let Spanning { visits, teams, charting, coverage, population, book } = spanning;
    drop((visits, teams, charting, coverage));
    let features = features::finish(users, &data, &book, &config.peers);
    timings("features");

    // Pass 4: the rules, partition by partition, with everybody's
    // features; the evidence is kept.
    // Who is who to whom: the context tables' patients and contacts for
    // every partition, each partition's own users' identities in turn.
    let relations = Relations::build_for(&data, &config.names, std::iter::empty());
    let mut everyone = Everyone { features, population, relations, book };
    let mut found = Found::default();
    match elsewhere {
        Some(remote) => {
            let done = remote.detect_all(&plan, &everyone.features, &firsts, &|k| parts.unstash(k))?;
            if done.len() != plan.len() {
                return Err(Error::Cluster(format!("{} pass-4 results for {} partitions", done.len(), plan.len())));
            }
            // Merged in plan order, as the local pass merges.
            done.into_iter().for_each(|f| found.add(f));
        }
        None => {
            let mut first = 0usize;
            let forward: Vec<usize> = (0..plan.len()).collect();
            each_partition(&plan, &forward, parts, progress.stage("pass 4/4"), held.take(), |k, events| {
                data.events = events;
                let n = data.events.len();
                let kinds = parts.unstash(k)?;
                found.add(everyone.detect_in(&data, kinds, config, first, partitioned, kept_days[k].take()));
                first += n;
                Ok(std::mem::take(&mut data.events))
            })?;
        }
    }
    let (evidence, kinds, detection) = found.finish();
    let (data, _) = data.with_events(evidence);
    timings("detect");
    let Everyone { features, population, mut relations, book } = everyone;
    // Scoring asks about the users of findings only.
    let flagged: std::collections::BTreeSet<Code> =
        detection.findings.iter().chain(&detection.downgraded).map(|f| f.user).collect();
    relations.set_users(&data, &config.names, flagged);
    Ok(Analysed {
        data,
        explained: Explanations::with_totals(kinds, totals).with_roles(book),
        features,
        detection,
        population,
        relations,
        partitions: plan.len(),
    })
}

/// Every event's explanation, from passes 1 and 2 on one partition of
/// every user (what `investigate` reads: it lists accesses one by one,
/// where detect keeps only the evidence of its findings).
pub struct ExplainedRun {
    /// The context tables and the events.
    pub data: Ingested<Partition>,
    /// One explanation per event, with every user's role class.
    pub explained: Explanations,
    /// Every user's features, with the peer groups when they were asked for.
    pub features: Option<UserFeatures>,
}

/// Passes 1 and 2 (and 3 with `peers`) on `data` as one partition, exactly
/// as [`analyse`] runs them on a run held in memory, keeping every event's
/// explanation.
pub fn explain_every_event(data: Ingested<Partition>, config: &Config, peers: bool) -> ExplainedRun {
    let book = RoleBook::from_titles(data.roster.as_ref(), &config.explain.titles);
    let (direct, spans) = span(&data, config, &book);
    let spanning = spans.finish(&data, book, config);
    let (kinds, Measures { users, .. }) = measure(&data, direct, &spanning, config);
    let book = spanning.book;
    let features = peers.then(|| features::finish(users, &data, &book, &config.peers));
    ExplainedRun { data, explained: Explanations::new(kinds).with_roles(book), features }
}

/// What spans users, from one or more partitions (pass 1): added up with
/// [`Spans::add`] (the partitions' users are distinct), in partition order.
#[derive(Default)]
pub struct Spans {
    /// Each partition's care-explained visits, merged by [`Spans::finish`].
    visits: Vec<CareVisits>,
    /// Each partition's charting (unlisted visits), merged by [`Spans::finish`].
    charting: Vec<Charting>,
    /// Distinct users of each department per patient.
    coverage: Coverage,
    /// First use of each device and department, and what appears at all.
    population: Population,
    /// Classes learned from the work of users whose title says nothing.
    learned: Vec<(Code, RoleClass)>,
}

impl Spans {
    /// The parts (what a cluster's result codec writes): each partition's
    /// care visits and charting, the department coverage, the population,
    /// the classes learned.
    #[allow(clippy::type_complexity)]
    pub fn parts(&self) -> (&[CareVisits], &[Charting], &Coverage, &Population, &[(Code, RoleClass)]) {
        (&self.visits, &self.charting, &self.coverage, &self.population, &self.learned)
    }

    /// Spans from their [`Spans::parts`].
    pub fn from_parts(
        visits: Vec<CareVisits>,
        charting: Vec<Charting>,
        coverage: Coverage,
        population: Population,
        learned: Vec<(Code, RoleClass)>,
    ) -> Spans {
        Spans { visits, charting, coverage, population, learned }
    }

    /// Adds another partition's (of other users, later in the plan).
    pub fn add(&mut self, other: Spans) {
        self.visits.extend(other.visits);
        self.charting.extend(other.charting);
        self.coverage.add(other.coverage);
        self.population.add(other.population);
        self.learned.extend(other.learned);
    }

    /// The merged spans, with the classes learned and the care teams
    /// learned from everybody's visits. `data` gives the dictionaries.
    pub fn finish<E>(self, data: &Ingested<E>, mut book: RoleBook, config: &Config) -> Spanning {
        let n_patients = data.dict.patients.len();
        book.learn(self.learned);
        let visits = CareVisits::merge(self.visits, n_patients);
        let teams = CareTeams::learn(&visits, data.dict.users.len(), &config.explain);
        let charting = Charting::merge(self.charting, n_patients);
        Spanning { visits, teams, charting, coverage: self.coverage, population: self.population, book }
    }
}

/// What spans users, merged across every partition (what passes 2 and 4
/// need from the others).
pub struct Spanning {
    visits: CareVisits,
    teams: CareTeams,
    charting: Charting,
    coverage: Coverage,
    population: Population,
    book: RoleBook,
}

/// Pass 1 on a partition: its direct explanations (classes from titles in
/// `book`) and what it tells about every user.
pub fn span(data: &Ingested<Partition>, config: &Config, book: &RoleBook) -> (Vec<Explanation>, Spans) {
    let n_patients = data.dict.patients.len();
    // One after the other, each parallel within: run side by side (with
    // `rayon::join`), their large vectors came from the worker threads'
    // malloc arenas, which do not reuse what ingest freed on this thread,
    // and the peak resident memory of a run grew by 8%.
    let (direct, learned) = explain_direct(data, &config.explain, book);
    let visits = CareVisits::collect(&data.events, &direct, n_patients);
    let charting = Charting::collect(data);
    let coverage = Coverage::of(data);
    let population = Population::of(&data.events, &data.dict);
    (direct, Spans { visits: vec![visits], charting: vec![charting], coverage, population, learned })
}

/// Users' features and the count of each explanation, from one or more
/// partitions (pass 2): concatenated in partition order with
/// [`Measures::add`].
#[derive(Default)]
pub struct Measures {
    /// Each user's features, in user-code order.
    users: Vec<(Code, UserStats)>,
    /// Count of each explanation kind.
    totals: [u64; Explanation::KINDS],
}

impl Measures {
    /// The parts (what a cluster's result codec writes): each user's
    /// features in user-code order, and the count of each explanation.
    pub fn parts(&self) -> (&[(Code, UserStats)], &[u64; Explanation::KINDS]) {
        (&self.users, &self.totals)
    }

    /// Measures from their [`Measures::parts`].
    pub fn from_parts(users: Vec<(Code, UserStats)>, totals: [u64; Explanation::KINDS]) -> Measures {
        Measures { users, totals }
    }

    /// Drops every user's daily series (`busiest` stays): what a
    /// partitioned run keeps of pass 2 (the series are computed again in
    /// pass 4).
    pub fn forget_days(&mut self) {
        self.users.iter_mut().for_each(|(_, s)| s.days = Vec::new());
    }

    /// Takes every user's daily series out (`busiest` stays), leaving
    /// what [`Measures::forget_days`] leaves.
    pub fn take_days(&mut self) -> Vec<(Code, Vec<DayStats>)> {
        self.users.iter_mut().map(|(u, s)| (*u, std::mem::take(&mut s.days))).collect()
    }

    /// Adds another partition's (of later users).
    pub fn add(&mut self, other: Measures) {
        // The first partition's table is taken as it is (a run in memory
        // has one), the others appended: no second copy of a table of every
        // user.
        if self.users.is_empty() && self.users.capacity() < other.users.len() {
            self.users = other.users;
        } else {
            self.users.extend(other.users);
        }
        for (t, n) in self.totals.iter_mut().zip(other.totals) {
            *t += n;
        }
    }
}

/// Pass 2 on a partition: its `direct` explanations completed by the care
/// teams, and its users' features.
pub fn measure(
    data: &Ingested<Partition>,
    mut direct: Vec<Explanation>,
    spanning: &Spanning,
    config: &Config,
) -> (Vec<Explanation>, Measures) {
    spanning.teams.apply(&data.events, &spanning.visits, &config.explain, &mut direct);
    spanning.charting.apply(data, &config.explain, &spanning.book, &mut direct);
    let explained = Explanations::new(direct).with_roles(spanning.book.clone());
    let users = features::user_stats(data, &explained, &config.hours, &spanning.coverage);
    let totals = explained.totals();
    (explained.kind, Measures { users, totals })
}

/// What every partition's rules read of all users.
pub struct Everyone {
    /// Every user's features and peer groups.
    features: UserFeatures,
    /// Device and department first use over every event.
    population: Population,
    /// Who is who to whom.
    relations: Relations,
    /// Every user's role class.
    book: RoleBook,
}

impl Everyone {
    /// What pass 4 reads on a cluster's executor: every user's `features`
    /// (from the driver), the population and role book of the merged
    /// spans (`spanning`, learned there from the driver's merged pass-1
    /// spans), and who is who to whom from the context tables of `data`,
    /// as the driver builds them.
    pub fn from_spanning<E>(
        features: UserFeatures,
        spanning: &Spanning,
        data: &Ingested<E>,
        config: &Config,
    ) -> Everyone {
        Everyone {
            features,
            population: spanning.population.clone(),
            relations: Relations::build_for(data, &config.names, std::iter::empty()),
            book: spanning.book.clone(),
        }
    }

    /// Pass 4 on the partition `data` holds, whose first event is the
    /// run's `first`-th, with its explanations `kinds`: its users'
    /// identities looked up, the rules run. In a `partitioned` run its
    /// users' daily series are put back for the rules and dropped after:
    /// `kept`, as pass 2 computed them (taken with [`Measures::take_days`]),
    /// else computed again from the events.
    pub fn detect_in(
        &mut self,
        data: &Ingested<Partition>,
        kinds: Vec<Explanation>,
        config: &Config,
        first: usize,
        partitioned: bool,
        kept: Option<Vec<(Code, Vec<DayStats>)>>,
    ) -> Found {
        self.relations.set_users(data, &config.names, data.events.users.clone());
        let put_back = match kept {
            Some(days) => {
                self.features.put_days(days);
                true
            }
            None if partitioned => {
                self.features.restore_days(data, &kinds);
                true
            }
            None => false,
        };
        let found = detect_partition(data, kinds, self, config, first);
        if put_back {
            self.features.forget_days(data.events.users.clone());
        }
        found
    }
}

/// Bytes a partition's daily series take.
fn days_bytes(days: &[(Code, Vec<DayStats>)]) -> usize {
    days.iter().map(|(_, d)| std::mem::size_of::<(Code, Vec<DayStats>)>() + std::mem::size_of_val(&d[..])).sum()
}

/// Pass 4 on a partition whose first event is the run's `first`-th: the
/// rules on its users, and the evidence their findings need.
pub fn detect_partition(
    data: &Ingested<Partition>,
    kinds: Vec<Explanation>,
    everyone: &Everyone,
    config: &Config,
    first: usize,
) -> Found {
    let explained = Explanations::new(kinds).with_roles(everyone.book.clone());
    let input = DetectInput {
        data,
        explained: &explained,
        features: &everyone.features,
        config,
        relations: &everyone.relations,
        patient_groups: &OnceLock::new(),
        population: &everyone.population,
        scope: Scope::of(&data.events),
    };
    let mut detection = detect(&input);
    let kept = Kept::of(&data.events, &explained.kind, &detection, first);
    for f in detection.findings.iter_mut().chain(detection.downgraded.iter_mut()) {
        f.events.iter_mut().for_each(|i| *i += first);
    }
    Found { detection, kept }
}

/// Findings and their evidence, from one or more partitions (pass 4):
/// merged in partition order with [`Found::add`].
#[derive(Default)]
pub struct Found {
    /// Findings, with indices into the whole run.
    detection: Detection,
    /// The events they need.
    kept: Kept,
}

impl Found {
    /// The parts (what a cluster's result codec writes): the findings,
    /// with indices into the whole run, and the kept evidence (each
    /// event's index in the run, the events, their explanations).
    pub fn parts(&self) -> (&Detection, &[usize], &[Events], &[Explanation]) {
        (&self.detection, &self.kept.index, &self.kept.events, &self.kept.kinds)
    }

    /// Findings and evidence from their [`Found::parts`].
    pub fn from_parts(detection: Detection, index: Vec<usize>, events: Events, kinds: Vec<Explanation>) -> Found {
        Found { detection, kept: Kept { index, events: vec![events], kinds } }
    }

    /// Adds another partition's (of later users).
    pub fn add(&mut self, other: Found) {
        let (into, part) = (&mut self.detection, other.detection);
        if into.order.is_empty() {
            into.order = part.order;
            into.weights = part.weights;
            into.skipped = part.skipped;
        }
        for (rule, n) in part.per_rule {
            *into.per_rule.entry(rule).or_insert(0) += n;
        }
        into.findings.extend(part.findings);
        into.downgraded.extend(part.downgraded);
        self.kept.add(other.kept);
    }

    /// The kept evidence, its explanations, and the findings, rule by rule
    /// as a run over all users lists them, with indices into the evidence.
    pub fn finish(self) -> (Evidence, Vec<Explanation>, Detection) {
        let Found { mut detection, kept } = self;
        // Each rule's findings are in user order, and the partitions are too.
        let order = detection.order.clone();
        let position = |f: &Finding| order.iter().position(|r| *r == f.rule).unwrap_or(usize::MAX);
        detection.findings.sort_by_key(|f| position(f));
        detection.downgraded.sort_by_key(|f| position(f));
        let (evidence, kinds) = kept.finish();
        for f in detection.findings.iter_mut().chain(detection.downgraded.iter_mut()) {
            for i in f.events.iter_mut() {
                *i = evidence.position(*i).expect("every finding's evidence is kept");
            }
        }
        (evidence, kinds, detection)
    }
}

/// Runs `each` on the partitions of `plan` in the order `order` gives,
/// reading the next one on another thread while one is worked on. `each`
/// hands its partition back; the last one is returned (with its index) for
/// the next pass to start with. `held`, a partition the previous pass ended
/// with, is used instead of reading it when it is the first in `order`
/// (else dropped).
fn each_partition(
    plan: &[Range<Code>],
    order: &[usize],
    parts: &dyn Partitions,
    bar: StageBar,
    held: Option<(usize, Partition)>,
    mut each: impl FnMut(usize, Partition) -> Result<Partition, Error>,
) -> Result<Option<(usize, Partition)>, Error> {
    std::thread::scope(|s| {
        let load = |k: usize| {
            let users = plan[k].clone();
            s.spawn(move || parts.load(users))
        };
        let mut ready = match (held, order.first()) {
            (Some((j, events)), Some(&k)) if j == k => Some(events),
            _ => None,
        };
        let mut next = match (&ready, order.first()) {
            (None, Some(&k)) => Some(load(k)),
            _ => None,
        };
        let mut last = None;
        for (i, &k) in order.iter().enumerate() {
            let events = match ready.take() {
                Some(events) => events,
                None => {
                    let loading = next.take().expect("a load is in flight");
                    loading.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))?
                }
            };
            next = order.get(i + 1).map(|&k| load(k));
            let n = events.len() as u64;
            let back = each(k, events)?;
            bar.inc(n);
            if i + 1 == order.len() {
                last = Some((k, back));
            } else {
                parts.recycle(back);
            }
        }
        bar.finish();
        Ok(last)
    })
}

/// The events kept from partitions: every finding's evidence, and each
/// user's other accesses to the patients of their findings (the report's
/// timelines draw them).
#[derive(Default)]
struct Kept {
    index: Vec<usize>,
    events: Vec<Events>,
    kinds: Vec<Explanation>,
}

impl Kept {
    /// What `found` needs of a partition whose first event is the run's
    /// `first`-th.
    fn of(events: &Events, kind: &[Explanation], found: &Detection, first: usize) -> Kept {
        let mut wanted: Vec<usize> = Vec::new();
        let mut patients: crate::model::FxHashMap<Code, FxHashSet<Code>> = Default::default();
        for f in found.findings.iter().chain(&found.downgraded) {
            wanted.extend(&f.events);
            if !f.downgraded {
                let of_user = patients.entry(f.user).or_default();
                of_user.extend(f.events.iter().map(|&i| events.patient[i]).filter(|&p| p != NONE));
            }
        }
        for (user, range) in events.user_ranges() {
            if let Some(set) = patients.get(&user) {
                wanted.extend(range.filter(|&i| set.contains(&events.patient[i])));
            }
        }
        wanted.sort_unstable();
        wanted.dedup();
        Kept {
            kinds: wanted.iter().map(|&i| kind[i]).collect(),
            events: vec![events.gather(&wanted)],
            index: wanted.iter().map(|&i| i + first).collect(),
        }
    }

    /// Adds a later partition's.
    fn add(&mut self, other: Kept) {
        self.index.extend(other.index);
        self.events.extend(other.events);
        self.kinds.extend(other.kinds);
    }

    /// The kept events in run order, and their explanations.
    fn finish(self) -> (Evidence, Vec<Explanation>) {
        let mut all = Events::default();
        all.reserve(self.index.len());
        for e in self.events {
            all.append(e);
        }
        (Evidence::new(all, self.index), self.kinds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_fixture::World;

    /// A run's events cut into one partition per user, held in memory.
    struct PerUser {
        whole: Partition,
        stash: Mutex<Vec<Vec<Explanation>>>,
        /// [`Partitions::kept_days_bytes`].
        days_bytes: usize,
    }

    impl Partitions for PerUser {
        fn plan(&self) -> Vec<Range<Code>> {
            (self.whole.users.start..self.whole.users.end).map(|u| u..u + 1).collect()
        }

        fn load(&self, users: Range<Code>) -> Result<Partition, Error> {
            let idx: Vec<usize> =
                self.whole.user_ranges().into_iter().filter(|(u, _)| users.contains(u)).flat_map(|(_, r)| r).collect();
            Ok(Partition::new(users, self.whole.gather(&idx)))
        }

        fn stash(&self, part: usize, kinds: Vec<Explanation>) -> Result<(), Error> {
            let mut stash = self.stash.lock().expect("stash");
            if stash.len() <= part {
                stash.resize(part + 1, Vec::new());
            }
            stash[part] = kinds;
            Ok(())
        }

        fn unstash(&self, part: usize) -> Result<Vec<Explanation>, Error> {
            Ok(std::mem::take(&mut self.stash.lock().expect("stash")[part]))
        }

        fn kept_days_bytes(&self) -> usize {
            self.days_bytes
        }
    }

    /// A consult service ("cons") charting on the MED unit's patients (a
    /// care team with "med", which explains its view of a later patient),
    /// a MED nurse, a registrar opening her relative's record at night, and
    /// a workstation the nurse uses after the registrar did: findings and
    /// explanations that need what spans users.
    fn hospital() -> World {
        let mut w = World::new();
        w.user("med").department("MED");
        w.user("cons").department("CONS");
        w.user("rn").department("MED").role("nurse");
        w.user("reg").department("REG").name("Maria", "Lopez").address("12 Oak Street Apt 4B");
        for i in 0..8 {
            let p = format!("P{i}");
            w.patient(&p);
            w.encounter(&p, "MED", "2026-11-01 08:00:00", Some("2026-11-03 08:00:00"), Some("med"));
            w.access_from("2026-11-02 09:00:00", "med", &p, "view", "WS-1", "10.0.0.1");
            w.access_from("2026-11-02 10:00:00", "cons", &p, "create", "WS-2", "10.0.0.2");
            w.access_from("2026-11-02 11:00:00", "rn", &p, "view", "WS-3", "10.0.0.3");
        }
        w.patient("NEW");
        w.encounter("NEW", "MED", "2026-11-20 08:00:00", None, Some("med"));
        w.access_from("2026-11-20 09:00:00", "med", "NEW", "view", "WS-1", "10.0.0.1");
        w.access_from("2026-11-21 11:00:00", "cons", "NEW", "view", "WS-2", "10.0.0.2");
        w.patient("REL").name("Jose", "Lopez").address("12 OAK ST #4b");
        w.access_from("2026-11-26 23:10:00", "reg", "REL", "view", "WS-9", "10.0.9.9");
        w.access_from("2026-11-26 23:12:00", "reg", "REL", "print", "WS-9", "10.0.9.9");
        w.access_from("2026-11-27 23:20:00", "rn", "P3", "export", "WS-9", "10.0.9.9");
        w
    }

    fn run(w: &World, per_user: bool) -> Analysed {
        run_keeping(w, per_user, KEPT_DAYS_BYTES)
    }

    /// [`run`], a run of one partition per user keeping at most
    /// `days_bytes` of daily series from pass 2 to pass 4.
    fn run_keeping(w: &World, per_user: bool, days_bytes: usize) -> Analysed {
        let (data, whole) = w.build().with_events(());
        let progress = Progress::hidden();
        if per_user {
            let parts = PerUser { whole, stash: Mutex::new(Vec::new()), days_bytes };
            analyse(data, &parts, &w.config, &progress, &mut |_| {}).expect("analysed")
        } else {
            analyse(data, &Resident::new(whole), &w.config, &progress, &mut |_| {}).expect("analysed")
        }
    }

    /// Each user's features without the daily series (a partitioned run
    /// keeps it only while the user's partition is worked on; `busiest`
    /// stays).
    fn without_days(features: &UserFeatures) -> Vec<(Code, UserStats)> {
        let mut users = features.users.clone();
        for (_, s) in &mut users {
            s.days = Vec::new();
        }
        users
    }

    #[test]
    fn one_partition_per_user_gives_what_one_partition_of_everyone_gives() {
        let w = hospital();
        let (one, split) = (run(&w, false), run(&w, true));
        assert_eq!(one.partitions, 1);
        assert_eq!(split.partitions, 4);
        assert!(!one.detection.findings.is_empty(), "the hospital raises findings");
        assert!(one.detection.findings.iter().any(|f| f.rule == "family"), "{:?}", one.detection.findings);
        assert_eq!(one.detection.findings, split.detection.findings);
        assert_eq!(one.detection.downgraded, split.detection.downgraded);
        assert_eq!(one.detection.per_rule, split.detection.per_rule);
        assert_eq!(one.data.events.run_index(), split.data.events.run_index());
        assert_eq!(one.explained.kind, split.explained.kind);
        assert_eq!(one.explained.totals(), split.explained.totals());
        assert!(one.features.users.iter().all(|(_, s)| !s.days.is_empty()), "in memory, the series stay");
        assert!(split.features.users.iter().all(|(_, s)| s.days.is_empty()), "partitioned, they go");
        assert_eq!(without_days(&one.features), without_days(&split.features));
        assert_eq!(one.population.workstation_first, split.population.workstation_first);
        // The care team explains cons's view of NEW through med's care in
        // both: a pass-1 result of another partition reached pass 2.
        let group = Explanation::ALL.iter().position(|k| *k == Explanation::CareTeamGroup);
        assert!(group.is_some_and(|g| split.explained.totals()[g] > 0), "{:?}", split.explained.totals());
    }

    /// A registrar exporting a few records a day for two weeks, then a
    /// hundred in one evening: a rule on the daily series
    /// (`bulk_extraction`) fires in pass 4.
    fn exporter() -> World {
        let mut w = hospital();
        for i in 0..100 {
            w.patient(&format!("X{i}"));
        }
        for day in 1..15 {
            for i in 0..2 {
                let p = format!("X{}", (day * 2 + i) % 100);
                w.access(&format!("2026-11-{day:02} 10:0{i}:00"), "reg", &p, "export");
            }
        }
        for i in 0..100 {
            w.access(&format!("2026-11-20 2{}:{:02}:00", i / 60, i % 60), "reg", &format!("X{i}"), "export");
        }
        w
    }

    #[test]
    fn daily_series_kept_from_pass_2_give_what_series_computed_again_give() {
        let w = exporter();
        let (kept, again) = (run_keeping(&w, true, KEPT_DAYS_BYTES), run_keeping(&w, true, 0));
        assert!(
            kept.detection.findings.iter().any(|f| f.rule == "bulk_extraction"),
            "a rule on the daily series fires: {:?}",
            kept.detection.findings.iter().map(|f| f.rule).collect::<Vec<_>>()
        );
        assert_eq!(kept.detection.findings, again.detection.findings);
        assert_eq!(kept.detection.downgraded, again.detection.downgraded);
        assert_eq!(kept.detection.per_rule, again.detection.per_rule);
        assert_eq!(kept.data.events.run_index(), again.data.events.run_index());
        // Both drop the series once a partition's rules have run.
        assert!(kept.features.users.iter().all(|(_, s)| s.days.is_empty()));
        assert_eq!(without_days(&kept.features), without_days(&again.features));
        // And both are what one partition of everyone gives.
        let one = run(&w, false);
        assert_eq!(one.detection.findings, kept.detection.findings);
    }

    #[test]
    fn the_evidence_is_what_the_findings_index_in_run_order() {
        let w = hospital();
        let all = w.build();
        let run = run(&w, true);
        let kept = &run.data.events;
        assert!(kept.len() < all.events.len(), "only evidence is kept");
        for f in &run.detection.findings {
            for &i in &f.events {
                let whole = kept.run_index()[i];
                assert_eq!(kept.ts[i], all.events.ts[whole]);
                assert_eq!(kept.user[i], f.user);
                assert_eq!(all.events.user[whole], f.user);
            }
        }
        assert!(kept.run_index().windows(2).all(|p| p[0] < p[1]));
    }
}
