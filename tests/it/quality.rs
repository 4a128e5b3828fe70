//! Detection quality on a simulated hospital: care explains the legitimate
//! accesses and not the injected snooping, and the incidents rank above the
//! legitimate look-alikes. Deterministic (fixed seed); the thresholds are
//! the acceptance figures, with the measured values printed.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDateTime;
use ehrwatch::config::Config;
use ehrwatch::evaluate::evaluate;
use ehrwatch::explain::explain;
use ehrwatch::ingest::read_bundle;
use ehrwatch::progress::Progress;
use ehrwatch::simulate::{simulate, SimulateParams};

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
    let data = read_bundle(&bundle, config.timezone, &Progress::hidden()).expect("bundle");
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
        "K {} incident recall@K {:.3} precision@K {:.3} AP {:.3} look-alike alerts@K {}",
        e.k, e.incident_recall_at_k, e.precision_at_k, e.average_precision, e.lookalike_alerts_at_k
    );
    // Measured with seed 11 (2026-11-29): 27 of 28 incidents in the top K,
    // precision@K 0.98, AP 0.82, 1 look-alike alert of K = 56. The bounds
    // leave room for deliberate trade-offs, not for a regression.
    assert!(e.incident_recall_at_k >= 0.85, "incident recall@K {}", e.incident_recall_at_k);
    assert!(e.average_precision >= 0.7, "average precision {}", e.average_precision);
    assert!(e.precision_at_k >= 0.8, "precision@K {}", e.precision_at_k);
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
        "restricted",
    ] {
        let s = e.scenarios.iter().find(|s| s.scenario == must).expect("scenario present");
        assert_eq!(s.incidents_hit, s.incidents, "{must} incidents not all in the top K");
    }
}
