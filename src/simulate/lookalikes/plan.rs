//! Planning look-alikes: legitimate work that fools naive detectors and
//! must not be flagged, written to `lookalikes.csv` with the window in
//! which it happens, so tests and `evaluate` can check none is flagged.
//!
//! The clean world's look-alikes are planned before the days are generated
//! (they change the plan or the world: forced patients, study lists, a VIP
//! stay); some of their rows come from what the day generator saw
//! ([`rows_from_notable`]). The real world's are planned after the clean
//! incidents with the incident planner's helpers and written as care rows.
//!
//! Invariants: look-alikes run in registry order, each from the RNG stream
//! handed in, so the bytes of a bundle follow from the registry's order;
//! their users are reserved, so no incident uses them.

use std::collections::BTreeMap;

use rand_xoshiro::Xoshiro256PlusPlus;

use super::{break_glass_emergency, research_coordinator, same_surname_treating, vip_care_team};
use crate::simulate::care::{Notable, NotableKind, Plan};
use crate::simulate::encounters::Encounter;
use crate::simulate::event::{day_start, Event, DAY};
use crate::simulate::params::Realism;
use crate::simulate::planner::{Planner, Rows, Setting};
use crate::simulate::registry::{self, Place};
use crate::simulate::schedule::Schedule;
use crate::simulate::world::World;

/// One row of lookalikes.csv.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct LookalikeRow {
    /// Scenario name.
    pub scenario: &'static str,
    /// User index.
    pub user: u32,
    /// Patient index, or `None` for the user's work as a whole.
    pub patient: Option<u32>,
    /// Window start, local seconds.
    pub start: i64,
    /// Window end, local seconds.
    pub end: i64,
}

/// Planned look-alikes: plan inputs, rows known in advance, and the users
/// that incidents must not use.
pub struct Lookalikes {
    /// Rows known before generation (user-level scenarios).
    pub rows: Vec<LookalikeRow>,
    /// Users whose whole activity is a look-alike.
    pub reserved: Vec<bool>,
}

/// What a clean-world look-alike plans with: the world before incidents,
/// the encounters (which it may change), and the plan for the days.
pub struct Setup<'a> {
    /// RNG stream of the clean look-alikes.
    pub rng: &'a mut Xoshiro256PlusPlus,
    /// The world (patients may be renamed).
    pub world: &'a mut World,
    /// Encounters (a provider or patient may be set).
    pub encs: &'a mut [Encounter],
    /// The schedule.
    pub sched: &'a Schedule,
    /// The plan for the days (forced patients, study lists).
    pub plan: &'a mut Plan,
    /// Look-alikes per scenario (at least one).
    pub per: usize,
    /// Users whose whole activity is a look-alike.
    pub reserved: Vec<bool>,
    /// Local midnight of the first day.
    pub w0: i64,
    /// Local midnight after the last day.
    pub w1: i64,
}

/// Picks the ED surge day: the middle of the window.
pub fn surge_day(days: u32) -> Option<u32> {
    (days >= 3).then_some(days / 2)
}

/// Plans the clean world's look-alikes; fills `plan.forced` and
/// `plan.studies`, may rename patients and set encounter providers.
pub fn plan(
    rng: &mut Xoshiro256PlusPlus,
    world: &mut World,
    encs: &mut [Encounter],
    sched: &Schedule,
    plan: &mut Plan,
    per_scenario: usize,
) -> Lookalikes {
    let n_users = world.users.len();
    let w0 = day_start(world.start);
    let w1 = w0 + world.days as i64 * DAY;
    plan.forced = vec![Vec::new(); n_users];
    let mut set =
        Setup { rng, world, encs, sched, plan, per: per_scenario.max(1), reserved: vec![false; n_users], w0, w1 };
    let mut rows = Vec::new();
    for scenario in registry::added_by(false, Realism::Clean) {
        if let Place::Ahead(place) = scenario.place {
            rows.extend(labelled(scenario.name, place(&mut set)));
        }
    }
    Lookalikes { rows, reserved: set.reserved }
}

/// Planned real-world look-alikes.
pub struct RealLookalikes {
    /// lookalikes.csv rows.
    pub rows: Vec<LookalikeRow>,
    /// Care rows per day (tag 0), added to the day's generated rows.
    pub extra: Vec<Vec<Event>>,
    /// Users who appear in a row: incidents must not use them.
    pub reserved: Vec<bool>,
}

/// Plans `per` look-alikes of each real-world scenario (fewer when the
/// world has no candidate). Users in `avoid` (incident actors) take no part.
pub(crate) fn plan_real(
    rng: &mut Xoshiro256PlusPlus,
    world: &mut World,
    at: Setting,
    avoid: Vec<bool>,
    per: usize,
) -> RealLookalikes {
    let n_users = world.users.len();
    let mut pl = Planner::new(rng, world, at, avoid);
    let mut rows = Vec::new();
    for scenario in registry::added_by(false, Realism::Real) {
        if let Place::Care(place) = scenario.place {
            rows.extend(labelled(scenario.name, place(&mut pl, per)));
        }
    }
    let mut reserved = vec![false; n_users];
    for r in &rows {
        reserved[r.user as usize] = true;
    }
    let mut extra = pl.extra;
    for e in extra.iter_mut().flatten() {
        e.tag = 0;
    }
    RealLookalikes { rows, extra, reserved }
}

/// lookalikes.csv rows of scenario `name`.
fn labelled(name: &'static str, rows: Rows) -> impl Iterator<Item = LookalikeRow> {
    rows.into_iter().map(move |(user, patient, start, end)| LookalikeRow { scenario: name, user, patient, start, end })
}

/// Rows for the look-alikes seen during generation, one per (scenario,
/// user, patient) with the first and last access.
pub fn rows_from_notable(notable: &[Notable]) -> Vec<LookalikeRow> {
    let mut spans: BTreeMap<(NotableKind, u32, u32), (i64, i64)> = BTreeMap::new();
    for &(k, u, p, t) in notable {
        let s = spans.entry((k, u, p)).or_insert((t, t));
        s.0 = s.0.min(t);
        s.1 = s.1.max(t);
    }
    spans
        .into_iter()
        .map(|((k, u, p), (a, b))| LookalikeRow {
            scenario: match k {
                NotableKind::VipCare => vip_care_team::NAME,
                NotableKind::BreakGlass => break_glass_emergency::NAME,
                NotableKind::SameSurname => same_surname_treating::NAME,
                NotableKind::Research => research_coordinator::NAME,
            },
            user: u,
            patient: Some(p),
            start: a,
            end: b,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surge_day_is_mid_window() {
        assert_eq!(surge_day(30), Some(15));
        assert_eq!(surge_day(2), None);
    }

    #[test]
    fn notable_rows_span_first_to_last_access() {
        let rows = rows_from_notable(&[
            (NotableKind::VipCare, 1, 2, 50),
            (NotableKind::VipCare, 1, 2, 10),
            (NotableKind::BreakGlass, 3, 4, 7),
        ]);
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].scenario, rows[0].start, rows[0].end), ("vip_care_team", 10, 50));
        assert_eq!(rows[1].scenario, "break_glass_emergency");
    }
}
