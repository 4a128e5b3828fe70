//! `same_surname_treating`: a nurse or attending on an inpatient unit
//! cares for an unrelated patient who happens to share their surname (the
//! patient is renamed to make it so, and an attending becomes the stay's
//! provider). A naive family rule flags the shared surname; the care is
//! real. Planned here (the pair is forced into the clinician's patient
//! list); the rows are written when care opens the chart, so the
//! lookalikes.csv row comes from what the day generator saw.

use rand::seq::SliceRandom;

use super::plan::Setup;
use crate::simulate::encounters::EncKind;
use crate::simulate::event::DAY;
use crate::simulate::planner::Rows;
use crate::simulate::schedule::Shift;
use crate::simulate::world::{DeptKind, Role};

/// The look-alike's name in lookalikes.csv.
pub(crate) const NAME: &str = "same_surname_treating";

/// Forces up to `per` same-surname pairs into clinicians' patient lists.
pub(crate) fn plan(set: &mut Setup) -> Rows {
    let (rng, world, encs, sched, plan) = (&mut *set.rng, &mut *set.world, &mut *set.encs, set.sched, &mut *set.plan);
    let (per, w0, w1, n_users) = (set.per, set.w0, set.w1, world.users.len());
    let reserved = &mut set.reserved;
    let employee_patient = employee_patients(world);
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
    Vec::new()
}

/// Per patient: whether the patient is also an employee.
pub(crate) fn employee_patients(world: &crate::simulate::world::World) -> Vec<bool> {
    let mut v = vec![false; world.patients.len()];
    for u in &world.users {
        if let Some(p) = u.patient {
            v[p as usize] = true;
        }
    }
    v
}
