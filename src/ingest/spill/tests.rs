use std::fs;
use std::path::{Path, PathBuf};

use super::*;
use crate::ingest::read_bundle;
use crate::model::Dictionaries;
use crate::test_fixture::{simulated_bundle as world, BundleFormat};

/// Appends rows that are rejected, rows of a new user (a code past the
/// roster's) and rows out of time order to a CSV bundle's access log.
fn add_odd_rows(bundle: &Path) {
    let path = bundle.join("access_log.csv");
    let text = fs::read_to_string(&path).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let row = |values: &[(&str, &str)]| {
        let cells: Vec<&str> =
            header.iter().map(|h| values.iter().find(|(k, _)| k == h).map_or("", |(_, v)| *v)).collect();
        cells.join(",") + "\n"
    };
    let mut extra = String::new();
    for (ts, user, action) in [
        ("2026-10-02 09:00:00", "U99999", "view"),
        ("not a time", "U99999", "view"),
        ("2026-10-01 03:00:00", "U99999", "frobnicate"),
        ("2026-10-01 01:00:00", "U99998", "view"),
        ("2026-10-01 02:00:00", "U99999", "view"),
    ] {
        let values =
            [("timestamp", ts), ("user_id", user), ("patient_id", "P-odd"), ("action", action), ("data_category", "x")];
        extra += &row(&values);
    }
    fs::write(&path, text + &extra).unwrap();
}

fn names(d: &Dictionaries) -> Vec<Vec<String>> {
    [&d.users, &d.patients, &d.departments, &d.workstations, &d.ips]
        .iter()
        .map(|s| (0..s.len() as Code).map(|c| s.name(c).to_string()).collect())
        .collect()
}

fn assert_same_events(got: &Events, want: &Events, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    assert_eq!(got.user, want.user, "{what}: user");
    assert_eq!(got.patient, want.patient, "{what}: patient");
    assert_eq!(got.ts, want.ts, "{what}: ts");
    assert_eq!(got.action, want.action, "{what}: action");
    assert_eq!(got.category, want.category, "{what}: category");
    assert_eq!(got.workstation, want.workstation, "{what}: workstation");
    assert_eq!(got.ip, want.ip, "{what}: ip");
    assert_eq!(got.department, want.department, "{what}: department");
    assert_eq!(got.break_glass, want.break_glass, "{what}: break_glass");
    assert_eq!(got.source_file, want.source_file, "{what}: source_file");
    assert_eq!(got.source_line, want.source_line, "{what}: source_line");
}

/// The in-memory events of users `users`.
fn slice(e: &Events, users: Range<Code>) -> Events {
    let keep: Vec<bool> = e.user.iter().map(|u| users.contains(u)).collect();
    let mut out = e.clone();
    each_column!(out, c => {
        let mut k = keep.iter();
        c.retain(|_| *k.next().unwrap());
    });
    out
}

/// The parts one after the other.
fn concat(parts: &[Events]) -> Events {
    let mut out = Events::default();
    macro_rules! cat {
        ($($f:ident),*) => {$(
            out.$f = parts.iter().flat_map(|p| p.$f.iter().copied()).collect();
        )*};
    }
    cat!(user, patient, ts, action, category, workstation, ip, department, break_glass, source_file, source_line);
    out
}

fn spill_dir(tmp: &Path) -> PathBuf {
    let dir = tmp.join("spill");
    crate::fs::create_private_dir(&dir).unwrap();
    dir
}

/// Reads `bundle` both ways (spilling a chunk every 100 events per block,
/// so files hold many chunks) and checks that they agree.
fn check_both_ways(tmp: &Path, bundle: &Path) {
    check_both_ways_in(tmp, bundle, Parts { rows: UNIT_ROWS, bounded: true, spool: None, filter: None, indexed: None });
}

/// [`check_both_ways`], the spilled read taking at most `parts.rows` rows
/// into one part.
fn check_both_ways_in(tmp: &Path, bundle: &Path, parts: Parts<'_>) {
    let progress = Progress::hidden();
    let mem = read_bundle(bundle, Tz::UTC, &progress).unwrap();
    let dir = spill_dir(tmp);
    let (data, spilled) = read_spilled_with(bundle, Tz::UTC, &progress, &dir, 100, parts, &Default::default()).unwrap();

    // Nothing of the log is held in memory: the type says so.
    let () = data.events;
    assert_eq!(names(&data.dict), names(&mem.dict));
    assert_eq!(format!("{:?}", data.report), format!("{:?}", mem.report));
    assert_eq!(data.rejects.rows, mem.rejects.rows);
    assert_eq!(spilled.events(), mem.events.len() as u64);
    assert_eq!(spilled.users(), mem.dict.users.len() as Code);
    let ts = &mem.events.ts;
    assert_eq!(spilled.time_range(), Some((*ts.iter().min().unwrap(), *ts.iter().max().unwrap())));

    let users = spilled.users();
    assert!(users > 2 * BLOCK_USERS, "the world spans several blocks");
    let max = mem.events.len() as u64 / 5;
    let plan = spilled.plan(max);
    assert!(plan.len() >= 3, "{plan:?}");
    assert_eq!(plan.first().unwrap().start, 0);
    assert_eq!(plan.last().unwrap().end, users);
    let mut parts = Vec::new();
    for (k, r) in plan.iter().enumerate() {
        assert!(r.start < r.end && r.start % BLOCK_USERS == 0, "{r:?}");
        if k > 0 {
            assert_eq!(plan[k - 1].end, r.start, "contiguous");
        }
        let part = spilled.load(r.clone()).unwrap();
        assert!(part.len() as u64 <= max || r.end - r.start <= BLOCK_USERS, "{r:?} holds {}", part.len());
        assert_same_events(&part, &slice(&mem.events, r.clone()), &format!("users {r:?}"));
        if let Some(previous) = parts.last() {
            // Into the columns of the partition before (its values still
            // in them, more or fewer than this one's): the same events.
            let again = spilled.load_into(r.clone(), Events::clone(previous)).unwrap();
            assert_same_events(&again, &part, &format!("users {r:?} into reused columns"));
        }
        parts.push(part);
    }
    assert_same_events(&concat(&parts), &mem.events, "all partitions");

    // Ranges not made of whole blocks, and past the last user.
    for r in [10..100, 65..66, users - 3..users + 50, users..users + 1] {
        assert_same_events(&spilled.load(r.clone()).unwrap(), &slice(&mem.events, r.clone()), &format!("{r:?}"));
    }

    let files: Vec<PathBuf> = fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), spilled.counts.iter().filter(|&&n| n > 0).count());
    #[cfg(unix)]
    for f in &files {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(fs::metadata(f).unwrap().permissions().mode() & 0o777, 0o600, "{}", f.display());
    }
    drop(spilled);
    assert!(!dir.exists(), "spill folder removed on drop");
}

#[test]
fn spilled_parquet_files_load_as_the_in_memory_read() {
    let tmp = world(BundleFormat::Parquet);
    let bundle = tmp.path().join("bundle");
    assert!(fs::read_dir(bundle.join("access_log")).unwrap().count() >= 3, "several access-log files");
    check_both_ways(tmp.path(), &bundle);
}

#[test]
fn spilled_csv_with_rejects_and_unsorted_rows_loads_as_the_in_memory_read() {
    let tmp = world(BundleFormat::Csv);
    let bundle = tmp.path().join("bundle");
    add_odd_rows(&bundle);
    let mem = read_bundle(&bundle, Tz::UTC, &Progress::hidden()).unwrap();
    assert_eq!(mem.rejects.rows.len(), 1, "the odd rows hold one reject");
    assert!(!mem.report.other_actions.is_empty());
    check_both_ways(tmp.path(), &bundle);
}

/// Reads `bundle` into memory, each part holding at most `unit_rows`
/// rows (as a spilled run would).
fn read_in_parts(bundle: &Path, unit_rows: usize) -> Ingested {
    let mut events = crate::model::SortedParts::default();
    let parts = Parts { rows: unit_rows, bounded: true, spool: None, filter: None, indexed: None };
    let data = super::super::bundle::read_bundle_into(
        bundle,
        Tz::UTC,
        &Progress::hidden(),
        None,
        &mut events,
        parts,
        &Default::default(),
    )
    .unwrap();
    data.with_events(events.into_sorted()).0
}

/// Files read in small parts (Parquet in row ranges, CSV that only a
/// sequential read can split streamed and merged every few events) give
/// exactly what reading each file whole gives: codes, events, line
/// numbers, rejects (in order) and counts; in memory and spilled.
fn check_parts(tmp: &Path, bundle: &Path) {
    let whole = read_bundle(bundle, Tz::UTC, &Progress::hidden()).unwrap();
    for unit in [97, 1000] {
        let parts = read_in_parts(bundle, unit);
        assert_eq!(names(&parts.dict), names(&whole.dict), "{unit}");
        assert_eq!(format!("{:?}", parts.report), format!("{:?}", whole.report), "{unit}");
        assert_eq!(parts.rejects.rows, whole.rejects.rows, "{unit}");
        assert_same_events(&parts.events, &whole.events, &format!("in parts of {unit}"));
    }
    check_both_ways_in(tmp, bundle, Parts { rows: 97, bounded: true, spool: None, filter: None, indexed: None });
}

#[test]
fn large_parquet_files_are_read_in_row_ranges_with_the_same_result() {
    let tmp = world(BundleFormat::Parquet);
    let bundle = tmp.path().join("bundle");
    let files = crate::ingest::access_log_files(&bundle).unwrap();
    let paths: Vec<PathBuf> = files.iter().map(|(p, _)| p.clone()).collect();
    let rows: Vec<Option<u64>> = paths.iter().map(|p| crate::ingest::source::parquet_rows(p)).collect();
    let pieces = super::super::bundle::plan_pieces(&paths, &rows, 97, true).unwrap();
    assert!(pieces.len() > 10 * paths.len(), "{} pieces of {} files", pieces.len(), paths.len());
    check_parts(tmp.path(), &bundle);
}

#[test]
fn large_gzip_and_quoted_csv_files_are_streamed_with_the_same_result() {
    for quoted in [false, true] {
        let tmp = world(BundleFormat::Csv);
        let bundle = tmp.path().join("bundle");
        add_odd_rows(&bundle);
        let path = bundle.join("access_log.csv");
        if quoted {
            // A quote anywhere: no chunking, a sequential read.
            let text = fs::read_to_string(&path).unwrap().replacen(",view,", ",\"view\",", 3);
            fs::write(&path, text).unwrap();
        } else {
            use std::io::Write as _;
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(&fs::read(&path).unwrap()).unwrap();
            fs::write(bundle.join("access_log.csv.gz"), gz.finish().unwrap()).unwrap();
            fs::remove_file(&path).unwrap();
        }
        let files = crate::ingest::access_log_files(&bundle).unwrap();
        let paths: Vec<PathBuf> = files.iter().map(|(p, _)| p.clone()).collect();
        let pieces = super::super::bundle::plan_pieces(&paths, &[None], 97, true).unwrap();
        assert!(matches!(pieces[..], [(0, super::super::bundle::Piece::Stream)]), "{pieces:?}");
        let held = super::super::bundle::plan_pieces(&paths, &[None], 97, false).unwrap();
        assert!(matches!(held[..], [(0, super::super::bundle::Piece::Whole)]), "in memory: {held:?}");
        let whole = read_bundle(&bundle, Tz::UTC, &Progress::hidden()).unwrap();
        assert_eq!(whole.rejects.rows.len(), 1, "the odd rows hold one reject");
        check_parts(tmp.path(), &bundle);
    }
}

#[test]
fn plan_joins_whole_blocks_up_to_the_limit() {
    let counted = |counts: Vec<u64>, users: Code| Spilled {
        dir: PathBuf::from("/nonexistent/ehrwatch-spill-test"),
        created: vec![false; counts.len()],
        counts,
        time: None,
        bounds: Bounds { users, ..Bounds::default() },
        buffers: Default::default(),
    };
    let spilled = counted(vec![10, 0, 50, 5, 5], 300);
    assert_eq!(spilled.plan(20), vec![0..128, 128..192, 192..300]);
    assert_eq!(spilled.plan(60), vec![0..192, 192..300]);
    assert_eq!(spilled.plan(u64::MAX), vec![0..300]);
    assert_eq!(spilled.plan(0), vec![0..64, 64..128, 128..192, 192..256, 256..300]);
    assert!(counted(Vec::new(), 0).plan(10).is_empty());
    assert_eq!(counted(vec![0], 1).plan(10), vec![0..1]);
    // Users weigh too: 5 blocks of one event per user (the last of 44
    // users), 10 events a user on top: 704 a full block, 484 the last.
    let many = counted(vec![64, 64, 64, 64, 44], 300);
    assert_eq!(many.plan(1_000), vec![0..300], "events alone fit");
    assert_eq!(many.plan_weighted(1_000, 10), vec![0..64, 64..128, 128..192, 192..256, 256..300]);
    assert_eq!(many.plan_weighted(1_500, 10), vec![0..128, 128..256, 256..300]);
    assert_eq!(many.plan_weighted(u64::MAX - 1, u64::MAX).len(), 5, "weights saturate, never overflow");
}

#[test]
fn a_damaged_spill_file_is_an_error_naming_it() {
    let tmp = world(BundleFormat::Csv);
    let bundle = tmp.path().join("bundle");
    let dir = spill_dir(tmp.path());
    let (_, spilled) =
        read_spilled_with(&bundle, Tz::UTC, &Progress::hidden(), &dir, 100, Parts::IN_MEMORY, &Default::default())
            .unwrap();
    let file = spilled.file(1);
    let bytes = fs::read(&file).unwrap();
    let expect_error = |what: &str| {
        let err = spilled.load(BLOCK_USERS..2 * BLOCK_USERS).expect_err(what);
        assert!(matches!(err, IngestError::Spill { .. }), "{what}: {err}");
        let text = err.to_string();
        assert!(text.contains(&file.display().to_string()), "{what}: {text}");
        text
    };

    fs::write(&file, &bytes[..bytes.len() - 3]).unwrap();
    assert!(expect_error("truncated").contains("truncated"));

    let rows = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
    let layout = Layout(bytes[8]);
    assert_eq!(layout, Layout(0), "a small world's chunks are narrow");
    let first_chunk = HEADER_BYTES + rows * layout.row_bytes();
    fs::write(&file, &bytes[..first_chunk]).unwrap();
    assert!(expect_error("a whole chunk missing").contains("were written"));

    // The first row's values: user (1), patient (2), ts (8), action and
    // category (1 + 1), workstation, ip, department (2 each), break_glass
    // (1), source file (2), source line (4).
    let row = HEADER_BYTES;
    let mut bad = bytes.clone();
    bad[row + 1 + 2 + 8] = 200; // the action
    fs::write(&file, &bad).unwrap();
    assert!(expect_error("an action out of range").contains("out of range"));

    let mut bad = bytes.clone();
    bad[row + 1 + 2 + 8 + 2 + 6] = 2; // the flag
    fs::write(&file, &bad).unwrap();
    assert!(expect_error("a flag out of range").contains("out of range"));

    let mut bad = bytes.clone();
    bad[row] = BLOCK_USERS as u8; // the user, past the block
    fs::write(&file, &bad).unwrap();
    assert!(expect_error("a user of another block").contains("column user"));

    let mut bad = bytes.clone();
    bad[row + 1..row + 3].copy_from_slice(&0xFFF0u16.to_le_bytes()); // the patient
    fs::write(&file, &bad).unwrap();
    assert!(expect_error("an unknown patient").contains("column patient"));

    let mut bad = bytes.clone();
    let file_at = row + 1 + 2 + 8 + 2 + 6 + 1;
    bad[file_at..file_at + 2].copy_from_slice(&0x7FFFu16.to_le_bytes()); // the source file
    fs::write(&file, &bad).unwrap();
    assert!(expect_error("an unknown source file").contains("column source_file"));

    let mut bad = bytes.clone();
    bad[8] = 0x80; // a layout bit no layout has
    fs::write(&file, &bad).unwrap();
    assert!(expect_error("a bad layout").contains("header"));

    let mut bad = bytes.clone();
    bad[0] = b'X';
    fs::write(&file, &bad).unwrap();
    assert!(expect_error("a bad magic").contains("header"));

    fs::write(&file, &bytes).unwrap();
    assert!(spilled.load(BLOCK_USERS..2 * BLOCK_USERS).is_ok());
}

#[test]
fn spill_files_are_removed_when_reading_fails() {
    let tmp = world(BundleFormat::Parquet);
    let bundle = tmp.path().join("bundle");
    // Sorts after the days' files: read (and failing) after they were spilled.
    fs::write(bundle.join("access_log").join("9999-12-31.parquet"), b"not parquet").unwrap();
    let dir = spill_dir(tmp.path());
    let err = read_spilled_with(&bundle, Tz::UTC, &Progress::hidden(), &dir, 1, Parts::IN_MEMORY, &Default::default())
        .unwrap_err();
    assert!(matches!(err, IngestError::Parquet { .. }), "{err}");
    assert!(!dir.exists(), "spill folder removed after the error");
}

#[test]
fn wide_and_narrow_chunks_load_as_the_rows_were_written() {
    use crate::model::{Action, DataCategory};
    use rand::{Rng, SeedableRng};
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(53);
    let tmp = tempfile::tempdir().unwrap();
    let dir = spill_dir(tmp.path());
    // Few events per chunk, so that chunks of both layouts share a file.
    let mut writer = SpillWriter::new(&dir, 7);
    let users: Code = 150;
    // Codes up to 0x1_0005 (wide) in some parts only, and none; lines past
    // u32::MAX and files past 0xFFFF likewise.
    let big = 0x1_0005u32;
    let identity = |n: u32| (0..n).collect::<Vec<Code>>();
    let maps = Recode {
        users: identity(users),
        patients: identity(big + 1),
        departments: identity(big + 1),
        workstations: identity(big + 1),
        ips: identity(big + 1),
    };
    let mut parts = Vec::new();
    for part_no in 0..12 {
        let wide = part_no % 3 == 1;
        let code = |rng: &mut rand_xoshiro::Xoshiro256PlusPlus| match rng.gen_range(0..8) {
            0 => NONE,
            1 if wide => big - rng.gen_range(0..3),
            1 => 0xFFFE,
            _ => rng.gen_range(0..40),
        };
        let mut part = Events::default();
        for _ in 0..rng.gen_range(0..200) {
            part.user.push(rng.gen_range(0..users));
            part.patient.push(code(&mut rng));
            part.ts.push(rng.gen_range(-5_000_000_000i64..5_000_000_000));
            part.action.push(Action::ALL[rng.gen_range(0..Action::ALL.len())]);
            part.category.push(DataCategory::ALL[rng.gen_range(0..DataCategory::ALL.len())]);
            part.workstation.push(code(&mut rng));
            part.ip.push(code(&mut rng));
            part.department.push(code(&mut rng));
            part.break_glass.push(rng.gen_bool(0.1));
            part.source_file.push(if wide && rng.gen_bool(0.2) { 0x1_0000 } else { rng.gen_range(0..5) });
            part.source_line.push(if wide && rng.gen_bool(0.2) {
                u64::from(u32::MAX) + 9
            } else {
                rng.gen_range(1..1000)
            });
        }
        parts.push(part.clone());
        writer.append(part, &maps).unwrap();
    }
    writer.finish().unwrap();
    let SpillWriter { mut spilled, .. } = writer;
    spilled.bounds =
        Bounds { users, patients: big + 1, workstations: big + 1, ips: big + 1, departments: big + 1, files: 0x1_0001 };
    let blocks = users.div_ceil(BLOCK_USERS) as usize;
    spilled.counts.resize(blocks, 0);
    spilled.created.resize(blocks, false);
    let mut all = concat(&parts);
    all.sort_by_user_time();
    let loaded = spilled.load(0..users).unwrap();
    assert_same_events(&loaded, &all, "every block");
    assert_same_events(&spilled.load(10..70).unwrap(), &slice(&all, 10..70), "a range across blocks");
}
