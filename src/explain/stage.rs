//! The explain stage: direct care first, then collaborative groups, then
//! visits the encounters do not list.

use super::care::explain_direct;
use super::charted::Charting;
use super::explanation::Explanations;
use super::group::explain_by_group;
use crate::config::ExplainParams;
use crate::ingest::Ingested;
use crate::model::Partition;
use crate::roles::RoleBook;

/// Explains every event of a partition that holds every user (a run's
/// passes do the same in two steps, learning what spans users between
/// them: `pipeline::analysis`).
pub fn explain(data: &Ingested<Partition>, params: &ExplainParams) -> Explanations {
    let mut book = RoleBook::from_titles(data.roster.as_ref(), &params.titles);
    let (mut kind, learned) = explain_direct(data, params, &book);
    book.learn(learned);
    explain_by_group(data, params, &mut kind);
    Charting::collect(data).apply(data, params, &book, &mut kind);
    Explanations::new(kind).with_roles(book)
}
