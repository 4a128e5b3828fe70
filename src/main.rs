//! The `ehrwatch` binary: parse arguments, run, map the outcome to an exit
//! code. Exit codes: 0 success, 1 bad input/configuration/usage, 2 internal
//! or environment failure.

mod cli;

use std::process::ExitCode;

use clap::Parser;
use ehrwatch::config::{parse_timezone, Config};
use ehrwatch::pipeline::{run_detect, DetectRequest};
use ehrwatch::progress::Progress;

use cli::{Cli, Command, DetectArgs};

const USER_ERROR: u8 = 1;
const INTERNAL_ERROR: u8 = 2;

fn detect(args: DetectArgs, quiet: bool) -> Result<(), ehrwatch::Error> {
    let mut config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    if let Some(tz) = &args.timezone {
        config.timezone = parse_timezone(tz)?;
    }
    let req = DetectRequest { input: args.input, out: args.out.clone(), config };
    let summary = run_detect(&req, &Progress::new(!quiet))?;
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
        if summary.events_rejected + summary.other_rows_rejected > 0 {
            println!(
                "ehrwatch: {} input rows rejected; see {}",
                summary.events_rejected + summary.other_rows_rejected,
                args.out.join("rejected_rows.csv").display()
            );
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    // A panic is a bug: report it in one line, without data, and exit 2.
    std::panic::set_hook(Box::new(|info| {
        let place = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        eprintln!("ehrwatch: internal error{place}; please report it (no input data is included in this message)");
    }));

    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { USER_ERROR } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let quiet = cli.quiet;
    let outcome = std::panic::catch_unwind(move || match cli.command {
        Command::Detect(args) => detect(args, quiet),
    });
    match outcome {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("ehrwatch: error: {e:#}");
            ExitCode::from(if e.is_user_error() { USER_ERROR } else { INTERNAL_ERROR })
        }
        Err(_) => ExitCode::from(INTERNAL_ERROR),
    }
}
