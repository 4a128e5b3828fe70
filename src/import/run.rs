//! `ehrwatch import`: plans the conversion (loads mappings, finds inputs),
//! then streams every input through its format's reader into one staged
//! `access_log.parquet`, `import_rejected_rows.csv` and `import_summary.json`,
//! renamed into the bundle only when all three are complete.

use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono_tz::Tz;

use super::csv_mapping::{self, CsvMapping};
use super::epic::{self, EpicPlan};
use super::error::ImportError;
use super::fhir;
use super::inputs::{expand, InputFile};
use super::openemr::{self, OpenemrPlan};
use super::parquet_sink::ParquetSink;
use super::session::{ImportSummary, Session, ACCESS_LOG_FILE, REJECTED_FILE, SUMMARY_FILE};
use crate::fs::Staging;
use crate::output::CONTRACT_VERSION;
use crate::progress::Progress;
use crate::time::ZoneCache;

/// A source format `import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// HL7 FHIR AuditEvent (R4 or R5): NDJSON, a Bundle, or single resources.
    Fhir,
    /// An Epic Clarity ACCESS_LOG-style extract.
    Epic,
    /// Rows of OpenEMR's `log` table.
    Openemr,
    /// Any delimited file, with a TOML mapping.
    Csv,
}

impl Format {
    /// The format's name on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Fhir => "fhir",
            Format::Epic => "epic",
            Format::Openemr => "openemr",
            Format::Csv => "csv",
        }
    }
}

/// What to import, and how.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    /// The source format.
    pub format: Format,
    /// Input files or folders.
    pub inputs: Vec<PathBuf>,
    /// The output bundle folder (created if missing).
    pub out: PathBuf,
    /// Time zone for naive source timestamps; for `csv` it overrides the
    /// mapping's `timezone`; UTC when neither is given.
    pub timezone: Option<Tz>,
    /// `csv`: the column mapping (required). `epic`: metric name mapping
    /// (the built-in default when absent).
    pub mapping: Option<PathBuf>,
    /// `epic`: the metric table (METRIC_ID, METRIC_NAME); not needed when the
    /// extract carries METRIC_NAME itself.
    pub metrics: Option<PathBuf>,
    /// `epic`, `openemr`: a chrono format for timestamps that are not in the
    /// contract's forms (e.g. `%m/%d/%Y %I:%M:%S %p`).
    pub timestamp_format: Option<String>,
    /// `openemr`: read `groupname` as department_id.
    pub department_from_group: bool,
}

impl ImportRequest {
    /// A request with defaults for the optional parts.
    pub fn new(format: Format, inputs: Vec<PathBuf>, out: PathBuf) -> Self {
        ImportRequest {
            format,
            inputs,
            out,
            timezone: None,
            mapping: None,
            metrics: None,
            timestamp_format: None,
            department_from_group: false,
        }
    }
}

enum Plan {
    Fhir,
    Epic(EpicPlan),
    Openemr(OpenemrPlan),
    Csv(CsvMapping),
}

/// Refuses an output bundle that already holds access_log in another form.
fn check_out(out: &Path) -> Result<(), ImportError> {
    for name in ["access_log.csv", "access_log.csv.gz", "access_log"] {
        if out.join(name).exists() {
            return Err(ImportError::ConflictingTable { dir: out.to_path_buf(), existing: name.to_string() });
        }
    }
    Ok(())
}

fn usage_checks(req: &ImportRequest) -> Result<(), ImportError> {
    let f = req.format.as_str();
    if req.inputs.is_empty() {
        return Err(ImportError::Usage("no input given; expected one or more files or folders".into()));
    }
    if req.metrics.is_some() && req.format != Format::Epic {
        return Err(ImportError::Usage(format!("--metrics is for --from epic, not --from {f}")));
    }
    if req.mapping.is_some() && !matches!(req.format, Format::Epic | Format::Csv) {
        return Err(ImportError::Usage(format!("--mapping is for --from csv or epic, not --from {f}")));
    }
    if req.department_from_group && req.format != Format::Openemr {
        return Err(ImportError::Usage(format!("--department-from-group is for --from openemr, not --from {f}")));
    }
    if req.timestamp_format.is_some() && !matches!(req.format, Format::Epic | Format::Openemr) {
        return Err(ImportError::Usage(format!(
            "--timestamp-format is for --from epic or openemr (csv sets timestamp_format in its mapping), not --from {f}"
        )));
    }
    Ok(())
}

/// Runs an import. Nothing is printed; the summary is returned and written
/// to `import_summary.json` in the bundle.
pub fn run_import(req: &ImportRequest, progress: &Progress) -> Result<ImportSummary, ImportError> {
    let started = Instant::now();
    usage_checks(req)?;
    check_out(&req.out)?;
    let (plan, files, tz): (Plan, Vec<InputFile>, Tz) = match req.format {
        Format::Fhir => (Plan::Fhir, expand(&req.inputs, &fhir::EXTENSIONS, fhir::EXPECTED)?, tz_or_utc(req.timezone)),
        Format::Epic => {
            let plan = epic::plan(req)?;
            (Plan::Epic(plan), expand(&req.inputs, &[".csv", ".txt", ".tsv"], "epic .csv")?, tz_or_utc(req.timezone))
        }
        Format::Openemr => {
            let plan = openemr::plan(req)?;
            (
                Plan::Openemr(plan),
                expand(&req.inputs, &[".csv", ".tsv", ".txt"], "openemr .csv")?,
                tz_or_utc(req.timezone),
            )
        }
        Format::Csv => {
            let path = req.mapping.as_ref().ok_or_else(|| {
                ImportError::Usage("--from csv needs --mapping FILE (a TOML column mapping; see README)".into())
            })?;
            let mapping = csv_mapping::load(path)?;
            let tz = req.timezone.or(mapping.timezone).unwrap_or(Tz::UTC);
            (Plan::Csv(mapping), expand(&req.inputs, &[".csv", ".tsv", ".txt", ".psv"], "delimited")?, tz)
        }
    };

    let mut staging = Staging::new(&req.out).map_err(|e| ImportError::write(&req.out, e))?;
    let mut log_writer =
        staging.create(ACCESS_LOG_FILE).map_err(|e| ImportError::write(req.out.join(ACCESS_LOG_FILE), e))?;
    let mut rejects_writer =
        staging.create(REJECTED_FILE).map_err(|e| ImportError::write(req.out.join(REJECTED_FILE), e))?;
    let summary = {
        let sink =
            ParquetSink::new(&mut log_writer).map_err(|e| ImportError::write(req.out.join(ACCESS_LOG_FILE), e))?;
        let base = ImportSummary {
            contract_version: CONTRACT_VERSION,
            format: req.format.as_str().to_string(),
            timezone: tz.name().to_string(),
            output: ACCESS_LOG_FILE.to_string(),
            ..ImportSummary::default()
        };
        let mut session = Session::new(sink, &mut rejects_writer, req.out.join(REJECTED_FILE), base)?;
        let mut zone = ZoneCache::new(tz);
        let bar = progress.stage("import");
        for file in &files {
            session.begin_file(&file.display);
            match &plan {
                Plan::Fhir => fhir::read_file(file, &mut session, &mut zone)?,
                Plan::Epic(p) => epic::read_file(p, file, &mut session, &mut zone)?,
                Plan::Openemr(p) => openemr::read_file(p, file, &mut session, &mut zone)?,
                Plan::Csv(m) => csv_mapping::read_file(m, file, &mut session, &mut zone)?,
            }
            bar.inc(session.summary.inputs.last().map(|c| c.rows_read).unwrap_or(0));
        }
        bar.finish();
        session.finish()?
    };
    Staging::finish(log_writer).map_err(|e| ImportError::write(req.out.join(ACCESS_LOG_FILE), e))?;
    Staging::finish(rejects_writer).map_err(|e| ImportError::write(req.out.join(REJECTED_FILE), e))?;
    let mut summary = summary;
    summary.wall_seconds = (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0;
    let json = serde_json::to_vec_pretty(&summary).map_err(|e| ImportError::write(req.out.join(SUMMARY_FILE), e))?;
    let summary_err = |e: std::io::Error| ImportError::write(req.out.join(SUMMARY_FILE), e);
    let mut w = staging.create(SUMMARY_FILE).map_err(summary_err)?;
    std::io::Write::write_all(&mut w, &json).map_err(summary_err)?;
    Staging::finish(w).map_err(summary_err)?;
    staging.commit().map_err(|e| ImportError::write(&req.out, e))?;
    Ok(summary)
}

fn tz_or_utc(tz: Option<Tz>) -> Tz {
    tz.unwrap_or(Tz::UTC)
}
