//! What the whole log teaches about each user, kept beside the row index:
//! what `investigate patient` needs to explain one patient's accesses
//! exactly while reading that patient's rows only.
//!
//! An access's explanation rests on three things besides the patient's own
//! rows and the context tables: the user's role class, which for a user
//! whose title names none is learned from all their work
//! (`explain::care`, `learn_class`); the user's care-team collaborators,
//! learned from the patients every pair of users shares over the whole
//! log, hubs (more than 60 care users) left out (`explain::CareTeams`);
//! and, for the unlisted-visit explanation, the role class of the user and
//! others' charting in this record (in the patient's rows). Everything
//! else (encounters, the user's own charting and panel days in this
//! record, the care visits of this patient that a collaborator's makes)
//! comes from the patient's rows.
//!
//! `ehrwatch index` reads the log's users through the index a few million
//! rows at a time (each user's direct explanations, and their learned
//! class, need their own rows only), collects every (patient, user) care
//! pair, learns the care teams from them as a whole-log run does, and
//! writes to `learned.json` in the index folder, owner-only: each learned
//! class and each user's collaborators, with the index build they come
//! from and a fingerprint of what they depend on: the explanation
//! settings, time zone and input settings, the bundle's other files and
//! the context tables' files (users, encounters, ...; each table a file or
//! a folder of files; their names, sizes and modification times),
//! and the ehrwatch build that learned them (version, and the executable's
//! size and modification time: another build may explain differently, so
//! `ehrwatch index` is rerun after an upgrade). `investigate patient` uses
//! them only when both match; else it reads the other rows it needs
//! (`patient.rs`).
//!
//! The file holds user ids (as the index itself does), no names and no
//! patient ids.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::explain::{explain_direct, explain_direct_classed, CareTeams, CareVisits, Charting, Explanations};
use crate::ingest::{self, Ingested, RowFilter, RowIndex};
use crate::model::{Code, Partition, NONE};
use crate::pipeline::ExplainedRun;
use crate::progress::Progress;
use crate::roles::{RoleBook, RoleClass};

use super::request::InvestigateError;

/// The file's name in the index folder.
pub const LEARNED_FILE: &str = "learned.json";

/// Version of the file's layout.
const FORMAT: u32 = 1;

/// Rows of the log read at once while learning (a chunk of whole users).
const CHUNK_ROWS: u64 = 4_000_000;

/// The file: users by position in `users`.
#[derive(Debug, Serialize, Deserialize)]
struct Kept {
    format: u32,
    /// The index build learned from.
    generation: String,
    /// What the facts depend on besides the log (see [`fingerprint`]).
    fingerprint: String,
    /// Every user id of the log, ascending; the lists below index it.
    users: Vec<String>,
    /// (user, class name) of each class learned from a user's work.
    classes: Vec<(u32, String)>,
    /// (user, collaborators) of each user with a care team.
    teams: Vec<(u32, Vec<u32>)>,
}

/// What `ehrwatch index` kept: how many users have a class learned from
/// their work, and how many have care-team collaborators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeptLearning {
    /// Users whose class was learned from their work.
    pub classes: usize,
    /// Users with at least one care-team collaborator.
    pub teams: usize,
}

/// The kept facts read back, for one investigation.
pub(super) struct Learned {
    users: Vec<String>,
    classes: Vec<(u32, RoleClass)>,
    teams: Vec<(u32, Vec<u32>)>,
}

/// A digest of what the learned facts depend on besides the access log:
/// the explanation, time-zone and input settings, the name, size and
/// modification time of every other file at the top of the bundle and of
/// every file of the context tables (a table may be a folder), and the
/// running build (version, executable size and modification time).
fn fingerprint(bundle: &Path, config: &Config) -> String {
    let mut h = Sha256::new();
    h.update(format!("{:?}|{:?}|{:?}", config.explain, config.timezone, config.input).as_bytes());
    // The build that learned: a new release (or build) may explain
    // differently, so its facts are not trusted across builds.
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
    // A context table may be a folder of files: each of them too.
    match ingest::context_files(bundle) {
        Ok(tables) => {
            for f in tables {
                let meta = std::fs::metadata(&f).ok();
                let modified = meta.as_ref().and_then(|m| m.modified().ok());
                let at = modified.and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).map(|d| d.as_nanos());
                let name = f.strip_prefix(bundle).unwrap_or(&f).display().to_string();
                h.update(format!("\n{name}|{:?}|{at:?}", meta.map(|m| m.len())).as_bytes());
            }
        }
        Err(e) => h.update(format!("\ncontext tables unreadable: {e}").as_bytes()),
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Learns every user's class (when their title names none) and care team
/// over `bundle`'s log through its row `index`, as a run over the whole
/// log does, and writes them beside it.
pub fn keep_learned(
    bundle: &Path,
    index: &RowIndex,
    config: &Config,
    progress: &Progress,
) -> Result<KeptLearning, InvestigateError> {
    let mut users: Vec<(String, u64)> = index.users()?;
    users.sort_unstable();
    let code_of: HashMap<&str, u32> = users.iter().enumerate().map(|(k, (u, _))| (u.as_str(), k as u32)).collect();
    let mut chunks: Vec<HashSet<String>> = vec![HashSet::new()];
    let mut rows = 0u64;
    for (user, n) in &users {
        if rows > 0 && rows + n > CHUNK_ROWS {
            chunks.push(HashSet::new());
            rows = 0;
        }
        rows += n;
        chunks.last_mut().map(|c| c.insert(user.clone()));
    }
    let mut context = None;
    // Every (patient, user) care pair, patients numbered here.
    let mut patients: HashMap<String, u32> = HashMap::new();
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    let mut classes: Vec<(u32, RoleClass)> = Vec::new();
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
        let (direct, learned) = explain_direct(&run, &config.explain, &book);
        let user_of = |u: Code| code_of.get(run.dict.users.name(u)).copied();
        classes.extend(learned.into_iter().filter_map(|(u, c)| Some((user_of(u)?, c))));
        let ev = &run.events;
        // Users are whole in one chunk: their care pairs are all here.
        let mut here: Vec<(Code, Code)> = (0..ev.len())
            .filter(|&i| ev.patient[i] != NONE && direct[i].is_explained())
            .map(|i| (ev.patient[i], ev.user[i]))
            .collect();
        here.sort_unstable();
        here.dedup();
        let mut last: Option<(Code, u32)> = None;
        for (p, u) in here {
            let global = match last {
                Some((q, g)) if q == p => g,
                _ => {
                    let n = patients.len() as u32;
                    *patients.entry(run.dict.patients.name(p).to_string()).or_insert(n)
                }
            };
            last = Some((p, global));
            if let Some(u) = user_of(u) {
                pairs.push((global, u));
            }
        }
    }
    // The care visits of the whole log, one per (patient, user): care
    // teams count the patients two users share, not the days.
    pairs.sort_unstable();
    pairs.dedup();
    let mut start = vec![0usize; patients.len() + 1];
    for &(p, _) in &pairs {
        start[p as usize + 1] += 1;
    }
    for k in 1..start.len() {
        start[k] += start[k - 1];
    }
    let flat: Vec<(i32, Code)> = pairs.iter().map(|&(_, u)| (0, u)).collect();
    drop(pairs);
    // The offsets are counted from the pairs just above, so they fit.
    let visits = CareVisits::from_parts(start, flat).ok_or_else(|| ingest::IngestError::Index {
        dir: index.dir().to_path_buf(),
        message: "the care visits counted do not fit their offsets".to_string(),
    })?;
    let teams = CareTeams::learn(&visits, users.len(), &config.explain);
    drop(visits);
    let teams: Vec<(u32, Vec<u32>)> =
        (0..users.len() as u32).filter(|&u| !teams.of(u).is_empty()).map(|u| (u, teams.of(u).to_vec())).collect();
    classes.sort_unstable();
    let summary = KeptLearning { classes: classes.len(), teams: teams.len() };
    let kept = Kept {
        format: FORMAT,
        generation: index.generation().to_string(),
        fingerprint: fingerprint(bundle, config),
        users: users.into_iter().map(|(u, _)| u).collect(),
        classes: classes.into_iter().map(|(u, c)| (u, c.as_str().to_string())).collect(),
        teams,
    };
    let path = index.dir().join(LEARNED_FILE);
    let written =
        crate::fs::write_replacing(&path, |w| serde_json::to_writer(&mut *w, &kept).map_err(std::io::Error::other));
    written.map_err(|e| InvestigateError::Run(crate::Error::from(e)))?;
    Ok(summary)
}

/// The facts kept beside `index`, when they are of this build and of
/// `bundle`'s other files and `config`'s settings.
pub(super) fn learned(bundle: &Path, index: &RowIndex, config: &Config) -> Option<Learned> {
    let text = std::fs::read(index.dir().join(LEARNED_FILE)).ok()?;
    let kept: Kept = serde_json::from_slice(&text).ok()?;
    if kept.format != FORMAT || kept.generation != index.generation() || kept.fingerprint != fingerprint(bundle, config)
    {
        return None;
    }
    let n = kept.users.len() as u32;
    let classes: Option<Vec<(u32, RoleClass)>> =
        kept.classes.iter().map(|(u, c)| Some((*u, RoleClass::parse(c)?)).filter(|(u, _)| *u < n)).collect();
    let sound = kept.teams.iter().all(|(u, team)| *u < n && team.iter().all(|v| *v < n));
    Some(Learned { users: kept.users, classes: classes?, teams: kept.teams }).filter(|_| sound)
}

impl Learned {
    /// Every event of `data` explained as a run over the whole log
    /// explains it, given that `data` holds every row of each patient it
    /// has rows of: direct care with the kept classes, then the kept care
    /// teams, then unlisted visits (as `pipeline::explain_every_event`).
    pub(super) fn explain(&self, data: Ingested<Partition>, config: &Config) -> ExplainedRun {
        let params = &config.explain;
        // The kept users' codes in `data` (those with no rows here: none).
        let local: Vec<Option<Code>> = self.users.iter().map(|u| data.dict.users.get(u)).collect();
        let mut book = RoleBook::from_titles(data.roster.as_ref(), &params.titles);
        book.learn(self.classes.iter().filter_map(|&(u, c)| Some((local[u as usize]?, c))));
        let mut kind = explain_direct_classed(&data, params, &book);
        let visits = CareVisits::collect(&data.events, &kind, data.dict.patients.len());
        let mut collaborators: Vec<Vec<Code>> = vec![Vec::new(); data.dict.users.len()];
        for (u, team) in &self.teams {
            if let Some(c) = local[*u as usize] {
                collaborators[c as usize] = team.iter().filter_map(|&v| local[v as usize]).collect();
            }
        }
        let teams = CareTeams::from_collaborators(collaborators);
        teams.apply(&data.events, &visits, params, &mut kind);
        Charting::collect(&data).apply(&data, params, &book, &mut kind);
        ExplainedRun { data, explained: Explanations::new(kind).with_roles(book), features: None }
    }
}
