//! A temporary input bundle and output folder, and a runner for the binary.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

/// A temporary bundle folder plus an output folder next to it.
pub struct Bundle {
    dir: TempDir,
}

/// The result of running the binary.
pub struct Run {
    pub output: Output,
    pub out: PathBuf,
}

impl Run {
    pub fn code(&self) -> i32 {
        self.output.status.code().unwrap_or(-1)
    }
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }
    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.out.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }
    pub fn summary(&self) -> serde_json::Value {
        serde_json::from_str(&self.read("summary.json")).expect("summary.json is JSON")
    }
    /// alerts.csv as rows of (header -> value).
    pub fn csv(&self, name: &str) -> Vec<std::collections::BTreeMap<String, String>> {
        let mut r = csv::Reader::from_path(self.out.join(name)).expect("csv opens");
        let headers = r.headers().expect("header").clone();
        r.records()
            .map(|rec| {
                let rec = rec.expect("record");
                headers.iter().zip(rec.iter()).map(|(h, v)| (h.to_string(), v.to_string())).collect()
            })
            .collect()
    }
    pub fn assert_ok(&self) -> &Self {
        assert_eq!(self.code(), 0, "stderr: {}\nstdout: {}", self.stderr(), self.stdout());
        self
    }
}

/// Simulates a clean-mode world as daily Parquet files into `bundle`.
#[allow(dead_code)] // not every feature set's tests use it
pub fn parquet_world(bundle: &Path, users: usize, patients: usize, days: u32, seed: u64, incidents: usize) {
    use ehrwatch::simulate::{simulate, BundleFormat, SimulateParams};
    let mut p = SimulateParams::new(bundle);
    p.users = users;
    p.patients = patients;
    p.days = days;
    p.seed = seed;
    p.incidents = incidents;
    p.format = BundleFormat::Parquet;
    simulate(&p).expect("simulate");
}

pub fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ehrwatch"))
}

/// The users, patients and encounters most tests share: an ICU nurse who is
/// also a patient, a billing clerk, an IT analyst, a VIP treated in the
/// ED, and a deceased patient.
pub const USERS: &str = "user_id,first_name,last_name,role,department_id,hire_date,termination_date,patient_id
n1,Ana,Garcia,nurse,ICU,2020-01-01,,P1
d1,Ben,Okafor,physician,ED,2019-05-01,,
b1,Cy,Lund,billing,BILLING,2021-03-01,,
x1,Io,Marsh,it,IT,2022-07-01,,
";
pub const PATIENTS: &str = "patient_id,first_name,last_name,birth_date,deceased_date,vip,restricted
P1,Ana,Garcia,1990-02-02,,false,false
P2,Dee,Stone,1950-03-03,,true,false
P3,Eli,Park,1940-04-04,2026-03-01,false,false
P4,Fay,Garcia,1988-05-05,,false,false
";
pub const ENCOUNTERS: &str = "encounter_id,patient_id,department_id,start,end,provider_user_id
E1,P2,ED,2026-11-27 08:00:00,2026-11-28 20:00:00,d1
E2,P4,ICU,2026-11-20 08:00:00,,
";

impl Bundle {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("in")).expect("in");
        Self { dir }
    }

    /// A bundle with the shared users, patients and encounters tables.
    pub fn hospital() -> Self {
        let b = Self::new();
        b.file("users.csv", USERS).file("patients.csv", PATIENTS).file("encounters.csv", ENCOUNTERS);
        b
    }

    pub fn input(&self) -> PathBuf {
        self.dir.path().join("in")
    }

    pub fn out(&self) -> PathBuf {
        self.dir.path().join("out")
    }

    /// Writes a file into the bundle (creating folders).
    pub fn file(&self, name: &str, text: &str) -> &Self {
        let path = self.input().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(path, text).expect("write");
        self
    }

    /// Writes a gzip-compressed file into the bundle.
    pub fn gz(&self, name: &str, text: &str) -> &Self {
        let f = std::fs::File::create(self.input().join(name)).expect("create");
        let mut enc = flate2::write::GzEncoder::new(f, flate2::Compression::default());
        enc.write_all(text.as_bytes()).expect("gz");
        enc.finish().expect("gz finish");
        self
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.input().join(name)
    }

    /// Runs `ehrwatch detect` with extra arguments.
    pub fn detect(&self, extra: &[&str]) -> Run {
        self.detect_into(&self.out(), extra)
    }

    pub fn detect_into(&self, out: &Path, extra: &[&str]) -> Run {
        let output = binary()
            .arg("detect")
            .arg("--input")
            .arg(self.input())
            .arg("--out")
            .arg(out)
            .args(extra)
            .output()
            .expect("binary runs");
        Run { output, out: out.to_path_buf() }
    }
}
