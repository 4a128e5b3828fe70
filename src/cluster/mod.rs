//! Scale-out: the partitioned analysis with its per-partition passes run
//! on an Apache DataFusion Ballista cluster (`detect --engine ballista`,
//! cargo feature `cluster`). A cluster run is another way to get the same
//! files: alerts.csv, cases.csv and user_features.parquet must be
//! byte-identical to `--engine local`.
//!
//! # Design
//!
//! The analysis already runs in passes whose results merge across
//! partitions of users (`pipeline::analysis`): 1. what spans users,
//! 2. explanations and features, 3. peer groups on a table of one row per
//! user, 4. the rules. A partition is a contiguous range of user codes, so
//! an event's index in the whole run is its partition's offset plus its
//! index within it, and merging in plan order gives what one partition of
//! everyone gives.
//!
//! On a cluster:
//!
//! - **The driver** (the `detect` process) reads the bundle as a local run
//!   does (in memory, or spilled when larger than `--partition-events`),
//!   and cuts the plan: `Cut` (user ranges of about equal events, one per
//!   task) in memory, the spill's block-aligned ranges otherwise.
//! - **Every task carries the job** ([`job::Job`], JSON): the bundle's
//!   path (which every executor must be able to read: a shared path), the
//!   configuration file's text and the overriding flags, and the plan.
//!   The context tables are broadcast this way, by path: each executor
//!   reads the bundle once per job through the same `ingest` code, so its
//!   dictionaries, codes and event order are the driver's.
//! - **The work list** is one small CSV file per partition (`part`),
//!   written into an owner-only folder inside `--out` (a path the
//!   executors read as well); Ballista scans it as a listing table, one
//!   file a scan partition, so each partition is one task that the
//!   scheduler places on a free executor.
//! - **The ehrwatch operator** is a scalar UDF, `ehrwatch_span(part, job)`
//!   (`ballista.rs`), registered in the driver's session, the scheduler's
//!   and every executor's function registry: ehrwatch's own scheduler and
//!   executor entry points (`ehrwatch cluster scheduler|executor`) are
//!   Ballista's with it compiled in. Plans carry it by name through
//!   Ballista's default codecs.
//! - **What comes back** is one binary value per partition ([`codec`]): the
//!   partition's direct explanations (one byte an event) and its spans
//!   (care visits as (day, user code) per patient code, department
//!   coverage counts, device and department first use, classes learned).
//!   Codes and aggregates only: no id, name or address leaves an executor.
//! - **The driver merges** the results in plan order (`Spans::add`,
//!   `Spans::finish`), stashes the explanations, and goes on exactly as
//!   the partitioned local run does: the same functions, the same order,
//!   so the outputs are the same bytes.
//!
//! Passes 2 and 4 still run on the driver, partition by partition: their
//! inputs (`Spanning`, `Everyone`) and results (`Measures`, `Found`) need
//! codecs of their own (user features and peer groups, findings and their
//! facts) before they can move; the work list, the UDF and the job are
//! built so that each is one more function. Executors read the whole
//! bundle into memory, so an executor needs the memory of a local run.
//!
//! The feature keeps Ballista (DataFusion, tonic, arrow) out of the
//! default build; without it `--engine ballista` is refused in one line.

pub mod codec;
pub mod job;

#[cfg(feature = "cluster")]
pub mod ballista;
