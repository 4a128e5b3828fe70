//! `detect --state`: the incremental nightly mode. A night fed on top of the
//! state gives what a full run over the same days gives for that night;
//! reruns, failures, locks, retention and empty nights behave.

use std::path::{Path, PathBuf};

use crate::env::{binary, Run};

/// A simulated hospital over eight days (crossing the end of daylight
/// saving time on 2026-11-01), written as one Parquet file per day.
struct World {
    tmp: tempfile::TempDir,
}

const DAYS: [&str; 8] =
    ["2026-10-28", "2026-10-29", "2026-10-30", "2026-10-31", "2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04"];

impl World {
    fn new() -> World {
        let tmp = tempfile::tempdir().unwrap();
        let o = binary()
            .args(["simulate", "-q", "--users", "80", "--patients", "600", "--days", "8", "--incidents", "14"])
            .args(["--start-date", DAYS[0], "--timezone", "America/Chicago", "--seed", "5", "--format", "parquet"])
            .arg("--out")
            .arg(tmp.path().join("full"))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        World { tmp }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    /// A bundle with the full context tables and the access log of `days` only.
    fn bundle(&self, name: &str, days: &[&str]) -> PathBuf {
        let dir = self.path(name);
        std::fs::create_dir_all(dir.join("access_log")).unwrap();
        for t in ["users", "patients", "encounters", "patient_contacts", "care_team"] {
            std::fs::copy(self.path("full").join(format!("{t}.csv")), dir.join(format!("{t}.csv"))).unwrap();
        }
        for d in days {
            let f = format!("access_log/{d}.parquet");
            std::fs::copy(self.path("full").join(&f), dir.join(&f)).unwrap();
        }
        dir
    }

    fn detect(&self, input: &Path, out: &str, extra: &[&str]) -> Run {
        detect_chicago(input, self.path(out), extra)
    }

    fn state(&self) -> String {
        self.path("state").to_string_lossy().into_owned()
    }
}

/// `ehrwatch detect -q --timezone America/Chicago` on `input` into `out`.
fn detect_chicago(input: &Path, out: PathBuf, extra: &[&str]) -> Run {
    let output = binary()
        .args(["detect", "-q", "--timezone", "America/Chicago", "--input"])
        .arg(input)
        .arg("--out")
        .arg(&out)
        .args(extra)
        .output()
        .unwrap();
    Run { output, out }
}

/// The files whose bytes must match between an incremental and a full run.
const SAME_FILES: [&str; 4] = ["alerts.csv", "alerts.jsonl", "cases.csv", "user_features.parquet"];

fn bytes(run: &Run, name: &str) -> Vec<u8> {
    std::fs::read(run.out.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn nights_fed_one_at_a_time_give_the_alerts_of_a_full_run_over_the_same_window() {
    let w = World::new();
    let last = DAYS[7];
    let full = w.detect(&w.path("full"), "out-full", &["--from", last, "--to", last]);
    full.assert_ok();
    assert!(full.csv("alerts.csv").len() >= 2, "the last night raises alerts");

    // The state starts from the first six days, then takes two nights.
    let history = w.bundle("history", &DAYS[..6]);
    let first = w.detect(&history, "out-history", &["--state", &w.state()]);
    first.assert_ok();
    assert_eq!(first.summary()["state"]["history_events"], 0);
    for (k, day) in DAYS[6..].iter().enumerate() {
        let night = w.bundle(&format!("night-{k}"), &[day]);
        let run = w.detect(&night, &format!("out-night-{k}"), &["--state", &w.state()]);
        run.assert_ok();
        let s = run.summary();
        assert_eq!(s["window"]["from"], *day, "the window is the new day");
        assert_eq!(s["window"]["to"], *day);
        assert!(s["state"]["history_events"].as_u64().unwrap() > 0);
        assert_eq!(s["events_read"], s["events_scored"].as_u64().unwrap() + s["events_rejected"].as_u64().unwrap());
    }
    let inc = Run { output: full.output.clone(), out: w.path("out-night-1") };
    for f in SAME_FILES {
        assert!(bytes(&inc, f) == bytes(&full, f), "{f} differs between the incremental night and the full run");
    }
    let (si, sf) = (inc.summary(), full.summary());
    for k in ["patient_accesses", "explained_fraction", "explained_by", "alerts_per_rule"] {
        assert_eq!(si[k], sf[k], "summary.json {k}");
    }
    assert_eq!(si["state"]["first_day"], DAYS[0]);
    assert!(inc.read("report.html").contains("Incremental run: baselines use"));
    assert!(!full.read("report.html").contains("Incremental run"));
    assert_eq!(si["state"]["last_day"], last);

    // Without the state the same night is judged without baselines: the
    // state is what makes the results equal.
    let alone = w.detect(&w.path("night-1"), "out-alone", &[]);
    alone.assert_ok();
    assert!(bytes(&alone, "alerts.csv") != bytes(&full, "alerts.csv"));

    // Rerunning the night replaces its copy in the state: same bytes again,
    // same number of events held.
    let again = w.detect(&w.path("night-1"), "out-again", &["--state", &w.state()]);
    again.assert_ok();
    for f in SAME_FILES {
        assert!(bytes(&again, f) == bytes(&full, f), "{f} differs after a rerun of the night");
    }
    let (sa, s1) = (again.summary(), inc.summary());
    assert_eq!(sa["state"]["replaced_files"], serde_json::json!([format!("access_log/{last}.parquet")]));
    assert_eq!(sa["state"]["events_kept"], s1["state"]["events_kept"]);
    assert_eq!(sa["state"]["history_events"], s1["state"]["history_events"]);
}

#[test]
fn a_failed_night_leaves_the_state_as_it_was_and_the_rerun_succeeds() {
    let w = World::new();
    let history = w.bundle("history", &DAYS[..7]);
    w.detect(&history, "out-history", &["--state", &w.state()]).assert_ok();
    let manifest = std::fs::read_to_string(w.path("state/manifest.json")).unwrap();

    // The output folder cannot be created (a file is in the way): exit 2,
    // and the state has not moved on.
    let night = w.bundle("night", &DAYS[7..]);
    std::fs::write(w.path("blocked"), "not a folder").unwrap();
    let failed = w.detect(&night, "blocked", &["--state", &w.state()]);
    assert_eq!(failed.code(), 2, "{}", failed.stderr());
    assert_eq!(std::fs::read_to_string(w.path("state/manifest.json")).unwrap(), manifest);
    let free = ehrwatch::fs::FolderLock::try_acquire(&w.path("state"), ".lock").unwrap();
    assert!(free.is_some(), "the lock is released after a failure");
    drop(free);

    let ok = w.detect(&night, "out-night", &["--state", &w.state()]);
    ok.assert_ok();
    assert_eq!(ok.summary()["state"]["replaced_files"], serde_json::json!([]));
    assert_eq!(ok.summary()["state"]["files_kept"], 8);
    // Files the failed run staged are gone: every batch file is in the manifest.
    let manifest = std::fs::read_to_string(w.path("state/manifest.json")).unwrap();
    for entry in std::fs::read_dir(w.path("state/batches")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let prefix = name.trim_end_matches(".events.parquet").trim_end_matches(".ids.parquet");
        assert!(manifest.contains(&format!("batches/{prefix}")), "{name} is not in the manifest");
    }
    assert_eq!(std::fs::read_dir(w.path("state/batches")).unwrap().count(), 16);
}

#[test]
fn the_state_is_private_locked_and_tied_to_its_time_zone() {
    let w = World::new();
    let history = w.bundle("history", &DAYS[..4]);
    w.detect(&history, "out-history", &["--state", &w.state()]).assert_ok();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&w.path("state")), 0o700);
        assert_eq!(mode(&w.path("state/batches")), 0o700);
        assert_eq!(mode(&w.path("state/manifest.json")), 0o600);
        let files: Vec<PathBuf> =
            std::fs::read_dir(w.path("state/batches")).unwrap().map(|e| e.unwrap().path()).collect();
        assert_eq!(files.len(), 8, "two files for each of four days");
        for f in files {
            assert_eq!(mode(&f), 0o600, "{}", f.display());
        }
    }

    // A run in progress (this test process stands in for it) holds the lock.
    let held = ehrwatch::fs::FolderLock::try_acquire(&w.path("state"), ".lock").unwrap().expect("free");
    let night = w.bundle("night", &DAYS[4..5]);
    let locked = w.detect(&night, "out-locked", &["--state", &w.state()]);
    assert_eq!(locked.code(), 4);
    assert!(locked.stderr().contains("in use by another ehrwatch run"), "{}", locked.stderr());
    drop(held);

    // Another time zone would shift every day the state holds. (A child
    // process another test thread forks while the lock above is held keeps
    // the lock until it execs: under load that can outlast `drop(held)` by
    // a moment, so a run that finds the state busy is tried again.)
    let paris = || {
        binary()
            .args(["detect", "-q", "--timezone", "Europe/Paris", "--state", &w.state(), "--input"])
            .arg(&night)
            .arg("--out")
            .arg(w.path("out-paris"))
            .output()
            .unwrap()
    };
    let mut output = paris();
    for _ in 0..50 {
        if output.status.code() != Some(4) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        output = paris();
    }
    assert_eq!(output.status.code(), Some(1));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("America/Chicago") && err.contains("Europe/Paris"), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");

    // A damaged batch file is found when it is read: one line, what to do.
    let batch = std::fs::read_dir(w.path("state/batches"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".events.parquet"))
        .unwrap();
    let bytes = std::fs::read(&batch).unwrap();
    std::fs::write(&batch, &bytes[..bytes.len() / 2]).unwrap();
    let broken = w.detect(&night, "out-broken", &["--state", &w.state()]);
    assert_eq!(broken.code(), 2, "{}", broken.stderr());
    assert!(broken.stderr().contains("rebuild the state"), "{}", broken.stderr());
    assert_eq!(broken.stderr().lines().count(), 1, "{}", broken.stderr());
    std::fs::write(&batch, &bytes).unwrap();

    // A damaged manifest is refused with what to do, not a panic.
    std::fs::write(w.path("state/manifest.json"), "{ not json").unwrap();
    let damaged = w.detect(&night, "out-damaged", &["--state", &w.state()]);
    assert_eq!(damaged.code(), 2);
    assert!(damaged.stderr().contains("rebuild the state"), "{}", damaged.stderr());
    assert_eq!(damaged.stderr().lines().count(), 1, "{}", damaged.stderr());
}

#[test]
fn retention_drops_old_days_and_an_empty_night_alerts_on_nothing() {
    let w = World::new();
    let history = w.bundle("history", &DAYS[..7]);
    let run = w.detect(&history, "out-history", &["--state", &w.state(), "--state-days", "3"]);
    run.assert_ok();
    let s = run.summary();
    assert_eq!(s["state"]["first_day"], DAYS[4]);
    assert_eq!(s["state"]["last_day"], DAYS[6]);
    assert!(s["state"]["events_expired"].as_u64().unwrap() > 0);
    assert_eq!(s["state"]["retain_days"], 3);

    // A night whose file holds no events: nothing old is alerted on again.
    let empty = w.bundle("empty", &[]);
    std::fs::write(empty.join("access_log/2026-11-04.csv"), "timestamp,user_id,patient_id,action\n").unwrap();
    let quiet = w.detect(&empty, "out-empty", &["--state", &w.state(), "--state-days", "3"]);
    quiet.assert_ok();
    assert_eq!(quiet.csv("alerts.csv").len(), 0);
    let q = quiet.summary();
    assert_eq!(q["state"]["events_kept"], s["state"]["events_kept"]);
    assert_eq!(q["events_read"], 0);
}

/// A simulated hospital over seven days (2026-10-29 to 11-04, Chicago)
/// whose access log is one CSV file, cut into bundles of chosen days.
struct CsvWorld {
    tmp: tempfile::TempDir,
    header: String,
    rows: Vec<String>,
}

impl CsvWorld {
    fn new() -> CsvWorld {
        let tmp = tempfile::tempdir().unwrap();
        let sim = tmp.path().join("sim");
        let o = binary()
            .args(["simulate", "-q", "--users", "130", "--patients", "700", "--days", "7", "--incidents", "14"])
            .args(["--start-date", "2026-10-29", "--timezone", "America/Chicago", "--seed", "9", "--out"])
            .arg(&sim)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let log = std::fs::read_to_string(sim.join("access_log.csv")).unwrap();
        let (header, rows) = log.split_once('\n').unwrap();
        CsvWorld { header: header.to_string(), rows: rows.lines().map(str::to_string).collect(), tmp }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    /// A bundle of the context tables and one access_log.csv with the
    /// rows from day `from` to day `to` (UTC dates, as the log writes them).
    fn bundle(&self, name: &str, from: &str, to: &str) -> PathBuf {
        let dir = self.path(name);
        std::fs::create_dir_all(&dir).unwrap();
        for t in ["users", "patients", "encounters", "patient_contacts", "care_team"] {
            std::fs::copy(self.path("sim").join(format!("{t}.csv")), dir.join(format!("{t}.csv"))).unwrap();
        }
        let kept: Vec<&str> =
            self.rows.iter().map(String::as_str).filter(|l| &l[..10] >= from && &l[..10] <= to).collect();
        std::fs::write(dir.join("access_log.csv"), format!("{}\n{}\n", self.header, kept.join("\n"))).unwrap();
        dir
    }

    fn detect(&self, input: &Path, out: &str, extra: &[&str]) -> Run {
        detect_chicago(input, self.path(out), extra)
    }
}

#[test]
fn a_multi_day_csv_cut_by_the_retention_still_gives_the_full_runs_night() {
    // One access_log.csv for the history (as many exports come), cut by a
    // 3-day retention in its middle; then a night, compared with a full run
    // over the same 4 days.
    let w = CsvWorld::new();
    let state = w.path("state").to_string_lossy().into_owned();
    let history = w.bundle("history", "2026-10-29", "2026-11-03");
    let first = w.detect(&history, "out-history", &["--state", &state, "--state-days", "3"]);
    first.assert_ok();
    let s = first.summary();
    assert_eq!(s["state"]["first_day"], "2026-11-01");
    assert_eq!(s["state"]["files_kept"], 1);
    assert!(s["state"]["events_expired"].as_u64().unwrap() > 0);

    let night = w.bundle("night", "2026-11-04", "2026-11-04");
    let inc = w.detect(&night, "out-night", &["--state", &state, "--state-days", "4"]);
    inc.assert_ok();
    let full = w.detect(&w.bundle("full", "2026-11-01", "2026-11-04"), "out-full", &["--from", "2026-11-04"]);
    full.assert_ok();
    assert!(!full.csv("alerts.csv").is_empty());
    for f in SAME_FILES {
        assert!(bytes(&inc, f) == bytes(&full, f), "{f} differs between the incremental night and the full run");
    }
    assert_eq!(inc.summary()["state"]["first_day"], "2026-11-01");
}

/// Every file of a state folder but its lock, by name.
fn state_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = vec![("manifest.json".to_string(), std::fs::read(dir.join("manifest.json")).unwrap())];
    let mut batches: Vec<_> = std::fs::read_dir(dir.join("batches")).unwrap().map(|e| e.unwrap().path()).collect();
    batches.sort();
    for b in batches {
        files.push((b.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&b).unwrap()));
    }
    files
}

#[test]
fn a_night_over_a_spilled_history_writes_what_a_night_held_in_memory_writes() {
    // A six-day history kept whole, then a night whose 4-day retention
    // cuts the history's one batch in its middle (the night still reads
    // all of it; the state keeps the last four days), then the night again
    // (it replaces its own batch, and now reads the four days): once held
    // in memory, once spilled to disk and analysed a partition of users
    // at a time.
    let w = CsvWorld::new();
    let history = w.bundle("history", "2026-10-29", "2026-11-03");
    let night = w.bundle("night", "2026-11-04", "2026-11-04");
    let mut runs = Vec::new();
    for (name, parts) in [("memory", "0"), ("spilled", "4000")] {
        let state = w.path(&format!("state-{name}")).to_string_lossy().into_owned();
        let first =
            w.detect(&history, &format!("out-history-{name}"), &["--state", &state, "--partition-events", parts]);
        first.assert_ok();
        assert_eq!(first.summary()["state"]["events_expired"], 0);
        let mut nights = Vec::new();
        for k in 0..2 {
            let run = w.detect(
                &night,
                &format!("out-night-{name}-{k}"),
                &["--state", &state, "--state-days", "4", "--partition-events", parts],
            );
            run.assert_ok();
            nights.push((run, state_files(Path::new(&state))));
        }
        runs.push(nights);
    }
    let spilled_parts = runs[1][0].0.summary()["partitions"].as_u64().expect("the spilled night has partitions");
    assert!(spilled_parts >= 2, "{spilled_parts} partitions");
    assert!(runs[0][0].0.summary().get("partitions").is_none());
    for k in 0..2 {
        let ((memory, held_m), (spilled, held_s)) = (&runs[0][k], &runs[1][k]);
        for f in SAME_FILES {
            assert!(bytes(memory, f) == bytes(spilled, f), "night {k}: {f} differs");
        }
        let (sm, ss) = (memory.summary(), spilled.summary());
        for key in ["window", "patient_accesses", "explained_fraction", "explained_by", "alerts_per_rule", "state"] {
            let strip = |v: &serde_json::Value| {
                let mut v = v.clone();
                if let Some(o) = v.as_object_mut() {
                    o.remove("path");
                }
                v
            };
            assert_eq!(strip(&sm[key]), strip(&ss[key]), "night {k}: summary.json {key}");
        }
        assert_eq!(sm["state"]["first_day"], "2026-11-01");
        assert_eq!(held_m.len(), held_s.len());
        for ((a, x), (b, y)) in held_m.iter().zip(held_s) {
            assert_eq!(a, b);
            assert!(x == y, "night {k}: state file {a} differs");
        }
    }
    assert!(runs[0][0].0.summary()["state"]["events_expired"].as_u64().unwrap() > 0, "the retention cut the history");

    // The first night read the six days, the rerun the four the state kept.
    for (k, from) in [(0, "2026-10-29"), (1, "2026-11-01")] {
        let full = w.detect(
            &w.bundle(&format!("full-{k}"), from, "2026-11-04"),
            &format!("out-full-{k}"),
            &["--from", "2026-11-04"],
        );
        full.assert_ok();
        assert!(!full.csv("alerts.csv").is_empty());
        for f in SAME_FILES {
            assert!(bytes(&runs[1][k].0, f) == bytes(&full, f), "night {k}: {f} differs from the full run's");
        }
    }
}
