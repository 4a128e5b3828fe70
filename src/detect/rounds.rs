//! Rounds and queues of work: the other patients a user opened around an
//! access. A pharmacist verifying a unit's orders, a nocturnist covering a
//! unit overnight, a coder working a queue open many patients of one unit
//! (or of one kind of work) within hours; a curious look opens the one.
//! Used to say how routine a population-level link looks
//! ([`super::Fact::PopulationLevel`]) and to tell curious browsing from a
//! round of work (`unexplained_browsing`).

use super::input::DetectInput;

/// The user's events (`user_events`, time-sorted) within
/// [`super::finding::ROUND_HOURS`] of instant `t`.
fn hours_around(input: &DetectInput<'_>, t: i64, user_events: &std::ops::Range<usize>) -> std::ops::Range<usize> {
    let window = super::finding::ROUND_HOURS * crate::time::MICROS_PER_HOUR;
    let ts = &input.data.events.ts[user_events.clone()];
    let lo = user_events.start + ts.partition_point(|&x| x < t - window);
    let hi = user_events.start + ts.partition_point(|&x| x <= t + window);
    lo..hi
}

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
    let mut others: Vec<crate::model::Code> = hours_around(input, t, user_events)
        .filter(|&j| ev.patient[j] != crate::model::NONE && ev.patient[j] != patient && counts(j))
        .map(|j| ev.patient[j])
        .collect();
    others.sort_unstable();
    others.dedup();
    others.len() as u32
}

/// Whether an access explained so is a queue's work: role timing, or the
/// user's own charting (a coder updates the charts they code).
fn queue_work(kind: crate::explain::Explanation) -> bool {
    matches!(kind, crate::explain::Explanation::RoleTiming | crate::explain::Explanation::Documentation)
}

/// The most other patients the user opened, within
/// [`super::finding::ROUND_HOURS`] of one of the evidence accesses, that
/// role timing or the user's own charting explains (a coder updates the
/// charts they code: that charting is the queue's work too): the queue
/// the access was part of.
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
        .map(|&i| others_near(input, patient, ev.ts[i], &user_events, |j| queue_work(kinds[j])))
        .max()
        .unwrap_or(0)
}

/// Charts of a queue, other than the one looked at, that make it one the
/// user was working through (see [`glance`]).
pub(crate) const GLANCE_CHARTS: usize = 3;

/// The most accesses a glance takes: a handful of screens, where work on a
/// chart reads it through (see [`glance`]).
pub(crate) const GLANCE_MOST: u32 = 4;

/// Accesses that every other chart of a queue must have taken for the
/// queue's charts to be read through (see [`glance`]).
pub(crate) const GLANCE_DEPTH: u32 = 4;

/// A glance at `patient` in the middle of a queue of work: every access to
/// the patient within [`super::finding::ROUND_HOURS`] of the first evidence
/// access is a view (a release of information prints; a correction
/// changes something), the evidence stays in that sitting, and the
/// user's accesses to the patient then number at most [`GLANCE_MOST`] and
/// at most `share` times the
/// fewest accesses any other chart the user worked in that time took: at
/// least [`GLANCE_CHARTS`] charts, each of [`GLANCE_DEPTH`] accesses or
/// more, and role timing or the user's own charting explains some of them
/// (a queue of work).
/// A coder reads through the charts they code; a glance at one is not that
/// work. Returns (accesses, other charts, the fewest accesses of one).
pub(crate) fn glance(
    input: &DetectInput<'_>,
    patient: crate::model::Code,
    evidence: &[usize],
    user_events: std::ops::Range<usize>,
    share: f64,
) -> Option<(u32, u32, u32)> {
    if share <= 0.0 {
        return None;
    }
    let ev = &input.data.events;
    let kinds = &input.explained.kind;
    let t0 = evidence.iter().map(|&i| ev.ts[i]).min()?;
    let window = super::finding::ROUND_HOURS * crate::time::MICROS_PER_HOUR;
    if evidence.iter().any(|&i| ev.ts[i] > t0 + window) {
        return None;
    }
    let mut own = 0u32;
    let mut others: Vec<crate::model::Code> = Vec::new();
    let mut queue = false;
    for j in hours_around(input, t0, &user_events) {
        let p = ev.patient[j];
        if p == crate::model::NONE {
            continue;
        }
        if p == patient {
            if ev.action[j] != crate::model::Action::View {
                return None;
            }
            own += 1;
        } else {
            others.push(p);
            queue |= queue_work(kinds[j]);
        }
    }
    others.sort_unstable();
    let depths: Vec<u32> = others.chunk_by(|a, b| a == b).map(|chart| chart.len() as u32).collect();
    if !queue || depths.len() < GLANCE_CHARTS {
        return None;
    }
    let least = depths.iter().copied().min()?;
    (least >= GLANCE_DEPTH && (1..=GLANCE_MOST).contains(&own) && f64::from(own) <= share * f64::from(least))
        .then_some((own, depths.len() as u32, least))
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

/// A user's accesses to one unit's patients over the period (what
/// [`UnitWork`] counts, for any one patient left out): one scan of the
/// user's events, however many of the unit's patients are then asked
/// about (a rule asks once per unexplained patient of a user, and a user
/// has tens of thousands of events).
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct UnitAccesses {
    /// Distinct days (UTC) with an access to one of the unit's patients.
    days: u32,
    /// The distinct patients of the unit opened, ascending.
    patients: Vec<crate::model::Code>,
    /// For each patient (ascending), the days on which they were the only
    /// one of the unit's patients opened: the days that go when they are
    /// left out.
    alone: Vec<(crate::model::Code, u32)>,
}

impl UnitAccesses {
    /// The user's (`user_events`, time-sorted) accesses to patients while
    /// the encounters placed them in department `d`.
    pub(crate) fn of(input: &DetectInput<'_>, d: crate::model::Code, user_events: std::ops::Range<usize>) -> Self {
        let Some(enc) = input.data.encounters.as_ref() else { return UnitAccesses::default() };
        let ev = &input.data.events;
        let mut seen: Vec<(i64, crate::model::Code)> = Vec::new();
        let kinds = &input.explained.kind;
        for j in user_events {
            let p = ev.patient[j];
            // The role's own work (a clerk registering the unit's
            // admissions, a pharmacist verifying its orders) is done for
            // every unit from the user's desk: it does not place the user
            // in this one.
            if p == crate::model::NONE || kinds[j] == crate::explain::Explanation::RoleTiming {
                continue;
            }
            if enc.of_patient(p).iter().any(|e| e.department == Some(d) && near(e, ev.ts[j])) {
                seen.push((ev.ts[j].div_euclid(crate::time::MICROS_PER_DAY), p));
            }
        }
        seen.sort_unstable();
        seen.dedup();
        let mut days = 0u32;
        let mut alone: Vec<(crate::model::Code, u32)> = Vec::new();
        for day in seen.chunk_by(|a, b| a.0 == b.0) {
            days += 1;
            if let [(_, p)] = day {
                alone.push((*p, 1));
            }
        }
        alone.sort_unstable();
        let mut merged: Vec<(crate::model::Code, u32)> = Vec::with_capacity(alone.len());
        for (p, n) in alone {
            match merged.last_mut() {
                Some((q, m)) if *q == p => *m += n,
                _ => merged.push((p, n)),
            }
        }
        let mut patients: Vec<crate::model::Code> = seen.into_iter().map(|(_, p)| p).collect();
        patients.sort_unstable();
        patients.dedup();
        UnitAccesses { days, patients, alone: merged }
    }

    /// The work with `patient` left out.
    pub(crate) fn without(&self, patient: crate::model::Code) -> UnitWork {
        let has = self.patients.binary_search(&patient).is_ok();
        let alone = self.alone.binary_search_by_key(&patient, |(p, _)| *p).map_or(0, |k| self.alone[k].1);
        UnitWork { days: self.days - alone, patients: self.patients.len() as u32 - u32::from(has) }
    }
}

/// Each user's [`UnitAccesses`] per unit, computed on first use: one rule's
/// (or one pass's) memo, keyed by the user's events and the department.
#[derive(Default)]
pub(crate) struct Units {
    done: std::sync::Mutex<crate::model::FxHashMap<(usize, usize, crate::model::Code), std::sync::Arc<UnitAccesses>>>,
}

impl Units {
    /// The user's (`user_events`) work in department `d` with `patient`
    /// left out.
    fn work(
        &self,
        input: &DetectInput<'_>,
        patient: crate::model::Code,
        d: crate::model::Code,
        user_events: std::ops::Range<usize>,
    ) -> UnitWork {
        let key = (user_events.start, user_events.end, d);
        let lock = || self.done.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let known = lock().get(&key).cloned();
        let accesses = match known {
            Some(a) => a,
            // Computed outside the lock (two threads may both compute it:
            // the same result).
            None => {
                let a = std::sync::Arc::new(UnitAccesses::of(input, d, user_events));
                lock().entry(key).or_insert(a).clone()
            }
        };
        accesses.without(patient)
    }
}

/// A user's work in one unit over the period: the distinct days (UTC) on
/// which, and the distinct patients other than the one asked about whom,
/// the user opened while the encounters placed them in the unit, leaving
/// out what the user's role timing explains (service work done for every
/// unit). A
/// physician who covers a unit overnight opens dozens of its patients on
/// most nights; a curious look at a patient there, the one.
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

/// The evidence accesses in sittings: runs of accesses (in time order)
/// each within [`super::finding::ROUND_HOURS`] of the one before.
fn sittings(input: &DetectInput<'_>, evidence: &[usize]) -> Vec<Vec<usize>> {
    let ts = &input.data.events.ts;
    let gap = super::finding::ROUND_HOURS * crate::time::MICROS_PER_HOUR;
    let mut sorted = evidence.to_vec();
    sorted.sort_unstable_by_key(|&i| (ts[i], i));
    let mut out: Vec<Vec<usize>> = Vec::new();
    for i in sorted {
        match out.last_mut() {
            Some(s) if s.last().is_some_and(|&j| ts[i] - ts[j] <= gap) => s.push(i),
            _ => out.push(vec![i]),
        }
    }
    out
}

/// Whether the user opened `patient` (accesses `events`) as part of work in
/// the patient's unit: every sitting with the chart in a round of the
/// patient's unit (the patient and [`super::finding::UNIT_ROUND_OTHERS`]
/// or more of its other patients within [`super::finding::ROUND_HOURS`]),
/// or in a unit the user covers ([`UnitWork::covers`]) while opening
/// `min_others_covering` or more of its other patients within those hours.
/// A return to the chart on another day, away from any work in its unit,
/// is not the unit's work. Returns the department, the others in the
/// busiest such round and the user's work there; `None` when a sitting
/// was not unit work. `units` keeps each user's work per unit between
/// calls.
pub(crate) fn unit_round(
    input: &DetectInput<'_>,
    patient: crate::model::Code,
    events: &[usize],
    user_events: std::ops::Range<usize>,
    min_others_covering: u32,
    units: &Units,
) -> Option<(crate::model::Code, u32, UnitWork)> {
    let mut best: Option<(crate::model::Code, u32, UnitWork)> = None;
    for sitting in sittings(input, events) {
        let (others, d) = round_of(input, patient, &sitting, user_events.clone());
        let d = d?;
        if others < super::finding::UNIT_ROUND_OTHERS && others < min_others_covering {
            return None;
        }
        let work = units.work(input, patient, d, user_events.clone());
        if others < super::finding::UNIT_ROUND_OTHERS && !work.covers() {
            return None;
        }
        if best.is_none_or(|(_, b, _)| others > b) {
            best = Some((d, others, work));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Code, NONE};
    use crate::test_fixture::World;

    /// The user's work in `d` with `patient` left out, by one scan of the
    /// user's events per question (what [`Units`] replaces), role timing's
    /// accesses left out as there.
    fn scanned(input: &DetectInput<'_>, patient: Code, d: Code, user_events: std::ops::Range<usize>) -> UnitWork {
        let Some(enc) = input.data.encounters.as_ref() else { return UnitWork::default() };
        let ev = &input.data.events;
        let mut days: Vec<i64> = Vec::new();
        let mut patients: Vec<Code> = Vec::new();
        for j in user_events {
            let p = ev.patient[j];
            if p == NONE || p == patient || input.explained.kind[j] == crate::explain::Explanation::RoleTiming {
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

    /// A nocturnist opening MED's patients on several nights: some nights
    /// one patient alone (whose leaving out takes the night away), some
    /// nights several, a patient opened on many nights, one opened before
    /// their stay (not MED's then), and one of another unit.
    fn nights() -> World {
        let mut w = World::new();
        w.user("noc").department("HOSP");
        w.user("other").department("MED");
        for p in ["A", "B", "C", "D", "E", "SURG1"] {
            w.patient(p);
        }
        for p in ["A", "B", "C", "D"] {
            w.encounter(p, "MED", "2026-11-02 08:00:00", Some("2026-11-09 08:00:00"), Some("other"));
        }
        w.encounter("E", "MED", "2026-11-20 08:00:00", Some("2026-11-22 08:00:00"), Some("other"));
        w.encounter("SURG1", "SURG", "2026-11-01 08:00:00", Some("2026-11-30 08:00:00"), Some("other"));
        // Night of the 2nd: A alone (twice). 3rd: A, B. 4th: C alone.
        // 5th: B, C, D. 6th: D alone. 10th: E (before its stay).
        for (ts, p) in [
            ("2026-11-02 22:00:00", "A"),
            ("2026-11-02 23:00:00", "A"),
            ("2026-11-03 22:00:00", "A"),
            ("2026-11-03 22:30:00", "B"),
            ("2026-11-04 21:00:00", "C"),
            ("2026-11-04 21:10:00", "SURG1"),
            ("2026-11-05 01:00:00", "B"),
            ("2026-11-05 02:00:00", "C"),
            ("2026-11-05 03:00:00", "D"),
            ("2026-11-06 23:00:00", "D"),
            ("2026-11-10 23:00:00", "E"),
        ] {
            w.access(ts, "noc", p, "view");
        }
        w
    }

    #[test]
    fn a_users_unit_work_is_what_one_scan_per_patient_counts() {
        let w = nights();
        w.with_input(|input| {
            let dict = &input.data.dict;
            let noc = dict.users.get("noc").expect("noc");
            let range = input.data.events.user_ranges().into_iter().find(|(u, _)| *u == noc).expect("noc's events").1;
            let units = Units::default();
            let mut asked = 0;
            for dept in ["MED", "SURG"] {
                let d = dict.departments.get(dept).expect("department");
                let accesses = UnitAccesses::of(input, d, range.clone());
                for name in ["A", "B", "C", "D", "E", "SURG1"] {
                    let p = dict.patients.get(name).expect("patient");
                    let want = scanned(input, p, d, range.clone());
                    assert_eq!(accesses.without(p), want, "{dept} without {name}");
                    assert_eq!(units.work(input, p, d, range.clone()), want, "{dept} without {name}, memo");
                    asked += 1;
                }
                assert_eq!(accesses.without(NONE), scanned(input, NONE, d, range.clone()));
            }
            assert_eq!(asked, 12);
            let med = dict.departments.get("MED").expect("MED");
            let p = |name: &str| dict.patients.get(name).expect("patient");
            // Five nights with one of A-D; E's access was before its stay.
            assert_eq!(UnitAccesses::of(input, med, range.clone()).without(p("E")), UnitWork { days: 5, patients: 4 });
            // A alone on the 2nd: without A, four nights and three patients.
            assert_eq!(units.work(input, p("A"), med, range.clone()), UnitWork { days: 4, patients: 3 });
            // D alone on the 6th.
            assert_eq!(units.work(input, p("D"), med, range.clone()), UnitWork { days: 4, patients: 3 });
            // B is never alone.
            assert_eq!(units.work(input, p("B"), med, range.clone()), UnitWork { days: 5, patients: 3 });
            // Nothing of the user's events: nothing.
            assert_eq!(units.work(input, p("A"), med, range.start..range.start), UnitWork::default());
        });
    }
}
