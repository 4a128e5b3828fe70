//! What a day's rows say about themselves: how many legitimate and
//! incident rows a care link explains (by provider or department, by any
//! recent encounter, by role timing, by same-day charting), and the
//! look-alike pairs seen (care of a VIP, a break-the-glass in care, a
//! forced same-surname pair, a research coordinator's study patient).

use super::day::{Ctx, DayStats, Notable, NotableKind};
use crate::simulate::event::{Action, Event, DAY, NO_PATIENT};
use crate::simulate::world::Role;

/// Counts the link statistics of `events` (sorted) into `stats`; returns
/// the notable look-alike pairs.
pub(super) fn link_stats(ctx: &Ctx, events: &[Event], stats: &mut DayStats) -> Vec<Notable> {
    let (world, encs) = (ctx.world, ctx.encs);
    let mut charted: Vec<(u32, u32)> = events
        .iter()
        .filter(|e| e.patient != NO_PATIENT && matches!(e.action, Action::Create | Action::Update))
        .map(|e| (e.user, e.patient))
        .collect();
    charted.sort_unstable();
    charted.dedup();
    let mut notable = Vec::new();
    for e in events {
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
    notable
}
