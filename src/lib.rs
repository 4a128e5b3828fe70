//! ehrwatch: finds snooping and data exfiltration in EHR audit logs.
//!
//! The library is the product; the `ehrwatch` binary parses arguments and
//! calls [`pipeline::run_detect`]. Stages, each a module, run in one direction:
//! [`ingest`] → [`explain`] → [`features`] → [`detect`] → [`score`] → [`output`],
//! chained only in [`pipeline`]. Only `ingest` reads files and only `output`
//! writes them; everything between is pure and deterministic.

pub mod allocator;
pub mod config;
pub mod detect;
pub mod error;
pub mod evaluate;
pub mod explain;
pub mod features;
pub mod fs;
pub mod import;
pub mod ingest;
pub mod model;
pub mod output;
pub mod pipeline;
pub mod progress;
pub mod roles;
pub mod score;
pub mod simulate;
pub mod state;
pub mod time;

#[cfg(test)]
mod test_fixture;

pub use config::Config;
pub use error::Error;
