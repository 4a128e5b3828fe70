//! `compromised_account`: a new device and unexplained breadth on the same
//! day, with odd hours or a device no one in the hospital had used before.
//!
//! Why it matters: stolen credentials are used from the thief's machine,
//! usually at night, to pull records of patients the real user never treats.
//! Each signal alone is common (a new workstation on a new unit, a night
//! shift, a consult); together they are rare. A device counts as new when the
//! account had not used it on an earlier day, once the account has
//! `min_history_days` active days. Night hours are no signal for a
//! night-shift account, but a workstation or IP address that no account in
//! the hospital had used before that day (the thief's laptop, an outside
//! address) stands in for them: hospital devices are shared, a thief's are
//! not. When every new device is one colleagues already use (a night on
//! another unit's workstation, cross-covering its patients), odd hours are
//! needed and the day's breadth must be larger:
//! `min_unexplained_patients_shared_device` patients no care explains.
//!
//! Example: a nurse's account logs in at 03:05 from `LAPTOP-3F2A` and an
//! outside IP address it never used and opens 44 patients no care explains.

use rayon::prelude::*;

use crate::detect::finding::{AlertKind, Fact, Finding};
use crate::detect::input::{DetectInput, Rule};
use crate::detect::params::{days, Invalid, RuleParams, RuleSettings};
use crate::model::NONE;

/// `[rules.compromised_account]`, besides `enabled` and `weight`.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct CompromisedAccountParams {
    /// Active days before a device counts as new.
    pub min_history_days: u32,
    /// Patient accesses outside usual hours on the day, at least.
    pub min_after_hours: u32,
    /// Distinct patients no care explains on the day, at least.
    pub min_unexplained_patients: u32,
    /// ... at least this many when every device new to the account is one
    /// other accounts already used (a shared hospital workstation or
    /// subnet): a night on another unit's workstation, covering its
    /// patients, is routine; a thief's own machine is not needed to steal,
    /// but then the breadth must speak for itself.
    pub min_unexplained_patients_shared_device: u32,
}

impl Default for CompromisedAccountParams {
    fn default() -> Self {
        Self {
            min_history_days: 3,
            min_after_hours: 5,
            min_unexplained_patients: 5,
            min_unexplained_patients_shared_device: 15,
        }
    }
}

impl RuleParams for CompromisedAccountParams {
    fn check(&self) -> Result<(), Invalid> {
        // The counts (`min_after_hours`, `min_unexplained_patients`,
        // `min_unexplained_patients_shared_device`): any count (their type
        // rejects the rest).
        days("min_history_days", self.min_history_days, 0)
    }
}

/// The rule.
pub struct CompromisedAccount;

impl Rule for CompromisedAccount {
    const ID: &'static str = "compromised_account";
    const DEFAULTS: RuleSettings = RuleSettings::weight(0.85);
    type Params = CompromisedAccountParams;

    fn check(&self, input: &DetectInput<'_>) -> Result<(), String> {
        if !input.population.any_device {
            return Err("access_log has no workstation_id or ip_address".into());
        }
        Ok(())
    }

    fn run(&self, p: &Self::Params, input: &DetectInput<'_>) -> Vec<Finding> {
        let ev = &input.data.events;
        let ws_first = &input.population.workstation_first;
        let ip_first = &input.population.ip_first;
        input
            .features
            .users
            .par_iter()
            .filter(|(user, _)| input.scope.contains(*user))
            .flat_map_iter(|(user, s)| {
                let mut out = Vec::new();
                for (k, d) in s.days.iter().enumerate() {
                    if k < p.min_history_days as usize
                        || d.new_workstations + d.new_ips == 0
                        || d.unexplained_patients < u64::from(p.min_unexplained_patients)
                    {
                        continue;
                    }
                    // Devices of this day that no account had used before it.
                    let day_start = ev.ts[d.events.start];
                    let mut unseen: Vec<(bool, u32)> = d
                        .events
                        .clone()
                        .flat_map(|i| {
                            let w = ev.workstation[i];
                            let a = ev.ip[i];
                            let ws = (w != NONE && ws_first[w as usize] >= day_start).then_some((true, w));
                            let net = if a == NONE { NONE } else { input.population.ip_network[a as usize] };
                            let ip = (net != NONE && ip_first[net as usize] >= day_start).then_some((false, net));
                            ws.into_iter().chain(ip)
                        })
                        .collect();
                    unseen.sort_unstable();
                    unseen.dedup();
                    let unseen_in_hospital = unseen.len() as u64;
                    if unseen_in_hospital == 0
                        && (d.after_hours < u64::from(p.min_after_hours)
                            || d.unexplained_patients < u64::from(p.min_unexplained_patients_shared_device))
                    {
                        continue;
                    }
                    // Evidence: the day's accesses no care explains.
                    let events: Vec<usize> = d
                        .events
                        .clone()
                        .filter(|&i| ev.patient[i] != NONE && !input.explained.kind[i].is_explained())
                        .collect();
                    out.push(Finding {
                        rule: Self::ID,
                        kind: AlertKind::Account,
                        user: *user,
                        patient: NONE,
                        events,
                        facts: vec![Fact::NewDeviceOddHours {
                            workstations: d.new_workstations,
                            ips: d.new_ips,
                            after_hours: d.after_hours,
                            unexplained_patients: d.unexplained_patients,
                            unseen_in_hospital,
                        }],
                        downgraded: false,
                    });
                }
                out
            })
            .collect::<Vec<_>>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_fixture::World;

    fn nurse(w: &mut World) {
        w.user("rn").department("MED").role("nurse");
        w.patient("P0");
        w.encounter("P0", "MED", "2026-11-01 00:00:00", None, None);
        for day in 1..=5 {
            w.access_from(&format!("2026-11-0{day} 10:00:00"), "rn", "P0", "view", "WS-MED-1", "10.0.0.1");
        }
    }

    #[test]
    fn fires_on_a_new_device_at_night_opening_unrelated_patients() {
        let mut w = World::new();
        nurse(&mut w);
        for i in 0..8 {
            w.access_from(
                &format!("2026-11-07 03:{:02}:00", 10 + i),
                "rn",
                &format!("X{i}"),
                "view",
                "LAPTOP-1",
                "185.1.2.3",
            );
        }
        let found = w.run(&CompromisedAccount);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].kind, AlertKind::Account);
        assert!(found[0].facts[0].sentence().contains("a workstation and an IP address the account had never used"));
    }

    /// A night-shift nurse: 03:00 is her usual time.
    fn night_nurse(w: &mut World) {
        w.user("rn").department("MED").role("nurse");
        w.user("rn2").department("MED").role("nurse");
        w.patient("P0");
        w.encounter("P0", "MED", "2026-11-01 00:00:00", None, None);
        // 120 accesses, all between 03:00 and 04:00: enough to learn her hours.
        for day in 1..=5 {
            for m in 0..24 {
                let at = format!("2026-11-0{day} 03:{:02}:00", 2 * m);
                w.access_from(&at, "rn", "P0", "view", "WS-MED-1", "10.0.0.1");
            }
            // A colleague on the unit's other workstation.
            w.access_from(&format!("2026-11-0{day} 12:00:00"), "rn2", "P0", "view", "WS-MED-2", "10.0.0.2");
        }
    }

    #[test]
    fn fires_at_usual_hours_when_the_device_is_new_to_the_whole_hospital() {
        let mut w = World::new();
        night_nurse(&mut w);
        for i in 0..8 {
            let at = format!("2026-11-07 03:{:02}:00", 10 + i);
            w.access_from(&at, "rn", &format!("X{i}"), "view", "LAPTOP-1", "185.1.2.3");
        }
        let found = w.run(&CompromisedAccount);
        assert_eq!(found.len(), 1, "{found:?}");
        let text = found[0].facts[0].sentence();
        assert!(text.contains("2 of them never seen in the hospital before that day"), "{text}");
        assert!(text.contains("within the account's usual hours"), "{text}");
    }

    #[test]
    fn a_night_nurse_on_a_colleagues_workstation_does_not_fire() {
        // New to her, but a hospital workstation others use: at her usual
        // hours this is a night on another bay, not a stolen account.
        let mut w = World::new();
        night_nurse(&mut w);
        for i in 0..8 {
            let at = format!("2026-11-07 03:{:02}:00", 10 + i);
            w.access_from(&at, "rn", &format!("X{i}"), "view", "WS-MED-2", "10.0.0.2");
        }
        assert!(w.run(&CompromisedAccount).is_empty());
    }

    /// A day nurse whose colleague on another unit uses `WS-ICU-1`.
    fn nurse_and_icu_colleague(w: &mut World) {
        nurse(w);
        w.user("icu").department("ICU").role("nurse");
        for day in 1..=5 {
            w.access_from(&format!("2026-11-0{day} 11:00:00"), "icu", "P0", "view", "WS-ICU-1", "10.0.0.2");
        }
    }

    #[test]
    fn a_night_on_a_colleagues_workstation_with_a_few_unlinked_patients_does_not_fire() {
        // Cross-covering another unit at night: the workstation is new to
        // her but the hospital's, and eight patients is a covering night.
        let mut w = World::new();
        nurse_and_icu_colleague(&mut w);
        for i in 0..8 {
            let at = format!("2026-11-07 02:{:02}:00", 10 + i);
            w.access_from(&at, "rn", &format!("X{i}"), "view", "WS-ICU-1", "10.0.0.2");
        }
        assert!(w.run(&CompromisedAccount).is_empty());
    }

    #[test]
    fn a_night_on_a_colleagues_workstation_opening_many_unlinked_patients_fires() {
        let mut w = World::new();
        nurse_and_icu_colleague(&mut w);
        for i in 0..20 {
            let at = format!("2026-11-07 02:{:02}:00", 10 + i);
            w.access_from(&at, "rn", &format!("X{i}"), "view", "WS-ICU-1", "10.0.0.2");
        }
        let found = w.run(&CompromisedAccount);
        assert_eq!(found.len(), 1, "{found:?}");
        let text = found[0].facts[0].sentence();
        assert!(text.contains("20 patients no care explains that day"), "{text}");
        assert!(!text.contains("never seen in the hospital"), "{text}");
    }

    #[test]
    fn a_new_unit_at_night_with_explained_patients_does_not_fire() {
        let mut w = World::new();
        nurse(&mut w);
        for i in 0..8 {
            let p = format!("N{i}");
            w.patient(&p);
            w.encounter(&p, "ICU", "2026-11-06 00:00:00", None, None);
            w.access_from_dept(
                &format!("2026-11-07 03:{:02}:00", 10 + i),
                "rn",
                &p,
                "view",
                "WS-ICU-4",
                "10.0.0.9",
                "ICU",
            );
        }
        assert!(w.run(&CompromisedAccount).is_empty());
    }

    /// DHCP: the nurse's own workstation gets a new lease in its unit's
    /// subnet every day. A night of unexplained patients on it is not a
    /// stolen account (other rules look at the patients).
    #[test]
    fn a_daily_dhcp_lease_on_the_users_own_workstation_does_not_fire() {
        let mut w = World::new();
        w.user("rn").department("MED").role("nurse");
        w.patient("P0");
        w.encounter("P0", "MED", "2026-11-01 00:00:00", None, None);
        for day in 1..=5 {
            let ip = format!("10.20.4.{}", 30 + day);
            w.access_from(&format!("2026-11-0{day} 10:00:00"), "rn", "P0", "view", "WS-MED-1", &ip);
        }
        for i in 0..8 {
            let at = format!("2026-11-07 03:{:02}:00", 10 + i);
            w.access_from(&at, "rn", &format!("X{i}"), "view", "WS-MED-1", "10.20.4.77");
        }
        assert!(w.run(&CompromisedAccount).is_empty());
        // The same night from another network (an outside address) fires.
        let mut w2 = World::new();
        w2.user("rn").department("MED").role("nurse");
        w2.patient("P0");
        w2.encounter("P0", "MED", "2026-11-01 00:00:00", None, None);
        for day in 1..=5 {
            let ip = format!("10.20.4.{}", 30 + day);
            w2.access_from(&format!("2026-11-0{day} 10:00:00"), "rn", "P0", "view", "WS-MED-1", &ip);
        }
        for i in 0..8 {
            let at = format!("2026-11-07 03:{:02}:00", 10 + i);
            w2.access_from(&at, "rn", &format!("X{i}"), "view", "WS-MED-1", "185.1.2.3");
        }
        assert_eq!(w2.run(&CompromisedAccount).len(), 1);
    }
}
