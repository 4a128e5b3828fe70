//! `ehrwatch import`: every shared FHIR AuditEvent example, hand-made edge
//! cases per format, the outputs' safety, and round trips (canonical bundle →
//! FHIR / Epic / OpenEMR → import → detect gives the canonical alerts).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ehrwatch::import::{write_bundle_as, Format};
use polars::prelude::*;

use crate::env::{binary, Bundle, Run, ENCOUNTERS, PATIENTS, USERS};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fhir")
}

/// Runs `ehrwatch import` with arguments; the bundle is `out`.
fn import(args: &[&str], inputs: &[&Path], out: &Path) -> Run {
    let output = binary().arg("import").args(args).args(inputs).arg("--out").arg(out).output().expect("binary runs");
    Run { output, out: out.to_path_buf() }
}

/// The imported access_log as rows of (column -> text).
fn access_log(bundle: &Path) -> Vec<BTreeMap<String, String>> {
    let f = std::fs::File::open(bundle.join("access_log.parquet")).expect("access_log.parquet");
    let df = ParquetReader::new(f).finish().expect("parquet reads");
    let ts = df.column("timestamp").unwrap();
    assert!(
        matches!(ts.dtype(), DataType::Datetime(TimeUnit::Microseconds, Some(tz)) if tz.as_str() == "UTC"),
        "{:?}",
        ts.dtype()
    );
    // Physical microseconds: formatting a zoned datetime needs polars' `timezones`.
    let micros = ts.cast(&DataType::Int64).unwrap();
    (0..df.height())
        .map(|i| {
            df.columns()
                .iter()
                .map(|c| {
                    let c = if c.name() == "timestamp" { &micros } else { c };
                    let v = match c.get(i).unwrap() {
                        AnyValue::Null => String::new(),
                        AnyValue::String(s) => s.to_string(),
                        AnyValue::StringOwned(s) => s.to_string(),
                        other => other.to_string(),
                    };
                    (c.name().to_string(), v)
                })
                .collect()
        })
        .collect()
}

fn find<'a>(rows: &'a [BTreeMap<String, String>], event_id: &str) -> &'a BTreeMap<String, String> {
    rows.iter().find(|r| r["event_id"] == event_id).unwrap_or_else(|| panic!("no record {event_id}: {rows:?}"))
}

fn micros(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339).unwrap().timestamp_micros().to_string()
}

#[test]
fn every_shared_fhir_example_is_converted_or_rejected_with_a_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("bundle");
    let run = import(&["--from", "fhir"], &[&fixtures()], &out);
    run.assert_ok();
    assert!(run.stdout().contains("15 fhir rows read, 12 converted, 3 rejected"), "{}", run.stdout());
    let s = run.summary_named("import_summary.json");
    assert_eq!((s["rows_read"].as_u64(), s["records_written"].as_u64()), (Some(15), Some(12)));
    assert_eq!(s["inputs"].as_array().unwrap().len(), 15);
    assert_eq!(s["unmapped_categories"]["Consent"], 1);

    let rows = access_log(&out);
    let get = |id: &str, col: &str| find(&rows, id)[col].clone();
    // R4 login: the requestor's IP (network type 2) and the source's machine (type 1).
    let r4_login = rows.iter().find(|r| r["event_id"] == "example-login" && r["ip_address"] == "127.0.0.1").unwrap();
    assert_eq!((r4_login["user_id"].as_str(), r4_login["action"].as_str()), ("95", "login"));
    assert_eq!(r4_login["workstation_id"], "Workstation1.ehr.familyclinic.com");
    assert_eq!(r4_login["patient_id"], "");
    assert_eq!(r4_login["timestamp"], micros("2013-06-20T23:41:23Z"));
    // R5 login: networkString that is not an IP is the workstation.
    let r5_login = rows.iter().find(|r| r["event_id"] == "example-login" && r["ip_address"].is_empty()).unwrap();
    assert_eq!(r5_login["workstation_id"], "Workstation1.ehr.familyclinic.com");
    assert_eq!(get("example-logout", "action"), "logout");
    assert_eq!(get("example-logout", "ip_address"), "127.0.0.1");
    // vread: R4 entity without a role is the Patient read (demographics);
    // R5 names the patient with role 1 and reads nothing else.
    let reads: Vec<_> = rows.iter().filter(|r| r["event_id"] == "example-rest").collect();
    assert_eq!(reads.len(), 2);
    assert!(reads.iter().all(|r| r["action"] == "view" && r["patient_id"] == "example" && r["user_id"] == "95"));
    let mut cats: Vec<&str> = reads.iter().map(|r| r["data_category"].as_str()).collect();
    cats.sort();
    assert_eq!(cats, ["", "demographics"]);
    assert_eq!(get("example-rest-create-traceID", "action"), "create");
    assert_eq!(get("example-rest-create-traceID", "timestamp"), micros("2019-12-04T11:59:28.646+00:00"));
    // search without a patient is kept; PIX query names the patient by a CX identifier.
    assert_eq!((get("example-search", "action"), get("example-search", "patient_id")), ("search".into(), "".into()));
    assert_eq!(get("example-pixQuery", "action"), "search");
    assert_eq!(get("example-pixQuery", "patient_id"), "e3cdfc81a0d24bd");
    assert_eq!(get("example-media", "action"), "export");
    assert_eq!(get("example-media", "patient_id"), "e3cdfc81a0d24bd");
    // Break the glass: DICOM 110127 with ETREAT; the user is a Practitioner reference.
    assert_eq!(get("example-breakglass-start", "break_glass"), "true");
    assert_eq!(get("example-breakglass-start", "user_id"), "f001");
    assert_eq!(get("example-breakglass-start", "patient_id"), "example");
    assert_eq!(get("example-breakglass-start", "workstation_id"), "custodian.net");
    assert_eq!(get("example-disclosure", "action"), "export");
    assert_eq!(get("example-disclosure", "user_id"), "SomeIdiot@nowhere");
    assert_eq!(get("example-disclosure", "patient_id"), "example");
    assert_eq!(get("example-disclosure", "workstation_id"), "custodian.net", "the destination agent is not the source");
    assert_eq!(get("example-consent-permit-authz", "action"), "search");
    assert_eq!(get("example-consent-permit-authz", "patient_id"), "example");
    assert!(rows.iter().filter(|r| r["event_id"] != "example-breakglass-start").all(|r| r["break_glass"] == "false"));

    let rejected = run.csv("import_rejected_rows.csv");
    let why: BTreeMap<&str, (&str, &str)> = rejected
        .iter()
        .map(|r| (r["file"].rsplit('/').next().unwrap(), (r["column"].as_str(), r["reason"].as_str())))
        .collect();
    assert_eq!(why.len(), 3, "{rejected:?}");
    assert_eq!(why["auditevent-example-error.json"].0, "outcome");
    assert!(why["auditevent-example-advanced-create.json"].1.contains("a display name is not an id"));
    assert!(why["auditevent-example.json"].1.contains("no agent with requestor=true"));
    assert!(rejected.iter().all(|r| r["table"] == "access_log" && r["line"] == "1" && r["raw"].starts_with('{')));

    // The bundle is what detect reads.
    Bundle::hospital_into(&out);
    let d = binary().args(["detect", "--input"]).arg(&out).arg("--out").arg(tmp.path().join("d")).output().unwrap();
    assert!(d.status.success(), "{}", String::from_utf8_lossy(&d.stderr));
}

const NDJSON: &str = r#"{"resourceType":"AuditEvent","id":"a1","action":"R","recorded":"2026-11-28T21:40:00-06:00","type":{"system":"http://terminology.hl7.org/CodeSystem/audit-event-type","code":"rest"},"subtype":[{"system":"http://hl7.org/fhir/restful-interaction","code":"read"}],"outcome":"0","agent":[{"who":{"identifier":{"value":"n1"}},"requestor":true,"network":{"address":"10.0.0.7","type":"2"}},{"type":{"coding":[{"code":"110153"}]},"who":{"display":"ws"},"requestor":false,"network":{"address":"WS-ICU-1","type":"1"}}],"entity":[{"what":{"reference":"Patient/P1"},"type":{"code":"1"},"role":{"code":"1"}},{"what":{"reference":"DocumentReference/d1"},"securityLabel":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"PSY"}]}]}

this is not json
{"resourceType":"Patient","id":"p"}
{"resourceType":"AuditEvent","id":"a2","action":"E","recorded":"2026-11-28T22:00:00Z","code":{"coding":[{"system":"urn:site","code":"X-77","display":"Custom thing"}]},"agent":[{"who":{"identifier":{"value":"n1"}},"requestor":true}]}
{"resourceType":"AuditEvent","id":"a3","action":"R","recorded":"2026-11-28T22:01:00Z","agent":[{"who":{"identifier":{"value":"n1"}},"requestor":true}],"entity":[{"what":{"reference":"Practitioner/x"}}]}
{"resourceType":"AuditEvent","id":"a4","action":"R","recorded":"2026-11-28T22:02:00Z","agent":[{"who":{"identifier":{"value":"b1"}},"requestor":true}],"entity":[{"what":{"reference":"Patient/P2"}},{"what":{"reference":"Patient/P3"}}]}
{"resourceType":"AuditEvent","id":"a5","action":"R","recorded":"28/11/2026","agent":[{"who":{"identifier":{"value":"b1"}},"requestor":true}]}
"#;

#[test]
fn fhir_ndjson_edge_cases_malformed_lines_several_patients_offsets_and_unknown_codes() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("export.ndjson.gz");
    {
        use std::io::Write;
        let mut enc =
            flate2::write::GzEncoder::new(std::fs::File::create(&input).unwrap(), flate2::Compression::fast());
        enc.write_all(NDJSON.as_bytes()).unwrap();
        enc.finish().unwrap();
    }
    let out = tmp.path().join("b");
    let run = import(&["--from", "fhir"], &[&input], &out);
    run.assert_ok();
    let rows = access_log(&out);
    let a1 = find(&rows, "a1");
    assert_eq!(a1["timestamp"], micros("2026-11-29T03:40:00Z"), "the -06:00 offset is honoured");
    assert_eq!((a1["ip_address"].as_str(), a1["workstation_id"].as_str()), ("10.0.0.7", "WS-ICU-1"));
    assert_eq!(a1["data_category"], "behavioral_health", "a PSY label makes the read sensitive");
    assert_eq!(find(&rows, "a2")["action"], "other");
    assert_eq!(find(&rows, "a3")["action"], "other", "a read naming no patient is not a patient access");
    let a4: Vec<&str> = rows.iter().filter(|r| r["event_id"] == "a4").map(|r| r["patient_id"].as_str()).collect();
    assert_eq!(a4, ["P2", "P3"], "one record per patient named");
    let s = run.summary_named("import_summary.json");
    assert_eq!(s["other_actions"]["action E code X-77 Custom thing"], 1);
    assert_eq!(s["other_actions"]["view without a patient"], 1);
    assert_eq!(
        (s["rows_read"].as_u64(), s["rows_rejected"].as_u64(), s["records_written"].as_u64()),
        (Some(7), Some(3), Some(5))
    );
    let rejected = run.csv("import_rejected_rows.csv");
    let lines: Vec<(&str, &str)> = rejected.iter().map(|r| (r["line"].as_str(), r["column"].as_str())).collect();
    assert_eq!(lines, [("3", ""), ("4", "resourceType"), ("8", "recorded")], "blank line 2 is skipped, not counted");
    assert!(rejected[2]["reason"].contains("\"28/11/2026\" is not an instant"));
}

#[test]
fn a_fhir_bundle_is_read_entry_by_entry() {
    let tmp = tempfile::tempdir().unwrap();
    let first = std::fs::read_to_string(fixtures().join("r4/audit-event-example-vread.json")).unwrap();
    let text = format!(
        r#"{{"resourceType":"Bundle","type":"collection","entry":[{{"resource":{first}}},{{"fullUrl":"x"}},{{"resource":{{"resourceType":"Observation"}}}}]}}"#
    );
    let input = tmp.path().join("bundle.json");
    std::fs::write(&input, text).unwrap();
    let run = import(&["--from", "fhir"], &[&input], &tmp.path().join("b"));
    run.assert_ok();
    let rows = access_log(&tmp.path().join("b"));
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["patient_id"], "example");
    let rejected = run.csv("import_rejected_rows.csv");
    assert_eq!(rejected.iter().map(|r| r["line"].as_str()).collect::<Vec<_>>(), ["2", "3"], "line = entry number");
}

#[test]
fn csv_with_a_mapping_maps_columns_values_times_and_counts_the_unknown() {
    let tmp = tempfile::tempdir().unwrap();
    let data = "When;Who;MRN;What;Section;Box;BTG\n\
11/28/2026 21:40:00;n1;P1;Chart Viewed;LAB;WS1;N\n\
11/28/2026 21:41:00;n1;P1;Peeked;lab;WS1;N\n\
11/28/2026 21:42:00;n1;;Chart Viewed;LAB;WS1;N\n\
yesterday;n1;P1;Chart Viewed;LAB;WS1;N\n\
11/28/2026 21:43:00;=HYPERLINK(\"x\");P1;Chart Viewed\n\
11/28/2026 21:44:00;n1;P2;PRINTED;Psych;WS1;Y\n";
    std::fs::write(tmp.path().join("audit.csv"), data).unwrap();
    let mapping = r#"
delimiter = ";"
timestamp_format = "%m/%d/%Y %H:%M:%S"
timezone = "America/Chicago"
[columns]
timestamp = "When"
user_id = "Who"
patient_id = "MRN"
action = "What"
data_category = "Section"
workstation_id = "Box"
break_glass = "BTG"
[defaults]
department_id = "ICU"
[actions]
"chart viewed" = "view"
"Printed" = "print"
[categories]
"LAB" = "results"
"psych" = "behavioral_health"
[break_glass]
true_values = ["Y"]
"#;
    std::fs::write(tmp.path().join("map.toml"), mapping).unwrap();
    let out = tmp.path().join("b");
    let m = tmp.path().join("map.toml");
    let run = import(&["--from", "csv", "--mapping", m.to_str().unwrap()], &[&tmp.path().join("audit.csv")], &out);
    run.assert_ok();
    let rows = access_log(&out);
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["timestamp"], micros("2026-11-29T03:40:00Z"), "naive times are read in the mapping's zone");
    assert_eq!((rows[0]["action"].as_str(), rows[0]["data_category"].as_str()), ("view", "results"));
    assert_eq!((rows[0]["department_id"].as_str(), rows[0]["workstation_id"].as_str()), ("ICU", "WS1"));
    assert_eq!(rows[1]["action"], "other");
    assert_eq!((rows[2]["action"].as_str(), rows[2]["break_glass"].as_str()), ("print", "true"));
    assert_eq!(rows[2]["data_category"], "behavioral_health");
    let s = run.summary_named("import_summary.json");
    assert_eq!(s["other_actions"]["Peeked"], 1);
    assert_eq!(s["timezone"], "America/Chicago");
    let rejected = run.csv("import_rejected_rows.csv");
    let got: Vec<(&str, &str)> = rejected.iter().map(|r| (r["line"].as_str(), r["column"].as_str())).collect();
    assert_eq!(got, [("4", "patient_id"), ("5", "timestamp"), ("6", "")]);
    assert!(rejected[2]["raw"].contains("=HYPERLINK"));
    let text = std::fs::read_to_string(out.join("import_rejected_rows.csv")).unwrap();
    assert!(
        !text.lines().any(|l| l.contains(",=HYPERLINK") || l.contains(",\"=HYPERLINK")),
        "formula neutralised: {text}"
    );

    // --timezone overrides the mapping's zone.
    let run = import(
        &["--from", "csv", "--mapping", m.to_str().unwrap(), "--timezone", "UTC"],
        &[&tmp.path().join("audit.csv")],
        &out,
    );
    run.assert_ok();
    assert_eq!(access_log(&out)[0]["timestamp"], micros("2026-11-28T21:40:00Z"));
}

#[test]
fn a_bad_csv_mapping_exits_1_naming_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("a.csv"), "t,u,p,a\n").unwrap();
    std::fs::write(
        tmp.path().join("m.toml"),
        "[columns]\ntimestamp=\"t\"\nuser_id=\"u\"\npatient_id=\"p\"\naction=\"a\"\n[actions]\nx=\"peek\"\n",
    )
    .unwrap();
    let m = tmp.path().join("m.toml");
    let run = import(
        &["--from", "csv", "--mapping", m.to_str().unwrap()],
        &[&tmp.path().join("a.csv")],
        &tmp.path().join("b"),
    );
    assert_eq!(run.code(), 1);
    assert!(run.stderr().contains("m.toml: [actions] \"x\""), "{}", run.stderr());
    assert!(!tmp.path().join("b").exists(), "nothing is created when the mapping is bad");
    let run = import(&["--from", "csv"], &[&tmp.path().join("a.csv")], &tmp.path().join("b"));
    assert_eq!(run.code(), 1);
    assert!(run.stderr().contains("--from csv needs --mapping"), "{}", run.stderr());
}

#[test]
fn epic_extract_with_metric_table_and_the_default_mapping() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("ACCESS_LOG.csv"),
        "ACCESS_TIME,USER_ID,WORKSTATION_ID,METRIC_ID,PAT_ID,CSN,ACCESS_ACTION_C\n\
2026-11-28 21:40:00,n1,WS-ICU-1,17,P1,9001,1\n\
2026-11-28 21:41:00,n1,WS-ICU-1,18,P1,9001,1\n\
2026-11-28 21:42:00,n1,WS-ICU-1,99,P1,9001,1\n\
2026-11-28 21:43:00,n1,WS-ICU-1,20,,,1\n\
2026-11-28 21:44:00,n1,WS-ICU-1,21,P2,,1\n\
2026-11-28 25:00:00,n1,WS-ICU-1,17,P1,9001,1\n\
2026-11-28 21:45:00,n1,WS-ICU-1\n",
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("metrics.csv"),
        "METRIC_ID,METRIC_NAME\n17,Chart Review Notes tab selected\n18,In Basket message opened\n20,Login\n21,Break-the-Glass access\n",
    )
    .unwrap();
    let out = tmp.path().join("b");
    let metrics = tmp.path().join("metrics.csv");
    let run = import(
        &["--from", "epic", "--metrics", metrics.to_str().unwrap(), "--timezone", "America/Chicago"],
        &[&tmp.path().join("ACCESS_LOG.csv")],
        &out,
    );
    run.assert_ok();
    let rows = access_log(&out);
    let got: Vec<(&str, &str, &str, &str)> = rows
        .iter()
        .map(|r| {
            (r["action"].as_str(), r["data_category"].as_str(), r["patient_id"].as_str(), r["break_glass"].as_str())
        })
        .collect();
    assert_eq!(
        got,
        [
            ("view", "notes", "P1", "false"),
            ("other", "", "P1", "false"),
            ("other", "", "P1", "false"),
            ("login", "", "", "false"),
            ("view", "", "P2", "true"),
        ]
    );
    assert_eq!(rows[0]["timestamp"], micros("2026-11-29T03:40:00Z"));
    assert_eq!(rows[0]["workstation_id"], "WS-ICU-1");
    let s = run.summary_named("import_summary.json");
    assert_eq!(s["other_actions"]["metric In Basket message opened"], 1);
    assert_eq!(s["other_actions"]["metric id 99 (not in the metric table)"], 1);
    let rejected = run.csv("import_rejected_rows.csv");
    assert_eq!(rejected.iter().map(|r| r["line"].as_str()).collect::<Vec<_>>(), ["7", "8"]);

    // Without METRIC_NAME or a metric table the run stops, saying what to pass.
    let run = import(&["--from", "epic"], &[&tmp.path().join("ACCESS_LOG.csv")], &tmp.path().join("c"));
    assert_eq!(run.code(), 1);
    assert!(run.stderr().contains("pass the metric table with --metrics"), "{}", run.stderr());
}

#[test]
fn openemr_log_rows_current_and_legacy_schema() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("log.csv"),
        "id,date,event,category,user,groupname,comments,user_notes,patient_id,success,checksum,crt_user,log_from,menu_item_id,ccda_doc_id\n\
1,2026-11-28 08:00:00,login,,n1,ICU,,,,1,,,open-emr,,\n\
2,2026-11-28 08:01:00,patient-record-select,Patient Demographics,n1,ICU,U0VMRUNU,,7,1,,,open-emr,,\n\
3,2026-11-28 08:02:00,lab-results-insert,,n1,ICU,,,7,1,,,open-emr,,\n\
4,2026-11-28 08:03:00,scheduling-select,Scheduling,n1,ICU,,,0,1,,,open-emr,,\n\
5,2026-11-28 08:04:00,patient-record-select,,n1,ICU,,,8,0,,,open-emr,,\n\
6,2026-11-28 08:05:00,backup,,admin,,,,,1,,,open-emr,,\n\
7,not a date,patient-record-select,,n1,ICU,,,7,1,,,open-emr,,\n",
    )
    .unwrap();
    let out = tmp.path().join("b");
    let run = import(&["--from", "openemr", "--department-from-group"], &[&tmp.path().join("log.csv")], &out);
    run.assert_ok();
    let rows = access_log(&out);
    let got: Vec<(&str, &str, &str, &str)> = rows
        .iter()
        .map(|r| (r["event_id"].as_str(), r["action"].as_str(), r["patient_id"].as_str(), r["data_category"].as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("1", "login", "", ""),
            ("2", "view", "7", "demographics"),
            ("3", "create", "7", "results"),
            ("4", "other", "", ""),
            ("6", "other", "", ""),
        ]
    );
    assert_eq!(rows[1]["department_id"], "ICU");
    let s = run.summary_named("import_summary.json");
    assert_eq!(s["other_actions"]["backup"], 1);
    assert_eq!(s["other_actions"]["view without a patient"], 1);
    assert_eq!(s["unmapped_categories"]["Scheduling"], 1);
    let rejected = run.csv("import_rejected_rows.csv");
    assert_eq!(
        rejected.iter().map(|r| (r["line"].as_str(), r["column"].as_str())).collect::<Vec<_>>(),
        [("6", "success"), ("8", "date")]
    );

    // The legacy schema (no category, log_from, ...) reads too; no department without the flag.
    std::fs::write(
        tmp.path().join("legacy.tsv"),
        "id\tdate\tevent\tuser\tgroupname\tcomments\tuser_notes\tpatient_id\tsuccess\tchecksum\tcrt_user\n\
1\t2026-11-28 08:01:00\tpatient-record-update\tn1\tDefault\t\t\t7\t1\t\t\n",
    )
    .unwrap();
    let run = import(&["--from", "openemr"], &[&tmp.path().join("legacy.tsv")], &tmp.path().join("c"));
    run.assert_ok();
    let rows = access_log(&tmp.path().join("c"));
    assert_eq!((rows[0]["action"].as_str(), rows[0]["department_id"].as_str()), ("update", ""));
}

#[test]
fn outputs_are_owner_only_atomic_and_never_clash_with_a_csv_access_log() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("b");
    let run = import(&["--from", "fhir"], &[&fixtures().join("r4")], &out);
    run.assert_ok();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in ["access_log.parquet", "import_rejected_rows.csv", "import_summary.json"] {
            assert_eq!(std::fs::metadata(out.join(f)).unwrap().permissions().mode() & 0o777, 0o600, "{f}");
        }
        assert_eq!(std::fs::metadata(&out).unwrap().permissions().mode() & 0o777, 0o700);
    }
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 3, "no staging folder left behind");
    // A failing run (an input that is not JSON) leaves the previous import intact.
    let before = std::fs::read(out.join("access_log.parquet")).unwrap();
    std::fs::write(tmp.path().join("bad.json"), "{ nope").unwrap();
    let run = import(&["--from", "fhir"], &[&tmp.path().join("bad.json")], &out);
    assert_eq!(run.code(), 1);
    assert!(run.stderr().contains("bad.json: not JSON"), "{}", run.stderr());
    assert_eq!(std::fs::read(out.join("access_log.parquet")).unwrap(), before);
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 3);
    // A bundle already holding access_log.csv is refused.
    std::fs::write(out.join("access_log.csv"), "timestamp\n").unwrap();
    let run = import(&["--from", "fhir"], &[&fixtures().join("r4")], &out);
    assert_eq!(run.code(), 1);
    assert!(run.stderr().contains("already holds access_log.csv"), "{}", run.stderr());
    // A missing input names itself.
    let run = import(&["--from", "fhir"], &[&tmp.path().join("missing.ndjson")], &tmp.path().join("x"));
    assert_eq!(run.code(), 1);
    assert!(run.stderr().contains("missing.ndjson: cannot open"), "{}", run.stderr());
}

#[test]
fn nothing_printed_carries_a_patient_id() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("x.ndjson");
    std::fs::write(
        &input,
        "{\"resourceType\":\"AuditEvent\",\"action\":\"R\",\"recorded\":\"bad-SECRETPATIENT\",\"agent\":[{\"who\":{\"identifier\":{\"value\":\"u\"}},\"requestor\":true}],\"entity\":[{\"what\":{\"reference\":\"Patient/SECRETPATIENT\"}}]}\n\
{\"resourceType\":\"AuditEvent\",\"action\":\"R\",\"recorded\":\"2026-01-01T00:00:00Z\",\"agent\":[{\"who\":{\"identifier\":{\"value\":\"u\"}},\"requestor\":true}],\"entity\":[{\"what\":{\"reference\":\"Patient/SECRETPATIENT\"}}]}\n",
    )
    .unwrap();
    let run = import(&["--from", "fhir"], &[&input], &tmp.path().join("b"));
    run.assert_ok();
    assert!(!run.stdout().contains("SECRETPATIENT") && !run.stderr().contains("SECRETPATIENT"));
    let help = binary().args(["import", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    for flag in
        ["--from", "--out", "--timezone", "--mapping", "--metrics", "--timestamp-format", "--department-from-group"]
    {
        assert!(help.contains(flag), "help lacks {flag}: {help}");
    }
}

// ---------------------------------------------------------------------------
// Round trips.

/// Accesses firing self, VIP and deceased alerts, with care that explains
/// others, workstations, IPs, departments, a break-the-glass and an
/// after-hours pattern.
const ACCESS: &str =
    "timestamp,user_id,patient_id,action,data_category,workstation_id,ip_address,department_id,break_glass
2026-11-28 09:00:00,d1,P2,view,notes,WS-ED-1,10.0.1.1,ED,false
2026-11-28 23:30:00,d1,P2,update,orders,WS-ED-1,10.0.1.1,ED,false
2026-11-28 21:40:00,n1,P1,view,results,WS-ICU-1,10.0.2.1,ICU,false
2026-11-28 21:41:00,n1,P1,print,notes,WS-ICU-1,10.0.2.1,ICU,false
2026-11-28 10:00:00,n1,P4,view,behavioral_health,WS-ICU-1,10.0.2.1,ICU,true
2026-11-28 22:05:00,x1,P2,view,demographics,WS-IT-9,10.0.9.9,IT,false
2026-11-28 22:06:00,x1,P3,export,,WS-IT-9,10.0.9.9,IT,false
2026-11-28 22:07:00,x1,,search,,WS-IT-9,10.0.9.9,IT,false
2026-11-28 07:00:00,x1,,login,,WS-IT-9,10.0.9.9,,false
2026-03-10 10:00:00,b1,P3,view,billing,,,BILLING,false
2026-11-29 10:00:00,b1,P2,view,billing,,,BILLING,false
";

/// `access` without the columns OpenEMR's log cannot hold (workstation, IP,
/// break-the-glass), so the canonical run sees what an OpenEMR import can.
fn without_openemr_gaps(access: &str) -> String {
    let mut r = csv::Reader::from_reader(access.as_bytes());
    let headers = r.headers().unwrap().clone();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&headers).unwrap();
    for rec in r.records() {
        let rec = rec.unwrap();
        let row: Vec<&str> = headers
            .iter()
            .zip(rec.iter())
            .map(|(h, v)| match h {
                "workstation_id" | "ip_address" => "",
                "break_glass" => "false",
                _ => v,
            })
            .collect();
        w.write_record(&row).unwrap();
    }
    String::from_utf8(w.into_inner().unwrap()).unwrap()
}

fn round_trip(format: Format, tz: &str, import_args: &[&str]) {
    let canonical = Bundle::hospital();
    let access = if format == Format::Openemr { without_openemr_gaps(ACCESS) } else { ACCESS.to_string() };
    canonical.file("access_log.csv", &access);
    let direct = canonical.detect(&["--timezone", tz]);
    direct.assert_ok();
    let expected = direct.csv("alerts.csv");
    assert!(expected.len() >= 3, "the canonical bundle raises alerts: {expected:?}");

    let tmp = tempfile::tempdir().unwrap();
    let rendered = tmp.path().join("rendered");
    let zone: chrono_tz::Tz = tz.parse().unwrap();
    let files = write_bundle_as(&canonical.input(), zone, format, &rendered).expect("renders");
    let out = tmp.path().join("bundle");
    let mut args = vec!["--from", format_name(format), "--timezone", tz];
    args.extend_from_slice(import_args);
    let metrics;
    let mapping;
    if format == Format::Epic {
        metrics = files[1].to_string_lossy().into_owned();
        mapping = files[2].to_string_lossy().into_owned();
        args.extend_from_slice(&["--metrics", &metrics, "--mapping", &mapping]);
    }
    let run = import(&args, &[&files[0]], &out);
    run.assert_ok();
    let s = run.summary_named("import_summary.json");
    assert_eq!(s["rows_rejected"], 0, "{s}");
    assert_eq!(s["records_written"], 11, "{s}");
    Bundle::hospital_into(&out);
    let d = tmp.path().join("alerts");
    let output =
        binary().args(["detect", "--timezone", tz, "--input"]).arg(&out).arg("--out").arg(&d).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let got = Run { output, out: d }.csv("alerts.csv");
    assert_eq!(got, expected, "{format:?}: alerts after the round trip differ");
}

fn format_name(f: Format) -> &'static str {
    f.as_str()
}

#[test]
fn round_trip_fhir_gives_the_canonical_alerts() {
    round_trip(Format::Fhir, "America/Chicago", &[]);
}

#[test]
fn round_trip_epic_gives_the_canonical_alerts() {
    round_trip(Format::Epic, "America/Chicago", &[]);
}

#[test]
fn round_trip_openemr_gives_the_canonical_alerts() {
    round_trip(Format::Openemr, "America/Chicago", &["--department-from-group"]);
}

#[test]
fn fhir_round_trip_keeps_every_field_detect_reads() {
    let canonical = Bundle::hospital();
    canonical.file("access_log.csv", ACCESS);
    let tmp = tempfile::tempdir().unwrap();
    let files = write_bundle_as(&canonical.input(), chrono_tz::UTC, Format::Fhir, &tmp.path().join("r")).unwrap();
    let out = tmp.path().join("b");
    import(&["--from", "fhir"], &[&files[0]], &out).assert_ok();
    let rows = access_log(&out);
    let n1 = rows.iter().find(|r| r["user_id"] == "n1" && r["patient_id"] == "P4").unwrap();
    assert_eq!(n1["data_category"], "behavioral_health");
    assert_eq!(n1["break_glass"], "true");
    assert_eq!(
        (n1["workstation_id"].as_str(), n1["ip_address"].as_str(), n1["department_id"].as_str()),
        ("WS-ICU-1", "10.0.2.1", "ICU")
    );
    let login = rows.iter().find(|r| r["action"] == "login").unwrap();
    assert_eq!((login["patient_id"].as_str(), login["department_id"].as_str()), ("", ""));
}

/// `ehrwatch simulate --format F`, then `import`, then `detect`, gives the
/// alerts of detecting the same simulation written canonically. OpenEMR
/// cannot hold workstations, IPs or break-the-glass, so its canonical side
/// has them removed.
fn simulate_round_trip(format: &str, import_args: &[&str], inputs: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let sim = |dir: &Path, fmt: &str| {
        let o = binary()
            .args(["simulate", "-q", "--users", "60", "--patients", "400", "--days", "4", "--incidents", "14"])
            .args(["--timezone", "America/Chicago", "--seed", "7", "--format", fmt, "--out"])
            .arg(dir)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    let detect = |dir: &Path, out: &Path| {
        let o = binary()
            .args(["detect", "-q", "--timezone", "America/Chicago", "--input"])
            .arg(dir)
            .arg("--out")
            .arg(out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        std::fs::read_to_string(out.join("alerts.csv")).unwrap()
    };
    let canonical = tmp.path().join("canonical");
    sim(&canonical, "csv");
    if format == "openemr" {
        let text = std::fs::read_to_string(canonical.join("access_log.csv")).unwrap();
        std::fs::write(canonical.join("access_log.csv"), without_openemr_gaps(&text)).unwrap();
    }
    let expected = detect(&canonical, &tmp.path().join("a"));
    assert!(expected.lines().count() > 5, "the simulation raises alerts");
    let other = tmp.path().join(format);
    sim(&other, format);
    assert!(!other.join("access_log.csv").exists(), "the log is written in {format} only");
    let paths: Vec<PathBuf> = inputs.iter().map(|f| other.join(f)).collect();
    let mut args = vec!["--from", format, "--timezone", "America/Chicago"];
    let extra: Vec<String> = import_args.iter().map(|a| a.replace("{dir}", &other.to_string_lossy())).collect();
    args.extend(extra.iter().map(String::as_str));
    let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    let run = import(&args, &refs, &other);
    run.assert_ok();
    assert_eq!(run.summary_named("import_summary.json")["rows_rejected"], 0);
    assert_eq!(detect(&other, &tmp.path().join("b")), expected, "{format}: alerts differ after simulate --format");
}

#[test]
fn simulate_format_fhir_round_trips() {
    simulate_round_trip("fhir", &[], &["audit_events.ndjson"]);
}

#[test]
fn simulate_format_epic_round_trips() {
    simulate_round_trip(
        "epic",
        &["--metrics", "{dir}/epic_metrics.csv", "--mapping", "{dir}/epic_metric_mapping.toml"],
        &["epic_access_log.csv"],
    );
}

#[test]
fn simulate_format_openemr_round_trips() {
    simulate_round_trip("openemr", &["--department-from-group"], &["openemr_log.csv"]);
}

/// The shared tables of [`Bundle::hospital`], for an imported bundle.
trait Hospital {
    fn hospital_into(dir: &Path);
}

impl Hospital for Bundle {
    fn hospital_into(dir: &Path) {
        std::fs::write(dir.join("users.csv"), USERS).unwrap();
        std::fs::write(dir.join("patients.csv"), PATIENTS).unwrap();
        std::fs::write(dir.join("encounters.csv"), ENCOUNTERS).unwrap();
    }
}

trait Summary {
    fn summary_named(&self, name: &str) -> serde_json::Value;
}

impl Summary for Run {
    fn summary_named(&self, name: &str) -> serde_json::Value {
        serde_json::from_str(&self.read(name)).expect("JSON")
    }
}

#[test]
fn the_readme_csv_mapping_example_is_valid() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let section = &readme[readme.find("## Importing other formats").expect("README has the import section")..];
    let start = section.find("```toml\n").expect("a TOML example") + 8;
    let toml = &section[start..start + section[start..].find("```").unwrap()];
    let m = ehrwatch::import::csv_mapping::parse(toml, Path::new("README.md")).expect("the README example parses");
    assert_eq!(m.timezone, Some(chrono_tz::America::Chicago));
}
