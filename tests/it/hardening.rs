//! Hostile and broken inputs (issue 17): one bad row must not erase
//! history, leak a name, or crash the nightly run.

use polars::prelude::*;

use crate::env::{binary, Bundle, Run};

/// Two nights of ordinary accesses.
const NIGHTS: &str = "timestamp,user_id,patient_id,action
2026-11-27 09:00:00,d1,P2,view
2026-11-27 21:40:00,n1,P1,view
2026-11-28 09:00:00,d1,P2,view
2026-11-28 21:40:00,n1,P1,view
";

/// A configuration that never stops a run for its share of rejected rows
/// (these tests reject most of a tiny bundle on purpose).
fn lenient(b: &Bundle) -> String {
    let path = b.path("../lenient.toml");
    std::fs::write(&path, "[input]\nmax_reject_share = 1.0\n").unwrap();
    path.to_string_lossy().into_owned()
}

fn rejected_reasons(run: &Run) -> Vec<String> {
    run.csv("rejected_rows.csv").into_iter().map(|r| r["reason"].clone()).collect()
}

#[test]
fn timestamps_outside_the_plausible_range_are_rejected_and_do_not_move_the_window() {
    let b = Bundle::hospital();
    let text = format!("{NIGHTS}9999-12-31 23:00:00,x1,P4,view\n1850-01-01 08:00:00,x1,P4,view\n");
    b.file("access_log.csv", &text);
    let run = b.detect(&["--last", "1d", "--config", &lenient(&b)]);
    run.assert_ok();
    let s = run.summary();
    assert_eq!(s["events_rejected"], 2, "{s}");
    assert_eq!(s["window"]["from"], "2026-11-28");
    assert_eq!(s["window"]["to"], "2026-11-28");
    let reasons = rejected_reasons(&run);
    assert!(reasons.iter().any(|r| r.contains("input.max_days_ahead")), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("input.min_year")), "{reasons:?}");
    assert!(reasons.iter().all(|r| !r.contains("9999") && !r.contains("1850")), "{reasons:?}");

    // The range is configurable: a later min_year rejects the 2026 rows too.
    std::fs::write(b.path("../cfg.toml"), "[input]\nmin_year = 2027\nmax_reject_share = 1.0\n").unwrap();
    let run = b.detect(&["--config", b.path("../cfg.toml").to_str().unwrap()]);
    run.assert_ok();
    assert_eq!(run.summary()["events_rejected"], 6);
}

#[test]
fn one_row_from_a_wrong_clock_does_not_expire_the_state() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    let night = |name: &str, rows: &str| {
        let b = Bundle::hospital();
        b.file("access_log.csv", &format!("timestamp,user_id,patient_id,action\n{rows}"));
        let run = b
            .detect_into(&tmp.path().join(name), &["-q", "--config", &lenient(&b), "--state", state.to_str().unwrap()]);
        run.assert_ok();
        run.summary()
    };
    night("o1", "2026-11-27 09:00:00,d1,P2,view\n2026-11-27 21:40:00,n1,P1,view\n");
    let s = night("o2", "2026-11-28 09:00:00,d1,P2,view\n9999-12-31 23:00:00,x1,P4,view\n");
    assert_eq!(s["events_rejected"], 1, "{s}");
    assert_eq!(s["state"]["events_expired"], 0, "{s}");
    assert_eq!(s["state"]["events_kept"], 3, "{s}");
    assert_eq!(s["state"]["last_day"], "2026-11-28");
    assert_eq!(s["window"]["to"], "2026-11-28");
}

/// A users.parquet whose hire_date (date32) is 2e9 days, and an access log
/// whose millisecond timestamps overflow microseconds.
#[test]
fn extreme_parquet_dates_and_timestamps_are_rejected_not_wrapped_or_panicking() {
    let b = Bundle::new();
    b.file("patients.csv", crate::env::PATIENTS);
    let mut users = DataFrame::new(
        2,
        vec![
            Column::new("user_id".into(), ["n1", "d1"]),
            Column::new("role".into(), ["nurse", "physician"]),
            Column::new("department_id".into(), ["ICU", "ED"]),
            Series::new("hire_date".into(), [2_000_000_000i32, 18_000]).cast(&DataType::Date).unwrap().into(),
        ],
    )
    .unwrap();
    ParquetWriter::new(std::fs::File::create(b.path("users.parquet")).unwrap()).finish(&mut users).unwrap();
    let ok_ms = 1_795_858_800_000i64; // 2026-11-28T09:00:00Z
    let mut log = DataFrame::new(
        3,
        vec![
            Series::new("timestamp".into(), [ok_ms, i64::MAX / 2, 253_402_300_800_000])
                .into_datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC))
                .into(),
            Column::new("user_id".into(), ["d1", "d1", "n1"]),
            Column::new("patient_id".into(), ["P2", "P2", "P1"]),
            Column::new("action".into(), ["view", "view", "view"]),
        ],
    )
    .unwrap();
    ParquetWriter::new(std::fs::File::create(b.path("access_log.parquet")).unwrap()).finish(&mut log).unwrap();
    let run = b.detect(&["--config", &lenient(&b)]);
    assert_eq!(run.code(), 0, "{}", run.stderr());
    let s = run.summary();
    assert_eq!(s["events_read"], 3);
    assert_eq!(s["events_rejected"], 2, "overflowing and year-10000 timestamps: {s}");
    let rows = run.csv("rejected_rows.csv");
    assert!(rows.iter().any(|r| r["table"] == "users" && r["column"] == "hire_date"), "{rows:?}");
    assert!(rows.iter().any(|r| r["table"] == "access_log" && r["line"] == "2"), "{rows:?}");
}

/// A planted patient row, as it would sit on the first line of an export
/// written without its header.
const PLANTED: [&str; 5] = ["PZZ9041", "Zebulon", "Quartermaine", "1961-07-23", "77 Wisteria Lane"];

#[test]
fn a_file_without_a_header_is_refused_without_printing_its_first_row() {
    let row = PLANTED.join(",");
    let b = Bundle::hospital();
    b.file("access_log.csv", &format!("{row}\n{row}\n"));
    let run = b.detect(&[]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let err = run.stderr();
    assert!(err.contains("access_log.csv") && err.contains("\"timestamp\"") && err.contains("5 columns"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    for value in PLANTED {
        assert!(!err.contains(value), "{value} printed: {err}");
    }
    // The importers: epic and openemr read delimited files the same way.
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("log.csv");
    std::fs::write(&input, format!("{row}\n{row}\n")).unwrap();
    for format in ["epic", "openemr"] {
        let out = binary()
            .args(["import", "--from", format])
            .arg(&input)
            .arg("--out")
            .arg(tmp.path().join(format))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{format}: {err}");
        assert!(err.contains("log.csv") && err.contains("5 columns"), "{format}: {err}");
        for value in PLANTED {
            assert!(!err.contains(value), "{format}: {value} printed: {err}");
        }
    }
}

/// An access log large enough that a run lasts well beyond the start of a
/// second process (tens of milliseconds).
fn busy_bundle() -> Bundle {
    let b = Bundle::hospital();
    let mut text = String::from("timestamp,user_id,patient_id,action\n");
    for i in 0..40_000u32 {
        let (user, patient) = [("d1", "P2"), ("n1", "P1"), ("x1", "P4"), ("b1", "P3")][i as usize % 4];
        text.push_str(&format!("2026-11-{:02} {:02}:{:02}:00,{user},{patient},view\n", 20 + i % 9, i % 24, i % 60));
    }
    b.file("access_log.csv", &text);
    b
}

/// Two runs started at once, 50 times over: into one output folder, or
/// (every other time) into two with one state folder. Exactly one proceeds;
/// the other stops at once with exit code 4 and one line.
#[test]
fn two_runs_at_once_on_one_folder_exactly_one_proceeds() {
    let b = busy_bundle();
    let tmp = tempfile::tempdir().unwrap();
    for round in 0..50 {
        let with_state = round % 2 == 1;
        let start = |k: usize| {
            let mut cmd = binary();
            cmd.args(["detect", "-q", "--input"]).arg(b.input()).arg("--out");
            if with_state {
                cmd.arg(tmp.path().join(format!("out-{round}-{k}"))).arg("--state").arg(tmp.path().join("state"));
            } else {
                cmd.arg(tmp.path().join("out"));
            }
            cmd.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap()
        };
        let (first, second) = (start(0), start(1));
        let outputs = [first.wait_with_output().unwrap(), second.wait_with_output().unwrap()];
        let codes: Vec<Option<i32>> = outputs.iter().map(|o| o.status.code()).collect();
        let errors: Vec<String> = outputs.iter().map(|o| String::from_utf8_lossy(&o.stderr).into_owned()).collect();
        assert_eq!(codes.iter().filter(|c| **c == Some(0)).count(), 1, "round {round}: {codes:?} {errors:?}");
        assert_eq!(codes.iter().filter(|c| **c == Some(4)).count(), 1, "round {round}: {codes:?} {errors:?}");
        let refused = &errors[codes.iter().position(|c| *c == Some(4)).unwrap()];
        assert_eq!(refused.trim().lines().count(), 1, "{refused}");
        assert!(refused.contains("in use by another ehrwatch run"), "{refused}");
    }
    assert!(tmp.path().join("out/summary.json").exists());
}

/// With --pseudonymize-key, no planted id, name or free text appears in any
/// output file: not in rejected_rows.csv's reasons, not as summary.json keys.
#[test]
fn a_pseudonymized_run_writes_no_planted_value_anywhere() {
    let b = Bundle::new();
    b.file(
        "users.csv",
        "user_id,first_name,last_name,role,department_id,hire_date,termination_date,patient_id
uzq77,Zebulon,Quartermaine,nurse,ICU,2020-01-01,,PZZ9041
d1,Ben,Okafor,physician,ED,2019-05-01,,
",
    )
    .file(
        "patients.csv",
        "patient_id,first_name,last_name,birth_date,deceased_date,vip,restricted
PZZ9041,Zebulon,Quartermaine,1961-07-23,,false,false
PYY1234,Xanthippe,Vandersloot,1970-01-02,,true,false
",
    )
    .file(
        "access_log.csv",
        "timestamp,user_id,patient_id,action,data_category,break_glass
2026-11-28 21:40:00,uzq77,PZZ9041,view,notes,false
2026-11-28 22:40:00,uzq77,PYY1234,view,notes,false
2026-11-28 23:00:00,uzq77,PYY1234,Xanthippe-peek,Vandersloot-file,false
Zebulon Quartermaine,uzq77,PZZ9041,view,notes,false
2026-11-28 23:10:00,uzq77,PZZ9041,view,notes,PYY1234
",
    );
    let key = b.path("../key");
    std::fs::write(&key, "0123456789abcdef0123456789abcdef").unwrap();
    let run = b.detect(&["--config", &lenient(&b), "--pseudonymize-key", key.to_str().unwrap()]);
    run.assert_ok();
    let s = run.summary();
    assert_eq!(s["events_rejected"], 2, "{s}");
    let others = s["other_actions"].as_object().unwrap();
    assert_eq!(others.values().map(|v| v.as_u64().unwrap()).sum::<u64>(), 1, "{s}");
    assert!(others.keys().all(|k| k.starts_with("V-")), "{s}");
    assert!(s["alerts"].as_u64().unwrap() > 0, "the run alerts: {s}");
    let planted = ["uzq77", "PZZ9041", "PYY1234", "Zebulon", "Quartermaine", "Xanthippe", "Vandersloot", "1961-07-23"];
    let mut checked = 0;
    for entry in std::fs::read_dir(&run.out).unwrap() {
        let path = entry.unwrap().path();
        if !path.is_file() {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&bytes).to_lowercase();
        for p in planted {
            assert!(!text.contains(&p.to_lowercase()), "{p} in {}", path.display());
        }
        checked += 1;
    }
    assert!(checked >= 8, "every output was read: {checked}");
    // Without the key, the reasons still say what was wrong, with the value.
    let plain = b.detect(&["--config", &lenient(&b)]);
    plain.assert_ok();
    assert!(rejected_reasons(&plain).iter().any(|r| r.contains("Zebulon Quartermaine")));
}

#[cfg(unix)]
#[test]
fn an_open_output_folder_is_tightened_and_an_open_key_file_is_warned_about() {
    use std::os::unix::fs::PermissionsExt;
    let b = Bundle::hospital();
    b.file("access_log.csv", NIGHTS);
    std::fs::create_dir(b.out()).unwrap();
    std::fs::set_permissions(b.out(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let key = b.path("../key");
    std::fs::write(&key, "0123456789abcdef0123456789abcdef").unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let run = b.detect(&["--pseudonymize-key", key.to_str().unwrap()]);
    run.assert_ok();
    assert_eq!(std::fs::metadata(b.out()).unwrap().permissions().mode() & 0o777, 0o700);
    let warnings: Vec<&str> = run
        .output
        .stderr
        .split(|&c| c == b'\n')
        .filter_map(|l| std::str::from_utf8(l).ok())
        .filter(|l| l.contains("warning"))
        .collect();
    assert_eq!(warnings.len(), 1, "{}", run.stderr());
    assert!(warnings[0].contains("readable by others") && warnings[0].contains("chmod 600"), "{}", warnings[0]);
    // An owner-only key: no warning.
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let run = b.detect(&["--pseudonymize-key", key.to_str().unwrap()]);
    run.assert_ok();
    assert!(!run.stderr().contains("warning"), "{}", run.stderr());
}

#[test]
fn a_table_with_too_many_rejected_rows_stops_the_run_in_one_line() {
    let b = Bundle::hospital();
    let mut text = String::from(NIGHTS);
    for i in 0..6 {
        text.push_str(&format!("2026-11-28 1{i}:00:00,d1,P2,view\n"));
    }
    text.push_str("2026-11-31 10:00:00,d1,P2,view\n"); // 1 of 11 rows: 9.1%
    b.file("access_log.csv", &text);
    let run = b.detect(&[]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let err = run.stderr();
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("access_log: 1 of 11 rows rejected (9.1%)") && err.contains("column timestamp"), "{err}");
    assert!(!run.out.join("summary.json").exists(), "nothing was written");
    // The share is a flag (and a configuration key).
    b.detect(&["--max-reject-share", "0.1"]).assert_ok();
    assert_eq!(b.detect(&["--max-reject-share", "1.5"]).code(), 1);
}

#[test]
fn a_repeated_column_or_a_parquet_column_of_the_wrong_type_is_a_clear_error() {
    let b = Bundle::hospital();
    b.file("access_log.csv", "timestamp,user_id,patient_id,action,USER_ID\n2026-11-28 09:00:00,d1,P2,view,n1\n");
    let run = b.detect(&[]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    assert!(run.stderr().contains("column \"user_id\" appears twice"), "{}", run.stderr());

    let b = Bundle::hospital();
    let mut log = DataFrame::new(
        1,
        vec![
            Column::new("timestamp".into(), ["2026-11-28 09:00:00"]),
            Column::new("user_id".into(), [4.5f64]),
            Column::new("patient_id".into(), ["P2"]),
            Column::new("action".into(), ["view"]),
        ],
    )
    .unwrap();
    ParquetWriter::new(std::fs::File::create(b.path("access_log.parquet")).unwrap()).finish(&mut log).unwrap();
    let run = b.detect(&[]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let err = run.stderr();
    assert!(err.contains("access_log.parquet") && err.contains("\"user_id\"") && err.contains("f64"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

/// Latin-1 text in a CSV is not decoded by guess: its row is rejected with
/// a reason naming the column, and counted.
#[test]
fn latin1_text_is_rejected_with_a_reason_never_silently() {
    let b = Bundle::hospital();
    let mut bytes = b"timestamp,user_id,patient_id,action,department_id\n".to_vec();
    for i in 0..30 {
        bytes.extend_from_slice(format!("2026-11-28 09:{i:02}:00,d1,P2,view,ED\n").as_bytes());
    }
    bytes.extend_from_slice(b"2026-11-28 10:00:00,d1,P2,view,Urgences-S\xe9n\xe9gal\n");
    std::fs::write(b.path("access_log.csv"), bytes).unwrap();
    let run = b.detect(&[]);
    run.assert_ok();
    assert_eq!(run.summary()["events_rejected"], 1);
    assert!(rejected_reasons(&run).iter().any(|r| r == "column department_id is not valid UTF-8"));
}

#[test]
fn a_corrected_re_export_replaces_its_night_and_a_fixed_name_feed_does_not() {
    let tmp = tempfile::tempdir().unwrap();
    let night = |state: &str, name: &str, rows: &str, out: &str| {
        let b = Bundle::hospital();
        b.file(name, &format!("timestamp,user_id,patient_id,action\n{rows}"));
        let state = tmp.path().join(state);
        let run = b.detect_into(&tmp.path().join(out), &["-q", "--state", state.to_str().unwrap()]);
        run.assert_ok();
        run.summary()
    };
    let first = "2026-11-28 09:00:00,d1,P2,view\n2026-11-28 21:40:00,n1,P1,view\n";
    night("s1", "access_log/2026-11-28.csv", first, "o1");
    let s = night("s1", "access_log/2026-11-28.csv", &format!("{first}2026-11-28 22:00:00,x1,P4,view\n"), "o2");
    assert_eq!(s["state"]["replaced_files"], serde_json::json!(["access_log/2026-11-28.csv"]), "{s}");
    assert_eq!(s["state"]["events_kept"], 3, "the corrected night replaces the first copy: {s}");

    // access_log.csv every night, other days: not a correction.
    night("s2", "access_log.csv", "2026-11-27 09:00:00,d1,P2,view\n2026-11-27 10:00:00,d1,P2,view\n", "o3");
    let s = night("s2", "access_log.csv", first, "o4");
    assert_eq!(s["state"]["replaced_files"], serde_json::json!([]), "{s}");
    assert_eq!(s["state"]["events_kept"], 4, "{s}");
}

#[cfg(unix)]
#[test]
fn the_same_bytes_twice_or_a_folder_loop_are_read_once() {
    let b = Bundle::hospital();
    b.file("access_log/2026-11-27.csv", NIGHTS);
    b.file("access_log/copy/2026-11-27.csv", NIGHTS);
    std::os::unix::fs::symlink(b.path("access_log"), b.path("access_log/copy/loop")).unwrap();
    std::os::unix::fs::symlink(b.path("access_log/2026-11-27.csv"), b.path("access_log/link.csv")).unwrap();
    let run = b.detect(&[]);
    run.assert_ok();
    let s = run.summary();
    assert_eq!(s["events_read"], 4, "{s}");
    assert_eq!(s["duplicate_files"], serde_json::json!(["access_log/copy/2026-11-27.csv"]), "{s}");
    assert!(run.stderr().contains("warning: 1 input files repeat an earlier file's bytes"), "{}", run.stderr());
}

/// Seeded random mixes of good and bad access-log rows: the run completes,
/// and every row read is scored or rejected (`events_read =
/// events_scored + events_rejected`).
#[test]
fn every_row_read_is_scored_or_rejected_for_random_mixes() {
    let bad = [
        "2026-13-01 08:00:00,d1,P2,view",
        "2026-11-28 08:00:00,,P2,view",
        "2026-11-28 08:00:00,d1,,view",
        "9999-12-31 08:00:00,d1,P2,view",
        "0000-01-01 00:00:00,d1,P2,view",
        "2026-11-28 08:00:00,d1,P2",
        "2026-11-28 08:00:00,d1,P2,view,extra",
        "\"2026-11-28 08:00:00\",d1,P2,\"print\"",
        "2026-11-28T08:00:00+25:00,d1,P2,view",
        "2026-11-28 08:00:00,d1,P2,Zebulon's peek",
    ];
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    for round in 0..8 {
        let b = Bundle::hospital();
        let mut text = String::from("timestamp,user_id,patient_id,action\n");
        for i in 0..(20 + next(60)) {
            if next(3) == 0 {
                text.push_str(bad[next(bad.len() as u64) as usize]);
            } else {
                let (u, p) = [("d1", "P2"), ("n1", "P1"), ("x1", "P4")][next(3) as usize];
                text.push_str(&format!("2026-11-{:02} {:02}:{:02}:00,{u},{p},view", 20 + next(9), next(24), i % 60));
            }
            text.push('\n');
        }
        b.file("access_log.csv", &text);
        let run = b.detect(&["--max-reject-share", "1"]);
        assert_eq!(run.code(), 0, "round {round}: {}", run.stderr());
        let s = run.summary();
        let n = |k: &str| s[k].as_u64().unwrap();
        assert_eq!(n("events_read"), n("events_scored") + n("events_rejected"), "round {round}: {s}");
        assert_eq!(n("events_read"), text.lines().count() as u64 - 1, "round {round}: every line is a row");
    }
}
