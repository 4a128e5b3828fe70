//! Property tests (proptest): arbitrary mixes of good and bad access-log
//! rows, in one or several files, plain or gzip, in memory or partitioned.
//! Whatever the mix, the run completes and every row read is scored or
//! rejected: `events_read = events_scored + events_rejected`, and every
//! line of the files is a row read.
//!
//! The cases are few (each runs the binary) but proptest shrinks a failing
//! mix to a small one; the seed is fixed so runs are repeatable
//! (`PROPTEST_CASES` raises the count).

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use crate::env::Bundle;

/// One access-log row of the four-column header
/// `timestamp,user_id,patient_id,action`, as bytes (no newline).
#[derive(Debug, Clone)]
enum Line {
    /// A row of the shared hospital's users and patients.
    Good { who: usize, day: u8, hour: u8, minute: u8, action: &'static str },
    /// A timestamp that is no timestamp (any text without a comma, quote
    /// or newline).
    BadTimestamp(String),
    /// A timestamp outside the plausible range.
    OutOfRange(u16),
    /// An empty required cell (user or patient).
    MissingCell(bool),
    /// Too few or too many cells.
    CellCount(usize),
    /// An action that is no action: kept as `other`, not rejected.
    OddAction(String),
    /// Latin-1 bytes (not UTF-8) in a cell.
    Latin1,
}

fn cell_text() -> impl Strategy<Value = String> {
    // Any characters but the CSV's own separators and quotes.
    "[^,\"\r\n]{0,24}"
}

fn line() -> impl Strategy<Value = Line> {
    prop_oneof![
        4 => (0usize..3, 20u8..29, 0u8..24, 0u8..60, prop::sample::select(vec!["view", "print", "VIEW", "export"]))
            .prop_map(|(who, day, hour, minute, action)| Line::Good { who, day, hour, minute, action }),
        1 => cell_text().prop_map(Line::BadTimestamp),
        1 => prop::sample::select(vec![0u16, 1, 1899, 2100, 9999]).prop_map(Line::OutOfRange),
        1 => any::<bool>().prop_map(Line::MissingCell),
        1 => prop::sample::select(vec![1usize, 2, 3, 5, 9]).prop_map(Line::CellCount),
        1 => "[a-z][a-z ]{0,12}".prop_map(Line::OddAction),
        1 => Just(Line::Latin1),
    ]
}

impl Line {
    fn bytes(&self) -> Vec<u8> {
        const WHO: [(&str, &str); 3] = [("d1", "P2"), ("n1", "P1"), ("x1", "P4")];
        match self {
            Line::Good { who, day, hour, minute, action } => {
                let (u, p) = WHO[*who];
                format!("2026-11-{day:02} {hour:02}:{minute:02}:00,{u},{p},{action}").into_bytes()
            }
            Line::BadTimestamp(t) => format!("{t},d1,P2,view").into_bytes(),
            Line::OutOfRange(year) => format!("{year:04}-06-01 08:00:00,d1,P2,view").into_bytes(),
            Line::MissingCell(user) => {
                if *user { "2026-11-27 08:00:00,,P2,view" } else { "2026-11-27 08:00:00,d1,,view" }.as_bytes().to_vec()
            }
            Line::CellCount(n) => {
                let cells = ["2026-11-27 08:00:00", "d1", "P2", "view", "x", "y", "z", "w", "v"];
                cells[..*n].join(",").into_bytes()
            }
            Line::OddAction(a) => format!("2026-11-27 08:00:00,d1,P2,{a}").into_bytes(),
            Line::Latin1 => b"2026-11-27 08:00:00,d1,P2,view \xe9t\xe9".to_vec(),
        }
    }
}

/// One case: the files of the access log (each a list of rows), whether
/// they are gzip-compressed, and whether the run is partitioned.
fn case() -> impl Strategy<Value = (Vec<Vec<Line>>, bool, bool)> {
    (prop::collection::vec(prop::collection::vec(line(), 0..40), 1..4), any::<bool>(), any::<bool>())
}

fn check(files: &[Vec<Line>], gzip: bool, partitioned: bool) -> Result<(), TestCaseError> {
    let b = Bundle::hospital();
    let dir = b.path("access_log");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let mut rows = 0u64;
    for (i, lines) in files.iter().enumerate() {
        let mut text = b"timestamp,user_id,patient_id,action\n".to_vec();
        for l in lines {
            text.extend(l.bytes());
            text.push(b'\n');
        }
        rows += lines.len() as u64;
        if gzip {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            std::io::Write::write_all(&mut enc, &text).expect("gz");
            std::fs::write(dir.join(format!("2026-11-{:02}.csv.gz", 20 + i)), enc.finish().expect("gz"))
                .expect("write");
        } else {
            std::fs::write(dir.join(format!("2026-11-{:02}.csv", 20 + i)), text).expect("write");
        }
    }
    let partition = if partitioned { "1" } else { "0" };
    let run = b.detect(&["--quiet", "--max-reject-share", "1", "--partition-events", partition]);
    prop_assert_eq!(run.code(), 0, "{}", run.stderr());
    let s = run.summary();
    let n = |k: &str| s[k].as_u64().unwrap_or(u64::MAX);
    prop_assert_eq!(n("events_read"), n("events_scored") + n("events_rejected"), "{}", s);
    // Files with the same bytes (two empty ones) are read once.
    let distinct: std::collections::BTreeSet<Vec<u8>> =
        files.iter().map(|f| f.iter().flat_map(|l| [l.bytes(), b"\n".to_vec()].concat()).collect()).collect();
    if distinct.len() == files.len() {
        prop_assert_eq!(n("events_read"), rows, "every line is a row read: {}", s);
        let count = |f: &dyn Fn(&Line) -> bool| files.iter().flatten().filter(|l| f(l)).count() as u64;
        let good = count(&|l| matches!(l, Line::Good { .. }));
        let bad = count(&|l| {
            matches!(l, Line::OutOfRange(_) | Line::MissingCell(_)) || matches!(l, Line::CellCount(c) if *c != 4)
        });
        prop_assert!(n("events_scored") >= good, "every good row is scored: {}", s);
        prop_assert!(n("events_rejected") >= bad, "every certainly bad row is rejected: {}", s);
    }
    Ok(())
}

#[test]
fn every_row_read_is_scored_or_rejected_for_arbitrary_mixes() {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(24);
    let config = Config { cases, failure_persistence: None, ..Config::default() };
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]);
    let mut runner = TestRunner::new_with_rng(config, rng);
    runner
        .run(&case(), |(files, gzip, partitioned)| check(&files, gzip, partitioned))
        .unwrap_or_else(|e| panic!("{e}"));
}

// ---------------------------------------------------------------------------
// The fuzz targets' entry points (fuzz/fuzz_targets), as proptest property
// tests: what runs when cargo-fuzz cannot (it needs nightly features and an
// instrumented build of every dependency). Arbitrary bytes, and text made
// of each format's own pieces, must never panic.

fn runner(default_cases: u32, seed: u8) -> TestRunner {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(default_cases);
    let config = Config { cases, failure_persistence: None, ..Config::default() };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]))
}

/// Text made of a format's pieces, with arbitrary characters between.
fn pieces(parts: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::collection::vec(prop_oneof![3 => prop::sample::select(parts).prop_map(str::to_string), 1 => ".{0,6}"], 0..40)
        .prop_map(|v| v.concat())
}

#[test]
fn timestamp_parsing_and_formatting_never_panic_and_round_trip() {
    use ehrwatch::time::{format_local_date, parse_date, parse_timestamp, ZoneCache, MICROS_PER_SEC};
    let tz = ehrwatch::config::parse_timezone("America/Chicago").expect("zone");
    let text = prop_oneof![
        ".{0,32}",
        "[0-9]{4}-[0-9]{2}-[0-9]{2}[ Tt][0-9]{2}:[0-9]{2}:[0-9]{2}([.,][0-9]{0,9})?(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)?",
    ];
    runner(20_000, 11)
        .run(&text, |s| {
            let _ = parse_date(&s);
            if let Ok(ts) = parse_timestamp(&s) {
                let mut zone = ZoneCache::new(tz);
                let utc = zone.resolve(ts);
                let _ = format_local_date(zone.to_local(utc));
                let from_1900 = -2_208_988_800 * MICROS_PER_SEC;
                let before_9999 = 253_402_128_000 * MICROS_PER_SEC; // 9999-12-30
                if (from_1900..before_9999).contains(&utc) {
                    let shown = zone.format_local(utc);
                    let back = parse_timestamp(&shown).map(|t| zone.resolve(t));
                    prop_assert_eq!(back, Ok(utc.div_euclid(MICROS_PER_SEC) * MICROS_PER_SEC), "{}", shown);
                }
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn the_config_loader_never_panics_and_its_errors_are_one_line() {
    let text = prop_oneof![
        ".{0,64}",
        pieces(&[
            "[input]\n",
            "[rules.vip_access]\n",
            "[roles.titles]\n",
            "[names]\n",
            "[score]\n",
            "[explain]\n",
            "enabled = false\n",
            "max_reject_share = ",
            "min_year = ",
            "timezone = \"",
            "America/Chicago",
            "\"\n",
            "1.5\n",
            "-1\n",
            "1e308\n",
            "nan\n",
            "\"x\" = \"nurse\"\n",
            "[[",
            "]]\n",
            "= [1, \"a\"]\n",
            "{ a = 1 }\n",
        ]),
    ];
    runner(5_000, 12)
        .run(&text, |t| {
            if let Err(e) = ehrwatch::Config::parse(&t, std::path::Path::new("ehrwatch.toml")) {
                prop_assert!(!e.to_string().contains('\n'), "{:?}", e.to_string());
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
}

/// Runs `ehrwatch import --from <format>` (the library call) on one file.
fn import_once(format: ehrwatch::import::Format, name: &str, body: &[u8]) -> Result<(), TestCaseError> {
    use ehrwatch::import::{run_import, ImportRequest};
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join(name);
    std::fs::write(&input, body).expect("write");
    let req = ImportRequest::new(format, vec![input], dir.path().join("out"));
    if let Ok(s) = run_import(&req, &ehrwatch::progress::Progress::hidden()) {
        for c in &s.inputs {
            prop_assert_eq!(c.rows_read, c.rows_converted + c.rows_rejected);
        }
    }
    Ok(())
}

#[test]
fn the_fhir_reader_never_panics() {
    use ehrwatch::import::Format;
    let body = prop_oneof![
        ".{0,64}",
        pieces(&[
            "{\"resourceType\":\"AuditEvent\",",
            "\"recorded\":\"2026-11-28T08:00:00Z\",",
            "\"recorded\":\"9999-99\",",
            "\"agent\":[{\"who\":{\"identifier\":{\"value\":\"u1\"}},\"requestor\":true}],",
            "\"entity\":[{\"what\":{\"reference\":\"Patient/p1\"}}],",
            "\"action\":\"R\",",
            "\"type\":{\"code\":\"rest\"},",
            "\"subtype\":[{\"code\":\"read\"}],",
            "\"period\":{\"start\":\"x\"},",
            "}",
            "{",
            "[",
            "]",
            ",",
            "\n",
            "{\"resourceType\":\"Bundle\",\"entry\":[{\"resource\":",
            "null",
            "\"\\u0000\"",
            "1e999",
        ]),
    ];
    runner(300, 13)
        .run(&(body, any::<bool>()), |(b, ndjson)| {
            import_once(Format::Fhir, if ndjson { "in.ndjson" } else { "in.json" }, b.as_bytes())?;
            let mut zone = ehrwatch::time::ZoneCache::new(chrono_tz::UTC);
            let _ = ehrwatch::import::fhir::convert_json(&b, &mut zone);
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn the_epic_and_openemr_readers_never_panic() {
    use ehrwatch::import::Format;
    let epic = pieces(&[
        "ACCESS_TIME,USER_ID,WORKSTATION_ID,METRIC_NAME,PAT_ID,CSN,ACCESS_ACTION_C,DEPARTMENT_ID,IP_ADDRESS\n",
        "ACCESS_TIME\tUSER_ID\tMETRIC_ID\tPAT_ID\n",
        "2026-11-28 08:00:00",
        "11/28/2026 8:00:00 AM",
        ",",
        "\t",
        "\n",
        "u1",
        "P1",
        "Chart Review",
        "Print Report",
        "\"",
        "\"\"",
        "9999-12-31 23:59:59",
        "0000-00-00 00:00:00",
    ]);
    let openemr = pieces(&[
        "id,date,event,category,user,groupname,comments,patient_id,success\n",
        "2026-11-28 08:00:00",
        "patient-record-select",
        "login",
        "Patient Demographics",
        "admin",
        "Default",
        ",",
        "\n",
        "\t",
        "\"",
        "1",
        "0",
        "-1",
        "18446744073709551616",
    ]);
    let body =
        prop_oneof![".{0,64}".prop_map(|s| (true, s)), epic.prop_map(|s| (true, s)), openemr.prop_map(|s| (false, s))];
    runner(300, 14)
        .run(&body, |(as_epic, b)| {
            import_once(if as_epic { Format::Epic } else { Format::Openemr }, "in.csv", b.as_bytes())?;
            import_once(if as_epic { Format::Openemr } else { Format::Epic }, "in.csv", b.as_bytes())
        })
        .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn csv_rows_of_arbitrary_bytes_are_read_or_rejected_never_a_panic() {
    let header = "timestamp,user_id,patient_id,action,data_category,break_glass,event_id\n";
    let body = prop::collection::vec(
        prop_oneof![
            2 => prop::collection::vec(any::<u8>(), 0..48),
            3 => pieces(&[
                "2026-11-28 08:00:00", "2026-11-28T08:00:00-06:00", ",", "\"", "\n", "\r\n", "d1", "P2", "view",
                "true", "maybe", "notes", "\u{e9}",
            ])
            .prop_map(String::into_bytes),
        ],
        0..12,
    );
    runner(200, 15)
        .run(&body, |chunks| {
            let dir = tempfile::tempdir().expect("tempdir");
            let mut text = header.as_bytes().to_vec();
            text.extend(chunks.concat());
            std::fs::write(dir.path().join("access_log.csv"), &text).expect("write");
            let read =
                ehrwatch::ingest::read_bundle(dir.path(), chrono_tz::UTC, &ehrwatch::progress::Progress::hidden());
            if let Ok(read) = read {
                let r = &read.report;
                prop_assert_eq!(r.events_read, r.events_accepted + r.events_rejected);
                prop_assert_eq!(r.events_accepted, read.events.len() as u64);
                prop_assert_eq!(read.rejects.count("access_log"), r.events_rejected);
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
}
