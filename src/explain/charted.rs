//! Unlisted visits: care the encounters export does not list.
//!
//! A hospital's encounters extract misses some visits (a clinic's add-on
//! appointment, a visit filed under another system, a row lost between
//! systems), and every access of that visit then looks unexplained: the
//! clerk who registered the patient, the nurse who roomed them, the
//! phlebotomist. Yet the visit shows in the audit log itself, in the
//! charting of the clinicians who saw the patient. An access nothing else
//! explains is explained by an unlisted visit when, within
//! `unlisted_visit_days` days (1: the same day), another user charted
//! (create or update) in the patient's record from the user's home
//! department or from the department the access came from, or, for a role
//! class whose work serves visits (during care or around a visit:
//! pharmacy, laboratory, radiology, case management, registration, as the
//! configuration's role lists say), from any department, unless the
//! encounters list a stay in progress at the access (then the charting is
//! that stay's care, not an unlisted visit).
//!
//! It is a population-level reason, like a role's timing: one chartist
//! places the patient in the user's department that day, not with this
//! user, so it never clears a sensitive or related chart (see
//! `Explanation::is_patient_specific`).
//!
//! Unit charting is the strong form: when the encounters list no visit or
//! stay in progress and at least `unit_charting_users` (2) other users
//! charted that day from the user's home department or the department the
//! access came from, the patient was on the user's unit, in a stay the
//! export lost. That is what a listed encounter in the user's department
//! says, so it is patient-specific and clears a sensitive chart as that
//! encounter would (`Explanation::UnitCharting`), over an unexplained access
//! or one only a population-level reason (a role's timing, a care-team
//! group) explained.
//!
//! The charting is another user's and spans users: it is collected per
//! partition in pass 1 and merged, as the care visits are.

use rayon::prelude::*;

use super::explanation::Explanation;
use super::per_patient::PerPatient;
use crate::config::{ExplainParams, RoleWorkKind};
use crate::ingest::Ingested;
use crate::model::{Code, Partition, NONE};
use crate::roles::RoleBook;
use crate::time::MICROS_PER_DAY;

/// (day, department, user) of every charting access, per patient, sorted
/// and deduplicated. Built from one run's events at once, or from the user
/// partitions of a partitioned run and merged: the result is the same.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Charting(PerPatient<(i32, Code, Code)>);

impl Charting {
    /// The charting accesses among `data`'s events (create or update of a
    /// patient's record), each with the department it came from, else the
    /// charting user's home department; charting from no known department
    /// is left out.
    pub fn collect(data: &Ingested<Partition>) -> Charting {
        let events = &data.events;
        let home = |u: Code| data.roster.as_ref().and_then(|r| r.get(u)).and_then(|r| r.department).unwrap_or(NONE);
        let dept = |i: usize| if events.department[i] != NONE { events.department[i] } else { home(events.user[i]) };
        Charting(PerPatient::collect(data.dict.patients.len(), || {
            (0..events.len())
                .filter(|&i| events.patient[i] != NONE && events.action[i].is_documentation())
                .map(|i| (i, dept(i)))
                .filter(|&(_, d)| d != NONE)
                .map(|(i, d)| (events.patient[i], (events.ts[i].div_euclid(MICROS_PER_DAY) as i32, d, events.user[i])))
        }))
    }

    /// The charting of several partitions of the run's users as one.
    pub fn merge(parts: Vec<Charting>, n_patients: usize) -> Charting {
        Charting(PerPatient::merge(parts.into_iter().map(|p| p.0).collect(), n_patients))
    }

    /// A patient's charting, by day, department, then user.
    pub fn of(&self, patient: Code) -> &[(i32, Code, Code)] {
        self.0.of(patient)
    }

    /// The raw parts (per-patient offsets and entries), for a codec.
    pub fn parts(&self) -> (&[usize], &[(i32, Code, Code)]) {
        self.0.parts()
    }

    /// Charting from raw parts; `None` when the offsets do not describe
    /// `flat` (ascending, from 0 to its length).
    pub fn from_parts(start: Vec<usize>, flat: Vec<(i32, Code, Code)>) -> Option<Charting> {
        PerPatient::from_parts(start, flat).map(Charting)
    }

    /// Explains, in place, the accesses among `data`'s events that the
    /// unit's own charting ties to the user (`UnitCharting`, over an
    /// unexplained or population-level access) or that an unlisted visit
    /// explains (`UnlistedVisit`, over an unexplained one); see the module.
    pub fn apply(&self, data: &Ingested<Partition>, params: &ExplainParams, book: &RoleBook, kind: &mut [Explanation]) {
        let window = params.unlisted_visit_days as i32;
        if window == 0 || self.0.is_empty() {
            return;
        }
        let unit_users = params.unit_charting_users as usize;
        let events = &data.events;
        // Which classes serve visits, read from the role lists once.
        let serves = crate::roles::RoleClass::ALL
            .map(|c| matches!(params.work_of(c), Some(RoleWorkKind::DuringCare | RoleWorkKind::AroundVisit)));
        let serves_visits = |user: Code| book.class(user).is_some_and(|c| serves[c.index()]);
        kind.par_iter_mut().enumerate().for_each(|(i, k)| {
            let open = *k == Explanation::Unexplained;
            if !(open || (unit_users > 0 && k.is_population_level())) {
                return;
            }
            let user = events.user[i];
            let charted = self.of(events.patient[i]);
            if charted.is_empty() {
                return;
            }
            let day = events.ts[i].div_euclid(MICROS_PER_DAY) as i32;
            let from = charted.partition_point(|c| c.0 <= day - window);
            let near = || charted[from..].iter().take_while(|c| c.0 < day + window).filter(|c| c.2 != user);
            let home = data.roster.as_ref().and_then(|r| r.get(user)).and_then(|u| u.department);
            let dept = events.department[i];
            let unit = |c: &&(i32, Code, Code)| c.1 == dept || Some(c.1) == home;
            // Others' charting during a listed visit or stay is that
            // encounter's care (a consult, the role's work), measured by the
            // reasons above; it places no unlisted one.
            let t = events.ts[i];
            let serves = open && serves_visits(user);
            // Read once, and only when a branch below needs it.
            let listed = (unit_users > 0 || serves)
                && data.encounters.as_ref().is_some_and(|enc| {
                    enc.of_patient(events.patient[i])
                        .iter()
                        .any(|e| e.start <= t && e.end.map_or(t - e.start <= MICROS_PER_DAY, |end| t <= end))
                });
            if unit_users > 0 && !listed {
                let mut chartists: Vec<Code> = near().filter(unit).map(|c| c.2).collect();
                chartists.sort_unstable();
                chartists.dedup();
                if chartists.len() >= unit_users {
                    *k = Explanation::UnitCharting;
                    return;
                }
            }
            if open && near().any(|c| unit(&c) || (serves && !listed)) {
                *k = Explanation::UnlistedVisit;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explain::Explanation;
    use crate::test_fixture::World;

    fn explanation_of(w: &World, user: &str, patient: &str) -> Explanation {
        w.explanations().into_iter().rev().find(|(u, p, _)| u == user && p == patient).expect("access").2
    }

    /// The clinic saw the patient (its physician charted) but the export
    /// lists no visit: the clinic's nurse and the registration clerk who
    /// checked the patient in are explained; a nurse of another unit, and
    /// the clinic's nurse a week later, are not.
    fn clinic() -> World {
        let mut w = World::new();
        w.user("doc").department("ONCC").role("Attending Physician");
        w.user("rn").department("ONCC").role("Registered Nurse");
        w.user("clerk").department("REG").role("Registration Clerk");
        w.user("far").department("ORTHO").role("Registered Nurse");
        w.patient("P1");
        w.access("2026-11-10 11:18:00", "doc", "P1", "create");
        w
    }

    #[test]
    fn charting_by_the_users_department_or_for_a_visit_role_explains_an_unlisted_visit() {
        let mut w = clinic();
        w.access("2026-11-10 10:05:00", "rn", "P1", "view");
        w.access("2026-11-10 12:20:00", "clerk", "P1", "view");
        assert_eq!(explanation_of(&w, "rn", "P1"), Explanation::UnlistedVisit);
        assert_eq!(explanation_of(&w, "clerk", "P1"), Explanation::UnlistedVisit);
        assert_eq!(explanation_of(&w, "doc", "P1"), Explanation::Documentation);
    }

    #[test]
    fn another_units_nurse_a_later_day_and_the_users_own_charting_do_not() {
        let mut w = clinic();
        w.access("2026-11-10 10:05:00", "far", "P1", "view");
        w.access("2026-11-17 10:05:00", "rn", "P1", "view");
        assert_eq!(explanation_of(&w, "far", "P1"), Explanation::Unexplained);
        assert_eq!(explanation_of(&w, "rn", "P1"), Explanation::Unexplained);
        // Turned off, the clinic's nurse the same day is not explained.
        let mut off = clinic();
        off.config.explain.unlisted_visit_days = 0;
        off.access("2026-11-10 10:05:00", "rn", "P1", "view");
        assert_eq!(explanation_of(&off, "rn", "P1"), Explanation::Unexplained);
    }

    /// The patient is in a listed stay on another unit, four days after
    /// admission: the unit's charting is that stay's care, and a
    /// registration clerk (who serves arrivals, not stays) opening the
    /// chart then has no unlisted visit to serve.
    #[test]
    fn charting_during_a_listed_stay_places_no_unlisted_visit_for_a_role_from_elsewhere() {
        let mut w = clinic();
        w.encounter("P1", "ONCC", "2026-11-06 08:00:00", Some("2026-11-14 12:00:00"), None);
        w.access("2026-11-10 12:20:00", "clerk", "P1", "view");
        assert_eq!(explanation_of(&w, "clerk", "P1"), Explanation::Unexplained);
        // The same clerk the same day when the encounters list nothing: an unlisted visit.
        let mut bare = clinic();
        bare.access("2026-11-10 12:20:00", "clerk", "P1", "view");
        assert_eq!(explanation_of(&bare, "clerk", "P1"), Explanation::UnlistedVisit);
    }

    /// A medicine ward whose stay the export lost: `chartists` (1 or 2) of
    /// the ward's staff charted for the patient that day.
    fn ward_charted_by(chartists: usize) -> World {
        let mut w = World::new();
        w.user("rn1").department("MED").role("Registered Nurse");
        w.user("rn2").department("MED").role("Registered Nurse");
        w.user("res").department("CC7920").role("Resident Physician");
        w.user("far").department("ORTHO").role("Registered Nurse");
        w.patient("P1").vip();
        w.access_from_dept("2026-11-10 08:10:00", "rn1", "P1", "update", "WS-M1", "10.1.0.5", "MED");
        if chartists > 1 {
            w.access_from_dept("2026-11-10 09:40:00", "rn2", "P1", "create", "WS-M2", "10.1.0.6", "MED");
        }
        w
    }

    fn ward() -> World {
        ward_charted_by(2)
    }

    #[test]
    fn two_of_the_units_staff_charting_place_the_patient_on_the_unit_for_a_user_there() {
        let mut w = ward();
        // The resident's roster department is a cost centre; the access
        // came from the ward.
        w.access_from_dept("2026-11-10 19:02:00", "res", "P1", "view", "WS-M3", "10.1.0.7", "MED");
        assert_eq!(explanation_of(&w, "res", "P1"), Explanation::UnitCharting);
        assert!(Explanation::UnitCharting.is_patient_specific());
    }

    #[test]
    fn one_chartist_another_unit_or_a_listed_stay_elsewhere_do_not_place_the_patient() {
        // One of the ward's staff charted: an unlisted visit (population-level).
        let mut one = ward_charted_by(1);
        one.access_from_dept("2026-11-10 19:02:00", "res", "P1", "view", "WS-M3", "10.1.0.7", "MED");
        assert_eq!(explanation_of(&one, "res", "P1"), Explanation::UnlistedVisit);
        // A nurse of another unit, from there: nothing places the patient on hers.
        let mut far = ward();
        far.access_from_dept("2026-11-10 19:02:00", "far", "P1", "view", "WS-O1", "10.2.0.5", "ORTHO");
        assert_eq!(explanation_of(&far, "far", "P1"), Explanation::Unexplained);
        // The encounters list the patient's stay on another unit: the ward's
        // charting is a consult of that stay, not the patient on the ward.
        let mut consult = ward();
        consult.encounter("P1", "CARD", "2026-11-08 08:00:00", Some("2026-11-14 12:00:00"), None);
        consult.access_from_dept("2026-11-10 19:02:00", "res", "P1", "view", "WS-M3", "10.1.0.7", "MED");
        assert_ne!(explanation_of(&consult, "res", "P1"), Explanation::UnitCharting);
        // Turned off, the resident on the ward is only an unlisted visit.
        let mut off = ward();
        off.config.explain.unit_charting_users = 0;
        off.access_from_dept("2026-11-10 19:02:00", "res", "P1", "view", "WS-M3", "10.1.0.7", "MED");
        assert_eq!(explanation_of(&off, "res", "P1"), Explanation::UnlistedVisit);
    }

    #[test]
    fn merged_partitions_equal_one_collect() {
        let mut w = clinic();
        w.access("2026-11-10 12:00:00", "rn", "P1", "update");
        w.access("2026-11-11 09:00:00", "far", "P1", "create");
        let data = w.build();
        let n = data.dict.patients.len();
        let whole = Charting::collect(&data);
        assert_eq!(whole.of(0).len(), 3, "{:?}", whole.of(0));
        let parts: Vec<Charting> = data
            .events
            .user_ranges()
            .into_iter()
            .map(|(u, r)| {
                let mut part = w.build();
                part.events = crate::model::Partition::new(u..u + 1, data.events.gather(&r.collect::<Vec<_>>()));
                Charting::collect(&part)
            })
            .collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(Charting::merge(parts, n), whole);
        let (start, flat) = whole.parts();
        assert_eq!(Charting::from_parts(start.to_vec(), flat.to_vec()), Some(whole.clone()));
        assert_eq!(Charting::from_parts(vec![0, 5], flat.to_vec()), None);
    }
}
