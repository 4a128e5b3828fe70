//! `service_snoop`: someone from a service department (pharmacy,
//! laboratory, radiology, registration, HIM) opens the chart of a VIP or
//! a confidential (restricted) patient while the patient is in hospital,
//! from their own department during their own shift (often a quiet night),
//! with no task of their own for that patient: a few looks at notes and
//! demographics, and at the sensitive part if there is one. Service staff
//! open charts all over the hospital every day, so "not my unit" alone does
//! not give them away; the target and what is read do.

use rand::seq::SliceRandom;

use crate::simulate::encounters::EncKind;
use crate::simulate::event::{Category, DAY};
use crate::simulate::planner::{Planner, Rows};
use crate::simulate::world::Role;

/// The scenario's name in labels.csv.
pub(crate) const NAME: &str = "service_snoop";

/// Places one incident; `None` when the world has no candidate.
pub(crate) fn place(pl: &mut Planner) -> Option<Rows> {
    let w0 = pl.w0();
    let days = pl.world.days as i64;
    let w1 = w0 + days * DAY;
    let mut stays: Vec<(u32, u32)> = Vec::new();
    for (p, pat) in pl.world.patients.iter().enumerate() {
        if !(pat.vip || pat.restricted) || pat.deceased.is_some() || pl.used_patient[p] {
            continue;
        }
        for &e in &pl.by_patient[p] {
            let enc = &pl.encs[e as usize];
            if enc.kind == EncKind::Inpatient
                && enc.exported
                && enc.end > w0 + (days / 4) * DAY + 3 * 3600
                && enc.start < w1
            {
                stays.push((p as u32, e));
            }
        }
    }
    stays.shuffle(pl.rng);
    // A VIP in hospital draws the curious first.
    stays.sort_by_key(|&(p, _)| !pl.world.patients[p as usize].vip);
    let mut staff: Vec<u32> = (0..pl.world.users.len() as u32)
        .filter(|&u| {
            matches!(
                pl.world.users[u as usize].role,
                Role::Pharmacist | Role::LabTech | Role::RadiologyTech | Role::Registration | Role::HimCoder
            ) && !pl.used[u as usize]
                && pl.employed(u)
        })
        .collect();
    staff.shuffle(pl.rng);
    for (p, e) in stays.into_iter().take(40) {
        let (start, end, dept, provider) = {
            let enc = &pl.encs[e as usize];
            (enc.start, enc.end, enc.dept, enc.provider)
        };
        let sens = pl.world.patients[p as usize].sensitive;
        for &u in staff.iter().take(30) {
            if pl.used[u as usize] || provider == u || pl.own_or_kin(u, p) || pl.units_of(u).contains(&dept) {
                continue;
            }
            // Shifts that overlap the stay, with ten minutes to spare, on a
            // unit that has no care of its own for the patient then (a
            // clinic visit of the patient at the clerk's own desk that day
            // would be a task after all).
            let linked = |unit: u16, lo: i64, hi: i64| {
                pl.by_patient[p as usize].iter().any(|&e| {
                    let x = &pl.encs[e as usize];
                    x.dept == unit && x.start - DAY <= hi && x.end + 30 * DAY >= lo
                })
            };
            let fits: Vec<(u16, i64, i64)> = pl
                .work_windows(u)
                .into_iter()
                .filter_map(|(_, (unit, a, b))| {
                    let (lo, hi) = (a.max(start + 600), b.min(end - 600));
                    (hi - lo > 600 && !linked(unit, lo, hi)).then_some((unit, lo, hi))
                })
                .collect();
            if fits.is_empty() {
                continue;
            }
            let mut cats = vec![Category::Notes, Category::Demographics, Category::Notes];
            if sens.is_sensitive() {
                cats.extend([sens, sens]);
            }
            let (lo, hi) = pl.look_on_shifts(u, p, &fits, &cats);
            return Some(vec![(u, Some(p), lo, hi)]);
        }
    }
    None
}
