//! How snooping on a chart the hospital marks looks (a VIP, a patient who
//! died, a sensitive or restricted record): one look by an unlinked actor
//! during a shift, a search and three to eight views. The scenarios
//! `vip`, `deceased`, `restricted` and `break_glass` each say which
//! patients are targets and what is read; this file does the placing.

use rand::seq::SliceRandom;
use rand::Rng;

use crate::simulate::event::{Action, Category, Event, DAY};
use crate::simulate::planner::{Planner, Rows};
use crate::simulate::world::Patient;

/// What distinguishes one marked-chart scenario from another.
pub(crate) struct MarkedChart {
    /// Whether a patient is a target, given local midnight of the first
    /// simulated day.
    pub target: fn(&Patient, i64) -> bool,
    /// What the snooper reads, given the patient's sensitive category.
    pub reads: fn(Category) -> Vec<Category>,
    /// Targets in hospital during the window come first.
    pub in_hospital_first: bool,
    /// The chart is opened with the emergency override first.
    pub override_first: bool,
    /// A second, shorter look on a later shift.
    pub second_look: bool,
}

/// Places one incident of the kind `how` describes; `None` when no actor
/// can reach a target.
pub(crate) fn snoop(pl: &mut Planner, how: &MarkedChart) -> Option<Rows> {
    let w0 = pl.w0();
    let mut targets: Vec<u32> = (0..pl.world.patients.len() as u32)
        .filter(|&p| !pl.used_patient[p as usize] && (how.target)(&pl.world.patients[p as usize], w0))
        .collect();
    targets.shuffle(pl.rng);
    if how.in_hospital_first {
        let w1 = w0 + pl.world.days as i64 * DAY;
        targets.sort_by_key(|&p| {
            !pl.by_patient[p as usize].iter().any(|&e| pl.encs[e as usize].end > w0 && pl.encs[e as usize].start < w1)
        });
    }
    for p in targets.into_iter().take(30) {
        let sens = pl.world.patients[p as usize].sensitive;
        for u in pl.actors(|_, _| true).into_iter().take(15) {
            if pl.linked(u, p) {
                continue;
            }
            let cats = (how.reads)(sens);
            let wins = pl.work_windows(u);
            let Some(&(_, (unit, a, b))) = wins.first() else { continue };
            let ws = pl.ws_for(u, unit);
            let t = pl.rng.gen_range(a..b);
            let mut first = t;
            if how.override_first {
                let reason = [3u8, 4, 1][pl.rng.gen_range(0..3)];
                pl.emit(Event {
                    ts: t,
                    user: u,
                    patient: p,
                    ws,
                    dept: unit,
                    action: Action::View,
                    cat: Category::Demographics,
                    break_glass: true,
                    reason,
                    tag: 1,
                });
                first = t;
            }
            let n = pl.rng.gen_range(3..9);
            let (f, mut last) = pl.peek(u, p, unit, ws, t + 20, n, &cats, Action::View);
            if !how.override_first {
                first = f;
            }
            if how.second_look {
                if let Some(&(_, (unit2, a2, b2))) = wins.get(1) {
                    let t2 = pl.rng.gen_range(a2..b2);
                    let ws2 = pl.ws_for(u, unit2);
                    let (f2, l2) = pl.peek(u, p, unit2, ws2, t2, 3, &cats, Action::View);
                    first = first.min(f2);
                    last = last.max(l2);
                }
            }
            return Some(vec![(u, Some(p), first.min(last), first.max(last))]);
        }
    }
    None
}

/// What a snooper of a sensitive or restricted chart reads: the sensitive
/// part when there is one (the point of such snooping), else behavioural
/// health, notes and demographics.
pub(crate) fn sensitive_reads(sens: Category) -> Vec<Category> {
    if sens.is_sensitive() {
        vec![sens, sens, sens, Category::Notes]
    } else {
        vec![Category::BehavioralHealth, Category::Notes, Category::Demographics]
    }
}
