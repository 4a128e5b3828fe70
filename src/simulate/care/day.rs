//! One day of access-log rows, generated from care, in named steps: what
//! the day holds (`today`), each work span's shift by role (`nursing`,
//! `physicians`, `support_staff`, with the background noise of logins and
//! searches), the service queues (`tasks`), the incident and look-alike
//! rows planned for the day, and the link statistics (`links`).
//!
//! A day's rows depend only on the world, the encounters, the plan and
//! `(seed, day)`, so days are generated in parallel and the output is the
//! same for a seed whatever the thread count. The steps draw from the
//! day's one RNG stream in the order below; reordering them changes the
//! bytes.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::generator::{mix, Gen};
use super::today::Today;
use super::{links, nursing, physicians, support_staff, tasks};
use crate::simulate::encounters::Encounter;
use crate::simulate::event::Event;
use crate::simulate::schedule::Schedule;
use crate::simulate::world::{DeptKind, Role, World};

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
    /// (user, patient) pairs, sorted, that no service queue may hand a
    /// task: the actor of an incident whose premise is that the user had
    /// no task of their own for the patient (`service_snoop`), so that the
    /// world agrees with its label.
    pub no_task: Vec<(u32, u32)>,
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
    /// statistics describe what a detector can see).
    pub by_patient: &'a [Vec<u32>],
    /// Plan.
    pub plan: &'a Plan,
    /// Seed.
    pub seed: u64,
}

/// Generates day `day` (0-based).
pub fn simulate_day(ctx: &Ctx, day: u32) -> DayOutput {
    let mut stats = DayStats::default();
    let today = Today::new(ctx, day, &mut stats.role_shifts);
    let mut g = Gen {
        ctx,
        rng: Xoshiro256PlusPlus::seed_from_u64(mix(ctx.seed, 0xDA7, day as u64)),
        d0: today.d0,
        d1: today.d1,
        out: Vec::with_capacity(ctx.world.users.len() * 150),
        ws: u32::MAX,
    };
    care_team_shifts(&mut g, &today, &mut stats);
    tasks::shift_work(&mut g, &today, &mut stats);
    let events = with_planned_rows(ctx, day, g.out, &mut stats);
    let notable = links::link_stats(ctx, &events, &mut stats);
    DayOutput { events, notable, stats }
}

/// Every work span's shift, by role; counts the rows per role.
fn care_team_shifts(g: &mut Gen, today: &Today, stats: &mut DayStats) {
    let world = today.ctx.world;
    for (wi, w) in today.work.iter().enumerate() {
        let role = world.users[w.user as usize].role;
        g.ws = u32::MAX;
        let start_len = g.out.len();
        match role {
            Role::Nurse | Role::MedicalAssistant => nursing::shift(g, today, wi),
            Role::Physician | Role::Resident => physicians::shift(g, today, wi),
            Role::Pharmacist if world.depts[w.unit as usize].kind == DeptKind::Inpatient => {
                support_staff::unit_pharmacist(g, today, wi)
            }
            Role::It => support_staff::it(g, today, wi),
            Role::Research => support_staff::research(g, today, wi),
            _ => support_staff::background(g, today, wi),
        }
        stats.role_events[role.index()] += (g.out.len() - start_len) as u64;
    }
}

/// The generated rows plus the incident and look-alike rows planned for
/// the day, sorted by time and user; counts the planned rows per role.
fn with_planned_rows(ctx: &Ctx, day: u32, generated: Vec<Event>, stats: &mut DayStats) -> Vec<Event> {
    let mut events = generated;
    if let Some(extra) = ctx.plan.extra.get(day as usize) {
        for e in extra {
            stats.role_events[ctx.world.users[e.user as usize].role.index()] += 1;
            events.push(*e);
        }
    }
    events.sort_by_key(|e| (e.ts, e.user));
    events
}
