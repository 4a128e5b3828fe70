//! Real-world look-alikes (`--realism real`): legitimate work, common in
//! real hospitals, that a rule tuned on the clean world may flag. Rows
//! go to lookalikes.csv, never to labels.csv.
//!
//! - `pharmacist_verification`: a pharmacist verifying medication orders
//!   for dozens of inpatients across every unit in one shift.
//! - `coder_discharged`: the clean `him_billing_volume` look-alike already
//!   has coders working hundreds of discharged charts; the real-world twist
//!   is the month-end close, when a coder prints a batch of discharged
//!   charts in an afternoon (and, in the HR export, carries a title such as
//!   "CDI Specialist" rather than `him_coder`).
//! - `readmission_reread`: a patient is readmitted to a unit that cared for
//!   them before, and the unit's staff read the earlier stay's notes and
//!   results.
//!
//! Invariants: the rows are planned with the incident planner's helpers
//! (scheduled shifts, the user's workstation) but written as care (tag 0),
//! so they count as legitimate work; nobody who acts in an incident does
//! one of these; everything draws from the RNG stream handed in.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use rand::seq::SliceRandom;
use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::encounters::{EncKind, Encounter};
use super::event::{Action, Category, Event, DAY};
use super::incidents::Planner;
use super::lookalikes::LookalikeRow;
use super::schedule::{Schedule, Shift};
use super::world::{Role, World};

/// The real-world look-alike scenarios.
pub const REAL_LOOKALIKE_SCENARIOS: [&str; 3] = ["pharmacist_verification", "coder_discharged", "readmission_reread"];

/// Planned real-world look-alikes.
pub struct RealLookalikes {
    /// lookalikes.csv rows.
    pub rows: Vec<LookalikeRow>,
    /// Care rows per day (tag 0), added to the day's generated rows.
    pub extra: Vec<Vec<Event>>,
    /// Users who appear in a row: incidents must not use them.
    pub reserved: Vec<bool>,
}

/// Plans `per` look-alikes of each real-world scenario (fewer when the
/// world has no candidate). Users in `avoid` (incident actors) take no part.
pub fn plan(
    rng: &mut Xoshiro256PlusPlus,
    world: &mut World,
    encs: &[Encounter],
    by_patient: &[Vec<u32>],
    sched: &Schedule,
    avoid: Vec<bool>,
    per: usize,
) -> RealLookalikes {
    let n_users = world.users.len();
    let mut pl = Planner::new(rng, world, encs, by_patient, sched, avoid);
    let mut rows = pharmacist_verification(&mut pl, per);
    rows.extend(coder_discharged(&mut pl, per));
    rows.extend(readmission_reread(&mut pl, per));
    let mut reserved = vec![false; n_users];
    for r in &rows {
        reserved[r.user as usize] = true;
    }
    let mut extra = pl.extra;
    for e in extra.iter_mut().flatten() {
        e.tag = 0;
    }
    RealLookalikes { rows, extra, reserved }
}

fn employed(world: &World, u: u32) -> bool {
    let x = &world.users[u as usize];
    x.termination_date.is_none() && x.hire_date <= world.start
}

/// Adds one care row.
#[allow(clippy::too_many_arguments)]
fn row(pl: &mut Planner, ts: i64, u: u32, p: u32, ws: u32, unit: u16, action: Action, cat: Category) {
    pl.emit(Event { ts, user: u, patient: p, ws, dept: unit, action, cat, break_glass: false, reason: 0, tag: 0 });
}

/// `pharmacist_verification`: a pharmacist on two to four shifts verifies
/// the medication orders of 30 to 70 inpatients on every unit (views of
/// medications and orders, an update when an order is verified), from the
/// pharmacy's or their unit's workstation. Many patients a day, no
/// encounter with the pharmacist as provider, none in the pharmacy: only
/// role and timing (during the stay) explain it. One row per pharmacist.
fn pharmacist_verification(pl: &mut Planner, per: usize) -> Vec<LookalikeRow> {
    let mut pharmacists: Vec<u32> = (0..pl.world.users.len() as u32)
        .filter(|&u| {
            pl.world.users[u as usize].role == Role::Pharmacist && !pl.used[u as usize] && employed(pl.world, u)
        })
        .collect();
    pharmacists.shuffle(pl.rng);
    let mut rows = Vec::new();
    for u in pharmacists {
        if rows.len() >= per {
            break;
        }
        let mut wins = pl.shift_windows(u, 0);
        wins.shuffle(pl.rng);
        let n_shifts = pl.rng.gen_range(2..5).min(wins.len());
        let (mut lo, mut hi) = (i64::MAX, i64::MIN);
        for &(_, (unit, a, b)) in wins.iter().take(n_shifts) {
            let mut here: Vec<(u32, i64, i64)> = pl
                .encs
                .iter()
                .filter(|e| e.kind == EncKind::Inpatient && e.start < b - 600 && e.end > a + 600)
                .map(|e| (e.patient, e.start.max(a), e.end.min(b)))
                .collect();
            here.shuffle(pl.rng);
            let k = pl.rng.gen_range(30..71).min(here.len());
            let ws = pl.ws_for(u, unit);
            for &(p, s, e) in &here[..k] {
                if e <= s {
                    continue;
                }
                let t = pl.rng.gen_range(s..e);
                row(pl, t, u, p, ws, unit, Action::View, Category::Medications);
                let mut last = t;
                if pl.rng.gen_bool(0.5) {
                    last += pl.rng.gen_range(5..60);
                    row(pl, last, u, p, ws, unit, Action::View, Category::Orders);
                }
                if pl.rng.gen_bool(0.25) {
                    last += pl.rng.gen_range(5..60);
                    row(pl, last, u, p, ws, unit, Action::Update, Category::Medications);
                }
                lo = lo.min(t);
                hi = hi.max(last);
            }
        }
        if lo <= hi {
            pl.used[u as usize] = true;
            rows.push(LookalikeRow { scenario: "pharmacist_verification", user: u, patient: None, start: lo, end: hi });
        }
    }
    rows
}

fn weekday(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Days (indices) of month-end close in the window: each month's last two
/// weekdays; the window's last two weekdays when no month ends in it.
pub fn month_end_days(start: NaiveDate, days: u32) -> Vec<i64> {
    let days = days as i64;
    let mut out = Vec::new();
    for d in 0..days {
        let date = start + Duration::days(d);
        if !weekday(date) {
            continue;
        }
        let mut later = 0;
        let mut x = date + Duration::days(1);
        while x.month() == date.month() {
            later += u32::from(weekday(x));
            x += Duration::days(1);
        }
        if later <= 1 {
            out.push(d);
        }
    }
    if out.is_empty() {
        out = (0..days).rev().filter(|&d| weekday(start + Duration::days(d))).take(2).collect();
        out.reverse();
    }
    out
}

/// `coder_discharged`: at month-end close a coder prints a batch of 20 to
/// 60 discharged charts (stays and ED visits that ended two to 45 days
/// before) in one afternoon, on top of the ordinary coding work that
/// `him_billing_volume` already covers. Prints in bulk look like
/// exfiltration to a volume rule; the charts are all discharged, in the
/// coding queue. One row per coder.
fn coder_discharged(pl: &mut Planner, per: usize) -> Vec<LookalikeRow> {
    let w0 = pl.w0();
    let close = month_end_days(pl.world.start, pl.world.days);
    let mut coders: Vec<u32> = (0..pl.world.users.len() as u32)
        .filter(|&u| pl.world.users[u as usize].role == Role::HimCoder && !pl.used[u as usize] && employed(pl.world, u))
        .collect();
    coders.shuffle(pl.rng);
    let mut rows = Vec::new();
    for u in coders {
        if rows.len() >= per {
            break;
        }
        let days: Vec<i64> = close.iter().copied().filter(|&d| pl.sched.get(d, u).shift != Shift::Off).collect();
        if days.is_empty() {
            continue;
        }
        let unit = pl.world.users[u as usize].base_unit;
        let ws = pl.ws_for(u, unit);
        let (mut lo, mut hi) = (i64::MAX, i64::MIN);
        for d in days {
            let d0 = w0 + d * DAY;
            let mut charts: Vec<u32> = pl
                .encs
                .iter()
                .filter(|e| {
                    e.kind != EncKind::Outpatient && e.exported && e.end >= d0 - 45 * DAY && e.end <= d0 - 2 * DAY
                })
                .map(|e| e.patient)
                .collect();
            charts.sort_unstable();
            charts.dedup();
            charts.shuffle(pl.rng);
            let k = pl.rng.gen_range(20..61).min(charts.len());
            let mut t = d0 + pl.rng.gen_range(13 * 3600..14 * 3600);
            for &p in &charts[..k] {
                t += pl.rng.gen_range(20..120);
                row(pl, t, u, p, ws, unit, Action::View, Category::Notes);
                lo = lo.min(t);
                t += pl.rng.gen_range(5..30);
                let cat = if pl.rng.gen_bool(0.7) { Category::Notes } else { Category::Billing };
                row(pl, t, u, p, ws, unit, Action::Print, cat);
                hi = hi.max(t);
            }
        }
        if lo <= hi {
            pl.used[u as usize] = true;
            rows.push(LookalikeRow { scenario: "coder_discharged", user: u, patient: None, start: lo, end: hi });
        }
    }
    rows
}

/// `readmission_reread`: a patient is readmitted to a unit that discharged
/// them two to 150 days earlier, and one or two of the unit's nurses or
/// physicians on shift during the new stay read the earlier stay's notes,
/// results and imaging. The patient is in their unit, so care explains it;
/// a rule that looks at which stay's documents were read, or at a
/// returning patient, must not flag it. One row per (user, patient).
fn readmission_reread(pl: &mut Planner, per: usize) -> Vec<LookalikeRow> {
    let w0 = pl.w0();
    let w1 = w0 + pl.world.days as i64 * DAY;
    let mut employee = vec![false; pl.world.patients.len()];
    for u in &pl.world.users {
        if let Some(p) = u.patient {
            employee[p as usize] = true;
        }
    }
    let mut cands: Vec<(u32, u32)> = Vec::new();
    for (p, list) in pl.by_patient.iter().enumerate() {
        let pat = &pl.world.patients[p];
        if pat.vip || pat.deceased.is_some() || employee[p] {
            continue;
        }
        for (j, &e) in list.iter().enumerate() {
            let enc = &pl.encs[e as usize];
            if enc.kind != EncKind::Inpatient || !enc.exported || enc.start < w0 || enc.start >= w1 - DAY {
                continue;
            }
            let before = list[..j].iter().any(|&o| {
                let x = &pl.encs[o as usize];
                x.kind == EncKind::Inpatient
                    && x.dept == enc.dept
                    && x.exported
                    && x.end < enc.start - 2 * DAY
                    && x.end > enc.start - 150 * DAY
            });
            if before {
                cands.push((p as u32, e));
            }
        }
    }
    cands.shuffle(pl.rng);
    let mut rows = Vec::new();
    let mut done = 0;
    for (p, e) in cands {
        if done >= per {
            break;
        }
        let (start, end, dept) = {
            let enc = &pl.encs[e as usize];
            (enc.start, enc.end, enc.dept)
        };
        let mut staff: Vec<(u32, (u16, i64, i64))> = Vec::new();
        for u in 0..pl.world.users.len() as u32 {
            let role = pl.world.users[u as usize].role;
            if !matches!(role, Role::Nurse | Role::Physician | Role::Resident) || pl.used[u as usize] {
                continue;
            }
            let fit = pl.shift_windows(u, 0).into_iter().find_map(|(_, (unit, a, b))| {
                let (lo, hi) = (a.max(start + 1800), b.min(end - 900));
                (unit == dept && hi - lo > 900).then_some((unit, lo, hi))
            });
            if let Some(f) = fit {
                staff.push((u, f));
            }
        }
        if staff.is_empty() {
            continue;
        }
        staff.shuffle(pl.rng);
        let k = pl.rng.gen_range(1..3).min(staff.len());
        for &(u, (unit, a, b)) in &staff[..k] {
            let ws = pl.ws_for(u, unit);
            let t = pl.rng.gen_range(a..b);
            let n = pl.rng.gen_range(3..7);
            let cats = [Category::Notes, Category::Results, Category::Notes, Category::Imaging];
            let (f, l) = pl.peek(u, p, unit, ws, t, n, &cats, Action::View);
            pl.used[u as usize] = true;
            rows.push(LookalikeRow { scenario: "readmission_reread", user: u, patient: Some(p), start: f, end: l });
        }
        done += 1;
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_end_is_the_last_two_weekdays_of_a_month() {
        // October 2026 ends on a Saturday: Thursday 29 and Friday 30 close it.
        let start = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
        assert_eq!(month_end_days(start, 30), vec![28, 29]);
        // A window with no month end closes on its own last two weekdays
        // (Mon 5 .. Sun 11 October: Thursday 8 and Friday 9).
        let start = NaiveDate::from_ymd_opt(2026, 10, 5).unwrap();
        assert_eq!(month_end_days(start, 7), vec![3, 4]);
        // Two month ends in a 60-day window.
        let start = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
        // November 2026 ends on a Monday: Friday 27 and Monday 30.
        assert_eq!(month_end_days(start, 61), vec![28, 29, 57, 60]);
    }
}
