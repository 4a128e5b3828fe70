//! The one place that chains the stages:
//! `ingest -> explain -> features -> detect -> score -> output`.

use std::path::PathBuf;
use std::time::Instant;

use crate::config::Config;
use crate::detect::relations::Relations;
use crate::detect::{detect, DetectInput};
use crate::error::Error;
use crate::output::{write_outputs, Pseudonymizer, RunContext, RunOutputs, Summary};
use crate::progress::Progress;
use crate::score::{window, WindowSpec};
use crate::state::{self, StateDir};
use crate::time::ZoneCache;
use crate::time::{date_from_days, MICROS_PER_DAY};
use crate::{explain, features, ingest, score};

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
/// days of this run's own (new) events. `None` when the run brought no
/// events, so that nothing old is alerted on again.
fn new_days(data: &ingest::Ingested) -> Option<WindowSpec> {
    let ev = &data.events;
    let mut zone = ZoneCache::new(data.tz);
    let new = (0..ev.len()).filter(|&i| ev.source_file[i] != ingest::HISTORY_FILE).map(|i| ev.ts[i]);
    let (lo, hi) = new.fold((None, None), |(lo, hi): (Option<i64>, Option<i64>), t| {
        (Some(lo.map_or(t, |l| l.min(t))), Some(hi.map_or(t, |h| h.max(t))))
    });
    let day = |zone: &mut ZoneCache, t: i64| date_from_days(zone.to_local(t).div_euclid(MICROS_PER_DAY) as i32);
    Some(WindowSpec::Dates { from: Some(day(&mut zone, lo?)), to: Some(day(&mut zone, hi?)) })
}

/// Runs the whole pipeline and writes the outputs. Returns the summary that
/// was written to `summary.json`.
pub fn run_detect(req: &DetectRequest, progress: &Progress) -> Result<Summary, Error> {
    let mut timings = Vec::new();
    let mut clock = Instant::now();
    let mut lap = |name: &'static str, timings: &mut Vec<(&'static str, f64)>| {
        timings.push((name, clock.elapsed().as_secs_f64()));
        clock = Instant::now();
    };
    let config = &req.config;

    let state = match &req.state {
        None => None,
        Some(s) => {
            let dir = StateDir::open(&s.dir, config.timezone)?;
            let keys = state::file_keys(&req.input)?;
            let held = dir.load(&keys)?;
            lap("state_load", &mut timings);
            Some((dir, keys, held, s.retain_days))
        }
    };
    let history = state.as_ref().map(|(_, _, held, _)| held as &dyn ingest::History);
    let data = ingest::read_bundle_with_history(&req.input, config.timezone, progress, history)?;
    let reviewed = req.reviewed.as_deref().map(ingest::read_reviewed).transpose()?;
    lap("ingest", &mut timings);
    let explained = explain::explain(&data, &config.explain);
    lap("explain", &mut timings);
    let features = features::compute(&data, &explained, &config.hours, &config.peers);
    lap("features", &mut timings);
    let relations = Relations::build(&data);
    let patient_groups = std::sync::OnceLock::new();
    let input = DetectInput {
        data: &data,
        explained: &explained,
        features: &features,
        config,
        relations: &relations,
        patient_groups: &patient_groups,
    };
    let detection = detect(&input);
    lap("detect", &mut timings);
    // An incremental run alerts on its own days unless told otherwise; with
    // no new events it alerts on nothing.
    let spec = match (&state, req.window) {
        (Some(_), WindowSpec::All) => new_days(&data),
        (_, spec) => Some(spec),
    };
    let window = spec.and_then(|spec| window::resolve(spec, &data.events.ts, &mut ZoneCache::new(data.tz)));
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
    lap("score", &mut timings);
    let plan = match &state {
        Some((dir, keys, held, retain)) => {
            let staged = dir.stage(&data, held, keys, *retain)?;
            lap("state_write", &mut timings);
            Some(staged)
        }
        None => None,
    };
    let context = RunContext {
        window,
        reviewed,
        feedback,
        pseudonymizer: req.pseudonymizer.clone(),
        state: plan.as_ref().map(|p| p.summary.clone()),
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
