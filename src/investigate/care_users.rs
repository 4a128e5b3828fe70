//! Each patient's count of care users over the whole log, kept beside the
//! row index: what `investigate patient` needs to judge hub patients
//! exactly while reading few of the log's rows.
//!
//! A care team is learned from the patients two users share, leaving out
//! hubs (patients with more than 60 care users, `explain::CareTeams`), and
//! whether a patient is a hub needs every access to it. `ehrwatch index`
//! counts, for every patient, the distinct users with a directly explained
//! (care) access to it, reading the log's users through the index a few
//! million rows at a time (each user's direct explanations need their own
//! rows only), and writes the counts to `care_users.json` in the index
//! folder, owner-only, with the index build they come from and a
//! fingerprint of what they depend on: the explanation settings, time zone
//! and input settings, the bundle's other files (users, encounters,
//! ...; their names, sizes and modification times), and the ehrwatch build
//! that counted (version, and the executable's size and modification time:
//! another build may explain differently, so `ehrwatch index` is rerun
//! after an upgrade). `investigate patient`
//! uses them only when both match; else it judges hubs by reading the
//! shared patients (`patient.rs`).
//!
//! The file holds patient ids (as the index itself does), no names.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::explain::explain_direct;
use crate::ingest::{self, RowFilter, RowIndex};
use crate::model::{Code, NONE};
use crate::progress::Progress;
use crate::roles::RoleBook;

use super::request::InvestigateError;

/// The file's name in the index folder.
pub const CARE_USERS_FILE: &str = "care_users.json";

/// Version of the file's layout.
const FORMAT: u32 = 1;

/// Rows of the log read at once while counting (a chunk of whole users).
const CHUNK_ROWS: u64 = 4_000_000;

#[derive(Debug, Serialize, Deserialize)]
struct Kept {
    format: u32,
    /// The index build counted.
    generation: String,
    /// What the counts depend on besides the log (see [`fingerprint`]).
    fingerprint: String,
    /// Per patient id with any care access, its distinct care users.
    counts: BTreeMap<String, u32>,
}

/// A digest of what direct explanations depend on besides the access log:
/// the explanation, time-zone and input settings, the name, size and
/// modification time of every other file at the top of the bundle, and the
/// running build (version, executable size and modification time).
fn fingerprint(bundle: &Path, config: &Config) -> String {
    let mut h = Sha256::new();
    h.update(format!("{:?}|{:?}|{:?}", config.explain, config.timezone, config.input).as_bytes());
    // The build that counted: a new release (or build) may explain
    // differently, so its counts are not trusted across builds.
    let exe = std::env::current_exe().ok().and_then(|p| std::fs::metadata(p).ok()).map(|m| {
        let modified = m.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
        (m.len(), modified.map_or(0, |d| d.as_nanos()))
    });
    h.update(format!("|{}|{exe:?}", env!("CARGO_PKG_VERSION")).as_bytes());
    let mut files: Vec<(String, u64, u128)> = std::fs::read_dir(bundle)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| {
            let meta = e.metadata().ok()?;
            let modified = meta.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?.as_nanos();
            Some((e.file_name().to_string_lossy().into_owned(), meta.len(), modified))
        })
        .collect();
    files.sort();
    for (name, len, modified) in files {
        h.update(format!("\n{name}|{len}|{modified}").as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Counts every patient's care users over `bundle`'s log through its row
/// `index` and writes them beside it. Returns the patients counted.
pub fn keep_care_users(
    bundle: &Path,
    index: &RowIndex,
    config: &Config,
    progress: &Progress,
) -> Result<usize, InvestigateError> {
    let mut chunks: Vec<HashSet<String>> = vec![HashSet::new()];
    let mut rows = 0u64;
    for (user, n) in index.users()? {
        if rows > 0 && rows + n > CHUNK_ROWS {
            chunks.push(HashSet::new());
            rows = 0;
        }
        rows += n;
        chunks.last_mut().map(|c| c.insert(user));
    }
    let mut context = None;
    let mut counts: BTreeMap<String, u32> = BTreeMap::new();
    for users in chunks.into_iter().filter(|c| !c.is_empty()) {
        let filter = RowFilter { patients: HashSet::new(), users };
        let data = ingest::read_bundle_indexed(
            bundle,
            config.timezone,
            progress,
            &filter,
            &config.input,
            index,
            &mut context,
        )?;
        let run = data.whole();
        let book = RoleBook::from_titles(run.roster.as_ref(), &config.explain.titles);
        let (direct, _) = explain_direct(&run, &config.explain, &book);
        let ev = &run.events;
        // Users are whole in one chunk: their distinct patients add up.
        let mut pairs: Vec<(Code, Code)> = (0..ev.len())
            .filter(|&i| ev.patient[i] != NONE && direct[i].is_explained())
            .map(|i| (ev.patient[i], ev.user[i]))
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        for (p, _) in pairs {
            *counts.entry(run.dict.patients.name(p).to_string()).or_insert(0) += 1;
        }
    }
    let n = counts.len();
    let kept = Kept {
        format: FORMAT,
        generation: index.generation().to_string(),
        fingerprint: fingerprint(bundle, config),
        counts,
    };
    let path = index.dir().join(CARE_USERS_FILE);
    let written =
        crate::fs::write_replacing(&path, |w| serde_json::to_writer(&mut *w, &kept).map_err(std::io::Error::other));
    written.map_err(|e| InvestigateError::Run(crate::Error::from(e)))?;
    Ok(n)
}

/// The care-user counts kept beside `index`, when they are of this build
/// and of `bundle`'s other files and `config`'s settings.
pub(super) fn care_users(bundle: &Path, index: &RowIndex, config: &Config) -> Option<HashMap<String, u32>> {
    let text = std::fs::read(index.dir().join(CARE_USERS_FILE)).ok()?;
    let kept: Kept = serde_json::from_slice(&text).ok()?;
    (kept.format == FORMAT && kept.generation == index.generation() && kept.fingerprint == fingerprint(bundle, config))
        .then(|| kept.counts.into_iter().collect())
}
