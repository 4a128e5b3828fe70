//! Per-user counts, shares and daily series, computed in parallel over each
//! user's slice of events.

use std::any::Any;
use std::sync::{Arc, OnceLock};

use rayon::prelude::*;

use super::peer_groups::{assign_peer_groups, PeerGroups};
use super::profile::{Profile, PROFILE_FEATURES};
use super::user_days::{user_days, Busiest, DayStats};
use super::usual_hours::UsualHours;
use crate::config::{HoursParams, PeerParams};
use crate::explain::{Explanation, Explanations};
use crate::ingest::Ingested;
use crate::model::{Action, Code, FxHashMap, FxHashSet, Partition, NONE};
use crate::time::{LocalTime, ZoneCache};

/// Features of one user.
#[derive(Debug, Clone, PartialEq)]
pub struct UserStats {
    /// Events of any kind.
    pub events: u32,
    /// Events that touched a patient.
    pub patient_accesses: u32,
    /// Distinct patients touched.
    pub distinct_patients: u32,
    /// Patient accesses that care does not explain.
    pub unexplained_accesses: u32,
    /// Distinct patients with an access care does not explain.
    pub unexplained_patients: u32,
    /// Distinct patients whose only link is a care-team group's
    /// (colleagues the user works with treated them): no access to them
    /// is unexplained and none has a patient-specific link. A group's link
    /// names no task for this patient; [`team_only_patients`] says which.
    pub team_only_patients: u32,
    /// Patient accesses outside the user's usual hours.
    pub after_hours_accesses: u32,
    /// Patient accesses on Saturday or Sunday (local).
    pub weekend_accesses: u32,
    /// Distinct local days with any event.
    pub active_days: u32,
    /// Print actions.
    pub prints: u32,
    /// Export actions.
    pub exports: u32,
    /// Break-the-glass events.
    pub break_glass: u32,
    /// Distinct workstations used.
    pub distinct_workstations: u32,
    /// Distinct IP addresses used.
    pub distinct_ips: u32,
    /// Patient accesses to sensitive data categories.
    pub sensitive_accesses: u32,
    /// Patient accesses per data category (indexed by `DataCategory as
    /// usize`): the sections the user's work opens, so a look at a section
    /// the user rarely opens stands out.
    pub categories: [u32; CATEGORIES],
    /// Distinct patients with no encounter in the user's home department.
    pub other_department_patients: u32,
    /// Distinct patients also opened by another user of the same home department.
    pub peer_shared_patients: u32,
    /// The user's usual hours.
    pub usual_hours: UsualHours,
    /// The daily series. A partitioned run keeps it only while the user's
    /// partition is worked on ([`UserFeatures::restore_days`]); `busiest`
    /// keeps what is read of it beyond.
    pub days: Vec<DayStats>,
    /// The busiest of the daily series, kept for every user.
    pub busiest: Busiest,
    /// Whether the user has a home department (the profile's
    /// department-relative features mean something).
    pub has_home: bool,
}

impl UserStats {
    /// The behaviour profile used for peer groups: computed when asked,
    /// from these counts, rather than kept for millions of users.
    pub fn profile(&self) -> Profile {
        Profile::of(self, self.has_home)
    }

    /// Share of patient accesses not explained by care.
    pub fn unexplained_share(&self) -> f64 {
        ratio(self.unexplained_accesses, self.patient_accesses)
    }

    /// Share of patient accesses outside usual hours.
    pub fn after_hours_share(&self) -> f64 {
        ratio(self.after_hours_accesses, self.patient_accesses)
    }
}

/// Data categories counted per user (`DataCategory` has 14).
pub const CATEGORIES: usize = 16;

impl UserStats {
    /// The share of the user's patient accesses in `category`.
    pub fn category_share(&self, category: crate::model::DataCategory) -> f64 {
        ratio(self.categories[(category as usize).min(CATEGORIES - 1)], self.patient_accesses)
    }
}

/// `a / b`, 0 when `b` is 0.
pub fn ratio(a: impl Into<u64>, b: impl Into<u64>) -> f64 {
    let (a, b): (u64, u64) = (a.into(), b.into());
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// A count as kept in [`UserStats`]: `u32` (a table of millions of users
/// holds 16 of them per user), capped.
fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Features of every user who appears in the access log.
#[derive(Debug, Clone, Default)]
pub struct UserFeatures {
    /// (user code, stats), in user-code order.
    pub users: Vec<(Code, UserStats)>,
    /// Peer groups learned from the profiles (None when too few users).
    pub peers: Option<PeerGroups>,
    index: Vec<u32>,
    memo: Memo,
}

/// What rules derive from every user's features (group medians and
/// spreads), computed on first use and kept for the run's other
/// partitions ([`UserFeatures::memo`]): a partitioned run computed them
/// once per partition, users times partitions.
#[derive(Default)]
struct Memo(std::sync::Mutex<FxHashMap<&'static str, Arc<OnceLock<Kept>>>>);

/// A value kept by [`Memo`].
type Kept = Arc<dyn Any + Send + Sync>;

/// A copy starts empty: what it holds is computed again on first use.
impl Clone for Memo {
    fn clone(&self) -> Self {
        Memo::default()
    }
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Memo")
    }
}

impl UserFeatures {
    /// Features of `users` (in user-code order) with their peer groups, as
    /// [`finish`] assembles them for a run of `n_users` user codes (what a
    /// cluster's executor rebuilds from what the driver sends).
    pub fn assembled(users: Vec<(Code, UserStats)>, peers: Option<PeerGroups>, n_users: usize) -> UserFeatures {
        let mut index = vec![u32::MAX; n_users];
        for (i, (user, _)) in users.iter().enumerate() {
            if let Some(slot) = index.get_mut(*user as usize) {
                *slot = i as u32;
            }
        }
        UserFeatures { users, peers, index, memo: Memo::default() }
    }

    /// How many user codes the run has (the users the features index).
    pub fn codes(&self) -> usize {
        self.index.len()
    }

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

    /// Computes again the daily series of the users of `data`'s
    /// partition (the series `user_stats` computed from the same events
    /// and explanations `kind`): a partitioned run keeps a user's series
    /// only while the user's partition is worked on.
    pub fn restore_days(&mut self, data: &Ingested<Partition>, kind: &[Explanation]) {
        let events = &data.events;
        let networks = crate::model::network_codes(&data.dict.ips);
        let days: Vec<(usize, Vec<DayStats>)> = events
            .user_ranges()
            .into_par_iter()
            .filter_map(|(user, range)| Some((self.position(user)?, range)))
            .map_init(
                || ZoneCache::new(data.tz),
                |zone, (at, range)| {
                    let locals: Vec<LocalTime> =
                        range.clone().map(|i| LocalTime::from_local_micros(zone.to_local(events.ts[i]))).collect();
                    let usual = &self.users[at].1.usual_hours;
                    (at, user_days(data, kind, range, &locals, usual, &networks))
                },
            )
            .collect();
        for (at, days) in days {
            self.users[at].1.days = days;
        }
    }

    /// The value `compute` gives for `key`, computed on the first call
    /// with that key and kept for the later ones (every partition's rules
    /// read these features, and what a rule derives from all of them is
    /// the same for each partition). `compute` must read nothing but the
    /// run-wide inputs (these features, the role classes, the
    /// configuration), and a key names one type of value: another type
    /// under the same key is computed again, and not kept.
    pub fn memo<T: Any + Send + Sync>(&self, key: &'static str, compute: impl FnOnce() -> T) -> Arc<T> {
        let cell = {
            let mut cells = self.memo.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            Arc::clone(cells.entry(key).or_default())
        };
        match cell.get().map(|kept| Arc::clone(kept).downcast::<T>()) {
            Some(Ok(kept)) => kept,
            Some(Err(_)) => Arc::new(compute()),
            None => {
                // Computed outside the cell: a second caller meanwhile
                // computes the same value, and the first one kept wins.
                let value = Arc::new(compute());
                let _ = cell.set(Arc::clone(&value) as Kept);
                value
            }
        }
    }

    /// Puts back daily series taken from these users earlier (by
    /// [`UserFeatures::take_days`], or from the per-user table they were
    /// built from): what [`UserFeatures::restore_days`] would compute again
    /// from the same events and explanations. Users it does not know are
    /// skipped.
    pub fn put_days(&mut self, days: Vec<(Code, Vec<DayStats>)>) {
        for (user, series) in days {
            if let Some(at) = self.position(user) {
                self.users[at].1.days = series;
            }
        }
    }

    /// Drops the daily series of the users whose codes are in `users`
    /// (their `busiest` stays).
    pub fn forget_days(&mut self, users: std::ops::Range<Code>) {
        let from = self.users.partition_point(|(u, _)| *u < users.start);
        let to = self.users.partition_point(|(u, _)| *u < users.end);
        for (_, s) in &mut self.users[from..to] {
            s.days = Vec::new();
        }
    }
}

/// (patient, home department) -> distinct users of that department who
/// opened the patient. Counted per partition of a partitioned run's users
/// and added up ([`Coverage::add`]): the partitions' users are distinct.
#[derive(Debug, Default)]
pub struct Coverage(FxHashMap<(Code, Code), u32>);

impl Coverage {
    /// The coverage of these events: each user's distinct patients (users
    /// in parallel, over their slices), counted once per (patient, the
    /// user's home department).
    pub fn of(data: &Ingested<Partition>) -> Coverage {
        let Some(roster) = &data.roster else { return Coverage::default() };
        let ev = &data.events;
        let per_user: Vec<(Code, Vec<Code>)> = ev
            .user_ranges()
            .into_par_iter()
            .filter_map(|(user, range)| {
                let d = roster.get(user).and_then(|r| r.department)?;
                let mut patients: Vec<Code> = ev.patient[range].iter().copied().filter(|&p| p != NONE).collect();
                patients.sort_unstable();
                patients.dedup();
                Some((d, patients))
            })
            .collect();
        let mut out: FxHashMap<(Code, Code), u32> = FxHashMap::default();
        for (d, patients) in per_user {
            for p in patients {
                *out.entry((p, d)).or_insert(0) += 1;
            }
        }
        Coverage(out)
    }

    /// Adds another partition's coverage (of other users).
    pub fn add(&mut self, other: Coverage) {
        for (k, v) in other.0 {
            *self.0.entry(k).or_insert(0) += v;
        }
    }

    /// Every ((patient, department), users) count, in key order (what a
    /// cluster's result codec writes).
    pub fn entries(&self) -> Vec<((Code, Code), u32)> {
        let mut all: Vec<((Code, Code), u32)> = self.0.iter().map(|(k, v)| (*k, *v)).collect();
        all.sort_unstable();
        all
    }

    /// Coverage from [`Coverage::entries`].
    pub fn from_entries(entries: impl IntoIterator<Item = ((Code, Code), u32)>) -> Coverage {
        Coverage(entries.into_iter().collect())
    }

    fn get(&self, patient: Code, department: Code) -> u32 {
        self.0.get(&(patient, department)).copied().unwrap_or(0)
    }
}

/// Computes the features of every user of a partition that holds every
/// user, then their peer groups (a run's passes do the same in two steps:
/// `pipeline::analysis`).
pub fn compute(
    data: &Ingested<Partition>,
    explained: &Explanations,
    hours: &HoursParams,
    peers: &PeerParams,
) -> UserFeatures {
    let coverage = Coverage::of(data);
    let users = user_stats(data, explained, hours, &coverage);
    finish(users, data, &explained.roles, peers)
}

/// The patients of a user's events (`range`) whose only link is a
/// care-team group's: an access [`Explanation::CareTeamGroup`] explains,
/// none that care leaves unexplained (those count among the unexplained
/// patients) and none a patient-specific link explains.
pub fn team_only_patients(kinds: &[Explanation], patient: &[Code], range: std::ops::Range<usize>) -> FxHashSet<Code> {
    let mut team = FxHashSet::default();
    let mut last = NONE;
    for i in range.clone() {
        if kinds[i] == Explanation::CareTeamGroup && patient[i] != last {
            team.insert(patient[i]);
            last = patient[i];
        }
    }
    if !team.is_empty() {
        for i in range {
            if kinds[i] == Explanation::Unexplained || kinds[i].is_patient_specific() {
                team.remove(&patient[i]);
            }
        }
    }
    team
}

/// The features of each user of the partition, in user-code order (day
/// ranges index its events). `coverage` is the whole run's.
pub fn user_stats(
    data: &Ingested<Partition>,
    explained: &Explanations,
    hours: &HoursParams,
    coverage: &Coverage,
) -> Vec<(Code, UserStats)> {
    let events = &data.events;
    let ranges = events.user_ranges();
    let networks = crate::model::network_codes(&data.dict.ips);
    ranges
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
                let days = user_days(data, &explained.kind, range.clone(), &locals, &usual_hours, &networks);
                let mut s = UserStats {
                    events: count(range.len()),
                    patient_accesses: 0,
                    distinct_patients: 0,
                    unexplained_accesses: 0,
                    unexplained_patients: 0,
                    team_only_patients: 0,
                    after_hours_accesses: 0,
                    weekend_accesses: 0,
                    active_days: count(days.len()),
                    prints: 0,
                    exports: 0,
                    break_glass: 0,
                    distinct_workstations: 0,
                    distinct_ips: 0,
                    sensitive_accesses: 0,
                    categories: [0; CATEGORIES],
                    other_department_patients: 0,
                    peer_shared_patients: 0,
                    usual_hours,
                    days: Vec::new(),
                    busiest: Busiest::default(),
                    has_home: home.is_some(),
                };
                let range_all = range.clone();
                let mut patients = FxHashSet::default();
                let mut unexplained = FxHashSet::default();
                let mut workstations = FxHashSet::default();
                let mut ips = FxHashSet::default();
                // A value equal to the last one inserted into a set is in it
                // already: most events repeat their workstation, address and
                // patient, and skip the lookup.
                let (mut last_ws, mut last_ip, mut last_p, mut last_unexplained) = (NONE, NONE, NONE, NONE);
                for (i, lt) in range.zip(&locals) {
                    let (ws, ip) = (events.workstation[i], events.ip[i]);
                    if ws != NONE && ws != last_ws {
                        workstations.insert(ws);
                        last_ws = ws;
                    }
                    if ip != NONE && ip != last_ip {
                        ips.insert(ip);
                        last_ip = ip;
                    }
                    match events.action[i] {
                        Action::Print => s.prints += 1,
                        Action::Export => s.exports += 1,
                        _ => {}
                    }
                    s.break_glass += u32::from(events.break_glass[i]);
                    let p = events.patient[i];
                    if p == NONE {
                        continue;
                    }
                    s.patient_accesses += 1;
                    if p != last_p {
                        patients.insert(p);
                        last_p = p;
                    }
                    if explained.kind[i] == Explanation::Unexplained {
                        s.unexplained_accesses += 1;
                        if p != last_unexplained {
                            unexplained.insert(p);
                            last_unexplained = p;
                        }
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
                    s.categories[(events.category[i] as usize).min(CATEGORIES - 1)] += 1;
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
                        if coverage.get(p, home) >= 2 {
                            s.peer_shared_patients += 1;
                        }
                    }
                }
                s.distinct_patients = count(patients.len());
                s.unexplained_patients = count(unexplained.len());
                s.team_only_patients = count(team_only_patients(&explained.kind, &events.patient, range_all).len());
                s.distinct_workstations = count(workstations.len());
                s.distinct_ips = count(ips.len());
                s.busiest = Busiest::of(&days);
                s.days = days;
                (user, s)
            },
        )
        .collect()
}

/// Every user's features, in user-code order, with their peer groups
/// learned across all of them. `data` gives the roster and dictionaries
/// (its events are not read).
pub fn finish<E>(
    users: Vec<(Code, UserStats)>,
    data: &Ingested<E>,
    roles: &crate::roles::RoleBook,
    peers: &PeerParams,
) -> UserFeatures {
    let peer_groups = assign_peer_groups(&users, data, roles, peers);
    debug_assert!(peer_groups.as_ref().is_none_or(|g| g.assignment.len() == users.len()));
    let _ = PROFILE_FEATURES;
    UserFeatures::assembled(users, peer_groups, data.dict.users.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explain::explain;
    use crate::features::PROFILE_FEATURES;
    use crate::test_fixture::World;

    /// A MED nurse ("rn") over three days, a colleague on her unit ("rn2"),
    /// and patients in her unit (P1), the ED (P2) and nowhere (P3).
    fn world() -> World {
        let mut w = World::new();
        w.user("rn").department("MED").role("nurse");
        w.user("rn2").department("MED").role("nurse");
        for p in ["P1", "P2", "P3"] {
            w.patient(p);
        }
        w.encounter("P1", "MED", "2026-11-01 08:00:00", None, None);
        w.encounter("P2", "ED", "2026-11-01 08:00:00", None, None);
        // Monday 2026-11-02: her own patient, a sensitive section, a print.
        w.access_from("2026-11-02 10:00:00", "rn", "P1", "view", "WS-1", "10.0.0.1");
        w.access_with("2026-11-02 10:05:00", "rn", "P1", "view", "hiv", false);
        w.access_from("2026-11-02 10:10:00", "rn", "P1", "print", "WS-1", "10.0.0.1");
        w.access_from("2026-11-02 11:00:00", "rn2", "P1", "view", "WS-9", "10.0.0.9");
        // Tuesday: a new workstation and IP, two patients nothing explains
        // (one exported), a login, a break-the-glass view of P1.
        // (another subnet: leased addresses within one subnet are one network)
        w.access_from("2026-11-03 10:00:00", "rn", "P2", "view", "WS-2", "10.0.7.2");
        w.access_from("2026-11-03 10:30:00", "rn", "P3", "export", "WS-2", "10.0.7.2");
        w.access("2026-11-03 11:00:00", "rn", "", "login");
        w.access_with("2026-11-03 12:00:00", "rn", "P1", "view", "", true);
        // Saturday night.
        w.access_from("2026-11-07 23:30:00", "rn", "P1", "view", "WS-1", "10.0.0.1");
        w
    }

    fn stats_of(w: &World, user: &str) -> UserStats {
        let data = w.build();
        let explained = explain(&data, &w.config.explain);
        let f = compute(&data, &explained, &w.config.hours, &w.config.peers);
        let code = data.dict.users.get(user).expect("user");
        f.get(code).expect("stats").clone()
    }

    #[test]
    fn per_user_counts_shares_and_breadth() {
        let s = stats_of(&world(), "rn");
        assert_eq!(s.events, 8);
        assert_eq!(s.patient_accesses, 7);
        assert_eq!(s.distinct_patients, 3);
        assert_eq!((s.unexplained_accesses, s.unexplained_patients), (2, 2), "P2 and P3");
        assert!((s.unexplained_share() - 2.0 / 7.0).abs() < 1e-12);
        assert_eq!(s.active_days, 3);
        assert_eq!((s.prints, s.exports, s.break_glass), (1, 1, 1));
        assert_eq!((s.distinct_workstations, s.distinct_ips), (2, 2));
        assert_eq!(s.sensitive_accesses, 1);
        // Fewer than 100 events: the default 07:00-19:00 window.
        assert!(!s.usual_hours.learned);
        assert_eq!(s.after_hours_accesses, 1, "Saturday 23:30");
        assert_eq!(s.weekend_accesses, 1);
        assert!((s.after_hours_share() - 1.0 / 7.0).abs() < 1e-12);
        // P2 (ED) and P3 (no encounter) are outside her department.
        assert_eq!(s.other_department_patients, 2);
        // P1 is also opened by a colleague of her department; P2, P3 are not.
        assert_eq!(s.peer_shared_patients, 1);
    }

    #[test]
    fn daily_series_new_devices_first_time_patients_and_extraction() {
        let s = stats_of(&world(), "rn");
        assert_eq!(s.days.len(), 3);
        let (mon, tue, sat) = (&s.days[0], &s.days[1], &s.days[2]);
        assert_eq!((mon.patient_accesses, mon.distinct_patients, mon.first_time_patients), (3, 1, 1));
        assert_eq!((mon.extraction_events, mon.extraction_patients, mon.unexplained_extraction_patients), (1, 1, 0));
        assert_eq!((mon.new_workstations, mon.new_ips), (0, 0), "no history yet on the first day");
        assert_eq!((tue.new_workstations, tue.new_ips), (1, 1));
        assert_eq!(tue.first_time_patients, 2, "P2 and P3; P1 was seen Monday");
        assert_eq!(tue.unexplained_patients, 2);
        assert_eq!((tue.extraction_events, tue.unexplained_extraction_patients), (1, 1));
        assert_eq!(tue.peak_hour_patients, 2, "P2 and P3 within the hour");
        assert_eq!((sat.after_hours, sat.new_workstations, sat.first_time_patients), (1, 0, 0));
    }

    #[test]
    fn daily_series_computed_again_are_the_ones_first_computed() {
        let w = world();
        let data = w.build();
        let explained = explain(&data, &w.config.explain);
        let mut f = compute(&data, &explained, &w.config.hours, &w.config.peers);
        let first: Vec<Vec<DayStats>> = f.users.iter().map(|(_, s)| s.days.clone()).collect();
        assert!(first.iter().all(|d| !d.is_empty()));
        let busiest: Vec<Busiest> = f.users.iter().map(|(_, s)| s.busiest).collect();
        let rn = data.dict.users.get("rn").expect("rn");
        f.forget_days(rn..rn + 1);
        assert!(f.get(rn).expect("rn").days.is_empty(), "rn's series is gone");
        assert_eq!(f.users.iter().filter(|(_, s)| s.days.is_empty()).count(), 1, "only rn's");
        f.forget_days(0..Code::MAX);
        f.restore_days(&data, &explained.kind);
        let again: Vec<Vec<DayStats>> = f.users.iter().map(|(_, s)| s.days.clone()).collect();
        assert_eq!(first, again);
        assert_eq!(busiest, f.users.iter().map(|(_, s)| s.busiest).collect::<Vec<_>>());
        let s = f.get(rn).expect("rn");
        assert_eq!(s.busiest, Busiest::of(&s.days));
        assert_eq!(s.busiest.distinct_patients, 3, "Tuesday's P1, P2 and P3");
        assert_eq!((s.busiest.extraction_patients, s.busiest.export_patients), (1, 1));
        assert_eq!(s.busiest.new_device_days, 1, "Tuesday's workstation and network");
    }

    #[test]
    fn the_profile_turns_counts_into_rates_and_shares() {
        let s = stats_of(&world(), "rn");
        let v = |name: &str| s.profile().values[PROFILE_FEATURES.iter().position(|f| f.0 == name).expect("feature")];
        assert!((v("patient_accesses_per_day") - 7.0 / 3.0).abs() < 1e-12);
        // Daily distinct patients: 1 (Mon) + 3 (Tue) + 1 (Sat), over 3 days.
        assert!((v("distinct_patients_per_day") - 5.0 / 3.0).abs() < 1e-12);
        assert_eq!(v("peak_hour_patients"), 2.0);
        assert!((v("extractions_per_day") - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(v("distinct_workstations"), 2.0);
        assert!((v("other_department_share") - 2.0 / 3.0).abs() < 1e-12);
        // After the first day: 2 first-time patients of 4 daily patients.
        assert!((v("first_time_share") - 0.5).abs() < 1e-12);
        assert!((v("peer_affinity") - 1.0 / 3.0).abs() < 1e-12);
        assert!((v("sensitive_share") - 1.0 / 7.0).abs() < 1e-12);
        assert!((v("weekend_share") - 1.0 / 7.0).abs() < 1e-12);
    }

    #[test]
    fn after_hours_is_measured_against_the_users_own_hours() {
        // A night nurse: 120 accesses between 02:00 and 03:00 teach her
        // hours, so a night access is not "after hours" for her.
        let mut w = World::new();
        w.user("nn").department("MED").role("nurse");
        w.patient("P1");
        w.encounter("P1", "MED", "2026-11-01 00:00:00", None, None);
        for day in 2..=6 {
            for m in 0..24 {
                w.access(&format!("2026-11-0{day} 02:{:02}:00", 2 * m), "nn", "P1", "view");
            }
        }
        w.access("2026-11-06 14:00:00", "nn", "P1", "view");
        let s = stats_of(&w, "nn");
        assert!(s.usual_hours.learned);
        assert!(s.usual_hours.contains(2) && !s.usual_hours.contains(14));
        assert_eq!(s.after_hours_accesses, 1, "only the afternoon one");
    }
}
