//! Placing incidents: `count` of them spread round-robin over the
//! registry's incident scenarios for one realism mode, each labelled in
//! labels.csv.
//!
//! Invariants: nobody who is reserved (a look-alike) or has acted in an
//! earlier incident acts again, and no patient is the target of two
//! incidents; scenarios are tried in registry order, so the RNG draws, and
//! the bytes of a bundle, follow from the registry's order.

use rand_xoshiro::Xoshiro256PlusPlus;

use crate::simulate::event::Event;
use crate::simulate::params::Realism;
use crate::simulate::planner::{Planner, Setting};
use crate::simulate::registry::{self, Place};
use crate::simulate::world::World;

/// One labels.csv row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelRow {
    /// Incident id.
    pub incident: String,
    /// Scenario name.
    pub scenario: &'static str,
    /// User index.
    pub user: u32,
    /// Patient index, or `None` for the user as a whole.
    pub patient: Option<u32>,
    /// First access, local seconds.
    pub start: i64,
    /// Last access, local seconds.
    pub end: i64,
}

/// Planned incidents.
pub struct Incidents {
    /// Label rows.
    pub labels: Vec<LabelRow>,
    /// Rows per day.
    pub extra: Vec<Vec<Event>>,
    /// Incidents that could not be placed (no candidate in this world).
    pub skipped: Vec<&'static str>,
}

/// What the clean world already took, for the real world's incidents.
pub struct Taken {
    /// Users that may not act: look-alikes (clean and real) and clean
    /// incident actors.
    pub reserved: Vec<bool>,
    /// Users that acted in a clean incident.
    pub actors: Vec<bool>,
    /// Patients targeted by a clean incident.
    pub patients: Vec<bool>,
}

/// Real-world incidents added for `incidents` clean ones: as many per
/// real-world scenario as the clean world has per scenario, rounded up
/// (10 for the default 28, two per scenario).
pub fn count_for(incidents: usize) -> usize {
    let clean = registry::added_by(true, Realism::Clean).count();
    let real = registry::added_by(true, Realism::Real).count();
    (incidents * real).div_ceil(clean)
}

/// Plans `count` incidents spread round-robin over the clean world's
/// scenarios. Users in `reserved` (look-alikes) are never incident actors.
pub(crate) fn plan(
    rng: &mut Xoshiro256PlusPlus,
    world: &mut World,
    at: Setting,
    reserved: &[bool],
    count: usize,
) -> Incidents {
    let mut pl = Planner::new(rng, world, at, reserved.to_vec());
    place_round_robin(&mut pl, Realism::Clean, count, 0)
}

/// Plans `count` real-world incidents spread round-robin over the
/// scenarios the real world adds, numbered after the `first_id` clean ones.
pub(crate) fn plan_real(
    rng: &mut Xoshiro256PlusPlus,
    world: &mut World,
    at: Setting,
    taken: Taken,
    count: usize,
    first_id: usize,
) -> Incidents {
    let Taken { reserved, actors, patients } = taken;
    let mut pl = Planner::new(rng, world, at, reserved);
    pl.used_patient = patients;
    pl.acted = actors;
    place_round_robin(&mut pl, Realism::Real, count, first_id)
}

/// Places `count` incidents of the scenarios `realism` adds, in turn,
/// numbered from `first_id + 1`.
fn place_round_robin(pl: &mut Planner, realism: Realism, count: usize, first_id: usize) -> Incidents {
    let scenarios: Vec<_> = registry::added_by(true, realism).collect();
    let mut labels = Vec::new();
    let mut skipped = Vec::new();
    for i in 0..count {
        let scenario = scenarios[i % scenarios.len()];
        let rows = match scenario.place {
            Place::Incident(place) => place(pl),
            _ => None,
        };
        match rows {
            Some(rows) if !rows.is_empty() => {
                let incident = format!("INC-{:03}", first_id + i + 1);
                for (user, patient, start, end) in rows {
                    pl.used[user as usize] = true;
                    pl.acted[user as usize] = true;
                    if let Some(p) = patient {
                        pl.used_patient[p as usize] = true;
                    }
                    labels.push(LabelRow {
                        incident: incident.clone(),
                        scenario: scenario.name,
                        user,
                        patient,
                        start,
                        end,
                    });
                }
            }
            _ => skipped.push(scenario.name),
        }
    }
    Incidents { labels, extra: std::mem::take(&mut pl.extra), skipped }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_incidents_are_five_fourteenths_rounded_up() {
        assert_eq!(count_for(28), 10);
        assert_eq!(count_for(14), 5);
        assert_eq!(count_for(1), 1);
        assert_eq!(count_for(0), 0);
    }
}
