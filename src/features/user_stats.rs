//! Per-user counts and shares, computed in parallel over each user's events.

use std::collections::HashSet;

use rayon::prelude::*;

use super::usual_hours::UsualHours;
use crate::config::HoursParams;
use crate::explain::{Explanation, Explanations};
use crate::ingest::Ingested;
use crate::model::{Action, Code, NONE};
use crate::time::{LocalTime, ZoneCache};

/// Features of one user.
#[derive(Debug, Clone, PartialEq)]
pub struct UserStats {
    /// Events of any kind.
    pub events: u64,
    /// Events that touched a patient.
    pub patient_accesses: u64,
    /// Distinct patients touched.
    pub distinct_patients: u64,
    /// Patient accesses that care does not explain.
    pub unexplained_accesses: u64,
    /// Patient accesses outside the user's usual hours.
    pub after_hours_accesses: u64,
    /// Patient accesses on Saturday or Sunday (local).
    pub weekend_accesses: u64,
    /// Distinct local days with any event.
    pub active_days: u64,
    /// Print actions.
    pub prints: u64,
    /// Export actions.
    pub exports: u64,
    /// Break-the-glass events.
    pub break_glass: u64,
    /// Distinct workstations used.
    pub distinct_workstations: u64,
    /// The user's usual hours.
    pub usual_hours: UsualHours,
}

impl UserStats {
    /// Share of patient accesses not explained by care.
    pub fn unexplained_share(&self) -> f64 {
        ratio(self.unexplained_accesses, self.patient_accesses)
    }

    /// Share of patient accesses outside usual hours.
    pub fn after_hours_share(&self) -> f64 {
        ratio(self.after_hours_accesses, self.patient_accesses)
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Features of every user who appears in the access log, by user code.
#[derive(Debug, Clone, Default)]
pub struct UserFeatures {
    /// (user code, stats), in user-code order.
    pub users: Vec<(Code, UserStats)>,
    index: Vec<u32>,
}

impl UserFeatures {
    /// Stats of a user, if they have events.
    pub fn get(&self, user: Code) -> Option<&UserStats> {
        let i = *self.index.get(user as usize)?;
        (i != u32::MAX).then(|| &self.users[i as usize].1)
    }
}

/// Computes the features of every user with events.
pub fn compute(data: &Ingested, explained: &Explanations, params: &HoursParams) -> UserFeatures {
    let events = &data.events;
    let ranges = events.user_ranges();
    let users: Vec<(Code, UserStats)> = ranges
        .into_par_iter()
        .map_init(
            || ZoneCache::new(data.tz),
            |zone, (user, range)| {
                let mut hist = [0u64; 24];
                let mut locals = Vec::with_capacity(range.len());
                for i in range.clone() {
                    let lt = LocalTime::from_local_micros(zone.to_local(events.ts[i]));
                    hist[lt.hour as usize] += 1;
                    locals.push(lt);
                }
                let usual_hours = UsualHours::learn(&hist, params);
                let mut s = UserStats {
                    events: range.len() as u64,
                    patient_accesses: 0,
                    distinct_patients: 0,
                    unexplained_accesses: 0,
                    after_hours_accesses: 0,
                    weekend_accesses: 0,
                    active_days: 0,
                    prints: 0,
                    exports: 0,
                    break_glass: 0,
                    distinct_workstations: 0,
                    usual_hours,
                };
                let mut patients = HashSet::new();
                let mut workstations = HashSet::new();
                let mut days = HashSet::new();
                for (i, lt) in range.zip(&locals) {
                    days.insert(lt.day);
                    if events.workstation[i] != NONE {
                        workstations.insert(events.workstation[i]);
                    }
                    match events.action[i] {
                        Action::Print => s.prints += 1,
                        Action::Export => s.exports += 1,
                        _ => {}
                    }
                    s.break_glass += u64::from(events.break_glass[i]);
                    if events.patient[i] == NONE {
                        continue;
                    }
                    s.patient_accesses += 1;
                    patients.insert(events.patient[i]);
                    if explained.kind[i] == Explanation::Unexplained {
                        s.unexplained_accesses += 1;
                    }
                    if !usual_hours.contains(lt.hour) {
                        s.after_hours_accesses += 1;
                    }
                    if lt.is_weekend() {
                        s.weekend_accesses += 1;
                    }
                }
                s.distinct_patients = patients.len() as u64;
                s.distinct_workstations = workstations.len() as u64;
                s.active_days = days.len() as u64;
                (user, s)
            },
        )
        .collect();
    let mut index = vec![u32::MAX; data.dict.users.len()];
    for (i, (user, _)) in users.iter().enumerate() {
        index[*user as usize] = i as u32;
    }
    UserFeatures { users, index }
}
