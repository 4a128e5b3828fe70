//! `ehrwatch investigate patient` and `investigate user`: row counts equal
//! the access log's rows for the patient (data/sample, and a simulated
//! world of daily Parquet files, where the filtered read is checked against
//! `--full-scan`), every explanation kind, unknown ids, an empty period,
//! pseudonymized runs, escaping, the state folder and the alerts join.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::env::{binary, Bundle, Run};

fn investigate(what: &str, args: &[&str], out: &Path) -> Run {
    let output = binary().arg("investigate").arg(what).args(args).arg("--out").arg(out).output().expect("binary runs");
    Run { output, out: out.to_path_buf() }
}

/// A key file readable by its owner only (else a warning line is printed).
fn owner_only(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
}

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample")
}

/// data/sample's access log as (timestamp, user_id, patient_id) rows.
fn sample_rows() -> Vec<(String, String, String)> {
    let f = std::fs::File::open(sample().join("access_log.csv.gz")).expect("sample log");
    let mut text = String::new();
    flate2::read::GzDecoder::new(f).read_to_string(&mut text).expect("gunzip");
    let mut r = csv::Reader::from_reader(text.as_bytes());
    r.records()
        .map(|rec| {
            let rec = rec.expect("row");
            (rec[0].to_string(), rec[1].to_string(), rec[2].to_string())
        })
        .collect()
}

#[test]
fn patient_access_has_one_row_per_log_row_of_the_patient_on_the_sample() {
    let tmp = tempfile::tempdir().expect("tmp");
    let rows = sample_rows();
    let mut per_patient: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, _, p) in rows.iter().filter(|(_, _, p)| !p.is_empty()) {
        *per_patient.entry(p.as_str()).or_insert(0) += 1;
    }
    // The incident patient of the sample's first label, and the most opened one.
    let busiest = per_patient.iter().max_by_key(|(_, n)| **n).map(|(p, _)| p.to_string()).expect("rows");
    for (k, (patient, from, to)) in [
        ("P1000374", "2026-10-12", "2026-10-19"),
        ("P1000374", "2000-01-01", "2100-01-01"),
        (busiest.as_str(), "2026-10-03", "2026-10-09"),
    ]
    .into_iter()
    .enumerate()
    {
        // The sample's timestamps are naive local times, read in UTC.
        let expected = rows.iter().filter(|(t, _, p)| p == patient && &t[..10] >= from && &t[..10] <= to).count();
        assert!(expected > 0, "{patient} has rows in {from}..{to}");
        let out = tmp.path().join(format!("out-{k}"));
        let input = sample();
        let run = investigate(
            "patient",
            &["--input", input.to_str().unwrap(), "--patient", patient, "--from", from, "--to", to],
            &out,
        );
        run.assert_ok();
        let csv = run.csv("patient_access.csv");
        assert_eq!(csv.len(), expected, "{patient} {from}..{to}");
        assert!(csv.iter().all(|r| r["time"].as_str() >= from && &r["time"][..10] <= to));
        assert!(run.stdout().contains(&format!("{expected} accesses")), "{}", run.stdout());
        assert!(!run.stdout().contains(patient) && !run.stderr().contains(patient), "no patient id on the terminal");
        let html = run.read("patient_access.html");
        assert!(html.contains("data/sample") || html.contains("access_log"), "the systems are named");
    }
}

#[test]
fn patient_access_on_daily_parquet_counts_the_patients_rows_and_equals_a_full_scan() {
    let tmp = tempfile::tempdir().expect("tmp");
    let bundle = tmp.path().join("world");
    crate::env::parquet_world(&bundle, 260, 2500, 10, 3, 14);
    assert!(bundle.join("access_log").is_dir(), "daily files");
    let data = ehrwatch::ingest::read_bundle(&bundle, chrono_tz::Tz::UTC, &ehrwatch::progress::Progress::hidden())
        .expect("read");
    let ev = &data.events;
    let mut per_patient: BTreeMap<u32, usize> = BTreeMap::new();
    for &pt in ev.patient.iter().filter(|&&pt| pt != ehrwatch::model::NONE) {
        *per_patient.entry(pt).or_insert(0) += 1;
    }
    let mut busy: Vec<(usize, u32)> = per_patient.iter().map(|(p, n)| (*n, *p)).collect();
    busy.sort_unstable_by(|a, b| b.cmp(a));
    // The busiest patient (a hub of many users), a middling one, a quiet one.
    let picks = [busy[0], busy[busy.len() / 2], busy[busy.len() - 1]];
    for (n, code) in picks {
        let id = data.dict.patients.name(code);
        let (a, b) = (tmp.path().join(format!("a-{id}")), tmp.path().join(format!("b-{id}")));
        let args = ["--input", bundle.to_str().unwrap(), "--patient", id];
        let filtered = investigate("patient", &args, &a);
        filtered.assert_ok();
        assert_eq!(filtered.csv("patient_access.csv").len(), n, "{id}");
        let full = investigate("patient", &[&args[..], &["--full-scan"]].concat(), &b);
        full.assert_ok();
        assert_eq!(
            filtered.read("patient_access.csv"),
            full.read("patient_access.csv"),
            "{id}: the filtered read explains as the whole log does"
        );
        assert!(filtered.read("patient_access.html").contains("Explained from this patient&#39;s accesses"));
    }
}

/// Two physicians, "u" (ORTHO) and "v" (CARD), chart on the same eight
/// patients, S0..S7, on which `crowd` nurses of MED chart too. On TARGET,
/// v charts and u opens the record an hour later with no care link of
/// their own. With 61 nurses, the eight have 63 care users each: hubs,
/// left out of the collaboration count, so u and v are no care team and
/// u's access stays unexplained over the whole log. A read of TARGET's
/// rows and u's and v's alone sees two care users on each and would call
/// them a team. With 40 nurses the eight are no hubs and the team does
/// explain u's access.
fn hub_world(crowd: usize) -> Bundle {
    let b = Bundle::new();
    let mut users = String::from(
        "user_id,first_name,last_name,role,department_id\nu,Una,Ortiz,physician,ORTHO\nv,Vic,Cardo,physician,CARD\n",
    );
    let mut log = String::from("timestamp,user_id,patient_id,action,data_category,workstation_id,department_id\n");
    for c in 0..crowd {
        users.push_str(&format!("c{c:02},Nurse,N{c:02},nurse,MED\n"));
    }
    for i in 0..8 {
        log.push_str(&format!("2026-10-02 09:0{i}:00,u,S{i},create,notes,WS-U,\n"));
        log.push_str(&format!("2026-10-02 10:0{i}:00,v,S{i},create,notes,WS-V,\n"));
        for c in 0..crowd {
            log.push_str(&format!("2026-10-03 {:02}:{:02}:00,c{c:02},S{i},create,notes,WS-N,\n", 8 + i, c));
        }
    }
    log.push_str("2026-10-20 10:00:00,v,TARGET,create,notes,WS-V,\n2026-10-20 11:00:00,u,TARGET,view,notes,WS-U,\n");
    b.file("users.csv", &users);
    b.file("patients.csv", "patient_id,first_name,last_name\nTARGET,Tara,Get\n");
    b.file("encounters.csv", "encounter_id,patient_id,department_id,start,end,provider_user_id\n");
    b.file("access_log.csv", &log);
    b
}

/// Whether a shared patient is a hub is judged over every access to it,
/// in the filtered read as in the whole log: a collaboration resting on
/// hub patients explains nothing (the filtered read once called it a care
/// team, hiding an access with no care link), and one resting on
/// ordinary patients still explains.
#[test]
fn a_care_team_resting_on_hub_patients_explains_nothing_in_the_filtered_read_either() {
    for (crowd, expected) in [(61, "unexplained"), (40, "care_team_group")] {
        let b = hub_world(crowd);
        let input = b.input();
        let args = ["--input", input.to_str().unwrap(), "--patient", "TARGET"];
        let tmp = tempfile::tempdir().expect("tmp");
        let out = |name: &str| tmp.path().join(name);
        let filtered = investigate("patient", &args, &out("filtered"));
        filtered.assert_ok();
        let full = investigate("patient", &[&args[..], &["--full-scan"]].concat(), &out("full"));
        full.assert_ok();
        let of_u = |run: &Run| -> String {
            let rows = run.csv("patient_access.csv");
            assert_eq!(rows.len(), 2);
            rows.iter().find(|r| r["user_id"] == "u").expect("u's access")["explanation"].clone()
        };
        assert_eq!(of_u(&full), expected, "over the whole log, with {crowd} nurses");
        assert_eq!(of_u(&filtered), expected, "filtered, with {crowd} nurses");
        assert_eq!(filtered.read("patient_access.csv"), full.read("patient_access.csv"));
        let page = filtered.read("patient_access.html");
        assert!(page.contains("whose explanation needs their other work"), "the filtered read was used");
        assert!(page.contains("every access to the 8 other patients whose counts of care users decide"), "said");
    }
}

/// [`hub_world`] with its access log as daily Parquet files, indexed
/// (`ehrwatch index`: the row index, and the classes and care teams
/// learned from the whole log).
fn hub_world_indexed(crowd: usize) -> Bundle {
    use polars::prelude::*;
    let b = hub_world(crowd);
    let text = std::fs::read_to_string(b.path("access_log.csv")).expect("log");
    std::fs::remove_file(b.path("access_log.csv")).expect("rm");
    let mut days: BTreeMap<String, Vec<Vec<String>>> = BTreeMap::new();
    for line in text.lines().skip(1) {
        let cells: Vec<String> = line.split(',').map(str::to_string).collect();
        days.entry(cells[0][..10].to_string()).or_default().push(cells);
    }
    std::fs::create_dir_all(b.path("access_log")).expect("mkdir");
    for (day, rows) in days {
        let column =
            |k: usize, name: &str| Column::new(name.into(), rows.iter().map(|r| r[k].clone()).collect::<Vec<_>>());
        let names = ["timestamp", "user_id", "patient_id", "action", "data_category", "workstation_id"];
        let mut df =
            DataFrame::new_infer_height(names.iter().enumerate().map(|(k, n)| column(k, n)).collect()).expect("frame");
        let f = std::fs::File::create(b.path(&format!("access_log/{day}.parquet"))).expect("create");
        ParquetWriter::new(f).finish(&mut df).expect("parquet");
    }
    let built = index(&b.input(), &[]);
    assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
    b
}

/// Through the row index, the care teams `ehrwatch index` learned over the
/// whole log tell the hubs: the collaboration resting on hub patients
/// explains nothing, the one resting on ordinary patients explains, as
/// over the whole log, and only TARGET's two rows are read.
#[test]
fn through_the_index_the_kept_care_teams_tell_the_hubs() {
    for (crowd, expected) in [(61, "unexplained"), (40, "care_team_group")] {
        let b = hub_world_indexed(crowd);
        let input = b.input();
        let args = ["--input", input.to_str().unwrap(), "--patient", "TARGET"];
        let tmp = tempfile::tempdir().expect("tmp");
        let indexed = investigate("patient", &args, &tmp.path().join("indexed"));
        indexed.assert_ok();
        let full = investigate("patient", &[&args[..], &["--full-scan"]].concat(), &tmp.path().join("full"));
        full.assert_ok();
        let of_u = |run: &Run| -> String {
            let rows = run.csv("patient_access.csv");
            rows.iter().find(|r| r["user_id"] == "u").expect("u's access")["explanation"].clone()
        };
        assert_eq!(of_u(&full), expected, "over the whole log, with {crowd} nurses");
        assert_eq!(of_u(&indexed), expected, "through the index, with {crowd} nurses");
        assert_eq!(indexed.read("patient_access.csv"), full.read("patient_access.csv"));
        let page = indexed.read("patient_access.html");
        assert!(page.contains("fetched from the row index") && page.contains(KEPT_NOTE), "{page}");
        assert!(page.contains("; 2 events of the log were read"), "only TARGET's rows are read");
    }
}

/// A hospital where one patient, TARGET, is opened under every kind of
/// explanation: its provider, a nurse of its unit, a consultant who works
/// with the provider (a care team learned from eight shared patients), a
/// surgeon who charted in the record, a biller after discharge, a study
/// coordinator on two days, and an IT analyst with no link.
fn every_kind() -> Bundle {
    let b = Bundle::new();
    b.file(
        "users.csv",
        "user_id,first_name,last_name,role,department_id
med,Mia,Ward,physician,MED
cons,Carl,Ober,physician,CONS
rn,Rita,Nash,nurse,MED
doc2,Sam,Cole,physician,SURG
bill,Bea,Lux,billing,BILLING
res,Ray,Stu,research,RES
it,Ivo,Tek,it,IT
",
    );
    let mut enc = String::from("encounter_id,patient_id,department_id,start,end,provider_user_id\n");
    let mut log = String::from("timestamp,user_id,patient_id,action,data_category,workstation_id,department_id\n");
    for i in 0..8 {
        enc.push_str(&format!("E{i},P{i},MED,2026-10-01 08:00:00,2026-10-03 08:00:00,med\n"));
        log.push_str(&format!("2026-10-02 09:0{i}:00,med,P{i},view,notes,WS-M,\n"));
        log.push_str(&format!("2026-10-02 10:0{i}:00,cons,P{i},create,notes,WS-C,\n"));
    }
    enc.push_str("ET,TARGET,MED,2026-10-20 08:00:00,2026-10-22 08:00:00,med\n");
    b.file("encounters.csv", &enc);
    b.file("patients.csv", "patient_id,first_name,last_name\nTARGET,Tara,Get\n");
    log.push_str(
        "2026-10-20 09:00:00,med,TARGET,view,notes,WS-M,
2026-10-20 10:00:00,rn,TARGET,view,medications,WS-R,
2026-10-21 11:00:00,cons,TARGET,view,notes,WS-C,
2026-10-25 09:00:00,doc2,TARGET,create,notes,WS-S,
2026-10-26 09:00:00,doc2,TARGET,view,results,WS-S,
2026-10-24 10:00:00,bill,TARGET,view,billing,WS-B,
2026-11-10 10:00:00,res,TARGET,view,results,WS-X,
2026-11-12 10:00:00,res,TARGET,view,results,WS-X,
2026-11-15 03:00:00,it,TARGET,view,notes,WS-I,
",
    );
    b.file("access_log.csv", &log);
    b
}

#[test]
fn every_explanation_kind_appears_with_its_sentence() {
    let b = every_kind();
    let input = b.input();
    for extra in [&[][..], &["--full-scan"][..]] {
        let run = investigate(
            "patient",
            &[&["--input", input.to_str().unwrap(), "--patient", "TARGET"], extra].concat(),
            &b.out(),
        );
        run.assert_ok();
        let rows = run.csv("patient_access.csv");
        assert_eq!(rows.len(), 9);
        let kind_of: BTreeMap<(String, String), String> =
            rows.iter().map(|r| ((r["user_id"].clone(), r["time"].clone()), r["explanation"].clone())).collect();
        let of = |user: &str| -> BTreeSet<String> {
            kind_of.iter().filter(|((u, _), _)| u == user).map(|(_, k)| k.clone()).collect()
        };
        let one = |k: &str| BTreeSet::from([k.to_string()]);
        assert_eq!(of("med"), one("encounter_provider"), "{extra:?}");
        assert_eq!(of("rn"), one("encounter_department"));
        assert_eq!(of("cons"), one("care_team_group"));
        assert_eq!(of("doc2"), one("documentation"));
        assert_eq!(of("bill"), one("role_timing"));
        assert_eq!(of("res"), one("recurring_panel"));
        assert_eq!(of("it"), one("unexplained"));
        let it = rows.iter().find(|r| r["user_id"] == "it").expect("it");
        assert_eq!(it["explanation_sentence"], "no care link");
        assert_eq!(it["user_name"], "Ivo Tek");
        assert_eq!(it["role_class"], "it");
        let med = rows.iter().find(|r| r["user_id"] == "med").expect("med");
        assert_eq!(med["explanation_sentence"], "the user is the encounter's provider");
        assert_eq!(med["department_id"], "MED", "the home department when the log names none");
        // Time order, local RFC 3339.
        let times: Vec<&str> = rows.iter().map(|r| r["time"].as_str()).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
        assert_eq!(times[0], "2026-10-20T09:00:00+00:00");
        // Nothing about the other patients on the page.
        let html = run.read("patient_access.html");
        assert!(!html.contains("P0") && !html.contains("P7"), "other patients are not named");
        assert!(html.contains("no care link"));
    }
}

#[test]
fn an_unknown_id_is_exit_1_in_one_line_without_the_id_when_pseudonymized() {
    let b = every_kind();
    let input = b.input();
    let key = b.path("key");
    std::fs::write(&key, "0123456789abcdef0123456789abcdef").expect("key");
    owner_only(&key);
    let plain = investigate("patient", &["--input", input.to_str().unwrap(), "--patient", "NOSUCH-77"], &b.out());
    assert_eq!(plain.code(), 1, "{}", plain.stderr());
    assert_eq!(plain.stderr().lines().count(), 1, "{}", plain.stderr());
    assert!(!plain.stderr().contains("NOSUCH-77"), "a patient id is never printed");
    let user = investigate("user", &["--input", input.to_str().unwrap(), "--user", "NOSUCH-88"], &b.out());
    assert_eq!(user.code(), 1);
    assert!(user.stderr().contains("NOSUCH-88"), "a user id given in the clear is named: {}", user.stderr());
    for what in ["patient", "user"] {
        let run = investigate(
            what,
            &[
                "--input",
                input.to_str().unwrap(),
                &format!("--{what}"),
                "SECRET-ID-42",
                "--pseudonymize-key",
                key.to_str().unwrap(),
            ],
            &b.out(),
        );
        assert_eq!(run.code(), 1, "{what}: {}", run.stderr());
        assert_eq!(run.stderr().lines().count(), 1);
        assert!(!run.stderr().contains("SECRET-ID-42"), "{what}: {}", run.stderr());
        assert!(!b
            .out()
            .join(format!("{}.csv", if what == "user" { "user_activity" } else { "patient_access" }))
            .exists());
    }
}

#[test]
fn an_empty_period_writes_zero_rows_and_says_so() {
    let b = every_kind();
    let input = b.input();
    let run = investigate(
        "patient",
        &["--input", input.to_str().unwrap(), "--patient", "TARGET", "--from", "2025-01-01", "--to", "2025-01-31"],
        &b.out(),
    );
    run.assert_ok();
    assert_eq!(run.csv("patient_access.csv").len(), 0);
    assert!(run.read("patient_access.csv").starts_with("time,user_id,user_name,role_class"));
    assert!(run.stdout().contains("no accesses to the patient in the period"), "{}", run.stdout());
    assert!(run.read("patient_access.html").contains("No access to this patient"));
    let user = investigate(
        "user",
        &["--input", input.to_str().unwrap(), "--user", "med", "--from", "2025-01-01", "--to", "2025-01-31"],
        &b.out(),
    );
    user.assert_ok();
    assert_eq!(user.csv("user_activity.csv").len(), 0);
    assert!(user.stdout().contains("no patients opened by the user in the period"), "{}", user.stdout());
    assert!(user.read("user_activity.html").contains("no access in this period"));
}

/// A roster and a log with hostile values: names that are HTML and
/// formulas, a workstation that is markup, and distinctive ids.
fn hostile() -> Bundle {
    let b = Bundle::new();
    b.file(
        "users.csv",
        "user_id,first_name,last_name,role,department_id\nUZEB-9,Zebedee,Quarterman,nurse,ICU\nUX-2,=SUM(1+1),<script>alert(1)</script>,it,IT\n",
    );
    b.file("patients.csv", "patient_id,first_name,last_name\nPTNT-7731,Wilhelmina,Oddbody\n");
    b.file(
        "encounters.csv",
        "encounter_id,patient_id,department_id,start,end,provider_user_id\nE1,PTNT-7731,ICU,2026-11-01 08:00:00,,\n",
    );
    b.file(
        "access_log.csv",
        "timestamp,user_id,patient_id,action,data_category,workstation_id,ip_address
2026-11-02 09:00:00,UZEB-9,PTNT-7731,view,notes,WS-1,10.0.0.1
2026-11-02 09:05:00,UZEB-9,PTNT-7731,print,notes,WS-1,10.0.0.1
2026-11-03 23:00:00,UX-2,PTNT-7731,view,notes,<b>ws</b>,10.9.9.9
",
    );
    b
}

#[test]
fn html_is_escaped_and_csv_cells_are_neutralised() {
    let b = hostile();
    let input = b.input();
    let run = investigate("patient", &["--input", input.to_str().unwrap(), "--patient", "PTNT-7731"], &b.out());
    run.assert_ok();
    let html = run.read("patient_access.html");
    assert!(!html.contains("<script>alert") && html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{html}");
    assert!(!html.contains("<b>ws</b>") && html.contains("&lt;b&gt;ws&lt;/b&gt;"));
    let rows = run.csv("patient_access.csv");
    let x = rows.iter().find(|r| r["user_id"] == "UX-2").expect("UX-2");
    assert_eq!(x["user_name"], "'=SUM(1+1) <script>alert(1)</script>", "a formula is neutralised");
    assert!(rows.iter().flat_map(|r| r.values()).all(|v| !v.starts_with(['=', '+', '@'])), "no cell is a formula");
    // The user page too.
    let user = investigate("user", &["--input", input.to_str().unwrap(), "--user", "UX-2"], &b.out());
    user.assert_ok();
    let page = user.read("user_activity.html");
    assert!(!page.contains("<script>alert") && page.contains("&lt;script&gt;"));
    assert!(!page.contains("<b>ws</b>"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in ["patient_access.csv", "patient_access.html", "user_activity.csv", "user_activity.html"] {
            let mode = std::fs::metadata(b.out().join(f)).expect(f).permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{f} is owner-only");
        }
    }
    let left: Vec<_> = std::fs::read_dir(b.out()).expect("out").flatten().map(|e| e.file_name()).collect();
    assert!(left.iter().all(|n| !n.to_string_lossy().contains("staging")), "{left:?}");
}

#[test]
fn a_pseudonymized_run_takes_and_shows_tokens_and_no_names() {
    let b = hostile();
    let input = b.input();
    let key = b.path("key");
    std::fs::write(&key, "a key of at least sixteen bytes\n").expect("key");
    owner_only(&key);
    let k = key.to_str().unwrap();
    // The tokens are those of detect's pseudonymized alerts.csv.
    let p = ehrwatch::output::Pseudonymizer::from_key_file_bytes(b"a key of at least sixteen bytes\n").expect("key");
    let (patient, user) = (p.patient("PTNT-7731"), p.user("UZEB-9"));
    let run = investigate(
        "patient",
        &["--input", input.to_str().unwrap(), "--patient", &patient, "--pseudonymize-key", k],
        &b.out(),
    );
    run.assert_ok();
    let rows = run.csv("patient_access.csv");
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().any(|r| r["user_id"] == user));
    assert!(rows.iter().all(|r| r["user_name"].is_empty()));
    let u =
        investigate("user", &["--input", input.to_str().unwrap(), "--user", &user, "--pseudonymize-key", k], &b.out());
    u.assert_ok();
    assert_eq!(u.csv("user_activity.csv")[0]["patient_id"], patient);
    for f in ["patient_access.csv", "patient_access.html", "user_activity.csv", "user_activity.html"] {
        let text = std::fs::read_to_string(b.out().join(f)).expect(f);
        for planted in ["PTNT-7731", "UZEB-9", "Zebedee", "Quarterman", "Wilhelmina", "Oddbody"] {
            assert!(!text.contains(planted), "{f} shows {planted}");
        }
    }
    for run in [&run, &u] {
        assert!(!run.stdout().contains("PTNT") && !run.stdout().contains("UZEB"));
    }
    // The real id is not a token: unknown.
    let real = investigate(
        "patient",
        &["--input", input.to_str().unwrap(), "--patient", "PTNT-7731", "--pseudonymize-key", k],
        &b.out(),
    );
    assert_eq!(real.code(), 1);
}

#[test]
fn the_user_page_lists_patients_with_alert_ids_and_the_state_gives_what_the_bundle_gives() {
    let tmp = tempfile::tempdir().expect("tmp");
    let input = sample();
    let input = input.to_str().unwrap();
    let (detect_out, state) = (tmp.path().join("detect"), tmp.path().join("state"));
    let d = binary()
        .args(["detect", "--quiet", "--input", input, "--out"])
        .arg(&detect_out)
        .arg("--state")
        .arg(&state)
        .output()
        .expect("detect");
    assert!(d.status.success(), "{}", String::from_utf8_lossy(&d.stderr));
    // The sample's self-lookup incident: U10358 opens P1000374.
    let alerts = detect_out.join("alerts.csv");
    let run = investigate(
        "user",
        &[
            "--input",
            input,
            "--user",
            "U10358",
            "--from",
            "2026-10-10",
            "--to",
            "2026-10-20",
            "--alerts",
            alerts.to_str().unwrap(),
        ],
        &tmp.path().join("u"),
    );
    run.assert_ok();
    let rows = run.csv("user_activity.csv");
    let expected = sample_rows_for_user("U10358", "2026-10-10", "2026-10-20");
    assert_eq!(rows.len(), expected.len(), "one row per distinct patient");
    let own = rows.iter().find(|r| r["patient_id"] == "P1000374").expect("the incident patient");
    assert!(!own["alert_ids"].is_empty(), "the incident's alerts are listed: {own:?}");
    assert_eq!(rows[0]["patient_id"], "P1000374", "the unexplained patient comes first");
    assert_eq!(own["explanation"], "unexplained");
    let page = run.read("user_activity.html");
    assert!(
        page.contains("<svg") && page.contains("usual hours") && page.contains("peer median"),
        "heat map and peers"
    );
    assert!(page.contains("first seen"));
    // The state folder with the bundle gives the bundle's patient page.
    let a = investigate("patient", &["--input", input, "--patient", "P1000374"], &tmp.path().join("a"));
    let s = investigate(
        "patient",
        &["--state", state.to_str().unwrap(), "--input", input, "--patient", "P1000374"],
        &tmp.path().join("s"),
    );
    a.assert_ok();
    s.assert_ok();
    assert_eq!(a.read("patient_access.csv"), s.read("patient_access.csv"));
    // The state alone has the events but no encounters: same rows.
    let alone =
        investigate("patient", &["--state", state.to_str().unwrap(), "--patient", "P1000374"], &tmp.path().join("o"));
    alone.assert_ok();
    assert_eq!(alone.csv("patient_access.csv").len(), a.csv("patient_access.csv").len());
    let not_state = investigate("patient", &["--state", input, "--patient", "P1000374"], &tmp.path().join("n"));
    assert_eq!(not_state.code(), 1, "{}", not_state.stderr());
    // report.html links each case to the command that investigates its user.
    let report = std::fs::read_to_string(detect_out.join("report.html")).expect("report");
    assert!(report.contains("ehrwatch investigate user --input BUNDLE --user U"), "the command line is in the report");
}

fn sample_rows_for_user(user: &str, from: &str, to: &str) -> BTreeSet<String> {
    sample_rows()
        .into_iter()
        .filter(|(t, u, p)| u == user && !p.is_empty() && &t[..10] >= from && &t[..10] <= to)
        .map(|(_, _, p)| p)
        .collect()
}

/// The ids of the simulated world's patients to investigate: the busiest,
/// a middling and a quiet one (as above), and every incident patient of
/// labels.csv (accesses without a care link: the users' other rows are
/// read too).
fn index_picks(bundle: &Path) -> Vec<String> {
    let data = ehrwatch::ingest::read_bundle(bundle, chrono_tz::Tz::UTC, &ehrwatch::progress::Progress::hidden())
        .expect("read");
    let mut per_patient: BTreeMap<u32, usize> = BTreeMap::new();
    for &pt in data.events.patient.iter().filter(|&&pt| pt != ehrwatch::model::NONE) {
        *per_patient.entry(pt).or_insert(0) += 1;
    }
    let mut busy: Vec<(usize, u32)> = per_patient.iter().map(|(p, n)| (*n, *p)).collect();
    busy.sort_unstable_by(|a, b| b.cmp(a));
    let mut picks: BTreeSet<String> = [busy[0], busy[busy.len() / 2], busy[busy.len() - 1]]
        .iter()
        .map(|(_, c)| data.dict.patients.name(*c).to_string())
        .collect();
    let labels = csv::Reader::from_path(bundle.join("labels.csv")).expect("labels").into_records();
    for rec in labels.map(|r| r.expect("label")) {
        if data.dict.patients.get(&rec[3]).is_some() {
            picks.insert(rec[3].to_string());
        }
    }
    picks.into_iter().collect()
}

fn index(bundle: &Path, extra: &[&str]) -> std::process::Output {
    binary().arg("index").arg("--input").arg(bundle).args(extra).output().expect("binary runs")
}

#[test]
fn the_row_index_gives_what_a_full_scan_gives_is_owner_only_and_a_stale_one_is_not_used() {
    let tmp = tempfile::tempdir().expect("tmp");
    let bundle = tmp.path().join("world");
    crate::env::parquet_world(&bundle, 200, 2000, 8, 5, 14);
    let built = index(&bundle, &[]);
    assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
    let dir = bundle.join(".ehrwatch-index");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700, "the index folder is owner-only");
        for f in std::fs::read_dir(&dir).expect("index").flatten() {
            assert_eq!(mode(&f.path()), 0o600, "{}", f.path().display());
        }
    }
    // The copies hold the access log's columns and where each row was;
    // nothing of the users or patients tables (no names).
    let files: Vec<PathBuf> = std::fs::read_dir(&dir).expect("index").flatten().map(|f| f.path()).collect();
    assert_eq!(files.len(), 6, "manifest, two copies with their keys, and the learned facts: {files:?}");
    for f in files.iter().filter(|f| f.to_string_lossy().ends_with(".parquet")) {
        use polars::prelude::*;
        let df = ParquetReader::new(std::fs::File::open(f).expect("open")).finish().expect("parquet");
        let names: Vec<String> = df.get_column_names().iter().map(|n| n.to_string()).collect();
        // The contract's columns up to break_glass (no reason text, no
        // event id), and the index's own.
        let allowed: Vec<&str> = ehrwatch::model::ACCESS_LOG_COLUMNS[..9]
            .iter()
            .copied()
            .chain(["__file", "__row", "id", "start", "rows"])
            .collect();
        assert_eq!(ehrwatch::model::ACCESS_LOG_COLUMNS[8], "break_glass");
        assert!(names.iter().all(|n| allowed.contains(&n.as_str())), "{}: {names:?}", f.display());
    }
    let names: Vec<String> = {
        let mut r = csv::Reader::from_path(bundle.join("patients.csv")).expect("patients");
        let h = r.headers().expect("header").clone();
        let last = h.iter().position(|c| c == "last_name").expect("last_name");
        r.records().map(|x| x.expect("row")[last].to_string()).filter(|n| n.len() > 3).take(200).collect()
    };
    let manifest = std::fs::read_to_string(dir.join("manifest.json")).expect("manifest");
    assert!(names.iter().all(|n| !manifest.contains(n.as_str())), "no names in the manifest");
    let learned = std::fs::read_to_string(dir.join("learned.json")).expect("learned classes and care teams");
    assert!(names.iter().all(|n| !learned.contains(n.as_str())), "no names in the learned facts");
    assert!(!learned.contains("\"P1"), "no patient ids in the learned facts");

    let picks = index_picks(&bundle);
    assert!(picks.len() >= 5, "{picks:?}");
    for id in &picks {
        let (a, b) = (tmp.path().join(format!("i-{id}")), tmp.path().join(format!("f-{id}")));
        let args = ["--input", bundle.to_str().unwrap(), "--patient", id];
        let indexed = investigate("patient", &args, &a);
        indexed.assert_ok();
        let page = indexed.read("patient_access.html");
        assert!(page.contains("fetched from the row index"), "{id}: the index is used");
        assert!(page.contains(KEPT_NOTE), "{id}: with the learned facts");
        let full = investigate("patient", &[&args[..], &["--full-scan"]].concat(), &b);
        full.assert_ok();
        assert_eq!(
            indexed.read("patient_access.csv"),
            full.read("patient_access.csv"),
            "{id}: read through the index, the patient's accesses are explained as over the whole log"
        );
    }
    // Other explanation settings than the facts were learned with: they
    // are not used (the other rows needed are read), and the output still
    // equals the whole log's under those settings.
    let toml = tmp.path().join("other.toml");
    std::fs::write(&toml, "[explain]\ngroup_min_share = 0.05\ngroup_min_shared_patients = 3\n").expect("toml");
    let mut other_more = 0;
    for id in &picks {
        let args = ["--input", bundle.to_str().unwrap(), "--patient", id, "--config", toml.to_str().unwrap()];
        let indexed = investigate("patient", &args, &tmp.path().join(format!("o-{id}")));
        indexed.assert_ok();
        let page = indexed.read("patient_access.html");
        assert!(!page.contains(KEPT_NOTE), "{id}: facts of other settings are not used");
        assert!(page.contains("are not kept beside the row index for this build, these settings"), "{id}: said");
        other_more += usize::from(page.contains("whose explanation needs their other work"));
        let full =
            investigate("patient", &[&args[..], &["--full-scan"]].concat(), &tmp.path().join(format!("of-{id}")));
        full.assert_ok();
        assert_eq!(indexed.read("patient_access.csv"), full.read("patient_access.csv"), "{id}, other settings");
    }
    assert!(other_more > 0);

    // A file touched since the build: the index is not used, and says so.
    let log: Vec<PathBuf> = {
        let mut v: Vec<PathBuf> =
            std::fs::read_dir(bundle.join("access_log")).expect("log").flatten().map(|f| f.path()).collect();
        v.sort();
        v
    };
    let f = std::fs::File::options().write(true).open(&log[3]).expect("open");
    f.set_modified(std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000)).expect("mtime");
    drop(f);
    let id = &picks[0];
    let args = ["--input", bundle.to_str().unwrap(), "--patient", id];
    let stale = investigate("patient", &args, &tmp.path().join("stale"));
    stale.assert_ok();
    let page = stale.read("patient_access.html");
    assert!(page.contains("was not used") && page.contains("changed since the index was built"), "stale is said");
    assert!(!page.contains("fetched from the row index"));
    // A day removed: the index no longer lists the log's files.
    std::fs::remove_file(&log[5]).expect("rm");
    let fewer = investigate("patient", &args, &tmp.path().join("fewer"));
    fewer.assert_ok();
    assert!(fewer.read("patient_access.html").contains("the access log has 7 files, the index 8"));
    let full = investigate("patient", &[&args[..], &["--full-scan"]].concat(), &tmp.path().join("fewer-full"));
    assert_eq!(fewer.read("patient_access.csv"), full.read("patient_access.csv"));
    // Rebuilt, it is used again and still agrees.
    let rebuilt = index(&bundle, &[]);
    assert!(rebuilt.status.success());
    assert_eq!(std::fs::read_dir(&dir).expect("index").count(), 6, "the earlier build's files are removed");
    let again = investigate("patient", &args, &tmp.path().join("again"));
    again.assert_ok();
    assert!(again.read("patient_access.html").contains("fetched from the row index"));
    assert_eq!(again.read("patient_access.csv"), full.read("patient_access.csv"));
    // A copy removed behind the manifest's back: the log is scanned.
    for f in std::fs::read_dir(&dir).expect("index").flatten() {
        let name = f.file_name().to_string_lossy().into_owned();
        if name.starts_with("by_patient-") && !name.contains(".keys.") {
            std::fs::remove_file(f.path()).expect("rm");
        }
    }
    let broken = investigate("patient", &args, &tmp.path().join("broken"));
    broken.assert_ok();
    assert!(broken.read("patient_access.html").contains("could not be read"));
    assert_eq!(broken.read("patient_access.csv"), full.read("patient_access.csv"));
}

#[test]
fn a_csv_log_is_not_indexed_and_the_message_says_why() {
    let out = index(&sample(), &["--out", tempfile::tempdir().expect("tmp").path().join("ix").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("only Parquet access logs are indexed"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// Simulates a real-mode world (HR job titles, some of which name no role
/// class, so classes are learned from work) as daily Parquet files.
fn real_world(bundle: &Path, users: usize, patients: usize, days: u32, seed: u64) {
    use ehrwatch::simulate::{simulate, BundleFormat, Realism, SimulateParams};
    let mut p = SimulateParams::new(bundle);
    (p.users, p.patients, p.days, p.seed, p.incidents) = (users, patients, days, seed, 14);
    p.format = BundleFormat::Parquet;
    p.realism = Realism::Real;
    simulate(&p).expect("simulate");
}

/// The note of a page explained from the patient's rows and the facts
/// kept beside the index, with the count of the log's rows read.
const KEPT_NOTE: &str = "Explained from this patient&#39;s accesses alone, with each user&#39;s role class learned from their work and their care-team collaborators as ehrwatch index learned them from the whole log";

/// With the role classes and care teams `ehrwatch index` learned from the
/// whole log kept beside the row index, `investigate patient` reads the
/// patient's rows and nothing else of the log, and its patient_access.csv
/// is byte for byte `--full-scan`'s: for the busiest patients, the hubs
/// (more than 60 users), every incident patient, and the patients of every
/// user whose job title names no class (their class is learned from their
/// work, or stays unlearned). Kept facts that no longer match (a context
/// table changed, a damaged file) are not used, the page says so, and the
/// output still equals the whole log's.
#[test]
fn through_the_index_only_the_patients_rows_are_read_and_each_equals_a_full_scan() {
    let tmp = tempfile::tempdir().expect("tmp");
    let bundle = tmp.path().join("world");
    real_world(&bundle, 300, 2500, 20, 7);
    let built = index(&bundle, &[]);
    assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
    let kept: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(bundle.join(".ehrwatch-index").join(ehrwatch::investigate::LEARNED_FILE))
            .expect("learned.json"),
    )
    .expect("json");
    let kept_users: Vec<&str> = kept["users"].as_array().expect("users").iter().filter_map(|u| u.as_str()).collect();
    let learned: Vec<&str> = kept["classes"]
        .as_array()
        .expect("classes")
        .iter()
        .filter_map(|c| kept_users.get(c[0].as_u64()? as usize).copied())
        .collect();
    assert!(!learned.is_empty(), "the world has users whose class is learned from their work");
    assert!(kept["teams"].as_array().is_some_and(|t| !t.is_empty()), "and care teams");

    let data = ehrwatch::ingest::read_bundle(&bundle, chrono_tz::Tz::UTC, &ehrwatch::progress::Progress::hidden())
        .expect("read");
    let ev = &data.events;
    let book = ehrwatch::roles::RoleBook::from_titles(
        data.roster.as_ref(),
        &ehrwatch::config::Config::default().explain.titles,
    );
    let mut rows_of: BTreeMap<u32, usize> = BTreeMap::new();
    let mut users_of: BTreeMap<u32, BTreeSet<u32>> = BTreeMap::new();
    let mut by_user: BTreeMap<u32, BTreeMap<u32, usize>> = BTreeMap::new();
    for i in (0..ev.len()).filter(|&i| ev.patient[i] != ehrwatch::model::NONE) {
        *rows_of.entry(ev.patient[i]).or_insert(0) += 1;
        users_of.entry(ev.patient[i]).or_default().insert(ev.user[i]);
        *by_user.entry(ev.user[i]).or_default().entry(ev.patient[i]).or_insert(0) += 1;
    }
    let name = |p: u32| data.dict.patients.name(p).to_string();
    let mut busy: Vec<(usize, u32)> = rows_of.iter().map(|(p, n)| (*n, *p)).collect();
    busy.sort_unstable_by(|a, b| b.cmp(a));
    let mut picks: BTreeSet<String> = busy.iter().take(3).map(|(_, p)| name(*p)).collect();
    let hubs: Vec<String> = users_of.iter().filter(|(_, u)| u.len() > 60).map(|(p, _)| name(*p)).take(3).collect();
    assert!(!hubs.is_empty(), "the world has hub patients");
    picks.extend(hubs);
    picks.extend(index_picks(&bundle));
    // The two most-opened patients of every user whose title names no class.
    let unclassed: Vec<u32> = by_user.keys().copied().filter(|&u| book.class(u).is_none()).collect();
    assert!(unclassed.len() > learned.len(), "some unclassed users stay unlearned");
    for u in &unclassed {
        let mut theirs: Vec<(usize, u32)> = by_user[u].iter().map(|(p, n)| (*n, *p)).collect();
        theirs.sort_unstable_by(|a, b| b.cmp(a));
        picks.extend(theirs.iter().take(2).map(|(_, p)| name(*p)));
    }
    assert!(picks.len() >= 20, "{} picks", picks.len());
    for id in &picks {
        let code = data.dict.patients.get(id).expect("a patient of the log");
        let args = ["--input", bundle.to_str().unwrap(), "--patient", id];
        let indexed = investigate("patient", &args, &tmp.path().join(format!("k-{id}")));
        indexed.assert_ok();
        let page = indexed.read("patient_access.html");
        assert!(page.contains(KEPT_NOTE), "{id}: the kept facts are used");
        let n = rows_of[&code];
        assert!(page.contains(&format!("; {n} events of the log were read")), "{id}: only the patient's {n} rows read");
        let full = investigate("patient", &[&args[..], &["--full-scan"]].concat(), &tmp.path().join(format!("f-{id}")));
        full.assert_ok();
        assert_eq!(indexed.csv("patient_access.csv").len(), n, "{id}");
        let (a, b) = (indexed.read("patient_access.csv"), full.read("patient_access.csv"));
        let differ = a.lines().zip(b.lines()).filter(|(x, y)| x != y).count();
        assert!(a == b, "{id}: {differ} of {n} rows differ from the whole log's explanation");
    }
    // The patients opened by a user whose class is learned are among the picks.
    let learned_codes: Vec<u32> = learned.iter().filter_map(|u| data.dict.users.get(u)).collect();
    assert!(learned_codes.iter().all(|u| by_user[u].keys().any(|p| picks.contains(&name(*p)))));

    // A context table changed since the facts were learned: they are not
    // used, the page says so, the other rows are read, and the output is
    // still the whole log's.
    let id = &busy.iter().map(|(_, p)| name(*p)).find(|p| picks.contains(p)).expect("busiest");
    let args = ["--input", bundle.to_str().unwrap(), "--patient", id];
    let users = std::fs::File::options().write(true).open(bundle.join("users.csv")).expect("users");
    users
        .set_modified(std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000))
        .expect("mtime");
    drop(users);
    let stale = investigate("patient", &args, &tmp.path().join("stale"));
    stale.assert_ok();
    let page = stale.read("patient_access.html");
    assert!(page.contains("fetched from the row index"), "the row index itself still matches the log");
    assert!(!page.contains(KEPT_NOTE), "stale facts are not used");
    assert!(page.contains("are not kept beside the row index for this build"), "and the page says so");
    let full = investigate("patient", &[&args[..], &["--full-scan"]].concat(), &tmp.path().join("stale-full"));
    assert_eq!(stale.read("patient_access.csv"), full.read("patient_access.csv"));
    // Learned again, they are used again.
    assert!(index(&bundle, &[]).status.success());
    let again = investigate("patient", &args, &tmp.path().join("again"));
    assert!(again.read("patient_access.html").contains(KEPT_NOTE));
    assert_eq!(again.read("patient_access.csv"), full.read("patient_access.csv"));
    // A damaged file is not used either.
    let path = bundle.join(".ehrwatch-index").join(ehrwatch::investigate::LEARNED_FILE);
    let text = std::fs::read_to_string(&path).expect("learned.json");
    std::fs::write(&path, &text[..text.len() / 2]).expect("truncate");
    let damaged = investigate("patient", &args, &tmp.path().join("damaged"));
    damaged.assert_ok();
    assert!(!damaged.read("patient_access.html").contains(KEPT_NOTE));
    assert_eq!(damaged.read("patient_access.csv"), full.read("patient_access.csv"));
    // A context table kept as a folder of files: a file changed inside it
    // makes the facts stale too.
    std::fs::create_dir(bundle.join("encounters")).expect("mkdir");
    std::fs::rename(bundle.join("encounters.csv"), bundle.join("encounters/all.csv")).expect("move");
    assert!(index(&bundle, &[]).status.success());
    let folder = investigate("patient", &args, &tmp.path().join("folder"));
    assert!(folder.read("patient_access.html").contains(KEPT_NOTE), "learned again with the folder");
    assert_eq!(folder.read("patient_access.csv"), full.read("patient_access.csv"));
    let inside = std::fs::File::options().write(true).open(bundle.join("encounters/all.csv")).expect("open");
    inside
        .set_modified(std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000))
        .expect("mtime");
    drop(inside);
    let touched = investigate("patient", &args, &tmp.path().join("touched"));
    touched.assert_ok();
    assert!(!touched.read("patient_access.html").contains(KEPT_NOTE), "a table's file changed: not used");
    assert_eq!(touched.read("patient_access.csv"), full.read("patient_access.csv"));
}
