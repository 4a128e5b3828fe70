//! Per-user counts, shares and daily series, computed in parallel over each
//! user's slice of events.

use rayon::prelude::*;

use super::peer_groups::{assign_peer_groups, PeerGroups};
use super::profile::{Profile, PROFILE_FEATURES};
use super::user_days::{user_days, DayStats};
use super::usual_hours::UsualHours;
use crate::config::{HoursParams, PeerParams};
use crate::explain::{Explanation, Explanations};
use crate::ingest::Ingested;
use crate::model::{Action, Code, FxHashMap, FxHashSet, NONE};
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
    /// Distinct patients with an access care does not explain.
    pub unexplained_patients: u64,
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
    /// Distinct IP addresses used.
    pub distinct_ips: u64,
    /// Patient accesses to sensitive data categories.
    pub sensitive_accesses: u64,
    /// Distinct patients with no encounter in the user's home department.
    pub other_department_patients: u64,
    /// Distinct patients also opened by another user of the same home department.
    pub peer_shared_patients: u64,
    /// The user's usual hours.
    pub usual_hours: UsualHours,
    /// The daily series.
    pub days: Vec<DayStats>,
    /// The behaviour profile used for peer groups.
    pub profile: Profile,
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

/// `a / b`, 0 when `b` is 0.
pub fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Features of every user who appears in the access log.
#[derive(Debug, Clone, Default)]
pub struct UserFeatures {
    /// (user code, stats), in user-code order.
    pub users: Vec<(Code, UserStats)>,
    /// Peer groups learned from the profiles (None when too few users).
    pub peers: Option<PeerGroups>,
    index: Vec<u32>,
}

impl UserFeatures {
    /// Stats of a user, if they have events.
    pub fn get(&self, user: Code) -> Option<&UserStats> {
        let i = *self.index.get(user as usize)?;
        (i != u32::MAX).then(|| &self.users[i as usize].1)
    }

    /// Position of a user in `users` (and in the peer assignment).
    pub fn position(&self, user: Code) -> Option<usize> {
        let i = *self.index.get(user as usize)?;
        (i != u32::MAX).then_some(i as usize)
    }
}

/// (patient, home department) -> distinct users of that department who opened the patient.
fn department_coverage(data: &Ingested) -> FxHashMap<(Code, Code), u32> {
    let Some(roster) = &data.roster else { return FxHashMap::default() };
    let ev = &data.events;
    let mut pairs: FxHashSet<(Code, Code, Code)> = FxHashSet::default();
    for i in 0..ev.len() {
        if ev.patient[i] == NONE {
            continue;
        }
        if let Some(d) = roster.get(ev.user[i]).and_then(|r| r.department) {
            pairs.insert((ev.patient[i], d, ev.user[i]));
        }
    }
    let mut out: FxHashMap<(Code, Code), u32> = FxHashMap::default();
    for (p, d, _) in pairs {
        *out.entry((p, d)).or_insert(0) += 1;
    }
    out
}

/// Computes the features of every user with events, then their peer groups.
pub fn compute(data: &Ingested, explained: &Explanations, hours: &HoursParams, peers: &PeerParams) -> UserFeatures {
    let events = &data.events;
    let ranges = events.user_ranges();
    let coverage = department_coverage(data);
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
                let usual_hours = UsualHours::learn(&hist, hours);
                let home = data.roster.as_ref().and_then(|r| r.get(user)).and_then(|r| r.department);
                let days = user_days(data, explained, range.clone(), &locals, &usual_hours);
                let mut s = UserStats {
                    events: range.len() as u64,
                    patient_accesses: 0,
                    distinct_patients: 0,
                    unexplained_accesses: 0,
                    unexplained_patients: 0,
                    after_hours_accesses: 0,
                    weekend_accesses: 0,
                    active_days: days.len() as u64,
                    prints: 0,
                    exports: 0,
                    break_glass: 0,
                    distinct_workstations: 0,
                    distinct_ips: 0,
                    sensitive_accesses: 0,
                    other_department_patients: 0,
                    peer_shared_patients: 0,
                    usual_hours,
                    days: Vec::new(),
                    profile: Profile::default(),
                };
                let mut patients = FxHashSet::default();
                let mut unexplained = FxHashSet::default();
                let mut workstations = FxHashSet::default();
                let mut ips = FxHashSet::default();
                for (i, lt) in range.zip(&locals) {
                    if events.workstation[i] != NONE {
                        workstations.insert(events.workstation[i]);
                    }
                    if events.ip[i] != NONE {
                        ips.insert(events.ip[i]);
                    }
                    match events.action[i] {
                        Action::Print => s.prints += 1,
                        Action::Export => s.exports += 1,
                        _ => {}
                    }
                    s.break_glass += u64::from(events.break_glass[i]);
                    let p = events.patient[i];
                    if p == NONE {
                        continue;
                    }
                    s.patient_accesses += 1;
                    patients.insert(p);
                    if explained.kind[i] == Explanation::Unexplained {
                        s.unexplained_accesses += 1;
                        unexplained.insert(p);
                    }
                    if !usual_hours.contains(lt.hour) {
                        s.after_hours_accesses += 1;
                    }
                    if lt.is_weekend() {
                        s.weekend_accesses += 1;
                    }
                    if events.category[i].is_sensitive() {
                        s.sensitive_accesses += 1;
                    }
                }
                if let Some(home) = home {
                    for &p in &patients {
                        let seen_here = data
                            .encounters
                            .as_ref()
                            .is_some_and(|e| e.of_patient(p).iter().any(|x| x.department == Some(home)));
                        if !seen_here {
                            s.other_department_patients += 1;
                        }
                        if coverage.get(&(p, home)).copied().unwrap_or(0) >= 2 {
                            s.peer_shared_patients += 1;
                        }
                    }
                }
                s.distinct_patients = patients.len() as u64;
                s.unexplained_patients = unexplained.len() as u64;
                s.distinct_workstations = workstations.len() as u64;
                s.distinct_ips = ips.len() as u64;
                s.days = days;
                s.profile = Profile::of(&s, home.is_some());
                (user, s)
            },
        )
        .collect();
    let mut index = vec![u32::MAX; data.dict.users.len()];
    for (i, (user, _)) in users.iter().enumerate() {
        index[*user as usize] = i as u32;
    }
    let peer_groups = assign_peer_groups(&users, data, peers);
    debug_assert!(peer_groups.as_ref().is_none_or(|g| g.assignment.len() == users.len()));
    let _ = PROFILE_FEATURES;
    UserFeatures { users, peers: peer_groups, index }
}
