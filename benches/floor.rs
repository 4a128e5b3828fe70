//! The floor: what a bare polars scan and per-user group-by cost on the same
//! access log, on the same machine, in the same run. `detect` is reported as
//! a ratio of this (benches/README.md).
//!
//! Usage: `cargo bench --bench floor -- BUNDLE` where BUNDLE holds
//! `access_log/*.parquet` or `access_log.parquet`. Prints one JSON line.

use std::path::Path;
use std::time::Instant;

use polars::prelude::*;

fn main() {
    let Some(bundle) = std::env::args().skip(1).find(|a| !a.starts_with("--")) else {
        eprintln!("usage: cargo bench --bench floor -- BUNDLE");
        std::process::exit(1);
    };
    let dir = Path::new(&bundle);
    let pattern = if dir.join("access_log").is_dir() {
        dir.join("access_log").join("*.parquet")
    } else {
        dir.join("access_log.parquet")
    };
    let started = Instant::now();
    let lf = LazyFrame::scan_parquet(PlRefPath::new(pattern.to_string_lossy().as_ref()), ScanArgsParquet::default())
        .expect("scan");
    let out = lf
        .group_by([col("user_id")])
        .agg([len().alias("events"), col("patient_id").n_unique().alias("distinct_patients")])
        .collect_with_engine(Engine::Streaming)
        .expect("collect")
        .unwrap_single();
    let seconds = started.elapsed().as_secs_f64();
    let events: u64 = out
        .column("events")
        .expect("events")
        .cast(&DataType::UInt64)
        .expect("cast")
        .u64()
        .expect("u64")
        .sum()
        .unwrap_or(0);
    println!("{{\"floor_seconds\":{seconds:.3},\"users\":{},\"events\":{events}}}", out.height());
}
