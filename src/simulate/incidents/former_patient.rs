//! `former_patient`: a unit nurse opens the chart of a patient the unit
//! cared for and discharged more than 60 days ago ("how is she doing?"),
//! who has had no care since. The department link is real but stale, so a
//! detector that accepts any encounter in the user's unit, however old,
//! explains it away.

use rand::seq::SliceRandom;

use crate::simulate::encounters::EncKind;
use crate::simulate::event::{Category, DAY};
use crate::simulate::planner::{Planner, Rows};
use crate::simulate::world::{DeptKind, Role};

/// The scenario's name in labels.csv.
pub(crate) const NAME: &str = "former_patient";

/// Places one incident; `None` when the world has no candidate.
pub(crate) fn place(pl: &mut Planner) -> Option<Rows> {
    let w0 = pl.w0();
    let nurses = pl.actors(|w, u| {
        let x = &w.users[u as usize];
        x.role == Role::Nurse && w.depts[x.home as usize].kind == DeptKind::Inpatient
    });
    for u in nurses.into_iter().take(40) {
        let home = pl.world.users[u as usize].home;
        let mut wins = pl.work_windows(u);
        wins.sort_by_key(|w| std::cmp::Reverse(w.0));
        let Some(&(_, (_, _, last_b))) = wins.first() else { continue };
        // The unit's stays that ended before the window and more than 61
        // days before the nurse's last shift, each the patient's last care.
        let mut former: Vec<(u32, i64)> = pl
            .encs
            .iter()
            .filter(|e| {
                e.kind == EncKind::Inpatient && e.dept == home && e.exported && e.end < w0 && e.end + 61 * DAY < last_b
            })
            .map(|e| (e.patient, e.end))
            .collect();
        former.shuffle(pl.rng);
        for (p, end) in former.into_iter().take(60) {
            let pat = &pl.world.patients[p as usize];
            if pl.used_patient[p as usize]
                || pat.deceased.is_some()
                || pat.vip
                || pl.own_or_kin(u, p)
                || pl.by_patient[p as usize].iter().any(|&x| pl.encs[x as usize].end > end)
            {
                continue;
            }
            let fits: Vec<(u16, i64, i64)> = wins
                .iter()
                .filter_map(|&(_, (unit, a, b))| {
                    let lo = a.max(end + 61 * DAY);
                    (b - lo > 600).then_some((unit, lo, b))
                })
                .collect();
            let cats = [Category::Notes, Category::Results, Category::Demographics];
            let (lo, hi) = pl.look_on_shifts(u, p, &fits, &cats);
            if lo <= hi {
                return Some(vec![(u, Some(p), lo, hi)]);
            }
        }
    }
    None
}
