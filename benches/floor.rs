//! The floor: what a bare polars scan and per-user group-by cost on the same
//! access log, on the same machine, in the same run. `detect` is reported as
//! a ratio of this (benches/README.md).
//!
//! Usage: `cargo bench --bench floor -- BUNDLE [--contract]` where BUNDLE
//! holds `access_log/*.parquet` or `access_log.parquet`. Prints one JSON
//! line.
//!
//! The floor reads two columns (user_id, patient_id). `--contract` measures
//! a second floor that reads the nine columns detect reads and aggregates
//! each of them per user (distinct patients, workstations, IP addresses and
//! departments; the latest timestamp, action, category and break-the-glass
//! flag): the cost of just reading and hashing what the contract gives,
//! before any analysis.

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
    let contract = std::env::args().any(|a| a == "--contract");
    let mut aggs = vec![len().alias("events"), col("patient_id").n_unique().alias("distinct_patients")];
    if contract {
        let names = lf.clone().collect_schema().expect("schema");
        let has = |c: &str| names.get(c).is_some();
        for c in ["workstation_id", "ip_address", "department_id"].into_iter().filter(|c| has(c)) {
            aggs.push(col(c).n_unique().alias(c));
        }
        for c in ["timestamp", "action", "data_category", "break_glass"].into_iter().filter(|c| has(c)) {
            aggs.push(col(c).max().alias(c));
        }
    }
    let out = lf
        .group_by([col("user_id")])
        .agg(aggs)
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
    let which = if contract { "contract" } else { "floor" };
    println!("{{\"{which}_seconds\":{seconds:.3},\"users\":{},\"events\":{events}}}", out.height());
}
