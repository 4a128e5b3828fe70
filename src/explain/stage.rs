//! The explain stage: direct care first, then collaborative groups.

use super::care::explain_direct;
use super::explanation::Explanations;
use super::group::explain_by_group;
use crate::config::ExplainParams;
use crate::ingest::Ingested;

/// Explains every event of the bundle.
pub fn explain(data: &Ingested, params: &ExplainParams) -> Explanations {
    let mut kind = explain_direct(data, params);
    explain_by_group(data, params, &mut kind);
    Explanations::new(kind)
}
