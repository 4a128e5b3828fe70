//! The output files: contract columns, formats, safety, atomicity.

use polars::prelude::*;

use crate::env::Bundle;

const ACCESS: &str = "timestamp,user_id,patient_id,action
2026-11-28 21:40:00,n1,P1,view
2026-11-28 22:05:00,x1,P2,view
";

const CONTRACT_ALERT_COLUMNS: [&str; 11] = [
    "alert_id",
    "rank",
    "score",
    "kind",
    "user_id",
    "patient_id",
    "rules",
    "first_access",
    "last_access",
    "access_count",
    "explanation",
];

#[test]
fn every_output_file_is_written_with_the_contract_columns_first() {
    let b = Bundle::hospital();
    b.file("access_log.csv", ACCESS);
    let run = b.detect(&[]);
    run.assert_ok();
    for f in [
        "alerts.csv",
        "alerts.jsonl",
        "alerts.parquet",
        "cases.csv",
        "summary.json",
        "rejected_rows.csv",
        "user_features.parquet",
    ] {
        assert!(run.out.join(f).exists(), "{f} missing");
    }
    let header = run.read("alerts.csv").lines().next().unwrap().to_string();
    let cols: Vec<&str> = header.split(',').collect();
    assert_eq!(&cols[..11], &CONTRACT_ALERT_COLUMNS);
    assert_eq!(run.read("rejected_rows.csv").trim(), "table,file,line,column,reason,raw");

    // alerts.jsonl has the same rows as alerts.csv.
    let jsonl: Vec<serde_json::Value> =
        run.read("alerts.jsonl").lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let csv = run.csv("alerts.csv");
    assert_eq!(jsonl.len(), csv.len());
    for (j, c) in jsonl.iter().zip(&csv) {
        assert_eq!(j["alert_id"], c["alert_id"].as_str());
        assert_eq!(j["explanation"], c["explanation"].as_str());
    }
    // No staging leftovers.
    let names: Vec<String> =
        std::fs::read_dir(&run.out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    // The folder's lock file (held while a run writes) is the one hidden file.
    assert!(!names.iter().any(|n| n.starts_with('.') && n != ehrwatch::fs::OUTPUT_LOCK), "{names:?}");
}

#[test]
fn parquet_outputs_use_plain_strings_and_utc_microseconds() {
    let b = Bundle::hospital();
    b.file("access_log.csv", ACCESS);
    let run = b.detect(&["--timezone", "America/Chicago"]);
    run.assert_ok();
    let df = LazyFrame::scan_parquet(
        PlRefPath::new(run.out.join("alerts.parquet").to_str().unwrap()),
        ScanArgsParquet::default(),
    )
    .unwrap()
    .collect()
    .unwrap();
    assert_eq!(df.height(), 2);
    assert_eq!(
        df.column("first_access").unwrap().dtype(),
        &DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
    );
    assert_eq!(df.column("user_id").unwrap().dtype(), &DataType::String);
    // 21:40 Chicago (CST) is 03:40 UTC the next day.
    let n1 = df.column("user_id").unwrap().str().unwrap().iter().position(|u| u == Some("n1")).unwrap();
    let first = df.column("first_access").unwrap().cast(&DataType::Int64).unwrap();
    let micros = first.i64().unwrap().get(n1).unwrap();
    assert_eq!(chrono::DateTime::from_timestamp_micros(micros).unwrap().to_rfc3339(), "2026-11-29T03:40:00+00:00");

    let uf = LazyFrame::scan_parquet(
        PlRefPath::new(run.out.join("user_features.parquet").to_str().unwrap()),
        ScanArgsParquet::default(),
    )
    .unwrap()
    .collect()
    .unwrap();
    assert_eq!(uf.height(), 2);
    for col in [
        "user_id",
        "distinct_patients",
        "unexplained_share",
        "unexplained_patients",
        "team_only_patients",
        "usual_hours",
        "alerts",
    ] {
        assert!(uf.column(col).is_ok(), "{col} missing");
    }
}

#[test]
fn spreadsheet_formulas_in_ids_are_neutralised() {
    let b = Bundle::new();
    b.file("users.csv", "user_id,patient_id\n=HYPERLINK(\"http://x\"),@P1\n");
    b.file(
        "access_log.csv",
        "timestamp,user_id,patient_id,action\n2026-11-28 10:00:00,=HYPERLINK(\"http://x\"),@P1,view\n",
    );
    let run = b.detect(&[]);
    run.assert_ok();
    let alerts = run.csv("alerts.csv");
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0]["user_id"], "'=HYPERLINK(\"http://x\")");
    assert_eq!(alerts[0]["patient_id"], "'@P1");
    assert_eq!(run.csv("cases.csv")[0]["user_id"], "'=HYPERLINK(\"http://x\")");
    // JSON and Parquet carry the raw values.
    assert!(run.read("alerts.jsonl").contains("\"user_id\":\"=HYPERLINK"));
}

#[cfg(unix)]
#[test]
fn outputs_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let b = Bundle::hospital();
    b.file("access_log.csv", ACCESS);
    let run = b.detect(&[]);
    run.assert_ok();
    let dir_mode = std::fs::metadata(&run.out).unwrap().permissions().mode() & 0o777;
    assert_eq!(dir_mode, 0o700);
    for e in std::fs::read_dir(&run.out).unwrap() {
        let e = e.unwrap();
        let mode = e.metadata().unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{:?}", e.file_name());
    }
}

#[test]
fn a_failed_run_leaves_the_previous_outputs_intact() {
    let b = Bundle::hospital();
    b.file("access_log.csv", ACCESS);
    let good = b.detect(&[]);
    good.assert_ok();
    let before = good.read("alerts.csv");
    // The next night's file lacks a required column.
    b.file("access_log.csv", "timestamp,user_id,action\n2026-11-29 10:00:00,n1,view\n");
    let bad = b.detect(&[]);
    assert_eq!(bad.code(), 1);
    assert_eq!(before, bad.read("alerts.csv"));
}
