//! Detection quality on a simulated hospital: care explains the legitimate
//! accesses and not the injected snooping, and the incidents rank above the
//! legitimate look-alikes. Deterministic (fixed seed); the thresholds are
//! the acceptance figures, with the measured values printed.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDateTime;
use ehrwatch::config::Config;
use ehrwatch::evaluate::{evaluate, evaluate_with, EvaluateOptions};
use ehrwatch::explain::explain;
use ehrwatch::ingest::read_bundle;
use ehrwatch::progress::Progress;
use ehrwatch::simulate::{simulate, Export, Realism, SimulateParams};

use crate::env::binary;

fn micros(s: &str) -> i64 {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").expect("label time").and_utc().timestamp_micros()
}

struct Label {
    scenario: String,
    user: String,
    patient: String,
    start: i64,
    end: i64,
}

fn labels(path: &Path) -> Vec<Label> {
    let mut r = csv::Reader::from_path(path).expect("labels.csv");
    r.deserialize::<BTreeMap<String, String>>()
        .map(|row| {
            let row = row.expect("row");
            Label {
                scenario: row["scenario"].clone(),
                user: row["user_id"].clone(),
                patient: row["patient_id"].clone(),
                start: micros(&row["start"]),
                end: micros(&row["end"]),
            }
        })
        .collect()
}

const RELATIONSHIP: [&str; 9] =
    ["self", "family", "coworker", "neighbour", "contact", "vip", "deceased", "restricted", "break_glass"];

#[test]
fn care_explains_legitimate_work_and_leaves_snooping_unexplained_and_incidents_rank_first() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("sim");
    let mut p = SimulateParams::new(&bundle);
    p.users = 400;
    p.patients = 6000;
    p.days = 21;
    p.seed = 11;
    p.incidents = 28;
    simulate(&p).expect("simulate");

    // 1. Explanations, measured per access.
    let config = Config::default();
    let data = read_bundle(&bundle, config.timezone, &Progress::hidden()).expect("bundle").whole();
    let explained = explain(&data, &config.explain);
    let labels = labels(&bundle.join("labels.csv"));
    let ev = &data.events;
    let (mut legit, mut legit_explained) = (0u64, 0u64);
    let (mut snoop, mut snoop_cleared) = (0u64, 0u64);
    for i in 0..ev.len() {
        if ev.patient[i] == ehrwatch::model::NONE {
            continue;
        }
        let user = data.dict.users.name(ev.user[i]);
        let patient = data.dict.patients.name(ev.patient[i]);
        let t = ev.ts[i];
        let incident = labels
            .iter()
            .find(|l| l.user == user && (l.patient.is_empty() || l.patient == patient) && t >= l.start && t <= l.end);
        match incident {
            None => {
                legit += 1;
                legit_explained += u64::from(explained.kind[i].is_explained());
            }
            Some(l) if RELATIONSHIP.contains(&l.scenario.as_str()) => {
                snoop += 1;
                // Break-the-glass incidents are flagged on unexplained use; the
                // others must not be cleared by a direct care link.
                snoop_cleared += u64::from(explained.kind[i].is_patient_specific());
            }
            Some(_) => {}
        }
    }
    let legit_share = legit_explained as f64 / legit as f64;
    let snoop_share = snoop_cleared as f64 / snoop.max(1) as f64;
    println!("legitimate patient accesses explained: {legit_share:.4} of {legit}; snooping accesses cleared by care: {snoop_share:.4} of {snoop}");
    assert!(legit_share >= 0.95, "legitimate accesses explained: {legit_share}");
    assert!(snoop_share <= 0.05, "snooping accesses cleared by care: {snoop_share}");

    // 2. Ranking, through the binary as a user runs it.
    let out = dir.path().join("out");
    let status = binary().arg("detect").arg("--input").arg(&bundle).arg("--out").arg(&out).arg("--quiet").status();
    assert!(status.expect("runs").success());
    let e = evaluate(&bundle.join("labels.csv"), &out.join("alerts.csv"), None).expect("evaluate");
    for s in &e.scenarios {
        println!(
            "{:<22} incidents {} found@K {} recall@K {:.2} AP {:.2}",
            s.scenario,
            s.incidents,
            s.incidents_hit,
            s.recall(),
            s.average_precision
        );
    }
    println!(
        "K {} incident recall@K {:.3} precision@K {:.3} case precision@K {:.3} of {:.3} AP {:.3} look-alike alerts@K {}",
        e.k,
        e.incident_recall_at_k,
        e.precision_at_k,
        e.case_precision_at_k,
        e.case_precision_ceiling,
        e.average_precision,
        e.lookalike_alerts_at_k
    );
    // A tuning world (seed 11). Measured 2026-12-06: 28 of 28 incidents in
    // the top K, precision@K 0.79, AP 0.92, 3 look-alike alerts of K = 56.
    // The held-out worlds below carry the goal. Raw precision@K counts
    // every alert on an incident, so it falls when a pull's records fold
    // into one line; case precision (one credit per case and incident)
    // does not reward repeats, and most of what it can earn is earned.
    assert!(e.incident_recall_at_k >= 0.8, "incident recall@K {}", e.incident_recall_at_k);
    assert!(e.average_precision >= 0.7, "average precision {}", e.average_precision);
    assert!(e.precision_at_k >= 0.7, "precision@K {}", e.precision_at_k);
    assert!(
        e.case_precision_at_k >= 0.9 * e.case_precision_ceiling,
        "case precision@K {} of a possible {}",
        e.case_precision_at_k,
        e.case_precision_ceiling
    );
    assert!(e.lookalike_alerts_at_k * 10 <= e.k, "look-alikes in the top K: {}", e.lookalike_alerts_at_k);
    for must in [
        "self",
        "vip",
        "terminated",
        "bulk_export_night",
        "compromised_account",
        "slow_exfiltration",
        "family",
        "coworker",
    ] {
        let s = e.scenarios.iter().find(|s| s.scenario == must).expect("scenario present");
        assert_eq!(s.incidents_hit, s.incidents, "{must} incidents not all in the top K");
    }
}

/// Simulates a world, runs detect on it as a user would, and evaluates.
fn run_world(
    dir: &Path,
    name: &str,
    seed: u64,
    realism: Realism,
    export: Export,
    edit: impl Fn(&Path),
) -> ehrwatch::evaluate::Evaluation {
    let bundle = dir.join(name);
    let mut p = SimulateParams::new(&bundle);
    p.users = 300;
    p.patients = 6000;
    p.days = 21;
    p.seed = seed;
    p.realism = realism;
    p.export = Some(export);
    simulate(&p).expect("simulate");
    edit(&bundle);
    let out = dir.join(format!("{name}-out"));
    let status = binary().arg("detect").arg("--input").arg(&bundle).arg("--out").arg(&out).arg("--quiet").status();
    assert!(status.expect("runs").success());
    let options = EvaluateOptions { days: Some(21), ..Default::default() };
    let e = evaluate_with(&bundle.join("labels.csv"), &out.join("alerts.csv"), &options).expect("evaluate");
    println!("{name}: {}", e.json_line());
    e
}

fn found(e: &ehrwatch::evaluate::Evaluation) -> BTreeMap<String, usize> {
    e.scenarios.iter().map(|s| (s.scenario.clone(), s.incidents_hit)).collect()
}

/// Held-out worlds (seeds used nowhere else, never tuned on), one of each
/// mode. The goal of issues 15 and 16 is recall@K >= 0.97, AP >= 0.90, no
/// look-alike in the top K and every scenario found in 2 of 3 incidents; it
/// is not reached yet (benches/quality.sh prints where it stands), so this
/// test holds the parts of it that are reached, and the floor below the
/// rest that a change must not break:
/// - the same real world raises at most 1.15 times the alerts when its
///   roster and network come as HR and DHCP write them (the goal);
/// - a roster whose titles all say nothing finds the same incidents in the
///   top K, less at most one scenario's, as the mapped roster: the classes
///   learned from the work stand in for the titles;
/// - recall@K and AP floors.
#[test]
fn held_out_worlds_hold_on_real_rosters() {
    let dir = tempfile::tempdir().unwrap();
    let clean = run_world(dir.path(), "clean", 151, Realism::Clean, Export::Clean, |_| {});
    let real = run_world(dir.path(), "real", 251, Realism::Real, Export::Hr, |_| {});
    let real_clean = run_world(dir.path(), "real-clean", 251, Realism::Real, Export::Clean, |_| {});
    let vague = run_world(dir.path(), "vague", 251, Realism::Real, Export::Hr, |bundle| {
        let path = bundle.join("users.csv");
        let mut r = csv::Reader::from_path(&path).expect("users.csv");
        let header = r.headers().expect("header").clone();
        let role = header.iter().position(|h| h == "role").expect("role column");
        let rows: Vec<csv::StringRecord> = r.records().map(|x| x.expect("row")).collect();
        let mut w = csv::Writer::from_path(&path).expect("rewrite");
        w.write_record(&header).expect("header");
        for row in rows {
            let cells: Vec<&str> =
                row.iter().enumerate().map(|(i, c)| if i == role { "Team Member" } else { c }).collect();
            w.write_record(&cells).expect("row");
        }
        w.flush().expect("flush");
    });
    let ratio = real.alerts as f64 / real_clean.alerts as f64;
    println!("alerts, HR export over clean export of one world: {ratio:.3}");
    assert!(ratio <= 1.15, "the HR export raises {ratio:.3} times the alerts");
    let (mapped, unknown) = (found(&real), found(&vague));
    let differ: Vec<&String> = mapped.keys().filter(|k| mapped[*k] != unknown[*k]).collect();
    println!("scenarios found differently with titles that say nothing: {differ:?}");
    assert!(differ.len() <= 1, "{differ:?}: {mapped:?} vs {unknown:?}");
    for e in [&clean, &real] {
        assert!(e.incident_recall_at_k >= 0.75, "incident recall@K {}", e.incident_recall_at_k);
        assert!(e.average_precision >= 0.6, "average precision {}", e.average_precision);
    }
}
