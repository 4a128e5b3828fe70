//! A log larger than `--partition-events` is spilled to disk and processed a
//! partition of users at a time: the outputs must be the ones a run holding
//! every event in memory writes, byte for byte, from Parquet and CSV, with
//! and without a window; and nothing of the spill may be left behind.

use std::path::Path;

use ehrwatch::simulate::{simulate, BundleFormat, SimulateParams};

use crate::env::binary;

const COMPARED: [&str; 6] =
    ["alerts.csv", "alerts.jsonl", "cases.csv", "user_features.parquet", "report.html", "rejected_rows.csv"];

fn world(dir: &Path, format: BundleFormat) -> std::path::PathBuf {
    let bundle = dir.join(format!("{format:?}"));
    let mut p = SimulateParams::new(&bundle);
    p.users = 260;
    p.patients = 2500;
    p.days = 10;
    p.seed = 3;
    p.incidents = 14;
    p.format = format;
    simulate(&p).expect("simulate");
    bundle
}

fn detect(bundle: &Path, out: &Path, extra: &[&str]) -> serde_json::Value {
    let run = binary()
        .arg("detect")
        .arg("--input")
        .arg(bundle)
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .args(extra)
        .output()
        .expect("run");
    assert!(run.status.success(), "detect failed: {}", String::from_utf8_lossy(&run.stderr));
    serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).expect("summary")).expect("json")
}

fn same_outputs(bundle: &Path, dir: &Path, extra: &[&str]) {
    same_outputs_when_partitioned(bundle, dir, 40_000, 4, extra);
}

/// A run with `--partition-events parts_events` is partitioned in at least
/// `min_partitions` partitions and writes what a run in memory writes.
fn same_outputs_when_partitioned(bundle: &Path, dir: &Path, parts_events: u64, min_partitions: u64, extra: &[&str]) {
    let whole = dir.join("whole");
    let parts = dir.join("parts");
    let a = detect(bundle, &whole, &[&["--partition-events", "0"], extra].concat());
    let n = parts_events.to_string();
    let b = detect(bundle, &parts, &[&["--partition-events", n.as_str()], extra].concat());
    let partitions = b["partitions"].as_u64().expect("a partitioned run says how many partitions");
    assert!(partitions >= min_partitions, "{partitions} partitions");
    assert!(a.get("partitions").is_none(), "a run in memory has no partitions key");
    for name in COMPARED {
        let (x, y) = (std::fs::read(whole.join(name)).expect(name), std::fs::read(parts.join(name)).expect(name));
        assert!(x == y, "{name} differs between the partitioned and the in-memory run");
    }
    for key in [
        "events_read",
        "events_scored",
        "events_rejected",
        "patient_accesses",
        "explained_fraction",
        "explained_by",
        "alerts",
        "cases",
        "alerts_per_rule",
        "downgraded_per_rule",
        "skipped_detectors",
        "window",
    ] {
        assert_eq!(a[key], b[key], "summary.json {key}");
    }
    assert!(a["alerts"].as_u64().unwrap() > 0, "the world raises alerts");
    // The spill is gone; only the outputs remain.
    let left: Vec<String> = std::fs::read_dir(&parts)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".ehrwatch") && n != ehrwatch::fs::OUTPUT_LOCK)
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn a_partitioned_run_of_parquet_files_writes_what_a_run_in_memory_writes() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = world(dir.path(), BundleFormat::Parquet);
    same_outputs(&bundle, &dir.path().join("all"), &[]);
    same_outputs(&bundle, &dir.path().join("last"), &["--last", "3"]);
    let key = dir.path().join("key");
    std::fs::write(&key, "a key of at least sixteen bytes\n").unwrap();
    same_outputs(&bundle, &dir.path().join("pseudonymized"), &["--pseudonymize-key", key.to_str().unwrap()]);
}

/// Users cost memory of their own (2 M users with one event each took
/// 3.65 GB in memory): a log whose events alone would be held in memory
/// is partitioned when the roster's users tip it over the limit, and
/// writes what a run in memory writes.
#[test]
fn many_users_with_few_events_take_the_partitioned_path_and_write_what_a_run_in_memory_writes() {
    use ehrwatch::ingest::{estimate_events, estimate_users, needs_partitions};
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("many-users");
    crate::env::parquet_world(&bundle, 1200, 3000, 2, 5, 10);
    let (events, users) = (estimate_events(&bundle).unwrap(), estimate_users(&bundle).unwrap());
    assert!(users >= 1000, "{users} users in the roster");
    // The events alone fit: only the users' weight (25 events each) makes
    // the run partitioned, and cut in partitions.
    let limit = events + 1;
    assert!(!needs_partitions(events, 0, limit) && needs_partitions(events, users, limit));
    same_outputs_when_partitioned(&bundle, &dir.path().join("cmp"), limit, 2, &[]);
}

#[test]
fn a_partitioned_run_of_a_csv_file_writes_what_a_run_in_memory_writes() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = world(dir.path(), BundleFormat::Csv);
    same_outputs(&bundle, &dir.path().join("all"), &[]);
}

/// One file, however large, is never held whole by a partitioned run: a
/// Parquet file is read in row ranges, a gzip file (which only a
/// sequential read can split) is spilled as it is read. The outputs are
/// still those of a run in memory.
#[test]
fn a_partitioned_run_of_one_large_parquet_or_gzip_file_writes_what_a_run_in_memory_writes() {
    use polars::prelude::*;
    let dir = tempfile::tempdir().unwrap();

    // The daily Parquet files as one file of many row groups.
    let bundle = world(dir.path(), BundleFormat::Parquet);
    let daily = bundle.join("access_log");
    let pattern = daily.join("*.parquet").to_string_lossy().into_owned();
    let mut df = LazyFrame::scan_parquet(PlRefPath::new(pattern.as_str()), ScanArgsParquet::default())
        .unwrap()
        .collect()
        .unwrap();
    assert!(df.height() > 200_000, "larger than several of the run's pieces: {}", df.height());
    let file = std::fs::File::create(bundle.join("access_log.parquet")).unwrap();
    ParquetWriter::new(file).with_row_group_size(Some(20_000)).finish(&mut df).unwrap();
    std::fs::remove_dir_all(&daily).unwrap();
    same_outputs(&bundle, &dir.path().join("one-parquet"), &[]);

    // The CSV log gzipped.
    let bundle = world(dir.path(), BundleFormat::Csv);
    let plain = bundle.join("access_log.csv");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &std::fs::read(&plain).unwrap()).unwrap();
    std::fs::write(bundle.join("access_log.csv.gz"), gz.finish().unwrap()).unwrap();
    std::fs::remove_file(&plain).unwrap();
    same_outputs(&bundle, &dir.path().join("one-gzip"), &[]);
}

#[test]
fn a_partitioned_run_whose_rows_are_all_rejected_reports_what_a_run_in_memory_reports() {
    let b = crate::env::Bundle::hospital();
    let mut log = String::from("event_id,timestamp,user_id,patient_id,action\n");
    for i in 0..20 {
        log.push_str(&format!("{i},not a time,n1,P1,view\n{i}b,2026-11-28 09:00:00,,P1,view\n"));
    }
    b.file("access_log.csv", &log);
    // Every row rejected on purpose: the threshold would stop the run.
    let whole = b.detect_into(&b.out().join("whole"), &["--partition-events", "0", "--max-reject-share", "1"]);
    let parts = b.detect_into(&b.out().join("parts"), &["--partition-events", "1", "--max-reject-share", "1"]);
    whole.assert_ok();
    parts.assert_ok();
    let (a, s) = (whole.summary(), parts.summary());
    assert_eq!(s["partitions"], 1, "spilled, with no user: one empty partition");
    assert_eq!(s["events_rejected"], 40);
    for key in ["events_read", "events_scored", "events_rejected", "alerts", "skipped_detectors", "alerts_per_rule"] {
        assert_eq!(a[key], s[key], "summary.json {key}");
    }
    assert_eq!(whole.read("rejected_rows.csv"), parts.read("rejected_rows.csv"));
}

#[test]
fn what_a_killed_run_left_in_the_output_folder_is_removed_by_the_next_run_and_a_live_runs_is_not() {
    let b = crate::env::Bundle::hospital();
    b.file("access_log.csv", "event_id,timestamp,user_id,patient_id,action\n1,2026-11-28 09:00:00,n1,P1,view\n");
    let out = b.out();
    // A run with a process id that cannot exist, killed mid-spill; and one
    // of a live process (this test's own).
    let dead = out.join(".ehrwatch-spill-4294967295");
    let live = out.join(format!(".ehrwatch-spill-{}", std::process::id()));
    let stale_staging = out.join(".ehrwatch-staging-4294967295");
    for d in [&dead, &live, &stale_staging] {
        std::fs::create_dir_all(d.join("events")).unwrap();
        std::fs::write(d.join("events").join("block-000000.spill"), "patient data").unwrap();
    }
    b.detect(&["--partition-events", "0"]).assert_ok();
    assert!(!stale_staging.exists(), "a killed run's staging folder is removed");
    assert!(!dead.exists(), "a killed run's spill is removed, by any run into the folder");
    assert!(live.exists(), "a running process's spill is left alone");
}
