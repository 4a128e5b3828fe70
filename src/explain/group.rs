//! Collaborative-group explanations, learned from the data.
//!
//! In the spirit of Fabbri and LeFevre's group explanations: users who
//! routinely work on the same patients form a care team, whether or not the
//! roster says so (a consulting service, a float pool, a resident rotating
//! with a team). An access that direct care does not explain is explained by
//! the group when a collaborator of the user has a care-explained access to
//! the same patient within `group_window_days`.
//!
//! Collaboration is measured on direct explanations only (never on the
//! accesses being judged): users u and v collaborate when at least
//! `group_min_shared_patients` patients have care-explained accesses by both,
//! and those patients are at least `group_min_share` of u's care-explained
//! patients. Patients seen by very many users (hub patients, for example a
//! long ICU stay) are left out of the pair count, so they do not tie
//! everybody to everybody.

use rayon::prelude::*;

use super::explanation::Explanation;
use super::per_patient::PerPatient;
use crate::config::ExplainParams;
use crate::ingest::Ingested;
use crate::model::{Code, Events, Partition, NONE};
use crate::time::MICROS_PER_DAY;

/// Patients with more distinct care users than this do not count toward
/// collaboration.
const HUB_USERS: usize = 60;

/// Second pass: explains, in place, unexplained accesses by collaborative groups.
pub fn explain_by_group(data: &Ingested<Partition>, params: &ExplainParams, kind: &mut [Explanation]) {
    if params.group_min_shared_patients == 0 || kind.iter().all(|k| *k != Explanation::Unexplained) {
        return;
    }
    let visits = CareVisits::collect(&data.events, kind, data.dict.patients.len());
    let teams = CareTeams::learn(&visits, data.dict.users.len(), params);
    teams.apply(&data.events, &visits, params, kind);
}

/// (day, user) of care-explained accesses, per patient, sorted and
/// deduplicated. Built from one run's events at once, or from the user
/// partitions of a partitioned run and merged: the result is the same.
#[derive(Debug, Default)]
pub struct CareVisits(PerPatient<(i32, Code)>);

impl CareVisits {
    /// The care-explained visits among `events` (explained by `kind`).
    pub fn collect(events: &Events, kind: &[Explanation], n_patients: usize) -> CareVisits {
        CareVisits(PerPatient::collect(n_patients, || {
            (0..events.len())
                .filter(|&i| kind[i].is_explained() && events.patient[i] != NONE)
                .map(|i| (events.patient[i], (events.ts[i].div_euclid(MICROS_PER_DAY) as i32, events.user[i])))
        }))
    }

    /// The visits of several partitions of the run's users as one.
    pub fn merge(parts: Vec<CareVisits>, n_patients: usize) -> CareVisits {
        CareVisits(PerPatient::merge(parts.into_iter().map(|p| p.0).collect(), n_patients))
    }

    /// The parts a cluster's result codec writes: each patient's start in
    /// the flat list (one more than the patients), and the flat list of
    /// (day, user) visits.
    pub fn parts(&self) -> (&[usize], &[(i32, Code)]) {
        self.0.parts()
    }

    /// Visits from [`CareVisits::parts`] read back; `None` unless `start`
    /// begins at 0, never decreases and ends at the length of `flat`.
    pub fn from_parts(start: Vec<usize>, flat: Vec<(i32, Code)>) -> Option<CareVisits> {
        PerPatient::from_parts(start, flat).map(CareVisits)
    }

    fn patients(&self) -> usize {
        self.0.patients()
    }

    /// A patient's visits, by day then user.
    fn of(&self, patient: Code) -> &[(i32, Code)] {
        self.0.of(patient)
    }
}

/// Each user's collaborators, learned from the care visits.
#[derive(Debug, Default)]
pub struct CareTeams {
    collaborators: Vec<Vec<Code>>,
}

impl CareTeams {
    /// Users who share enough care-explained patients (hub patients left out).
    pub fn learn(visits: &CareVisits, n_users: usize, params: &ExplainParams) -> CareTeams {
        if params.group_min_shared_patients == 0 {
            return CareTeams::default();
        }
        // Distinct care users per patient; care-explained patients per user.
        let users_of: Vec<Vec<Code>> = (0..visits.patients())
            .into_par_iter()
            .map(|p| {
                let mut users: Vec<Code> = visits.of(p as Code).iter().map(|v| v.1).collect();
                users.sort_unstable();
                users.dedup();
                users
            })
            .collect();
        let mut own = vec![0u32; n_users];
        // The patients of each user that count toward collaboration (hubs left out).
        let mut patients_of: Vec<Vec<u32>> = vec![Vec::new(); n_users];
        for (p, users) in users_of.iter().enumerate() {
            for &u in users {
                own[u as usize] += 1;
                if users.len() <= HUB_USERS {
                    patients_of[u as usize].push(p as u32);
                }
            }
        }
        // Shared-patient counts of each user with every other, in a dense
        // counter per thread (users in parallel): v is a collaborator of u when
        // they share at least `min_shared` patients, at least `group_min_share`
        // of u's care-explained patients.
        let min_shared = params.group_min_shared_patients;
        let collaborators: Vec<Vec<Code>> = (0..n_users)
            .into_par_iter()
            .map_init(
                || (vec![0u32; n_users], Vec::new()),
                |(counts, touched), a| {
                    for &p in &patients_of[a] {
                        for &b in &users_of[p as usize] {
                            if b as usize != a {
                                if counts[b as usize] == 0 {
                                    touched.push(b);
                                }
                                counts[b as usize] += 1;
                            }
                        }
                    }
                    let mut team = Vec::new();
                    for b in touched.drain(..) {
                        let shared = std::mem::take(&mut counts[b as usize]);
                        if shared >= min_shared && f64::from(shared) >= params.group_min_share * f64::from(own[a]) {
                            team.push(b);
                        }
                    }
                    team.sort_unstable();
                    team
                },
            )
            .collect();
        CareTeams { collaborators }
    }

    /// Care teams from each user's collaborators (by user code; as
    /// [`CareTeams::of`] gives them), learned elsewhere: `investigate`
    /// takes those learned over the whole log and kept beside the row
    /// index.
    pub fn from_collaborators(mut collaborators: Vec<Vec<Code>>) -> CareTeams {
        for team in &mut collaborators {
            team.sort_unstable();
            team.dedup();
        }
        CareTeams { collaborators }
    }

    /// The collaborators of `user`, by code, ascending.
    pub fn of(&self, user: Code) -> &[Code] {
        self.collaborators.get(user as usize).map_or(&[], Vec::as_slice)
    }

    /// Explains, in place, the unexplained accesses among `events` that a
    /// collaborator's care visit to the same patient within
    /// `group_window_days` explains.
    pub fn apply(&self, events: &Events, visits: &CareVisits, params: &ExplainParams, kind: &mut [Explanation]) {
        if self.collaborators.is_empty() {
            return;
        }
        let window = params.group_window_days as i32;
        kind.par_iter_mut().enumerate().for_each(|(i, k)| {
            if *k != Explanation::Unexplained {
                return;
            }
            let user = events.user[i];
            let Some(team) = self.collaborators.get(user as usize).filter(|t| !t.is_empty()) else { return };
            let day = events.ts[i].div_euclid(MICROS_PER_DAY) as i32;
            let visits = visits.of(events.patient[i]);
            let from = visits.partition_point(|v| v.0 < day - window);
            if visits[from..]
                .iter()
                .take_while(|v| v.0 <= day + window)
                .any(|v| v.1 != user && team.binary_search(&v.1).is_ok())
            {
                *k = Explanation::CareTeamGroup;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::explain::Explanation;
    use crate::test_fixture::World;

    /// A consult service ("cons") shares many patients with the MED unit but
    /// is never their provider; "other" never works with MED.
    fn world() -> World {
        let mut w = World::new();
        w.user("med").department("MED");
        w.user("cons").department("CONS");
        w.user("other").department("ORTHO");
        for i in 0..8 {
            let p = format!("P{i}");
            w.patient(&p);
            w.encounter(&p, "MED", "2026-11-01 08:00:00", Some("2026-11-03 08:00:00"), Some("med"));
            w.access("2026-11-02 09:00:00", "med", &p, "view");
            // The consultant charts on these patients: directly explained.
            w.access("2026-11-02 10:00:00", "cons", &p, "create");
        }
        w.patient("NEW");
        w.encounter("NEW", "MED", "2026-11-20 08:00:00", None, Some("med"));
        w.access("2026-11-20 09:00:00", "med", "NEW", "view");
        w
    }

    fn explanation_of(w: &World, user: &str, patient: &str) -> Explanation {
        w.explanations().into_iter().rev().find(|(u, p, _)| u == user && p == patient).expect("access").2
    }

    #[test]
    fn a_collaborator_of_the_care_team_is_explained_by_the_group() {
        let mut w = world();
        w.access("2026-11-21 11:00:00", "cons", "NEW", "view");
        assert_eq!(explanation_of(&w, "cons", "NEW"), Explanation::CareTeamGroup);
    }

    /// Care teams given as each user's collaborators (as `investigate`
    /// takes them from beside the row index) explain as the teams they
    /// were read from; given none, nothing is explained by a team.
    #[test]
    fn teams_from_their_collaborators_explain_as_the_learned_ones() {
        use super::{CareTeams, CareVisits};
        let mut w = world();
        w.access("2026-11-21 11:00:00", "cons", "NEW", "view");
        w.access("2026-11-21 11:00:00", "other", "NEW", "view");
        let data = w.build();
        let params = crate::config::ExplainParams::default();
        let book = crate::roles::RoleBook::from_titles(data.roster.as_ref(), &params.titles);
        let (direct, _) = crate::explain::explain_direct(&data, &params, &book);
        let n_users = data.dict.users.len();
        let visits = CareVisits::collect(&data.events, &direct, data.dict.patients.len());
        let learned = CareTeams::learn(&visits, n_users, &params);
        let cons = data.dict.users.get("cons").expect("cons");
        let med = data.dict.users.get("med").expect("med");
        assert_eq!(learned.of(cons), &[med]);
        let given = CareTeams::from_collaborators((0..n_users as u32).map(|u| learned.of(u).to_vec()).collect());
        let (mut a, mut b, mut none) = (direct.clone(), direct.clone(), direct.clone());
        learned.apply(&data.events, &visits, &params, &mut a);
        given.apply(&data.events, &visits, &params, &mut b);
        CareTeams::from_collaborators(vec![Vec::new(); n_users]).apply(&data.events, &visits, &params, &mut none);
        assert_eq!(a, b);
        assert_eq!(a.iter().filter(|k| **k == Explanation::CareTeamGroup).count(), 1);
        assert_eq!(none, direct);
    }

    #[test]
    fn a_stranger_to_the_team_and_a_late_collaborator_are_not() {
        let mut w = world();
        w.access("2026-11-21 11:00:00", "other", "NEW", "view");
        w.access("2026-11-28 11:00:00", "cons", "NEW", "view"); // a week after the team's access
        assert_eq!(explanation_of(&w, "other", "NEW"), Explanation::Unexplained);
        assert_eq!(explanation_of(&w, "cons", "NEW"), Explanation::Unexplained);
    }
}
