//! `research_snoop`: a research coordinator, who opens study patients all
//! day with no encounter of their own, opens a few patients who are not on
//! any study list of theirs (a VIP, a neighbour, someone at random), each
//! once, during office hours. The study work is the `research_coordinator`
//! look-alike; these few charts are the incident.

use rand::seq::SliceRandom;
use rand::Rng;

use crate::simulate::event::{Action, Category};
use crate::simulate::planner::{Planner, Rows};
use crate::simulate::world::Role;

/// The scenario's name in labels.csv.
pub(crate) const NAME: &str = "research_snoop";

/// Places one incident; `None` when the world has no candidate.
pub(crate) fn place(pl: &mut Planner) -> Option<Rows> {
    let studies = pl.studies;
    let mut coordinators: Vec<u32> = (0..pl.world.users.len() as u32)
        .filter(|&u| pl.world.users[u as usize].role == Role::Research && !pl.acted[u as usize] && pl.employed(u))
        .collect();
    coordinators.shuffle(pl.rng);
    for u in coordinators {
        let study: &[u32] = studies.iter().find(|(x, _)| *x == u).map(|(_, s)| s.as_slice()).unwrap_or(&[]);
        let wins = pl.work_windows(u);
        let k = pl.rng.gen_range(3..7).min(wins.len());
        if k < 2 {
            continue;
        }
        let ok = |pl: &Planner, p: u32, chosen: &[u32]| {
            let pat = &pl.world.patients[p as usize];
            pat.deceased.is_none()
                && !pl.used_patient[p as usize]
                && !study.contains(&p)
                && !chosen.contains(&p)
                && !pl.own_or_kin(u, p)
        };
        let mut targets: Vec<u32> = Vec::new();
        // A VIP now and then.
        if pl.rng.gen_bool(0.7) {
            let vips: Vec<u32> = (0..pl.world.patients.len() as u32)
                .filter(|&p| pl.world.patients[p as usize].vip && ok(pl, p, &targets))
                .collect();
            if let Some(&p) = vips.choose(pl.rng) {
                targets.push(p);
            }
        }
        // The nearest neighbour within 300 m.
        if pl.rng.gen_bool(0.7) {
            let h = pl.world.users[u as usize].household;
            let mut best: Option<(f64, u32)> = None;
            for p in 0..pl.world.patients.len() as u32 {
                if pl.world.patients[p as usize].household == h || !ok(pl, p, &targets) {
                    continue;
                }
                let d = pl.world.distance_m(h, pl.world.patients[p as usize].household);
                if d < 300.0 && best.map(|b| d < b.0).unwrap_or(true) {
                    best = Some((d, p));
                }
            }
            if let Some((_, p)) = best {
                targets.push(p);
            }
        }
        let more = k.saturating_sub(targets.len());
        for p in pl.unrelated_patients(u, more + 4, true) {
            if targets.len() < k && ok(pl, p, &targets) {
                targets.push(p);
            }
        }
        if targets.len() < 2 {
            continue;
        }
        let mut rows = Vec::new();
        for (i, &p) in targets.iter().enumerate() {
            let (_, (unit, a, b)) = wins[i % wins.len()];
            let ws = pl.ws_for(u, unit);
            let t = pl.rng.gen_range(a..b);
            let n = pl.rng.gen_range(1..4);
            let cats = [Category::Demographics, Category::Notes, Category::Results];
            let (f, l) = pl.peek(u, p, unit, ws, t, n, &cats, Action::View);
            rows.push((u, Some(p), f, l));
        }
        return Some(rows);
    }
    None
}
