//! Injected incidents, each labelled in labels.csv.
//!
//! Every snooping incident is done by an insider during a shift, from the
//! user's usual unit and workstation, in between care, because that is how
//! real snooping looks; the patient has no encounter with the user as
//! provider or in any unit the user works in. Exfiltration and account
//! misuse are about the user as a whole (labels with an empty patient).

use rand::seq::SliceRandom;
use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::encounters::{EncKind, Encounter};
use super::event::{day_start, Action, Category, Event, DAY};
use super::schedule::{Schedule, Shift};
use super::world::{Contact, DeptKind, Kin, Role, World};

/// Every scenario, in the order incidents are spread over them.
pub const SCENARIOS: [&str; 14] = [
    "self",
    "family",
    "coworker",
    "neighbour",
    "contact",
    "vip",
    "deceased",
    "restricted",
    "break_glass",
    "terminated",
    "bulk_export_night",
    "slow_exfiltration",
    "curious_browsing",
    "compromised_account",
];

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

/// The incident planner's state, shared with the real-world scenarios in
/// `real_incidents`: the world, who and what is taken, and the rows
/// planned so far.
pub(super) struct Planner<'a> {
    pub(super) world: &'a mut World,
    pub(super) encs: &'a [Encounter],
    /// Encounter indices per patient (all encounters, exported or not).
    pub(super) by_patient: &'a [Vec<u32>],
    pub(super) sched: &'a Schedule,
    pub(super) rng: &'a mut Xoshiro256PlusPlus,
    /// Users that may not act (look-alikes, earlier incidents).
    pub(super) used: Vec<bool>,
    /// Patients already the target of an incident.
    pub(super) used_patient: Vec<bool>,
    /// Rows per day.
    pub(super) extra: Vec<Vec<Event>>,
    /// Scripted pace: no searches, seconds between rows.
    pub(super) fast: bool,
}

/// A snooper's working window on a day: unit, start, end (local seconds).
pub(super) type Window = (u16, i64, i64);

impl<'a> Planner<'a> {
    /// A planner with nobody used but `used` and no patient taken.
    pub(super) fn new(
        rng: &'a mut Xoshiro256PlusPlus,
        world: &'a mut World,
        encs: &'a [Encounter],
        by_patient: &'a [Vec<u32>],
        sched: &'a Schedule,
        used: Vec<bool>,
    ) -> Planner<'a> {
        let days = world.days as usize;
        Planner {
            used,
            used_patient: vec![false; world.patients.len()],
            world,
            encs,
            by_patient,
            sched,
            rng,
            extra: vec![Vec::new(); days],
            fast: false,
        }
    }
}

impl Planner<'_> {
    /// Local midnight of the first simulated day.
    pub(super) fn w0(&self) -> i64 {
        day_start(self.world.start)
    }

    /// Days (in random order) on which `u` works a shift that starts that
    /// day, from the first quarter of the window on.
    pub(super) fn work_windows(&mut self, u: u32) -> Vec<(u32, Window)> {
        let days = self.world.days as i64;
        let from = (days / 4).max(1).min(days - 1);
        let mut out = self.shift_windows(u, from);
        out.shuffle(self.rng);
        out
    }

    /// The working part of each shift of `u` that starts on day `from` or
    /// later (a quarter of an hour in from either end, the part before
    /// midnight), in day order.
    pub(super) fn shift_windows(&self, u: u32, from: i64) -> Vec<(u32, Window)> {
        let days = self.world.days as i64;
        let mut out = Vec::new();
        for d in from.max(0)..days {
            let s = self.sched.get(d, u);
            if s.shift == Shift::Off {
                continue;
            }
            let (st, len) = s.shift.span();
            let d0 = self.w0() + d * DAY;
            let (a, b) = (d0 + st, (d0 + st + len).min(d0 + DAY));
            if b - a > 3600 {
                out.push((d as u32, (s.unit, a + 900, b - 900)));
            }
        }
        out
    }

    /// Whether care could explain `u` opening `p`: the user provided one of
    /// the patient's encounters, or one happened in a unit the user works in.
    pub(super) fn linked(&self, u: u32, p: u32) -> bool {
        let user = &self.world.users[u as usize];
        let mut units = vec![user.home, user.base_unit];
        for d in -1..self.world.days as i64 {
            let s = self.sched.get(d, u);
            if s.shift != Shift::Off && !units.contains(&s.unit) {
                units.push(s.unit);
            }
        }
        // Service roles touch every inpatient and ED patient.
        let service = matches!(
            user.role,
            Role::Pharmacist
                | Role::LabTech
                | Role::RadiologyTech
                | Role::CaseManager
                | Role::HimCoder
                | Role::Billing
                | Role::Registration
        );
        self.by_patient[p as usize].iter().any(|&e| {
            let e = &self.encs[e as usize];
            e.provider == u || units.contains(&e.dept) || (service && e.end > self.w0() - 45 * DAY)
        })
    }

    /// Clinical and front-desk staff employed through the whole window.
    pub(super) fn is_actor_role(&self, u: u32) -> bool {
        let x = &self.world.users[u as usize];
        matches!(x.role, Role::Nurse | Role::Physician | Role::Resident | Role::Registration | Role::MedicalAssistant)
            && self.world.depts[x.home as usize].kind != DeptKind::FloatPool
            && x.termination_date.is_none()
            && x.hire_date <= self.world.start
    }

    /// Unused actors passing `filter`, in random order.
    pub(super) fn actors(&mut self, filter: impl Fn(&World, u32) -> bool) -> Vec<u32> {
        let mut v: Vec<u32> = (0..self.world.users.len() as u32)
            .filter(|&u| !self.used[u as usize] && self.is_actor_role(u) && filter(self.world, u))
            .collect();
        v.shuffle(self.rng);
        v
    }

    /// The user's own workstation in their base unit, else one of `unit`'s.
    pub(super) fn ws_for(&mut self, u: u32, unit: u16) -> u32 {
        let user = &self.world.users[u as usize];
        if user.base_unit == unit {
            if let Some(w) = user.own_ws {
                return w;
            }
        }
        let pool = &self.world.ws_pools[unit as usize];
        pool.choose(self.rng).copied().unwrap_or(0)
    }

    /// Adds a row to its day; returns its time.
    pub(super) fn emit(&mut self, ev: Event) -> i64 {
        let day = (ev.ts - self.w0()).div_euclid(DAY);
        if day >= 0 && (day as usize) < self.extra.len() {
            self.extra[day as usize].push(ev);
        }
        ev.ts
    }

    /// A short look at one record: a search, then `n` views of `cats`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn peek(
        &mut self,
        u: u32,
        p: u32,
        unit: u16,
        ws: u32,
        t: i64,
        n: u32,
        cats: &[Category],
        action_last: Action,
    ) -> (i64, i64) {
        let mut t = t;
        if !self.fast && self.rng.gen_bool(0.7) {
            self.emit(Event {
                ts: t,
                user: u,
                patient: u32::MAX,
                ws,
                dept: unit,
                action: Action::Search,
                cat: Category::Unspecified,
                break_glass: false,
                reason: 0,
                tag: 1,
            });
            t += self.rng.gen_range(5..40);
        }
        let first = t;
        for i in 0..n {
            let cat = cats[self.rng.gen_range(0..cats.len())];
            let action = if i == n - 1 { action_last } else { Action::View };
            self.emit(Event {
                ts: t,
                user: u,
                patient: p,
                ws,
                dept: unit,
                action,
                cat,
                break_glass: false,
                reason: 0,
                tag: 1,
            });
            t += if self.fast { self.rng.gen_range(2..12) } else { self.rng.gen_range(6..90) };
        }
        (first, t)
    }

    /// Snooping on one patient over `visits` separate moments on working days.
    pub(super) fn snoop(&mut self, u: u32, p: u32, visits: usize, cats: &[Category]) -> Option<(i64, i64)> {
        let wins = self.work_windows(u);
        if wins.is_empty() {
            return None;
        }
        let (mut lo, mut hi) = (i64::MAX, i64::MIN);
        for (_, (unit, a, b)) in wins.into_iter().take(visits) {
            let ws = self.ws_for(u, unit);
            let t = self.rng.gen_range(a..b);
            let n = self.rng.gen_range(2..7);
            let (f, l) = self.peek(u, p, unit, ws, t, n, cats, Action::View);
            lo = lo.min(f);
            hi = hi.max(l);
        }
        Some((lo, hi))
    }

    /// Up to `k` untaken patients that neither the user's own record,
    /// kin nor care ([`Self::linked`]) connects to the user.
    pub(super) fn unrelated_patients(&mut self, u: u32, k: usize, alive_only: bool) -> Vec<u32> {
        let mut out = Vec::new();
        let n = self.world.patients.len() as u32;
        let mut tries = 0;
        while out.len() < k && tries < k * 50 {
            tries += 1;
            let p = self.rng.gen_range(0..n);
            let pat = &self.world.patients[p as usize];
            if (alive_only && pat.deceased.is_some()) || self.used_patient[p as usize] || out.contains(&p) {
                continue;
            }
            if self.world.users[u as usize].patient == Some(p)
                || self.world.kin.iter().any(|x| x.user == u && x.patient == p)
            {
                continue;
            }
            if self.linked(u, p) {
                continue;
            }
            out.push(p);
        }
        out
    }
}

/// Categories a snooper reads in a clinical chart.
pub(super) const CLINICAL: &[Category] =
    &[Category::Demographics, Category::Notes, Category::Results, Category::Medications, Category::Imaging];

/// Plans `count` incidents spread round-robin over [`SCENARIOS`]. Users in
/// `reserved` (look-alikes) are never incident actors.
pub fn plan(
    rng: &mut Xoshiro256PlusPlus,
    world: &mut World,
    encs: &[Encounter],
    by_patient: &[Vec<u32>],
    sched: &Schedule,
    reserved: &[bool],
    count: usize,
) -> Incidents {
    let mut pl = Planner::new(rng, world, encs, by_patient, sched, reserved.to_vec());
    let mut labels = Vec::new();
    let mut skipped = Vec::new();
    for i in 0..count {
        let scenario = SCENARIOS[i % SCENARIOS.len()];
        let id = format!("INC-{:03}", i + 1);
        let rows = place(&mut pl, scenario);
        match rows {
            Some(rows) if !rows.is_empty() => {
                for (user, patient, start, end) in rows {
                    pl.used[user as usize] = true;
                    if let Some(p) = patient {
                        pl.used_patient[p as usize] = true;
                    }
                    labels.push(LabelRow { incident: id.clone(), scenario, user, patient, start, end });
                }
            }
            _ => skipped.push(scenario),
        }
    }
    Incidents { labels, extra: pl.extra, skipped }
}

type Rows = Vec<(u32, Option<u32>, i64, i64)>;

fn place(pl: &mut Planner, scenario: &str) -> Option<Rows> {
    match scenario {
        "self" => {
            for u in pl.actors(|w, u| w.users[u as usize].patient.is_some()) {
                let p = pl.world.users[u as usize].patient?;
                if pl.linked(u, p) {
                    continue;
                }
                let (a, b) = {
                    let v = pl.rng.gen_range(1..4);
                    pl.snoop(u, p, v, &[Category::Results, Category::Notes, Category::Medications, Category::Imaging])
                }?;
                return Some(vec![(u, Some(p), a, b)]);
            }
            None
        }
        "family" | "contact" => {
            let want_relative = scenario == "family";
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
                // nor shares an address is invisible to any rule, and a
                // shared surname alone is weak evidence by design.)
                let ok = if want_relative {
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
            if want_relative {
                return None;
            }
            // Small worlds may have no usable friend: list an actor as the
            // contact of an unrelated patient (an ex-partner, say).
            for u in pl.actors(|_, _| true).into_iter().take(20) {
                let Some(&p) = pl.unrelated_patients(u, 1, true).first() else { continue };
                let user = pl.world.users[u as usize].clone();
                let address = pl.world.households[user.household as usize].address.clone();
                let relationship = ["partner", "friend"][pl.rng.gen_range(0..2)];
                let v = pl.rng.gen_range(1..4);
                let Some((a, b)) = pl.snoop(u, p, v, CLINICAL) else { continue };
                let at = pl.world.contacts.partition_point(|c| c.patient <= p);
                pl.world
                    .contacts
                    .insert(at, Contact { patient: p, first: user.first, last: user.last, relationship, address });
                pl.world.kin.push(Kin {
                    user: u,
                    patient: p,
                    same_household: false,
                    listed_contact: true,
                    relative: false,
                });
                return Some(vec![(u, Some(p), a, b)]);
            }
            None
        }
        "coworker" => {
            for u in pl.actors(|_, _| true) {
                let home = pl.world.users[u as usize].home;
                let mut cands: Vec<u32> = (0..pl.world.users.len() as u32)
                    .filter(|&v| v != u && pl.world.users[v as usize].patient.is_some())
                    .collect();
                // Same department first: the classic case.
                cands.sort_by_key(|&v| pl.world.users[v as usize].home != home);
                for v in cands.into_iter().take(20) {
                    let p = pl.world.users[v as usize].patient?;
                    if pl.used_patient[p as usize]
                        || pl.linked(u, p)
                        || pl.world.kin.iter().any(|k| k.user == u && k.patient == p)
                    {
                        continue;
                    }
                    let (a, b) = {
                        let v = pl.rng.gen_range(1..3);
                        pl.snoop(u, p, v, CLINICAL)
                    }?;
                    return Some(vec![(u, Some(p), a, b)]);
                }
            }
            None
        }
        "neighbour" => {
            for u in pl.actors(|_, _| true) {
                let h = pl.world.users[u as usize].household;
                let last = pl.world.users[u as usize].last.clone();
                let mut best: Option<(f64, u32)> = None;
                for p in 0..pl.world.patients.len() as u32 {
                    let pat = &pl.world.patients[p as usize];
                    if pat.household == h || pat.last == last || pat.deceased.is_some() || pl.used_patient[p as usize] {
                        continue;
                    }
                    let d = pl.world.distance_m(h, pat.household);
                    if d < 300.0 && best.map(|b| d < b.0).unwrap_or(true) {
                        best = Some((d, p));
                    }
                }
                let Some((_, p)) = best else { continue };
                if pl.linked(u, p) {
                    continue;
                }
                let (a, b) = {
                    let v = pl.rng.gen_range(1..3);
                    pl.snoop(u, p, v, CLINICAL)
                }?;
                return Some(vec![(u, Some(p), a, b)]);
            }
            None
        }
        "vip" | "restricted" | "break_glass" | "deceased" => {
            let w0 = pl.w0();
            let mut targets: Vec<u32> = (0..pl.world.patients.len() as u32)
                .filter(|&p| {
                    let x = &pl.world.patients[p as usize];
                    !pl.used_patient[p as usize]
                        && match scenario {
                            "vip" => x.vip,
                            "deceased" => x.deceased.map(|d| day_start(d) < w0 - 60 * DAY).unwrap_or(false),
                            // Restricted charts need the override (the
                            // break_glass scenario); "restricted" snooping
                            // reads sensitive content the system lets through.
                            "restricted" => x.sensitive.is_sensitive(),
                            _ => x.restricted,
                        }
                })
                .collect();
            targets.shuffle(pl.rng);
            if scenario == "vip" {
                // A VIP in hospital right now draws the curious.
                let w1 = w0 + pl.world.days as i64 * DAY;
                targets.sort_by_key(|&p| {
                    !pl.by_patient[p as usize]
                        .iter()
                        .any(|&e| pl.encs[e as usize].end > w0 && pl.encs[e as usize].start < w1)
                });
            }
            for p in targets.into_iter().take(30) {
                let sens = pl.world.patients[p as usize].sensitive;
                for u in pl.actors(|_, _| true).into_iter().take(15) {
                    if pl.linked(u, p) {
                        continue;
                    }
                    let cats: Vec<Category> = match scenario {
                        // The point of such snooping is the sensitive part.
                        "restricted" | "break_glass" if sens.is_sensitive() => {
                            vec![sens, sens, sens, Category::Notes]
                        }
                        "restricted" | "break_glass" => {
                            vec![Category::BehavioralHealth, Category::Notes, Category::Demographics]
                        }
                        "deceased" => vec![Category::Notes, Category::Demographics, Category::Results],
                        _ => CLINICAL.to_vec(),
                    };
                    let wins = pl.work_windows(u);
                    let Some(&(_, (unit, a, b))) = wins.first() else { continue };
                    let ws = pl.ws_for(u, unit);
                    let t = pl.rng.gen_range(a..b);
                    let mut first = t;
                    if scenario == "break_glass" {
                        let reason = [3u8, 4, 1][pl.rng.gen_range(0..3)];
                        pl.emit(Event {
                            ts: t,
                            user: u,
                            patient: p,
                            ws,
                            dept: unit,
                            action: Action::View,
                            cat: Category::Demographics,
                            break_glass: true,
                            reason,
                            tag: 1,
                        });
                        first = t;
                    }
                    let n = pl.rng.gen_range(3..9);
                    let (f, mut last) = pl.peek(u, p, unit, ws, t + 20, n, &cats, Action::View);
                    if scenario != "break_glass" {
                        first = f;
                    }
                    if scenario == "vip" {
                        // A second look later.
                        if let Some(&(_, (unit2, a2, b2))) = wins.get(1) {
                            let t2 = pl.rng.gen_range(a2..b2);
                            let ws2 = pl.ws_for(u, unit2);
                            let (f2, l2) = pl.peek(u, p, unit2, ws2, t2, 3, &cats, Action::View);
                            first = first.min(f2);
                            last = last.max(l2);
                        }
                    }
                    return Some(vec![(u, Some(p), first.min(last), first.max(last))]);
                }
            }
            None
        }
        "curious_browsing" => {
            for u in pl.actors(|_, _| true) {
                let k = pl.rng.gen_range(5..11);
                let ps = pl.unrelated_patients(u, k, true);
                if ps.len() < 5 {
                    continue;
                }
                let wins = pl.work_windows(u);
                if wins.is_empty() {
                    continue;
                }
                let mut rows = Vec::new();
                for (i, p) in ps.into_iter().enumerate() {
                    let (_, (unit, a, b)) = wins[i % wins.len().min(4)];
                    let ws = pl.ws_for(u, unit);
                    let t = pl.rng.gen_range(a..b);
                    let n = pl.rng.gen_range(1..5);
                    let (f, l) = pl.peek(
                        u,
                        p,
                        unit,
                        ws,
                        t,
                        n,
                        &[Category::Demographics, Category::Notes, Category::Results],
                        Action::View,
                    );
                    rows.push((u, Some(p), f, l));
                }
                return Some(rows);
            }
            None
        }
        "terminated" => {
            let w0 = pl.w0();
            let days = pl.world.days as i64;
            let mut cands: Vec<u32> = (0..pl.world.users.len() as u32)
                .filter(|&u| {
                    let x = &pl.world.users[u as usize];
                    !pl.used[u as usize]
                        && x.termination_date.map(|t| {
                            let d = (day_start(t) - w0) / DAY;
                            d >= 0 && d + 2 < days
                        }) == Some(true)
                })
                .collect();
            cands.shuffle(pl.rng);
            let u = *cands.first()?;
            let term = day_start(pl.world.users[u as usize].termination_date?);
            let unit = pl.world.users[u as usize].base_unit;
            let ws = pl.ws_for(u, unit);
            let k = pl.rng.gen_range(6..16);
            let ps = pl.unrelated_patients(u, k, false);
            let (mut lo, mut hi) = (i64::MAX, i64::MIN);
            let n_days = pl.rng.gen_range(1..4).min((w0 + days * DAY - term) / DAY - 1).max(1);
            for (i, p) in ps.into_iter().enumerate() {
                let d = 1 + (i as i64 % n_days);
                let t = term + d * DAY + pl.rng.gen_range(17 * 3600..23 * 3600);
                let last = if pl.rng.gen_bool(0.3) { Action::Print } else { Action::View };
                let n = pl.rng.gen_range(2..6);
                let (f, l) = pl.peek(u, p, unit, ws, t, n, CLINICAL, last);
                lo = lo.min(f);
                hi = hi.max(l);
            }
            (lo <= hi).then(|| vec![(u, None, lo, hi)])
        }
        "bulk_export_night" | "compromised_account" => {
            let compromised = scenario == "compromised_account";
            let mut cands = pl.actors(|w, u| {
                matches!(
                    w.users[u as usize].role,
                    Role::Registration | Role::Nurse | Role::Physician | Role::MedicalAssistant
                )
            });
            if !compromised {
                // Back-office staff export too.
                let extra: Vec<u32> = (0..pl.world.users.len() as u32)
                    .filter(|&u| {
                        !pl.used[u as usize]
                            && matches!(
                                pl.world.users[u as usize].role,
                                Role::Billing | Role::HimCoder | Role::Registration
                            )
                            && pl.world.users[u as usize].termination_date.is_none()
                    })
                    .collect();
                cands.splice(0..0, extra);
                cands.shuffle(pl.rng);
            }
            let w0 = pl.w0();
            let days = pl.world.days as i64;
            for u in cands {
                // A night the user is not working (no shift today or crossing midnight).
                let from = (days / 4).max(1).min(days - 1);
                let mut nights: Vec<i64> = (from..days)
                    .filter(|&d| {
                        let prev = pl.sched.get(d - 1, u).shift;
                        pl.sched.get(d, u).shift != Shift::Night12
                            && pl.sched.get(d, u).shift != Shift::Graveyard
                            && !matches!(prev, Shift::Night12 | Shift::Graveyard)
                    })
                    .collect();
                nights.shuffle(pl.rng);
                let Some(&d) = nights.first() else { continue };
                let unit = pl.world.users[u as usize].base_unit;
                let ws = if compromised {
                    let n = pl.world.ws_names.len();
                    let name = format!("LAPTOP-{:04X}", (n * 7919 + 4242) % 65536);
                    let ip = format!(
                        "185.{}.{}.{}",
                        pl.rng.gen_range(100..220),
                        pl.rng.gen_range(0..255),
                        pl.rng.gen_range(2..250)
                    );
                    pl.world.add_ws(name, ip)
                } else {
                    pl.ws_for(u, unit)
                };
                let k = if compromised { pl.rng.gen_range(30..90) } else { pl.rng.gen_range(80..250) };
                let ps = pl.unrelated_patients(u, k, false);
                if ps.len() < 20 {
                    continue;
                }
                let mut t = w0 + d * DAY + pl.rng.gen_range(3600..4 * 3600);
                pl.fast = !compromised;
                pl.emit(Event {
                    ts: t,
                    user: u,
                    patient: u32::MAX,
                    ws,
                    dept: unit,
                    action: Action::Login,
                    cat: Category::Unspecified,
                    break_glass: false,
                    reason: 0,
                    tag: 1,
                });
                let lo = t;
                for p in ps {
                    t += if compromised { pl.rng.gen_range(8..60) } else { pl.rng.gen_range(1..6) };
                    let last = if compromised {
                        if pl.rng.gen_bool(0.25) {
                            Action::Export
                        } else {
                            Action::View
                        }
                    } else {
                        Action::Export
                    };
                    let (_, l) = pl.peek(
                        u,
                        p,
                        unit,
                        ws,
                        t,
                        if compromised { 3 } else { 2 },
                        &[Category::Demographics, Category::Billing, Category::Notes, Category::Results],
                        last,
                    );
                    t = l;
                }
                pl.fast = false;
                pl.emit(Event {
                    ts: t + 30,
                    user: u,
                    patient: u32::MAX,
                    ws,
                    dept: unit,
                    action: Action::Logout,
                    cat: Category::Unspecified,
                    break_glass: false,
                    reason: 0,
                    tag: 1,
                });
                return Some(vec![(u, None, lo, t + 30)]);
            }
            None
        }
        "slow_exfiltration" => {
            let mut cands: Vec<u32> = (0..pl.world.users.len() as u32)
                .filter(|&u| {
                    !pl.used[u as usize]
                        && matches!(
                            pl.world.users[u as usize].role,
                            Role::Billing | Role::Registration | Role::HimCoder | Role::MedicalAssistant
                        )
                        && pl.world.users[u as usize].termination_date.is_none()
                        && pl.world.users[u as usize].hire_date <= pl.world.start
                })
                .collect();
            cands.shuffle(pl.rng);
            for u in cands {
                let mut wins = pl.work_windows(u);
                wins.sort_by_key(|w| w.0);
                if wins.len() < 4 {
                    continue;
                }
                let span = wins.len().min(pl.rng.gen_range(5..11));
                let start_i = pl.rng.gen_range(0..=wins.len() - span);
                let per_day = pl.rng.gen_range(4..10);
                let ps = pl.unrelated_patients(u, per_day * span, false);
                if ps.len() < span * 2 {
                    continue;
                }
                let (mut lo, mut hi) = (i64::MAX, i64::MIN);
                for (i, p) in ps.into_iter().enumerate() {
                    let (_, (unit, a, b)) = wins[start_i + i % span];
                    let ws = pl.ws_for(u, unit);
                    let t = pl.rng.gen_range(a..b);
                    let last = if pl.rng.gen_bool(0.5) { Action::Export } else { Action::Print };
                    let (f, l) = pl.peek(
                        u,
                        p,
                        unit,
                        ws,
                        t,
                        3,
                        &[Category::Demographics, Category::Billing, Category::Demographics],
                        last,
                    );
                    lo = lo.min(f);
                    hi = hi.max(l);
                }
                return Some(vec![(u, None, lo, hi)]);
            }
            None
        }
        _ => None,
    }
}
