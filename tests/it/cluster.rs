//! `detect --engine ballista` (cargo feature `cluster`): a run whose
//! per-partition pass runs on an Apache DataFusion Ballista cluster must
//! write what `--engine local` writes, byte for byte, whatever the number
//! of executors and partitions, from the bundled sample and from a
//! simulated world of about a million events, in memory and spilled.

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::env::binary;

/// The outputs that must not change (summary.json carries timings).
const COMPARED: [&str; 5] = ["alerts.csv", "alerts.jsonl", "cases.csv", "user_features.parquet", "report.html"];

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample")
}

/// Runs detect, which must succeed; returns summary.json.
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
    assert!(run.status.success(), "detect {extra:?} failed: {}", String::from_utf8_lossy(&run.stderr));
    assert!(run.stdout.is_empty(), "--quiet printed: {}", String::from_utf8_lossy(&run.stdout));
    serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).expect("summary")).expect("json")
}

/// The compared outputs of `a` and `b` are the same bytes, and only
/// outputs are left in `b`.
fn assert_same(a: &Path, b: &Path, what: &str) {
    for name in COMPARED {
        let (x, y) = (std::fs::read(a.join(name)).expect(name), std::fs::read(b.join(name)).expect(name));
        assert!(x == y, "{name} differs between the local run and {what}");
    }
    let left: Vec<String> = std::fs::read_dir(b)
        .expect("out")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".ehrwatch-") && n != ".ehrwatch.lock")
        .collect();
    assert!(left.is_empty(), "{what} left {left:?}");
}

/// A local run of `bundle`, then standalone clusters of 1, 2 and 3
/// executors (with `extra` on every run), each executor reading the whole
/// log and, with `--shuffle`, the log read a slice a task and shuffled by
/// user: the same outputs.
fn same_on_standalone_clusters(bundle: &Path, dir: &Path, extra: &[&str]) -> serde_json::Value {
    let local = dir.join("local");
    let summary = detect(bundle, &local, extra);
    assert!(summary["alerts"].as_u64().unwrap_or(0) > 0, "the bundle raises alerts");
    for n in ["1", "2", "3"] {
        for mode in [&["--whole-scan"][..], &["--shuffle"][..]] {
            let out = dir.join(format!("standalone-{n}{}", mode.concat()));
            let s = detect(bundle, &out, &[&["--engine", "ballista", "--standalone", n], mode, extra].concat());
            let what = format!("a standalone cluster of {n} {mode:?}");
            assert_same(&local, &out, &what);
            for key in [
                "events_read",
                "events_rejected",
                "events_scored",
                "explained_fraction",
                "alerts",
                "cases",
                "alerts_per_rule",
            ] {
                assert_eq!(summary[key], s[key], "summary.json {key} with {what}");
            }
            let rejected = |d: &Path| std::fs::read(d.join("rejected_rows.csv")).ok();
            assert!(rejected(&local) == rejected(&out), "rejected_rows.csv differs with {what}");
        }
    }
    summary
}

#[test]
fn standalone_clusters_of_one_two_and_three_executors_write_what_a_local_run_writes_on_the_sample() {
    let dir = tempfile::tempdir().expect("tmp");
    same_on_standalone_clusters(&sample(), dir.path(), &["--timezone", "America/Chicago"]);
}

#[test]
fn one_partition_per_user_and_one_for_all_give_the_same_outputs() {
    let dir = tempfile::tempdir().expect("tmp");
    let local = dir.path().join("local");
    detect(&sample(), &local, &[]);
    for parts in ["1", "5000"] {
        for mode in [&["--whole-scan"][..], &["--shuffle"][..]] {
            let out = dir.path().join(format!("parts-{parts}{}", mode.concat()));
            let args = [&["--engine", "ballista", "--standalone", "2", "--cluster-partitions", parts], mode].concat();
            detect(&sample(), &out, &args);
            assert_same(&local, &out, &format!("{parts} cluster partitions {mode:?}"));
        }
    }
}

/// About a million events (Parquet), the size for this test.
fn million(dir: &Path) -> PathBuf {
    let bundle = dir.join("world");
    crate::env::parquet_world(&bundle, 420, 12_000, 18, 20, 20);
    bundle
}

#[test]
fn standalone_clusters_write_what_a_local_run_writes_on_a_world_of_a_million_events() {
    let dir = tempfile::tempdir().expect("tmp");
    let bundle = million(dir.path());
    let summary = same_on_standalone_clusters(&bundle, dir.path(), &[]);
    let events = summary["events_read"].as_u64().unwrap_or(0);
    assert!((800_000..1_400_000).contains(&events), "{events} events");
    // The driver spilled (partitions cut by the spill's blocks, not by
    // Cut): the executors still find the same users under the same codes.
    let spilled = dir.path().join("spilled");
    let s = detect(
        &bundle,
        &spilled,
        &["--engine", "ballista", "--standalone", "2", "--whole-scan", "--partition-events", "300000"],
    );
    assert!(s["partitions"].as_u64().unwrap_or(0) >= 3, "{}", s["partitions"]);
    assert_same(&dir.path().join("local"), &spilled, "a spilled driver on a cluster");
    // Each task reading only its users' rows of the Parquet log (the
    // driver's codes), the driver in memory and spilled.
    let split = dir.path().join("split");
    detect(&bundle, &split, &["--engine", "ballista", "--standalone", "2", "--split-scan"]);
    assert_same(&dir.path().join("local"), &split, "a scan split by user");
    let split = dir.path().join("split-spilled");
    let s = detect(
        &bundle,
        &split,
        &["--engine", "ballista", "--standalone", "3", "--split-scan", "--partition-events", "300000"],
    );
    assert!(s["partitions"].as_u64().unwrap_or(0) >= 3, "{}", s["partitions"]);
    assert_same(&dir.path().join("local"), &split, "a scan split by user from a spilled driver");
    // The log scanned a slice a task and shuffled by user, partitions
    // bounded by --partition-events: no process reads the whole log.
    let shuffled = dir.path().join("shuffled-bounded");
    let s = detect(
        &bundle,
        &shuffled,
        &["--engine", "ballista", "--standalone", "3", "--shuffle", "--partition-events", "300000"],
    );
    assert!(s["partitions"].as_u64().unwrap_or(0) >= 3, "{}", s["partitions"]);
    assert_same(&dir.path().join("local"), &shuffled, "a shuffled scan with bounded partitions");
}

#[test]
fn engine_options_are_checked() {
    let dir = tempfile::tempdir().expect("tmp");
    let run = |args: &[&str]| {
        binary()
            .arg("detect")
            .arg("--input")
            .arg(sample())
            .arg("--out")
            .arg(dir.path())
            .args(args)
            .output()
            .expect("run")
    };
    for args in [
        &["--engine", "ballista"][..],
        &["--standalone", "2"][..],
        &["--engine", "ballista", "--standalone", "2", "--state", "st"][..],
        &["--split-scan"][..],
        &["--shuffle"][..],
        &["--whole-scan"][..],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    }
    let out = run(&["--engine", "ballista", "--scheduler", "df://127.0.0.1:9"]);
    assert_eq!(out.status.code(), Some(2), "an unreachable scheduler is the environment's fault");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!dir.path().join("alerts.csv").exists());
}

/// A free loopback port (bound, then released for the child to take).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("port")
}

/// A child process killed when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(args: &[String], dir: &Path) -> Process {
    let log = std::fs::File::create(dir.join(format!("{}-{}.log", args[1], free_port()))).expect("log");
    Process(binary().args(args).stdout(Stdio::null()).stderr(log).spawn().expect("spawn"))
}

/// Waits until something listens on `port`.
fn wait_for(port: u16) {
    let until = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < until, "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A scheduler and two executors, each its own `ehrwatch cluster`
/// process on loopback, as `benches/cluster.sh` starts them.
fn processes(dir: &Path) -> (String, Vec<Process>) {
    let sched = free_port();
    let mut all =
        vec![start(&["cluster".into(), "scheduler".into(), "--bind".into(), format!("127.0.0.1:{sched}")], dir)];
    wait_for(sched);
    let url = format!("df://127.0.0.1:{sched}");
    for _ in 0..2 {
        let (port, grpc) = (free_port(), free_port());
        all.push(start(
            &[
                "cluster".into(),
                "executor".into(),
                "--scheduler".into(),
                url.clone(),
                "--port".into(),
                port.to_string(),
                "--grpc-port".into(),
                grpc.to_string(),
            ],
            dir,
        ));
        wait_for(port);
    }
    (url, all)
}

#[test]
fn a_scheduler_and_two_executor_processes_write_what_a_local_run_writes() {
    let dir = tempfile::tempdir().expect("tmp");
    let (url, _cluster) = processes(dir.path());
    let local = dir.path().join("local");
    detect(&sample(), &local, &[]);
    let out = dir.path().join("remote");
    detect(&sample(), &out, &["--engine", "ballista", "--scheduler", &url]);
    assert_same(&local, &out, "a cluster of processes");
    // The scan and the shuffle across processes: their files travel
    // through the shared output folder.
    let out = dir.path().join("remote-shuffled");
    detect(&sample(), &out, &["--engine", "ballista", "--scheduler", &url, "--shuffle"]);
    assert_same(&local, &out, "a cluster of processes, shuffled");
    let bundle = million(dir.path());
    let local = dir.path().join("local-million");
    detect(&bundle, &local, &[]);
    // A Parquet log is shuffled by default.
    let out = dir.path().join("remote-million-shuffled");
    detect(&bundle, &out, &["--engine", "ballista", "--scheduler", &url]);
    assert_same(&local, &out, "a cluster of processes, a million events shuffled");
}

#[test]
fn killing_an_executor_mid_run_completes_through_retry_or_fails_with_exit_2_and_no_outputs() {
    let dir = tempfile::tempdir().expect("tmp");
    let bundle = million(dir.path());
    let local = dir.path().join("local");
    detect(&bundle, &local, &[]);
    // Each executor reading the whole log, then the log scanned a slice a
    // task and shuffled (the kill then lands in the scan or the shuffle).
    killed_mid_run(&bundle, &local, &dir.path().join("whole"), &["--whole-scan"]);
    killed_mid_run(&bundle, &local, &dir.path().join("shuffled"), &["--shuffle"]);
}

/// A run on a scheduler and two executor processes, one of them killed
/// 1.5 s in: the outputs of `local`, or exit 2 in one line and none.
fn killed_mid_run(bundle: &Path, local: &Path, dir: &Path, extra: &[&str]) {
    std::fs::create_dir_all(dir).expect("dir");
    let (url, mut cluster) = processes(dir);
    let out = dir.join("remote");
    let mut run = binary()
        .arg("detect")
        .arg("--input")
        .arg(&bundle)
        .arg("--out")
        .arg(&out)
        .args(["--quiet", "--engine", "ballista", "--scheduler", &url, "--cluster-partitions", "16"])
        .args(extra)
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // The executors read the bundle on their first task: kill one then.
    std::thread::sleep(Duration::from_millis(1500));
    let killed = cluster.remove(1);
    drop(killed);
    let until = Instant::now() + Duration::from_secs(600);
    let status = loop {
        if let Some(s) = run.try_wait().expect("wait") {
            break s;
        }
        if Instant::now() > until {
            let _ = run.kill();
            panic!("the run neither finished nor failed in 10 minutes");
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let mut err = String::new();
    if let Some(mut e) = run.stderr.take() {
        use std::io::Read;
        let _ = e.read_to_string(&mut err);
    }
    if status.success() {
        assert_same(local, &out, &format!("a cluster that lost an executor {extra:?}"));
    } else {
        assert_eq!(status.code(), Some(2), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(!out.join("alerts.csv").exists(), "partial outputs");
        let left = std::fs::read_dir(&out).map(|d| d.flatten().filter(|e| e.file_name() != ".ehrwatch.lock").count());
        assert_eq!(left.unwrap_or(0), 0, "a failed run {extra:?} left files in its output folder");
    }
}
