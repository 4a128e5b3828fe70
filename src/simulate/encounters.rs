//! Encounters: inpatient stays (many admitted through the ED), ED visits and
//! clinic visits, sized from the staff of each department so that nurses
//! carry realistic patient loads, with an attending provider who is on duty,
//! consult and imaging needs, and deaths in hospital.
//!
//! Encounters start up to [`LOOKBACK_DAYS`] before the window so that the
//! first simulated days already have a full census and a billing backlog.

use chrono::{Datelike, Duration, Weekday};
use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::event::{day_start, Category, DAY};
use super::schedule::{Schedule, Shift};
use super::world::{DeptKind, Role, World};

/// Days of encounters simulated before the first access-log day.
pub const LOOKBACK_DAYS: i64 = 90;

/// "No consult" / "no provider" markers.
pub const NO_DEPT: u16 = u16::MAX;
/// Marker for a missing provider.
pub const NO_USER: u32 = u32::MAX;

/// Encounter class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncKind {
    /// Inpatient stay.
    Inpatient,
    /// Emergency department visit.
    Emergency,
    /// Clinic visit.
    Outpatient,
}

/// One encounter.
#[derive(Debug, Clone)]
pub struct Encounter {
    /// Id written to the bundle.
    pub id: String,
    /// Patient index.
    pub patient: u32,
    /// Department index.
    pub dept: u16,
    /// Class.
    pub kind: EncKind,
    /// Start, local seconds.
    pub start: i64,
    /// End, local seconds.
    pub end: i64,
    /// Attending or scheduled clinician, or [`NO_USER`].
    pub provider: u32,
    /// Department asked for a consult, or [`NO_DEPT`].
    pub consult: u16,
    /// Needs imaging.
    pub imaging: bool,
    /// Comes from Synthea rather than the simulator.
    pub external: bool,
    /// Written to encounters.csv. About 3% of simulated encounters are not,
    /// as in real extracts (an affiliated clinic's visits, a feed that lags),
    /// so some legitimate care has no encounter to explain it.
    pub exported: bool,
}

/// Samples patients by acuity with per-department eligibility.
pub struct PatientPicker {
    cum: Vec<f64>,
    busy_until: Vec<i64>,
}

impl PatientPicker {
    /// A picker over the world's patients.
    pub fn new(world: &World) -> Self {
        let mut acc = 0.0;
        let cum = world
            .patients
            .iter()
            .map(|p| {
                acc += p.acuity.max(0.01) as f64;
                acc
            })
            .collect();
        PatientPicker { cum, busy_until: vec![i64::MIN; world.patients.len()] }
    }

    fn draw(&self, rng: &mut Xoshiro256PlusPlus) -> u32 {
        let total = *self.cum.last().unwrap_or(&1.0);
        let x = rng.gen::<f64>() * total;
        self.cum.partition_point(|&c| c < x).min(self.cum.len() - 1) as u32
    }

    /// A patient eligible for department `d` at time `t`, or `None` after
    /// many tries.
    pub fn pick(
        &mut self,
        rng: &mut Xoshiro256PlusPlus,
        world: &World,
        d: u16,
        t: i64,
        inpatient: bool,
    ) -> Option<u32> {
        let dep = &world.depts[d as usize];
        let date = chrono::DateTime::from_timestamp(t, 0)?.date_naive();
        for attempt in 0..80 {
            let p = self.draw(rng);
            let pat = &world.patients[p as usize];
            if pat.deceased.map(|x| x <= date).unwrap_or(false) {
                continue;
            }
            if inpatient && self.busy_until[p as usize] > t {
                continue;
            }
            let age = world.age(p, date);
            let ok = match dep.id {
                "PEDS" => age < 18,
                "OB" => pat.sex == 'F' && (16..=45).contains(&age),
                "WHC" => pat.sex == 'F' && age >= 14,
                "PSY" | "BHC" => {
                    age >= 12
                        && (pat.sensitive == Category::BehavioralHealth
                            || pat.sensitive == Category::SubstanceUse
                            || attempt > 40)
                }
                "IDC" => pat.sensitive == Category::Hiv || attempt > 60,
                "ONC" | "ONCC" => age >= 30 || pat.sensitive == Category::Genetic,
                "ED" | "PCC" => true,
                _ => age >= 18,
            };
            if ok {
                return Some(p);
            }
        }
        None
    }

    /// Marks a patient as in a bed until `t`.
    pub fn occupy(&mut self, p: u32, t: i64) {
        self.busy_until[p as usize] = self.busy_until[p as usize].max(t);
    }
}

fn poisson(rng: &mut Xoshiro256PlusPlus, lambda: f64) -> usize {
    if lambda <= 0.0 {
        return 0;
    }
    if lambda > 30.0 {
        // Normal approximation.
        let z: f64 = (0..12).map(|_| rng.gen::<f64>()).sum::<f64>() - 6.0;
        return (lambda + z * lambda.sqrt()).round().max(0.0) as usize;
    }
    let l = (-lambda).exp();
    let (mut k, mut p) = (0usize, 1.0);
    loop {
        p *= rng.gen::<f64>();
        if p <= l {
            return k;
        }
        k += 1;
    }
}

/// Physicians on duty in department `d` at local time `t` (day index
/// `day`), falling back to all physicians of `d`, then to `fallback`.
fn on_duty(
    world: &World,
    sched: &Schedule,
    by_dept: &[Vec<u32>],
    d: u16,
    day: i64,
    t: i64,
    fallback: &[u32],
    rng: &mut Xoshiro256PlusPlus,
) -> u32 {
    let list = &by_dept[d as usize];
    let mut cands: Vec<u32> = Vec::new();
    if day >= -1 && day < world.days as i64 {
        let d0 = day_start(world.start + Duration::days(day));
        for &u in list {
            for dd in [day - 1, day] {
                if dd < -1 {
                    continue;
                }
                let s = sched.get(dd, u);
                if s.shift == Shift::Off {
                    continue;
                }
                let (st, len) = s.shift.span();
                let a = d0 + (dd - day) * DAY + st;
                if t >= a && t < a + len {
                    cands.push(u);
                }
            }
        }
    }
    let pool: &[u32] = if !cands.is_empty() {
        &cands
    } else if !list.is_empty() {
        list
    } else {
        fallback
    };
    if pool.is_empty() {
        return NO_USER;
    }
    pool[rng.gen_range(0..pool.len())]
}

/// Generates all encounters from `LOOKBACK_DAYS` before the window to its
/// end. May mark patients deceased (death in hospital) or restricted
/// (psychiatric admission). `surge_day` doubles ED arrivals on that day.
pub fn build(
    rng: &mut Xoshiro256PlusPlus,
    world: &mut World,
    sched: &Schedule,
    surge_day: Option<u32>,
) -> Vec<Encounter> {
    let nd = world.depts.len();
    let mut nurses = vec![0usize; nd];
    let mut phys_by_dept: Vec<Vec<u32>> = vec![Vec::new(); nd];
    let mut all_phys = Vec::new();
    for (i, u) in world.users.iter().enumerate() {
        match u.role {
            Role::Nurse => nurses[u.home as usize] += 1,
            Role::Physician => {
                phys_by_dept[u.home as usize].push(i as u32);
                if world.depts[u.home as usize].kind == DeptKind::Inpatient {
                    all_phys.push(i as u32);
                }
            }
            _ => {}
        }
    }
    let float = world.depts_of(DeptKind::FloatPool).iter().map(|&d| nurses[d as usize]).sum::<usize>() as f64;
    let inpatient = world.depts_of(DeptKind::Inpatient);
    let total_unit_nurses: f64 = inpatient.iter().map(|&d| nurses[d as usize] as f64).sum::<f64>().max(1.0);
    let ed = world.dept("ED");
    let clinics = world.depts_of(DeptKind::Clinic);
    let consult_targets: Vec<u16> =
        ["CARD", "NEURO", "ONC", "PSY", "SURG", "ICU"].iter().map(|id| world.dept(id)).collect();
    let mut picker = PatientPicker::new(world);
    let mut employee = vec![false; world.patients.len()];
    for u in &world.users {
        if let Some(p) = u.patient {
            employee[p as usize] = true;
        }
    }
    let mut encs: Vec<Encounter> = Vec::new();

    for day in -LOOKBACK_DAYS..world.days as i64 {
        let date = world.start + Duration::days(day);
        let d0 = day_start(date);
        let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
        let surge = surge_day.map(|s| s as i64 == day).unwrap_or(false);
        // Inpatient admissions.
        for &u in &inpatient {
            let dep = world.depts[u as usize].clone();
            let n_nurses = nurses[u as usize] as f64 + float * nurses[u as usize] as f64 / total_unit_nurses;
            let census = (n_nurses * 0.43 / 2.0 * dep.ratio).max(1.5);
            let mut lambda = census / dep.los_days;
            if weekend {
                lambda *= 0.75;
            }
            if surge {
                lambda *= 1.4;
            }
            for _ in 0..poisson(rng, lambda) {
                let via_ed = rng.gen_bool(if dep.id == "OB" { 0.2 } else { 0.55 }) || weekend;
                let t_adm = if via_ed { d0 + rng.gen_range(0..DAY) } else { d0 + rng.gen_range(8 * 3600..15 * 3600) };
                let Some(p) = picker.pick(rng, world, u, t_adm, true) else { continue };
                let los = (dep.los_days * (rng.gen::<f64>() * 1.2 - 0.6).exp()).max(0.4);
                let mut t_dis = t_adm + (los * DAY as f64) as i64;
                // Discharges happen late morning to late afternoon.
                let dis_day = t_dis.div_euclid(DAY) * DAY;
                t_dis = (dis_day + rng.gen_range(10 * 3600..17 * 3600)).max(t_adm + 6 * 3600);
                if via_ed {
                    let ed_start = t_adm - rng.gen_range(2 * 3600..7 * 3600);
                    let prov = on_duty(world, sched, &phys_by_dept, ed, day, ed_start, &all_phys, rng);
                    encs.push(Encounter {
                        id: String::new(),
                        patient: p,
                        dept: ed,
                        kind: EncKind::Emergency,
                        start: ed_start,
                        end: t_adm,
                        provider: prov,
                        consult: NO_DEPT,
                        imaging: rng.gen_bool(0.5),
                        external: false,
                        exported: true,
                    });
                }
                let prov = on_duty(world, sched, &phys_by_dept, u, day, t_adm, &all_phys, rng);
                let consult = if rng.gen_bool(0.28) {
                    let c = consult_targets[rng.gen_range(0..consult_targets.len())];
                    if c == u {
                        NO_DEPT
                    } else {
                        c
                    }
                } else {
                    NO_DEPT
                };
                picker.occupy(p, t_dis + DAY);
                encs.push(Encounter {
                    id: String::new(),
                    patient: p,
                    dept: u,
                    kind: EncKind::Inpatient,
                    start: t_adm,
                    end: t_dis,
                    provider: prov,
                    consult,
                    imaging: rng.gen_bool(0.45),
                    external: false,
                    exported: true,
                });
                let died = match dep.id {
                    "ICU" => 0.06,
                    "ONC" => 0.04,
                    "MED" => 0.015,
                    _ => 0.0,
                };
                let pat = &world.patients[p as usize];
                if died > 0.0 && rng.gen_bool(died) && !pat.vip && !employee[p as usize] {
                    let dd = chrono::DateTime::from_timestamp(t_dis, 0).map(|x| x.date_naive());
                    world.patients[p as usize].deceased = dd;
                }
                if dep.sensitive == Category::BehavioralHealth && rng.gen_bool(0.4) {
                    world.patients[p as usize].restricted = true;
                }
            }
        }
        // ED visits that go home.
        let ed_nurses = nurses[ed as usize] as f64;
        let mut lambda = (ed_nurses * 0.44 * 4.5).max(4.0);
        if surge {
            lambda *= 2.2;
        }
        for _ in 0..poisson(rng, lambda) {
            // Arrivals peak late morning to evening.
            let h = loop {
                let h = rng.gen_range(0..24);
                let w = match h {
                    0..=6 => 0.35,
                    7..=9 => 0.7,
                    10..=21 => 1.0,
                    _ => 0.6,
                };
                if rng.gen_bool(w) {
                    break h;
                }
            };
            let t = d0 + h * 3600 + rng.gen_range(0..3600);
            let Some(p) = picker.pick(rng, world, ed, t, false) else { continue };
            let end = t + rng.gen_range(2 * 3600..8 * 3600);
            let prov = on_duty(world, sched, &phys_by_dept, ed, day, t, &all_phys, rng);
            encs.push(Encounter {
                id: String::new(),
                patient: p,
                dept: ed,
                kind: EncKind::Emergency,
                start: t,
                end,
                provider: prov,
                consult: NO_DEPT,
                imaging: rng.gen_bool(0.4),
                external: false,
                exported: true,
            });
        }
        // Clinic visits, weekdays: about 16 per working physician.
        if !weekend {
            for &c in &clinics {
                let docs = &phys_by_dept[c as usize];
                for &doc in docs {
                    let works = day < 0 || sched.get(day, doc).shift != Shift::Off;
                    if !works || (day < 0 && rng.gen_bool(0.1)) {
                        continue;
                    }
                    let n = rng.gen_range(12..20);
                    for slot in 0..n {
                        let t = d0 + 8 * 3600 + slot * 1800 + rng.gen_range(0..600);
                        let Some(p) = picker.pick(rng, world, c, t, false) else { continue };
                        let end = t + rng.gen_range(1200..2700);
                        encs.push(Encounter {
                            id: String::new(),
                            patient: p,
                            dept: c,
                            kind: EncKind::Outpatient,
                            start: t,
                            end,
                            provider: doc,
                            consult: NO_DEPT,
                            imaging: rng.gen_bool(0.08),
                            external: false,
                            exported: true,
                        });
                    }
                }
            }
        }
    }
    finish(world, &mut encs);
    encs
}

/// Adds a final stay for patients who died before the window (so their
/// record shows when care ended), sorts encounters and assigns ids.
pub fn finish(world: &World, encs: &mut Vec<Encounter>) {
    let med = world.dept("MED");
    for (p, pat) in world.patients.iter().enumerate() {
        if let Some(dd) = pat.deceased {
            let t_end = day_start(dd) + 14 * 3600;
            if dd < world.start - Duration::days(LOOKBACK_DAYS) {
                encs.push(Encounter {
                    id: String::new(),
                    patient: p as u32,
                    dept: med,
                    kind: EncKind::Inpatient,
                    start: t_end - 5 * DAY,
                    end: t_end,
                    provider: NO_USER,
                    consult: NO_DEPT,
                    imaging: false,
                    external: false,
                    exported: true,
                });
            }
        }
    }
    encs.sort_by(|a, b| (a.start, a.dept, a.patient, a.end).cmp(&(b.start, b.dept, b.patient, b.end)));
    for (i, e) in encs.iter_mut().enumerate() {
        if e.id.is_empty() {
            e.id = format!("E{:08}", 20_000_000 + i);
            // Deterministic 3% left out of the extract.
            let h = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
            e.exported = e.external || (e.provider == NO_USER && e.kind == EncKind::Inpatient) || h % 100 >= 3;
        }
    }
}

/// Encounter indices of each patient, in start order; only those written to
/// encounters.csv when `exported_only`.
pub fn by_patient(n_patients: usize, encs: &[Encounter], exported_only: bool) -> Vec<Vec<u32>> {
    let mut v = vec![Vec::new(); n_patients];
    for (i, e) in encs.iter().enumerate() {
        if e.exported || !exported_only {
            v[e.patient as usize].push(i as u32);
        }
    }
    v
}
