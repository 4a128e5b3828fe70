//! Command-line arguments (clap derive). Doc comments are the help text.
//! Nothing outside the binary sees clap but `score::Severity`, which
//! derives `ValueEnum` so `--fail-on` parses straight into it: arguments
//! become a validated [`ehrwatch::Config`] and a request here.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Finds the EHR accesses a privacy officer must look at: snooping in the
/// records of VIPs, coworkers, relatives, neighbours or oneself, and bulk
/// data theft. Reads an input bundle of audit logs and hospital context
/// (see the data contract) and writes ranked alerts with plain-language
/// evidence.
///
/// Exit codes: 0 success (alerts or not), 1 bad input, configuration or
/// usage, 2 internal or environment failure, 3 alerts at or above
/// `detect --fail-on` were written, 4 another run holds the output or state
/// folder.
#[derive(Debug, Parser)]
#[command(name = "ehrwatch", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    /// Print nothing but errors (no progress, no result line).
    #[arg(long, short, global = true)]
    pub quiet: bool,

    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read an input bundle, explain accesses by care, detect and rank
    /// findings, and write alerts.csv, alerts.jsonl, alerts.parquet,
    /// cases.csv, user_features.parquet, rejected_rows.csv and summary.json.
    Detect(DetectArgs),
    /// Convert a source system's audit export into the canonical access_log
    /// of an input bundle: HL7 FHIR AuditEvent (NDJSON, Bundle or single
    /// resources, R4 or R5), an Epic ACCESS_LOG-style extract, rows of
    /// OpenEMR's log table, or any delimited file with a TOML mapping. Writes
    /// BUNDLE/access_log.parquet, import_rejected_rows.csv and
    /// import_summary.json; add users, patients and encounters, then run
    /// detect on BUNDLE.
    Import(ImportArgs),
    /// Simulate a hospital (workforce, patients, encounters, care-driven
    /// accesses) with injected, labelled incidents and legitimate
    /// look-alikes, and write an input bundle (with care_team.csv, the
    /// study teams) plus labels.csv and lookalikes.csv. The same seed gives
    /// the same bytes.
    Simulate(SimulateArgs),
    /// Score a run's alerts.csv against a simulation's labels.csv: an alert
    /// hits a label when user, patient and time window match. Recall at K
    /// per scenario, precision and case-capped precision at K, average
    /// precision, look-alikes in the top K, alerts per 1,000 users per day,
    /// then one JSON line with the totals.
    Evaluate(EvaluateArgs),
    /// Start a part of an Apache DataFusion Ballista cluster that runs
    /// `detect --engine ballista` (a scheduler, or an executor with
    /// ehrwatch's operators compiled in). Needs a build with the `cluster`
    /// feature.
    #[command(subcommand)]
    Cluster(ClusterCommand),
    /// Answer the questions that follow an alert: who opened one patient's
    /// record (`investigate patient`), and what one user did
    /// (`investigate user`). Reads the bundle (or the state folder) as
    /// detect does, explains every access the same way, and writes a CSV
    /// file and a self-contained, printable HTML page.
    #[command(subcommand)]
    Investigate(InvestigateCommand),
    /// Build the row index of a Parquet access log: its rows copied in two
    /// orders (by user and by patient), and what the whole log teaches
    /// about each user (their role class learned from their work, their
    /// care-team collaborators), so that `investigate patient` reads one
    /// patient's rows only, without scanning the log. Written to
    /// BUNDLE/.ehrwatch-index (or --out), owner-only; investigate uses it
    /// while the log's files are unchanged, and scans when they changed.
    Index(IndexArgs),
}

/// Arguments of `index`.
#[derive(Debug, clap::Args)]
pub struct IndexArgs {
    /// Input bundle folder whose access log (Parquet) is indexed.
    #[arg(long, short, value_name = "BUNDLE")]
    pub input: PathBuf,

    /// Index folder. Default: BUNDLE/.ehrwatch-index, where investigate
    /// looks for it.
    #[arg(long, short, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Configuration file (TOML) whose explanation settings the role
    /// classes and care teams kept beside the index are learned with
    /// (investigate uses them when it runs with the same settings).
    #[arg(long, short, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// The hospital's IANA time zone, as for investigate.
    #[arg(long, value_name = "NAME")]
    pub timezone: Option<String>,
}

/// Where `detect` runs its analysis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Engine {
    /// On this machine.
    Local,
    /// On an Apache DataFusion Ballista cluster (--scheduler, or
    /// --standalone N in this process); needs the `cluster` feature.
    Ballista,
}

/// The parts of a cluster.
#[derive(Debug, Subcommand)]
#[cfg_attr(not(feature = "cluster"), allow(dead_code))]
pub enum ClusterCommand {
    /// Run a scheduler until stopped.
    Scheduler {
        /// Address to listen on.
        #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:50050")]
        bind: std::net::SocketAddr,
    },
    /// Run an executor until stopped. It must read the bundle at the path
    /// the driver names (a shared path) and the driver's --out folder.
    Executor {
        /// The scheduler, df://HOST:PORT.
        #[arg(long, value_name = "URL")]
        scheduler: String,
        /// Address to listen on.
        #[arg(long, value_name = "HOST", default_value = "127.0.0.1")]
        bind: String,
        /// Arrow Flight port (task results).
        #[arg(long, value_name = "PORT", default_value_t = 50051)]
        port: u16,
        /// gRPC port.
        #[arg(long, value_name = "PORT", default_value_t = 50052)]
        grpc_port: u16,
        /// Tasks run at once (each is a partition of users, itself parallel).
        #[arg(long, value_name = "N", default_value_t = 1)]
        slots: usize,
        /// Scratch folder for shuffle files.
        #[arg(long, value_name = "DIR")]
        work_dir: Option<PathBuf>,
    },
}

/// What `investigate` looks at.
#[derive(Debug, Subcommand)]
pub enum InvestigateCommand {
    /// Every access to one patient's record in the period, with the user,
    /// role class, department, workstation, action, data category,
    /// break-the-glass and the care explanation: writes patient_access.csv
    /// and patient_access.html. On a bundle only the patient's rows and
    /// the rows of the users who opened the record are read (pushed into
    /// Parquet scans).
    Patient(InvestigatePatientArgs),
    /// One user's activity in the period: per patient first and last
    /// access, counts by action and category, the explanation and alert
    /// ids; the page adds hours against usual hours, daily distinct
    /// patients against the peer group, and devices. Writes
    /// user_activity.csv and user_activity.html.
    User(InvestigateUserArgs),
}

/// What both investigations take.
#[derive(Debug, clap::Args)]
pub struct InvestigateCommon {
    /// Input bundle folder, as for detect. With --state, it gives the
    /// users, patients and encounters tables (and any access-log files the
    /// state has not absorbed).
    #[arg(long, short, value_name = "BUNDLE", required_unless_present = "state")]
    pub input: Option<PathBuf>,

    /// The state folder of `detect --state`: investigate its retained
    /// history (without --input, no users, patients or encounters tables
    /// are known, so only the user's own charting explains an access).
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,

    /// Output folder; created if missing. Files are replaced atomically and
    /// are readable by their owner only.
    #[arg(long, short, value_name = "DIR")]
    pub out: PathBuf,

    /// First local day (YYYY-MM-DD) of the period. Default: the data's first.
    #[arg(long, value_name = "DATE", value_parser = parse_date_arg)]
    pub from: Option<chrono::NaiveDate>,

    /// Last local day (YYYY-MM-DD, inclusive) of the period. Default: the
    /// data's last.
    #[arg(long, value_name = "DATE", value_parser = parse_date_arg)]
    pub to: Option<chrono::NaiveDate>,

    /// Configuration file (TOML), as for detect: time zone and explanation
    /// windows.
    #[arg(long, short, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// The hospital's IANA time zone, as for detect.
    #[arg(long, value_name = "NAME")]
    pub timezone: Option<String>,

    /// Key file of `detect --pseudonymize-key`: ids given are tokens of
    /// the pseudonymized exports, ids shown are tokens, names are left out.
    #[arg(long, value_name = "FILE")]
    pub pseudonymize_key: Option<PathBuf>,
}

/// Arguments of `investigate patient`.
#[derive(Debug, clap::Args)]
pub struct InvestigatePatientArgs {
    /// The patient id (its token with --pseudonymize-key).
    #[arg(long, value_name = "ID")]
    pub patient: String,

    /// Read and explain the whole access log, as detect does, instead of
    /// the rows of the patient and of the users who opened the record
    /// (slower; the care-team explanations can then differ, see README).
    #[arg(long)]
    pub full_scan: bool,

    /// Row index folder of `ehrwatch index`. Default: BUNDLE/.ehrwatch-index
    /// when it exists. An index that does not match the log's files is not
    /// used (the log is scanned, and the page says so).
    #[arg(long, value_name = "DIR", conflicts_with = "full_scan")]
    pub index: Option<PathBuf>,

    #[command(flatten)]
    pub common: InvestigateCommon,
}

/// Arguments of `investigate user`.
#[derive(Debug, clap::Args)]
pub struct InvestigateUserArgs {
    /// The user id (its token with --pseudonymize-key).
    #[arg(long, value_name = "ID")]
    pub user: String,

    /// alerts.csv of a detect run: its alert ids for this user and each
    /// patient are listed.
    #[arg(long, value_name = "FILE")]
    pub alerts: Option<PathBuf>,

    #[command(flatten)]
    pub common: InvestigateCommon,
}

/// Access-log format written by `simulate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SimFormat {
    /// One access_log.csv.
    Csv,
    /// A folder access_log/ with one YYYY-MM-DD.parquet per day.
    Parquet,
    /// audit_events.ndjson: FHIR R4 AuditEvents (IHE BALP); run
    /// `ehrwatch import --from fhir` on it.
    Fhir,
    /// epic_access_log.csv, epic_metrics.csv, epic_metric_mapping.toml; run
    /// `ehrwatch import --from epic --metrics ... --mapping ...`.
    Epic,
    /// openemr_log.csv (department in groupname); run
    /// `ehrwatch import --from openemr --department-from-group`.
    Openemr,
}

/// Which world `simulate` builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SimRealism {
    /// The simulator's own world: 14 incident scenarios, 10 look-alikes
    /// (the same bytes as earlier versions for a seed).
    Clean,
    /// The same world plus real-world incidents (service_snoop,
    /// former_patient, research_snoop, insider_export, low_curiosity) and
    /// look-alikes (pharmacist_verification, coder_discharged,
    /// readmission_reread).
    Real,
}

/// How `simulate` spells the world it writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SimExport {
    /// The simulator's vocabulary: role words, EHR department ids in
    /// users.csv, one spelling of names and addresses, fixed IP addresses.
    Clean,
    /// As a hospital's systems write it: HR job titles and cost-centre
    /// codes, upper-case names and addresses in users.csv, nicknames,
    /// maiden names and other address spellings in patient_contacts.csv,
    /// DHCP workstation addresses (new each day; VPN at each login).
    Hr,
}

/// Arguments of `simulate`.
#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// Output folder for the bundle; created if missing, bundle files in it
    /// are replaced.
    #[arg(long, short, value_name = "DIR")]
    pub out: PathBuf,

    /// Number of EHR user accounts (the workforce), at least 40.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub users: usize,

    /// Number of patients with a record, at least 200. Ignored with
    /// --synthea, which brings its own patients.
    #[arg(long, value_name = "N", default_value_t = 20000)]
    pub patients: usize,

    /// Days of access log to simulate (1 to 730).
    #[arg(long, value_name = "N", default_value_t = 30)]
    pub days: u32,

    /// Seed of every random choice; the same seed gives the same bytes.
    #[arg(long, value_name = "S", default_value_t = 42)]
    pub seed: u64,

    /// Access-log format; the small tables are CSV either way.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = SimFormat::Csv)]
    pub format: SimFormat,

    /// Folder of Synthea CSV output (patients.csv, providers.csv,
    /// encounters.csv): use its patients, providers and encounters, moved
    /// in time into the simulated window, and simulate the workforce and
    /// accesses on top.
    #[arg(long, value_name = "DIR")]
    pub synthea: Option<PathBuf>,

    /// Number of injected incidents, spread round-robin over the 14
    /// scenarios (self, family, coworker, neighbour, contact, vip, deceased,
    /// restricted, break_glass, terminated, bulk_export_night,
    /// slow_exfiltration, curious_browsing, compromised_account). With
    /// --realism real, N x 5 / 14 more (rounded up: 10 for 28, two each)
    /// are spread round-robin over the five real-world scenarios.
    #[arg(long, value_name = "N", default_value_t = 28)]
    pub incidents: usize,

    /// Which world: `clean`, or `real` to add real-world incidents and
    /// look-alikes to the same world (the clean world's rows, labels and
    /// look-alikes all stay).
    #[arg(long, value_enum, value_name = "WORLD", default_value_t = SimRealism::Clean)]
    pub realism: SimRealism,

    /// How the world is written: `clean` vocabulary or `hr` spelling (job
    /// titles, cost centres, name and address variants, DHCP addresses).
    /// Default: hr with --realism real, else clean. `--realism real
    /// --export clean` writes the same real world in the clean vocabulary,
    /// to compare alerts between the two spellings of one world.
    #[arg(long, value_enum, value_name = "STYLE")]
    pub export: Option<SimExport>,

    /// First simulated day (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", default_value = "2026-10-01")]
    pub start_date: String,

    /// The hospital's IANA time zone (e.g. America/Chicago); timestamps are
    /// written as naive local times in it. UTC when not given.
    #[arg(long, value_name = "NAME")]
    pub timezone: Option<String>,
}

/// Arguments of `evaluate`.
#[derive(Debug, clap::Args)]
pub struct EvaluateArgs {
    /// labels.csv written by `ehrwatch simulate`. A lookalikes.csv next to
    /// it is read too, to report look-alikes in the top K.
    #[arg(long, value_name = "FILE")]
    pub labels: PathBuf,

    /// alerts.csv written by `ehrwatch detect`.
    #[arg(long, value_name = "FILE")]
    pub alerts: PathBuf,

    /// How many of the top-ranked alerts a reviewer looks at; twice the
    /// number of incidents when not given.
    #[arg(long, value_name = "K")]
    pub k: Option<usize>,

    /// Users in the hospital, for alerts per 1,000 users per day; the
    /// distinct users of users.csv next to the labels when not given.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub users: Option<u64>,

    /// Days the run's access log spans, for alerts per 1,000 users per day;
    /// the detection window in summary.json next to the alerts (detect
    /// --from/--to or --last) when not given.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub days: Option<u32>,
}

/// Arguments of `detect`.
#[derive(Debug, clap::Args)]
pub struct DetectArgs {
    /// Input bundle folder: access_log (required), users, patients,
    /// encounters, patient_contacts, each as NAME.csv, NAME.csv.gz,
    /// NAME.parquet or a folder NAME/ of such files.
    #[arg(long, short, value_name = "BUNDLE")]
    pub input: PathBuf,

    /// Output folder; created if missing. Files are replaced atomically and
    /// are readable by their owner only.
    #[arg(long, short, value_name = "DIR")]
    pub out: PathBuf,

    /// Configuration file (TOML): time zone, explanation windows, rule
    /// switches and weights, scoring. See README "Configuration".
    #[arg(long, short, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// The hospital's IANA time zone (e.g. America/Chicago). Naive input
    /// timestamps are read in it and hour-of-day features use it. Overrides
    /// `timezone` in the configuration file; UTC when neither is given.
    #[arg(long, value_name = "NAME")]
    pub timezone: Option<String>,

    /// First day (YYYY-MM-DD, hospital local) whose accesses may raise
    /// alerts. Earlier data still serves as baseline (explanations and
    /// features use all of it). Default: the data's first day.
    #[arg(long, value_name = "DATE", value_parser = parse_date_arg, conflicts_with = "last")]
    pub from: Option<chrono::NaiveDate>,

    /// Last day (YYYY-MM-DD, hospital local, inclusive) whose accesses may
    /// raise alerts. Default: the data's last day.
    #[arg(long, value_name = "DATE", value_parser = parse_date_arg, conflicts_with = "last")]
    pub to: Option<chrono::NaiveDate>,

    /// Alert only on the last N days of the data (`1d`, `7d`, `2w`), ending
    /// on the local day of its latest access; earlier data is baseline.
    #[arg(long, value_name = "SPAN", value_parser = parse_span_days)]
    pub last: Option<u32>,

    /// reviewed.csv with the columns alert_id, verdict (confirmed,
    /// false_positive or duplicate), reviewer, note: alerts closed as false
    /// positives or duplicates are suppressed, and users with confirmed
    /// alerts score higher (score.repeat_offender_weight). Unusable rows go
    /// to rejected_rows.csv (table `reviewed`).
    #[arg(long, value_name = "FILE")]
    pub reviewed: Option<PathBuf>,

    /// Exit with code 3 (after writing every output) when an alert of this
    /// severity or higher is written: for cron jobs that must page someone.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<ehrwatch::score::Severity>,

    /// Key file (at least 16 bytes; one trailing newline ignored): replace
    /// user and patient ids (and alert and case ids) in alerts.*, cases.csv,
    /// user_features.parquet and report.html by keyed HMAC-SHA256 tokens,
    /// stable for the key; rejected_rows.csv withholds its raw column.
    #[arg(long, value_name = "FILE")]
    pub pseudonymize_key: Option<PathBuf>,

    /// Incremental nightly mode: a state folder (created on first use,
    /// owner-only) that keeps the access log of earlier runs, so the bundle
    /// needs only the new day's access-log files (plus the current users,
    /// patients and encounters). Baselines are computed over the state and
    /// the new files, alerts come from the new files' days unless
    /// --from/--to/--last say otherwise, and the new files are added to
    /// the state after the outputs are written. Feeding a file already
    /// absorbed (a rerun) replaces its earlier copy, so a rerun gives the
    /// same result. Start it with one run over a bundle of all past days.
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,

    /// Days of access log the state keeps, counted back from the latest
    /// day (with --state).
    #[arg(long, value_name = "N", default_value_t = 30, requires = "state",
          value_parser = clap::value_parser!(u32).range(1..=3660))]
    pub state_days: u32,

    /// Largest access log, in events, held in memory whole. A larger one
    /// (counted from Parquet metadata, estimated from the size of CSV
    /// files; each user the users table lists counts as 25 events more,
    /// as a user costs about 1.8 KB of its own) is first spilled to disk,
    /// coded, in an owner-only folder inside --out that is removed at the
    /// end (the pieces of files being read hold about N rows in all,
    /// however large each file is), then processed a partition of users
    /// (at most N events, users weighed likewise) at a time, the next one
    /// read meanwhile: the outputs are the same, and memory grows with N,
    /// not with the log (2.6-3.2 GB at the default on 100 million events).
    /// 0 holds any log in memory. With --state the history counts with
    /// the new files: a night over a long retention is spilled likewise.
    #[arg(long, value_name = "N", default_value_t = 20_000_000)]
    pub partition_events: u64,

    /// Stop with exit code 1, writing nothing, when more than this share
    /// (0 to 1) of any table's rows is rejected: a broken nightly feed
    /// fails the job loudly. Overrides input.max_reject_share (default
    /// 0.05); 1 never stops.
    #[arg(long, value_name = "SHARE", value_parser = parse_share)]
    pub max_reject_share: Option<f64>,

    /// Where the analysis runs: `local`, or `ballista` (an Apache
    /// DataFusion Ballista cluster: --scheduler or --standalone; needs a
    /// build with the `cluster` feature). The outputs are the same.
    #[arg(long, value_enum, value_name = "ENGINE", default_value = "local")]
    pub engine: Engine,

    /// With --engine ballista: the cluster's scheduler, df://HOST:PORT.
    #[arg(long, value_name = "URL", conflicts_with = "standalone")]
    pub scheduler: Option<String>,

    /// With --engine ballista: run a cluster of N executors inside this
    /// process (for tests and trials).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=64))]
    pub standalone: Option<u32>,

    /// With --engine ballista: partitions (tasks) a log held in memory is
    /// cut into; default 4 per executor (--standalone) or 8.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub cluster_partitions: Option<u32>,

    /// With --engine ballista and a Parquet access log: each task reads
    /// only its partition's users' rows (the user ids pushed into the
    /// scan) instead of each executor reading the whole log once. Less
    /// memory per executor on a large log, but every task scans the
    /// log's user column.
    #[arg(long)]
    pub split_scan: bool,

    /// With --engine ballista: the executors read the access log a slice
    /// each and shuffle its rows by user, so no process reads the whole
    /// log (the driver reads only the context tables). The default for a
    /// Parquet log; this asks for it with any log.
    #[arg(long, conflicts_with = "split_scan")]
    pub shuffle: bool,

    /// With --engine ballista: the driver reads the whole access log, and
    /// so does each executor once per run (the mode before --shuffle).
    #[arg(long, conflicts_with_all = ["split_scan", "shuffle"])]
    pub whole_scan: bool,
}

fn parse_share(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!("{s:?} is not a share; expected a number from 0 to 1, like 0.05")),
    }
}

fn parse_date_arg(s: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("{s:?} is not a date; expected YYYY-MM-DD"))
}

/// `7d` -> 7, `2w` -> 14; a bare number is days.
fn parse_span_days(s: &str) -> Result<u32, String> {
    let t = s.trim().to_ascii_lowercase();
    let (num, unit) = match t.strip_suffix('d') {
        Some(n) => (n, 1),
        None => match t.strip_suffix('w') {
            Some(n) => (n, 7),
            None => (t.as_str(), 1),
        },
    };
    match num.parse::<u32>() {
        Ok(n) if n >= 1 && n <= 3660 / unit => Ok(n * unit),
        _ => Err(format!("{s:?} is not a span; expected days like 1d or 7d, or weeks like 2w")),
    }
}

/// Source format of `import`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ImportFormat {
    /// HL7 FHIR AuditEvent, R4 or R5 (IHE BALP): .ndjson/.jsonl (bulk
    /// export), a .json Bundle, array or single resource; .gz too.
    Fhir,
    /// Epic Clarity ACCESS_LOG-style extract (ACCESS_TIME, USER_ID,
    /// WORKSTATION_ID, METRIC_ID, PAT_ID, CSN, ACCESS_ACTION_C) with a metric
    /// table (--metrics) and a metric-name mapping (--mapping, else built in).
    Epic,
    /// Rows of OpenEMR's `log` table exported as CSV/TSV with a header
    /// (date, event, category, user, patient_id, success, ...).
    Openemr,
    /// Any delimited file, read through a TOML column mapping (--mapping).
    Csv,
}

/// Arguments of `import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// Source format.
    #[arg(long = "from", value_enum, value_name = "FORMAT")]
    pub from: ImportFormat,

    /// Input files or folders (folders are searched recursively for files
    /// of the format; .gz files are decompressed on the fly).
    #[arg(value_name = "INPUT", required = true)]
    pub inputs: Vec<PathBuf>,

    /// Output bundle folder; created if missing. access_log.parquet,
    /// import_rejected_rows.csv and import_summary.json are replaced
    /// atomically and are readable by their owner only. Other tables in it
    /// are left alone.
    #[arg(long, short, value_name = "BUNDLE")]
    pub out: PathBuf,

    /// The hospital's IANA time zone (e.g. America/Chicago): source
    /// timestamps without an offset (Epic, OpenEMR, most CSV) are read in
    /// it. Overrides the csv mapping's `timezone`; UTC when neither is given.
    #[arg(long, value_name = "NAME")]
    pub timezone: Option<String>,

    /// csv: the TOML column mapping (required). epic: the metric-name
    /// mapping (default: the built-in one, src/import/epic_metrics.toml).
    #[arg(long, value_name = "FILE")]
    pub mapping: Option<PathBuf>,

    /// epic: the metric table, a CSV with METRIC_ID and METRIC_NAME; not
    /// needed when the extract has a METRIC_NAME column.
    #[arg(long, value_name = "FILE")]
    pub metrics: Option<PathBuf>,

    /// epic, openemr: chrono format of timestamps not in the contract's
    /// forms, e.g. "%m/%d/%Y %I:%M:%S %p" (with %z the text carries its
    /// offset; otherwise it is local time in --timezone).
    #[arg(long, value_name = "FORMAT")]
    pub timestamp_format: Option<String>,

    /// openemr: read `groupname` as department_id (when the site's OpenEMR
    /// groups are its departments).
    #[arg(long)]
    pub department_from_group: bool,
}
