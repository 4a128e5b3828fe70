//! The command line: help, version, exit codes.

use crate::env::binary;

#[test]
fn help_lists_commands_and_detect_help_describes_every_flag() {
    let out = binary().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("detect") && text.contains("Exit codes"), "{text}");

    let out = binary().args(["detect", "--help"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for flag in ["--input", "--out", "--config", "--timezone", "--quiet"] {
        assert!(text.contains(flag), "{flag} missing from detect --help");
    }
}

#[test]
fn version_prints_the_crate_version() {
    let out = binary().arg("--version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), format!("ehrwatch {}", env!("CARGO_PKG_VERSION")));
}

#[test]
fn usage_errors_exit_1() {
    let out = binary().args(["detect", "--nonsense"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let out = binary().args(["detect", "--input", "/nonexistent/bundle", "--out", "/tmp/x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a folder"));
}

#[test]
fn a_bad_config_file_exits_1_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("ehrwatch.toml");
    std::fs::write(&cfg, "[rules.vip_access]\nweight = 7\n").unwrap();
    std::fs::create_dir(dir.path().join("in")).unwrap();
    std::fs::write(dir.path().join("in/access_log.csv"), "timestamp,user_id,patient_id,action\n").unwrap();
    let out = binary()
        .args(["detect", "--input"])
        .arg(dir.path().join("in"))
        .arg("--out")
        .arg(dir.path().join("out"))
        .arg("--config")
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("rules.vip_access.weight"));
}

/// A rule table's typo names the file, the table and the key; a tunable
/// out of range names its key and what it expects. Both stop the run at
/// startup with exit code 1, before any output.
#[test]
fn a_bad_rule_table_exits_1_naming_the_table_and_key() {
    let b = crate::env::Bundle::new();
    b.file("access_log.csv", "timestamp,user_id,patient_id,action\n");
    let cfg = b.input().parent().unwrap().join("ehrwatch.toml");
    for (text, expected) in [
        (
            "[rules.vip_access]\nwieght = 0.2\n",
            "ehrwatch.toml: rules.vip_access: unknown key `wieght`, expected one of `enabled`, `weight`\n",
        ),
        (
            "[rules.slow_exfiltration]\nspan_days = 0\n",
            "configuration: rules.slow_exfiltration.span_days = 0 is out of range; expected a number of days from 1 to 36600\n",
        ),
        ("[rules.vip_acess]\nweight = 0.2\n", "ehrwatch.toml: rules.vip_acess: unknown rule, expected one of `self_access`"),
    ] {
        std::fs::write(&cfg, text).unwrap();
        let run = b.detect(&["--config", cfg.to_str().unwrap()]);
        assert_eq!(run.code(), 1, "{text}");
        assert!(run.stderr().contains(expected), "{text}: {}", run.stderr());
        assert!(!b.out().join("alerts.csv").exists(), "{text}");
    }
}

#[test]
fn the_readme_configuration_example_is_valid_and_matches_the_defaults() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    // The full example under "## Configuration" (other sections show snippets).
    let section = readme.find("## Configuration").expect("README has a configuration section");
    let start = section + readme[section..].find("```toml\n").expect("README has a toml block") + "```toml\n".len();
    let end = start + readme[start..].find("```").unwrap();
    let config = ehrwatch::Config::parse(&readme[start..end], std::path::Path::new("README.md")).unwrap();
    // The `[rules.*]` tables are the rules' own: each resolves to its defaults.
    let rules = ehrwatch::detect::effective_rules(&config.rules).expect("the README's rule tables are valid");
    assert_eq!(rules, ehrwatch::detect::effective_rules(&Default::default()).unwrap(), "README documents the defaults");
    assert_eq!(config.rules.ids().count(), rules.len(), "README lists every rule");
    let config = ehrwatch::Config { rules: Default::default(), ..config };
    let defaults = ehrwatch::Config { timezone: chrono_tz::America::Chicago, ..ehrwatch::Config::default() };
    assert_eq!(config, defaults, "README documents the defaults");
}

#[test]
fn a_reader_closing_stdout_early_ends_the_run_quietly_with_exit_code_0() {
    // `ehrwatch simulate ... | head -0`: the report is printed after the
    // bundle is written, to a pipe whose reader is gone by then.
    let dir = tempfile::tempdir().unwrap();
    let mut child = binary()
        .args(["simulate", "--users", "40", "--patients", "200", "--days", "1", "--out"])
        .arg(dir.path().join("world"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "nothing reported: {}", String::from_utf8_lossy(&out.stderr));
    assert!(dir.path().join("world/users.csv").is_file(), "the bundle was written before the report");
}

#[test]
fn usage_errors_found_by_the_binary_exit_1_with_one_line() {
    let b = crate::env::Bundle::new();
    b.file("access_log.csv", "timestamp,user_id,patient_id,action\n");
    let run = b.detect(&["--from", "2026-02-01", "--to", "2026-01-01"]);
    assert_eq!(run.code(), 1);
    assert_eq!(run.stderr(), "ehrwatch: error: --from 2026-02-01 is after --to 2026-01-01\n");
    let dir = tempfile::tempdir().unwrap();
    let out =
        binary().args(["simulate", "--start-date", "2026-13-01", "--out"]).arg(dir.path().join("w")).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "ehrwatch: error: --start-date \"2026-13-01\" is not a date; expected YYYY-MM-DD\n"
    );
}

/// A build without the `cluster` feature refuses cluster runs in one line,
/// writing nothing.
#[cfg(not(feature = "cluster"))]
#[test]
fn without_the_cluster_feature_engine_ballista_is_refused_in_one_line() {
    let b = crate::env::Bundle::new();
    b.file("access_log.csv", "timestamp,user_id,patient_id,action\n");
    let run = b.detect(&["--engine", "ballista", "--standalone", "2"]);
    assert_eq!(run.code(), 1);
    assert_eq!(
        run.stderr(),
        "ehrwatch: error: this ehrwatch was built without the `cluster` feature; rebuild with `cargo build --release --features cluster`\n"
    );
    assert!(!b.out().join("alerts.csv").exists());
    let out = binary().args(["cluster", "scheduler"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
}
