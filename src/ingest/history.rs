//! Events carried over from earlier runs (the incremental state), merged
//! into a bundle's events as if their files had been read first.

use crate::model::{Dictionaries, Dictionary, Events, NONE};

/// `Events::source_file` of an event that came from the incremental state
/// rather than from a file of this bundle; its `source_line` is then its
/// position in the state's input order.
pub const HISTORY_FILE: u32 = u32::MAX;

/// Earlier runs' events, as parts (one per absorbed input file) in the
/// order they were fed, loaded one at a time while ingest merges them, so
/// the history is never held twice.
pub trait History: Sync {
    /// Events in all parts.
    fn events(&self) -> usize;
    /// Number of parts.
    fn parts(&self) -> usize;
    /// Loads part `k` (0 = oldest).
    fn load(&self, k: usize) -> Result<HistoryPart, HistoryError>;
}

/// Why a part of the history cannot be loaded (the state's own error).
pub type HistoryError = Box<dyn std::error::Error + Send + Sync>;

/// A history already in memory (tests, small tools).
impl History for Vec<HistoryPart> {
    fn events(&self) -> usize {
        self.iter().map(|p| p.events.len()).sum()
    }

    fn parts(&self) -> usize {
        self.len()
    }

    fn load(&self, k: usize) -> Result<HistoryPart, HistoryError> {
        Ok(self[k].clone())
    }
}

/// One part of the history: events in their original input order, with ids
/// coded against the part's own lists (codes in order of first appearance).
#[derive(Debug, Default, Clone)]
pub struct HistoryPart {
    /// Id strings per space, indexed by the state's codes.
    pub users: Vec<String>,
    /// Patient ids.
    pub patients: Vec<String>,
    /// Department ids.
    pub departments: Vec<String>,
    /// Workstation ids.
    pub workstations: Vec<String>,
    /// IP addresses.
    pub ips: Vec<String>,
    /// The events; `source_file` and `source_line` are not used (set on merge).
    pub events: Events,
}

fn recode(values: &[String], global: &mut Dictionary) -> Vec<u32> {
    values.iter().map(|v| global.intern(v)).collect()
}

/// Appends the history's events to `events`, interning each part's ids into
/// `dict` in the part's code order. Called after the context tables and
/// before the access-log files, so every id gets the code a full run over
/// the same files (earlier days first) would give it. History events are
/// numbered in `source_line` from 0, in order.
/// The next part is loaded while the current one is merged.
pub(crate) fn merge_history(
    history: &dyn History,
    dict: &mut Dictionaries,
    events: &mut Events,
) -> Result<(), HistoryError> {
    let parts = history.parts();
    let mut seq = 0u64;
    let mut next = (parts > 0).then(|| history.load(0));
    for k in 0..parts {
        let part = next.take().expect("loaded ahead")?;
        let n = part.events.len() as u64;
        let ((), ahead) =
            rayon::join(|| merge_part(part, dict, events, seq), || (k + 1 < parts).then(|| history.load(k + 1)));
        next = ahead;
        seq += n;
    }
    Ok(())
}

fn merge_part(history: HistoryPart, dict: &mut Dictionaries, events: &mut Events, seq: u64) {
    let users = recode(&history.users, &mut dict.users);
    let patients = recode(&history.patients, &mut dict.patients);
    let departments = recode(&history.departments, &mut dict.departments);
    let workstations = recode(&history.workstations, &mut dict.workstations);
    let ips = recode(&history.ips, &mut dict.ips);
    let code = |map: &[u32], c: u32| if c == NONE { NONE } else { map[c as usize] };
    let h = history.events;
    let n = h.len();
    events.user.extend(h.user.iter().map(|&c| code(&users, c)));
    events.patient.extend(h.patient.iter().map(|&c| code(&patients, c)));
    events.department.extend(h.department.iter().map(|&c| code(&departments, c)));
    events.workstation.extend(h.workstation.iter().map(|&c| code(&workstations, c)));
    events.ip.extend(h.ip.iter().map(|&c| code(&ips, c)));
    events.ts.extend(h.ts);
    events.action.extend(h.action);
    events.category.extend(h.category);
    events.break_glass.extend(h.break_glass);
    events.source_file.extend(std::iter::repeat_n(HISTORY_FILE, n));
    events.source_line.extend(seq..seq + n as u64);
}
