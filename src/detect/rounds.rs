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

/// Whether encounter `e` places its patient at instant `t`: from a day
/// before it starts to a day after it ends (or open).
fn near(e: &crate::model::Encounter, t: i64) -> bool {
    let slack = 24 * crate::time::MICROS_PER_HOUR;
    e.start - slack <= t && e.end.is_none_or(|end| t <= end + slack)
}

/// The department the encounters place `patient` in at instant `t`: the
/// latest of those near it.
fn department_at(enc: &crate::model::Encounters, patient: crate::model::Code, t: i64) -> Option<crate::model::Code> {
    enc.of_patient(patient).iter().filter(|e| near(e, t)).filter_map(|e| e.department).last()
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
    let mut best: Option<(u32, crate::model::Code)> = None;
    for &i in evidence.iter().take(20) {
        let t = ev.ts[i];
        let Some(d) = department_at(enc, patient, t) else {
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

/// How much of a unit's work the user did over the whole period: the
/// distinct days (UTC) on which, and the distinct patients other than
/// `patient` whom, the user opened while the encounters placed them in
/// department `d`. A physician who covers a unit overnight opens dozens of
/// its patients on most nights; a curious look at a patient there, the one.
pub(crate) fn unit_work(
    input: &DetectInput<'_>,
    patient: crate::model::Code,
    d: crate::model::Code,
    user_events: std::ops::Range<usize>,
) -> UnitWork {
    let Some(enc) = input.data.encounters.as_ref() else { return UnitWork::default() };
    let ev = &input.data.events;
    let mut days: Vec<i64> = Vec::new();
    let mut patients: Vec<crate::model::Code> = Vec::new();
    for j in user_events {
        let p = ev.patient[j];
        if p == crate::model::NONE || p == patient {
            continue;
        }
        if enc.of_patient(p).iter().any(|e| e.department == Some(d) && near(e, ev.ts[j])) {
            days.push(ev.ts[j].div_euclid(crate::time::MICROS_PER_DAY));
            patients.push(p);
        }
    }
    days.sort_unstable();
    days.dedup();
    patients.sort_unstable();
    patients.dedup();
    UnitWork { days: days.len() as u32, patients: patients.len() as u32 }
}

/// A user's work in one unit over the period (see [`unit_work`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct UnitWork {
    /// Distinct days with an access to one of the unit's patients.
    pub days: u32,
    /// Distinct patients of the unit opened.
    pub patients: u32,
}

impl UnitWork {
    /// Days of work in a unit that make it one the user covers.
    pub const COVER_DAYS: u32 = 4;
    /// Patients of a unit that make it one the user covers.
    pub const COVER_PATIENTS: u32 = 10;

    /// Whether the user covers the unit: [`Self::COVER_PATIENTS`] or more
    /// of its patients on [`Self::COVER_DAYS`] or more days.
    pub fn covers(&self) -> bool {
        self.days >= Self::COVER_DAYS && self.patients >= Self::COVER_PATIENTS
    }
}

/// Whether the user opened `patient` (accesses `events`) as part of work in
/// the patient's unit: in a round of it (the patient and
/// [`super::finding::UNIT_ROUND_OTHERS`] or more of its other patients
/// within [`super::finding::ROUND_HOURS`]), or in a unit the user covers
/// ([`UnitWork::covers`]) while opening `min_others_covering` or more of
/// its other patients within those hours. Returns the department, the
/// others in the round and the user's work there; `None` when neither
/// holds.
pub(crate) fn unit_round(
    input: &DetectInput<'_>,
    patient: crate::model::Code,
    events: &[usize],
    user_events: std::ops::Range<usize>,
    min_others_covering: u32,
) -> Option<(crate::model::Code, u32, UnitWork)> {
    let (others, d) = round_of(input, patient, events, user_events.clone());
    let d = d?;
    if others >= super::finding::UNIT_ROUND_OTHERS {
        return Some((d, others, unit_work(input, patient, d, user_events)));
    }
    if others < min_others_covering {
        return None;
    }
    let work = unit_work(input, patient, d, user_events);
    work.covers().then_some((d, others, work))
}
