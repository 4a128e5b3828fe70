//! `employment_window`: an account used before its owner was hired or after
//! they left.
//!
//! Why it matters: accounts of departed staff that stay active are a common
//! path for stolen credentials and for ex-employees reading records from
//! home; use before the hire date points to shared or mis-provisioned
//! accounts. A user-level finding (`account` kind) over every event outside
//! the window, with `grace_days` of tolerance for HR dates that lag, and the
//! morning after the last day when a night shift ran into it.
//!
//! Example: the account of a nurse whose termination date was 2026-11-01
//! logs in on 2026-11-20 and opens twelve charts at night.

use crate::detect::finding::{AlertKind, Fact, Finding};
use crate::detect::input::{DetectInput, Rule};
use crate::detect::params::{days, Invalid, RuleParams, RuleSettings};
use crate::model::NONE;
use crate::time::{days_from_epoch, LocalTime, ZoneCache};

/// `[rules.employment_window]`, besides `enabled` and `weight`.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct EmploymentWindowParams {
    /// Days of use tolerated after termination or before hire (HR dates lag).
    pub grace_days: u32,
}

impl Default for EmploymentWindowParams {
    fn default() -> Self {
        Self { grace_days: 0 }
    }
}

impl RuleParams for EmploymentWindowParams {
    fn check(&self) -> Result<(), Invalid> {
        days("grace_days", self.grace_days, 0)
    }
}

/// The rule.
pub struct EmploymentWindow;

impl Rule for EmploymentWindow {
    const ID: &'static str = "employment_window";
    const DEFAULTS: RuleSettings = RuleSettings::weight(0.95);
    type Params = EmploymentWindowParams;

    fn check(&self, input: &DetectInput<'_>) -> Result<(), String> {
        match &input.data.roster {
            None => Err("users table missing".into()),
            Some(r) if !r.has_column("hire_date") && !r.has_column("termination_date") => {
                Err("users.hire_date and users.termination_date missing".into())
            }
            Some(_) => Ok(()),
        }
    }

    fn run(&self, params: &Self::Params, input: &DetectInput<'_>) -> Vec<Finding> {
        let Some(roster) = &input.data.roster else { return Vec::new() };
        let events = &input.data.events;
        let grace = i64::from(params.grace_days);
        input.per_user(|user, range| {
            let Some(rec) = roster.get(user) else { return Vec::new() };
            let hire = rec.hire_date.map(|d| i64::from(days_from_epoch(d)));
            let term = rec.termination_date.map(|d| i64::from(days_from_epoch(d)));
            if hire.is_none() && term.is_none() {
                return Vec::new();
            }
            let mut zone = ZoneCache::new(input.data.tz);
            let mut before = Vec::new();
            let mut after = Vec::new();
            let locals: Vec<LocalTime> =
                range.clone().map(|i| LocalTime::from_local_micros(zone.to_local(events.ts[i]))).collect();
            // A last shift that starts on the termination date may run past
            // midnight: the morning after counts as that shift when the
            // account was active on the termination date itself.
            let worked_last_day = term.is_some_and(|t| locals.iter().any(|lt| i64::from(lt.day) == t + grace));
            for (i, lt) in range.zip(&locals) {
                let day = i64::from(lt.day);
                if hire.is_some_and(|h| day < h - grace) {
                    before.push((i, day));
                } else if term.is_some_and(|t| day > t + grace) {
                    let finishing_shift = worked_last_day && term.is_some_and(|t| day == t + grace + 1) && lt.hour < 12;
                    if !finishing_shift {
                        after.push((i, day));
                    }
                }
            }
            let mut facts = Vec::new();
            if let (Some(&(_, first)), Some(h), Some(date)) = (before.first(), hire, rec.hire_date) {
                facts.push(Fact::BeforeHire { date, days: h - first });
            }
            if let (Some(&(_, last)), Some(t), Some(date)) = (after.last(), term, rec.termination_date) {
                facts.push(Fact::AfterTermination { date, days: last - t });
            }
            if facts.is_empty() {
                return Vec::new();
            }
            let mut evs: Vec<usize> = before.into_iter().chain(after).map(|(i, _)| i).collect();
            evs.sort_unstable();
            vec![Finding {
                rule: Self::ID,
                kind: AlertKind::Account,
                user,
                patient: NONE,
                events: evs,
                facts,
                downgraded: false,
            }]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_fixture::World;

    #[test]
    fn fires_after_termination_as_a_user_level_account_finding() {
        let mut w = World::new();
        w.user("n9").department("ICU").employed("2020-01-01", Some("2026-11-01"));
        w.patient("P1");
        w.access("2026-10-31 10:00:00", "n9", "P1", "view");
        w.access("2026-11-20 01:00:00", "n9", "", "login");
        w.access("2026-11-20 01:05:00", "n9", "P1", "view");
        let found = w.run(&EmploymentWindow);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].kind, AlertKind::Account);
        assert_eq!(found[0].patient, NONE);
        assert_eq!(found[0].events.len(), 2);
        assert_eq!(
            found[0].facts[0].sentence(),
            "the account was used up to 19 days after its owner's termination date (2026-11-01)"
        );
    }

    /// The sentence counts one day as "1 day", before hire and after
    /// termination.
    #[test]
    fn one_day_is_said_as_one_day() {
        let mut w = World::new();
        w.user("n9").department("ICU").employed("2020-01-01", Some("2026-11-01"));
        w.user("n8").department("ICU").employed("2026-11-10", None);
        w.patient("P1");
        w.access("2026-11-02 10:00:00", "n9", "P1", "view");
        w.access("2026-11-09 10:00:00", "n8", "P1", "view");
        let found = w.run(&EmploymentWindow);
        let said: Vec<String> = found.iter().map(|f| f.facts[0].sentence()).collect();
        assert_eq!(
            said,
            [
                "the account was used up to 1 day after its owner's termination date (2026-11-01)",
                "the account was used 1 day before its owner's hire date (2026-11-10)",
            ]
        );
    }

    #[test]
    fn a_new_hire_on_the_first_day_and_a_leaver_on_the_last_day_are_fine() {
        let mut w = World::new();
        w.user("new").department("ICU").employed("2026-11-28", None);
        w.user("old").department("ICU").employed("2020-01-01", Some("2026-11-28"));
        w.patient("P1");
        w.access("2026-11-28 07:00:00", "new", "P1", "view");
        w.access("2026-11-28 18:00:00", "old", "P1", "view");
        // ... and the leaver's last night shift runs into the next morning.
        w.access("2026-11-29 06:30:00", "old", "P1", "view");
        assert!(w.run(&EmploymentWindow).is_empty());
    }
}
