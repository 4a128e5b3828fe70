//! Legitimate look-alikes: work that fools naive rules and must not be
//! flagged. Planned before the days are generated (they change the plan or
//! the world), and written to `lookalikes.csv` with the window in which they
//! happen, so tests and `evaluate` can check none of them is flagged.
//!
//! Scenarios: `same_surname_treating` (a nurse or attending caring for an
//! unrelated patient who shares their surname), `night_shift` (permanent
//! night nurses), `ed_surge` (ED staff on a surge day), `him_billing_volume`
//! (coders and billing clerks opening hundreds of charts after discharge),
//! `research_coordinator` (a study list, day after day), `new_hire` (no
//! history yet), `vip_care_team` (the care team of an admitted VIP),
//! `break_glass_emergency` (the override used in the ED for a restricted
//! chart), `float_nurse` and `rotating_resident` (many units).

use std::collections::BTreeMap;

use chrono::Duration;
use rand::seq::SliceRandom;
use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::care::{Notable, NotableKind, Plan};
use super::encounters::{EncKind, Encounter};
use super::event::{day_start, DAY};
use super::schedule::{Schedule, Shift};
use super::world::{DeptKind, Role, World};

/// One row of lookalikes.csv.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct LookalikeRow {
    /// Scenario name.
    pub scenario: &'static str,
    /// User index.
    pub user: u32,
    /// Patient index, or `None` for the user's work as a whole.
    pub patient: Option<u32>,
    /// Window start, local seconds.
    pub start: i64,
    /// Window end, local seconds.
    pub end: i64,
}

/// Planned look-alikes: plan inputs, rows known in advance, and the users
/// that incidents must not use.
pub struct Lookalikes {
    /// Rows known before generation (user-level scenarios).
    pub rows: Vec<LookalikeRow>,
    /// Users whose whole activity is a look-alike.
    pub reserved: Vec<bool>,
}

/// Picks the ED surge day: the middle of the window.
pub fn surge_day(days: u32) -> Option<u32> {
    (days >= 3).then_some(days / 2)
}

/// Plans look-alikes; fills `plan.forced` and `plan.studies`, may rename
/// patients and set encounter providers.
pub fn plan(
    rng: &mut Xoshiro256PlusPlus,
    world: &mut World,
    encs: &mut [Encounter],
    sched: &Schedule,
    plan: &mut Plan,
    per_scenario: usize,
) -> Lookalikes {
    let n_users = world.users.len();
    let mut reserved = vec![false; n_users];
    let mut rows = Vec::new();
    let w0 = day_start(world.start);
    let w1 = w0 + world.days as i64 * DAY;
    plan.forced = vec![Vec::new(); n_users];
    let per = per_scenario.max(1);

    // Same surname, treating clinician.
    let employee_patient: Vec<bool> = {
        let mut v = vec![false; world.patients.len()];
        for u in &world.users {
            if let Some(p) = u.patient {
                v[p as usize] = true;
            }
        }
        v
    };
    let mut kin_patient = vec![false; world.patients.len()];
    for k in &world.kin {
        kin_patient[k.patient as usize] = true;
    }
    let mut clinicians: Vec<u32> = (0..n_users as u32)
        .filter(|&u| {
            let x = &world.users[u as usize];
            matches!(x.role, Role::Nurse | Role::Physician)
                && world.depts[x.home as usize].kind == DeptKind::Inpatient
                && x.termination_date.is_none()
                && x.hire_date <= world.start
        })
        .collect();
    clinicians.shuffle(rng);
    let mut done = 0;
    let mut used_patient = vec![false; world.patients.len()];
    for u in clinicians {
        if done >= per {
            break;
        }
        let user = world.users[u as usize].clone();
        // A stay in the user's unit during which the user works.
        let cands: Vec<usize> = (0..encs.len())
            .filter(|&i| {
                let e = &encs[i];
                e.kind == EncKind::Inpatient
                    && e.exported
                    && e.dept == user.home
                    && e.start >= w0
                    && e.end < w1
                    && !employee_patient[e.patient as usize]
                    && !kin_patient[e.patient as usize]
                    && !used_patient[e.patient as usize]
                    && !world.patients[e.patient as usize].vip
            })
            .filter(|&i| {
                let e = &encs[i];
                let (a, b) = ((e.start - w0) / DAY, (e.end - w0) / DAY);
                (a..=b).any(|d| {
                    let s = sched.get(d, u);
                    s.shift != Shift::Off && s.unit == user.home && s.shift != Shift::Night12
                })
            })
            .collect();
        let Some(&i) = cands.choose(rng) else { continue };
        let p = encs[i].patient;
        if world.patients[p as usize].household == user.household {
            continue;
        }
        world.patients[p as usize].last = user.last.clone();
        used_patient[p as usize] = true;
        if user.role == Role::Physician {
            encs[i].provider = u;
        }
        plan.forced[u as usize].push(p);
        reserved[u as usize] = true;
        done += 1;
    }

    // Night-shift nurses.
    let mut nights: Vec<(i64, u32)> = (0..n_users as u32)
        .filter(|&u| world.users[u as usize].role == Role::Nurse && world.users[u as usize].nights)
        .map(|u| (-((0..world.days as i64).filter(|&d| sched.get(d, u).shift == Shift::Night12).count() as i64), u))
        .collect();
    nights.sort();
    for &(_, u) in nights.iter().take(per) {
        reserved[u as usize] = true;
        rows.push(LookalikeRow { scenario: "night_shift", user: u, patient: None, start: w0, end: w1 - 1 });
    }

    // ED surge day: everyone who works in the ED that day.
    if let Some(sd) = plan.surge_day {
        let ed = world.dept("ED");
        for u in 0..n_users as u32 {
            let x = &world.users[u as usize];
            if x.home == ed || x.base_unit == ed {
                reserved[u as usize] = true;
                if sched.get(sd as i64, u).shift != Shift::Off && sched.get(sd as i64, u).unit == ed {
                    let s = w0 + sd as i64 * DAY;
                    rows.push(LookalikeRow {
                        scenario: "ed_surge",
                        user: u,
                        patient: None,
                        start: s,
                        end: s + DAY - 1,
                    });
                }
            }
        }
    }

    // HIM and billing volume.
    let mut back: Vec<u32> = (0..n_users as u32)
        .filter(|&u| {
            matches!(world.users[u as usize].role, Role::HimCoder | Role::Billing)
                && world.users[u as usize].termination_date.is_none()
        })
        .collect();
    back.shuffle(rng);
    for &u in back.iter().take(per * 2) {
        reserved[u as usize] = true;
        rows.push(LookalikeRow { scenario: "him_billing_volume", user: u, patient: None, start: w0, end: w1 - 1 });
    }

    // Research coordinators with a study list of oncology and cardiology
    // patients (some of whom have no current encounter).
    let study_depts: Vec<u16> = ["ONC", "ONCC", "CARD", "CARDC"].iter().map(|d| world.dept(d)).collect();
    let mut pool: Vec<u32> = encs.iter().filter(|e| study_depts.contains(&e.dept)).map(|e| e.patient).collect();
    pool.sort_unstable();
    pool.dedup();
    pool.retain(|&p| world.patients[p as usize].deceased.is_none());
    for u in 0..n_users as u32 {
        if world.users[u as usize].role != Role::Research || pool.is_empty() {
            continue;
        }
        let k = rng.gen_range(25..60).min(pool.len());
        let mut study: Vec<u32> = pool.choose_multiple(rng, k).copied().collect();
        study.sort_unstable();
        plan.studies.push((u, study));
        reserved[u as usize] = true;
    }

    // New hires.
    for u in 0..n_users as u32 {
        let x = &world.users[u as usize];
        if x.hire_date > world.start && x.termination_date.is_none() {
            reserved[u as usize] = true;
            let s = day_start(x.hire_date);
            rows.push(LookalikeRow { scenario: "new_hire", user: u, patient: None, start: s, end: w1 - 1 });
        }
    }

    // Float nurses and rotating residents.
    let float = world.depts_of(DeptKind::FloatPool);
    let mut floats: Vec<u32> = (0..n_users as u32).filter(|&u| float.contains(&world.users[u as usize].home)).collect();
    floats.shuffle(rng);
    for &u in floats.iter().take(per) {
        reserved[u as usize] = true;
        rows.push(LookalikeRow { scenario: "float_nurse", user: u, patient: None, start: w0, end: w1 - 1 });
    }
    let mut residents = world.users_of(Role::Resident);
    residents.shuffle(rng);
    for &u in residents.iter().take(per) {
        reserved[u as usize] = true;
        rows.push(LookalikeRow { scenario: "rotating_resident", user: u, patient: None, start: w0, end: w1 - 1 });
    }

    // Make sure a VIP is admitted during the window, so its care team exists.
    if let Some(vip) = (0..world.patients.len() as u32)
        .find(|&p| world.patients[p as usize].vip && world.patients[p as usize].deceased.is_none())
    {
        let has_stay =
            encs.iter().any(|e| e.patient == vip && e.kind == EncKind::Inpatient && e.end > w0 && e.start < w1);
        if !has_stay {
            // Give the VIP an existing in-window cardiology/medicine stay.
            let card = world.dept("CARD");
            let med = world.dept("MED");
            if let Some(e) = encs.iter_mut().find(|e| {
                e.kind == EncKind::Inpatient
                    && (e.dept == card || e.dept == med)
                    && e.start > w0 + DAY
                    && e.end < w1 - DAY
                    && !employee_patient[e.patient as usize]
            }) {
                e.patient = vip;
            }
        }
    }
    let _ = Duration::days(0);
    Lookalikes { rows, reserved }
}

/// Rows for the look-alikes seen during generation, one per (scenario,
/// user, patient) with the first and last access.
pub fn rows_from_notable(notable: &[Notable]) -> Vec<LookalikeRow> {
    let mut spans: BTreeMap<(NotableKind, u32, u32), (i64, i64)> = BTreeMap::new();
    for &(k, u, p, t) in notable {
        let s = spans.entry((k, u, p)).or_insert((t, t));
        s.0 = s.0.min(t);
        s.1 = s.1.max(t);
    }
    spans
        .into_iter()
        .map(|((k, u, p), (a, b))| LookalikeRow {
            scenario: match k {
                NotableKind::VipCare => "vip_care_team",
                NotableKind::BreakGlass => "break_glass_emergency",
                NotableKind::SameSurname => "same_surname_treating",
                NotableKind::Research => "research_coordinator",
            },
            user: u,
            patient: Some(p),
            start: a,
            end: b,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surge_day_is_mid_window() {
        assert_eq!(surge_day(30), Some(15));
        assert_eq!(surge_day(2), None);
    }

    #[test]
    fn notable_rows_span_first_to_last_access() {
        let rows = rows_from_notable(&[
            (NotableKind::VipCare, 1, 2, 50),
            (NotableKind::VipCare, 1, 2, 10),
            (NotableKind::BreakGlass, 3, 4, 7),
        ]);
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].scenario, rows[0].start, rows[0].end), ("vip_care_team", 10, 50));
        assert_eq!(rows[1].scenario, "break_glass_emergency");
    }
}
