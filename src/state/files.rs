//! The state's files: input-file keys, and reading and writing a batch.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use polars::prelude::*;
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::Compactor;
use crate::fs::{write_replacing, FsError};
use crate::ingest::HistoryPart;
use crate::model::{Action, DataCategory, Dictionaries, Events, NONE};

/// One access-log file of the run, identified by its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileKey {
    /// Path relative to the bundle.
    pub file: String,
    /// First 128 bits of the SHA-256 of its bytes, hex.
    pub key: String,
}

/// The content keys of a bundle's access-log files (each its path and the
/// name shown for it, as `ingest::access_log_files` lists them), in
/// reading order (hashed in parallel).
pub fn file_keys(files: &[(PathBuf, String)]) -> Result<Vec<FileKey>, super::StateError> {
    files
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
        .collect()
}

pub use crate::fs::create_private_dir;

/// Replaces `dir/name` atomically (temporary file, then rename).
pub fn replace_file(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), (PathBuf, io::Error)> {
    write_replacing(&dir.join(name), |w| w.write_all(bytes)).map_err(FsError::into_parts)
}

/// The events at `order` (input order), with their ids renumbered in order
/// of first appearance, which is the order a later run interns them in.
pub(crate) fn compact(events: &Events, dict: &Dictionaries, order: &[u32]) -> HistoryPart {
    let mut users = Compactor::new(&dict.users);
    let mut patients = Compactor::new(&dict.patients);
    let mut departments = Compactor::new(&dict.departments);
    let mut workstations = Compactor::new(&dict.workstations);
    let mut ips = Compactor::new(&dict.ips);
    let mut e = Events::default();
    for &i in order {
        let i = i as usize;
        e.user.push(users.code(events.user[i]));
        e.patient.push(patients.code(events.patient[i]));
        e.department.push(departments.code(events.department[i]));
        e.workstation.push(workstations.code(events.workstation[i]));
        e.ip.push(ips.code(events.ip[i]));
        e.ts.push(events.ts[i]);
        e.action.push(events.action[i]);
        e.category.push(events.category[i]);
        e.break_glass.push(events.break_glass[i]);
    }
    HistoryPart {
        users: users.values,
        patients: patients.values,
        departments: departments.values,
        workstations: workstations.values,
        ips: ips.values,
        events: e,
    }
}

const SPACES: [&str; 5] = ["user", "patient", "department", "workstation", "ip"];

/// Writes one batch as `PREFIX.events.parquet` and `PREFIX.ids.parquet`,
/// each through a temporary file renamed into place.
pub(crate) fn write_batch(prefix: &Path, part: &HistoryPart) -> Result<(), (PathBuf, io::Error)> {
    let e = &part.events;
    let mut events = DataFrame::new(
        e.len(),
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
        ],
    )
    .map_err(|err| (prefix.to_path_buf(), io::Error::other(err)))?;
    let lists = [&part.users, &part.patients, &part.departments, &part.workstations, &part.ips];
    let mut space = Vec::new();
    let mut value = Vec::new();
    for (name, list) in SPACES.iter().zip(lists) {
        for v in list.iter() {
            space.push(*name);
            value.push(v.as_str());
        }
    }
    let mut ids =
        DataFrame::new(space.len(), vec![Column::new("space".into(), space), Column::new("value".into(), value)])
            .map_err(|err| (prefix.to_path_buf(), io::Error::other(err)))?;
    for (suffix, df) in [("events.parquet", &mut events), ("ids.parquet", &mut ids)] {
        write_replacing(&with_suffix(prefix, suffix), |w| {
            ParquetWriter::new(w)
                .with_compression(ParquetCompression::Zstd(None))
                .finish(df)
                .map(|_| ())
                .map_err(io::Error::other)
        })
        .map_err(FsError::into_parts)?;
    }
    Ok(())
}

fn with_suffix(prefix: &Path, suffix: &str) -> PathBuf {
    let mut name = prefix.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    PathBuf::from(name)
}

/// Why a batch cannot be read.
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

/// Reads one batch and checks it: `expected` events, every code in range.
pub(crate) fn read_batch(prefix: &Path, expected: u64) -> Result<HistoryPart, ReadError> {
    let path = with_suffix(prefix, "ids.parquet");
    let ids = read_frame(&path)?;
    let text = |name: &str| -> Result<StringChunked, ReadError> {
        Ok(column(&ids, &path, name)?
            .str()
            .map_err(|_| ReadError::Bad(format!("{} column {name} is not text", path.display())))?
            .clone())
    };
    let (space, value) = (text("space")?, text("value")?);
    let mut lists: [Vec<String>; 5] = Default::default();
    for (s, v) in space.iter().flatten().zip(value.iter().flatten()) {
        let k = SPACES
            .iter()
            .position(|x| *x == s)
            .ok_or_else(|| ReadError::Bad(format!("{} has an unknown id space", path.display())))?;
        lists[k].push(v.to_string());
    }
    drop(ids);
    let [users, patients, departments, workstations, ips] = lists;

    let path = with_suffix(prefix, "events.parquet");
    let df = read_frame(&path)?;
    if df.height() as u64 != expected {
        return Err(ReadError::Bad(format!(
            "{} holds {} events where the manifest says {expected}",
            path.display(),
            df.height()
        )));
    }
    let bad = |name: &str| ReadError::Bad(format!("{} column {name} holds a code out of range", path.display()));
    let coded = |name: &str, limit: usize, optional: bool| -> Result<Vec<u32>, ReadError> {
        let v = u32s(&df, &path, name)?;
        if v.iter().any(|&c| if c == NONE { !optional } else { c as usize >= limit }) {
            return Err(bad(name));
        }
        Ok(v)
    };
    let mut e = Events {
        user: coded("user", users.len(), false)?,
        patient: coded("patient", patients.len(), true)?,
        department: coded("department", departments.len(), true)?,
        workstation: coded("workstation", workstations.len(), true)?,
        ip: coded("ip", ips.len(), true)?,
        ..Events::default()
    };
    e.action = u32s(&df, &path, "action")?
        .into_iter()
        .map(|a| Action::ALL.get(a as usize).copied().ok_or_else(|| bad("action")))
        .collect::<Result<Vec<_>, _>>()?;
    e.category = u32s(&df, &path, "category")?
        .into_iter()
        .map(|c| DataCategory::ALL.get(c as usize).copied().ok_or_else(|| bad("category")))
        .collect::<Result<Vec<_>, _>>()?;
    e.ts = column(&df, &path, "ts")?
        .i64()
        .map_err(|_| ReadError::Bad(format!("{} column ts is not Int64", path.display())))?
        .into_no_null_iter()
        .collect();
    e.break_glass = column(&df, &path, "break_glass")?
        .bool()
        .map_err(|_| ReadError::Bad(format!("{} column break_glass is not Boolean", path.display())))?
        .iter()
        .map(|v| v.unwrap_or(false))
        .collect();
    Ok(HistoryPart { users, patients, departments, workstations, ips, events: e })
}
