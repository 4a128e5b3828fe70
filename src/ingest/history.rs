//! Events carried over from earlier runs (the incremental state), merged
//! into a bundle's events as if their files had been read first.

use super::bundle::EventSink;
use super::error::IngestError;
use crate::model::{Dictionaries, Dictionary, Events, Recode};

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

/// Sends the history's events to `sink`, interning each part's ids into
/// `dict` in the part's code order. Called after the context tables and
/// before the access-log files, so every id gets the code a full run over
/// the same files (earlier days first) would give it. History events are
/// numbered in `source_line` from 0, in order.
/// The next part is loaded while the current one is merged.
pub(crate) fn merge_history(
    history: &dyn History,
    dict: &mut Dictionaries,
    sink: &mut dyn EventSink,
) -> Result<(), IngestError> {
    let parts = history.parts();
    let mut seq = 0u64;
    let mut next = (parts > 0).then(|| history.load(0));
    for k in 0..parts {
        let part = next.take().expect("loaded ahead").map_err(IngestError::History)?;
        let n = part.events.len() as u64;
        let (merged, ahead) =
            rayon::join(|| merge_part(part, dict, sink, seq), || (k + 1 < parts).then(|| history.load(k + 1)));
        merged?;
        next = ahead;
        seq += n;
    }
    Ok(())
}

fn merge_part(
    part: HistoryPart,
    dict: &mut Dictionaries,
    sink: &mut dyn EventSink,
    seq: u64,
) -> Result<(), IngestError> {
    let recode = |values: &[String], global: &mut Dictionary| values.iter().map(|v| global.intern(v)).collect();
    let maps = Recode {
        users: recode(&part.users, &mut dict.users),
        patients: recode(&part.patients, &mut dict.patients),
        departments: recode(&part.departments, &mut dict.departments),
        workstations: recode(&part.workstations, &mut dict.workstations),
        ips: recode(&part.ips, &mut dict.ips),
    };
    let mut e = part.events;
    let n = e.len() as u64;
    e.source_file = vec![HISTORY_FILE; n as usize];
    e.source_line = (seq..seq + n).collect();
    sink.append(e, &maps)
}
