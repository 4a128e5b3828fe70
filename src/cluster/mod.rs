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
//! - **The ehrwatch operator** is a scalar UDF, `ehrwatch_pass(part, job)`
//!   (`ballista.rs`), registered in the driver's session, the scheduler's
//!   and every executor's function registry: ehrwatch's own scheduler and
//!   executor entry points (`ehrwatch cluster scheduler|executor`) are
//!   Ballista's with it compiled in. Plans carry it by name through
//!   Ballista's default codecs. The job says which pass a task runs; both
//!   passes of a run share one job id.
//!
//! # What runs where
//!
//! - **Reading the bundle**: the driver, and each executor once per job
//!   (the bundle's path travels).
//! - **Pass 1, spans**: the executors, a task a partition. Back comes
//!   ([`codec`]) the partition's direct explanations (a byte an event)
//!   and its spans: care visits as (day, user code) per patient code,
//!   department coverage counts, device and department first use,
//!   classes learned.
//! - **Merging the spans**: the driver (`Spans::add`, in plan order).
//! - **Pass 2, explanations and features**: the executors, a task a
//!   partition. The driver writes into the job's work folder the merged
//!   spans (`spans.bin`, read once per job per executor, which learns the
//!   care teams and the charting of unlisted visits from them with the
//!   driver's code) and each partition's direct explanations
//!   (`explained-K.bin`). Back come the explanations completed (a byte an
//!   event) and the partition's users' features (`u32` counts, usual
//!   hours, `busiest`, the home flag; the daily series only when the plan
//!   has one partition, as a partitioned local run keeps none past pass 2;
//!   the profile is computed from the counts, as locally) with the count
//!   of each explanation; the driver merges them in plan order
//!   (`Measures::add`) and stashes the explanations.
//! - **Pass 3, peer groups**: the driver (`features::finish`, on a table
//!   of one row per user).
//! - **Pass 4, the rules**: the driver, partition by partition.
//! - **Scoring and writing**: the driver.
//!
//! Codes and aggregates only travel: no id, name or address leaves an
//! executor. From pass 3 on, the driver goes on exactly as the
//! partitioned local run does: the same functions, the same order, so the
//! outputs are the same bytes.
//!
//! What falls short of a full scale-out: pass 4 still runs on the driver,
//! because its input (`Everyone`: every user's features and peer groups,
//! the population, the role book) and its result (`Found`: findings with
//! their facts, and the evidence events) need codecs of their own. The
//! driver still learns the care teams itself as well (its `Spanning` also
//! gives the population and classes pass 4 needs). Executors read the
//! whole bundle (into memory, or spilled as the driver spills), so an
//! executor needs the memory of a local run; Ballista does not scan the
//! Parquet log itself or repartition it by user hash.
//!
//! The feature keeps Ballista (DataFusion, tonic, arrow) out of the
//! default build; without it `--engine ballista` is refused in one line.

pub mod codec;
pub mod job;

#[cfg(feature = "cluster")]
pub mod ballista;
