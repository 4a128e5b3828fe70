//! The explain stage: direct care first, then collaborative groups.

use super::care::explain_direct;
use super::explanation::Explanation;
use super::explanation::Explanations;
use super::group::{explain_by_group, CareTeams, CareVisits};
use crate::config::ExplainParams;
use crate::ingest::Ingested;

/// Explains every event of the bundle.
pub fn explain(data: &Ingested, params: &ExplainParams) -> Explanations {
    let mut kind = explain_direct(data, params);
    explain_by_group(data, params, &mut kind);
    Explanations::new(kind)
}

/// Explains the events of one partition of a partitioned run's users, with
/// the care teams learned from the whole run (`CareVisits::merge` of every
/// partition's direct explanations, then `CareTeams::learn`): the same
/// explanations a run over all events at once gives these events.
pub fn explain_partition(
    data: &Ingested,
    params: &ExplainParams,
    visits: &CareVisits,
    teams: &CareTeams,
) -> Vec<Explanation> {
    let mut kind = explain_direct(data, params);
    teams.apply(&data.events, visits, params, &mut kind);
    kind
}
