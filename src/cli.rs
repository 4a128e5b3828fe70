//! Command-line arguments (clap derive). Doc comments are the help text.
//! Nothing outside the binary sees clap: arguments become a validated
//! [`ehrwatch::Config`] and a request here.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Finds the EHR accesses a privacy officer must look at: snooping in the
/// records of VIPs, coworkers, relatives, neighbours or oneself, and bulk
/// data theft. Reads an input bundle of audit logs and hospital context
/// (see the data contract) and writes ranked alerts with plain-language
/// evidence.
///
/// Exit codes: 0 success (alerts or not), 1 bad input, configuration or
/// usage, 2 internal or environment failure.
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
}
