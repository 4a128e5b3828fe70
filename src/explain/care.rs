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
use crate::model::{Code, Encounter, FxHashMap, NONE};
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

fn role_work(role: Option<&str>, params: &ExplainParams) -> RoleWork {
    let Some(role) = role else { return RoleWork::None };
    let has = |list: &[String]| list.iter().any(|r| r.eq_ignore_ascii_case(role));
    if has(&params.after_discharge_roles) {
        RoleWork::AfterDischarge
    } else if has(&params.around_visit_roles) {
        RoleWork::AroundVisit
    } else if has(&params.during_care_roles) {
        RoleWork::DuringCare
    } else if has(&params.panel_roles) {
        RoleWork::Panel
    } else {
        RoleWork::None
    }
}

struct Windows {
    before: i64,
    provider_before: i64,
    provider_after: i64,
    after: i64,
    doc: i64,
    discharge: i64,
    visit_before: i64,
    visit_after: i64,
}

impl Windows {
    fn new(p: &ExplainParams) -> Self {
        Self {
            before: i64::from(p.encounter_before_hours) * MICROS_PER_HOUR,
            provider_before: i64::from(p.provider_before_days) * MICROS_PER_DAY,
            provider_after: i64::from(p.provider_after_days) * MICROS_PER_DAY,
            after: i64::from(p.encounter_after_days) * MICROS_PER_DAY,
            doc: i64::from(p.documentation_window_days) * MICROS_PER_DAY,
            discharge: i64::from(p.after_discharge_days) * MICROS_PER_DAY,
            visit_before: i64::from(p.around_visit_before_days) * MICROS_PER_DAY,
            visit_after: i64::from(p.around_visit_after_days) * MICROS_PER_DAY,
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

/// First pass: one explanation per event from direct evidence of care.
pub fn explain_direct(data: &Ingested, params: &ExplainParams) -> Vec<Explanation> {
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

    slices.into_par_iter().for_each(|(user, range, out)| {
        let record = data.roster.as_ref().and_then(|r| r.get(user));
        let home = record.and_then(|u| u.department);
        let work = role_work(record.and_then(|u| u.role.as_deref()), params);
        // Times of this user's charting per patient, ascending (events are time-sorted).
        let mut charted: FxHashMap<Code, Vec<i64>> = FxHashMap::default();
        // Distinct days on which a panel-role user opened each patient.
        let mut panel_days: FxHashMap<Code, (i64, u32)> = FxHashMap::default();
        for i in range.clone() {
            let p = events.patient[i];
            if p == NONE {
                continue;
            }
            if events.action[i].is_documentation() {
                charted.entry(p).or_default().push(events.ts[i]);
            }
            if work == RoleWork::Panel {
                let day = events.ts[i].div_euclid(MICROS_PER_DAY);
                let e = panel_days.entry(p).or_insert((i64::MIN, 0));
                if e.0 != day {
                    *e = (day, e.1 + 1);
                }
            }
        }
        for (slot, i) in out.iter_mut().zip(range) {
            let patient = events.patient[i];
            if patient == NONE {
                continue;
            }
            let t = events.ts[i];
            let mut found = Explanation::Unexplained;
            let mut by_role = false;
            if let Some(enc) = &data.encounters {
                for e in enc.of_patient(patient) {
                    if e.start - w.lead() > t {
                        break; // sorted by start: the rest start later still
                    }
                    if !by_role && w.role_explains(work, e, t) {
                        by_role = true;
                    }
                    if e.provider == Some(user) && w.in_provider_window(e, t) {
                        found = Explanation::EncounterProvider;
                        break;
                    }
                    if !w.in_care_window(e, t) {
                        continue;
                    }
                    if let Some(dept) = e.department {
                        if Some(dept) == home || dept == events.department[i] {
                            found = Explanation::EncounterDepartment;
                        }
                    }
                }
            }
            if found == Explanation::Unexplained {
                if let Some(times) = charted.get(&patient) {
                    // Any charting time within the window around t?
                    let pos = times.partition_point(|&c| c < t - w.doc);
                    if pos < times.len() && times[pos] <= t + w.doc {
                        found = Explanation::Documentation;
                    }
                }
            }
            if found == Explanation::Unexplained && by_role {
                found = Explanation::RoleTiming;
            }
            if found == Explanation::Unexplained
                && panel_days.get(&patient).is_some_and(|d| d.1 >= params.panel_min_days)
            {
                found = Explanation::RecurringPanel;
            }
            *slot = found;
        }
    });
    kind
}

#[cfg(test)]
mod tests {
    use crate::detect::rules::fixture::World;
    use crate::explain::Explanation::*;

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
        w.access("2026-11-20 08:00:00", "rt", "P1", "view");
        w.access("2026-11-21 08:00:00", "rt", "P1", "create");
        w.access("2026-11-30 08:00:00", "rt", "P1", "view");
        assert_eq!(kinds(&w), vec![Documentation, Documentation, Unexplained]);
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
}
