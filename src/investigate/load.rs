//! Reading the events an investigation explains: a whole bundle, the
//! incremental state (with or without a bundle for the context tables),
//! or, for one patient, only the rows a row filter keeps.

use crate::ingest::{self, Ingested, RowFilter};
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

/// The bundle's rows that `filter` keeps (pushed into Parquet scans), with
/// every context table.
pub(super) fn load_filtered(
    bundle: &std::path::Path,
    req: &InvestigateRequest,
    filter: &RowFilter,
    progress: &Progress,
) -> Result<Ingested, InvestigateError> {
    Ok(ingest::read_bundle_filtered(bundle, req.config.timezone, progress, filter, &req.config.input)?)
}
