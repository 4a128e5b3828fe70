//! One day of access-log rows, generated from care.
//!
//! Clinical staff (nurses, physicians, residents, medical assistants) split
//! the patients of the unit they work in that shift, round-robin within the
//! unit and shift, and open and chart them repeatedly; attendings see their
//! own patients and cover for absent colleagues; consultants write a note on
//! another unit's patient; nocturnists cross-cover. Service staff (lab,
//! radiology, central pharmacy, registration, case management, HIM coding,
//! billing) work a queue of tasks generated from encounters (morning labs,
//! imaging, order verification, check-in, discharge planning, coding after
//! discharge, billing weeks later), each handed to someone on shift. Every
//! shift has logins, logouts and patient searches without a patient.
//!
//! A day's rows depend only on the world, the encounters, the plan and
//! `(seed, day)`, so days are generated in parallel and the output is the
//! same for a seed whatever the thread count.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, Weekday};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::encounters::{EncKind, Encounter, NO_USER};
use super::event::{day_start, Action, Category, Event, DAY, NO_PATIENT};
use super::schedule::{Schedule, Shift};
use super::world::{DeptKind, Role, World};

/// Inputs prepared by the incident and look-alike planners.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// ED surge day (index), if any.
    pub surge_day: Option<u32>,
    /// Per user: patients the user must be assigned when they are in the
    /// user's unit (same-surname treating clinician).
    pub forced: Vec<Vec<u32>>,
    /// Research coordinators and their study lists.
    pub studies: Vec<(u32, Vec<u32>)>,
    /// Per day: injected incident rows.
    pub extra: Vec<Vec<Event>>,
}

/// Something later written to lookalikes.csv, seen while generating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NotableKind {
    /// A legitimate access to a VIP.
    VipCare,
    /// A legitimate break-the-glass.
    BreakGlass,
    /// A forced same-surname care pair.
    SameSurname,
    /// A research coordinator opening a study patient.
    Research,
}

/// (kind, user, patient, ts).
pub type Notable = (NotableKind, u32, u32, i64);

/// Per-day counters.
#[derive(Debug, Clone, Default)]
pub struct DayStats {
    /// Rows per role.
    pub role_events: [u64; 13],
    /// Shifts started per role.
    pub role_shifts: [u64; 13],
    /// Care rows with a patient, per role.
    pub role_patient: [u64; 13],
    /// ... of which linked by provider or department.
    pub role_strict: [u64; 13],
    /// Legitimate rows with a patient.
    pub legit_patient: u64,
    /// ... linked by provider or department to an encounter of the patient.
    pub legit_strict: u64,
    /// ... linked to any current or recent encounter of the patient.
    pub legit_any: u64,
    /// ... explained the way ehrwatch's explain stage does without groups:
    /// provider or department, same-day charting, or role timing.
    pub legit_explained: u64,
    /// Incident rows with a patient.
    pub incident_patient: u64,
    /// ... linked by provider or department.
    pub incident_strict: u64,
}

/// A day's output.
pub struct DayOutput {
    /// Rows, sorted by time.
    pub events: Vec<Event>,
    /// Look-alike evidence seen while generating.
    pub notable: Vec<Notable>,
    /// Counters.
    pub stats: DayStats,
}

/// Read-only context shared by all days.
pub struct Ctx<'a> {
    /// World.
    pub world: &'a World,
    /// Schedule.
    pub sched: &'a Schedule,
    /// Encounters sorted by start.
    pub encs: &'a [Encounter],
    /// Encounter indices per patient, of exported encounters only (the link
    /// statistics describe what a rule can see).
    pub by_patient: &'a [Vec<u32>],
    /// Plan.
    pub plan: &'a Plan,
    /// Seed.
    pub seed: u64,
}

struct Profile {
    /// view, create, update, print, export (per mille).
    actions: [u16; 5],
    /// demographics, notes, results, medications, imaging, orders, billing.
    cats: [u16; 7],
    len: (u32, u32),
}

const NURSE: Profile = Profile { actions: [700, 90, 198, 12, 0], cats: [8, 22, 18, 35, 3, 12, 2], len: (3, 8) };
const PHYS: Profile = Profile { actions: [760, 120, 90, 30, 0], cats: [4, 32, 26, 10, 10, 18, 0], len: (5, 13) };
const RESIDENT: Profile = Profile { actions: [740, 140, 100, 20, 0], cats: [4, 32, 26, 10, 10, 18, 0], len: (6, 13) };
const PHARM: Profile = Profile { actions: [720, 40, 240, 0, 0], cats: [2, 4, 14, 62, 0, 18, 0], len: (3, 7) };
const LAB: Profile = Profile { actions: [450, 450, 100, 0, 0], cats: [2, 0, 78, 0, 0, 20, 0], len: (2, 5) };
const RAD: Profile = Profile { actions: [550, 300, 100, 50, 0], cats: [3, 6, 4, 0, 72, 15, 0], len: (3, 7) };
const REG: Profile = Profile { actions: [620, 80, 280, 20, 0], cats: [70, 0, 0, 0, 0, 2, 28], len: (3, 7) };
const MA: Profile = Profile { actions: [600, 100, 280, 20, 0], cats: [20, 10, 25, 35, 0, 10, 0], len: (3, 8) };
const CM: Profile = Profile { actions: [780, 120, 90, 10, 0], cats: [20, 50, 10, 10, 0, 5, 5], len: (4, 10) };
const HIM: Profile = Profile { actions: [870, 20, 100, 8, 2], cats: [5, 45, 15, 8, 5, 12, 10], len: (8, 20) };
const HIM_ROI: Profile = Profile { actions: [500, 0, 0, 380, 120], cats: [10, 50, 25, 5, 10, 0, 0], len: (3, 8) };
const BILLING: Profile = Profile { actions: [800, 30, 150, 20, 0], cats: [25, 5, 2, 0, 0, 8, 60], len: (4, 10) };
const IT: Profile = Profile { actions: [950, 0, 50, 0, 0], cats: [50, 10, 10, 10, 0, 20, 0], len: (1, 3) };
const RESEARCH: Profile = Profile { actions: [920, 20, 20, 40, 0], cats: [10, 30, 45, 10, 5, 0, 0], len: (2, 6) };

const ACTIONS: [Action; 5] = [Action::View, Action::Create, Action::Update, Action::Print, Action::Export];
const CATS: [Category; 7] = [
    Category::Demographics,
    Category::Notes,
    Category::Results,
    Category::Medications,
    Category::Imaging,
    Category::Orders,
    Category::Billing,
];

fn pick<const N: usize>(rng: &mut Xoshiro256PlusPlus, w: &[u16; N]) -> usize {
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

/// A span of work: one user, in one unit, between two times of this day.
#[derive(Debug, Clone, Copy)]
struct Work {
    user: u32,
    unit: u16,
    shift: Shift,
    /// Start of the whole shift (may be the previous evening).
    shift_start: i64,
    t0: i64,
    t1: i64,
}

/// Queues for task-based roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Pool {
    Lab,
    Rad,
    Pharm,
    Reg(u16),
    Cm,
    Him,
    Billing,
}

struct Task {
    /// Done from the patient's unit rather than the worker's.
    on_unit: Option<u16>,
    t: i64,
    patient: u32,
    enc: u32,
    pool: Pool,
    profile: &'static Profile,
    bursts: u32,
}

impl Task {
    /// A one-burst task done from the worker's own unit (registration, lab,
    /// radiology, pharmacy around an encounter).
    fn service(t: i64, patient: u32, enc: u32, pool: Pool, profile: &'static Profile) -> Task {
        Task { on_unit: None, t, patient, enc, pool, profile, bursts: 1 }
    }
}

struct Gen<'a> {
    ctx: &'a Ctx<'a>,
    rng: Xoshiro256PlusPlus,
    d0: i64,
    d1: i64,
    out: Vec<Event>,
    /// Current workstation per user while generating their work.
    ws: u32,
}

/// Derives a per-purpose seed.
pub fn mix(seed: u64, a: u64, b: u64) -> u64 {
    let mut z = seed ^ a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn next_weekday(d: chrono::NaiveDate) -> chrono::NaiveDate {
    match d.weekday() {
        Weekday::Sat => d + Duration::days(2),
        Weekday::Sun => d + Duration::days(1),
        _ => d,
    }
}

impl<'a> Gen<'a> {
    fn world(&self) -> &'a World {
        self.ctx.world
    }

    fn pick_ws(&mut self, user: u32, unit: u16, sticky: f64) {
        let u = &self.world().users[user as usize];
        if u.remote {
            if let Some(w) = u.own_ws {
                self.ws = w;
                return;
            }
        }
        if self.rng.gen_bool(sticky) && self.ws != u32::MAX {
            return;
        }
        let pool = &self.world().ws_pools[unit as usize];
        if u.base_unit == unit && self.rng.gen_bool(0.5) {
            if let Some(w) = u.own_ws {
                self.ws = w;
                return;
            }
        }
        if !pool.is_empty() {
            self.ws = pool[self.rng.gen_range(0..pool.len())];
        }
    }

    fn push(&mut self, ts: i64, user: u32, patient: u32, unit: u16, action: Action, cat: Category) {
        if ts < self.d0 || ts >= self.d1 {
            return;
        }
        self.out.push(Event {
            ts,
            user,
            patient,
            ws: self.ws,
            dept: unit,
            action,
            cat,
            break_glass: false,
            reason: 0,
            tag: 0,
        });
    }

    /// A burst of activity on one patient's record starting at `t`.
    fn burst(&mut self, user: u32, patient: u32, unit: u16, t: i64, prof: &Profile, chart: bool) -> i64 {
        let world = self.world();
        let pat = &world.patients[patient as usize];
        let dep_sens = world.depts[unit as usize].sensitive;
        let mut t = t;
        if self.rng.gen_bool(0.12) {
            let ts = t - self.rng.gen_range(5..40);
            self.push(ts, user, NO_PATIENT, unit, Action::Search, Category::Unspecified);
        }
        // Restricted charts opened from the ED need the emergency override.
        if pat.restricted && world.depts[unit as usize].kind == DeptKind::Emergency && self.rng.gen_bool(0.3) {
            if t >= self.d0 && t < self.d1 {
                self.out.push(Event {
                    ts: t,
                    user,
                    patient,
                    ws: self.ws,
                    dept: unit,
                    action: Action::View,
                    cat: Category::Demographics,
                    break_glass: true,
                    reason: 1 + self.rng.gen_range(0..2),
                    tag: 0,
                });
            }
            t += self.rng.gen_range(5..30);
        }
        let n = self.rng.gen_range(prof.len.0..=prof.len.1);
        for i in 0..n {
            let mut action = ACTIONS[pick(&mut self.rng, &prof.actions)];
            let mut cat = CATS[pick(&mut self.rng, &prof.cats)];
            if chart && i == n - 1 {
                action = Action::Create;
                cat = Category::Notes;
            }
            if matches!(cat, Category::Notes | Category::Results) {
                let s = pat.sensitive;
                if dep_sens != Category::Unspecified
                    && (s == dep_sens || dep_sens == Category::BehavioralHealth)
                    && self.rng.gen_bool(0.6)
                {
                    cat = dep_sens;
                } else if s != Category::Unspecified && self.rng.gen_bool(0.1) {
                    cat = s;
                }
            }
            self.push(t, user, patient, unit, action, cat);
            t += self.rng.gen_range(4..75);
        }
        t
    }

    fn logins(&mut self, w: &Work, extra_pairs: u32) {
        let u = w.user;
        self.pick_ws(u, w.unit, 0.0);
        let t = w.t0.max(w.shift_start + self.rng.gen_range(0..600));
        if w.t0 == w.shift_start || t > w.t0 {
            self.push(t, u, NO_PATIENT, w.unit, Action::Login, Category::Unspecified);
        }
        for _ in 0..extra_pairs {
            let a = self.rng.gen_range(w.t0..w.t1.max(w.t0 + 1));
            self.push(a, u, NO_PATIENT, w.unit, Action::Logout, Category::Unspecified);
            let b = a + self.rng.gen_range(20..900);
            self.push(b, u, NO_PATIENT, w.unit, Action::Login, Category::Unspecified);
        }
        let end = w.shift_start + w.shift.span().1 - self.rng.gen_range(0..900);
        if end < self.d1 && end >= w.t0 {
            self.push(end, u, NO_PATIENT, w.unit, Action::Logout, Category::Unspecified);
        }
        for _ in 0..self.rng.gen_range(1..4) {
            let a = self.rng.gen_range(w.t0..w.t1.max(w.t0 + 1));
            self.push(a, u, NO_PATIENT, w.unit, Action::Search, Category::Unspecified);
        }
    }

    /// Touches spread over the overlap of `[a, b)` with the work window.
    fn care(&mut self, w: &Work, patient: u32, a: i64, b: i64, per_hour: f64, prof: &Profile, chart_daily: bool) {
        let (lo, hi) = (a.max(w.t0), b.min(w.t1));
        if hi <= lo {
            return;
        }
        let hours = (hi - lo) as f64 / 3600.0;
        let expected = (hours * per_hour).max(0.6);
        let n = (expected.floor() as u32 + u32::from(self.rng.gen_bool(expected.fract()))).max(1);
        for i in 0..n {
            let t = self.rng.gen_range(lo..hi);
            self.pick_ws(w.user, w.unit, 0.7);
            self.burst(w.user, patient, w.unit, t, prof, chart_daily && i == 0);
        }
    }
}

/// Generates day `day` (0-based).
pub fn simulate_day(ctx: &Ctx, day: u32) -> DayOutput {
    let world = ctx.world;
    let date = world.start + Duration::days(day as i64);
    let d0 = day_start(date);
    let d1 = d0 + DAY;
    let mut g = Gen {
        ctx,
        rng: Xoshiro256PlusPlus::seed_from_u64(mix(ctx.seed, 0xDA7, day as u64)),
        d0,
        d1,
        out: Vec::with_capacity(world.users.len() * 150),
        ws: u32::MAX,
    };
    let encs = ctx.encs;
    let nd = world.depts.len();

    // Encounters relevant today.
    let lo = encs.partition_point(|e| e.start < d0 - 100 * DAY);
    let hi = encs.partition_point(|e| e.start < d1);
    let hi_ahead = encs.partition_point(|e| e.start < d1 + 8 * DAY);
    let mut unit_in: Vec<Vec<u32>> = vec![Vec::new(); nd];
    let mut ed_today: Vec<u32> = Vec::new();
    let mut clinic_today: Vec<Vec<u32>> = vec![Vec::new(); nd];
    let mut clinic_recent: Vec<Vec<u32>> = vec![Vec::new(); nd];
    let mut provider_recent: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    let mut ended: Vec<u32> = Vec::new();
    let mut provider_old: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for i in lo..hi {
        let e = &encs[i];
        let i = i as u32;
        let active = e.start < d1 && e.end > d0;
        match e.kind {
            EncKind::Inpatient if active => unit_in[e.dept as usize].push(i),
            EncKind::Emergency if active => ed_today.push(i),
            EncKind::Outpatient if e.start >= d0 => clinic_today[e.dept as usize].push(i),
            EncKind::Outpatient if e.end >= d0 - 30 * DAY => {
                clinic_recent[e.dept as usize].push(i);
                if e.provider != NO_USER && e.end >= d0 - 14 * DAY {
                    provider_recent.entry(e.provider).or_default().push(i);
                }
            }
            _ => {}
        }
        if e.end < d0 && e.end >= d0 - 90 * DAY {
            ended.push(i);
            if e.end < d0 - 8 * DAY && e.end >= d0 - 40 * DAY && e.provider != NO_USER {
                provider_old.entry(e.provider).or_default().push(i);
            }
        }
    }

    // Clinic visits three to eight days ahead, per provider (referral and
    // chart review before the visit: legitimate, before any encounter window).
    let mut upcoming: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for i in hi..hi_ahead {
        let e = &encs[i];
        if e.kind == EncKind::Outpatient && e.start >= d0 + 3 * DAY && e.provider != NO_USER {
            upcoming.entry(e.provider).or_default().push(i as u32);
        }
    }

    // Who works today, and where.
    let mut work: Vec<Work> = Vec::new();
    let mut stats = DayStats::default();
    for u in 0..world.users.len() as u32 {
        for dd in [day as i64 - 1, day as i64] {
            let s = ctx.sched.get(dd, u);
            if s.shift == Shift::Off {
                continue;
            }
            let (st, len) = s.shift.span();
            let shift_start = d0 + (dd - day as i64) * DAY + st;
            let (t0, t1) = (shift_start.max(d0), (shift_start + len).min(d1));
            if t1 > t0 {
                work.push(Work { user: u, unit: s.unit, shift: s.shift, shift_start, t0, t1 });
            }
            if dd == day as i64 {
                stats.role_shifts[world.users[u as usize].role.index()] += 1;
            }
        }
    }
    // Teams: same role family, unit and shift start, for round-robin splits.
    let mut teams: BTreeMap<(u8, u16, i64), Vec<u32>> = BTreeMap::new();
    for (wi, w) in work.iter().enumerate() {
        let role = world.users[w.user as usize].role;
        let fam = match role {
            Role::Nurse | Role::MedicalAssistant => 0,
            Role::Physician => 1,
            Role::Resident => 2,
            _ => continue,
        };
        teams.entry((fam, w.unit, w.shift_start)).or_default().push(wi as u32);
    }
    let team_pos = |fam: u8, wi: usize| -> (usize, usize) {
        let w = &work[wi];
        let t = &teams[&(fam, w.unit, w.shift_start)];
        (t.iter().position(|&x| x as usize == wi).unwrap_or(0), t.len())
    };
    let on_duty_in = |u: u32, unit: u16| -> bool {
        let s = ctx.sched.get(day as i64, u);
        s.shift != Shift::Off && s.unit == unit
    };

    let ed = world.dept("ED");
    for wi in 0..work.len() {
        let w = work[wi];
        let user = &world.users[w.user as usize];
        g.ws = u32::MAX;
        let start_len = g.out.len();
        let kind = world.depts[w.unit as usize].kind;
        match user.role {
            Role::Nurse | Role::MedicalAssistant => {
                g.logins(&w, 2);
                let (k, n) = team_pos(0, wi);
                let (prof, rate) = if user.role == Role::Nurse { (&NURSE, 0.8) } else { (&MA, 0.0) };
                if world.depts[w.unit as usize].id == "ICU" && user.role == Role::Nurse && g.rng.gen_bool(0.15) {
                    // Rapid-response call on another unit, charted.
                    let other = (g.rng.gen_range(0..nd)) as u16;
                    if let Some(&e) = unit_in[other as usize].choose(&mut g.rng) {
                        let t = g.rng.gen_range(w.t0..w.t1);
                        g.burst(w.user, encs[e as usize].patient, w.unit, t, &NURSE, true);
                    }
                }
                match kind {
                    DeptKind::Inpatient => {
                        let list = &unit_in[w.unit as usize];
                        // A nurse carries at most twice the unit's ratio.
                        let cap = (world.depts[w.unit as usize].ratio * 2.0) as usize * n;
                        for (j, &e) in list.iter().enumerate() {
                            let enc = &encs[e as usize];
                            let forced =
                                ctx.plan.forced.get(w.user as usize).map(|f| f.contains(&enc.patient)).unwrap_or(false);
                            if (j % n == k && j < cap) || forced {
                                g.care(&w, enc.patient, enc.start, enc.end, rate, prof, true);
                            } else if g.rng.gen_bool(0.06) {
                                g.care(&w, enc.patient, enc.start, enc.end, 0.0, prof, false);
                            }
                        }
                    }
                    DeptKind::Emergency => {
                        let mut taken = 0;
                        for (j, &e) in ed_today.iter().enumerate() {
                            let enc = &encs[e as usize];
                            let here = enc.start < w.t1 && enc.end > w.t0;
                            if here && j % n == k && taken < 16 {
                                taken += 1;
                                g.care(&w, enc.patient, enc.start, enc.end, 1.3, prof, true);
                            }
                        }
                    }
                    _ => {
                        for (j, &e) in clinic_today[w.unit as usize].iter().enumerate() {
                            let enc = &encs[e as usize];
                            if j % n == k || g.rng.gen_bool(0.1) {
                                let t = enc.start - g.rng.gen_range(0..900);
                                g.pick_ws(w.user, w.unit, 0.8);
                                g.burst(w.user, enc.patient, w.unit, t, prof, false);
                                if g.rng.gen_bool(0.6) {
                                    let t2 = enc.end + g.rng.gen_range(0..1800);
                                    g.burst(w.user, enc.patient, w.unit, t2, prof, false);
                                }
                            }
                        }
                        // Phone triage and refills for recent patients.
                        let recent = &clinic_recent[w.unit as usize];
                        if !recent.is_empty() {
                            for _ in 0..g.rng.gen_range(2..7) {
                                let e = recent[g.rng.gen_range(0..recent.len())];
                                let t = g.rng.gen_range(w.t0..w.t1);
                                g.burst(w.user, encs[e as usize].patient, w.unit, t, prof, false);
                            }
                        }
                    }
                }
            }
            Role::Physician | Role::Resident => {
                g.logins(&w, 1);
                // Looking back at a former patient (a result that came in
                // late, a letter, curiosity about the outcome): legitimate,
                // but no current encounter explains it.
                if let Some(old) = provider_old.get(&w.user) {
                    if g.rng.gen_bool(0.25) {
                        let e = old[g.rng.gen_range(0..old.len())];
                        let t = g.rng.gen_range(w.t0..w.t1);
                        g.burst(w.user, encs[e as usize].patient, w.unit, t, &PHYS, false);
                    }
                }
                let resident = user.role == Role::Resident;
                let fam = if resident { 2 } else { 1 };
                let (k, n) = team_pos(fam, wi);
                let prof = if resident { &RESIDENT } else { &PHYS };
                let night = matches!(w.shift, Shift::Night12);
                match kind {
                    DeptKind::Inpatient => {
                        // Residents carry about ten patients, attendings
                        // cover at most about twenty besides their own.
                        let cap = if resident {
                            10
                        } else if night {
                            40
                        } else {
                            20
                        };
                        let mut taken = 0;
                        for (j, &e) in unit_in[w.unit as usize].iter().enumerate() {
                            let enc = &encs[e as usize];
                            let mine = enc.provider == w.user
                                || ctx
                                    .plan
                                    .forced
                                    .get(w.user as usize)
                                    .map(|f| f.contains(&enc.patient))
                                    .unwrap_or(false);
                            let uncovered = enc.provider == NO_USER || !on_duty_in(enc.provider, w.unit);
                            let rate = if night {
                                0.12
                            } else if resident {
                                0.45
                            } else {
                                0.3
                            };
                            let share = ((uncovered && !resident) || resident) && j % n == k && taken < cap;
                            if share {
                                taken += 1;
                            }
                            if mine || share {
                                g.care(&w, enc.patient, enc.start, enc.end, rate, prof, !night);
                            } else if night && g.rng.gen_bool(0.2) {
                                g.care(&w, enc.patient, enc.start, enc.end, 0.0, prof, false);
                            }
                        }
                        // Nocturnists cross-cover neighbouring adult units.
                        if night && !resident {
                            for id in ["SURG", "CARD", "NEURO", "ONC", "ORTHO"] {
                                let other = world.dept(id);
                                if other == w.unit {
                                    continue;
                                }
                                for &e in &unit_in[other as usize] {
                                    if g.rng.gen_bool(0.04) {
                                        let enc = &encs[e as usize];
                                        g.care(&w, enc.patient, enc.start, enc.end, 0.0, prof, false);
                                    }
                                }
                            }
                        }
                        // Consults asked of this department.
                        if !resident && !night {
                            let docs: Vec<u32> = teams.get(&(1, w.unit, w.shift_start)).cloned().unwrap_or_default();
                            for list in &unit_in {
                                for &e in list {
                                    let enc = &encs[e as usize];
                                    if enc.consult != w.unit || enc.start < d0 - 2 * DAY || docs.is_empty() {
                                        continue;
                                    }
                                    if docs[e as usize % docs.len()] as usize != wi {
                                        continue;
                                    }
                                    let at_unit = if g.rng.gen_bool(0.5) { enc.dept } else { w.unit };
                                    let t = g.rng.gen_range(w.t0..w.t1).max(enc.start);
                                    let saved = g.ws;
                                    g.pick_ws(w.user, at_unit, 0.0);
                                    g.burst(w.user, enc.patient, at_unit, t, prof, true);
                                    g.ws = saved;
                                }
                            }
                        }
                    }
                    DeptKind::Emergency => {
                        let mut taken = 0;
                        for (j, &e) in ed_today.iter().enumerate() {
                            let enc = &encs[e as usize];
                            let here = enc.start < w.t1 && enc.end > w.t0;
                            if !here {
                                continue;
                            }
                            let uncovered = enc.provider == NO_USER || !on_duty_in(enc.provider, w.unit);
                            let share = ((uncovered && j % n == k) || (resident && j % (n * 2) == k)) && taken < 14;
                            if share {
                                taken += 1;
                            }
                            if enc.provider == w.user || share {
                                g.care(&w, enc.patient, enc.start, enc.end, 0.6, prof, true);
                            }
                        }
                    }
                    _ => {
                        // Clinic: chart prep, the visit, note signing, inbox.
                        for &e in &clinic_today[w.unit as usize] {
                            let enc = &encs[e as usize];
                            if enc.provider != w.user && !(resident && e as usize % 4 == 0) {
                                continue;
                            }
                            g.pick_ws(w.user, w.unit, 0.9);
                            let prep = (enc.start - g.rng.gen_range(600..5400)).max(w.t0);
                            g.burst(w.user, enc.patient, w.unit, prep, prof, false);
                            let visit = enc.start + g.rng.gen_range(60..600);
                            g.burst(w.user, enc.patient, w.unit, visit, prof, false);
                            let sign = enc.end + g.rng.gen_range(0..7200);
                            g.burst(w.user, enc.patient, w.unit, sign, prof, true);
                        }
                        if let Some(list) = upcoming.get(&w.user) {
                            for &e in list {
                                if g.rng.gen_bool(0.12) {
                                    let t = g.rng.gen_range(w.t0..w.t1);
                                    g.burst(w.user, encs[e as usize].patient, w.unit, t, prof, false);
                                }
                            }
                        }
                        if let Some(list) = provider_recent.get(&w.user) {
                            for _ in 0..g.rng.gen_range(3..9).min(list.len()) {
                                let e = list[g.rng.gen_range(0..list.len())];
                                let t = g.rng.gen_range(w.t0..w.t1);
                                g.burst(w.user, encs[e as usize].patient, w.unit, t, prof, false);
                            }
                        }
                    }
                }
            }
            Role::Pharmacist if kind == DeptKind::Inpatient => {
                // Clinical pharmacist on the unit.
                g.logins(&w, 1);
                for &e in &unit_in[w.unit as usize] {
                    let enc = &encs[e as usize];
                    g.care(&w, enc.patient, enc.start, enc.end, 0.12, &PHARM, false);
                }
            }
            Role::It => {
                let pairs = g.rng.gen_range(4..12);
                g.logins(&w, pairs);
                // Occasional ticket on a current inpatient's record.
                for _ in 0..g.rng.gen_range(0..3) {
                    let list = &unit_in[g.rng.gen_range(0..nd)];
                    if let Some(&e) = list.choose(&mut g.rng) {
                        let t = g.rng.gen_range(w.t0..w.t1);
                        g.burst(w.user, encs[e as usize].patient, w.unit, t, &IT, false);
                    }
                }
            }
            Role::Research => {
                g.logins(&w, 1);
                if let Some((_, study)) = ctx.plan.studies.iter().find(|(u, _)| *u == w.user) {
                    let k = g.rng.gen_range(6..15).min(study.len());
                    let picks: Vec<u32> = study.choose_multiple(&mut g.rng, k).copied().collect();
                    for p in picks {
                        let t = g.rng.gen_range(w.t0..w.t1);
                        g.burst(w.user, p, w.unit, t, &RESEARCH, false);
                    }
                }
            }
            _ => {
                g.logins(&w, 1);
            }
        }
        stats.role_events[user.role.index()] += (g.out.len() - start_len) as u64;
    }

    // Task queues for service roles.
    let mut tasks: Vec<Task> = Vec::new();
    let rng = &mut g.rng;
    let reg_desk = world.dept("REG");
    for (unit, list) in unit_in.iter().enumerate() {
        let unit = unit as u16;
        for &e in list {
            let enc = &encs[e as usize];
            let p = enc.patient;
            if enc.start < d0 + 5 * 3600 && enc.end > d0 + 5 * 3600 {
                tasks.push(Task::service(d0 + rng.gen_range(4 * 3600..7 * 3600), p, e, Pool::Lab, &LAB));
            }
            if rng.gen_bool(0.4) {
                let t = rng.gen_range(enc.start.max(d0)..enc.end.min(d1).max(enc.start.max(d0) + 1));
                tasks.push(Task { on_unit: None, t, patient: p, enc: e, pool: Pool::Lab, profile: &LAB, bursts: 1 });
            }
            for _ in 0..1 {
                let t = rng.gen_range(enc.start.max(d0)..enc.end.min(d1).max(enc.start.max(d0) + 1));
                tasks.push(Task {
                    on_unit: None,
                    t,
                    patient: p,
                    enc: e,
                    pool: Pool::Pharm,
                    profile: &PHARM,
                    bursts: 1,
                });
            }
            if enc.start >= d0 {
                tasks.push(Task::service(enc.start - rng.gen_range(0..1800), p, e, Pool::Reg(reg_desk), &REG));
                tasks.push(Task::service(enc.start + rng.gen_range(1800..7200), p, e, Pool::Pharm, &PHARM));
            }
            if enc.imaging && enc.start >= d0 - DAY {
                tasks.push(Task {
                    on_unit: None,
                    t: (enc.start + rng.gen_range(3600..36_000)).max(d0 + rng.gen_range(0..DAY)),
                    patient: p,
                    enc: e,
                    pool: Pool::Rad,
                    profile: &RAD,
                    bursts: 2,
                });
            }
            let wd = !matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
            if (wd && rng.gen_bool(0.45)) || (enc.end < d1 && rng.gen_bool(0.8)) {
                tasks.push(Task {
                    on_unit: Some(enc.dept),
                    t: d0 + rng.gen_range(8 * 3600..17 * 3600),
                    patient: p,
                    enc: e,
                    pool: Pool::Cm,
                    profile: &CM,
                    bursts: 1,
                });
            }
            let _ = unit;
        }
    }
    for &e in &ed_today {
        let enc = &encs[e as usize];
        if enc.start < d0 {
            continue;
        }
        let p = enc.patient;
        tasks.push(Task::service(enc.start + rng.gen_range(-300..600), p, e, Pool::Reg(ed), &REG));
        if rng.gen_bool(0.75) {
            tasks.push(Task::service(enc.start + rng.gen_range(1800..5400), p, e, Pool::Lab, &LAB));
        }
        if enc.imaging {
            tasks.push(Task::service(enc.start + rng.gen_range(2400..7200), p, e, Pool::Rad, &RAD));
        }
        if rng.gen_bool(0.3) {
            tasks.push(Task::service(enc.start + rng.gen_range(1800..7200), p, e, Pool::Pharm, &PHARM));
        }
    }
    for (c, list) in clinic_today.iter().enumerate() {
        for &e in list {
            let enc = &encs[e as usize];
            let p = enc.patient;
            tasks.push(Task::service(enc.start - rng.gen_range(0..900), p, e, Pool::Reg(c as u16), &REG));
            if rng.gen_bool(0.25) {
                tasks.push(Task::service(enc.end + rng.gen_range(600..5400), p, e, Pool::Lab, &LAB));
            }
            if enc.imaging {
                tasks.push(Task::service(enc.end + rng.gen_range(600..3600), p, e, Pool::Rad, &RAD));
            }
        }
    }
    // Coding after discharge and billing weeks later, on weekdays.
    for &e in &ended {
        let enc = &encs[e as usize];
        let end_date = chrono::DateTime::from_timestamp(enc.end, 0).map(|x| x.date_naive()).unwrap_or(date);
        let h = mix(ctx.seed, 0xB111, e as u64);
        if enc.kind != EncKind::Outpatient && (enc.kind == EncKind::Inpatient || h % 2 == 0) && enc.end >= d0 - 20 * DAY
        {
            let code_day = next_weekday(end_date + Duration::days(1 + (h % 6) as i64));
            if code_day == date {
                let bursts = if enc.kind == EncKind::Inpatient { 2 + (h % 3) as u32 } else { 1 };
                tasks.push(Task {
                    on_unit: None,
                    t: d0 + rng.gen_range(8 * 3600..16 * 3600),
                    patient: enc.patient,
                    enc: e,
                    pool: Pool::Him,
                    profile: &HIM,
                    bursts,
                });
                if (h >> 8) % 25 == 0 {
                    tasks.push(Task::service(
                        d0 + rng.gen_range(8 * 3600..16 * 3600),
                        enc.patient,
                        e,
                        Pool::Him,
                        &HIM_ROI,
                    ));
                }
            }
        }
        let bill_day = next_weekday(end_date + Duration::days(3 + ((h >> 16) % 15) as i64));
        let follow_up = next_weekday(end_date + Duration::days(20 + ((h >> 24) % 15) as i64));
        let denial = next_weekday(end_date + Duration::days(50 + ((h >> 40) % 35) as i64));
        let billed = enc.end >= d0 - 45 * DAY && (bill_day == date || ((h >> 32) % 5 == 0 && follow_up == date));
        if billed || ((h >> 48) % 8 == 0 && denial == date) {
            tasks.push(Task::service(d0 + rng.gen_range(8 * 3600..16 * 3600), enc.patient, e, Pool::Billing, &BILLING));
        }
    }

    // Hand tasks to someone on shift in the right queue.
    let mut pools: BTreeMap<Pool, Vec<u32>> = BTreeMap::new();
    for (wi, w) in work.iter().enumerate() {
        let u = &world.users[w.user as usize];
        let pool = match u.role {
            Role::LabTech => Pool::Lab,
            Role::RadiologyTech => Pool::Rad,
            Role::Pharmacist if world.depts[w.unit as usize].kind != DeptKind::Inpatient => Pool::Pharm,
            Role::Registration => Pool::Reg(w.unit),
            Role::CaseManager => Pool::Cm,
            Role::HimCoder => Pool::Him,
            Role::Billing => Pool::Billing,
            _ => continue,
        };
        pools.entry(pool).or_default().push(wi as u32);
    }
    let mut done_by: Vec<Vec<(i64, u32, &'static Profile, u32, Option<u16>)>> = vec![Vec::new(); work.len()];
    for (ti, task) in tasks.iter().enumerate() {
        let mut list = pools.get(&task.pool);
        if list.is_none() {
            if let Pool::Reg(_) = task.pool {
                list = pools.get(&Pool::Reg(reg_desk)).or_else(|| pools.get(&Pool::Reg(ed)));
            }
        }
        let Some(list) = list else { continue };
        let covering: Vec<u32> = list
            .iter()
            .copied()
            .filter(|&wi| work[wi as usize].t0 <= task.t && task.t < work[wi as usize].t1)
            .collect();
        let h = mix(ctx.seed, task.enc as u64, ti as u64) as usize;
        let (wi, t) = if !covering.is_empty() {
            (covering[h % covering.len()], task.t)
        } else {
            let wi = list[h % list.len()];
            let w = &work[wi as usize];
            (wi, g.rng.gen_range(w.t0..w.t1))
        };
        done_by[wi as usize].push((t, task.patient, task.profile, task.bursts, task.on_unit));
    }
    for (wi, jobs) in done_by.into_iter().enumerate() {
        let w = work[wi];
        let role = world.users[w.user as usize].role;
        let start_len = g.out.len();
        g.ws = u32::MAX;
        g.pick_ws(w.user, w.unit, 0.0);
        for (t, p, prof, bursts, on_unit) in jobs {
            let mut t = t;
            let unit = on_unit.unwrap_or(w.unit);
            for _ in 0..bursts {
                g.pick_ws(w.user, unit, if unit == w.unit { 0.85 } else { 0.0 });
                t = g.burst(w.user, p, unit, t, prof, false) + g.rng.gen_range(30..1200);
            }
        }
        stats.role_events[role.index()] += (g.out.len() - start_len) as u64;
    }

    // Incidents planned for today.
    let mut events = g.out;
    if let Some(extra) = ctx.plan.extra.get(day as usize) {
        for e in extra {
            stats.role_events[world.users[e.user as usize].role.index()] += 1;
            events.push(*e);
        }
    }
    events.sort_by_key(|e| (e.ts, e.user));

    // Link statistics and notable pairs.
    let mut charted: Vec<(u32, u32)> = events
        .iter()
        .filter(|e| e.patient != NO_PATIENT && matches!(e.action, Action::Create | Action::Update))
        .map(|e| (e.user, e.patient))
        .collect();
    charted.sort_unstable();
    charted.dedup();
    let mut notable = Vec::new();
    for e in &events {
        if e.patient == NO_PATIENT {
            continue;
        }
        let u = &world.users[e.user as usize];
        let mut strict = false;
        let mut any = false;
        let mut role_timing = false;
        for &ei in &ctx.by_patient[e.patient as usize] {
            let enc = &encs[ei as usize];
            if e.ts >= enc.start - 3 * DAY && e.ts <= enc.end + 45 * DAY {
                any = true;
            }
            role_timing |= match u.role {
                Role::HimCoder | Role::Billing => e.ts >= enc.end && e.ts <= enc.end + 45 * DAY,
                Role::Registration => e.ts >= enc.start - 3 * DAY && e.ts <= enc.start + 2 * DAY,
                Role::Pharmacist | Role::LabTech | Role::RadiologyTech | Role::CaseManager => {
                    e.ts >= enc.start - DAY && e.ts <= enc.end + 7 * DAY
                }
                _ => false,
            };
            if e.ts >= enc.start - DAY
                && e.ts <= enc.end + 7 * DAY
                && (enc.provider == e.user || enc.dept == u.home || enc.dept == e.dept)
            {
                strict = true;
                break;
            }
        }
        if e.tag == 0 {
            stats.legit_patient += 1;
            stats.legit_strict += u64::from(strict);
            stats.role_patient[u.role.index()] += 1;
            stats.role_strict[u.role.index()] += u64::from(strict);
            stats.legit_any += u64::from(any || strict);
            let documented = charted.binary_search(&(e.user, e.patient)).is_ok();
            stats.legit_explained += u64::from(strict || role_timing || documented);
            let pat = &world.patients[e.patient as usize];
            if pat.vip {
                notable.push((NotableKind::VipCare, e.user, e.patient, e.ts));
            }
            if e.break_glass {
                notable.push((NotableKind::BreakGlass, e.user, e.patient, e.ts));
            }
            if ctx.plan.forced.get(e.user as usize).map(|f| f.contains(&e.patient)).unwrap_or(false) {
                notable.push((NotableKind::SameSurname, e.user, e.patient, e.ts));
            }
            if u.role == Role::Research {
                notable.push((NotableKind::Research, e.user, e.patient, e.ts));
            }
        } else {
            stats.incident_patient += 1;
            stats.incident_strict += u64::from(strict);
        }
    }
    DayOutput { events, notable, stats }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_differ_by_purpose_and_are_stable() {
        assert_eq!(mix(1, 2, 3), mix(1, 2, 3));
        assert_ne!(mix(1, 2, 3), mix(1, 2, 4));
        assert_ne!(mix(1, 2, 3), mix(2, 2, 3));
    }

    #[test]
    fn weekend_work_moves_to_monday() {
        let sat = chrono::NaiveDate::from_ymd_opt(2026, 10, 3).unwrap();
        assert_eq!(next_weekday(sat), chrono::NaiveDate::from_ymd_opt(2026, 10, 5).unwrap());
        let tue = chrono::NaiveDate::from_ymd_opt(2026, 10, 6).unwrap();
        assert_eq!(next_weekday(tue), tue);
    }

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
