//! Integration tests: one binary, modules per area. Each test builds a small
//! bundle from rows written inline ([`env::Bundle`]) and runs the real
//! `ehrwatch` binary on it.

mod cli;
#[cfg(feature = "cluster")]
mod cluster;
mod detect;
mod env;
mod feedback;
mod hardening;
mod import;
mod incremental;
mod ingest;
mod investigate;
mod layers;
mod outputs;
mod partitioned;
mod properties;
mod quality;
mod report;
mod simulate;
