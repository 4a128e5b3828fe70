//! The service roles' day (lab, radiology, central pharmacy, registration,
//! case management, HIM coding, billing): tasks generated from encounters
//! (morning labs, imaging, order verification, check-in, discharge
//! planning, coding after discharge, billing weeks later), each handed to
//! someone on shift in the right queue, then worked in bursts.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, Weekday};
use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::day::DayStats;
use super::generator::{mix, Gen};
use super::profiles::{Profile, BILLING, CM, HIM, HIM_ROI, LAB, PHARM, RAD, REG};
use super::today::Today;
use crate::simulate::encounters::EncKind;
use crate::simulate::event::DAY;
use crate::simulate::world::{DeptKind, Role};

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

/// One task in a queue: a patient's chart to work on at a time.
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

/// A task handed to a work span: time, patient, profile, bursts, and the
/// unit it is done from when not the worker's.
type Job = (i64, u32, &'static Profile, u32, Option<u16>);

/// Queues today's tasks, hands them out and works them; counts the rows
/// per role into `stats`.
pub(super) fn shift_work(g: &mut Gen, t: &Today, stats: &mut DayStats) {
    let world = t.ctx.world;
    let (reg_desk, ed) = (world.dept("REG"), world.dept("ED"));
    let tasks = queue(&mut g.rng, t, reg_desk, ed);
    let done_by = assign(g, t, &tasks, reg_desk, ed);
    work_through(g, t, done_by, stats);
}

/// Today's tasks, from the encounters under way, ended or billed.
fn queue(rng: &mut Xoshiro256PlusPlus, t: &Today, reg_desk: u16, ed: u16) -> Vec<Task> {
    let (ctx, encs, d0, d1, date) = (t.ctx, t.ctx.encs, t.d0, t.d1, t.date);
    let Today { unit_in, ed_today, clinic_today, ended, .. } = t;
    let mut tasks: Vec<Task> = Vec::new();
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
    for &e in ed_today.iter() {
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
    for &e in ended.iter() {
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

    tasks
}

/// Hands each task to someone on shift in its queue (registration falls
/// back on the main desk, then the ED's): the work spans covering its time
/// take turns by a hash of the task; with nobody on shift then, someone of
/// the queue does it at a random time of their shift.
fn assign(g: &mut Gen, t: &Today, tasks: &[Task], reg_desk: u16, ed: u16) -> Vec<Vec<Job>> {
    let (ctx, world, work) = (t.ctx, t.ctx.world, &t.work);
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
    let mut done_by: Vec<Vec<Job>> = vec![Vec::new(); work.len()];
    for (ti, task) in tasks.iter().enumerate() {
        let mut list = pools.get(&task.pool);
        if list.is_none() {
            if let Pool::Reg(_) = task.pool {
                list = pools.get(&Pool::Reg(reg_desk)).or_else(|| pools.get(&Pool::Reg(ed)));
            }
        }
        let Some(list) = list else { continue };
        // Nobody gets a task the world promised they never had.
        let allowed = |wi: u32| ctx.plan.no_task.binary_search(&(work[wi as usize].user, task.patient)).is_err();
        let kept: Vec<u32>;
        let list: &[u32] = if list.iter().all(|&wi| allowed(wi)) {
            list
        } else {
            kept = list.iter().copied().filter(|&wi| allowed(wi)).collect();
            &kept
        };
        if list.is_empty() {
            continue;
        }
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
    done_by
}

/// Works each span's tasks in bursts, from its unit or the patient's.
fn work_through(g: &mut Gen, t: &Today, done_by: Vec<Vec<Job>>, stats: &mut DayStats) {
    let (world, work) = (t.ctx.world, &t.work);
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
}

/// The date, or the Monday after it when it falls on a weekend.
fn next_weekday(d: chrono::NaiveDate) -> chrono::NaiveDate {
    match d.weekday() {
        Weekday::Sat => d + Duration::days(2),
        Weekday::Sun => d + Duration::days(1),
        _ => d,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekend_work_moves_to_monday() {
        let sat = chrono::NaiveDate::from_ymd_opt(2026, 10, 3).unwrap();
        assert_eq!(next_weekday(sat), chrono::NaiveDate::from_ymd_opt(2026, 10, 5).unwrap());
        let tue = chrono::NaiveDate::from_ymd_opt(2026, 10, 6).unwrap();
        assert_eq!(next_weekday(tue), tue);
    }
}
