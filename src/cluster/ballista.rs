//! Ballista itself (cargo feature `cluster`): the ehrwatch operator as a
//! DataFusion scalar UDF ([`PassUdf`], `ehrwatch_pass(part, job)`: the
//! job's pass, 1, 2 or 4, on one partition), the
//! session every side registers it in, an in-process standalone cluster
//! of N executors, the scheduler and executor processes
//! (`ehrwatch cluster scheduler|executor`), and [`OnCluster`], the driver's
//! side: it writes the work list (and, for passes 2 and 4, the merged
//! spans, the explanations and, for pass 4, everyone's features), runs
//! one query a pass and decodes the results
//! for `pipeline::analyse_with`.
//!
//! Ballista runs on a tokio runtime of its own, owned by [`OnCluster`] or
//! by the scheduler and executor commands; the analysis itself stays
//! synchronous and calls into it with `block_on`.

use std::io::Write;
use std::net::SocketAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ballista::datafusion;
use ballista::prelude::{SessionConfigExt, SessionContextExt};
use ballista_core::registry::BallistaFunctionRegistry;
use ballista_core::serde::protobuf::scheduler_grpc_client::SchedulerGrpcClient;
use ballista_core::utils::default_session_builder;
use datafusion::arrow::array::{Array, AsArray, LargeBinaryBuilder};
use datafusion::arrow::datatypes::{DataType, Field, Int64Type, Schema};
use datafusion::common::{DataFusionError, Result as DfResult};
use datafusion::execution::{FunctionRegistry, SessionState};
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility};
use datafusion::prelude::{col, lit, CsvReadOptions, SessionConfig, SessionContext};

use super::codec::{decode_detect, decode_measure, decode_scanned, decode_shuffled, decode_slice_summary, decode_span};
use super::job::{ConfigSource, Job, DICTIONARIES_FILE, EVERYONE_FILE, SCAN, SHUFFLE, SPANS_FILE};
use super::shuffle::ShuffleDir;
use crate::error::Error;
use crate::explain::Explanation;
use crate::features::UserFeatures;
use crate::model::{Code, Dictionaries};
use crate::pipeline::{Elsewhere, Found, Measures, Scanned, Spans, StashDir};

/// The UDF's name in plans.
pub const PASS_UDF: &str = "ehrwatch_pass";

/// Largest message between driver, scheduler and executors: a partition's
/// result carries a byte per event (Ballista's default is 16 MiB).
const MAX_MESSAGE: usize = 1 << 30;

/// The ehrwatch operator: the job's pass (1, 2 or 4) on the partition `part`
/// of the job in `job` (JSON), its result encoded by `codec` as one
/// large-binary value.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PassUdf {
    signature: Signature,
}

impl PassUdf {
    /// The UDF, ready to register.
    pub fn udf() -> Arc<ScalarUDF> {
        Arc::new(ScalarUDF::new_from_impl(PassUdf {
            signature: Signature::exact(vec![DataType::Int64, DataType::Utf8], Volatility::Volatile),
        }))
    }
}

impl ScalarUDFImpl for PassUdf {
    fn name(&self) -> &str {
        PASS_UDF
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::LargeBinary)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let (Some(parts), Some(jobs)) = (
            arrays.first().and_then(|a| a.as_primitive_opt::<Int64Type>()),
            arrays.get(1).and_then(|a| a.as_string_opt::<i32>()),
        ) else {
            return Err(DataFusionError::Execution(format!("{PASS_UDF} takes (Int64, Utf8)")));
        };
        let mut out = LargeBinaryBuilder::new();
        let mut job: Option<Job> = None;
        for i in 0..parts.len() {
            if parts.is_null(i) || jobs.is_null(i) {
                return Err(DataFusionError::Execution(format!("{PASS_UDF}: a null argument")));
            }
            let text = jobs.value(i);
            if job.as_ref().is_none_or(|j| j.to_json() != text) {
                job = Some(Job::from_json(text).map_err(task_error)?);
            }
            let part = usize::try_from(parts.value(i))
                .map_err(|_| DataFusionError::Execution(format!("{PASS_UDF}: a negative partition")))?;
            // On a thread of its own, outside the executor's tokio runtime:
            // ingest may block on a runtime of its own (polars).
            let bytes = std::thread::scope(|s| s.spawn(|| job.as_ref().map(|j| j.run(part)).transpose()).join())
                .map_err(|_| DataFusionError::Execution(format!("{PASS_UDF}: the task panicked")))?
                .map_err(task_error)?
                .unwrap_or_default();
            out.append_value(bytes);
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// A task's failure, as DataFusion carries it back to the driver.
fn task_error(e: Error) -> DataFusionError {
    DataFusionError::Execution(format!("{e:#}"))
}

/// A Ballista failure as a run's error (exit code 2).
fn cluster_error(what: &str) -> impl Fn(DataFusionError) -> Error + '_ {
    move |e| Error::Cluster(format!("{what}: {}", first_line(&e.to_string())))
}

/// The first line of a message, without the chains Ballista nests.
fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").chars().take(400).collect()
}

/// A session of Ballista's defaults with the ehrwatch operator registered.
fn session(config: SessionConfig) -> DfResult<SessionState> {
    let mut state = default_session_builder(config)?;
    state.register_udf(PassUdf::udf())?;
    Ok(state)
}

/// The configuration the driver's session starts from.
fn driver_config(partitions: usize) -> SessionConfig {
    SessionConfig::new_with_ballista()
        .with_target_partitions(partitions.max(1))
        .with_ballista_grpc_client_max_message_size(MAX_MESSAGE)
        .with_ballista_job_name("ehrwatch")
}

/// The tokio runtime Ballista runs on.
fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(32 * 1024 * 1024)
        .build()
        .map_err(|e| Error::Cluster(format!("cannot start the cluster runtime: {e}")))
}

/// Where `detect --engine ballista` runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A scheduler at `df://HOST:PORT` (or `http://`), with its executors.
    Remote(String),
    /// A cluster of this many executors inside this process, on loopback.
    Standalone(usize),
}

/// The driver's side of a cluster run: passes 1, 2 and 4 of every
/// partition go to the cluster as one query each, one task a partition,
/// under one job id (so an executor reads the bundle once for all three).
pub struct OnCluster {
    runtime: tokio::runtime::Runtime,
    ctx: SessionContext,
    partitions: usize,
    input: PathBuf,
    out: PathBuf,
    partition_events: u64,
    source: ConfigSource,
    id: String,
    /// The merged pass-1 spans as sent to pass 2, sent again to pass 4
    /// (whose tasks may land on executors that ran no pass-2 task).
    spans: std::sync::Mutex<Vec<u8>>,
    /// Whether executors read only their partitions' rows of the log
    /// (asked for, and the log is all Parquet), with the driver's codes.
    split: bool,
    /// The driver's dictionaries, encoded, for a split scan.
    dictionaries: std::sync::Mutex<Vec<u8>>,
    /// Whether the executors read the log a slice each and shuffle its
    /// rows by user (`--shuffle`), the driver reading none of it.
    shuffle: bool,
    /// The shuffle folder and the slices, once the scan ran.
    shuffled: std::sync::Mutex<Option<(ShuffleDir, Vec<(u64, u64)>)>>,
}

impl OnCluster {
    /// Connects to (or starts) the cluster. `partitions` is how many a run
    /// held in memory is cut into (one task each); the request's input and
    /// output folders must be paths the executors can read, and its
    /// `partition_events` tells them when to spill, as the driver does.
    pub fn connect(
        target: &Target,
        partitions: usize,
        req: &crate::pipeline::DetectRequest,
        source: ConfigSource,
    ) -> Result<OnCluster, Error> {
        let (input, out) = (&req.input, &req.out);
        let runtime = runtime()?;
        let input = std::path::absolute(input).map_err(|e| Error::Cluster(format!("{}: {e}", input.display())))?;
        let out = std::path::absolute(out).map_err(|e| Error::Cluster(format!("{}: {e}", out.display())))?;
        let ctx = runtime.block_on(async {
            let state = session(driver_config(partitions)).map_err(cluster_error("cannot set up the session"))?;
            match target {
                Target::Remote(url) => {
                    let url = url.replacen("http://", "df://", 1);
                    SessionContext::remote_with_state(&url, state)
                        .await
                        .map_err(cluster_error("cannot reach the scheduler"))
                }
                Target::Standalone(n) => standalone(*n, state).await,
            }
        })?;
        // A Parquet log is scanned by slices and shuffled by default, or,
        // asked for, by each task for its users' rows (`with_split_scan`);
        // any other is read whole by the driver and each executor (a
        // CSV file cannot be filtered without reading it all).
        let files = crate::ingest::access_log_files(&input)?;
        let split = !files.is_empty()
            && files.iter().all(|(path, _)| path.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet")));
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        Ok(OnCluster {
            runtime,
            ctx,
            partitions: partitions.max(1),
            input,
            out,
            partition_events: req.partition_events,
            source,
            id: format!("{}-{nanos}", std::process::id()),
            spans: std::sync::Mutex::new(Vec::new()),
            split,
            dictionaries: std::sync::Mutex::new(Vec::new()),
            // The default for a Parquet log: measured faster and leaner than
            // the whole read at 11.7 M and 100 M events (benches/README.md).
            shuffle: split,
            shuffled: std::sync::Mutex::new(None),
        })
    }

    /// With `on`, the executors read the log a slice each (pass 0) and
    /// shuffle its rows by the plan's user ranges; the driver reads only
    /// the context tables ([`super::shuffle`]), with any log (it is the
    /// default for a Parquet log). Takes the place of the split scan.
    pub fn with_shuffle(mut self, on: bool) -> OnCluster {
        self.shuffle |= on;
        self.split &= !on;
        self
    }

    /// With `on`, each task reads only its partition's users' rows of a
    /// Parquet log (the driver's dictionaries left in the work folder),
    /// rather than each executor reading the whole log once per run. On
    /// one box it was the slower (every task scans the log's user
    /// column; see benches/README.md), so it is asked for.
    pub fn with_split_scan(mut self, on: bool) -> OnCluster {
        self.split &= on;
        self.shuffle &= !on;
        self
    }

    /// With `on`, the driver reads the whole log and each executor reads
    /// it once per run (no shuffle, no split scan).
    pub fn with_whole_scan(mut self, on: bool) -> OnCluster {
        self.split &= !on;
        self.shuffle &= !on;
        self
    }

    /// The job of `pass` over `plan`, reading from `work`.
    fn job(&self, plan: &[Range<Code>], pass: u8, work: &WorkList) -> Job {
        let mut job = Job::new(self.id.clone(), (&self.input, &self.out, self.partition_events), &self.source, plan);
        job.pass = pass;
        job.work = Some(work.dir.clone());
        job.split = self.split;
        if let Some((dir, slices)) = self.shuffled.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).as_ref() {
            job.shuffle = Some(dir.path().to_path_buf());
            job.slices = slices.clone();
        }
        job
    }

    /// Runs `job` on every partition of its work list: one binary result
    /// a partition, in the order they come back.
    fn query(&self, work: &WorkList, job: &Job) -> Result<Vec<Vec<u8>>, Error> {
        if job.split {
            work.put(DICTIONARIES_FILE, &self.dictionaries.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))?;
        }
        let batches = self.runtime.block_on(async {
            let schema = Schema::new(vec![Field::new("part", DataType::Int64, false)]);
            let options = CsvReadOptions::new().schema(&schema).has_header(true).file_extension(".csv");
            let dir = format!("{}/", work.dir.display());
            let df = self.ctx.read_csv(dir, options).await.map_err(cluster_error("cannot read the work list"))?;
            let df = df
                .select(vec![col("part"), PassUdf::udf().call(vec![col("part"), lit(job.to_json())]).alias("result")])
                .map_err(cluster_error("cannot plan the pass"))?;
            df.collect().await.map_err(cluster_error("a task failed"))
        })?;
        let mut out = Vec::new();
        for batch in &batches {
            let column = batch.column_by_name("result").and_then(|c| c.as_binary_opt::<i64>());
            let column = column.ok_or_else(|| Error::Cluster("a result batch has no binary result column".into()))?;
            out.extend((0..column.len()).map(|i| column.value(i).to_vec()));
        }
        Ok(out)
    }
}

/// Results decoded and put in plan order: each partition's exactly once.
fn in_plan_order<T>(
    n: usize,
    results: Vec<Vec<u8>>,
    decode: impl Fn(&[u8]) -> Result<(u32, T), super::codec::CodecError>,
) -> Result<Vec<T>, Error> {
    let mut slots: Vec<Option<T>> = (0..n).map(|_| None).collect();
    for bytes in results {
        let (part, value) = decode(&bytes).map_err(|e| Error::Cluster(e.to_string()))?;
        let slot = slots
            .get_mut(part as usize)
            .ok_or_else(|| Error::Cluster(format!("a result for partition {part} of {n}")))?;
        if slot.replace(value).is_some() {
            return Err(Error::Cluster(format!("two results for partition {part}")));
        }
    }
    let missing = slots.iter().filter(|r| r.is_none()).count();
    if missing > 0 {
        return Err(Error::Cluster(format!("{missing} of {n} partitions returned no result")));
    }
    Ok(slots.into_iter().flatten().collect())
}

impl Elsewhere for OnCluster {
    fn partitions(&self) -> usize {
        self.partitions
    }

    fn scan(
        &self,
        config: &crate::config::Config,
        progress: &crate::progress::Progress,
    ) -> Result<Option<Scanned>, Error> {
        if !self.shuffle {
            return Ok(None);
        }
        use super::shuffle::{get, join_file, put, summary_file};
        let tz = config.timezone;
        // The context tables alone.
        let mut context = None;
        crate::ingest::read_context(&self.input, tz, progress, &config.input, &mut context)?;
        let context = context.ok_or_else(|| Error::Cluster("the context tables were not kept".into()))?;
        // Pass 0: a task a slice of the log.
        let pieces = crate::ingest::log_pieces(&self.input)?;
        let slices = pieces.slices(self.partitions);
        let dir = ShuffleDir::create(&self.out)?;
        let folder = dir.path().to_path_buf();
        let ranges: Vec<(u64, u64)> = slices.iter().map(|r| (r.start as u64, r.end as u64)).collect();
        *self.shuffled.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some((dir, ranges));
        let work = WorkList::write(&self.out, slices.len())?;
        let mut job = self.job(&[], SCAN, &work);
        job.pieces = pieces.len() as u64;
        let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
        job.now_micros = since.ok().and_then(|d| i64::try_from(d.as_micros()).ok());
        let scanned = in_plan_order(slices.len(), self.query(&work, &job)?, decode_scanned)?;
        drop(work);
        // The slices joined in order: a whole read's dictionaries, report
        // and rejects.
        let summaries = (0..slices.len())
            .map(|s| get(&summary_file(&folder, s), s, decode_slice_summary))
            .collect::<Result<Vec<_>, Error>>()?;
        let (data, joins) = crate::ingest::join_slices(&self.input, tz, &config.input, context, summaries)?;
        let mut per_user = vec![0u64; data.dict.users.len()];
        let mut time_range: Option<(i64, i64)> = None;
        for (s, (scan, join)) in scanned.iter().zip(&joins).enumerate() {
            if scan.per_user.len() != join.maps.users.len() {
                return Err(Error::Cluster(format!(
                    "slice {s}: counts of {} users for {}",
                    scan.per_user.len(),
                    join.maps.users.len()
                )));
            }
            for (&n, &u) in scan.per_user.iter().zip(&join.maps.users) {
                per_user[u as usize] += n;
            }
            if let Some((lo, hi)) = scan.time {
                time_range = Some(time_range.map_or((lo, hi), |(a, b)| (a.min(lo), b.max(hi))));
            }
            put(&join_file(&folder, s), &super::codec::encode_slice_join(s as u32, join))?;
        }
        put(&folder.join(DICTIONARIES_FILE), &super::codec::encode_dictionaries(&data.dict))?;
        // The plan: partitions of about equal events, more of them when a
        // partition would outweigh `--partition-events`.
        let total: u64 = per_user.iter().sum();
        let weight = total + per_user.len() as u64 * crate::ingest::EVENTS_PER_USER;
        let n = match self.partition_events {
            0 => self.partitions,
            max => self.partitions.max(usize::try_from(weight.div_ceil(max)).unwrap_or(usize::MAX)),
        };
        let plan = super::shuffle::plan_from_counts(&per_user, n);
        // The shuffle: a task a slice, its rows into the plan's buckets.
        let work = WorkList::write(&self.out, slices.len())?;
        let job = self.job(&plan, SHUFFLE, &work);
        let shuffled = in_plan_order(slices.len(), self.query(&work, &job)?, decode_shuffled)?;
        for (k, users) in plan.iter().enumerate() {
            let got: u64 = shuffled.iter().map(|per| per.get(k).copied().unwrap_or(0)).sum();
            let want: u64 = (users.start..users.end).map(|u| per_user[u as usize]).sum();
            if got != want {
                return Err(Error::Cluster(format!("partition {k}: {got} events shuffled, {want} scanned")));
            }
        }
        Ok(Some(Scanned { data, plan, time_range }))
    }

    fn span_all(&self, plan: &[Range<Code>], dict: &Dictionaries) -> Result<Vec<(Vec<Explanation>, Spans)>, Error> {
        if self.split {
            *self.dictionaries.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) =
                super::codec::encode_dictionaries(dict);
        }
        let work = WorkList::write(&self.out, plan.len())?;
        let results = self.query(&work, &self.job(plan, 1, &work))?;
        in_plan_order(plan.len(), results, |b| decode_span(b).map(|(part, direct, spans)| (part, (direct, spans))))
    }

    fn measure_all(
        &self,
        plan: &[Range<Code>],
        spans: &Spans,
        direct: &dyn Fn(usize) -> Result<Vec<Explanation>, Error>,
    ) -> Result<Vec<(Vec<Explanation>, Measures)>, Error> {
        let work = WorkList::write(&self.out, plan.len())?;
        // What every pass-2 task reads: the merged spans once, and its
        // partition's direct explanations (a byte an event).
        let encoded = super::codec::encode_span(u32::MAX, &[], spans);
        work.put(SPANS_FILE, &encoded)?;
        *self.spans.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = encoded;
        let stash = StashDir { dir: work.dir.clone() };
        for k in 0..plan.len() {
            stash.stash(k, &direct(k)?)?;
        }
        let results = self.query(&work, &self.job(plan, 2, &work))?;
        in_plan_order(plan.len(), results, |b| decode_measure(b).map(|(part, kinds, m)| (part, (kinds, m))))
    }

    fn detect_all(
        &self,
        plan: &[Range<Code>],
        features: &UserFeatures,
        firsts: &[usize],
        kinds: &dyn Fn(usize) -> Result<Vec<Explanation>, Error>,
    ) -> Result<Vec<Found>, Error> {
        let work = WorkList::write(&self.out, plan.len())?;
        // What every pass-4 task reads: the merged spans and everyone's
        // features once, and its partition's explanations.
        work.put(SPANS_FILE, &self.spans.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))?;
        work.put(EVERYONE_FILE, &super::codec::encode_everyone(features, features.codes()))?;
        let stash = StashDir { dir: work.dir.clone() };
        for k in 0..plan.len() {
            stash.stash(k, &kinds(k)?)?;
        }
        let mut job = self.job(plan, 4, &work);
        job.firsts = firsts.iter().map(|&f| f as u64).collect();
        let results = self.query(&work, &job);
        // The last pass on the cluster: in-process executors let go of the
        // job (remote ones when the next job comes).
        super::job::release_held();
        // The shuffle's buckets are not read again.
        drop(self.shuffled.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take());
        let found = in_plan_order(plan.len(), results?, decode_detect)?;
        // Each partition's findings are about its own users.
        for (k, f) in found.iter().enumerate() {
            let (detection, ..) = f.parts();
            if detection.findings.iter().chain(&detection.downgraded).any(|f| !plan[k].contains(&f.user)) {
                return Err(Error::Cluster(format!(
                    "partition {k}'s result has a finding about another partition's user"
                )));
            }
        }
        Ok(found)
    }
}

impl Drop for OnCluster {
    fn drop(&mut self) {
        // A run that ends before pass 2 leaves no job held in this process.
        super::job::release_held();
    }
}

/// A scheduler and `n` executors (one task slot each) inside this
/// process, on loopback ports the system picks; returns the driver's
/// context connected to them.
async fn standalone(n: usize, state: SessionState) -> Result<SessionContext, Error> {
    let addr = ballista_scheduler::standalone::new_standalone_scheduler_from_state(&state)
        .await
        .map_err(|e| Error::Cluster(format!("cannot start the standalone scheduler: {e}")))?;
    let url = format!("http://localhost:{}", addr.port());
    for _ in 0..n.max(1) {
        // Retried for up to 10 s while the scheduler starts.
        let mut tries = 0;
        let client = loop {
            match SchedulerGrpcClient::connect(url.clone()).await {
                Ok(c) => break c,
                Err(e) if tries >= 100 => {
                    return Err(Error::Cluster(format!("cannot reach the scheduler at {url}: {e}")));
                }
                Err(_) => {
                    tries += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            }
        };
        ballista_executor::new_standalone_executor_from_state(client, 1, &state)
            .await
            .map_err(|e| Error::Cluster(format!("cannot start a standalone executor: {e}")))?;
    }
    SessionContext::remote_with_state(&format!("df://localhost:{}", addr.port()), state)
        .await
        .map_err(cluster_error("cannot reach the standalone scheduler"))
}

/// The work list of a job: one CSV file of one `part` row per partition,
/// in an owner-only folder inside the output folder (it holds partition
/// numbers only), removed when dropped.
struct WorkList {
    dir: PathBuf,
}

impl WorkList {
    fn write(out: &Path, n: usize) -> Result<WorkList, Error> {
        use crate::fs::FsError;
        // A folder of its own per query: the session caches a folder's
        // listing, so a later query over the same folder with more files
        // (a shuffled run's partitions after its slices) would see the
        // first query's files only.
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let seq = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = out.join(format!(".ehrwatch-cluster-{}-{seq}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(FsError::write(&dir))?;
        }
        crate::fs::create_private_dir(&dir).map_err(FsError::write(&dir))?;
        let list = WorkList { dir };
        for k in 0..n {
            let path = list.dir.join(format!("part-{k:05}.csv"));
            crate::fs::create_private(&path)
                .and_then(|mut f| f.write_all(format!("part\n{k}\n").as_bytes()))
                .map_err(FsError::write(&path))?;
        }
        Ok(list)
    }
}

impl WorkList {
    /// Writes `bytes` into the file `name` of the work folder (owner-only).
    fn put(&self, name: &str, bytes: &[u8]) -> Result<(), Error> {
        let path = self.dir.join(name);
        crate::fs::create_private(&path)
            .and_then(|mut f| f.write_all(bytes))
            .map_err(crate::fs::FsError::write(&path))?;
        Ok(())
    }
}

impl Drop for WorkList {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `ehrwatch cluster scheduler`: a Ballista scheduler that knows the
/// ehrwatch operator, listening on `bind` until the process ends.
pub fn run_scheduler(bind: SocketAddr) -> Result<(), Error> {
    use ballista_scheduler::cluster::BallistaCluster;
    use ballista_scheduler::config::SchedulerConfig;
    let runtime = runtime()?;
    runtime.block_on(async {
        let mut config = SchedulerConfig::default()
            .with_hostname(bind.ip().to_string())
            .with_port(bind.port())
            .with_grpc_server_max_decoding_message_size(MAX_MESSAGE as u32)
            .with_grpc_server_max_encoding_message_size(MAX_MESSAGE as u32)
            .with_grpc_client_max_message_size(MAX_MESSAGE as u32)
            .with_override_session_builder(Arc::new(session));
        config.bind_host = bind.ip().to_string();
        // A lost executor's tasks go to another after 30 s without a
        // heartbeat (executors beat every 5 s), not Ballista's 180 s.
        config.executor_timeout_seconds = 30;
        config.expire_dead_executor_interval_seconds = 5;
        let cluster = BallistaCluster::new_from_config(&config)
            .await
            .map_err(|e| Error::Cluster(format!("cannot set up the scheduler: {e}")))?;
        ballista_scheduler::scheduler_process::start_server(cluster, bind, Arc::new(config))
            .await
            .map_err(|e| Error::Cluster(format!("the scheduler stopped: {e}")))
    })
}

/// How `ehrwatch cluster executor` runs.
#[derive(Debug, Clone)]
pub struct ExecutorOptions {
    /// The scheduler, `df://HOST:PORT`.
    pub scheduler: String,
    /// The address to listen on.
    pub bind_host: String,
    /// The Arrow Flight port (results and shuffles).
    pub port: u16,
    /// The gRPC port.
    pub grpc_port: u16,
    /// Task slots.
    pub vcores: usize,
    /// Scratch folder for shuffle files.
    pub work_dir: Option<PathBuf>,
}

/// `ehrwatch cluster executor`: a Ballista executor with the ehrwatch
/// operator compiled in, registered with the scheduler until the process
/// ends.
pub fn run_executor(opts: &ExecutorOptions) -> Result<(), Error> {
    use ballista_executor::executor_process::{start_executor_process, ExecutorProcessConfig};
    let url = url_of(&opts.scheduler)?;
    let mut registry = BallistaFunctionRegistry::default();
    registry.scalar_functions.insert(PASS_UDF.to_string(), PassUdf::udf());
    let config = ExecutorProcessConfig {
        bind_host: opts.bind_host.clone(),
        port: opts.port,
        grpc_port: opts.grpc_port,
        scheduler_host: url.0,
        scheduler_port: url.1,
        vcores: opts.vcores.max(1),
        work_dir: opts.work_dir.as_ref().map(|p| p.display().to_string()),
        grpc_max_decoding_message_size: MAX_MESSAGE as u32,
        grpc_max_encoding_message_size: MAX_MESSAGE as u32,
        print_thread_info: false,
        executor_heartbeat_interval_seconds: 5,
        override_function_registry: Some(Arc::new(registry)),
        ..ExecutorProcessConfig::default()
    };
    runtime()?.block_on(async {
        start_executor_process(Arc::new(config)).await.map_err(|e| Error::Cluster(format!("the executor stopped: {e}")))
    })
}

/// (host, port) of `df://HOST:PORT` (or `http://`); port 50050 when none.
pub fn url_of(url: &str) -> Result<(String, u16), Error> {
    let rest = url.strip_prefix("df://").or_else(|| url.strip_prefix("http://")).unwrap_or(url);
    let rest = rest.trim_end_matches('/');
    let bad = || Error::Cluster(format!("{url:?} is not a scheduler address; expected df://HOST:PORT"));
    match rest.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() => Ok((host.to_string(), port.parse().map_err(|_| bad())?)),
        None if !rest.is_empty() => Ok((rest.to_string(), 50050)),
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheduler_addresses_parse() {
        assert_eq!(url_of("df://localhost:50050").ok(), Some(("localhost".into(), 50050)));
        assert_eq!(url_of("http://10.1.2.3:6000/").ok(), Some(("10.1.2.3".into(), 6000)));
        assert_eq!(url_of("df://sched").ok(), Some(("sched".into(), 50050)));
        assert!(url_of("df://:12").is_err());
        assert!(url_of("df://host:port").is_err());
    }
}
