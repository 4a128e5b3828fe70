//! Feedback and nightly use: reviewed.csv suppresses closed alerts and
//! boosts repeat offenders; --fail-on exit codes; the detection window.

use crate::env::Bundle;
use crate::report::ACCESS;

fn alert<'a>(
    rows: &'a [std::collections::BTreeMap<String, String>],
    user: &str,
    patient: &str,
) -> &'a std::collections::BTreeMap<String, String> {
    rows.iter().find(|a| a["user_id"] == user && a["patient_id"] == patient).expect("alert present")
}

#[test]
fn reviewed_false_positives_and_duplicates_are_suppressed_and_bad_rows_reported() {
    let b = Bundle::hospital();
    b.file("access_log.csv", ACCESS);
    let before = b.detect(&[]);
    before.assert_ok();
    let alerts = before.csv("alerts.csv");
    let vip = alert(&alerts, "x1", "P2")["alert_id"].clone();
    let own = alert(&alerts, "n1", "P1")["alert_id"].clone();
    let dead = alert(&alerts, "x1", "P3")["alert_id"].clone();
    let reviewed = b.input().parent().unwrap().join("reviewed.csv");
    std::fs::write(
        &reviewed,
        format!(
            "alert_id,verdict,reviewer,note\n{vip},false_positive,kim,\"covering the ED, <ok>\"\n{own},Duplicate,kim,\n{dead},maybe,kim,\n,confirmed,kim,\n"
        ),
    )
    .unwrap();
    let run = b.detect(&["--reviewed", reviewed.to_str().unwrap()]);
    run.assert_ok();
    assert!(run.stderr().contains("2 of 4 rows"), "bad rows said on stderr: {}", run.stderr());
    let after = run.csv("alerts.csv");
    let ids: Vec<&str> = after.iter().map(|a| a["alert_id"].as_str()).collect();
    assert!(!ids.contains(&vip.as_str()) && !ids.contains(&own.as_str()), "{ids:?}");
    assert!(ids.contains(&dead.as_str()), "an unusable verdict suppresses nothing");
    assert_eq!(after.len(), alerts.len() - 2);
    let ranks: Vec<&str> = after.iter().map(|a| a["rank"].as_str()).collect();
    assert_eq!(ranks, (1..=after.len()).map(|r| r.to_string()).collect::<Vec<_>>());
    // Cases count the suppressed alerts out; n1's case is gone.
    let cases = run.csv("cases.csv");
    assert!(!cases.iter().any(|c| c["user_id"] == "n1"));
    let x1 = cases.iter().find(|c| c["user_id"] == "x1").unwrap();
    assert_eq!(x1["alert_count"], "1");
    assert!(!x1["alert_ids"].contains(&vip));
    let s = run.summary();
    assert_eq!(s["suppressed"]["false_positive"], 1);
    assert_eq!(s["suppressed"]["duplicate"], 1);
    assert_eq!(s["alerts"], after.len());
    assert_eq!(s["reviewed"]["rows_read"], 4);
    assert_eq!(s["reviewed"]["rows_rejected"], 2);
    let rejected = run.csv("rejected_rows.csv");
    let reviewed_rows: Vec<_> = rejected.iter().filter(|r| r["table"] == "reviewed").collect();
    assert_eq!(reviewed_rows.len(), 2);
    assert_eq!(reviewed_rows[0]["line"], "4");
    assert_eq!(reviewed_rows[0]["column"], "verdict");
    assert_eq!(reviewed_rows[1]["column"], "alert_id");
    // The report says what was suppressed, escaping the reviewer's note.
    let html = run.read("report.html");
    assert!(html.contains(&format!("data-suppressed-id=\"{vip}\"")));
    assert!(html.contains(&format!("data-suppressed-id=\"{own}\"")));
    assert!(html.contains("covering the ED, &lt;ok&gt;"));
    assert!(html.contains("2 alerts suppressed: 1 false positive, 1 duplicate"));
}

#[test]
fn confirmed_alerts_make_a_repeat_offender_score_higher() {
    let b = Bundle::hospital();
    b.file("access_log.csv", ACCESS);
    let before = b.detect(&[]);
    before.assert_ok();
    let alerts = before.csv("alerts.csv");
    let reviewed = b.input().parent().unwrap().join("reviewed.csv");
    // An alert from an earlier month, confirmed; the file names its user.
    std::fs::write(&reviewed, "alert_id,verdict,reviewer,note,user_id\n0123456789abcdef,confirmed,kim,warned,x1\n")
        .unwrap();
    let run = b.detect(&["--reviewed", reviewed.to_str().unwrap()]);
    run.assert_ok();
    let after = run.csv("alerts.csv");
    for p in ["P2", "P3"] {
        let (old, new) = (alert(&alerts, "x1", p), alert(&after, "x1", p));
        let (s0, s1): (f64, f64) = (old["score"].parse().unwrap(), new["score"].parse().unwrap());
        // Default weight 0.3: p' = 1 - (1 - p)(1 - 0.3).
        let want = ((1.0 - (1.0 - s0 / 100.0) * 0.7) * 1000.0).round() / 10.0;
        assert!((s1 - want).abs() < 0.051, "{p}: {s0} -> {s1}, want {want}");
        assert!(new["explanation"].contains("the user has 1 confirmed earlier alert (repeat offender)"));
        assert_eq!(old["alert_id"], new["alert_id"], "ids do not change");
    }
    let n1_old = alert(&alerts, "n1", "P1");
    assert_eq!(alert(&after, "n1", "P1")["score"], n1_old["score"], "other users are not boosted");
    assert_eq!(run.summary()["repeat_offender_alerts"], 2);
    assert_eq!(run.summary()["reviewed"]["not_in_run"], 1);

    // A file without the verdict column is a usage error naming it.
    std::fs::write(&reviewed, "alert_id,reviewer\nabc,kim\n").unwrap();
    let bad = b.detect(&["--reviewed", reviewed.to_str().unwrap()]);
    assert_eq!(bad.code(), 1);
    assert!(bad.stderr().contains("\"verdict\""), "{}", bad.stderr());
}

#[test]
fn verdicts_on_a_pseudonymized_export_apply() {
    let b = Bundle::hospital();
    b.file("access_log.csv", ACCESS);
    let dir = b.input().parent().unwrap().to_path_buf();
    std::fs::write(dir.join("key"), "0123456789abcdef0123").unwrap();
    let key = dir.join("key").display().to_string();
    let first = b.detect(&["--pseudonymize-key", &key]);
    first.assert_ok();
    let top = first.csv("alerts.csv")[0]["alert_id"].clone();
    assert!(top.starts_with("A-"));
    std::fs::write(dir.join("reviewed.csv"), format!("alert_id,verdict,reviewer,note\n{top},false_positive,ana,\n"))
        .unwrap();
    let run = b.detect(&["--pseudonymize-key", &key, "--reviewed", dir.join("reviewed.csv").to_str().unwrap()]);
    run.assert_ok();
    assert!(!run.read("alerts.csv").contains(&top));
    assert_eq!(run.summary()["suppressed"]["false_positive"], 1);
}

#[test]
fn fail_on_exits_3_at_or_above_the_severity_after_writing_outputs() {
    let b = Bundle::hospital();
    b.file("access_log.csv", ACCESS);
    let run = b.detect(&[]);
    run.assert_ok();
    let sev = run.summary()["alerts_per_severity"].clone();
    let n = |k: &str| sev.get(k).and_then(|v| v.as_u64()).unwrap_or(0);
    assert!(n("low") + n("medium") + n("high") > 0);
    let low = b.detect(&["--fail-on", "low"]);
    assert_eq!(low.code(), 3, "{}", low.stderr());
    assert!(low.out.join("report.html").exists() && low.out.join("alerts.csv").exists());
    for (flag, count) in [("medium", n("medium") + n("high")), ("high", n("high"))] {
        let r = b.detect(&["--fail-on", flag]);
        assert_eq!(r.code(), if count > 0 { 3 } else { 0 }, "--fail-on {flag}: {}", r.stderr());
    }
    // No alert: 0 whatever the threshold.
    let quiet = Bundle::hospital();
    quiet.file("access_log.csv", "timestamp,user_id,patient_id,action\n2026-11-28 09:00:00,d1,P2,view\n");
    assert_eq!(quiet.detect(&["--fail-on", "low"]).code(), 0);
    // A bad threshold is a usage error.
    assert_eq!(b.detect(&["--fail-on", "urgent"]).code(), 1);
}

#[test]
fn the_window_limits_alerts_while_earlier_data_stays_baseline() {
    let b = Bundle::hospital();
    b.file("access_log.csv", ACCESS);
    let full = b.detect(&[]);
    full.assert_ok();
    let all = full.csv("alerts.csv");
    assert_eq!(alert(&all, "x1", "P2")["access_count"], "2");

    let last = b.detect(&["--last", "1d"]);
    last.assert_ok();
    let night = last.csv("alerts.csv");
    // Only the 29th's VIP accesses are in the window (x1's, and the billing
    // clerk's, which billing's routine does not clear); the 28th is baseline.
    assert_eq!(night.len(), 2, "{night:?}");
    assert_eq!(night[1]["user_id"], "b1");
    let a = &night[0];
    assert_eq!((a["user_id"].as_str(), a["patient_id"].as_str()), ("x1", "P2"));
    assert_eq!(a["access_count"], "1");
    assert!(a["first_access"].starts_with("2026-11-29"));
    let s = last.summary();
    assert_eq!(s["window"]["from"], "2026-11-29");
    assert_eq!(s["events_read"], full.summary()["events_read"], "all data still read");

    // --from/--to name the same day; rerunning gives the same files.
    let dates = b.detect_into(&b.input().parent().unwrap().join("o2"), &["--from", "2026-11-29", "--to", "2026-11-29"]);
    dates.assert_ok();
    assert_eq!(dates.read("alerts.csv"), last.read("alerts.csv"));
    let d28 = b.detect_into(&b.input().parent().unwrap().join("o3"), &["--to", "2026-11-28"]);
    d28.assert_ok();
    assert!(d28.csv("alerts.csv").iter().all(|a| a["last_access"].starts_with("2026-11-28")));
    // Bad values are usage errors.
    assert_eq!(b.detect(&["--last", "yesterday"]).code(), 1);
    assert_eq!(b.detect(&["--from", "2026-11-30", "--to", "2026-11-29"]).code(), 1);
    assert_eq!(b.detect(&["--from", "2026-11-29", "--last", "1d"]).code(), 1);
}
