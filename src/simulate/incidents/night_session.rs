//! How a night session on an account looks: a login between 01:00 and
//! 04:00 on a night the user is not working, dozens to hundreds of
//! unrelated charts opened one after another, a logout. The scenarios
//! `bulk_export_night` and `compromised_account` each say who, from where,
//! how many and how fast; this file does the placing.

use std::ops::Range;

use rand::seq::SliceRandom;
use rand::Rng;

use crate::simulate::event::{Action, Category, Event, DAY};
use crate::simulate::planner::{Planner, Rows};
use crate::simulate::schedule::Shift;
use crate::simulate::world::Role;

/// What distinguishes one night-session scenario from another.
pub(crate) struct NightSession {
    /// Back-office staff (billing, HIM, registration) may be the user too,
    /// not only clinical and front-desk staff.
    pub back_office: bool,
    /// The session comes from a device the hospital has never seen (a
    /// laptop on a foreign address) rather than the user's own workstation.
    pub outside_device: bool,
    /// How many charts are opened.
    pub charts: Range<usize>,
    /// Seconds between charts.
    pub gap: Range<i64>,
    /// Rows per chart.
    pub rows: u32,
    /// Machine pace: no searches, a few seconds between rows (a script).
    pub scripted: bool,
    /// Share of charts that end in an export (the rest in a view); `None`:
    /// every chart is exported.
    pub export_share: Option<f64>,
}

/// Places one incident of the kind `how` describes; `None` when no user
/// has a free night and enough unrelated charts. The label is about the
/// user as a whole (empty patient).
pub(crate) fn place_session(pl: &mut Planner, how: &NightSession) -> Option<Rows> {
    let mut cands = pl.actors(|w, u| {
        matches!(w.users[u as usize].role, Role::Registration | Role::Nurse | Role::Physician | Role::MedicalAssistant)
    });
    if how.back_office {
        let extra: Vec<u32> = (0..pl.world.users.len() as u32)
            .filter(|&u| {
                !pl.used[u as usize]
                    && matches!(pl.world.users[u as usize].role, Role::Billing | Role::HimCoder | Role::Registration)
                    && pl.world.users[u as usize].termination_date.is_none()
            })
            .collect();
        cands.splice(0..0, extra);
        cands.shuffle(pl.rng);
    }
    let w0 = pl.w0();
    let days = pl.world.days as i64;
    for u in cands {
        // A night the user is not working (no shift today or crossing midnight).
        let from = (days / 4).max(1).min(days - 1);
        let mut nights: Vec<i64> = (from..days)
            .filter(|&d| {
                let prev = pl.sched.get(d - 1, u).shift;
                pl.sched.get(d, u).shift != Shift::Night12
                    && pl.sched.get(d, u).shift != Shift::Graveyard
                    && !matches!(prev, Shift::Night12 | Shift::Graveyard)
            })
            .collect();
        nights.shuffle(pl.rng);
        let Some(&d) = nights.first() else { continue };
        let unit = pl.world.users[u as usize].base_unit;
        let ws = if how.outside_device {
            let n = pl.world.ws_names.len();
            let name = format!("LAPTOP-{:04X}", (n * 7919 + 4242) % 65536);
            let ip =
                format!("185.{}.{}.{}", pl.rng.gen_range(100..220), pl.rng.gen_range(0..255), pl.rng.gen_range(2..250));
            pl.world.add_ws(name, ip)
        } else {
            pl.ws_for(u, unit)
        };
        let k = pl.rng.gen_range(how.charts.clone());
        let ps = pl.unrelated_patients(u, k, false);
        if ps.len() < 20 {
            continue;
        }
        let mut t = w0 + d * DAY + pl.rng.gen_range(3600..4 * 3600);
        pl.fast = how.scripted;
        pl.emit(Event {
            ts: t,
            user: u,
            patient: u32::MAX,
            ws,
            dept: unit,
            action: Action::Login,
            cat: Category::Unspecified,
            break_glass: false,
            reason: 0,
            tag: 1,
        });
        let lo = t;
        for p in ps {
            t += pl.rng.gen_range(how.gap.clone());
            let last = match how.export_share {
                Some(share) if !pl.rng.gen_bool(share) => Action::View,
                _ => Action::Export,
            };
            let cats = [Category::Demographics, Category::Billing, Category::Notes, Category::Results];
            let (_, l) = pl.peek(u, p, unit, ws, t, how.rows, &cats, last);
            t = l;
        }
        pl.fast = false;
        pl.emit(Event {
            ts: t + 30,
            user: u,
            patient: u32::MAX,
            ws,
            dept: unit,
            action: Action::Logout,
            cat: Category::Unspecified,
            break_glass: false,
            reason: 0,
            tag: 1,
        });
        return Some(vec![(u, None, lo, t + 30)]);
    }
    None
}
