//! A run too large to hold in memory: the access log is spilled to disk by
//! user (`ingest::read_bundle_spilled`), then processed one partition of
//! users at a time, in three passes over the partitions.
//!
//! 1. Direct explanations, to learn what spans users: the care visits the
//!    care-team groups are learned from, which users of each department
//!    opened each patient, when each device was first used.
//! 2. The care-team explanations added to the direct ones, and each user's
//!    features; then the peer groups, across all users.
//! 3. The detectors, on the partition's users with everybody's features;
//!    the evidence of the findings (and, for the report's timelines, the
//!    users' other accesses to the same patients) is kept, the rest of the
//!    partition dropped.
//!
//! Explanations are stashed on disk between passes (one byte an event), and
//! the next partition is read on another thread while one is worked on.
//!
//! Partitions are contiguous ranges of user codes, and events are sorted by
//! user, so an event's index in the whole run is its partition's first index
//! plus its index within the partition: findings carry the indices a run
//! over all events at once gives, and scoring and the outputs run on the
//! kept evidence exactly as they would on all events. A test checks that
//! both runs write the same alerts, cases and features.

use std::ops::Range;
use std::sync::OnceLock;

use crate::config::Config;
use crate::detect::relations::Relations;
use crate::detect::{detect, DetectInput, Detection, Finding, Population, Scope};
use crate::error::Error;
use crate::explain::{explain_direct, CareTeams, CareVisits, Explanation, Explanations};
use crate::features::{self, Coverage, UserFeatures};
use crate::ingest::Ingested;
use crate::model::{Code, Events, FxHashSet, NONE};
use crate::progress::{Progress, StageBar};
use crate::roles::RoleBook;

/// Where a partitioned run's events come from.
pub trait Partitions: Sync {
    /// Contiguous user-code ranges covering every user, in order.
    fn plan(&self) -> Vec<Range<Code>>;
    /// The events of the users in `users`, sorted by (user, time, input order).
    fn load(&self, users: Range<Code>) -> Result<Events, Error>;
    /// Keeps the explanations of the `part`-th partition's events until
    /// [`Partitions::unstash`], so later passes need not explain again.
    fn stash(&self, part: usize, kinds: &[Explanation]) -> Result<(), Error>;
    /// The explanations last stashed for the `part`-th partition.
    fn unstash(&self, part: usize) -> Result<Vec<Explanation>, Error>;
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

/// What a partitioned run hands to scoring and the outputs.
pub struct Analysed {
    /// The explanations of `data.events` (the kept evidence), with the
    /// whole run's totals.
    pub explained: Explanations,
    /// Every user's features.
    pub features: UserFeatures,
    /// Every partition's findings, with indices into `data.events`.
    pub detection: Detection,
    /// What the detectors saw of the whole run.
    pub population: Population,
    /// Who is who to whom (from the context tables).
    pub relations: Relations,
    /// How many partitions there were.
    pub partitions: usize,
}

/// Runs explain, features and detect over `parts` a partition at a time.
/// `data` holds the context tables; its `events` are replaced by the kept
/// evidence, which the returned findings index.
pub fn analyse(
    data: &mut Ingested,
    parts: &dyn Partitions,
    config: &Config,
    progress: &Progress,
    timings: &mut dyn FnMut(&'static str),
) -> Result<Analysed, Error> {
    let mut plan = parts.plan();
    if plan.is_empty() {
        // No user: one empty partition, so the detectors still report what
        // they skipped, as a run in memory does.
        plan.push(0..0);
    }
    let n_patients = data.dict.patients.len();

    // Pass 1: what spans users.
    let mut visits = Vec::with_capacity(plan.len());
    let mut coverage = Coverage::default();
    let mut population = Population::default();
    let mut book = RoleBook::from_titles(data.roster.as_ref(), &config.explain.titles);
    let mut learned = Vec::new();
    each_partition(&plan, parts, progress.stage("pass 1/3"), |k, events| {
        data.events = events;
        let data = &*data;
        // Coverage and the device population do not depend on the
        // explanations: they are counted alongside.
        let (((direct, found), care), (covered, devices)) = rayon::join(
            || {
                let (direct, learned) = explain_direct(data, &config.explain, &book);
                let care = CareVisits::collect(&data.events, &direct, n_patients);
                ((direct, learned), care)
            },
            || (Coverage::of(data), Population::of(&data.events, &data.dict)),
        );
        visits.push(care);
        learned.extend(found);
        coverage.add(covered);
        population.add(devices);
        parts.stash(k, &direct)
    })?;
    book.learn(learned);
    let visits = CareVisits::merge(visits, n_patients);
    let teams = CareTeams::learn(&visits, data.dict.users.len(), &config.explain);
    timings("explain");

    // Pass 2: every user's features, then the peer groups across them.
    let mut users = Vec::new();
    let mut totals = [0u64; Explanation::KINDS];
    each_partition(&plan, parts, progress.stage("pass 2/3"), |k, events| {
        data.events = events;
        let mut kind = parts.unstash(k)?;
        teams.apply(&data.events, &visits, &config.explain, &mut kind);
        parts.stash(k, &kind)?;
        let explained = Explanations::new(kind).with_roles(book.clone());
        for (t, n) in totals.iter_mut().zip(explained.totals()) {
            *t += n;
        }
        users.extend(features::user_stats(data, &explained, &config.hours, &coverage));
        Ok(())
    })?;
    data.events = Events::default();
    let features = features::finish(users, data, &book, &config.peers);
    timings("features");

    // Pass 3: the detectors, partition by partition; the evidence is kept.
    let relations = Relations::build(data, &config.names);
    let mut detection = Detection::default();
    let mut kept = Evidence::default();
    let mut base = 0usize;
    each_partition(&plan, parts, progress.stage("pass 3/3"), |k, events| {
        data.events = events;
        let range = &plan[k];
        let explained = Explanations::new(parts.unstash(k)?).with_roles(book.clone());
        let input = DetectInput {
            data,
            explained: &explained,
            features: &features,
            config,
            relations: &relations,
            patient_groups: &OnceLock::new(),
            population: &population,
            scope: Scope { from: range.start, to: range.end },
        };
        let mut found = detect(&input);
        kept.keep(&data.events, &explained.kind, &found, base);
        for f in found.findings.iter_mut().chain(found.downgraded.iter_mut()) {
            f.events.iter_mut().for_each(|i| *i += base);
        }
        merge_detection(&mut detection, found);
        base += data.events.len();
        Ok(())
    })?;
    // Rule by rule, as a run over all users lists them (each rule's
    // findings are in user order, and the partitions are too).
    let position = |f: &Finding| detection.order.iter().position(|r| *r == f.rule).unwrap_or(usize::MAX);
    detection.findings.sort_by_key(|f| position(f));
    detection.downgraded.sort_by_key(|f| position(f));
    let (events, kinds, index) = kept.finish();
    for f in detection.findings.iter_mut().chain(detection.downgraded.iter_mut()) {
        for i in f.events.iter_mut() {
            *i = index.binary_search(i).expect("every finding's evidence is kept");
        }
    }
    data.events = events;
    timings("detect");
    Ok(Analysed {
        explained: Explanations::with_totals(kinds, totals).with_roles(book),
        features,
        detection,
        population,
        relations,
        partitions: plan.len(),
    })
}

/// Calls `each` with every partition's events in order, the next
/// partition loading on another thread meanwhile (so two partitions' events
/// are in memory at once, and reading overlaps the work). `bar` counts the
/// events done.
fn each_partition(
    plan: &[Range<Code>],
    parts: &dyn Partitions,
    bar: StageBar,
    mut each: impl FnMut(usize, Events) -> Result<(), Error>,
) -> Result<(), Error> {
    std::thread::scope(|s| {
        let load = |k: usize| {
            let users = plan[k].clone();
            s.spawn(move || parts.load(users))
        };
        let mut next = Some(load(0));
        for k in 0..plan.len() {
            let loading = next.take().expect("a load is in flight");
            let events = loading.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
            next = (k + 1 < plan.len()).then(|| load(k + 1));
            let n = events.len() as u64;
            each(k, events)?;
            bar.inc(n);
        }
        bar.finish();
        Ok(())
    })
}

/// Adds one partition's detection to the run's.
fn merge_detection(into: &mut Detection, part: Detection) {
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
}

/// The events kept from each partition: every finding's evidence, and each
/// user's other accesses to the patients of their findings (the report's
/// timelines draw them).
#[derive(Default)]
struct Evidence {
    index: Vec<usize>,
    events: Vec<Events>,
    kinds: Vec<Explanation>,
}

impl Evidence {
    /// Keeps what `found` needs of a partition whose first event is the
    /// run's `base`-th.
    fn keep(&mut self, events: &Events, kind: &[Explanation], found: &Detection, base: usize) {
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
        self.kinds.extend(wanted.iter().map(|&i| kind[i]));
        self.events.push(events.gather(&wanted));
        self.index.extend(wanted.iter().map(|&i| i + base));
    }

    /// The kept events in run order, their explanations, and each one's
    /// index in the whole run.
    fn finish(self) -> (Events, Vec<Explanation>, Vec<usize>) {
        let mut all = Events::default();
        all.reserve(self.index.len());
        for e in self.events {
            all.append(e);
        }
        (all, self.kinds, self.index)
    }
}
