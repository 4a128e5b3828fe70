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
use crate::time::ZoneCache;
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

    let data = ingest::read_bundle(&req.input, config.timezone, progress)?;
    let reviewed = req.reviewed.as_deref().map(ingest::read_reviewed).transpose()?;
    lap("ingest", &mut timings);
    let explained = explain::explain(&data, &config.explain);
    lap("explain", &mut timings);
    let features = features::compute(&data, &explained, &config.hours, &config.peers);
    lap("features", &mut timings);
    let relations = Relations::build(&data);
    let input = DetectInput { data: &data, explained: &explained, features: &features, config, relations: &relations };
    let detection = detect(&input);
    lap("detect", &mut timings);
    let window = window::resolve(req.window, &data.events.ts, &mut ZoneCache::new(data.tz));
    let findings = match &window {
        Some(w) => window::restrict(detection.findings.clone(), w, &data.events.ts),
        None => detection.findings.clone(),
    };
    let scored = score::score(findings, &input, &detection.weights, &detection.order, &config.score);
    let aliases = match &req.pseudonymizer {
        Some(p) => p.aliases(scored.alerts.iter().map(|a| a.id.as_str()), &data.dict),
        None => Default::default(),
    };
    let reviews = reviewed.as_ref().map_or(&[][..], |r| &r.rows[..]);
    let (scored, feedback) = score::apply_feedback(scored, reviews, &aliases, &input, &config.score);
    let context = RunContext { window, reviewed, feedback, pseudonymizer: req.pseudonymizer.clone() };
    lap("score", &mut timings);
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
    Ok(summary)
}
