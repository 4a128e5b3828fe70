//! ehrwatch: finds snooping and data exfiltration in EHR audit logs.
//!
//! The library is the product; the `ehrwatch` binary parses arguments and
//! calls [`pipeline::run_detect`]. Stages, each a module, run in one direction:
//! [`ingest`] → [`explain`] → [`features`] → [`detect`] → [`score`] → [`output`],
//! chained only in [`pipeline`]. Only `ingest` reads the bundle and only
//! `output` writes the results; every file a run creates goes through
//! [`fs`], the bottom layer. Everything between is pure and deterministic.
//! The top-level modules form layers without import cycles
//! (tests/it/layers.rs).

pub mod allocator;
pub mod cluster;
pub mod config;
pub mod detect;
pub mod error;
pub mod evaluate;
pub mod explain;
pub mod features;
pub mod fs;
pub mod import;
pub mod ingest;
pub mod investigate;
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
