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
//!    window (`RoleTiming`).
//!
//! An encounter's window runs from `encounter_before_hours` before its start
//! to `encounter_after_days` after its end; an open encounter (no end) runs
//! to the end of the data.

use std::collections::HashMap;

use rayon::prelude::*;

use super::explanation::Explanation;
use crate::config::ExplainParams;
use crate::ingest::Ingested;
use crate::model::{Code, Encounter, NONE};
use crate::time::{MICROS_PER_DAY, MICROS_PER_HOUR};

/// How a role's work relates to an encounter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RoleWork {
    None,
    AfterDischarge,
    AroundVisit,
    DuringCare,
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
    } else {
        RoleWork::None
    }
}

struct Windows {
    before: i64,
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

    fn role_explains(&self, work: RoleWork, e: &Encounter, t: i64) -> bool {
        match work {
            RoleWork::None => false,
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
        let mut charted: HashMap<Code, Vec<i64>> = HashMap::new();
        for i in range.clone() {
            if events.action[i].is_documentation() && events.patient[i] != NONE {
                charted.entry(events.patient[i]).or_default().push(events.ts[i]);
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
                    if e.start - w.before.max(w.visit_before) > t {
                        break; // sorted by start: the rest start later still
                    }
                    if !by_role && w.role_explains(work, e, t) {
                        by_role = true;
                    }
                    if !w.in_care_window(e, t) {
                        continue;
                    }
                    if e.provider == Some(user) {
                        found = Explanation::EncounterProvider;
                        break;
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
            *slot = found;
        }
    });
    kind
}
