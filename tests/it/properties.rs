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
            std::fs::write(dir.join(format!("2026-11-{:02}.csv.gz", 20 + i)), enc.finish().expect("gz")).expect("write");
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
    runner.run(&case(), |(files, gzip, partitioned)| check(&files, gzip, partitioned)).unwrap_or_else(|e| panic!("{e}"));
}
