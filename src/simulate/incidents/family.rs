//! `family`: an employee opens the chart of a relative the data can show
//! (same household, or the employee listed as the patient's contact), on
//! one to three shifts, preferably while the relative is in hospital in
//! another unit: the worried spouse or parent reading notes and results
//! they have no part in.

use rand::seq::SliceRandom;
use rand::Rng;

use crate::simulate::encounters::EncKind;
use crate::simulate::event::DAY;
use crate::simulate::planner::{Planner, Rows, CLINICAL};

/// The scenario's name in labels.csv.
pub(crate) const NAME: &str = "family";

/// Places one incident; `None` when the world has no candidate.
pub(crate) fn place(pl: &mut Planner) -> Option<Rows> {
    snoop_on_kin(pl, true)
}

/// A look at the chart of someone the employee knows: a relative the data
/// can show when `relative`, else a friend who lists the employee as a
/// contact (the `contact` scenario). Kin in hospital right now come first.
pub(crate) fn snoop_on_kin(pl: &mut Planner, relative: bool) -> Option<Rows> {
    let mut kin = pl.world.kin.clone();
    kin.shuffle(pl.rng);
    // Prefer a relative who is in hospital right now (in another unit).
    let w0 = pl.w0();
    let w1 = w0 + pl.world.days as i64 * DAY;
    kin.sort_by_key(|k| {
        !pl.by_patient[k.patient as usize].iter().any(|&e| {
            pl.encs[e as usize].kind == EncKind::Inpatient
                && pl.encs[e as usize].end > w0
                && pl.encs[e as usize].start < w1
        })
    });
    for k in kin {
        // A family incident needs a relative the data can show: the
        // same household, or the employee listed as the patient's
        // contact. (A parent elsewhere who neither lists the employee
        // nor shares an address is invisible to any detector, and a
        // shared surname alone is weak evidence by design.)
        let ok = if relative {
            k.relative && (k.same_household || k.listed_contact)
        } else {
            k.listed_contact && !k.relative
        };
        if !ok
            || pl.used[k.user as usize]
            || pl.used_patient[k.patient as usize]
            || !pl.is_actor_role(k.user)
            || pl.linked(k.user, k.patient)
        {
            continue;
        }
        let v = pl.rng.gen_range(1..4);
        let Some((a, b)) = pl.snoop(k.user, k.patient, v, CLINICAL) else { continue };
        return Some(vec![(k.user, Some(k.patient), a, b)]);
    }
    None
}
