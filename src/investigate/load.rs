//! Reading the events an investigation explains: a whole bundle, the
//! incremental state (with or without a bundle for the context tables),
//! or, for one patient, only the rows a row filter keeps (fetched from the
//! bundle's row index when one matches its files, else scanned).

use std::path::{Path, PathBuf};

use crate::ingest::{self, ContextTables, IndexState, Ingested, RowFilter, RowIndex};
use crate::progress::Progress;
use crate::state::{self, StateDir};

use super::request::{InvestigateError, InvestigateRequest, Source};

/// Every event of the source, as `detect` reads them.
pub(super) fn load_all(req: &InvestigateRequest, progress: &Progress) -> Result<Ingested, InvestigateError> {
    let tz = req.config.timezone;
    match &req.source {
        Source::Bundle(dir) => Ok(ingest::read_bundle_with_history(dir, tz, progress, None, &req.config.input, None)?),
        Source::State { dir, bundle } => {
            if !dir.join("manifest.json").is_file() {
                return Err(InvestigateError::NotAState(dir.clone()));
            }
            let state = StateDir::open(dir, tz)?;
            let keys = match bundle {
                Some(b) => state::file_keys(&ingest::access_log_files(b)?)?,
                None => Vec::new(),
            };
            // An input file the state absorbed before replaces its copy,
            // as in `detect --state`.
            let mut days_of = |k: &state::FileKey| -> Result<Vec<String>, InvestigateError> {
                let b = bundle.as_ref().ok_or_else(|| InvestigateError::NotAState(dir.clone()))?;
                Ok(ingest::file_days(&b.join(&k.file), tz)?)
            };
            let held = state.load(&keys, &mut days_of)?;
            match bundle {
                Some(b) => Ok(ingest::read_bundle_with_history(b, tz, progress, Some(&held), &req.config.input, None)?),
                None => Ok(ingest::read_history_only(tz, &held)?),
            }
        }
    }
}

/// The bundle's row index, when one matches its access-log files: the
/// request's `--index` folder, else `BUNDLE/.ehrwatch-index` if present.
/// An index that does not match (or a given folder without one) is left
/// unused, with a note saying why (file names only, never ids); the note
/// that it was used is added by [`load_filtered`].
pub(super) fn row_index(bundle: &Path, req: &InvestigateRequest, notes: &mut Vec<String>) -> Option<RowIndex> {
    let given = req.index.is_some();
    let dir: PathBuf = req.index.clone().unwrap_or_else(|| bundle.join(ingest::INDEX_DIR));
    match ingest::open_row_index(&dir, bundle) {
        IndexState::Ready(index) => Some(index),
        IndexState::Missing if !given => None,
        IndexState::Missing => {
            notes.push(format!(
                "No row index was found in {}; the access log was scanned. Build one with: ehrwatch index --input {} --out {}",
                dir.display(),
                bundle.display(),
                dir.display()
            ));
            None
        }
        IndexState::Stale(why) => {
            notes.push(format!(
                "The row index in {} was not used ({why}); the access log was scanned. Rebuild it with: ehrwatch index --input {}{}",
                dir.display(),
                bundle.display(),
                if given { format!(" --out {}", dir.display()) } else { String::new() }
            ));
            None
        }
    }
}

/// The bundle's rows that `filter` keeps, with every context table:
/// fetched from `index` when given, else scanned (the filter pushed into
/// Parquet scans). Both give the same rows in the same order. An index
/// whose files cannot be read (removed or damaged since it was checked)
/// is dropped with a note, and the log scanned. The context tables are
/// read by the first call and taken from `context` by the next ones.
pub(super) fn load_filtered(
    bundle: &Path,
    req: &InvestigateRequest,
    filter: &RowFilter,
    index: &mut Option<RowIndex>,
    context: &mut Option<ContextTables>,
    notes: &mut Vec<String>,
    progress: &Progress,
) -> Result<Ingested, InvestigateError> {
    let (tz, input) = (req.config.timezone, &req.config.input);
    if let Some(ix) = index.as_ref() {
        match ingest::read_bundle_indexed(bundle, tz, progress, filter, input, ix, context) {
            Ok(data) => {
                let note = format!(
                    "The rows were fetched from the row index in {} (it matches the access log's files), not scanned.",
                    ix.dir().display()
                );
                if !notes.contains(&note) {
                    notes.push(note);
                }
                return Ok(data);
            }
            Err(ingest::IngestError::Index { dir, message }) => {
                notes.push(format!(
                    "The row index in {} could not be read ({message}); the access log was scanned. Rebuild it with: ehrwatch index --input {}",
                    dir.display(),
                    bundle.display()
                ));
                *index = None;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(ingest::read_bundle_filtered(bundle, tz, progress, filter, input, context)?)
}
