//! Activity profiles: per role, how a burst of work on one chart splits
//! into actions and parts of the record, and how many rows it has.

use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::simulate::event::{Action, Category};

/// What one role does to a chart in one burst of work.
pub(super) struct Profile {
    /// view, create, update, print, export (per mille).
    pub(super) actions: [u16; 5],
    /// demographics, notes, results, medications, imaging, orders, billing.
    pub(super) cats: [u16; 7],
    /// Rows per burst (inclusive range).
    pub(super) len: (u32, u32),
}

/// Unit and clinic nurses.
pub(super) const NURSE: Profile =
    Profile { actions: [700, 90, 198, 12, 0], cats: [8, 22, 18, 35, 3, 12, 2], len: (3, 8) };
/// Attending physicians.
pub(super) const PHYS: Profile =
    Profile { actions: [760, 120, 90, 30, 0], cats: [4, 32, 26, 10, 10, 18, 0], len: (5, 13) };
/// Residents.
pub(super) const RESIDENT: Profile =
    Profile { actions: [740, 140, 100, 20, 0], cats: [4, 32, 26, 10, 10, 18, 0], len: (6, 13) };
/// Pharmacists.
pub(super) const PHARM: Profile =
    Profile { actions: [720, 40, 240, 0, 0], cats: [2, 4, 14, 62, 0, 18, 0], len: (3, 7) };
/// Laboratory technicians.
pub(super) const LAB: Profile = Profile { actions: [450, 450, 100, 0, 0], cats: [2, 0, 78, 0, 0, 20, 0], len: (2, 5) };
/// Radiology technicians.
pub(super) const RAD: Profile = Profile { actions: [550, 300, 100, 50, 0], cats: [3, 6, 4, 0, 72, 15, 0], len: (3, 7) };
/// Registration clerks.
pub(super) const REG: Profile = Profile { actions: [620, 80, 280, 20, 0], cats: [70, 0, 0, 0, 0, 2, 28], len: (3, 7) };
/// Medical assistants.
pub(super) const MA: Profile =
    Profile { actions: [600, 100, 280, 20, 0], cats: [20, 10, 25, 35, 0, 10, 0], len: (3, 8) };
/// Case managers.
pub(super) const CM: Profile =
    Profile { actions: [780, 120, 90, 10, 0], cats: [20, 50, 10, 10, 0, 5, 5], len: (4, 10) };
/// HIM coders coding a discharged chart.
pub(super) const HIM: Profile =
    Profile { actions: [870, 20, 100, 8, 2], cats: [5, 45, 15, 8, 5, 12, 10], len: (8, 20) };
/// HIM release of information (copies for a request).
pub(super) const HIM_ROI: Profile =
    Profile { actions: [500, 0, 0, 380, 120], cats: [10, 50, 25, 5, 10, 0, 0], len: (3, 8) };
/// Billing clerks.
pub(super) const BILLING: Profile =
    Profile { actions: [800, 30, 150, 20, 0], cats: [25, 5, 2, 0, 0, 8, 60], len: (4, 10) };
/// IT staff on a ticket.
pub(super) const IT: Profile = Profile { actions: [950, 0, 50, 0, 0], cats: [50, 10, 10, 10, 0, 20, 0], len: (1, 3) };
/// Research coordinators.
pub(super) const RESEARCH: Profile =
    Profile { actions: [920, 20, 20, 40, 0], cats: [10, 30, 45, 10, 5, 0, 0], len: (2, 6) };

/// Actions in the order of [`Profile::actions`].
pub(super) const ACTIONS: [Action; 5] = [Action::View, Action::Create, Action::Update, Action::Print, Action::Export];
/// Parts of the record in the order of [`Profile::cats`].
pub(super) const CATS: [Category; 7] = [
    Category::Demographics,
    Category::Notes,
    Category::Results,
    Category::Medications,
    Category::Imaging,
    Category::Orders,
    Category::Billing,
];

/// Index drawn from weights `w` (per mille or any scale).
pub(super) fn pick<const N: usize>(rng: &mut Xoshiro256PlusPlus, w: &[u16; N]) -> usize {
    let total: u32 = w.iter().map(|&x| x as u32).sum();
    let mut x = rng.gen_range(0..total.max(1));
    for (i, &wi) in w.iter().enumerate() {
        if x < wi as u32 {
            return i;
        }
        x -= wi as u32;
    }
    0
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn profiles_draw_every_weighted_action() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let mut seen = [0u32; 5];
        for _ in 0..20_000 {
            seen[pick(&mut rng, &HIM.actions)] += 1;
        }
        // HIM coders mostly view, sometimes print, rarely export.
        assert!(seen[0] > 15_000 && seen[3] > 50 && seen[4] > 5 && seen[4] < 150, "{seen:?}");
    }
}
