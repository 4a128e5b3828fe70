//! The state's files: input-file keys, and reading and writing a generation.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use polars::prelude::*;
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::{Compactor, Manifest, Stored, StoredEvents, StoredIds};
use crate::model::{Action, DataCategory, Dictionaries, Events, NONE};

/// One access-log file of the run, identified by its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileKey {
    /// Path relative to the bundle.
    pub file: String,
    /// First 128 bits of the SHA-256 of its bytes, hex.
    pub key: String,
}

/// The content keys of a bundle's access-log files, in reading order
/// (hashed in parallel).
pub fn file_keys(bundle: &Path) -> Result<Vec<FileKey>, crate::Error> {
    let files = crate::ingest::access_log_files(bundle)?;
    let keys: Result<Vec<FileKey>, super::StateError> = files
        .par_iter()
        .map(|(path, shown)| {
            let mut f = File::open(path).map_err(|source| super::StateError::Io { path: path.clone(), source })?;
            let mut hasher = Sha256::new();
            let mut buf = vec![0u8; 1 << 20];
            loop {
                let n = f.read(&mut buf).map_err(|source| super::StateError::Io { path: path.clone(), source })?;
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
            }
            let digest = hasher.finalize();
            let key = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
            Ok(FileKey { file: shown.clone(), key })
        })
        .collect();
    Ok(keys?)
}

#[cfg(unix)]
fn set_private(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_private(_: &Path, _: u32) -> io::Result<()> {
    Ok(())
}

/// Creates `dir` (and parents) if missing; a new folder is owner-only.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    if !dir.exists() {
        fs::create_dir_all(dir)?;
        set_private(dir, 0o700)?;
    }
    Ok(())
}

fn create_private(path: &Path) -> io::Result<BufWriter<File>> {
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    Ok(BufWriter::with_capacity(1 << 20, opts.open(path)?))
}

fn finish(w: BufWriter<File>) -> io::Result<()> {
    w.into_inner().map_err(|e| e.into_error())?.sync_all()
}

/// Replaces `dir/name` atomically (temporary file, then rename).
pub fn replace_file(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), (PathBuf, io::Error)> {
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let target = dir.join(name);
    let write = || -> io::Result<()> {
        let _ = fs::remove_file(&tmp);
        let mut w = create_private(&tmp)?;
        w.write_all(bytes)?;
        finish(w)?;
        fs::rename(&tmp, &target)
    };
    write().map_err(|e| {
        let _ = fs::remove_file(&tmp);
        (target.clone(), e)
    })
}

/// The kept events (`order`, in input order) with their ids renumbered in
/// order of first appearance, which is the order a later run interns them in.
pub(crate) fn compact(events: &Events, dict: &Dictionaries, order: &[u32], batch: Vec<u32>) -> Stored {
    let mut users = Compactor::new(&dict.users);
    let mut patients = Compactor::new(&dict.patients);
    let mut departments = Compactor::new(&dict.departments);
    let mut workstations = Compactor::new(&dict.workstations);
    let mut ips = Compactor::new(&dict.ips);
    let n = order.len();
    let mut s = StoredEvents {
        user: Vec::with_capacity(n),
        patient: Vec::with_capacity(n),
        ts: Vec::with_capacity(n),
        action: Vec::with_capacity(n),
        category: Vec::with_capacity(n),
        workstation: Vec::with_capacity(n),
        ip: Vec::with_capacity(n),
        department: Vec::with_capacity(n),
        break_glass: Vec::with_capacity(n),
        batch,
    };
    for &i in order {
        let i = i as usize;
        s.user.push(users.code(events.user[i]));
        s.patient.push(patients.code(events.patient[i]));
        s.department.push(departments.code(events.department[i]));
        s.workstation.push(workstations.code(events.workstation[i]));
        s.ip.push(ips.code(events.ip[i]));
        s.ts.push(events.ts[i]);
        s.action.push(events.action[i]);
        s.category.push(events.category[i]);
        s.break_glass.push(events.break_glass[i]);
    }
    let ids = StoredIds {
        users: users.values,
        patients: patients.values,
        departments: departments.values,
        workstations: workstations.values,
        ips: ips.values,
    };
    Stored { events: s, ids }
}

const SPACES: [&str; 5] = ["user", "patient", "department", "workstation", "ip"];

/// Writes a generation into a new folder `dir`.
pub(crate) fn write_generation(dir: &Path, stored: &Stored, manifest: &Manifest) -> Result<(), (PathBuf, io::Error)> {
    let at = |p: &Path| {
        let p = p.to_path_buf();
        move |e: io::Error| (p, e)
    };
    if dir.exists() {
        fs::remove_dir_all(dir).map_err(at(dir))?;
    }
    fs::create_dir_all(dir).map_err(at(dir))?;
    set_private(dir, 0o700).map_err(at(dir))?;
    let e = &stored.events;
    let n = e.ts.len();
    let mut events = DataFrame::new(
        n,
        vec![
            Column::new("user".into(), &e.user),
            Column::new("patient".into(), &e.patient),
            Column::new("ts".into(), &e.ts),
            Column::new("action".into(), e.action.iter().map(|&a| a as u32).collect::<Vec<u32>>()),
            Column::new("category".into(), e.category.iter().map(|&c| c as u32).collect::<Vec<u32>>()),
            Column::new("workstation".into(), &e.workstation),
            Column::new("ip".into(), &e.ip),
            Column::new("department".into(), &e.department),
            Column::new("break_glass".into(), &e.break_glass),
            Column::new("batch".into(), &e.batch),
        ],
    )
    .map_err(|err| (dir.to_path_buf(), io::Error::other(err)))?;
    let path = dir.join("events.parquet");
    write_parquet_file(&path, &mut events).map_err(at(&path))?;
    drop(events);
    let ids = &stored.ids;
    let lists = [&ids.users, &ids.patients, &ids.departments, &ids.workstations, &ids.ips];
    let mut space = Vec::new();
    let mut value = Vec::new();
    for (name, list) in SPACES.iter().zip(lists) {
        for v in list.iter() {
            space.push(*name);
            value.push(v.as_str());
        }
    }
    let mut frame =
        DataFrame::new(space.len(), vec![Column::new("space".into(), space), Column::new("value".into(), value)])
            .map_err(|err| (dir.to_path_buf(), io::Error::other(err)))?;
    let path = dir.join("ids.parquet");
    write_parquet_file(&path, &mut frame).map_err(at(&path))?;
    let path = dir.join("manifest.json");
    let text = serde_json::to_string_pretty(manifest).map_err(|err| (path.clone(), io::Error::other(err)))?;
    let mut w = create_private(&path).map_err(at(&path))?;
    w.write_all(text.as_bytes()).map_err(at(&path))?;
    w.write_all(b"\n").map_err(at(&path))?;
    finish(w).map_err(at(&path))?;
    Ok(())
}

fn write_parquet_file(path: &Path, df: &mut DataFrame) -> io::Result<()> {
    let mut w = create_private(path)?;
    ParquetWriter::new(&mut w).with_compression(ParquetCompression::Zstd(None)).finish(df).map_err(io::Error::other)?;
    finish(w)
}

/// Why a generation cannot be read.
pub(crate) enum ReadError {
    Io(PathBuf, io::Error),
    Bad(String),
}

fn read_frame(path: &Path) -> Result<DataFrame, ReadError> {
    let f = File::open(path).map_err(|e| ReadError::Io(path.to_path_buf(), e))?;
    ParquetReader::new(f).finish().map_err(|e| ReadError::Bad(format!("{} cannot be read ({e})", path.display())))
}

fn column<'a>(df: &'a DataFrame, path: &Path, name: &str) -> Result<&'a Column, ReadError> {
    let c = df.column(name).map_err(|_| ReadError::Bad(format!("{} has no column {name}", path.display())))?;
    if c.null_count() > 0 {
        return Err(ReadError::Bad(format!("{} column {name} has missing values", path.display())));
    }
    Ok(c)
}

fn u32s(df: &DataFrame, path: &Path, name: &str) -> Result<Vec<u32>, ReadError> {
    let c = column(df, path, name)?;
    let ca = c.u32().map_err(|_| ReadError::Bad(format!("{} column {name} is not UInt32", path.display())))?;
    Ok(ca.into_no_null_iter().collect())
}

/// Reads a generation folder and checks that every code is in range.
pub(crate) fn read_generation(dir: &Path, batches: usize) -> Result<Stored, ReadError> {
    let path = dir.join("ids.parquet");
    let ids_frame = read_frame(&path)?;
    let space = column(&ids_frame, &path, "space")?
        .str()
        .map_err(|_| ReadError::Bad(format!("{} column space is not text", path.display())))?
        .clone();
    let value = column(&ids_frame, &path, "value")?
        .str()
        .map_err(|_| ReadError::Bad(format!("{} column value is not text", path.display())))?
        .clone();
    let mut lists: [Vec<String>; 5] = Default::default();
    for (s, v) in space.iter().flatten().zip(value.iter().flatten()) {
        let k = SPACES
            .iter()
            .position(|x| *x == s)
            .ok_or_else(|| ReadError::Bad(format!("{} has an unknown id space", path.display())))?;
        lists[k].push(v.to_string());
    }
    drop(ids_frame);
    let [users, patients, departments, workstations, ips] = lists;
    let ids = StoredIds { users, patients, departments, workstations, ips };

    let path = dir.join("events.parquet");
    let df = read_frame(&path)?;
    let bad = |name: &str| ReadError::Bad(format!("{} column {name} holds a code out of range", path.display()));
    let coded = |name: &str, limit: usize| -> Result<Vec<u32>, ReadError> {
        let v = u32s(&df, &path, name)?;
        if v.iter().any(|&c| c != NONE && c as usize >= limit) {
            return Err(bad(name));
        }
        Ok(v)
    };
    let user = coded("user", ids.users.len())?;
    if user.contains(&NONE) {
        return Err(bad("user"));
    }
    let patient = coded("patient", ids.patients.len())?;
    let department = coded("department", ids.departments.len())?;
    let workstation = coded("workstation", ids.workstations.len())?;
    let ip = coded("ip", ids.ips.len())?;
    let batch = coded("batch", batches)?;
    if batch.contains(&NONE) {
        return Err(bad("batch"));
    }
    let action = u32s(&df, &path, "action")?
        .into_iter()
        .map(|a| Action::ALL.get(a as usize).copied().ok_or_else(|| bad("action")))
        .collect::<Result<Vec<_>, _>>()?;
    let category = u32s(&df, &path, "category")?
        .into_iter()
        .map(|c| DataCategory::ALL.get(c as usize).copied().ok_or_else(|| bad("category")))
        .collect::<Result<Vec<_>, _>>()?;
    let ts: Vec<i64> = column(&df, &path, "ts")?
        .i64()
        .map_err(|_| ReadError::Bad(format!("{} column ts is not Int64", path.display())))?
        .into_no_null_iter()
        .collect();
    let break_glass: Vec<bool> = column(&df, &path, "break_glass")?
        .bool()
        .map_err(|_| ReadError::Bad(format!("{} column break_glass is not Boolean", path.display())))?
        .iter()
        .map(|v| v.unwrap_or(false))
        .collect();
    let events = StoredEvents { user, patient, ts, action, category, workstation, ip, department, break_glass, batch };
    Ok(Stored { events, ids })
}
