//! Reading bundles: formats, layouts, timestamps, bad rows, missing pieces.

use polars::prelude::*;

use crate::env::Bundle;

const ACCESS: &str = "timestamp,user_id,patient_id,action,data_category,workstation_id,department_id
2026-11-28 09:00:00,d1,P2,view,notes,WS1,ED
2026-11-28 21:40:00,n1,P1,view,results,WS2,ICU
2026-11-28 22:00:00,x1,P2,view,notes,WS3,BILLING
2026-11-28 07:00:00,b1,,login,,WS3,BILLING
";

#[test]
fn a_valid_bundle_is_read_whole_and_counted() {
    let b = Bundle::hospital();
    b.file("access_log.csv", ACCESS);
    let run = b.detect(&[]);
    run.assert_ok();
    let s = run.summary();
    assert_eq!(s["contract_version"], 1);
    assert_eq!(s["events_read"], 4);
    assert_eq!(s["events_rejected"], 0);
    assert_eq!(s["events_scored"], 4);
    assert_eq!(s["patient_accesses"], 3);
    // d1 is the provider of P2's encounter; the other two are not explained.
    assert_eq!(s["explained_by"]["encounter_provider"], 1);
    assert_eq!(s["explained_by"]["unexplained"], 2);
    let files: Vec<&str> = s["input_files"].as_array().unwrap().iter().map(|f| f["table"].as_str().unwrap()).collect();
    assert_eq!(files, vec!["users", "patients", "encounters", "access_log"]);
    assert!(run.stdout().contains("4 events read, 0 rejected"));
}

/// Actions and categories written the way other systems write them
/// ("Printed", "Mental Health", "Lab Results") are read as the contract's
/// values and counted in summary.json's `aliased_values`, so a sensitive
/// section named another way is still a sensitive section; what no alias
/// names is still `other`, counted as before.
#[test]
fn other_spellings_of_actions_and_categories_are_read_and_reported() {
    let b = Bundle::hospital();
    b.file(
        "access_log.csv",
        "timestamp,user_id,patient_id,action,data_category
2026-11-28 09:00:00,x1,P2,Viewed,Mental Health
2026-11-28 09:01:00,x1,P2,view,Mental Health
2026-11-28 09:02:00,x1,P2,Printed,Lab Results
2026-11-28 09:03:00,x1,P2,view,tattoos
",
    );
    let run = b.detect(&[]);
    run.assert_ok();
    let s = run.summary();
    assert_eq!(s["events_scored"], 4);
    let aliased = &s["aliased_values"];
    assert_eq!(aliased["data_category: mental health = behavioral_health"], 2, "{aliased}");
    assert_eq!(aliased["data_category: lab results = results"], 1, "{aliased}");
    assert_eq!(aliased["action: viewed = view"], 1, "{aliased}");
    assert_eq!(aliased["action: printed = print"], 1, "{aliased}");
    assert_eq!(s["other_categories"]["tattoos"], 1);
    assert!(s["other_actions"].as_object().unwrap().is_empty(), "{}", s["other_actions"]);
    assert!(
        run.stdout().contains("5 action or data_category values read through an alias, 1 kept as other"),
        "{}",
        run.stdout()
    );
    // The behavioural-health reads are sensitive sections.
    let alerts = run.csv("alerts.csv");
    assert!(
        alerts.iter().any(|a| a["rules"].contains("restricted_access")
            && a["explanation"].contains("opened sensitive sections: behavioral health")),
        "{alerts:?}"
    );
}

/// A hospital's own spelling, configured in `[input.category_aliases]`,
/// makes its sensitive section one; without the table it is `other`.
#[test]
fn a_configured_category_alias_reads_the_hospitals_own_spelling() {
    let b = Bundle::hospital();
    b.file(
        "access_log.csv",
        "timestamp,user_id,patient_id,action,data_category
2026-11-28 09:00:00,x1,P2,view,BH Eval
",
    );
    let bare = b.detect(&[]);
    bare.assert_ok();
    assert_eq!(bare.summary()["other_categories"]["bh eval"], 1);
    let cfg = b.input().parent().unwrap().join("aliases.toml");
    std::fs::write(&cfg, "[input.category_aliases]\n\"bh-eval\" = \"behavioral_health\"\n").unwrap();
    let run = b.detect_into(&b.input().parent().unwrap().join("out2"), &["--config", cfg.to_str().unwrap()]);
    run.assert_ok();
    let s = run.summary();
    assert_eq!(s["aliased_values"]["data_category: bh eval = behavioral_health"], 1, "{s}");
    assert!(s["other_categories"].as_object().unwrap().is_empty());
    let alerts = run.csv("alerts.csv");
    assert!(
        alerts.iter().any(|a| a["explanation"].contains("opened sensitive sections: behavioral health")),
        "{alerts:?}"
    );
}

#[test]
fn bad_rows_are_quarantined_with_file_line_and_reason_and_the_rest_processed() {
    let b = Bundle::hospital();
    b.file(
        "access_log.csv",
        "timestamp,user_id,patient_id,action
2026-11-28 09:00:00,d1,P2,view
2026-13-01 08:00:00,d1,P2,view
2026-11-28 09:05:00,,P2,view
2026-11-28 09:06:00,d1,P2
2026-11-28 09:07:00,d1,P2,FROBNICATE
2026-11-28 09:08:00,d1,,view
2026-11-28 09:09:00,d1,P2,VIEW
",
    );
    let run = b.detect(&["--max-reject-share", "1"]);
    run.assert_ok();
    let s = run.summary();
    assert_eq!(s["events_read"], 7);
    assert_eq!(s["events_rejected"], 4);
    assert_eq!(s["events_scored"], 3, "the unknown action is kept as other");
    assert_eq!(
        s["events_read"].as_u64().unwrap(),
        s["events_scored"].as_u64().unwrap() + s["events_rejected"].as_u64().unwrap()
    );
    assert_eq!(s["other_actions"]["frobnicate"], 1);

    let rejected = run.csv("rejected_rows.csv");
    let lines: Vec<(&str, &str)> = rejected.iter().map(|r| (r["line"].as_str(), r["column"].as_str())).collect();
    assert_eq!(lines, vec![("3", "timestamp"), ("4", "user_id"), ("5", ""), ("7", "patient_id")]);
    assert!(rejected.iter().all(|r| r["table"] == "access_log" && r["file"] == "access_log.csv"));
    assert!(rejected[0]["reason"].contains("\"2026-13-01 08:00:00\"") && rejected[0]["reason"].contains("RFC 3339"));
    assert!(rejected[2]["reason"].contains("expected 4 fields"));
    assert!(rejected[3]["reason"].contains("a view needs the patient"));
    // Patient ids never reach the terminal, even when their rows are rejected.
    // (The run's temporary folder, whose random name the output names, is
    // taken out first: it could hold "P2".)
    let root = b.input().parent().unwrap().to_string_lossy().into_owned();
    assert!(!run.stdout().replace(&root, "").contains("P2") && !run.stderr().replace(&root, "").contains("P2"));
    assert!(run.stdout().contains("4 input rows rejected"));
}

#[test]
fn a_missing_required_column_is_a_clear_error_with_exit_code_1() {
    let b = Bundle::hospital();
    b.file("access_log.csv", "timestamp,user_id,action\n2026-11-28 09:00:00,d1,view\n");
    let run = b.detect(&[]);
    assert_eq!(run.code(), 1);
    let err = run.stderr();
    assert!(err.contains("access_log.csv") && err.contains("\"patient_id\""), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line, no stack trace: {err}");
    assert!(!run.out.join("alerts.csv").exists());
}

#[test]
fn a_missing_access_log_is_a_clear_error() {
    let b = Bundle::hospital();
    let run = b.detect(&[]);
    assert_eq!(run.code(), 1);
    assert!(run.stderr().contains("required table access_log is missing"), "{}", run.stderr());
}

#[test]
fn headers_match_case_insensitively_and_extra_columns_are_ignored() {
    let b = Bundle::new();
    b.file("access_log.csv", " TimeStamp ,USER_ID,Patient_Id,Action,Shoe_Size\n2026-11-28 09:00:00,d1,P2,view,44\n");
    b.detect(&[]).assert_ok();
}

#[test]
fn gzip_csv_is_read() {
    let b = Bundle::hospital();
    b.gz("access_log.csv.gz", ACCESS);
    let run = b.detect(&[]);
    run.assert_ok();
    assert_eq!(run.summary()["events_scored"], 4);
}

#[test]
fn naive_timestamps_are_hospital_local_and_offsets_are_honoured() {
    let b = Bundle::hospital();
    // The same instant three ways: naive Chicago time, UTC, and an offset.
    b.file(
        "access_log.csv",
        "timestamp,user_id,patient_id,action
2026-11-28 02:14:00,n1,P1,view
2026-11-28T08:14:00Z,n1,P1,view
2026-11-28T03:14:00-05:00,n1,P1,view
",
    );
    let run = b.detect(&["--timezone", "America/Chicago"]);
    run.assert_ok();
    let alerts = run.csv("alerts.csv");
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0]["first_access"], "2026-11-28T02:14:00-06:00");
    assert_eq!(alerts[0]["last_access"], "2026-11-28T02:14:00-06:00");
    assert!(alerts[0]["explanation"].contains("02:14"), "{}", alerts[0]["explanation"]);
    assert_eq!(run.summary()["timezone"], "America/Chicago");
}

#[test]
fn an_unknown_time_zone_is_a_usage_error() {
    let b = Bundle::hospital();
    b.file("access_log.csv", ACCESS);
    let run = b.detect(&["--timezone", "Mars/Olympus"]);
    assert_eq!(run.code(), 1);
    assert!(run.stderr().contains("Mars/Olympus"));
}

fn parquet_day(path: &std::path::Path, rows: &[(&str, &str, &str, &str)], tz_aware: bool) {
    let ts: Vec<i64> = rows
        .iter()
        .map(|r| {
            let t = chrono::NaiveDateTime::parse_from_str(r.0, "%Y-%m-%d %H:%M:%S").unwrap();
            t.and_utc().timestamp_micros()
        })
        .collect();
    let tz = tz_aware.then_some(TimeZone::UTC);
    let mut df = DataFrame::new(
        rows.len(),
        vec![
            Series::new("Timestamp".into(), ts).into_datetime(TimeUnit::Microseconds, tz).into(),
            Column::new("user_id".into(), rows.iter().map(|r| r.1).collect::<Vec<_>>()),
            Column::new("patient_id".into(), rows.iter().map(|r| r.2).collect::<Vec<_>>()),
            Column::new("action".into(), rows.iter().map(|r| r.3).collect::<Vec<_>>()),
        ],
    )
    .unwrap();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    ParquetWriter::new(std::fs::File::create(path).unwrap()).finish(&mut df).unwrap();
}

#[test]
fn a_folder_of_daily_parquet_files_is_one_table() {
    let b = Bundle::hospital();
    parquet_day(
        &b.path("access_log/2026-11-27.parquet"),
        &[("2026-11-27 10:00:00", "d1", "P2", "view"), ("2026-11-27 11:00:00", "n1", "P1", "view")],
        true,
    );
    // A naive datetime column is hospital local time.
    parquet_day(&b.path("access_log/2026-11-28.parquet"), &[("2026-11-28 02:14:00", "n1", "P1", "print")], false);
    let run = b.detect(&["--timezone", "America/Chicago"]);
    run.assert_ok();
    let s = run.summary();
    assert_eq!(s["events_read"], 3);
    let paths: Vec<&str> = s["input_files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["table"] == "access_log")
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, vec!["access_log/2026-11-27.parquet", "access_log/2026-11-28.parquet"]);
    let alerts = run.csv("alerts.csv");
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0]["access_count"], "2");
    // 11:00 UTC in the zone-aware file is 05:00 in Chicago.
    assert_eq!(alerts[0]["first_access"], "2026-11-27T05:00:00-06:00");
    assert_eq!(alerts[0]["last_access"], "2026-11-28T02:14:00-06:00");
}

/// The optional care_team table: a listed user's access within the span
/// is explained (patient-specific: the VIP alert goes), bad rows go to
/// rejected_rows.csv with file, line and column, and summary.json says what
/// was listed and matched.
#[test]
fn a_care_team_row_explains_its_users_access_and_bad_rows_are_rejected() {
    let without = Bundle::hospital();
    without.file("access_log.csv", ACCESS);
    let run = without.detect(&[]);
    run.assert_ok();
    let flagged = |run: &crate::env::Run| -> bool {
        run.csv("alerts.csv").iter().any(|a| a["user_id"] == "x1" && a["patient_id"] == "P2")
    };
    assert!(flagged(&run), "without a care team, the IT user's look at the VIP is an alert");
    assert!(run.summary().get("care_team").is_none());

    let b = Bundle::hospital();
    b.file("access_log.csv", ACCESS).file(
        "care_team.csv",
        "patient_id,user_id,relationship,start,end
P2,x1,Study Coordinator - IRB 2026-0042,2026-11-01,
P2,n1,treatment team,2026-11-30,2026-11-20
P4,,treatment team,,
P1,b1,primary care,not-a-date,
P4,ghost,treatment team,,
",
    );
    let run = b.detect(&["--max-reject-share", "1"]);
    run.assert_ok();
    assert!(!flagged(&run), "the listed study team member is explained");
    let s = run.summary();
    assert_eq!(s["explained_by"]["care_team_member"], 1);
    assert_eq!(s["care_team"]["rows"], 2);
    assert_eq!(s["care_team"]["patients"], 2);
    assert_eq!(s["care_team"]["users"], 2);
    assert_eq!(s["care_team"]["users_not_in_log"], 1, "ghost opened nothing");
    assert_eq!(s["care_team"]["accesses_explained"], 1);
    let file = s["input_files"].as_array().unwrap().iter().find(|f| f["table"] == "care_team").unwrap().clone();
    assert_eq!((file["rows_read"].as_u64(), file["rows_accepted"].as_u64()), (Some(5), Some(2)));
    assert_eq!(s["other_rows_rejected"], 3);
    let rejected = run.csv("rejected_rows.csv");
    let lines: Vec<(&str, &str, &str)> =
        rejected.iter().map(|r| (r["table"].as_str(), r["line"].as_str(), r["column"].as_str())).collect();
    assert_eq!(lines, vec![("care_team", "3", "end"), ("care_team", "4", "user_id"), ("care_team", "5", "start")]);
    assert!(rejected.iter().all(|r| r["file"] == "care_team.csv"));
    assert!(rejected[0]["reason"].contains("end is before start"), "{}", rejected[0]["reason"]);
    let html = std::fs::read_to_string(run.out.join("report.html")).unwrap();
    assert!(html.contains("The care_team table lists 2 users on the care of 2 patients (2 rows); it explained 1 accesses. 1 listed users opened no chart"), "the report says what the table covered");
    let before = std::fs::read_to_string(without.out().join("report.html")).unwrap();
    assert!(!before.contains("Care teams"), "no section without the table");
}

#[test]
fn a_bundle_without_optional_tables_runs_and_says_what_it_skipped() {
    let b = Bundle::new();
    b.file("access_log.csv", ACCESS);
    let run = b.detect(&[]);
    run.assert_ok();
    let s = run.summary();
    let skipped: Vec<&str> =
        s["skipped_tables"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(skipped, vec!["users", "patients", "encounters", "patient_contacts", "care_team"]);
    let rules: Vec<(&str, &str)> = s["skipped_detectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["name"].as_str().unwrap(), d["reason"].as_str().unwrap()))
        .collect();
    assert!(rules.contains(&("self_access", "users table missing")));
    assert!(rules.contains(&("vip_access", "patients table missing")));
    assert_eq!(s["explained_fraction"], 0.0);
    assert_eq!(s["alerts"], 0);
}

#[test]
fn bad_rows_in_context_tables_are_rejected_too() {
    let b = Bundle::new();
    b.file("access_log.csv", ACCESS);
    b.file(
        "users.csv",
        "user_id,hire_date,lat\nn1,2020-01-01,41.9\nn1,2020-01-01,41.9\nd1,01/05/2019,41.9\nb1,2021-01-01,123\n",
    );
    let run = b.detect(&["--max-reject-share", "1"]);
    run.assert_ok();
    let rejected = run.csv("rejected_rows.csv");
    let got: Vec<(&str, &str, &str)> =
        rejected.iter().map(|r| (r["table"].as_str(), r["line"].as_str(), r["column"].as_str())).collect();
    assert_eq!(got, vec![("users", "3", "user_id"), ("users", "4", "hire_date"), ("users", "5", "lat")]);
    assert!(rejected[0]["reason"].contains("first defined on line 2"));
    assert_eq!(run.summary()["other_rows_rejected"], 3);
}

#[test]
fn a_table_given_twice_is_an_error() {
    let b = Bundle::hospital();
    b.file("access_log.csv", ACCESS);
    b.gz("access_log.csv.gz", ACCESS);
    let run = b.detect(&[]);
    assert_eq!(run.code(), 1);
    assert!(run.stderr().contains("given twice"));
}
