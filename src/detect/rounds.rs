//! Rounds and queues of work: the other patients a user opened around an
//! access. A pharmacist verifying a unit's orders, a nocturnist covering a
//! unit overnight, a coder working a queue open many patients of one unit
//! (or of one kind of work) within hours; a curious look opens the one.
//! Used to say how routine a population-level link looks
//! ([`super::Fact::PopulationLevel`]) and to tell curious browsing from a
//! round of work (`unexplained_browsing`).

use super::input::DetectInput;

/// The distinct patients other than `patient` that the user (whose events
/// are `user_events`, time-sorted) opened within
/// [`super::finding::ROUND_HOURS`] of instant `t` and that `counts` accepts
/// (given the event index).
fn others_near(
    input: &DetectInput<'_>,
    patient: crate::model::Code,
    t: i64,
    user_events: &std::ops::Range<usize>,
    counts: impl Fn(usize) -> bool,
) -> u32 {
    let ev = &input.data.events;
    let window = super::finding::ROUND_HOURS * crate::time::MICROS_PER_HOUR;
    let ts = &ev.ts[user_events.clone()];
    let lo = user_events.start + ts.partition_point(|&x| x < t - window);
    let hi = user_events.start + ts.partition_point(|&x| x <= t + window);
    let mut others: Vec<crate::model::Code> = (lo..hi)
        .filter(|&j| ev.patient[j] != crate::model::NONE && ev.patient[j] != patient && counts(j))
        .map(|j| ev.patient[j])
        .collect();
    others.sort_unstable();
    others.dedup();
    others.len() as u32
}

/// The most other patients the user opened, within
/// [`super::finding::ROUND_HOURS`] of one of the evidence accesses, that
/// role timing explains: the queue the access was part of.
pub(crate) fn queue_of(
    input: &DetectInput<'_>,
    patient: crate::model::Code,
    evidence: &[usize],
    user_events: std::ops::Range<usize>,
) -> u32 {
    let kinds = &input.explained.kind;
    let ev = &input.data.events;
    evidence
        .iter()
        .take(20)
        .map(|&i| {
            others_near(input, patient, ev.ts[i], &user_events, |j| kinds[j] == crate::explain::Explanation::RoleTiming)
        })
        .max()
        .unwrap_or(0)
}

/// The patient's department at the time of the evidence accesses, and the
/// most other patients of that department the user opened within
/// [`super::finding::ROUND_HOURS`] of one of them.
pub(crate) fn round_of(
    input: &DetectInput<'_>,
    patient: crate::model::Code,
    evidence: &[usize],
    user_events: std::ops::Range<usize>,
) -> (u32, Option<crate::model::Code>) {
    let Some(enc) = input.data.encounters.as_ref() else { return (0, None) };
    let ev = &input.data.events;
    let slack = 24 * crate::time::MICROS_PER_HOUR;
    let near = |e: &crate::model::Encounter, t: i64| e.start - slack <= t && e.end.is_none_or(|end| t <= end + slack);
    let mut best: Option<(u32, crate::model::Code)> = None;
    for &i in evidence.iter().take(20) {
        let t = ev.ts[i];
        let Some(d) = enc.of_patient(patient).iter().filter(|e| near(e, t)).filter_map(|e| e.department).last() else {
            continue;
        };
        let in_dept =
            |j: usize| enc.of_patient(ev.patient[j]).iter().any(|e| e.department == Some(d) && near(e, ev.ts[j]));
        let n = others_near(input, patient, t, &user_events, in_dept);
        if best.is_none_or(|(b, _)| n > b) {
            best = Some((n, d));
        }
    }
    best.map_or((0, None), |(n, d)| (n, Some(d)))
}
