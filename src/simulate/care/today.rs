//! What a day holds before anyone works: the encounters that matter today
//! (in a unit, in the ED, at a clinic, recently or soon), who works which
//! part of which shift where, and the teams that split a unit's patients.
//! Nothing here draws from the RNG.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};

use super::day::Ctx;
use super::generator::Work;
use crate::simulate::encounters::{EncKind, NO_USER};
use crate::simulate::event::{day_start, DAY};
use crate::simulate::schedule::Shift;
use crate::simulate::world::Role;

/// Encounter indices and shifts of one day.
pub(super) struct Today<'a> {
    /// The shared context.
    pub(super) ctx: &'a Ctx<'a>,
    /// Day index (0-based).
    pub(super) day: u32,
    /// Its date.
    pub(super) date: NaiveDate,
    /// Local midnight starting the day.
    pub(super) d0: i64,
    /// Local midnight ending the day.
    pub(super) d1: i64,
    /// Per unit: inpatient stays under way today.
    pub(super) unit_in: Vec<Vec<u32>>,
    /// ED visits under way today.
    pub(super) ed_today: Vec<u32>,
    /// Per clinic: visits today.
    pub(super) clinic_today: Vec<Vec<u32>>,
    /// Per clinic: visits that ended in the last 30 days.
    pub(super) clinic_recent: Vec<Vec<u32>>,
    /// Per provider: their clinic visits of the last 14 days.
    pub(super) provider_recent: BTreeMap<u32, Vec<u32>>,
    /// Encounters that ended in the last 90 days.
    pub(super) ended: Vec<u32>,
    /// Per provider: their encounters that ended 8 to 40 days ago.
    pub(super) provider_old: BTreeMap<u32, Vec<u32>>,
    /// Per provider: their clinic visits three to eight days ahead
    /// (referral and chart review before the visit: legitimate, before any
    /// encounter window).
    pub(super) upcoming: BTreeMap<u32, Vec<u32>>,
    /// Who works today, and where (a night shift that started yesterday
    /// counts for its part after midnight).
    pub(super) work: Vec<Work>,
    /// Teams: same role family (0 nurses and medical assistants, 1
    /// attendings, 2 residents), unit and shift start, for round-robin
    /// splits; values index `work`.
    pub(super) teams: BTreeMap<(u8, u16, i64), Vec<u32>>,
}

impl<'a> Today<'a> {
    /// Gathers day `day`; counts the shifts that start today per role into
    /// `role_shifts`.
    pub(super) fn new(ctx: &'a Ctx<'a>, day: u32, role_shifts: &mut [u64; 13]) -> Today<'a> {
        let world = ctx.world;
        let date = world.start + Duration::days(day as i64);
        let d0 = day_start(date);
        let d1 = d0 + DAY;
        let encs = ctx.encs;
        let nd = world.depts.len();

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

        let mut work: Vec<Work> = Vec::new();
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
                    role_shifts[world.users[u as usize].role.index()] += 1;
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

        Today {
            ctx,
            day,
            date,
            d0,
            d1,
            unit_in,
            ed_today,
            clinic_today,
            clinic_recent,
            provider_recent,
            ended,
            provider_old,
            upcoming,
            work,
            teams,
        }
    }

    /// Position of work span `wi` in its team of role family `fam`, and the
    /// team's size.
    pub(super) fn team_pos(&self, fam: u8, wi: usize) -> (usize, usize) {
        let w = &self.work[wi];
        let t = &self.teams[&(fam, w.unit, w.shift_start)];
        (t.iter().position(|&x| x as usize == wi).unwrap_or(0), t.len())
    }

    /// Whether `u` works a shift starting today in `unit`.
    pub(super) fn on_duty_in(&self, u: u32, unit: u16) -> bool {
        let s = self.ctx.sched.get(self.day as i64, u);
        s.shift != Shift::Off && s.unit == unit
    }
}
