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
//!   to learn the dictionaries (every id's code) and cut the plan: `Cut`
//!   (user ranges of about equal events, one per task) in memory, the
//!   spill's block-aligned ranges otherwise. A driver that read the log
//!   into memory then lets go of its events (`Cut::without_events`):
//!   every pass runs on the executors, and the evidence the outputs need
//!   comes back with pass 4's findings.
//! - **Every task carries the job** ([`job::Job`], JSON): the bundle's
//!   path (which every executor must be able to read: a shared path), the
//!   configuration file's text and the overriding flags, the plan, the
//!   pass, the work folder, and for pass 4 each partition's first event's
//!   index in the run.
//! - **The scan.** With a CSV log or `--whole-scan`, each executor reads the whole bundle once
//!   per job (in memory, or spilled as the driver spills) through the
//!   same `ingest` as the driver (same files, same order, same codes),
//!   and cuts its tasks' partitions from it. The context tables (users,
//!   patients, encounters, contacts) are broadcast this way, by path.
//! - **The scan split by user** (`--split-scan`, a Parquet log: every
//!   file `.parquet`): an executor reads the context tables once per job,
//!   and a task reads only its partition's users' rows of the log: the
//!   same `ingest` read `investigate` uses, with the user ids pushed into
//!   the Parquet scan as a predicate (`ingest::RowFilter`). The rows get
//!   the driver's codes: the driver leaves its dictionaries in the work
//!   folder (`dictionaries.bin`, [`codec::encode_dictionaries`]) and the
//!   executor seeds its read with them
//!   (`ingest::ContextTables::with_dictionaries`); a read that meets an id
//!   the driver did not is an error. A partition is a range of user codes,
//!   so "repartitioned by user" is by the same key the local partitioned
//!   mode uses: the user's code, not a hash, which keeps the plan order
//!   (and the outputs) the local run's. A CSV log cannot be filtered
//!   without reading it whole, so it is always read whole. Measured on
//!   one box (benches/README.md), the split scan was the slower and the
//!   hungrier: every task scans the whole log's user column (rows are in
//!   time order, so Parquet statistics prune nothing), 24 scans for 8
//!   partitions and 3 passes, where the whole read is one per executor.
//!   It is the shape for executors that cannot hold the log; a shuffle
//!   (each task reading a slice of the rows and writing them out by user
//!   range) would read each row once.
//! - **The scan by slices and the shuffle by user** (`--shuffle`,
//!   [`shuffle`]): no process reads the whole log. Pass 0 is a task per
//!   slice of the log's pieces (a Parquet file in ranges of 1 M rows, any
//!   other file whole), which reads its slice with `ingest`'s per-piece
//!   code into dictionaries of its own and leaves, in an owner-only
//!   shuffle folder inside `--out`, its first-seen ids, file reports and
//!   rejected rows, and its events in its own codes; it answers with
//!   counts (events, time range, events per user code). The driver reads
//!   the context tables only, joins the slices' first-seen lists in file
//!   order (which gives exactly the dictionaries of a whole read: a whole
//!   read interns each piece's list in the same order;
//!   `ingest::join_slices`, tested against a whole read), writes the
//!   rejected rows as a local run does, cuts the plan from the per-user
//!   counts (`Cut::from_counts`, `Cut`'s rule) and leaves each slice's
//!   code maps (codes only) and the run's dictionaries (ids) in the
//!   shuffle folder. The shuffle is a task per slice: its rows recoded and
//!   written by the plan's user ranges. Passes 1, 2 and 4 read their
//!   partition's bucket of every slice in slice order, so its events come
//!   in input order and the stable sort by (user, time) gives the local
//!   run's order. Each row is parsed from the log once, written twice
//!   (the slice's rows, then a bucket) and read back four times (by the
//!   shuffle, then by each of passes 1, 2 and 4, which read their
//!   partition's buckets). Measured on one box it was the leanest mode, about as
//!   fast as the whole read at 11.7 M events and faster at 100 M
//!   (benches/README.md), so it is the default for a Parquet log
//!   (`--whole-scan` asks for the whole read).
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
//!   Ballista's default codecs. The job says which pass a task runs; the
//!   passes of a run share one job id.
//!
//! # What runs where
//!
//! - **Reading the log**: the driver reads it whole (dictionaries and
//!   plan). Each executor reads it whole once per job, or, with
//!   `--split-scan`, each task reads its partition's users' rows of a
//!   Parquet log (each row once per pass: passes 1, 2 and 4). With
//!   `--shuffle`, the driver reads none of it: pass 0 (the executors, a
//!   task a slice) reads each row once, and the shuffle (a task a slice)
//!   writes it into its partition's bucket.
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
//!   has one partition; the profile is computed from the counts, as
//!   locally) with the count of each explanation; the driver merges them
//!   in plan order (`Measures::add`) and stashes the explanations.
//! - **Pass 3, peer groups**: the driver (`features::finish`, on a table
//!   of one row per user).
//! - **Pass 4, the rules**: the executors, a task a partition. The driver
//!   writes into the work folder the merged spans again (an executor
//!   learns the population and the role book from them), everyone's
//!   features with the peer groups (`everyone.bin`: counts, usual hours,
//!   `busiest`, and the groups' assignment, scores, labels, medians,
//!   scaling and centroids, floats exact; no daily series, which each
//!   task computes again for its users as a partitioned local run does)
//!   and each partition's explanations. Each task runs
//!   `Everyone::detect_in`, the function the local pass 4 runs, and
//!   answers with its findings (rule, kind, user and patient codes, run
//!   indices of the evidence, the facts) and the evidence events (codes,
//!   instants, actions, sections) with their explanations. The driver
//!   merges them in plan order (`Found::add`) and finishes them
//!   (`Found::finish`), as a local run does.
//! - **Scoring and writing**: the driver.
//!
//! # What travels
//!
//! Over the network (task plans and results): codes and aggregates. The
//! job's JSON holds paths, the configuration and code ranges. Results of
//! passes 1 and 2 hold codes and counts only. Pass 4's results hold
//! codes, counts and the rules' facts, whose few words are a department's
//! name, a contact's relationship ("spouse"), a peer group's label, a
//! rule id or a section's name: no user or patient id, person's name or
//! address. Through the work folder on the shared storage (owner-only,
//! inside `--out`, removed at the end of each pass): the merged spans,
//! everyone's features, explanation bytes (all codes and aggregates) and,
//! with `--split-scan`, the driver's dictionaries, which do hold ids: they
//! live beside the bundle they come from, on the same storage, and are
//! never sent through the cluster's messages. From pass 3 on, the driver
//! goes on exactly as the partitioned local run does: the same functions,
//! the same order, so the outputs are the same bytes.
//!
//! What falls short of a full scale-out: without `--shuffle` the driver
//! reads the whole log once, to learn the dictionaries and the plan
//! (codes are given in order of first appearance, so no executor could
//! give its rows the run's codes from its rows alone). With `--shuffle`
//! the slices' first-seen lists come to the driver through the shared
//! folder instead: the driver holds every id once (the dictionaries, as
//! a local run does) but no event. The explanations (a byte an event) go
//! through the driver between passes, and the driver holds everyone's
//! features and the evidence: at 5 B events that is about 5 GB of
//! explanation bytes written and read per pass, the part of the driver
//! that grows with the log. By default every executor reads the whole
//! log (so needs the memory of a local run); the split scan reads a
//! partition once per pass and scans the log's user column once per
//! task; the shuffle holds a slice, then a partition.
//!
//! # Projection: 5 B events on 32 executors (`--shuffle`)
//!
//! From the 11.7 M- and 100 M-event runs on one 2-core box
//! (benches/README.md), assuming: 32 executors of 2 cores; costs linear
//! in events per task (the scan, the shuffle and passes 1, 2 and 4 work
//! on a slice or a partition); at least 100 partitions of about 50 M
//! events; a roster of at most 100 k users and 10 M patients (the
//! driver's dictionaries and pass 3 grow with those, not with events);
//! shared storage that takes the shuffle's writes at the executors'
//! combined rate. The executors' work at 100 M was 1.6 CPU-s per
//! million events (scan, shuffle, passes 1, 2 and 4): 5 B events is
//! about 7,900 CPU-s, 2 minutes on 64 cores, 3-5 with stragglers and
//! Ballista's per-task overhead. The driver no longer reads the log (it
//! was 11-45 minutes of the run at 5 B); what grows on it is the
//! explanation bytes through the work folder (5 GB written and read
//! between passes, 1-2 minutes at a few hundred MB/s) and the evidence.
//! The shuffle writes the log twice (about 10 bytes an event a copy,
//! 50 GB at 5 B). Under these assumptions a 5 B-event run takes about
//! 5-10 minutes; the storage's bandwidth and the explanation bytes
//! through the driver are the next limits, and neither was measured past
//! 100 M.
//!
//! The feature keeps Ballista (DataFusion, tonic, arrow) out of the
//! default build; without it `--engine ballista` is refused in one line.

pub mod codec;
pub mod job;
pub mod shuffle;

#[cfg(feature = "cluster")]
pub mod ballista;
