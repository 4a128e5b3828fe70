//! The census of issue 19's night plan (benches/night-plan.md, stage 3):
//! how many of the history's explanations a new night changes. A night
//! explains every retained event again because the new day moves what
//! explains the old ones (a user's charting tomorrow explains today's
//! reading up, care-team groups and learned classes grow, panels reach
//! their second day). If few change, a night can keep each event's
//! explanation and re-derive only a dirty set; if many do, it cannot.
//!
//! For each of the bundle's last NIGHTS days, the access log without that
//! day and every later one ("the state before the night") and with it
//! ("after") are explained as `detect` explains a run in memory, with the
//! same context tables; each event of the state is matched across the two
//! by its file and line, and the events whose final explanation differs are
//! counted by how old they are (UTC days before the night's last day) and
//! by the change. It also counts a candidate dirty set, the state's
//! accesses within `documentation_before_days` of the night by the (user,
//! patient) pairs the night charts, and how many of the changes it holds.
//!
//! Usage: `cargo bench --bench census -- [BUNDLE] [--nights N]` where
//! BUNDLE holds `access_log/YYYY-MM-DD.parquet` daily files and the context
//! tables; without BUNDLE, a world of 1,000 users x 30 days is simulated
//! into a temporary folder. Prints a table per night and the totals.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ehrwatch::config::Config;
use ehrwatch::explain::Explanation;
use ehrwatch::progress::Progress;
use ehrwatch::simulate::{simulate, BundleFormat, SimulateParams};

/// A bundle of `days` (sorted daily files) with `bundle`'s context tables,
/// linked into `dir`.
fn cut(bundle: &Path, days: &[PathBuf], dir: &Path) {
    std::fs::create_dir_all(dir.join("access_log")).expect("mkdir");
    for entry in std::fs::read_dir(bundle).expect("read bundle") {
        let entry = entry.expect("entry");
        if entry.file_name() != "access_log" {
            std::os::unix::fs::symlink(entry.path(), dir.join(entry.file_name())).expect("link");
        }
    }
    for d in days {
        std::os::unix::fs::symlink(d, dir.join("access_log").join(d.file_name().expect("name"))).expect("link");
    }
}

/// One event as the census sees it.
#[derive(Clone, Copy)]
struct Seen {
    /// The final explanation.
    kind: Explanation,
    /// The UTC day.
    day: i64,
    /// The (user, patient) pair, hashed from the ids (codes differ between
    /// runs).
    pair: u64,
    /// Whether the event charts (create or update).
    charts: bool,
}

/// Each event, keyed by (source file, source line).
fn kinds(dir: &Path, config: &Config) -> BTreeMap<(u32, u64), Seen> {
    use std::hash::{Hash, Hasher};
    let data = ehrwatch::ingest::read_bundle(dir, config.timezone, &Progress::hidden()).expect("read").whole();
    let explained = ehrwatch::explain::explain(&data, &config.explain);
    let ev = &data.events;
    (0..ev.len())
        .map(|i| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            data.dict.users.name(ev.user[i]).hash(&mut h);
            data.dict.patients.name(ev.patient[i]).hash(&mut h);
            let seen = Seen {
                kind: explained.kind[i],
                day: ev.ts[i].div_euclid(86_400_000_000),
                pair: h.finish(),
                charts: ev.action[i].is_documentation(),
            };
            ((ev.source_file[i], ev.source_line[i]), seen)
        })
        .collect()
}

fn main() {
    ehrwatch::allocator::tune();
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let nights: usize = args
        .iter()
        .position(|a| a == "--nights")
        .and_then(|i| args.get(i + 1))
        .map(|n| n.parse().expect("--nights takes a count"))
        .unwrap_or(3);
    let given = args
        .iter()
        .enumerate()
        .find(|(i, a)| !a.starts_with("--") && (*i == 0 || args[i - 1] != "--nights"))
        .map(|(_, a)| PathBuf::from(a));
    let tmp = tempfile::tempdir().expect("tempdir");
    let bundle = given.unwrap_or_else(|| {
        let b = tmp.path().join("bundle");
        let mut p = SimulateParams::new(&b);
        p.users = 1000;
        p.patients = 20000;
        p.days = 30;
        p.seed = 5;
        p.format = BundleFormat::Parquet;
        simulate(&p).expect("simulate");
        b
    });
    let mut days: Vec<PathBuf> = std::fs::read_dir(bundle.join("access_log"))
        .expect("BUNDLE/access_log/ of daily Parquet files")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .collect();
    days.sort();
    assert!(days.len() > nights, "{} daily files, {nights} nights asked", days.len());
    let config = Config::default();
    let mut total = (0u64, 0u64);
    let mut total_dirty = (0u64, 0u64);
    let mut by_age_all: BTreeMap<i64, (u64, u64)> = BTreeMap::new();
    let mut changes_all: BTreeMap<(&'static str, &'static str), u64> = BTreeMap::new();
    for night in (days.len() - nights)..days.len() {
        let before_dir = tmp.path().join(format!("before-{night}"));
        let after_dir = tmp.path().join(format!("after-{night}"));
        cut(&bundle, &days[..night], &before_dir);
        cut(&bundle, &days[..=night], &after_dir);
        let before = kinds(&before_dir, &config);
        let after = kinds(&after_dir, &config);
        let missing = before.keys().filter(|k| !after.contains_key(k)).count();
        assert_eq!(missing, 0, "events of the state missing after the night");
        let (mut same, mut changed) = (0u64, 0u64);
        let mut by_age: BTreeMap<i64, (u64, u64)> = BTreeMap::new();
        let mut changes: BTreeMap<(&'static str, &'static str), u64> = BTreeMap::new();
        // The night's UTC day: the latest day of the events it adds.
        let tonight =
            after.iter().filter(|(k, _)| !before.contains_key(k)).map(|(_, v)| v.day).max().expect("new events");
        // A candidate dirty set: the state's accesses, within
        // documentation_before_days of tonight, of the (user, patient)
        // pairs tonight's events chart (their charting may explain reading
        // up before it).
        let reach = i64::from(config.explain.documentation_before_days);
        let charted: std::collections::HashSet<u64> =
            after.iter().filter(|(k, v)| v.charts && !before.contains_key(k)).map(|(_, v)| v.pair).collect();
        let (mut dirty, mut changed_dirty) = (0u64, 0u64);
        for (key, seen) in &before {
            let (old, day) = (&seen.kind, &seen.day);
            let new = after[key].kind;
            let in_dirty = tonight - day <= reach && charted.contains(&seen.pair);
            dirty += u64::from(in_dirty);
            changed_dirty += u64::from(in_dirty && new != *old);
            let age = tonight - day;
            let bucket = if age <= 3 {
                age.max(0)
            } else if age <= 7 {
                7
            } else if age <= 14 {
                14
            } else {
                99
            };
            let slot = by_age.entry(bucket).or_default();
            slot.0 += 1;
            if new == *old {
                same += 1;
            } else {
                changed += 1;
                slot.1 += 1;
                *changes.entry((old.as_str(), new.as_str())).or_default() += 1;
            }
        }
        let name = days[night].file_name().expect("name").to_string_lossy().to_string();
        println!(
            "night {name}: {} events in the state, {changed} explanations changed ({:.3}%), {} new events; \
             the charted pairs' last {reach} days hold {dirty} events ({:.2}%) and {changed_dirty} of the changes",
            before.len(),
            changed as f64 * 100.0 / before.len() as f64,
            after.len() - before.len(),
            dirty as f64 * 100.0 / before.len() as f64,
        );
        total_dirty.0 += dirty;
        total_dirty.1 += changed_dirty;
        for (bucket, (n, c)) in &by_age {
            let e = by_age_all.entry(*bucket).or_default();
            e.0 += n;
            e.1 += c;
        }
        for (k, v) in changes {
            *changes_all.entry(k).or_default() += v;
        }
        total.0 += same + changed;
        total.1 += changed;
    }
    println!(
        "\nall {nights} nights: {} state events, {} changed ({:.3}%)",
        total.0,
        total.1,
        total.1 as f64 * 100.0 / total.0 as f64
    );
    println!(
        "the charted pairs' recent accesses: {} events ({:.3}% of the state), holding {} of the {} changes",
        total_dirty.0,
        total_dirty.0 as f64 * 100.0 / total.0 as f64,
        total_dirty.1,
        total.1
    );
    println!("by age of the event (days before the night):");
    for (bucket, (n, c)) in &by_age_all {
        let label = match bucket {
            0..=3 => format!("{bucket} day{}", if *bucket == 1 { "" } else { "s" }),
            7 => "4-7 days".to_string(),
            14 => "8-14 days".to_string(),
            _ => "15+ days".to_string(),
        };
        println!("  {label:>10}: {c:>8} of {n:>10} changed ({:.3}%)", *c as f64 * 100.0 / *n as f64);
    }
    println!("changes (before -> after):");
    let mut changes: Vec<_> = changes_all.into_iter().collect();
    changes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    for ((old, new), n) in changes {
        println!("  {old:>22} -> {new:<22} {n:>8}");
    }
}
