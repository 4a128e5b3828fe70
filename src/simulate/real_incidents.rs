//! Real-world incidents (`--realism real`), added to the 14 clean scenarios
//! and labelled in labels.csv the same way.
//!
//! Each scenario imitates a pattern privacy officers find in real audit
//! logs that the clean scenarios leave out: service staff reading a famous
//! or confidential inpatient's chart, a nurse looking up a former patient
//! months later, a research coordinator off their study list, a clinician
//! exporting their own patients, and curiosity so thin it hides in the
//! noise. Each is one function below, with what it imitates in its doc.
//!
//! Invariants: actors and targets come from the world (roster, schedule,
//! encounters, study lists), never from rule code; every row falls in
//! one of the actor's scheduled shifts, so nobody works outside their
//! employment window; nobody who acts in a clean incident or a look-alike
//! acts here, and no patient is the target of two incidents (a research
//! coordinator's study work is a look-alike, so coordinators may act in
//! `research_snoop`, always on patients off their list). Everything draws
//! from the RNG stream handed in, never from the clean world's streams.

use rand::seq::SliceRandom;
use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::encounters::{EncKind, Encounter};
use super::event::{day_start, Action, Category, DAY};
use super::incidents::{Incidents, LabelRow, Planner};
use super::schedule::{Schedule, Shift};
use super::world::{DeptKind, Role, World};

/// The real-world scenarios, in the order incidents are spread over them.
pub const REAL_SCENARIOS: [&str; 5] =
    ["service_snoop", "former_patient", "research_snoop", "insider_export", "low_curiosity"];

/// Real-world incidents added for `incidents` clean ones: 5/14 as many,
/// rounded up (10 for the default 28, two per scenario).
pub fn count_for(incidents: usize) -> usize {
    (incidents * REAL_SCENARIOS.len()).div_ceil(14)
}

type Rows = Vec<(u32, Option<u32>, i64, i64)>;

/// What the clean world already took, and the study lists.
pub struct Taken<'a> {
    /// Users that may not act: look-alikes (clean and real) and clean
    /// incident actors.
    pub reserved: Vec<bool>,
    /// Users that acted in a clean incident.
    pub actors: Vec<bool>,
    /// Patients targeted by a clean incident.
    pub patients: Vec<bool>,
    /// Research coordinators and their study lists.
    pub studies: &'a [(u32, Vec<u32>)],
}

/// Plans `count` real-world incidents spread round-robin over
/// [`REAL_SCENARIOS`], numbered after the `first_id` clean ones.
#[allow(clippy::too_many_arguments)]
pub fn plan(
    rng: &mut Xoshiro256PlusPlus,
    world: &mut World,
    encs: &[Encounter],
    by_patient: &[Vec<u32>],
    sched: &Schedule,
    taken: Taken,
    count: usize,
    first_id: usize,
) -> Incidents {
    let Taken { reserved, actors, patients, studies } = taken;
    let mut pl = Planner::new(rng, world, encs, by_patient, sched, reserved);
    pl.used_patient = patients;
    let mut acted = actors;
    let mut labels = Vec::new();
    let mut skipped = Vec::new();
    for i in 0..count {
        let scenario = REAL_SCENARIOS[i % REAL_SCENARIOS.len()];
        let rows = match scenario {
            "service_snoop" => service_snoop(&mut pl),
            "former_patient" => former_patient(&mut pl),
            "research_snoop" => research_snoop(&mut pl, &acted, studies),
            "insider_export" => insider_export(&mut pl),
            _ => low_curiosity(&mut pl),
        };
        match rows {
            Some(rows) if !rows.is_empty() => {
                let incident = format!("INC-{:03}", first_id + i + 1);
                for (user, patient, start, end) in rows {
                    pl.used[user as usize] = true;
                    acted[user as usize] = true;
                    if let Some(p) = patient {
                        pl.used_patient[p as usize] = true;
                    }
                    labels.push(LabelRow { incident: incident.clone(), scenario, user, patient, start, end });
                }
            }
            _ => skipped.push(scenario),
        }
    }
    Incidents { labels, extra: pl.extra, skipped }
}

/// Employed from before the window to its end.
fn employed(world: &World, u: u32) -> bool {
    let x = &world.users[u as usize];
    x.termination_date.is_none() && x.hire_date <= world.start
}

/// The user's own record or a relative's or friend's: other scenarios.
fn own_or_kin(world: &World, u: u32, p: u32) -> bool {
    world.users[u as usize].patient == Some(p) || world.kin.iter().any(|k| k.user == u && k.patient == p)
}

/// Units the user works in: home, base and every scheduled unit.
fn units_of(pl: &Planner, u: u32) -> Vec<u16> {
    let x = &pl.world.users[u as usize];
    let mut units = vec![x.home, x.base_unit];
    for d in -1..pl.world.days as i64 {
        let s = pl.sched.get(d, u);
        if s.shift != Shift::Off && !units.contains(&s.unit) {
            units.push(s.unit);
        }
    }
    units
}

/// `service_snoop`: someone from a service department (pharmacy,
/// laboratory, radiology, registration, HIM) opens the chart of a VIP or
/// a confidential (restricted) patient while the patient is in hospital,
/// from their own department during their own shift (often a quiet night),
/// with no task of their own for that patient: a few looks at notes and
/// demographics, and at the sensitive part if there is one. Service staff
/// open charts all over the hospital every day, so "not my unit" alone does
/// not give them away; the target and what is read do.
fn service_snoop(pl: &mut Planner) -> Option<Rows> {
    let w0 = pl.w0();
    let days = pl.world.days as i64;
    let w1 = w0 + days * DAY;
    let mut stays: Vec<(u32, u32)> = Vec::new();
    for (p, pat) in pl.world.patients.iter().enumerate() {
        if !(pat.vip || pat.restricted) || pat.deceased.is_some() || pl.used_patient[p] {
            continue;
        }
        for &e in &pl.by_patient[p] {
            let enc = &pl.encs[e as usize];
            if enc.kind == EncKind::Inpatient
                && enc.exported
                && enc.end > w0 + (days / 4) * DAY + 3 * 3600
                && enc.start < w1
            {
                stays.push((p as u32, e));
            }
        }
    }
    stays.shuffle(pl.rng);
    // A VIP in hospital draws the curious first.
    stays.sort_by_key(|&(p, _)| !pl.world.patients[p as usize].vip);
    let mut staff: Vec<u32> = (0..pl.world.users.len() as u32)
        .filter(|&u| {
            matches!(
                pl.world.users[u as usize].role,
                Role::Pharmacist | Role::LabTech | Role::RadiologyTech | Role::Registration | Role::HimCoder
            ) && !pl.used[u as usize]
                && employed(pl.world, u)
        })
        .collect();
    staff.shuffle(pl.rng);
    for (p, e) in stays.into_iter().take(40) {
        let (start, end, dept, provider) = {
            let enc = &pl.encs[e as usize];
            (enc.start, enc.end, enc.dept, enc.provider)
        };
        let sens = pl.world.patients[p as usize].sensitive;
        for &u in staff.iter().take(30) {
            if pl.used[u as usize] || provider == u || own_or_kin(pl.world, u, p) || units_of(pl, u).contains(&dept) {
                continue;
            }
            // Shifts that overlap the stay, with ten minutes to spare, on a
            // unit that has no care of its own for the patient then (a
            // clinic visit of the patient at the clerk's own desk that day
            // would be a task after all).
            let linked = |unit: u16, lo: i64, hi: i64| {
                pl.by_patient[p as usize].iter().any(|&e| {
                    let x = &pl.encs[e as usize];
                    x.dept == unit && x.start - DAY <= hi && x.end + 30 * DAY >= lo
                })
            };
            let fits: Vec<(u16, i64, i64)> = pl
                .work_windows(u)
                .into_iter()
                .filter_map(|(_, (unit, a, b))| {
                    let (lo, hi) = (a.max(start + 600), b.min(end - 600));
                    (hi - lo > 600 && !linked(unit, lo, hi)).then_some((unit, lo, hi))
                })
                .collect();
            if fits.is_empty() {
                continue;
            }
            let mut cats = vec![Category::Notes, Category::Demographics, Category::Notes];
            if sens.is_sensitive() {
                cats.extend([sens, sens]);
            }
            let (lo, hi) = look_on_shifts(pl, u, p, &fits, &cats);
            return Some(vec![(u, Some(p), lo, hi)]);
        }
    }
    None
}

/// `former_patient`: a unit nurse opens the chart of a patient the unit
/// cared for and discharged more than 60 days ago ("how is she doing?"),
/// who has had no care since. The department link is real but stale, so a
/// rule that accepts any encounter in the user's unit, however old,
/// explains it away.
fn former_patient(pl: &mut Planner) -> Option<Rows> {
    let w0 = pl.w0();
    let nurses = pl.actors(|w, u| {
        let x = &w.users[u as usize];
        x.role == Role::Nurse && w.depts[x.home as usize].kind == DeptKind::Inpatient
    });
    for u in nurses.into_iter().take(40) {
        let home = pl.world.users[u as usize].home;
        let mut wins = pl.work_windows(u);
        wins.sort_by_key(|w| std::cmp::Reverse(w.0));
        let Some(&(_, (_, _, last_b))) = wins.first() else { continue };
        // The unit's stays that ended before the window and more than 61
        // days before the nurse's last shift, each the patient's last care.
        let mut former: Vec<(u32, i64)> = pl
            .encs
            .iter()
            .filter(|e| {
                e.kind == EncKind::Inpatient && e.dept == home && e.exported && e.end < w0 && e.end + 61 * DAY < last_b
            })
            .map(|e| (e.patient, e.end))
            .collect();
        former.shuffle(pl.rng);
        for (p, end) in former.into_iter().take(60) {
            let pat = &pl.world.patients[p as usize];
            if pl.used_patient[p as usize]
                || pat.deceased.is_some()
                || pat.vip
                || own_or_kin(pl.world, u, p)
                || pl.by_patient[p as usize].iter().any(|&x| pl.encs[x as usize].end > end)
            {
                continue;
            }
            let fits: Vec<(u16, i64, i64)> = wins
                .iter()
                .filter_map(|&(_, (unit, a, b))| {
                    let lo = a.max(end + 61 * DAY);
                    (b - lo > 600).then_some((unit, lo, b))
                })
                .collect();
            let cats = [Category::Notes, Category::Results, Category::Demographics];
            let (lo, hi) = look_on_shifts(pl, u, p, &fits, &cats);
            if lo <= hi {
                return Some(vec![(u, Some(p), lo, hi)]);
            }
        }
    }
    None
}

/// One or two looks at `p` by `u`, each a few views of `cats` at a random
/// time within one of the shift windows `fits` (unit, from, to); the first
/// and last access.
fn look_on_shifts(pl: &mut Planner, u: u32, p: u32, fits: &[(u16, i64, i64)], cats: &[Category]) -> (i64, i64) {
    let visits = pl.rng.gen_range(1..3).min(fits.len());
    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
    for &(unit, a, b) in fits.iter().take(visits) {
        let ws = pl.ws_for(u, unit);
        let t = pl.rng.gen_range(a..b);
        let n = pl.rng.gen_range(2..5);
        let (f, l) = pl.peek(u, p, unit, ws, t, n, cats, Action::View);
        lo = lo.min(f);
        hi = hi.max(l);
    }
    (lo, hi)
}

/// `research_snoop`: a research coordinator, who opens study patients all
/// day with no encounter of their own, opens a few patients who are not on
/// any study list of theirs (a VIP, a neighbour, someone at random), each
/// once, during office hours. The study work is the `research_coordinator`
/// look-alike; these few charts are the incident.
fn research_snoop(pl: &mut Planner, acted: &[bool], studies: &[(u32, Vec<u32>)]) -> Option<Rows> {
    let mut coordinators: Vec<u32> = (0..pl.world.users.len() as u32)
        .filter(|&u| pl.world.users[u as usize].role == Role::Research && !acted[u as usize] && employed(pl.world, u))
        .collect();
    coordinators.shuffle(pl.rng);
    for u in coordinators {
        let study: &[u32] = studies.iter().find(|(x, _)| *x == u).map(|(_, s)| s.as_slice()).unwrap_or(&[]);
        let wins = pl.work_windows(u);
        let k = pl.rng.gen_range(3..7).min(wins.len());
        if k < 2 {
            continue;
        }
        let ok = |pl: &Planner, p: u32, chosen: &[u32]| {
            let pat = &pl.world.patients[p as usize];
            pat.deceased.is_none()
                && !pl.used_patient[p as usize]
                && !study.contains(&p)
                && !chosen.contains(&p)
                && !own_or_kin(pl.world, u, p)
        };
        let mut targets: Vec<u32> = Vec::new();
        // A VIP now and then.
        if pl.rng.gen_bool(0.7) {
            let vips: Vec<u32> = (0..pl.world.patients.len() as u32)
                .filter(|&p| pl.world.patients[p as usize].vip && ok(pl, p, &targets))
                .collect();
            if let Some(&p) = vips.choose(pl.rng) {
                targets.push(p);
            }
        }
        // The nearest neighbour within 300 m.
        if pl.rng.gen_bool(0.7) {
            let h = pl.world.users[u as usize].household;
            let mut best: Option<(f64, u32)> = None;
            for p in 0..pl.world.patients.len() as u32 {
                if pl.world.patients[p as usize].household == h || !ok(pl, p, &targets) {
                    continue;
                }
                let d = pl.world.distance_m(h, pl.world.patients[p as usize].household);
                if d < 300.0 && best.map(|b| d < b.0).unwrap_or(true) {
                    best = Some((d, p));
                }
            }
            if let Some((_, p)) = best {
                targets.push(p);
            }
        }
        let more = k.saturating_sub(targets.len());
        for p in pl.unrelated_patients(u, more + 4, true) {
            if targets.len() < k && ok(pl, p, &targets) {
                targets.push(p);
            }
        }
        if targets.len() < 2 {
            continue;
        }
        let mut rows = Vec::new();
        for (i, &p) in targets.iter().enumerate() {
            let (_, (unit, a, b)) = wins[i % wins.len()];
            let ws = pl.ws_for(u, unit);
            let t = pl.rng.gen_range(a..b);
            let n = pl.rng.gen_range(1..4);
            let cats = [Category::Demographics, Category::Notes, Category::Results];
            let (f, l) = pl.peek(u, p, unit, ws, t, n, &cats, Action::View);
            rows.push((u, Some(p), f, l));
        }
        return Some(rows);
    }
    None
}

/// `insider_export`: an attending exports or prints, in bulk, the charts
/// of patients they really care for (30 to 80 of their own clinic or ward
/// patients over one or two working days), as a physician does before
/// leaving for a competitor. Every chart is explained by an encounter with
/// the user as provider; only the volume and the export action are not.
/// The label is about the user as a whole (empty patient).
fn insider_export(pl: &mut Planner) -> Option<Rows> {
    let cands = pl.actors(|w, u| {
        let x = &w.users[u as usize];
        x.role == Role::Physician && w.depts[x.home as usize].kind != DeptKind::Emergency
    });
    for u in cands.into_iter().take(40) {
        let mut wins = pl.work_windows(u);
        if wins.is_empty() {
            continue;
        }
        wins.sort_by_key(|w| w.0);
        let i = pl.rng.gen_range(0..wins.len());
        let mut days: Vec<(u16, i64, i64)> = vec![wins[i].1];
        if let Some(&(d2, w)) = wins.get(i + 1) {
            if d2 <= wins[i].0 + 3 && pl.rng.gen_bool(0.5) {
                days.push(w);
            }
        }
        let first = day_start(pl.world.start) + wins[i].0 as i64 * DAY;
        // Their own patients: encounters they provided in the last 60 days.
        let mut own: Vec<u32> = pl
            .encs
            .iter()
            .filter(|e| e.provider == u && e.exported && e.start < first && e.end > first - 60 * DAY)
            .map(|e| e.patient)
            .filter(|&p| pl.world.patients[p as usize].deceased.is_none())
            .collect();
        own.sort_unstable();
        own.dedup();
        if own.len() < 30 {
            continue;
        }
        own.shuffle(pl.rng);
        let k = pl.rng.gen_range(30..81).min(own.len());
        let per_day = k.div_ceil(days.len());
        let (mut lo, mut hi) = (i64::MAX, i64::MIN);
        pl.fast = true;
        for (chunk, &(unit, a, b)) in own[..k].chunks(per_day).zip(&days) {
            let ws = pl.ws_for(u, unit);
            let mut t = pl.rng.gen_range(a..a + ((b - a) / 2).max(1));
            for &p in chunk {
                t += pl.rng.gen_range(15..90);
                let last = if pl.rng.gen_bool(0.6) { Action::Export } else { Action::Print };
                let cats = [Category::Demographics, Category::Notes, Category::Results, Category::Medications];
                let (f, l) = pl.peek(u, p, unit, ws, t, 2, &cats, last);
                lo = lo.min(f);
                hi = hi.max(l);
                t = l;
            }
        }
        pl.fast = false;
        return (lo <= hi).then(|| vec![(u, None, lo, hi)]);
    }
    None
}

/// `low_curiosity`: low-intensity curiosity, the kind that never trips a
/// volume threshold: four to eight unrelated patients (no care, kin or
/// address links), each opened once, during day-time working hours, spread
/// over the weeks of the window. One label row per patient.
fn low_curiosity(pl: &mut Planner) -> Option<Rows> {
    let cands = pl.actors(|w, u| !w.users[u as usize].nights);
    for u in cands.into_iter().take(40) {
        let w0 = pl.w0();
        // Shifts that overlap 08:00-18:00 by at least half an hour.
        let mut wins: Vec<(u32, (u16, i64, i64))> = pl
            .work_windows(u)
            .into_iter()
            .filter_map(|(d, (unit, a, b))| {
                let d0 = w0 + d as i64 * DAY;
                let (lo, hi) = (a.max(d0 + 8 * 3600), b.min(d0 + 18 * 3600));
                (hi - lo > 1800).then_some((d, (unit, lo, hi)))
            })
            .collect();
        wins.sort_by_key(|w| w.0);
        let k = pl.rng.gen_range(4..9);
        if wins.len() < 4 {
            continue;
        }
        let ps = pl.unrelated_patients(u, k.min(wins.len()), true);
        if ps.len() < 4 {
            continue;
        }
        let mut rows = Vec::new();
        for (i, &p) in ps.iter().enumerate() {
            // Evenly spread over the user's day shifts.
            let (_, (unit, a, b)) = wins[i * wins.len() / ps.len()];
            let ws = pl.ws_for(u, unit);
            // Done well before the end of the hours.
            let t = pl.rng.gen_range(a..b - 300);
            let n = if pl.rng.gen_bool(0.7) { 1 } else { 2 };
            let (f, l) = pl.peek(u, p, unit, ws, t, n, &[Category::Demographics, Category::Notes], Action::View);
            rows.push((u, Some(p), f, l));
        }
        return Some(rows);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_incidents_are_five_fourteenths_rounded_up() {
        assert_eq!(count_for(28), 10);
        assert_eq!(count_for(14), 5);
        assert_eq!(count_for(1), 1);
        assert_eq!(count_for(0), 0);
    }
}
