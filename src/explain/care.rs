//! Direct care explanations: encounters, the user's own charting, and the
//! work of roles that touch many charts.
//!
//! An access by user U to patient P at time t is explained, in this order of
//! preference, when:
//! 1. U is the provider of an encounter of P whose window contains t
//!    (`EncounterProvider`);
//! 2. P has an encounter whose window contains t in U's home department, or
//!    in the department the access was made from (`EncounterDepartment`);
//! 3. U charted (create/update) in P's record within the documentation window
//!    around t (`Documentation`);
//! 3b. the hospital lists U on P's care team on t's day (the `care_team`
//!    table: a treatment team, a study team; `CareTeamMember`);
//! 4. U's role serves P's encounter at t: coding and billing from discharge to
//!    `after_discharge_days` later, registration around the visit's start,
//!    pharmacy, lab, radiology and case management during the encounter's
//!    window (`RoleTiming`);
//! 5. U's role follows a panel (research) and U opened P's record on at
//!    least `panel_min_days` distinct days (`RecurringPanel`).
//!
//! An encounter's window runs from `encounter_before_hours` before its start
//! (`provider_before_days` for its provider: pre-visit review) to
//! `encounter_after_days` after its end (`provider_after_days` for its
//! provider: an established treating relationship); an open encounter (no
//! end) runs to the end of the data.

use rayon::prelude::*;

use super::explanation::Explanation;
use crate::config::ExplainParams;
use crate::ingest::Ingested;
use crate::model::{Code, Encounter, FxHashMap, Partition, NONE};
use crate::roles::{RoleBook, RoleClass};
use crate::time::{MICROS_PER_DAY, MICROS_PER_HOUR};

/// How a role's work relates to an encounter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RoleWork {
    None,
    AfterDischarge,
    AroundVisit,
    DuringCare,
    Panel,
}

/// The work of each role class, from the configuration's role lists
/// (which name classes; see `ExplainParams::work_of`).
fn work_table(params: &ExplainParams) -> [RoleWork; RoleClass::ALL.len()] {
    use crate::config::RoleWorkKind as K;
    RoleClass::ALL.map(|c| match params.work_of(c) {
        None => RoleWork::None,
        Some(K::Panel) => RoleWork::Panel,
        Some(K::DuringCare) => RoleWork::DuringCare,
        Some(K::AroundVisit) => RoleWork::AroundVisit,
        Some(K::AfterDischarge) => RoleWork::AfterDischarge,
    })
}

/// Patient accesses a user needs, beyond those their own care explains,
/// before their work can tell their role.
const LEARN_MIN_ACCESSES: usize = 30;
/// Share of those accesses one kind of role work must explain.
const LEARN_MIN_SHARE: f64 = 0.7;

/// Distinct recurring patients (opened on `panel_min_days` days or more)
/// that make a learned study list: one or two patients opened day after
/// day are a person, not a panel.
const LEARN_MIN_PANEL_PATIENTS: usize = 10;

struct Windows {
    before: i64,
    provider_before: i64,
    provider_after: i64,
    after: i64,
    doc: i64,
    /// How long before their charting a user's access is explained.
    doc_before: i64,
    doc_after: i64,
    /// How long before their charting a role-served user's access is
    /// explained (their charting is a task).
    task_before: i64,
    discharge: i64,
    visit_before: i64,
    visit_after: i64,
    /// Distinct days that make a patient part of a recurring list.
    panel_days: u32,
}

impl Windows {
    fn new(p: &ExplainParams) -> Self {
        Self {
            before: i64::from(p.encounter_before_hours) * MICROS_PER_HOUR,
            provider_before: i64::from(p.provider_before_days) * MICROS_PER_DAY,
            provider_after: i64::from(p.provider_after_days) * MICROS_PER_DAY,
            after: i64::from(p.encounter_after_days) * MICROS_PER_DAY,
            doc: i64::from(p.documentation_window_days) * MICROS_PER_DAY,
            doc_before: i64::from(p.documentation_window_days.max(p.documentation_before_days)) * MICROS_PER_DAY,
            doc_after: i64::from(p.documentation_window_days.max(p.documentation_after_days)) * MICROS_PER_DAY,
            task_before: i64::from(p.documentation_task_hours.min(24 * p.documentation_window_days)) * MICROS_PER_HOUR,
            discharge: i64::from(p.after_discharge_days) * MICROS_PER_DAY,
            visit_before: i64::from(p.around_visit_before_days) * MICROS_PER_DAY,
            visit_after: i64::from(p.around_visit_after_days) * MICROS_PER_DAY,
            panel_days: p.panel_min_days,
        }
    }

    fn in_care_window(&self, e: &Encounter, t: i64) -> bool {
        t >= e.start - self.before && e.end.is_none_or(|end| t <= end + self.after)
    }

    fn in_provider_window(&self, e: &Encounter, t: i64) -> bool {
        t >= e.start - self.provider_before.max(self.before)
            && e.end.is_none_or(|end| t <= end + self.provider_after.max(self.after))
    }

    /// How far before an encounter's start any explanation can reach.
    fn lead(&self) -> i64 {
        self.before.max(self.visit_before).max(self.provider_before)
    }

    fn role_explains(&self, work: RoleWork, e: &Encounter, t: i64) -> bool {
        match work {
            RoleWork::None | RoleWork::Panel => false,
            RoleWork::AfterDischarge => e.end.is_some_and(|end| t >= end - MICROS_PER_DAY && t <= end + self.discharge),
            RoleWork::AroundVisit => t >= e.start - self.visit_before && t <= e.start + self.visit_after,
            RoleWork::DuringCare => self.in_care_window(e, t),
        }
    }
}

/// What the encounters say about one access: the patient-specific link
/// found (provider or department, else `Unexplained`), and whether the
/// user's role `work` would explain it (the role timing of a user whose
/// class has no such work, `RoleWork::None`, is never checked).
struct EncounterLinks {
    found: Explanation,
    by_role: bool,
}

impl EncounterLinks {
    const NONE: EncounterLinks = EncounterLinks { found: Explanation::Unexplained, by_role: false };
}

fn encounter_links(
    encounters: &[Encounter],
    user: Code,
    home: Option<Code>,
    dept: Code,
    t: i64,
    w: &Windows,
    work: RoleWork,
) -> EncounterLinks {
    let mut links = EncounterLinks::NONE;
    for e in encounters {
        if e.start - w.lead() > t {
            break; // sorted by start: the rest start later still
        }
        if !links.by_role && w.role_explains(work, e, t) {
            links.by_role = true;
        }
        if e.provider == Some(user) && w.in_provider_window(e, t) {
            links.found = Explanation::EncounterProvider;
            break;
        }
        if !w.in_care_window(e, t) {
            continue;
        }
        if let Some(d) = e.department {
            if Some(d) == home || d == dept {
                links.found = Explanation::EncounterDepartment;
            }
        }
    }
    links
}

/// Whether any of `times` (ascending) lies from `after` before `t` to
/// `before` after it: charting explains the user's accesses from `before`
/// ahead of it (preparing) to `after` behind it (following up).
fn charted_near(times: Option<&Vec<i64>>, t: i64, before: i64, after: i64) -> bool {
    times.is_some_and(|times| {
        let pos = times.partition_point(|&c| c < t - after);
        pos < times.len() && times[pos] <= t + before
    })
}

/// Whether a task the user charted explains an access at `t`: charting
/// at most `before` after `t` (reading up for it), charting at most
/// `near` before `t`, or charting at most `after` before `t` with no
/// encounter of the patient starting in between (the task's episode of
/// care; a new visit is a new episode, in which the user has no task yet).
fn task_near(times: Option<&Vec<i64>>, encounters: &[Encounter], t: i64, before: i64, near: i64, after: i64) -> bool {
    let Some(times) = times else { return false };
    let pos = times.partition_point(|&c| c <= t);
    if pos < times.len() && times[pos] <= t + before {
        return true;
    }
    pos > 0 && {
        let c = times[pos - 1];
        t - c <= near || (t - c <= after && !encounters.iter().any(|e| e.start > c && e.start <= t))
    }
}

/// The role class a user's work shows, for a user whose title says
/// nothing. Among the patient accesses no encounter links them to (at
/// least [`LEARN_MIN_ACCESSES`], and at least half of all their patient
/// accesses: a clinician's work is mostly on their own unit's patients;
/// the user's own charting does not take an access out: a coder's or a
/// pharmacist's charting is the task, and the work around it is what
/// tells the role), the shares that fall after a
/// discharge and outside any stay (coding, billing), at a visit's arrival
/// (from the registration lead before it starts to four hours after:
/// registration), or within a stay (pharmacy, laboratory, radiology, case
/// management). The first share, in that order, that reaches
/// [`LEARN_MIN_SHARE`] decides; which service a stay's work is comes from
/// the data categories the user opens most. Before those, a user whose
/// work mostly goes to patients opened on `panel_min_days` different days,
/// at least [`LEARN_MIN_PANEL_PATIENTS`] of them, and not mostly within
/// their stays, keeps a study list (research). A user whose accesses fit
/// no pattern stays unclassed.
fn learn_class(
    data: &Ingested<Partition>,
    user: Code,
    range: std::ops::Range<usize>,
    home: Option<Code>,
    w: &Windows,
) -> Option<RoleClass> {
    use crate::model::DataCategory as C;
    let events = &data.events;
    let enc = data.encounters.as_ref()?;
    let (mut rest, mut during, mut after, mut arrival) = (0usize, 0usize, 0usize, 0usize);
    let mut total = 0usize;
    let mut cats = [0usize; 16];
    // Per patient: the last day seen, distinct days and accesses.
    let mut days: FxHashMap<Code, (i64, u32, usize)> = FxHashMap::default();
    for i in range {
        let p = events.patient[i];
        if p == NONE {
            continue;
        }
        total += 1;
        let t = events.ts[i];
        let encounters = enc.of_patient(p);
        let l = encounter_links(encounters, user, home, events.department[i], t, w, RoleWork::None);
        if l.found != Explanation::Unexplained {
            continue;
        }
        rest += 1;
        let in_stay = encounters.iter().any(|e| e.start <= t && e.end.is_none_or(|end| t <= end));
        let at_arrival = encounters.iter().any(|e| t >= e.start - w.visit_before && t <= e.start + 4 * MICROS_PER_HOUR);
        let after_stay =
            !in_stay && encounters.iter().any(|e| e.end.is_some_and(|end| t > end && t <= end + w.discharge));
        during += usize::from(in_stay);
        arrival += usize::from(at_arrival);
        after += usize::from(after_stay);
        cats[(events.category[i] as usize).min(15)] += 1;
        let day = t.div_euclid(MICROS_PER_DAY);
        let d = days.entry(p).or_insert((i64::MIN, 0, 0));
        if d.0 != day {
            *d = (day, d.1 + 1, d.2);
        }
        d.2 += 1;
    }
    // Most of a clinician's work is on their unit's patients, which the
    // encounters link them to; what is left (follow-ups after discharge,
    // a consult) says nothing of a service role.
    if rest < LEARN_MIN_ACCESSES || rest * 2 < total {
        return None;
    }
    let share = |n: usize| n as f64 / rest as f64;
    let count = |c: C| cats[(c as usize).min(15)];
    // A study list: most of the work on patients opened again and again on
    // different days, many of them, and not mostly within their stays (a
    // pharmacist or a phlebotomist sees the same inpatient day after day).
    let recurring = days.values().filter(|d| d.1 >= w.panel_days.max(2));
    let (panel, on_panel) = recurring.fold((0, 0), |(n, a), d| (n + 1, a + d.2));
    if share(on_panel) >= LEARN_MIN_SHARE && panel >= LEARN_MIN_PANEL_PATIENTS && share(during) < LEARN_MIN_SHARE {
        Some(RoleClass::Research)
    } else if share(after) >= LEARN_MIN_SHARE {
        Some(if count(C::Billing) * 2 > rest { RoleClass::Billing } else { RoleClass::HimCoding })
    } else if share(arrival) >= LEARN_MIN_SHARE {
        Some(RoleClass::Registration)
    } else if share(during) >= LEARN_MIN_SHARE {
        let top = [
            (C::Medications, RoleClass::Pharmacy),
            (C::Results, RoleClass::Laboratory),
            (C::Imaging, RoleClass::Radiology),
        ]
        .into_iter()
        .max_by_key(|(c, _)| count(*c))
        .filter(|(c, _)| count(*c) * 3 >= rest);
        Some(top.map_or(RoleClass::CaseManagement, |(_, r)| r))
    } else {
        None
    }
}

/// First pass: one explanation per event from direct evidence of care,
/// and the classes learned from the work of users whose title `book`
/// could not class.
pub fn explain_direct(
    data: &Ingested<Partition>,
    params: &ExplainParams,
    book: &RoleBook,
) -> (Vec<Explanation>, Vec<(Code, RoleClass)>) {
    direct(data, params, book, true)
}

/// [`explain_direct`] with every class already in `book`: the classes
/// learned from users' work over the whole log are given (kept beside
/// the row index), so a user `book` leaves unclassed stays unclassed and
/// nothing is learned from `data`, which may hold few of their events.
/// With `book` holding what [`explain_direct`] learns over the whole log,
/// each event's explanation is the one it gives there.
pub fn explain_direct_classed(data: &Ingested<Partition>, params: &ExplainParams, book: &RoleBook) -> Vec<Explanation> {
    direct(data, params, book, false).0
}

/// [`explain_direct`], learning the classes of users `book` leaves
/// unclassed only when `learn` says so.
fn direct(
    data: &Ingested<Partition>,
    params: &ExplainParams,
    book: &RoleBook,
    learn: bool,
) -> (Vec<Explanation>, Vec<(Code, RoleClass)>) {
    let events = &data.events;
    let mut kind = vec![Explanation::NoPatient; events.len()];
    let ranges = events.user_ranges();
    // Hand each user's slice of the output to one task.
    let mut slices = Vec::with_capacity(ranges.len());
    let mut rest: &mut [Explanation] = &mut kind;
    for (user, range) in &ranges {
        let (head, tail) = rest.split_at_mut(range.len());
        slices.push((*user, range.clone(), head));
        rest = tail;
    }
    let w = Windows::new(params);
    let table = work_table(params);

    let learned = slices
        .into_par_iter()
        .filter_map(|(user, range, out)| {
            let record = data.roster.as_ref().and_then(|r| r.get(user));
            let home = record.and_then(|u| u.department);
            // Times of this user's charting per patient, ascending (events are time-sorted).
            let mut charted: FxHashMap<Code, Vec<i64>> = FxHashMap::default();
            for i in range.clone() {
                if events.patient[i] != NONE && events.action[i].is_documentation() {
                    charted.entry(events.patient[i]).or_default().push(events.ts[i]);
                }
            }
            let learned = match book.class(user) {
                Some(_) => None,
                None if learn => learn_class(data, user, range.clone(), home, &w),
                None => None,
            };
            let work = book.class(user).or(learned).map_or(RoleWork::None, |c| table[c.index()]);
            // A role-served user's charting is a task: it explains the
            // hours before it and the rest of the episode of care after it,
            // not the evening before nor a later visit.
            let task = work != RoleWork::None;
            // Distinct days on which a panel-role user opened each patient.
            let mut panel_days: FxHashMap<Code, (i64, u32)> = FxHashMap::default();
            if work == RoleWork::Panel {
                for i in range.clone() {
                    let p = events.patient[i];
                    if p == NONE {
                        continue;
                    }
                    let day = events.ts[i].div_euclid(MICROS_PER_DAY);
                    let e = panel_days.entry(p).or_insert((i64::MIN, 0));
                    if e.0 != day {
                        *e = (day, e.1 + 1);
                    }
                }
            }
            // Accesses a few ahead have their patient's encounters fetched
            // while this one is explained.
            const AHEAD: usize = 8;
            let end = range.end;
            for (slot, i) in out.iter_mut().zip(range) {
                if let (Some(enc), true) = (&data.encounters, i + AHEAD < end) {
                    let ahead = events.patient[i + AHEAD];
                    if ahead != NONE {
                        enc.prefetch(ahead);
                    }
                }
                let patient = events.patient[i];
                if patient == NONE {
                    continue;
                }
                let t = events.ts[i];
                // No encounters table: no encounter links (an empty list).
                let of_patient = data.encounters.as_ref().map_or(&[][..], |enc| enc.of_patient(patient));
                let links = encounter_links(of_patient, user, home, events.department[i], t, &w, work);
                let mut found = links.found;
                let charted_here = if task {
                    task_near(charted.get(&patient), of_patient, t, w.task_before, w.doc, w.doc_after)
                } else {
                    charted_near(charted.get(&patient), t, w.doc_before, w.doc_after)
                };
                if found == Explanation::Unexplained && charted_here {
                    found = Explanation::Documentation;
                }
                if found == Explanation::Unexplained
                    && data.care_teams.as_ref().is_some_and(|c| c.covers(patient, user, t))
                {
                    found = Explanation::CareTeamMember;
                }
                if found == Explanation::Unexplained && links.by_role {
                    found = Explanation::RoleTiming;
                }
                if found == Explanation::Unexplained
                    && panel_days.get(&patient).is_some_and(|d| d.1 >= params.panel_min_days)
                {
                    found = Explanation::RecurringPanel;
                }
                *slot = found;
            }
            learned.map(|c| (user, c))
        })
        .collect();
    (kind, learned)
}

#[cfg(test)]
mod tests {
    use crate::explain::Explanation::*;
    use crate::test_fixture::World;

    fn kinds(w: &World) -> Vec<crate::explain::Explanation> {
        w.explanations().into_iter().map(|(_, _, e)| e).collect()
    }

    #[test]
    fn provider_department_and_charting_explain_and_strangers_do_not() {
        let mut w = World::new();
        w.user("doc").department("CARD");
        w.user("rn").department("MED");
        w.user("it").department("IT").role("it");
        w.patient("P1");
        w.encounter("P1", "MED", "2026-11-20 08:00:00", Some("2026-11-25 12:00:00"), Some("doc"));
        w.access("2026-11-12 09:00:00", "doc", "P1", "view"); // pre-visit review, 8 days ahead
        w.access("2026-11-21 09:00:00", "rn", "P1", "view"); // on the unit during the stay
        w.access("2026-11-21 10:00:00", "it", "P1", "view"); // nobody's patient
        w.access("2026-11-19 09:00:00", "rn", "P1", "view"); // 23 hours before the stay: pre-admission
        w.access("2026-11-18 07:00:00", "rn", "P1", "view"); // two days before: not yet
        assert_eq!(
            kinds(&w),
            vec![EncounterProvider, EncounterDepartment, Unexplained, EncounterDepartment, Unexplained]
        );
    }

    #[test]
    fn a_users_own_charting_explains_their_views_nearby() {
        let mut w = World::new();
        w.user("rt").department("RESP");
        w.patient("P1");
        w.access("2026-11-10 08:00:00", "rt", "P1", "view"); // 11 days before: not yet
        w.access("2026-11-15 08:00:00", "rt", "P1", "view"); // 6 days before: reading up for it
        w.access("2026-11-20 08:00:00", "rt", "P1", "view");
        w.access("2026-11-21 08:00:00", "rt", "P1", "create");
        // Following up the care the user charted: explained for 30 days after.
        w.access("2026-11-30 08:00:00", "rt", "P1", "view");
        w.access("2026-12-22 08:00:00", "rt", "P1", "view"); // 31 days after: no
        assert_eq!(
            kinds(&w),
            vec![Unexplained, Documentation, Documentation, Documentation, Documentation, Unexplained]
        );
        // With the follow-up window at the charting window, 9 days after is
        // not explained; with the reading-up window at it, 6 days before is not.
        w.config.explain.documentation_after_days = 0;
        w.config.explain.documentation_before_days = 0;
        assert_eq!(kinds(&w), vec![Unexplained, Unexplained, Documentation, Documentation, Unexplained, Unexplained]);
    }

    /// A coder's or a pharmacist's charting is a task: it explains the
    /// hours before it (reading up for the task) and the weeks after it
    /// until the patient's next visit, not the evening before nor a later
    /// stay. A respiratory therapist's charting (no role list) keeps the
    /// plain windows.
    #[test]
    fn a_role_served_users_charting_is_a_task_within_one_episode_of_care() {
        let mut w = World::new();
        w.user("coder").department("HIM").role("Coding Specialist");
        w.user("pharm").department("PHARM").role("Clinical Pharmacist");
        w.user("rt").department("RESP").role("Respiratory Therapist");
        w.patient("P1");
        // A new stay from 11-28: the coder's task was the earlier visit.
        w.encounter("P1", "MED", "2026-11-28 08:00:00", Some("2026-12-05 12:00:00"), None);
        w.access("2026-11-05 10:00:00", "coder", "P1", "update"); // coding a visit
        w.access("2026-11-20 10:00:00", "coder", "P1", "view"); // a query 15 days later: yes
        w.access("2026-11-30 10:00:00", "coder", "P1", "view"); // in the new stay: no task
        w.access("2026-11-09 22:30:00", "pharm", "P1", "view"); // the evening before: no
        w.access("2026-11-10 06:00:00", "pharm", "P1", "view"); // 7 hours before: reading up
        w.access("2026-11-10 13:00:00", "pharm", "P1", "update"); // verifies an order
        w.access("2026-11-09 22:30:00", "rt", "P1", "view"); // the evening before: yes
        w.access("2026-11-10 13:00:00", "rt", "P1", "create");
        w.access("2026-11-30 10:00:00", "rt", "P1", "view"); // follow-up 20 days later: yes
                                                             // Without the new stay, the coder's view on 11-30 is the same episode.
        let mut same = World::new();
        same.user("coder").department("HIM").role("Coding Specialist");
        same.patient("P1");
        same.access("2026-11-05 10:00:00", "coder", "P1", "update");
        same.access("2026-11-30 10:00:00", "coder", "P1", "view");
        assert_eq!(kinds(&same), vec![Documentation, Documentation]);
        assert_eq!(
            kinds(&w),
            vec![
                Documentation,
                Documentation,
                Unexplained,
                Unexplained,
                Documentation,
                Documentation,
                Documentation,
                Documentation,
                Documentation
            ]
        );
    }

    #[test]
    fn roles_are_explained_when_their_work_follows_the_encounter() {
        let mut w = World::new();
        w.user("coder").department("HIM").role("him_coder");
        w.user("reg").department("REG").role("registration");
        w.user("pharm").department("PHARM").role("pharmacist");
        w.user("study").department("RES").role("research");
        w.patient("P1");
        w.patient("P2");
        w.encounter("P1", "MED", "2026-11-20 08:00:00", Some("2026-11-22 12:00:00"), None);
        w.access("2026-11-30 10:00:00", "coder", "P1", "view"); // 8 days after discharge
        w.access("2026-11-10 10:00:00", "coder", "P1", "view"); // before the stay: no
        w.access("2026-11-18 10:00:00", "reg", "P1", "view"); // 2 days before the visit
        w.access("2026-11-21 10:00:00", "pharm", "P1", "view"); // during the stay
        w.access("2026-12-01 10:00:00", "study", "P2", "view"); // a study patient, day 1
        w.access("2026-12-03 10:00:00", "study", "P2", "view"); // ... day 2: a panel
        assert_eq!(kinds(&w), vec![RoleTiming, Unexplained, RoleTiming, RoleTiming, RecurringPanel, RecurringPanel]);
    }

    /// Titles that say nothing ("Associate"): a user who opens many
    /// inpatients' medications across units during their stays is classed
    /// as pharmacy by that work, and the work explains their accesses; a
    /// user with the same title who opens patients out of care is not.
    #[test]
    fn a_vague_title_is_classed_by_the_users_work() {
        let mut w = World::new();
        w.user("a1").department("CC7410").role("Associate");
        w.user("a2").department("CC7410").role("Associate");
        for i in 0..40 {
            let p = format!("P{i}");
            w.patient(&p);
            let dept = ["MED", "SURG", "ICU", "ONC"][i % 4];
            w.encounter(&p, dept, "2026-11-20 08:00:00", Some("2026-11-26 12:00:00"), None);
            w.access_with(&format!("2026-11-2{} 1{}:00:00", 1 + i % 5, i % 10), "a1", &p, "view", "medications", false);
        }
        for i in 0..40 {
            let p = format!("Q{i}");
            w.patient(&p);
            w.access(&format!("2026-11-2{} 1{}:30:00", 1 + i % 5, i % 10), "a2", &p, "view");
        }
        let data = w.build();
        let explained = crate::explain::explain(&data, &crate::config::ExplainParams::default());
        let code = |u: &str| data.dict.users.get(u).expect("user");
        let a1 = explained.roles.get(code("a1")).expect("a1 classed");
        assert_eq!(a1.class, crate::roles::RoleClass::Pharmacy);
        assert_eq!(a1.source, crate::roles::RoleSource::Behaviour);
        assert_eq!(explained.roles.get(code("a2")), None);
        let kinds = kinds(&w);
        assert!(kinds[..40].iter().all(|k| *k == RoleTiming), "{:?}", &kinds[..40]);
        assert!(kinds[40..].iter().all(|k| *k == Unexplained));
    }

    /// A coder with a title that says nothing ("Team Member") updates most
    /// of the charts they code, so their own charting explains most of
    /// their work; the work around it still tells the role: coding after
    /// discharge. The few charts they read without updating, days after
    /// the discharge, are the role's work too, not unexplained browsing.
    #[test]
    fn a_vague_title_whose_charting_explains_most_of_the_work_is_still_classed() {
        let mut w = World::new();
        w.user("tm").department("6290-CODING").role("Team  Member");
        for i in 0..40 {
            let p = format!("P{i}");
            w.patient(&p);
            let dept = ["ED", "MED"][i % 2];
            w.encounter(&p, dept, "2026-11-10 08:00:00", Some("2026-11-12 12:00:00"), None);
            let day = 15 + i % 5;
            w.access_with(&format!("2026-11-{day} 1{}:00:00", i % 8), "tm", &p, "view", "notes", false);
            w.access_with(&format!("2026-11-{day} 1{}:05:00", i % 8), "tm", &p, "view", "results", false);
            if i >= 5 {
                w.access_with(&format!("2026-11-{day} 1{}:09:00", i % 8), "tm", &p, "update", "billing", false);
            }
        }
        let data = w.build();
        let explained = crate::explain::explain(&data, &crate::config::ExplainParams::default());
        let code = |u: &str| data.dict.users.get(u).expect("user");
        let tm = explained.roles.get(code("tm")).expect("tm classed");
        assert_eq!((tm.class, tm.source), (crate::roles::RoleClass::HimCoding, crate::roles::RoleSource::Behaviour));
        // The five charts read without an update: the role's work.
        assert!(!kinds(&w).contains(&Unexplained), "{:?}", kinds(&w));
    }

    /// The look-alike: a nurse with a title that says nothing, whose work
    /// is mostly the unit's patients during their stays, and who charts a
    /// follow-up for 35 of them six weeks after discharge (past the
    /// encounters' follow-up window). Those follow-ups all fall after a
    /// discharge, as a coder's work does, but encounters link most of the
    /// nurse's work: no class is learned.
    #[test]
    fn a_vague_titled_nurses_follow_ups_after_discharge_do_not_make_a_coder() {
        let mut w = World::new();
        w.user("tm").department("MED").role("Team Member");
        for i in 0..40 {
            let p = format!("P{i}");
            w.patient(&p);
            w.encounter(&p, "MED", "2026-11-10 08:00:00", Some("2026-11-12 12:00:00"), None);
            for k in 0..2 {
                w.access_with(&format!("2026-11-1{k} {:02}:{i:02}:00", 9 + k), "tm", &p, "view", "notes", false);
            }
            if i < 35 {
                w.access_with(&format!("2026-12-2{} 10:{i:02}:00", i % 5), "tm", &p, "update", "notes", false);
            }
        }
        let data = w.build();
        let explained = crate::explain::explain(&data, &crate::config::ExplainParams::default());
        let code = |u: &str| data.dict.users.get(u).expect("user");
        assert_eq!(explained.roles.get(code("tm")), None);
    }

    /// With the class learned over all of a user's work given in the
    /// book, the classed pass explains as the learning pass does; given
    /// nothing, it learns nothing (the events at hand may be a few of the
    /// user's), so the vague title's work stays unexplained.
    #[test]
    fn the_classed_pass_takes_the_class_given_and_learns_none() {
        let mut w = World::new();
        w.user("a1").department("CC7410").role("Associate");
        for i in 0..40 {
            let p = format!("P{i}");
            w.patient(&p);
            w.encounter(&p, ["MED", "SURG"][i % 2], "2026-11-20 08:00:00", Some("2026-11-26 12:00:00"), None);
            w.access_with(&format!("2026-11-2{} 1{}:00:00", 1 + i % 5, i % 10), "a1", &p, "view", "medications", false);
        }
        let data = w.build();
        let params = crate::config::ExplainParams::default();
        let titles = crate::roles::RoleBook::from_titles(data.roster.as_ref(), &params.titles);
        let (learning, learned) = super::explain_direct(&data, &params, &titles);
        assert_eq!(learned.len(), 1);
        assert!(learning.iter().all(|k| *k == RoleTiming), "{learning:?}");
        let mut book = titles.clone();
        book.learn(learned);
        assert_eq!(super::explain_direct_classed(&data, &params, &book), learning);
        let unclassed = super::explain_direct_classed(&data, &params, &titles);
        assert!(unclassed.iter().all(|k| *k == Unexplained), "{unclassed:?}");
    }

    /// Titles that say nothing: a user who opens the same dozen patients,
    /// out of any stay, on day after day keeps a study list (research), and
    /// the list explains (at population level) the repeat visits; a user
    /// who opens the same inpatients every day of their stays is service
    /// work, not a list; and a user who opens two patients day after day is
    /// a person's interest in two people, not a panel.
    #[test]
    fn a_recurring_list_is_learned_as_research_and_daily_inpatient_work_is_not() {
        let mut w = World::new();
        for u in ["study", "ward", "two"] {
            w.user(u).department("CC7410").role("Associate");
        }
        for i in 0..12 {
            let p = format!("S{i}");
            w.patient(&p);
            w.encounter(&p, "ONCC", "2026-09-01 09:00:00", Some("2026-09-01 10:00:00"), None);
            for day in 0..3 {
                w.access(&format!("2026-11-{:02} 1{}:00:00", 10 + 5 * day, i % 10), "study", &p, "view");
            }
        }
        for i in 0..12 {
            let p = format!("I{i}");
            w.patient(&p);
            w.encounter(&p, ["MED", "SURG"][i % 2], "2026-11-20 08:00:00", Some("2026-11-26 12:00:00"), None);
            for day in 0..3 {
                let at = format!("2026-11-2{} 1{}:00:00", 1 + day, i % 10);
                w.access_with(&at, "ward", &p, "view", "medications", false);
            }
        }
        for k in 0..16 {
            let p = ["T0", "T1"][k % 2];
            w.access(&format!("2026-11-{:02} 20:00:00", 1 + k), "two", p, "view");
        }
        for p in ["T0", "T1"] {
            w.patient(p);
        }
        let data = w.build();
        let explained = crate::explain::explain(&data, &crate::config::ExplainParams::default());
        let code = |u: &str| data.dict.users.get(u).expect("user");
        let study = explained.roles.get(code("study")).expect("study classed");
        assert_eq!(
            (study.class, study.source),
            (crate::roles::RoleClass::Research, crate::roles::RoleSource::Behaviour)
        );
        assert_eq!(explained.roles.get(code("ward")).map(|r| r.class), Some(crate::roles::RoleClass::Pharmacy));
        assert_eq!(explained.roles.get(code("two")), None);
        let kinds = kinds(&w);
        // Every visit to a study patient is on the list (each patient is
        // opened on three days).
        assert_eq!(kinds[..36].iter().filter(|k| **k == RecurringPanel).count(), 36, "{:?}", &kinds[..36]);
    }

    #[test]
    fn role_lists_name_classes_and_older_role_words_still_work() {
        let mut w = World::new();
        w.user("coder").department("HIM").role("Coder III");
        w.patient("P1");
        w.encounter("P1", "MED", "2026-11-20 08:00:00", Some("2026-11-22 12:00:00"), None);
        w.access("2026-11-30 10:00:00", "coder", "P1", "view");
        assert_eq!(kinds(&w), vec![RoleTiming]);
        let p = crate::config::ExplainParams { after_discharge_roles: vec!["him_coder".into()], ..Default::default() };
        assert_eq!(p.class_of("him_coder"), Some(crate::roles::RoleClass::HimCoding));
        assert_eq!(p.class_of("billing"), Some(crate::roles::RoleClass::Billing));
        assert_eq!(p.class_of("Associate"), None);
    }
}
