//! `insider_export`: an attending exports or prints, in bulk, the charts
//! of patients they really care for (30 to 80 of their own clinic or ward
//! patients over one or two working days), as a physician does before
//! leaving for a competitor. Every chart is explained by an encounter with
//! the user as provider; only the volume and the export action are not.
//! The label is about the user as a whole (empty patient).

use rand::seq::SliceRandom;
use rand::Rng;

use crate::simulate::event::{day_start, Action, Category, DAY};
use crate::simulate::planner::{Planner, Rows};
use crate::simulate::world::{DeptKind, Role};

/// The scenario's name in labels.csv.
pub(crate) const NAME: &str = "insider_export";

/// Places one incident; `None` when the world has no candidate.
pub(crate) fn place(pl: &mut Planner) -> Option<Rows> {
    let cands = pl.actors(|w, u| {
        let x = &w.users[u as usize];
        x.role == Role::Physician && w.depts[x.home as usize].kind != DeptKind::Emergency
    });
    for u in cands.into_iter().take(40) {
        let mut wins = pl.work_windows(u);
        if wins.is_empty() {
            continue;
        }
        wins.sort_by_key(|w| w.0);
        let i = pl.rng.gen_range(0..wins.len());
        let mut days: Vec<(u16, i64, i64)> = vec![wins[i].1];
        if let Some(&(d2, w)) = wins.get(i + 1) {
            if d2 <= wins[i].0 + 3 && pl.rng.gen_bool(0.5) {
                days.push(w);
            }
        }
        let first = day_start(pl.world.start) + wins[i].0 as i64 * DAY;
        // Their own patients: encounters they provided in the last 60 days.
        let mut own: Vec<u32> = pl
            .encs
            .iter()
            .filter(|e| e.provider == u && e.exported && e.start < first && e.end > first - 60 * DAY)
            .map(|e| e.patient)
            .filter(|&p| pl.world.patients[p as usize].deceased.is_none())
            .collect();
        own.sort_unstable();
        own.dedup();
        if own.len() < 30 {
            continue;
        }
        own.shuffle(pl.rng);
        let k = pl.rng.gen_range(30..81).min(own.len());
        let per_day = k.div_ceil(days.len());
        let (mut lo, mut hi) = (i64::MAX, i64::MIN);
        pl.fast = true;
        for (chunk, &(unit, a, b)) in own[..k].chunks(per_day).zip(&days) {
            let ws = pl.ws_for(u, unit);
            let mut t = pl.rng.gen_range(a..a + ((b - a) / 2).max(1));
            for &p in chunk {
                t += pl.rng.gen_range(15..90);
                let last = if pl.rng.gen_bool(0.6) { Action::Export } else { Action::Print };
                let cats = [Category::Demographics, Category::Notes, Category::Results, Category::Medications];
                let (f, l) = pl.peek(u, p, unit, ws, t, 2, &cats, last);
                lo = lo.min(f);
                hi = hi.max(l);
                t = l;
            }
        }
        pl.fast = false;
        return (lo <= hi).then(|| vec![(u, None, lo, hi)]);
    }
    None
}
