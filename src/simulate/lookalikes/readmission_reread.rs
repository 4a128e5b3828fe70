//! `readmission_reread`: a patient is readmitted to a unit that discharged
//! them two to 150 days earlier, and one or two of the unit's nurses or
//! physicians on shift during the new stay read the earlier stay's notes,
//! results and imaging. The patient is in their unit, so care explains it;
//! a detector that looks at which stay's documents were read, or at a
//! returning patient, must not flag it. One row per (user, patient).

use rand::seq::SliceRandom;
use rand::Rng;

use crate::simulate::encounters::EncKind;
use crate::simulate::event::{Action, Category, DAY};
use crate::simulate::planner::{Planner, Rows};
use crate::simulate::world::Role;

/// The look-alike's name in lookalikes.csv.
pub(crate) const NAME: &str = "readmission_reread";

/// Plans up to `per` of them; the rows (user, patient or `None`, first and last access).
pub(crate) fn plan(pl: &mut Planner, per: usize) -> Rows {
    let w0 = pl.w0();
    let w1 = w0 + pl.world.days as i64 * DAY;
    let mut employee = vec![false; pl.world.patients.len()];
    for u in &pl.world.users {
        if let Some(p) = u.patient {
            employee[p as usize] = true;
        }
    }
    let mut cands: Vec<(u32, u32)> = Vec::new();
    for (p, list) in pl.by_patient.iter().enumerate() {
        let pat = &pl.world.patients[p];
        if pat.vip || pat.deceased.is_some() || employee[p] {
            continue;
        }
        for (j, &e) in list.iter().enumerate() {
            let enc = &pl.encs[e as usize];
            if enc.kind != EncKind::Inpatient || !enc.exported || enc.start < w0 || enc.start >= w1 - DAY {
                continue;
            }
            let before = list[..j].iter().any(|&o| {
                let x = &pl.encs[o as usize];
                x.kind == EncKind::Inpatient
                    && x.dept == enc.dept
                    && x.exported
                    && x.end < enc.start - 2 * DAY
                    && x.end > enc.start - 150 * DAY
            });
            if before {
                cands.push((p as u32, e));
            }
        }
    }
    cands.shuffle(pl.rng);
    let mut rows = Vec::new();
    let mut done = 0;
    for (p, e) in cands {
        if done >= per {
            break;
        }
        let (start, end, dept) = {
            let enc = &pl.encs[e as usize];
            (enc.start, enc.end, enc.dept)
        };
        let mut staff: Vec<(u32, (u16, i64, i64))> = Vec::new();
        for u in 0..pl.world.users.len() as u32 {
            let role = pl.world.users[u as usize].role;
            if !matches!(role, Role::Nurse | Role::Physician | Role::Resident) || pl.used[u as usize] {
                continue;
            }
            let fit = pl.shift_windows(u, 0).into_iter().find_map(|(_, (unit, a, b))| {
                let (lo, hi) = (a.max(start + 1800), b.min(end - 900));
                (unit == dept && hi - lo > 900).then_some((unit, lo, hi))
            });
            if let Some(f) = fit {
                staff.push((u, f));
            }
        }
        if staff.is_empty() {
            continue;
        }
        staff.shuffle(pl.rng);
        let k = pl.rng.gen_range(1..3).min(staff.len());
        for &(u, (unit, a, b)) in &staff[..k] {
            let ws = pl.ws_for(u, unit);
            let t = pl.rng.gen_range(a..b);
            let n = pl.rng.gen_range(3..7);
            let cats = [Category::Notes, Category::Results, Category::Notes, Category::Imaging];
            let (f, l) = pl.peek(u, p, unit, ws, t, n, &cats, Action::View);
            pl.used[u as usize] = true;
            rows.push((u, Some(p), f, l));
        }
        done += 1;
    }
    rows
}
