//! Per-stage timings on a simulated hospital of about a million events,
//! each reported as a ratio of the floor (a bare polars scan and per-user
//! group-by of the same access log) measured in the same run. Median of
//! three runs per stage.
//!
//! Usage: `cargo bench --bench stages` (simulates into a temporary folder).

use std::time::Instant;

use ehrwatch::config::Config;
use ehrwatch::detect::relations::Relations;
use ehrwatch::detect::{detect, DetectInput};
use ehrwatch::progress::Progress;
use ehrwatch::simulate::{simulate, BundleFormat, SimulateParams};
use polars::prelude::*;

fn median_secs(mut f: impl FnMut()) -> f64 {
    let mut t: Vec<f64> = (0..3)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(|a, b| a.total_cmp(b));
    t[1]
}

fn main() {
    ehrwatch::allocator::tune();
    let dir = tempfile::tempdir().expect("tempdir");
    let bundle = dir.path().join("bundle");
    let mut p = SimulateParams::new(&bundle);
    p.users = 260;
    p.patients = 8000;
    p.days = 30;
    p.seed = 9;
    p.format = BundleFormat::Parquet;
    simulate(&p).expect("simulate");
    let config = Config::default();

    let pattern = bundle.join("access_log").join("*.parquet");
    let floor = median_secs(|| {
        let lf =
            LazyFrame::scan_parquet(PlRefPath::new(pattern.to_string_lossy().as_ref()), ScanArgsParquet::default())
                .expect("scan");
        let df = lf
            .group_by([col("user_id")])
            .agg([len(), col("patient_id").n_unique()])
            .collect_with_engine(Engine::Streaming)
            .expect("collect");
        std::hint::black_box(df);
    });

    let mut data = None;
    let ingest = median_secs(|| {
        data = Some(ehrwatch::ingest::read_bundle(&bundle, config.timezone, &Progress::hidden()).expect("read"))
    });
    // Explain, features and detect read the run as one partition of every
    // user, as a run in memory does; scoring reads every event as evidence.
    let data = data.expect("read").whole();
    let mut explained = None;
    let explain = median_secs(|| explained = Some(ehrwatch::explain::explain(&data, &config.explain)));
    let explained = explained.expect("explained");
    let mut features = None;
    let features_s =
        median_secs(|| features = Some(ehrwatch::features::compute(&data, &explained, &config.hours, &config.peers)));
    let features = features.expect("features");
    let relations = Relations::build(&data, &config.names);
    let population = ehrwatch::detect::Population::of(&data.events, &data.dict);
    let input = DetectInput {
        data: &data,
        explained: &explained,
        features: &features,
        config: &config,
        relations: &relations,
        patient_groups: &std::sync::OnceLock::new(),
        population: &population,
        scope: ehrwatch::detect::Scope::ALL,
    };
    let mut detection = None;
    let detect_s = median_secs(|| detection = Some(detect(&input)));
    let detection = detection.expect("detection");
    let (context, part) = data.with_events(());
    let data = context.with_events(ehrwatch::model::Evidence::every(part.into_events())).0;
    let input = DetectInput {
        data: &data,
        explained: &explained,
        features: &features,
        config: &config,
        relations: &relations,
        patient_groups: &std::sync::OnceLock::new(),
        population: &population,
        scope: ehrwatch::detect::Scope::ALL,
    };
    let score_s = median_secs(|| {
        std::hint::black_box(ehrwatch::score::score(
            detection.findings.clone(),
            &input,
            &detection.weights,
            &detection.order,
            &config.score,
        ));
    });
    println!("events: {}", data.events.len());
    println!("{:<10} {:>9} {:>8}", "stage", "seconds", "x floor");
    println!("{:<10} {:>9.3} {:>8.2}", "floor", floor, 1.0);
    for (name, s) in
        [("ingest", ingest), ("explain", explain), ("features", features_s), ("detect", detect_s), ("score", score_s)]
    {
        println!("{:<10} {:>9.3} {:>8.2}", name, s, s / floor);
    }
    let total = ingest + explain + features_s + detect_s + score_s;
    println!("{:<10} {:>9.3} {:>8.2}", "total", total, total / floor);
}
