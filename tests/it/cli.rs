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

#[test]
fn the_readme_configuration_example_is_valid_and_matches_the_defaults() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    // The full example under "## Configuration" (other sections show snippets).
    let section = readme.find("## Configuration").expect("README has a configuration section");
    let start = section + readme[section..].find("```toml\n").expect("README has a toml block") + "```toml\n".len();
    let end = start + readme[start..].find("```").unwrap();
    let config = ehrwatch::Config::parse(&readme[start..end], std::path::Path::new("README.md")).unwrap();
    let defaults = ehrwatch::Config { timezone: chrono_tz::America::Chicago, ..ehrwatch::Config::default() };
    assert_eq!(config, defaults, "README documents the defaults");
}
