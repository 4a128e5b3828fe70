//! A spilled incremental run's own events (its access-log files', not the
//! history's), set aside as they are read so that the state's next batches
//! can be written one input file at a time: memory holds one file's rows,
//! not the run's (the first run of a state may read months of files).
//!
//! One owner-only scratch file, unlinked at creation (gone with the handle
//! however the run ends), holds rows of [`ROW_BYTES`] little-endian bytes:
//! user, patient (u32), ts (i64), action, category (u8), workstation, IP
//! address, department (u32), break_glass (u8), source line (u64); ids in
//! the run's shared codes. Each input file's rows are found by the runs
//! (offset, rows) written for it.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::error::IngestError;
use super::history::HISTORY_FILE;
use crate::model::{Action, DataCategory, Events, Recode, NONE};

/// Bytes of one row.
const ROW_BYTES: usize = 39;

/// The run's own events, in a scratch file.
#[derive(Debug)]
pub struct OwnEvents {
    path: PathBuf,
    file: File,
    /// Per source file: the (first row, rows) of each run of its rows.
    runs: Vec<Vec<(u64, u64)>>,
    rows: u64,
    range: Option<(i64, i64)>,
}

impl OwnEvents {
    /// A new scratch file at `path` (unlinked at once).
    pub(super) fn create(path: &Path) -> Result<OwnEvents, IngestError> {
        let file = crate::fs::create_unlinked(path).map_err(|e| spill_error(path, "cannot create", e))?;
        Ok(OwnEvents { path: path.to_path_buf(), file, runs: Vec::new(), rows: 0, range: None })
    }

    /// Appends a part's rows that are not the history's, with `maps`
    /// taking its ids to the shared codes.
    pub(super) fn append(&mut self, part: &Events, maps: &Recode) -> Result<(), IngestError> {
        let code = |c: u32, to: &[u32]| if c == NONE { NONE } else { to[c as usize] };
        let mut bytes = Vec::with_capacity(part.len() * ROW_BYTES);
        let mut last_file = None;
        for i in 0..part.len() {
            let f = part.source_file[i];
            if f == HISTORY_FILE {
                continue;
            }
            if last_file != Some(f) {
                let f = f as usize;
                if self.runs.len() <= f {
                    self.runs.resize(f + 1, Vec::new());
                }
                self.runs[f].push((self.rows, 0));
                last_file = Some(f as u32);
            }
            if let Some(run) = self.runs[f as usize].last_mut() {
                run.1 += 1;
            }
            self.rows += 1;
            let t = part.ts[i];
            self.range = Some(self.range.map_or((t, t), |(lo, hi)| (lo.min(t), hi.max(t))));
            bytes.extend_from_slice(&code(part.user[i], &maps.users).to_le_bytes());
            bytes.extend_from_slice(&code(part.patient[i], &maps.patients).to_le_bytes());
            bytes.extend_from_slice(&t.to_le_bytes());
            bytes.push(part.action[i] as u8);
            bytes.push(part.category[i] as u8);
            bytes.extend_from_slice(&code(part.workstation[i], &maps.workstations).to_le_bytes());
            bytes.extend_from_slice(&code(part.ip[i], &maps.ips).to_le_bytes());
            bytes.extend_from_slice(&code(part.department[i], &maps.departments).to_le_bytes());
            bytes.push(u8::from(part.break_glass[i]));
            bytes.extend_from_slice(&part.source_line[i].to_le_bytes());
        }
        (&self.file).write_all(&bytes).map_err(|e| spill_error(&self.path, "cannot write", e))
    }

    /// The first and last instant of the run's own events.
    pub fn time_range(&self) -> Option<(i64, i64)> {
        self.range
    }

    /// The rows of source file `f` (its index in the ingest report), in
    /// the order they were read.
    pub fn of_file(&self, f: u32) -> Result<Events, IngestError> {
        let runs = self.runs.get(f as usize).map_or(&[][..], |r| &r[..]);
        let n: u64 = runs.iter().map(|r| r.1).sum();
        let mut e = Events::default();
        let bad = |what: &str| IngestError::Spill { file: self.path.clone(), message: format!("damaged: {what}") };
        let mut bytes = Vec::new();
        for &(first, rows) in runs {
            bytes.resize(rows as usize * ROW_BYTES, 0);
            let mut file = &self.file;
            file.seek(SeekFrom::Start(first * ROW_BYTES as u64))
                .and_then(|_| file.read_exact(&mut bytes))
                .map_err(|e| spill_error(&self.path, "cannot read", e))?;
            for row in bytes.chunks_exact(ROW_BYTES) {
                let u32_at = |at: usize| u32::from_le_bytes(row[at..at + 4].try_into().expect("4 bytes"));
                e.user.push(u32_at(0));
                e.patient.push(u32_at(4));
                e.ts.push(i64::from_le_bytes(row[8..16].try_into().expect("8 bytes")));
                e.action.push(*Action::ALL.get(usize::from(row[16])).ok_or_else(|| bad("action"))?);
                e.category.push(*DataCategory::ALL.get(usize::from(row[17])).ok_or_else(|| bad("category"))?);
                e.workstation.push(u32_at(18));
                e.ip.push(u32_at(22));
                e.department.push(u32_at(26));
                e.break_glass.push(row[30] != 0);
                e.source_file.push(f);
                e.source_line.push(u64::from_le_bytes(row[31..39].try_into().expect("8 bytes")));
            }
        }
        debug_assert_eq!(e.len() as u64, n);
        Ok(e)
    }
}

fn spill_error(path: &Path, what: &str, e: std::io::Error) -> IngestError {
    IngestError::Spill { file: path.to_path_buf(), message: format!("{what}: {e}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_runs_own_rows_come_back_by_file_with_shared_codes_and_the_history_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let mut own = OwnEvents::create(&dir.path().join("own")).unwrap();
        let part = |files: &[u32], first_line: u64| {
            let n = files.len();
            Events {
                user: (0..n as u32).collect(),
                patient: vec![NONE; n],
                ts: (0..n as i64).map(|t| 1_000 + t).collect(),
                action: vec![Action::ALL[1]; n],
                category: vec![DataCategory::ALL[2]; n],
                workstation: vec![0; n],
                ip: vec![NONE; n],
                department: vec![1; n],
                break_glass: (0..n).map(|i| i % 2 == 0).collect(),
                source_file: files.to_vec(),
                source_line: (first_line..first_line + n as u64).collect(),
            }
        };
        let maps = Recode {
            users: vec![7, 8, 9],
            patients: vec![],
            departments: vec![0, 5],
            workstations: vec![3],
            ips: vec![],
        };
        own.append(&part(&[HISTORY_FILE, HISTORY_FILE], 0), &maps).unwrap();
        own.append(&part(&[2, 2, 3], 10), &maps).unwrap();
        own.append(&part(&[2], 20), &maps).unwrap();
        let two = own.of_file(2).unwrap();
        assert_eq!(two.user, vec![7, 8, 7]);
        assert_eq!(two.source_line, vec![10, 11, 20]);
        assert_eq!(two.department, vec![5, 5, 5]);
        assert_eq!(two.workstation, vec![3, 3, 3]);
        assert_eq!(two.patient, vec![NONE; 3]);
        assert_eq!(two.break_glass, vec![true, false, true]);
        assert_eq!(two.source_file, vec![2, 2, 2]);
        let three = own.of_file(3).unwrap();
        assert_eq!((three.user.clone(), three.ts.clone()), (vec![9], vec![1_002]));
        assert!(own.of_file(0).unwrap().is_empty());
        assert_eq!(own.time_range(), Some((1_000, 1_002)));
    }
}
