//! report.html: self-contained, escaped, lists the top cases in rank order;
//! history.jsonl feeds its trend; pseudonymized exports.

use crate::env::Bundle;

pub const ACCESS: &str = "timestamp,user_id,patient_id,action,department_id
2026-11-28 09:00:00,d1,P2,view,ED
2026-11-28 21:40:00,n1,P1,view,ICU
2026-11-28 21:41:00,n1,P1,view,ICU
2026-11-28 10:00:00,n1,P4,view,ICU
2026-11-28 22:05:00,x1,P2,view,IT
2026-11-28 22:06:00,x1,P3,view,IT
2026-11-29 10:00:00,b1,P2,view,BILLING
2026-11-29 22:00:00,x1,P2,view,IT
";

/// The values of `attr="..."` in document order.
fn attr_values(html: &str, attr: &str) -> Vec<String> {
    let needle = format!("{attr}=\"");
    html.match_indices(&needle)
        .map(|(i, _)| {
            let rest = &html[i + needle.len()..];
            rest[..rest.find('"').expect("attribute closed")].to_string()
        })
        .collect()
}

/// The text of the element that carries `data-case-id="id"`, up to its close.
fn article<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html.find(&format!("data-case-id=\"{id}\"")).expect("case article");
    let end = html[start..].find("</article>").expect("article closed");
    &html[start..start + end]
}

#[test]
fn report_lists_the_top_cases_in_rank_order_with_their_evidence() {
    let b = Bundle::hospital();
    b.file("access_log.csv", ACCESS);
    let run = b.detect(&[]);
    run.assert_ok();
    let html = run.read("report.html");
    let cases = run.csv("cases.csv");
    let alerts = run.csv("alerts.csv");
    assert!(!cases.is_empty());
    let want: Vec<String> = cases.iter().take(25).map(|c| c["case_id"].clone()).collect();
    assert_eq!(attr_values(&html, "data-case-id"), want, "top cases in rank order");
    let ranks: Vec<String> = attr_values(&html, "data-rank");
    assert_eq!(ranks, (1..=want.len()).map(|r| r.to_string()).collect::<Vec<_>>());
    // Each alert shows up inside its case with its evidence sentences.
    for a in &alerts {
        let art = article(&html, &a["case_id"]);
        assert!(art.contains(&format!("data-alert-id=\"{}\"", a["alert_id"])), "{}", a["alert_id"]);
        assert!(art.contains(&a["user_id"]));
        for sentence in a["explanation"].split("; ") {
            let escaped = sentence.replace('&', "&amp;").replace('\'', "&#39;").replace('"', "&quot;");
            assert!(art.contains(&escaped), "missing evidence {sentence:?}");
        }
        // A timeline with at least one unexplained access.
        assert!(art.contains("<svg") && art.contains("unexplained"), "timeline in {}", a["case_id"]);
    }
    // Totals and the charts are there.
    let s = run.summary();
    assert!(html.contains(&format!("<b>{}</b>events read", s["events_read"])));
    assert!(html.contains("Alerts by rule") && html.contains("vip_access"));
    // Self-contained: nothing is fetched, nothing runs.
    for bad in ["<script", "<link", "src=", "@import", "url(", "https://"] {
        assert!(!html.to_lowercase().contains(bad), "report holds {bad}");
    }
    // Only the SVG namespace name may look like an address.
    assert_eq!(html.matches("http://").count(), html.matches("http://www.w3.org/2000/svg").count());
}

#[test]
fn hostile_ids_are_escaped_in_the_report() {
    let b = Bundle::new();
    b.file(
        "patients.csv",
        "patient_id,first_name,last_name,vip\nP2,Dee,Stone,true\n\"<img src=x onerror=alert(2)>\",A,B,true\n",
    );
    b.file(
        "access_log.csv",
        "timestamp,user_id,patient_id,action
2026-11-28 22:05:00,<script>alert(1)</script>,P2,view
2026-11-28 22:06:00,\"\"\"quoted\"\" & 'single'\",P2,view
2026-11-28 22:07:00,x1,\"<img src=x onerror=alert(2)>\",view
",
    );
    let run = b.detect(&[]);
    run.assert_ok();
    let users: Vec<String> = run.csv("alerts.csv").iter().map(|a| a["user_id"].clone()).collect();
    assert!(users.contains(&"<script>alert(1)</script>".to_string()), "{users:?}");
    let html = run.read("report.html");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("&quot;quoted&quot; &amp; &#39;single&#39;"));
    assert!(html.contains("&lt;img src=x onerror=alert(2)&gt;"));
    let lower = html.to_lowercase();
    assert!(!lower.contains("<script") && !lower.contains("<img"), "raw markup leaked");
    assert!(!html.contains("\"quoted\""), "raw quotes leaked");
    // Attribute values never contain a raw quote: every data-case-id is a plain token.
    for id in attr_values(&html, "data-case-id") {
        assert!(id.starts_with("C-") && id.chars().skip(2).all(|c| c.is_ascii_hexdigit()), "{id}");
    }
}

#[test]
fn reruns_give_the_same_report_and_history_keeps_one_line_per_window() {
    let b = Bundle::hospital();
    b.file("access_log.csv", ACCESS);
    let first = b.detect(&[]);
    first.assert_ok();
    let other = b.detect_into(&b.input().parent().unwrap().join("out2"), &[]);
    other.assert_ok();
    assert_eq!(first.read("report.html"), other.read("report.html"), "same data, same bytes");
    assert!(first.read("report.html").contains("The trend appears from the second run"));

    // Rerunning the same window replaces its history line; a new window adds one.
    b.detect(&[]).assert_ok();
    assert_eq!(first.read("history.jsonl").lines().count(), 1);
    let nightly = b.detect(&["--last", "1d"]);
    nightly.assert_ok();
    let lines: Vec<serde_json::Value> =
        nightly.read("history.jsonl").lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    let windows: Vec<(String, String)> = lines
        .iter()
        .map(|l| (l["window_from"].as_str().unwrap().to_string(), l["window_to"].as_str().unwrap().to_string()))
        .collect();
    assert!(windows.contains(&("2026-11-28".into(), "2026-11-29".into())), "{windows:?}");
    assert!(windows.contains(&("2026-11-29".into(), "2026-11-29".into())), "{windows:?}");
    let html = nightly.read("report.html");
    assert!(html.contains("alerts per run, by severity"), "trend chart drawn");
    assert!(html.contains("detection window 2026-11-29 to 2026-11-29"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in ["report.html", "history.jsonl"] {
            let mode = std::fs::metadata(nightly.out.join(f)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{f}");
        }
    }
}

fn parquet_strings(path: &std::path::Path, column: &str) -> Vec<String> {
    use polars::prelude::*;
    let df = LazyFrame::scan_parquet(PlRefPath::new(path.to_str().unwrap()), ScanArgsParquet::default())
        .unwrap()
        .collect()
        .unwrap();
    df.column(column).unwrap().str().unwrap().iter().map(|v| v.unwrap_or("").to_string()).collect()
}

#[test]
fn pseudonymized_exports_are_stable_for_a_key_and_hide_ids() {
    let b = Bundle::hospital();
    b.file("access_log.csv", &format!("{ACCESS}not a time,n1,P1,view,ICU\n"));
    let dir = b.input().parent().unwrap().to_path_buf();
    std::fs::write(dir.join("key"), "correct horse battery staple\n").unwrap();
    std::fs::write(dir.join("key2"), "another key entirely, long enough").unwrap();
    let key = dir.join("key").display().to_string();
    let key2 = dir.join("key2").display().to_string();
    // One row of nine rejected on purpose: above the default threshold.
    let lenient = ["--max-reject-share", "0.2"];
    let plain = b.detect(&lenient);
    plain.assert_ok();
    let a = b.detect_into(&dir.join("p1"), &["--pseudonymize-key", &key, lenient[0], lenient[1]]);
    a.assert_ok();
    let again = b.detect_into(&dir.join("p2"), &["--pseudonymize-key", &key, lenient[0], lenient[1]]);
    again.assert_ok();
    let other = b.detect_into(&dir.join("p3"), &["--pseudonymize-key", &key2, lenient[0], lenient[1]]);
    other.assert_ok();

    for f in ["alerts.csv", "cases.csv", "report.html", "alerts.jsonl"] {
        assert_eq!(a.read(f), again.read(f), "{f} stable for a key");
    }
    let rows = a.csv("alerts.csv");
    let plain_rows = plain.csv("alerts.csv");
    assert_eq!(rows.len(), plain_rows.len());
    for (p, r) in plain_rows.iter().zip(&rows) {
        assert!(r["user_id"].starts_with("U-") && r["user_id"].len() == 18, "{}", r["user_id"]);
        assert!(r["patient_id"].starts_with("P-"), "{}", r["patient_id"]);
        assert!(r["alert_id"].starts_with("A-") && r["case_id"].starts_with("C-"));
        assert_eq!(p["score"], r["score"], "same ranking");
        assert_eq!(p["explanation"], r["explanation"]);
    }
    let other_rows = other.csv("alerts.csv");
    assert_ne!(rows[0]["user_id"], other_rows[0]["user_id"], "another key, other tokens");
    // The same user gets the same token in every file.
    let u = &rows[0]["user_id"];
    assert!(a.read("cases.csv").contains(u.as_str()) && a.read("report.html").contains(u.as_str()));
    assert!(parquet_strings(&a.out.join("user_features.parquet"), "user_id").contains(u));
    assert!(parquet_strings(&a.out.join("alerts.parquet"), "user_id").contains(u));
    // No real id is left in the exports.
    let real = |s: &str| {
        ["n1", "x1", "d1", "b1", "P1", "P2", "P3", "P4"]
            .iter()
            .any(|id| s.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| w == *id))
    };
    for f in ["alerts.csv", "alerts.jsonl", "cases.csv"] {
        assert!(!real(&a.read(f)), "{f} holds a real id");
    }
    // In the report, ids sit in text or attribute values (SVG has `x1=` attributes, so words alone do not do).
    let html = a.read("report.html");
    for id in ["n1", "x1", "d1", "b1", "P1", "P2", "P3", "P4"] {
        assert!(!html.contains(&format!(">{id}<")) && !html.contains(&format!("\"{id}\"")), "report shows {id}");
    }
    assert!(plain.read("report.html").contains("<code>x1</code>"), "the check above can fail");
    assert!(parquet_strings(&a.out.join("user_features.parquet"), "user_id").iter().all(|u| u.starts_with("U-")));
    // rejected_rows.csv keeps where and why, but not the raw row.
    let rejected = a.csv("rejected_rows.csv");
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0]["raw"], "");
    assert!(!rejected[0]["reason"].is_empty());
    assert_eq!(a.summary()["pseudonymized"], true);

    // A short key is a usage error.
    std::fs::write(dir.join("short"), "abc\n").unwrap();
    let bad = b.detect_into(&dir.join("p4"), &["--pseudonymize-key", &dir.join("short").display().to_string()]);
    assert_eq!(bad.code(), 1, "{}", bad.stderr());
    assert!(bad.stderr().contains("shorter than 16 bytes"), "{}", bad.stderr());
}
