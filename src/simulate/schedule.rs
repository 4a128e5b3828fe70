//! Who works when and where: 12-hour nursing shifts (days and nights, three a
//! week), physicians' rounds and nocturnist blocks, 8-hour service shifts
//! around the clock, office hours for clinics and back office, lighter
//! weekends, residents rotating every two weeks and float nurses sent to a
//! different unit each shift. Nobody works before hire or after termination.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::world::{DeptKind, Role, World};

/// A shift pattern; times are local.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shift {
    /// Not working.
    Off,
    /// 07:00-19:00.
    Day12,
    /// 19:00-07:00 next day.
    Night12,
    /// 08:00-17:00.
    Office,
    /// 07:00-15:30.
    Early,
    /// 15:00-23:30.
    Late,
    /// 23:00-07:30 next day.
    Graveyard,
    /// 07:00-18:00 (physician rounds and afternoon work).
    Rounds,
}

impl Shift {
    /// Start (seconds after midnight) and length in seconds.
    pub fn span(self) -> (i64, i64) {
        const H: i64 = 3600;
        match self {
            Shift::Off => (0, 0),
            Shift::Day12 => (7 * H, 12 * H),
            Shift::Night12 => (19 * H, 12 * H),
            Shift::Office => (8 * H, 9 * H),
            Shift::Early => (7 * H, 8 * H + H / 2),
            Shift::Late => (15 * H, 8 * H + H / 2),
            Shift::Graveyard => (23 * H, 8 * H + H / 2),
            Shift::Rounds => (7 * H, 11 * H),
        }
    }
}

/// One user's assignment for one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    /// Shift starting that day.
    pub shift: Shift,
    /// Department the user works in during it.
    pub unit: u16,
}

/// Assignments for days -1..days (day -1 feeds the night shift that ends on
/// the morning of day 0).
#[derive(Debug, Clone)]
pub struct Schedule {
    n_users: usize,
    slots: Vec<Slot>,
}

impl Schedule {
    /// The slot of `user` for the shift starting on `day` (may be -1).
    pub fn get(&self, day: i64, user: u32) -> Slot {
        let i = (day + 1) as usize * self.n_users + user as usize;
        self.slots.get(i).copied().unwrap_or(Slot { shift: Shift::Off, unit: 0 })
    }
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Builds the schedule. `surge_day` is the ED surge day, when extra ED staff
/// are called in.
pub fn build(rng: &mut Xoshiro256PlusPlus, world: &World, surge_day: Option<u32>) -> Schedule {
    let n_users = world.users.len();
    let days = world.days as i64;
    let inpatient = world.depts_of(DeptKind::Inpatient);
    let inpatient_w: Vec<f64> = inpatient.iter().map(|&d| world.depts[d as usize].weight).collect();
    let rotations: Vec<u16> = ["MED", "SURG", "CARD", "ONC", "NEURO", "ICU", "PEDS", "ED", "OB", "ORTHO"]
        .iter()
        .map(|id| world.dept(id))
        .collect();
    // Per-user fixed traits: nocturnist block phase, resident rotation plan.
    let phase: Vec<i64> = (0..n_users).map(|_| rng.gen_range(0..14)).collect();
    let n_blocks = (days as usize + 1) / 14 + 2;
    let rotation_plan: Vec<Vec<u16>> = world
        .users
        .iter()
        .map(|u| {
            (0..n_blocks)
                .map(|b| {
                    if u.role == Role::Resident && b % 3 != 0 {
                        rotations[rng.gen_range(0..rotations.len())]
                    } else {
                        u.home
                    }
                })
                .collect()
        })
        .collect();

    let mut slots = Vec::with_capacity((days as usize + 1) * n_users);
    for day in -1..days {
        let date = world.start + Duration::days(day);
        let we = is_weekend(date);
        let surge = surge_day.map(|s| s as i64 == day).unwrap_or(false);
        for (ui, u) in world.users.iter().enumerate() {
            let employed = date >= u.hire_date && u.termination_date.map(|t| date <= t).unwrap_or(true);
            let kind = world.depts[u.home as usize].kind;
            let base_kind = world.depts[u.base_unit as usize].kind;
            let mut unit = u.base_unit;
            let p: f64;
            let mut shift;
            let pick8 = |rng: &mut Xoshiro256PlusPlus, nights: bool| {
                if nights {
                    Shift::Graveyard
                } else if rng.gen_bool(0.65) {
                    Shift::Early
                } else {
                    Shift::Late
                }
            };
            match u.role {
                Role::Nurse if kind == DeptKind::Clinic => {
                    p = if we { 0.0 } else { 0.92 };
                    shift = Shift::Office;
                }
                Role::Nurse => {
                    p = if surge && kind == DeptKind::Emergency {
                        0.75
                    } else if we {
                        0.38
                    } else {
                        0.44
                    };
                    let night = u.nights != rng.gen_bool(0.08);
                    shift = if night { Shift::Night12 } else { Shift::Day12 };
                    if kind == DeptKind::FloatPool && !inpatient.is_empty() {
                        unit = inpatient[weighted(rng, &inpatient_w)];
                    }
                }
                Role::MedicalAssistant => {
                    p = if we { 0.0 } else { 0.92 };
                    shift = Shift::Office;
                }
                Role::Physician => match kind {
                    DeptKind::Emergency => {
                        p = if surge { 0.8 } else { 0.5 };
                        shift = if u.nights != rng.gen_bool(0.25) { Shift::Night12 } else { Shift::Day12 };
                    }
                    DeptKind::Clinic => {
                        p = if we { 0.0 } else { 0.9 };
                        shift = Shift::Office;
                    }
                    _ if u.nights => {
                        p = if ((day + phase[ui]) / 7) % 2 == 0 { 0.97 } else { 0.0 };
                        shift = Shift::Night12;
                    }
                    _ => {
                        p = if we { 0.3 } else { 0.88 };
                        shift = Shift::Rounds;
                    }
                },
                Role::Resident => {
                    p = 0.86;
                    shift = if rng.gen_bool(0.12) { Shift::Night12 } else { Shift::Day12 };
                    let b = ((day + 1 + phase[ui]) / 14) as usize;
                    unit = rotation_plan[ui][b.min(n_blocks - 1)];
                }
                Role::Pharmacist if base_kind == DeptKind::Inpatient => {
                    p = if we { 0.1 } else { 0.9 };
                    shift = Shift::Early;
                }
                Role::Pharmacist | Role::LabTech | Role::RadiologyTech => {
                    p = if we { 0.5 } else { 0.7 };
                    shift = pick8(rng, u.nights);
                }
                Role::Registration => match base_kind {
                    DeptKind::Emergency => {
                        p = if surge { 0.8 } else { 0.6 };
                        shift = pick8(rng, u.nights);
                    }
                    DeptKind::Registration => {
                        p = if we { 0.35 } else { 0.85 };
                        shift = if rng.gen_bool(0.7) { Shift::Early } else { Shift::Late };
                    }
                    _ => {
                        p = if we { 0.0 } else { 0.9 };
                        shift = Shift::Office;
                    }
                },
                Role::CaseManager => {
                    p = if we { 0.15 } else { 0.9 };
                    shift = Shift::Office;
                }
                Role::HimCoder | Role::Billing => {
                    p = if we { 0.02 } else { 0.92 };
                    shift = Shift::Office;
                }
                Role::It => {
                    p = if we { 0.1 } else { 0.9 };
                    shift = Shift::Office;
                }
                Role::Research => {
                    p = if we { 0.0 } else { 0.88 };
                    shift = Shift::Office;
                }
            }
            let overnight = matches!(shift, Shift::Night12 | Shift::Graveyard);
            if !employed || !rng.gen_bool(p.clamp(0.0, 1.0)) {
                shift = Shift::Off;
            }
            // Nobody works past their last day, and nobody starts a day
            // shift straight after a night.
            if overnight && u.termination_date == Some(date) {
                shift = Shift::Off;
            }
            if day >= 0 && !overnight {
                let prev = slots[(day as usize) * n_users + ui];
                if matches!(prev, Slot { shift: Shift::Night12 | Shift::Graveyard, .. }) {
                    shift = Shift::Off;
                }
            }
            slots.push(Slot { shift, unit });
        }
    }
    Schedule { n_users, slots }
}

/// Index drawn with probability proportional to `w`.
pub fn weighted(rng: &mut Xoshiro256PlusPlus, w: &[f64]) -> usize {
    let total: f64 = w.iter().sum();
    let mut x = rng.gen::<f64>() * total;
    for (i, &wi) in w.iter().enumerate() {
        if x < wi {
            return i;
        }
        x -= wi;
    }
    w.len().saturating_sub(1)
}
