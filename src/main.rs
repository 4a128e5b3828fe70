//! The `ehrwatch` binary: parse arguments, run one command, print a failure
//! as one line, and end with the command's [`ExitCode`] (`exit_codes.rs`:
//! 0 success, 1 bad input/configuration/usage, 2 internal or environment
//! failure, 3 `detect --fail-on` found alerts at or above its severity (the
//! outputs are written), 4 another run holds the output or state folder
//! (nothing was written)). `main` is the one place the process ends.

mod cli;
mod exit_codes;

use clap::Parser;
use ehrwatch::config::{parse_timezone, Config};
use ehrwatch::output::pseudonym::MIN_KEY_BYTES;
use ehrwatch::output::Pseudonymizer;
use ehrwatch::pipeline::{run_detect, DetectRequest, StateRequest};
use ehrwatch::progress::Progress;
use ehrwatch::score::{Severity, WindowSpec};

use cli::{
    Cli, ClusterCommand, Command, DetectArgs, Engine, EvaluateArgs, ImportArgs, ImportFormat, IndexArgs,
    InvestigateCommand, InvestigateCommon, SimExport, SimFormat, SimRealism, SimulateArgs,
};
use exit_codes::ExitCode;

/// A command that failed: the line to print after `ehrwatch: error: ` and
/// the exit code.
#[derive(Debug)]
struct Failure {
    message: String,
    code: ExitCode,
}

impl From<ehrwatch::Error> for Failure {
    fn from(e: ehrwatch::Error) -> Self {
        Failure { message: format!("{e:#}"), code: ExitCode::of(&e) }
    }
}

/// The library's errors a command meets, each through [`ehrwatch::Error`]
/// so it gets the library's exit code.
macro_rules! failure_from {
    ($($e:ty),*) => {$(
        impl From<$e> for Failure {
            fn from(e: $e) -> Self {
                ehrwatch::Error::from(e).into()
            }
        }
    )*};
}
failure_from!(
    ehrwatch::config::ConfigError,
    ehrwatch::import::ImportError,
    ehrwatch::simulate::SimulateError,
    ehrwatch::evaluate::EvaluateError
);

/// A usage error the binary finds itself (exit code 1).
fn fail(message: String) -> Failure {
    Failure { message, code: ExitCode::UserError }
}

/// Runs `detect`; with `--fail-on`, alerts at or above the severity end it
/// with [`ExitCode::AlertsAtSeverity`] once every output is written.
fn detect(args: DetectArgs, quiet: bool) -> Result<ExitCode, Failure> {
    let mut config = match &args.config {
        Some(path) => {
            let config = Config::load(path)?;
            // The `[rules.*]` tables belong to the rules: checked at startup.
            ehrwatch::detect::check_rules(&config.rules).map_err(|e| e.in_file(path))?;
            config
        }
        None => Config::default(),
    };
    if let Some(tz) = &args.timezone {
        config.timezone = parse_timezone(tz)?;
    }
    if let Some(share) = args.max_reject_share {
        config.input.max_reject_share = share;
    }
    let pseudonymizer = args.pseudonymize_key.as_deref().map(read_key).transpose()?;
    let window = match (args.last, args.from, args.to) {
        (Some(n), _, _) => WindowSpec::Last(n),
        (None, None, None) => WindowSpec::All,
        (None, from, to) => WindowSpec::Dates { from, to },
    };
    if let (Some(f), Some(t)) = (args.from, args.to) {
        if f > t {
            return Err(fail(format!("--from {f} is after --to {t}")));
        }
    }
    let engine = match args.engine {
        Engine::Local => {
            if args.scheduler.is_some()
                || args.standalone.is_some()
                || args.cluster_partitions.is_some()
                || args.split_scan
                || args.shuffle
                || args.whole_scan
            {
                return Err(fail(
                    "--scheduler, --standalone, --cluster-partitions and the scan options need --engine ballista"
                        .into(),
                ));
            }
            None
        }
        Engine::Ballista => Some(cluster_target(&args)?),
    };
    let req = DetectRequest {
        input: args.input.clone(),
        out: args.out.clone(),
        config,
        window,
        reviewed: args.reviewed.clone(),
        pseudonymizer,
        state: args.state.clone().map(|dir| StateRequest { dir, retain_days: args.state_days }),
        partition_events: args.partition_events,
    };
    let summary = match engine {
        None => run_detect(&req, &Progress::new(!quiet))?,
        Some(target) => on_cluster(&req, &args, target, &Progress::new(!quiet))?,
    };
    if !summary.duplicate_files.is_empty() {
        eprintln!(
            "ehrwatch: warning: {} input files repeat an earlier file's bytes and were read once; see duplicate_files in {}",
            summary.duplicate_files.len(),
            args.out.join("summary.json").display()
        );
    }
    if let Some(r) = summary.reviewed.as_ref().filter(|r| r.rows_rejected > 0) {
        eprintln!(
            "ehrwatch: warning: {} of {} rows of {} could not be used; see {} (table \"reviewed\")",
            r.rows_rejected,
            r.rows_read,
            r.path,
            args.out.join("rejected_rows.csv").display()
        );
    }
    if let Some(w) = summary.roles.as_ref().and_then(|r| r.warning.as_ref()) {
        eprintln!("ehrwatch: warning: {w}");
    }
    if !quiet {
        println!(
            "ehrwatch: {} events read, {} rejected, {:.1}% of patient accesses explained by care; {} alerts in {} cases written to {}",
            summary.events_read,
            summary.events_rejected,
            summary.explained_fraction * 100.0,
            summary.alerts,
            summary.cases,
            args.out.display()
        );
        let aliased: u64 = summary.aliased_values.values().sum();
        let other: u64 = summary.other_actions.values().chain(summary.other_categories.values()).sum();
        if aliased + other > 0 {
            println!(
                "ehrwatch: {aliased} action or data_category values read through an alias, {other} kept as other; see aliased_values, other_actions and other_categories in {}",
                args.out.join("summary.json").display()
            );
        }
        if summary.events_rejected + summary.other_rows_rejected > 0 {
            println!(
                "ehrwatch: {} input rows rejected; see {}",
                summary.events_rejected + summary.other_rows_rejected,
                args.out.join("rejected_rows.csv").display()
            );
        }
    }
    if let Some(level) = args.fail_on {
        let n: u64 = Severity::ALL
            .iter()
            .filter(|s| **s >= level)
            .filter_map(|s| summary.alerts_per_severity.get(s.as_str()))
            .sum();
        if n > 0 {
            let code = ExitCode::AlertsAtSeverity;
            if !quiet {
                eprintln!("ehrwatch: {n} alerts at or above --fail-on {}; exit code {}", level.as_str(), code.code());
            }
            return Ok(code);
        }
    }
    Ok(ExitCode::Success)
}

/// Where `--engine ballista` runs: a checked `--scheduler` or `--standalone`.
fn cluster_target(args: &DetectArgs) -> Result<ClusterTarget, Failure> {
    if args.state.is_some() {
        return Err(fail("--engine ballista does not take --state (an incremental night runs locally)".into()));
    }
    match (&args.scheduler, args.standalone) {
        (Some(url), None) => Ok(ClusterTarget::Remote(url.clone())),
        (None, Some(n)) => Ok(ClusterTarget::Standalone(n as usize)),
        _ => Err(fail("--engine ballista needs --scheduler df://HOST:PORT or --standalone N".into())),
    }
}

/// A cluster to run on, as the arguments name it.
#[derive(Debug)]
#[cfg_attr(not(feature = "cluster"), allow(dead_code))]
enum ClusterTarget {
    Remote(String),
    Standalone(usize),
}

/// Runs `detect` with its per-partition passes on a Ballista cluster.
#[cfg(feature = "cluster")]
fn on_cluster(
    req: &DetectRequest,
    args: &DetectArgs,
    target: ClusterTarget,
    progress: &Progress,
) -> Result<ehrwatch::output::Summary, Failure> {
    use ehrwatch::cluster::ballista::{OnCluster, Target};
    use ehrwatch::cluster::job::ConfigSource;
    let file = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| fail(format!("--config {}: cannot read: {e}", path.display())))?;
            Some((path.clone(), text))
        }
        None => None,
    };
    let source = ConfigSource { file, timezone: args.timezone.clone(), max_reject_share: args.max_reject_share };
    let (target, per) = match target {
        ClusterTarget::Remote(url) => (Target::Remote(url), 8),
        ClusterTarget::Standalone(n) => (Target::Standalone(n), 4 * n),
    };
    let partitions = args.cluster_partitions.map_or(per, |n| n as usize);
    let cluster = OnCluster::connect(&target, partitions, req, source)?
        .with_split_scan(args.split_scan)
        .with_shuffle(args.shuffle)
        .with_whole_scan(args.whole_scan);
    Ok(ehrwatch::pipeline::run_detect_with(req, Some(&cluster), progress)?)
}

/// Without the `cluster` feature, `--engine ballista` is refused.
#[cfg(not(feature = "cluster"))]
fn on_cluster(
    _req: &DetectRequest,
    _args: &DetectArgs,
    _target: ClusterTarget,
    _progress: &Progress,
) -> Result<ehrwatch::output::Summary, Failure> {
    Err(fail(NO_CLUSTER.into()))
}

/// The one line a build without the `cluster` feature answers cluster
/// requests with.
#[cfg(not(feature = "cluster"))]
const NO_CLUSTER: &str =
    "this ehrwatch was built without the `cluster` feature; rebuild with `cargo build --release --features cluster`";

/// Runs `cluster scheduler` or `cluster executor` until stopped.
#[cfg(feature = "cluster")]
fn cluster(command: ClusterCommand) -> Result<ExitCode, Failure> {
    use ehrwatch::cluster::ballista::{run_executor, run_scheduler, ExecutorOptions};
    match command {
        ClusterCommand::Scheduler { bind } => run_scheduler(bind)?,
        ClusterCommand::Executor { scheduler, bind, port, grpc_port, slots, work_dir } => {
            run_executor(&ExecutorOptions { scheduler, bind_host: bind, port, grpc_port, vcores: slots, work_dir })?
        }
    }
    Ok(ExitCode::Success)
}

/// Without the `cluster` feature there is no cluster to start.
#[cfg(not(feature = "cluster"))]
fn cluster(_command: ClusterCommand) -> Result<ExitCode, Failure> {
    Err(fail(NO_CLUSTER.into()))
}

/// Reads the `--pseudonymize-key` file; a missing or short key is a usage error.
fn read_key(path: &std::path::Path) -> Result<Pseudonymizer, Failure> {
    let bytes =
        std::fs::read(path).map_err(|e| fail(format!("--pseudonymize-key {}: cannot read: {e}", path.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).map_or(0, |m| m.permissions().mode() & 0o777);
        if mode & 0o044 != 0 {
            eprintln!(
                "ehrwatch: warning: --pseudonymize-key {} is readable by others (mode {mode:o}); whoever reads it can link tokens to ids: chmod 600 it",
                path.display()
            );
        }
    }
    Pseudonymizer::from_key_file_bytes(&bytes).ok_or_else(|| {
        fail(format!(
            "--pseudonymize-key {}: the key is shorter than {MIN_KEY_BYTES} bytes; use e.g. `head -c 32 /dev/urandom > key`",
            path.display()
        ))
    })
}

impl From<ehrwatch::investigate::InvestigateError> for Failure {
    fn from(e: ehrwatch::investigate::InvestigateError) -> Self {
        match e {
            ehrwatch::investigate::InvestigateError::Run(e) => e.into(),
            // Unknown ids, a folder that is no state, unreadable alerts:
            // the user can fix them.
            other => fail(format!("{other:#}")),
        }
    }
}

/// Runs `investigate patient` or `investigate user`.
fn investigate(command: InvestigateCommand, quiet: bool) -> Result<ExitCode, Failure> {
    use ehrwatch::investigate::{investigate_patient, investigate_user, InvestigateRequest, Source};
    let request = |common: InvestigateCommon,
                   full_scan: bool,
                   index: Option<std::path::PathBuf>|
     -> Result<InvestigateRequest, Failure> {
        let mut config = match &common.config {
            Some(path) => Config::load(path)?,
            None => Config::default(),
        };
        if let Some(tz) = &common.timezone {
            config.timezone = parse_timezone(tz)?;
        }
        if let (Some(f), Some(t)) = (common.from, common.to) {
            if f > t {
                return Err(fail(format!("--from {f} is after --to {t}")));
            }
        }
        let source = match (common.state, common.input) {
            (Some(dir), bundle) => Source::State { dir, bundle },
            (None, Some(bundle)) => Source::Bundle(bundle),
            (None, None) => return Err(fail("give --input BUNDLE or --state DIR".to_string())),
        };
        Ok(InvestigateRequest {
            source,
            out: common.out,
            config,
            from: common.from,
            to: common.to,
            pseudonymizer: common.pseudonymize_key.as_deref().map(read_key).transpose()?,
            full_scan,
            index,
        })
    };
    let progress = Progress::new(!quiet);
    let (outcome, what) = match command {
        InvestigateCommand::Patient(args) => {
            let req = request(args.common, args.full_scan, args.index)?;
            (investigate_patient(&req, &args.patient, &progress)?, "accesses to the patient")
        }
        InvestigateCommand::User(args) => {
            let req = request(args.common, false, None)?;
            (investigate_user(&req, &args.user, args.alerts.as_deref(), &progress)?, "patients opened by the user")
        }
    };
    if !quiet {
        let files = outcome.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(" and ");
        if outcome.rows == 0 {
            println!("ehrwatch: no {what} in the period; {files} written with zero rows");
        } else {
            println!("ehrwatch: {} {what} written to {files}", outcome.rows);
        }
    }
    Ok(ExitCode::Success)
}

/// Runs `simulate`.
fn simulate(args: SimulateArgs, quiet: bool) -> Result<ExitCode, Failure> {
    use ehrwatch::simulate::{BundleFormat, Export, Realism, SimulateParams};
    let mut params = SimulateParams::new(&args.out);
    params.users = args.users;
    params.patients = args.patients;
    params.days = args.days;
    params.seed = args.seed;
    params.incidents = args.incidents;
    params.synthea = args.synthea;
    params.realism = match args.realism {
        SimRealism::Clean => Realism::Clean,
        SimRealism::Real => Realism::Real,
    };
    params.export = args.export.map(|e| match e {
        SimExport::Clean => Export::Clean,
        SimExport::Hr => Export::Hr,
    });
    params.format = match args.format {
        SimFormat::Csv => BundleFormat::Csv,
        SimFormat::Parquet => BundleFormat::Parquet,
        SimFormat::Fhir => BundleFormat::Fhir,
        SimFormat::Epic => BundleFormat::Epic,
        SimFormat::Openemr => BundleFormat::Openemr,
    };
    params.start_date = chrono::NaiveDate::parse_from_str(args.start_date.trim(), "%Y-%m-%d")
        .map_err(|_| fail(format!("--start-date {:?} is not a date; expected YYYY-MM-DD", args.start_date)))?;
    if let Some(tz) = &args.timezone {
        params.timezone = parse_timezone(tz)?;
    }
    let report = ehrwatch::simulate::simulate(&params)?;
    if !quiet {
        print!("{report}");
    }
    Ok(ExitCode::Success)
}

/// Runs `evaluate`.
fn evaluate(args: EvaluateArgs) -> Result<ExitCode, Failure> {
    let options = ehrwatch::evaluate::EvaluateOptions {
        k: args.k,
        users: args.users.map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
        days: args.days,
    };
    let ev = ehrwatch::evaluate::evaluate_with(&args.labels, &args.alerts, &options)?;
    print!("{ev}");
    println!("{}", ev.json_line());
    Ok(ExitCode::Success)
}

/// Runs `import`.
fn import(args: ImportArgs, quiet: bool) -> Result<ExitCode, Failure> {
    use ehrwatch::import::{run_import, Format, ImportRequest};
    let format = match args.from {
        ImportFormat::Fhir => Format::Fhir,
        ImportFormat::Epic => Format::Epic,
        ImportFormat::Openemr => Format::Openemr,
        ImportFormat::Csv => Format::Csv,
    };
    let mut req = ImportRequest::new(format, args.inputs, args.out.clone());
    if let Some(tz) = &args.timezone {
        req.timezone = Some(parse_timezone(tz)?);
    }
    req.mapping = args.mapping;
    req.metrics = args.metrics;
    req.timestamp_format = args.timestamp_format;
    req.department_from_group = args.department_from_group;
    let s = run_import(&req, &Progress::new(!quiet))?;
    if !quiet {
        println!(
            "ehrwatch: {} {} rows read, {} converted, {} rejected; {} access_log records written to {}",
            s.rows_read,
            s.format,
            s.rows_converted,
            s.rows_rejected,
            s.records_written,
            args.out.join(&s.output).display()
        );
        let others: u64 = s.other_actions.values().sum();
        if others > 0 {
            println!("ehrwatch: {others} records kept with action \"other\"; see import_summary.json");
        }
        if s.rows_rejected > 0 {
            println!("ehrwatch: see {}", args.out.join(ehrwatch::import::REJECTED_FILE).display());
        }
    }
    Ok(ExitCode::Success)
}

/// Runs `index`: builds the row index of a bundle's Parquet access log.
fn index(args: IndexArgs, quiet: bool) -> Result<ExitCode, Failure> {
    use ehrwatch::ingest::{open_row_index, IndexState};
    let out = args.out.unwrap_or_else(|| args.input.join(ehrwatch::ingest::INDEX_DIR));
    let mut config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    if let Some(tz) = &args.timezone {
        config.timezone = parse_timezone(tz)?;
    }
    let started = std::time::Instant::now();
    // An index that matches the log's files is kept; only the learned
    // classes and care teams are made again (for other settings, another
    // build, or context tables changed).
    if !matches!(open_row_index(&out, &args.input), IndexState::Ready(_)) {
        let built = ehrwatch::ingest::build_row_index(&args.input, &out).map_err(ehrwatch::Error::from)?;
        if !quiet {
            println!(
                "ehrwatch: indexed {} rows of {} access-log files into {} ({:.1} MB) in {:.1} s",
                built.rows,
                built.files,
                built.dir.display(),
                built.bytes as f64 / 1e6,
                started.elapsed().as_secs_f64()
            );
        }
    } else if !quiet {
        println!("ehrwatch: the row index in {} matches the access log's files; kept", out.display());
    }
    let IndexState::Ready(index) = open_row_index(&out, &args.input) else {
        let message = "the row index just built cannot be opened".to_string();
        return Err(ehrwatch::Error::from(ehrwatch::ingest::IngestError::Index { dir: out, message }).into());
    };
    let counted = std::time::Instant::now();
    let progress = ehrwatch::progress::Progress::hidden();
    let kept = ehrwatch::investigate::keep_learned(&args.input, &index, &config, &progress)?;
    if !quiet {
        println!(
            "ehrwatch: kept the role classes learned from the work of {} users and the care teams of {} users in {} ({:.1} s)",
            kept.classes,
            kept.teams,
            out.join(ehrwatch::investigate::LEARNED_FILE).display(),
            counted.elapsed().as_secs_f64()
        );
    }
    Ok(ExitCode::Success)
}

/// Whether a panic's message is a write to a closed stdout: `ehrwatch
/// evaluate ... | head` closes it early and print() panics on the broken
/// pipe. That is the reader's choice, not a bug.
fn is_broken_pipe(payload: &(dyn std::any::Any + Send)) -> bool {
    payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .is_some_and(|m| m.contains("Broken pipe"))
}

/// Runs the command; a panic (a bug) is exit code 2, a broken pipe on
/// stdout a quiet success.
fn run(cli: Cli) -> ExitCode {
    let quiet = cli.quiet;
    let outcome = std::panic::catch_unwind(move || match cli.command {
        Command::Detect(args) => detect(args, quiet),
        Command::Import(args) => import(args, quiet),
        Command::Simulate(args) => simulate(args, quiet),
        Command::Evaluate(args) => evaluate(args),
        Command::Cluster(command) => cluster(command),
        Command::Investigate(command) => investigate(command, quiet),
        Command::Index(args) => index(args, quiet),
    });
    match outcome {
        Ok(Ok(code)) => code,
        Ok(Err(failure)) => {
            eprintln!("ehrwatch: error: {}", failure.message);
            failure.code
        }
        Err(payload) if is_broken_pipe(payload.as_ref()) => ExitCode::Success,
        Err(_) => ExitCode::InternalError,
    }
}

fn main() -> std::process::ExitCode {
    ehrwatch::allocator::tune();
    // A panic is a bug: report it in one line, without data (`run` makes it
    // exit code 2). A broken pipe on stdout is not reported.
    std::panic::set_hook(Box::new(|info| {
        if is_broken_pipe(info.payload()) {
            return;
        }
        let place = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        eprintln!("ehrwatch: internal error{place}; please report it (no input data is included in this message)");
    }));
    let code = match Cli::try_parse() {
        Ok(cli) => run(cli),
        Err(e) => {
            let _ = e.print();
            if e.use_stderr() {
                ExitCode::UserError
            } else {
                ExitCode::Success
            }
        }
    };
    code.into()
}
