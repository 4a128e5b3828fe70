//! Simulation parameters, their validation, and the simulator's error type.
//!
//! Parameters are checked once, in [`SimulateParams::check`], before any work
//! starts; everything after that may assume they are sane.

use std::path::PathBuf;

use chrono::NaiveDate;
use chrono_tz::Tz;

/// File format of the simulated access log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BundleFormat {
    /// One `access_log.csv`.
    #[default]
    Csv,
    /// A folder `access_log/` with one `YYYY-MM-DD.parquet` per day.
    Parquet,
    /// `audit_events.ndjson`: FHIR R4 AuditEvents (IHE BALP), written by
    /// [`crate::import::AccessLogWriter`]; `ehrwatch import --from fhir` reads it.
    Fhir,
    /// `epic_access_log.csv` with `epic_metrics.csv` and
    /// `epic_metric_mapping.toml`, for `ehrwatch import --from epic`.
    Epic,
    /// `openemr_log.csv` (OpenEMR's log table, department in `groupname`),
    /// for `ehrwatch import --from openemr --department-from-group`.
    Openemr,
}

impl BundleFormat {
    /// The import format the access log is rendered in, for the source
    /// system formats; `None` for the canonical CSV and Parquet.
    pub fn source_format(self) -> Option<crate::import::Format> {
        match self {
            BundleFormat::Csv | BundleFormat::Parquet => None,
            BundleFormat::Fhir => Some(crate::import::Format::Fhir),
            BundleFormat::Epic => Some(crate::import::Format::Epic),
            BundleFormat::Openemr => Some(crate::import::Format::Openemr),
        }
    }
}

/// Which world is simulated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Realism {
    /// The simulator's own world: the 14 incident scenarios and 10
    /// look-alikes, byte-identical to earlier versions for a seed.
    #[default]
    Clean,
    /// The clean world plus real-world incidents (`service_snoop`,
    /// `former_patient`, `research_snoop`, `insider_export`,
    /// `low_curiosity`) and look-alikes (`pharmacist_verification`,
    /// `coder_discharged`, `readmission_reread`). The clean world's rows,
    /// labels and look-alikes are all still there: the additions come from
    /// RNG streams of their own.
    Real,
}

/// How the world is spelled when written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Export {
    /// The simulator's vocabulary: role words (`pharmacist`), EHR
    /// department ids in users.csv, one spelling of names and addresses,
    /// fixed workstation addresses.
    Clean,
    /// The way a hospital's systems write it: HR job titles, HR cost-centre
    /// codes and upper-case names and addresses in users.csv; nicknames,
    /// maiden names and other address spellings in patient_contacts.csv;
    /// workstation addresses leased by DHCP (a unit's workstation changes
    /// address daily within its /24, a VPN device at every login).
    Hr,
}

/// What to simulate and where to write it.
#[derive(Debug, Clone)]
pub struct SimulateParams {
    /// Output folder; created if missing. Existing bundle files are replaced.
    pub out: PathBuf,
    /// Workforce size (EHR user accounts).
    pub users: usize,
    /// Patients with a record in the EHR. Ignored with `synthea` (the
    /// Synthea patients are used instead).
    pub patients: usize,
    /// Days of access log to simulate.
    pub days: u32,
    /// Seed of every random choice: the same seed gives the same bytes.
    pub seed: u64,
    /// Access log file format.
    pub format: BundleFormat,
    /// Folder of Synthea CSV output (`patients.csv`, `providers.csv`,
    /// `encounters.csv`) to take patients, physicians and encounters from.
    pub synthea: Option<PathBuf>,
    /// Number of injected incidents, spread round-robin over the 14 clean
    /// scenarios. With [`Realism::Real`], `incidents * 5 / 14` (rounded up)
    /// more are spread round-robin over the five real-world scenarios.
    pub incidents: usize,
    /// First simulated day.
    pub start_date: NaiveDate,
    /// Hospital time zone; timestamps are written as naive local times in it.
    pub timezone: Tz,
    /// Which world: the clean one, or with real-world incidents and
    /// look-alikes added.
    pub realism: Realism,
    /// How it is written; `None` follows `realism` (HR spelling for the
    /// real world, the clean vocabulary otherwise). See [`Self::export_style`].
    pub export: Option<Export>,
}

impl SimulateParams {
    /// Sensible defaults: 1,000 users, 20,000 patients, 30 days from
    /// 2026-10-01, seed 42, CSV, 28 incidents (two per scenario), UTC.
    pub fn new(out: impl Into<PathBuf>) -> Self {
        SimulateParams {
            out: out.into(),
            users: 1000,
            patients: 20_000,
            days: 30,
            seed: 42,
            format: BundleFormat::Csv,
            synthea: None,
            incidents: 28,
            start_date: NaiveDate::from_ymd_opt(2026, 10, 1).expect("valid constant date"),
            timezone: Tz::UTC,
            realism: Realism::Clean,
            export: None,
        }
    }

    /// The export actually used: `export` when set, else [`Export::Hr`]
    /// for the real world and [`Export::Clean`] for the clean one.
    pub fn export_style(&self) -> Export {
        self.export.unwrap_or(match self.realism {
            Realism::Clean => Export::Clean,
            Realism::Real => Export::Hr,
        })
    }

    /// Validates the parameters; the simulator calls this first.
    pub fn check(&self) -> Result<(), SimulateError> {
        if self.users < 40 {
            return Err(SimulateError::Params(format!(
                "--users {} is too small; a hospital needs at least 40 accounts to staff every department",
                self.users
            )));
        }
        if self.users > 200_000 {
            return Err(SimulateError::Params(format!("--users {} is too large; at most 200000", self.users)));
        }
        if self.synthea.is_none() && self.patients < 200 {
            return Err(SimulateError::Params(format!("--patients {} is too small; at least 200", self.patients)));
        }
        if self.patients > 5_000_000 {
            return Err(SimulateError::Params(format!("--patients {} is too large; at most 5000000", self.patients)));
        }
        if self.days == 0 || self.days > 730 {
            return Err(SimulateError::Params(format!("--days {} is out of range; expected 1 to 730", self.days)));
        }
        Ok(())
    }
}

/// Why a simulation failed. Messages name the file and never a patient.
#[derive(Debug, thiserror::Error)]
pub enum SimulateError {
    /// A parameter is out of range.
    #[error("invalid simulation parameters: {0}")]
    Params(String),
    /// The output folder or a file in it could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A Parquet file could not be encoded.
    #[error("cannot write parquet file {path}: {message}")]
    Parquet {
        /// The file.
        path: PathBuf,
        /// What polars reported.
        message: String,
    },
    /// A Synthea input file is missing or unreadable.
    #[error("cannot read synthea file {path}: {message}")]
    Synthea {
        /// The file.
        path: PathBuf,
        /// What went wrong, with the line when known.
        message: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_pass_and_bad_values_fail() {
        let p = SimulateParams::new("/tmp/x");
        assert!(p.check().is_ok());
        let mut q = p.clone();
        q.users = 3;
        assert!(q.check().unwrap_err().to_string().contains("--users 3"));
        let mut q = p.clone();
        q.days = 0;
        assert!(q.check().is_err());
    }

    #[test]
    fn export_follows_realism_unless_given() {
        let mut p = SimulateParams::new("/tmp/x");
        assert_eq!(p.export_style(), Export::Clean);
        p.realism = Realism::Real;
        assert_eq!(p.export_style(), Export::Hr);
        p.export = Some(Export::Clean);
        assert_eq!(p.export_style(), Export::Clean);
        p.realism = Realism::Clean;
        p.export = Some(Export::Hr);
        assert_eq!(p.export_style(), Export::Hr);
    }
}
