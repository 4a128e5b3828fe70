//! `pharmacist_verification`: a pharmacist on two to four shifts verifies
//! the medication orders of 30 to 70 inpatients on every unit (views of
//! medications and orders, an update when an order is verified), from the
//! pharmacy's or their unit's workstation. Many patients a day, no
//! encounter with the pharmacist as provider, none in the pharmacy: only
//! role and timing (during the stay) explain it. One row per pharmacist.

use rand::seq::SliceRandom;
use rand::Rng;

use crate::simulate::encounters::EncKind;
use crate::simulate::event::{Action, Category};
use crate::simulate::planner::{Planner, Rows};
use crate::simulate::world::Role;

/// The look-alike's name in lookalikes.csv.
pub(crate) const NAME: &str = "pharmacist_verification";

/// Plans up to `per` of them; the rows (user, patient or `None`, first and last access).
pub(crate) fn plan(pl: &mut Planner, per: usize) -> Rows {
    let mut pharmacists: Vec<u32> = (0..pl.world.users.len() as u32)
        .filter(|&u| pl.world.users[u as usize].role == Role::Pharmacist && !pl.used[u as usize] && pl.employed(u))
        .collect();
    pharmacists.shuffle(pl.rng);
    let mut rows = Vec::new();
    for u in pharmacists {
        if rows.len() >= per {
            break;
        }
        let mut wins = pl.shift_windows(u, 0);
        wins.shuffle(pl.rng);
        let n_shifts = pl.rng.gen_range(2..5).min(wins.len());
        let (mut lo, mut hi) = (i64::MAX, i64::MIN);
        for &(_, (unit, a, b)) in wins.iter().take(n_shifts) {
            let mut here: Vec<(u32, i64, i64)> = pl
                .encs
                .iter()
                .filter(|e| e.kind == EncKind::Inpatient && e.start < b - 600 && e.end > a + 600)
                .map(|e| (e.patient, e.start.max(a), e.end.min(b)))
                .collect();
            here.shuffle(pl.rng);
            let k = pl.rng.gen_range(30..71).min(here.len());
            let ws = pl.ws_for(u, unit);
            for &(p, s, e) in &here[..k] {
                if e <= s {
                    continue;
                }
                let t = pl.rng.gen_range(s..e);
                pl.care_row(t, u, p, ws, unit, Action::View, Category::Medications);
                let mut last = t;
                if pl.rng.gen_bool(0.5) {
                    last += pl.rng.gen_range(5..60);
                    pl.care_row(last, u, p, ws, unit, Action::View, Category::Orders);
                }
                if pl.rng.gen_bool(0.25) {
                    last += pl.rng.gen_range(5..60);
                    pl.care_row(last, u, p, ws, unit, Action::Update, Category::Medications);
                }
                lo = lo.min(t);
                hi = hi.max(last);
            }
        }
        if lo <= hi {
            pl.used[u as usize] = true;
            rows.push((u, None, lo, hi));
        }
    }
    rows
}
