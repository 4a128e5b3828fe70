//! Writers: a canonical access log rendered in a source system's format, so
//! every adapter can be tested by a round trip (canonical bundle → format →
//! `import` → `detect` gives the alerts of the canonical bundle) and the
//! simulator can write its log as a hospital's system would.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use chrono_tz::Tz;

use super::epic::EpicWriter;
use super::fhir::{FhirWriter, FHIR_FILE};
use super::openemr::OpenemrWriter;
use super::record::AccessRecord;
use super::run::Format;
use crate::ingest::{read_bundle, IngestError, Ingested};
use crate::progress::Progress;

/// Writes canonical records in one source format into a folder.
pub enum AccessLogWriter {
    /// `audit_events.ndjson`: FHIR R4 AuditEvents in the IHE BALP shape.
    Fhir(FhirWriter<BufWriter<File>>, PathBuf),
    /// `epic_access_log.csv`, `epic_metrics.csv`, `epic_metric_mapping.toml`.
    Epic(EpicWriter),
    /// `openemr_log.csv`.
    Openemr(OpenemrWriter, PathBuf),
}

impl AccessLogWriter {
    /// Starts writing `format` into folder `dir` (created if missing); local
    /// times (Epic, OpenEMR) are written in `tz`. `csv` has no writer: the
    /// canonical CSV is the contract's own.
    pub fn create(format: Format, dir: &Path, tz: Tz) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        Ok(match format {
            Format::Fhir => {
                let f = File::create(dir.join(FHIR_FILE))?;
                AccessLogWriter::Fhir(FhirWriter::new(BufWriter::with_capacity(1 << 20, f)), dir.join(FHIR_FILE))
            }
            Format::Epic => AccessLogWriter::Epic(EpicWriter::create(dir, tz)?),
            Format::Openemr => AccessLogWriter::Openemr(OpenemrWriter::create(dir, tz)?, dir.to_path_buf()),
            Format::Csv => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "csv has no writer; the canonical access_log.csv is already CSV",
                ))
            }
        })
    }

    /// Writes one record.
    pub fn write(&mut self, r: &AccessRecord) -> std::io::Result<()> {
        match self {
            AccessLogWriter::Fhir(w, _) => w.write(r),
            AccessLogWriter::Epic(w) => w.write(r),
            AccessLogWriter::Openemr(w, _) => w.write(r),
        }
    }

    /// Finishes every file; returns the files written (the access log first).
    pub fn finish(self) -> std::io::Result<Vec<PathBuf>> {
        match self {
            AccessLogWriter::Fhir(w, path) => {
                let inner = w.finish()?;
                inner.into_inner().map_err(|e| e.into_error())?.sync_all()?;
                Ok(vec![path])
            }
            AccessLogWriter::Epic(w) => w.finish(),
            AccessLogWriter::Openemr(w, dir) => w.finish(&dir),
        }
    }
}

/// The accepted access_log rows of an ingested bundle as canonical records,
/// in the pipeline's order (user, time). `reason` and `event_id` are not kept
/// by ingest and come back empty.
pub fn records(ingested: &Ingested) -> impl Iterator<Item = AccessRecord> + '_ {
    let e = &ingested.events;
    let d = &ingested.dict;
    let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
    (0..e.len()).map(move |i| AccessRecord {
        timestamp: e.ts[i],
        user_id: d.users.name(e.user[i]).to_string(),
        patient_id: opt(d.patients.name(e.patient[i])),
        action: e.action[i],
        data_category: e.category[i],
        workstation_id: opt(d.workstations.name(e.workstation[i])),
        ip_address: opt(d.ips.name(e.ip[i])),
        department_id: opt(d.departments.name(e.department[i])),
        break_glass: e.break_glass[i],
        reason: None,
        event_id: None,
    })
}

/// A failure to render a bundle in another format.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The canonical bundle could not be read.
    #[error(transparent)]
    Ingest(#[from] IngestError),
    /// The output could not be written.
    #[error("{dir}: cannot write: {source}")]
    Write {
        /// The output folder.
        dir: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Reads the canonical bundle `input` (naive timestamps in `tz`) and writes
/// its access log as `format` into `out`. Returns the files written.
pub fn write_bundle_as(input: &Path, tz: Tz, format: Format, out: &Path) -> Result<Vec<PathBuf>, RenderError> {
    let ingested = read_bundle(input, tz, &Progress::hidden())?;
    let err = |source| RenderError::Write { dir: out.to_path_buf(), source };
    let mut w = AccessLogWriter::create(format, out, tz).map_err(err)?;
    for r in records(&ingested) {
        w.write(&r).map_err(err)?;
    }
    w.finish().map_err(err)
}
