//! The scan by slices of the log and the shuffle by user (`--shuffle`):
//! no process reads the whole access log, and each row is parsed once.
//!
//! - **Pass 0, the scan** ([`scan`]): a task per slice of the log's
//!   pieces (`ingest::log_pieces`: a Parquet file in row ranges, any
//!   other file whole) reads its slice with `ingest`'s per-piece code
//!   (`ingest::read_log_slice`), into dictionaries of its own. It leaves
//!   in the shuffle folder the slice's summary (its ids in order of first
//!   appearance, file reports, rejected rows: `scan-S.bin`) and its
//!   events in the slice's codes, in input order (`rows-S.bin`), and
//!   answers with codes and counts ([`codec::Scanned`]): its events, their
//!   time range and each of its user codes' events.
//! - **The driver** reads the context tables only, joins the slices'
//!   summaries in order (`ingest::join_slices`: the dictionaries, codes,
//!   file reports and rejects of a whole read), cuts the plan from the
//!   users' counts and leaves each slice's maps to the run's codes
//!   (`join-S.bin`, codes only) and the run's dictionaries
//!   (`dictionaries.bin`).
//! - **The shuffle** ([`shuffle`]): a task per slice recodes its events to
//!   the run's codes and writes them bucketed by the plan's user ranges
//!   (`bucket-S-K.bin`, input order kept), then removes `rows-S.bin`.
//! - **Passes 1, 2 and 4** read their partition's bucket of every slice,
//!   in slice order ([`read_partition`]): the partition's events in input
//!   order, which the stable sort by (user, time) makes the local run's.
//!
//! The shuffle folder is owner-only, inside the output folder (shared
//! storage every executor reads), named as a spill
//! (`.ehrwatch-spill-PID-shuffle`), so a run after a killed driver
//! sweeps it; the driver removes it at the end of the run.

use std::path::{Path, PathBuf};

use super::codec::{self, Scanned};
use super::job::Job;
use crate::error::Error;
use crate::ingest;
use crate::model::{Code, Events, Partition, SortedParts, NONE};

/// The file of the `s`-th slice's summary.
pub fn summary_file(dir: &Path, s: usize) -> PathBuf {
    dir.join(format!("scan-{s}.bin"))
}

/// The file of the `s`-th slice's events in its own codes.
fn rows_file(dir: &Path, s: usize) -> PathBuf {
    dir.join(format!("rows-{s}.bin"))
}

/// The file of the `s`-th slice's maps to the run's codes.
pub fn join_file(dir: &Path, s: usize) -> PathBuf {
    dir.join(format!("join-{s}.bin"))
}

/// The file of the `s`-th slice's events of the `k`-th partition.
fn bucket_file(dir: &Path, s: usize, k: usize) -> PathBuf {
    dir.join(format!("bucket-{s}-{k}.bin"))
}

/// Writes `bytes` to `path`, owner-only: into a file of its own first,
/// renamed into place, so a task retried after a lost executor replaces
/// what the first try left and no reader sees half a file.
pub fn put(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    use std::io::Write;
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed)));
    let tmp = PathBuf::from(tmp);
    let written =
        crate::fs::create_private(&tmp).and_then(|mut f| f.write_all(bytes)).and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(crate::fs::FsError::write(path)(e).into());
    }
    Ok(())
}

/// Reads `path` and decodes it with `decode`, checking it is the `s`-th's.
pub fn get<T>(
    path: &Path,
    s: usize,
    decode: impl Fn(&[u8]) -> Result<(u32, T), codec::CodecError>,
) -> Result<T, Error> {
    let bytes = std::fs::read(path).map_err(crate::fs::FsError::read(path))?;
    let (part, value) = decode(&bytes).map_err(|e| Error::Cluster(format!("{}: {e}", path.display())))?;
    if part as usize != s {
        return Err(Error::Cluster(format!("{}: written for slice {part}", path.display())));
    }
    Ok(value)
}

/// The job's shuffle folder.
fn folder(job: &Job) -> Result<&Path, Error> {
    job.shuffle.as_deref().ok_or_else(|| Error::Cluster("a scan or shuffle task names no shuffle folder".into()))
}

/// The job's `s`-th slice: its range of the log's pieces.
fn slice(job: &Job, s: usize) -> Result<std::ops::Range<usize>, Error> {
    let &(lo, hi) = job
        .slices
        .get(s)
        .ok_or_else(|| Error::Cluster(format!("slice {s} is not in the job's {} slices", job.slices.len())))?;
    let as_usize = |v: u64| usize::try_from(v).map_err(|_| Error::Cluster("a slice past usize".into()));
    Ok(as_usize(lo)?..as_usize(hi)?)
}

/// Pass 0 on the `s`-th slice: reads it, leaves its summary and events in
/// the shuffle folder, and answers with its counts.
pub fn scan(job: &Job, s: usize) -> Result<Vec<u8>, Error> {
    let dir = folder(job)?;
    let range = slice(job, s)?;
    let config = job.config()?;
    let pieces = ingest::log_pieces(&job.input)?;
    if pieces.len() as u64 != job.pieces {
        return Err(Error::Cluster(format!(
            "the access log has {} pieces here, {} for the driver (did the log change?)",
            pieces.len(),
            job.pieces
        )));
    }
    // The driver's clock, so every slice judges future timestamps alike.
    let now = match job.now_micros {
        Some(t) if t >= 0 => std::time::UNIX_EPOCH + std::time::Duration::from_micros(t.unsigned_abs()),
        Some(t) => std::time::UNIX_EPOCH - std::time::Duration::from_micros(t.unsigned_abs()),
        None => std::time::SystemTime::now(),
    };
    let read = ingest::read_log_slice(&pieces, range, config.timezone, &config.input, now)?;
    let (summary, events) = read.summary();
    let mut per_user = vec![0u64; summary.dict.users.len()];
    for &u in &events.user {
        // Every event has a user (ingest rejects a row without one).
        if let Some(n) = per_user.get_mut(u as usize) {
            *n += 1;
        }
    }
    let scanned = Scanned { events: events.len() as u64, time: events.time_range(), per_user };
    let code = u32::try_from(s).map_err(|_| Error::Cluster("too many slices".into()))?;
    put(&summary_file(dir, s), &codec::encode_slice_summary(code, &summary))?;
    put(&rows_file(dir, s), &codec::encode_events(code, &events))?;
    Ok(codec::encode_scanned(code, &scanned))
}

/// Whether every code of `column` (but [`NONE`]) has a place in `map`.
fn fits(column: &[Code], map: &[Code]) -> bool {
    column.iter().all(|&c| c == NONE || (c as usize) < map.len())
}

/// The shuffle on the `s`-th slice: its events recoded to the run's codes
/// and written by partition of the job's plan; answers with the events
/// written into each partition's bucket.
pub fn shuffle(job: &Job, s: usize) -> Result<Vec<u8>, Error> {
    let dir = folder(job)?;
    let rows = rows_file(dir, s);
    let mut events = get(&rows, s, codec::decode_events)?;
    let join = get(&join_file(dir, s), s, codec::decode_slice_join)?;
    let m = &join.maps;
    let fit = fits(&events.user, &m.users)
        && fits(&events.patient, &m.patients)
        && fits(&events.workstation, &m.workstations)
        && fits(&events.ip, &m.ips)
        && fits(&events.department, &m.departments);
    if !fit {
        return Err(Error::Cluster(format!("slice {s}: a code the driver's maps do not hold")));
    }
    events.recode(m);
    events.source_file.iter_mut().for_each(|f| *f += join.base);
    // Each event's partition: the plan's ranges are contiguous and in order.
    let plan = &job.plan;
    let mut idx: Vec<Vec<usize>> = vec![Vec::new(); plan.len()];
    for (i, &u) in events.user.iter().enumerate() {
        let k = plan.partition_point(|&(_, hi)| hi <= u);
        match plan.get(k) {
            Some(&(lo, hi)) if lo <= u && u < hi => idx[k].push(i),
            _ => return Err(Error::Cluster(format!("slice {s}: a user code outside the plan"))),
        }
    }
    let code = u32::try_from(s).map_err(|_| Error::Cluster("too many slices".into()))?;
    let mut counts = Vec::with_capacity(plan.len());
    for (k, idx) in idx.iter().enumerate() {
        put(&bucket_file(dir, s, k), &codec::encode_events(code, &events.gather(idx)))?;
        counts.push(idx.len() as u64);
    }
    // The slice's rows in its own codes are not read again.
    let _ = std::fs::remove_file(&rows);
    Ok(codec::encode_shuffled(code, &counts))
}

/// The events of the `k`-th partition of the plan (users `users`), from
/// the buckets of `slices` slices in `dir`, sorted by (user, time, input
/// order) as a whole read sorts them.
pub fn read_partition(dir: &Path, slices: usize, k: usize, users: std::ops::Range<Code>) -> Result<Partition, Error> {
    let mut parts = SortedParts::default();
    for s in 0..slices {
        let events: Events = get(&bucket_file(dir, s, k), s, codec::decode_events)?;
        if events.user.iter().any(|u| !users.contains(u)) {
            return Err(Error::Cluster(format!("slice {s}'s bucket {k} holds another partition's user")));
        }
        parts.push(events);
    }
    Ok(Partition::new(users, parts.into_sorted()))
}

/// The shuffle folder of a run: owner-only, inside the output folder,
/// removed when dropped.
#[derive(Debug)]
pub struct ShuffleDir(PathBuf);

impl ShuffleDir {
    /// Creates the folder (after sweeping what killed runs left in `out`).
    pub fn create(out: &Path) -> Result<ShuffleDir, Error> {
        use crate::fs::FsError;
        crate::fs::create_private_dir(out).map_err(FsError::write(out))?;
        crate::fs::sweep_leftovers(out).map_err(FsError::write(out))?;
        let dir = out.join(format!("{}{}-shuffle", crate::fs::SPILL_PREFIX, std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(FsError::write(&dir))?;
        }
        crate::fs::create_private_dir(&dir).map_err(FsError::write(&dir))?;
        Ok(ShuffleDir(dir))
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for ShuffleDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A plan cut from each user code's events ([`crate::pipeline::Cut`]'s
/// rule, without the events): at most `n` contiguous ranges of about
/// equal events covering `0..per_user.len()`.
pub fn plan_from_counts(per_user: &[u64], n: usize) -> Vec<std::ops::Range<Code>> {
    use crate::pipeline::Partitions;
    crate::pipeline::Cut::from_counts(per_user, n).plan()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::job::{ConfigSource, SCAN, SHUFFLE};
    use crate::config::Config;
    use crate::pipeline::{Cut, Partitions};
    use crate::progress::Progress;
    use crate::test_fixture::{simulated_bundle_with, BundleFormat};

    #[test]
    fn a_plan_from_counts_is_the_plan_cut_from_the_events() {
        let dir = simulated_bundle_with(BundleFormat::Csv, |p| {
            (p.users, p.patients, p.days, p.seed, p.incidents) = (50, 500, 3, 5, 1);
        });
        let bundle = dir.path().join("bundle");
        let whole = ingest::read_bundle(&bundle, chrono_tz::UTC, &Progress::hidden()).expect("read");
        let mut per_user = vec![0u64; whole.dict.users.len()];
        whole.events.user.iter().for_each(|&u| per_user[u as usize] += 1);
        let n_users = whole.dict.users.len();
        let (_, events) = whole.with_events(());
        let whole = Partition::whole(events, n_users);
        for n in [1, 2, 3, 7, 1000] {
            assert_eq!(plan_from_counts(&per_user, n), Cut::new(whole.clone(), n).plan(), "{n} partitions");
        }
    }

    /// The scan, the join and the shuffle of a daily Parquet world cut
    /// into `slices` slices and `parts` partitions give each partition
    /// the events a whole read gives it.
    fn scanned_and_shuffled(slices: usize, parts: usize) {
        let dir = simulated_bundle_with(BundleFormat::Parquet, |p| {
            (p.users, p.patients, p.days, p.seed, p.incidents) = (40, 400, 5, 11, 2);
        });
        let bundle = dir.path().join("bundle");
        let config = Config::default();
        let shuffle = ShuffleDir::create(&dir.path().join("out")).expect("folder");
        let pieces = ingest::log_pieces(&bundle).expect("pieces");
        let cut = pieces.slices(slices);
        assert_eq!(cut.len(), slices, "{} pieces", pieces.len());
        let mut job = Job::new("shuffle-1".into(), (&bundle, dir.path(), 0), &ConfigSource::default(), &[]);
        job.shuffle = Some(shuffle.path().to_path_buf());
        job.slices = cut.iter().map(|r| (r.start as u64, r.end as u64)).collect();
        job.pieces = pieces.len() as u64;
        job.pass = SCAN;
        let scanned: Vec<Scanned> =
            (0..slices).map(|s| codec::decode_scanned(&job.run(s).expect("scan")).expect("decodes").1).collect();
        let mut context = None;
        ingest::read_context(&bundle, config.timezone, &Progress::hidden(), &config.input, &mut context)
            .expect("context");
        let summaries = (0..slices)
            .map(|s| get(&summary_file(shuffle.path(), s), s, codec::decode_slice_summary))
            .collect::<Result<Vec<_>, _>>()
            .expect("summaries");
        let (data, joins) =
            ingest::join_slices(&bundle, config.timezone, &config.input, context.expect("kept"), summaries)
                .expect("joined");
        let whole = ingest::read_bundle(&bundle, config.timezone, &Progress::hidden()).expect("read");
        assert_eq!(data.dict.users.len(), whole.dict.users.len());
        assert_eq!(data.dict.patients.len(), whole.dict.patients.len());
        let mut per_user = vec![0u64; data.dict.users.len()];
        for (s, (scan, join)) in scanned.iter().zip(&joins).enumerate() {
            for (&n, &u) in scan.per_user.iter().zip(&join.maps.users) {
                per_user[u as usize] += n;
            }
            put(&join_file(shuffle.path(), s), &codec::encode_slice_join(s as u32, join)).expect("join");
        }
        let plan = plan_from_counts(&per_user, parts);
        job.plan = plan.iter().map(|r| (r.start, r.end)).collect();
        job.pass = SHUFFLE;
        for s in 0..slices {
            let (_, counts) = codec::decode_shuffled(&job.run(s).expect("shuffle")).expect("decodes");
            assert_eq!(counts.len(), plan.len());
            assert!(!rows_file(shuffle.path(), s).exists(), "the slice's own rows are removed");
        }
        let n_users = whole.dict.users.len();
        let (_, events) = whole.with_events(());
        let cut_whole = Cut::new(Partition::whole(events, n_users), parts);
        assert_eq!(cut_whole.plan(), plan);
        for (k, users) in plan.iter().enumerate() {
            let (here, there) = (
                read_partition(shuffle.path(), slices, k, users.clone()).expect("read"),
                cut_whole.events_of(users.clone()),
            );
            assert!(!here.is_empty(), "{users:?}");
            assert_eq!((&here.user, &here.patient, &here.ts), (&there.user, &there.patient, &there.ts));
            assert_eq!(
                (&here.workstation, &here.ip, &here.department),
                (&there.workstation, &there.ip, &there.department)
            );
            assert_eq!((&here.action, &here.category), (&there.action, &there.category));
            assert_eq!(
                (&here.break_glass, &here.source_file, &here.source_line),
                (&there.break_glass, &there.source_file, &there.source_line)
            );
        }
        // A plan the buckets do not follow is refused.
        assert!(read_partition(shuffle.path(), slices + 1, 0, plan[0].clone()).is_err());
    }

    #[test]
    fn a_log_scanned_in_slices_and_shuffled_gives_each_partition_the_events_of_a_whole_read() {
        scanned_and_shuffled(1, 1);
        scanned_and_shuffled(2, 3);
        scanned_and_shuffled(5, 4);
    }

    #[test]
    fn damaged_or_foreign_shuffle_files_are_errors_not_panics() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("scan-0.bin");
        put(&path, b"EWP4\x07\x00\xff").expect("write");
        assert!(get(&path, 0, codec::decode_slice_summary).is_err());
        put(&path, &codec::encode_events(1, &Events::default())).expect("write");
        let err = get(&path, 0, codec::decode_events).expect_err("another slice's");
        assert!(err.to_string().contains("slice 1"), "{err}");
    }
}
