//! `former_patient`: a former patient of the user's own unit opened months
//! after the stay, while nothing brings the patient back into care.
//!
//! Why it matters: staff remember the patients their unit cared for, and
//! some go back to look: how the story ended, what the neighbour in bed 4
//! had. The department link that explained every access during the stay
//! and the follow-up weeks after it has run out; no new encounter explains
//! the look. The legitimate look-alike is the readmission: the patient is
//! back on the unit (or anywhere in the hospital) and the unit re-reads the
//! old stay, which the new encounter explains.
//!
//! The user's units are their roster department and the departments they
//! make at least a fifth of their accesses from (a roster may hold an HR
//! cost-centre code that matches no EHR department). An access fires when
//! nothing explains it, the patient had a stay in one of those units, and
//! the patient's last contact with the hospital anywhere ended
//! `min_days_since` days or more before the access ("no care since"), with
//! no encounter open or starting within `quiet_days` after it. A stay
//! lasts `min_stay_hours` or more: a clinic's patients, seen in short
//! appointments, stay the clinic's patients between visits (refills,
//! results, messages).
//!
//! Example: an ICU nurse opens the notes of a patient discharged from the
//! ICU 104 days earlier, who has had no visit since.

use crate::detect::finding::{AlertKind, Fact, Finding};
use crate::detect::input::{DetectInput, Rule};
use crate::detect::params::{days, Invalid, RuleParams, RuleSettings};
use crate::explain::Explanation;
use crate::model::{Code, FxHashMap, NONE};
use crate::time::MICROS_PER_DAY;

/// `[rules.former_patient]`, besides `enabled` and `weight`.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct FormerPatientParams {
    /// The stay in the user's unit ended at least this many days before.
    pub min_days_since: u32,
    /// No encounter of the patient is open or within this many days.
    pub quiet_days: u32,
    /// Only an encounter lasting at least this many hours is a stay that
    /// makes a former patient. A clinic appointment (shorter) starts a
    /// relationship the clinic keeps between visits (refills, results,
    /// messages), so its patients are not former patients months later.
    pub min_stay_hours: u32,
}

impl Default for FormerPatientParams {
    fn default() -> Self {
        Self { min_days_since: 45, quiet_days: 14, min_stay_hours: 4 }
    }
}

impl RuleParams for FormerPatientParams {
    fn check(&self) -> Result<(), Invalid> {
        days("min_days_since", self.min_days_since, 0)?;
        days("quiet_days", self.quiet_days, 0)?;
        crate::detect::params::within(
            "min_stay_hours",
            self.min_stay_hours,
            0,
            8784,
            "a number of hours from 0 to 8784",
        )
    }
}

/// The rule.
pub struct FormerPatient;

/// The departments a user works in: the roster's, and those at least a
/// fifth of the user's accesses come from.
fn units(input: &DetectInput<'_>, user: Code, range: std::ops::Range<usize>) -> Vec<Code> {
    let ev = &input.data.events;
    let mut counts: FxHashMap<Code, usize> = FxHashMap::default();
    for i in range.clone() {
        if ev.department[i] != NONE {
            *counts.entry(ev.department[i]).or_default() += 1;
        }
    }
    let mut units: Vec<Code> = counts.into_iter().filter(|(_, n)| n * 5 >= range.len()).map(|(d, _)| d).collect();
    if let Some(home) = input.data.roster.as_ref().and_then(|r| r.get(user)).and_then(|r| r.department) {
        units.push(home);
    }
    units.sort_unstable();
    units.dedup();
    units
}

impl Rule for FormerPatient {
    const ID: &'static str = "former_patient";
    const DEFAULTS: RuleSettings = RuleSettings::weight(0.55);
    type Params = FormerPatientParams;

    fn check(&self, input: &DetectInput<'_>) -> Result<(), String> {
        match &input.data.encounters {
            None => Err("encounters table missing".into()),
            Some(_) => Ok(()),
        }
    }

    fn run(&self, s: &Self::Params, input: &DetectInput<'_>) -> Vec<Finding> {
        let Some(enc) = &input.data.encounters else { return Vec::new() };
        let since = i64::from(s.min_days_since) * MICROS_PER_DAY;
        let quiet = i64::from(s.quiet_days) * MICROS_PER_DAY;
        let min_stay = i64::from(s.min_stay_hours) * crate::time::MICROS_PER_HOUR;
        let ev = &input.data.events;
        input.per_user(|user, range| {
            let units = units(input, user, range.clone());
            if units.is_empty() {
                return Vec::new();
            }
            // Per hit: the unit and the end of the stay there.
            let mut stay: FxHashMap<usize, (Code, i64)> = FxHashMap::default();
            let hits = range.filter(|&i| {
                let (p, t) = (ev.patient[i], ev.ts[i]);
                if p == NONE || input.explained.kind[i] != Explanation::Unexplained {
                    return false;
                }
                let encounters = enc.of_patient(p);
                // In care, or back in care soon: an encounter anywhere that
                // is open, ended within `min_days_since` days before the
                // access (a recent visit makes a follow-up look plausible,
                // and "no care since" would be false) or starts within
                // `quiet_days` after it.
                let in_care = encounters
                    .iter()
                    .any(|e| e.start - quiet <= t && e.end.is_none_or(|end| end > t - since.max(quiet)));
                if in_care {
                    return false;
                }
                let last = encounters
                    .iter()
                    .filter(|e| e.end.is_some_and(|end| end - e.start >= min_stay))
                    .filter_map(|e| Some((e.department?, e.end?)))
                    .filter(|(d, end)| units.contains(d) && *end <= t)
                    .max_by_key(|(_, end)| *end);
                match last {
                    Some(found) => {
                        stay.insert(i, found);
                        true
                    }
                    None => false,
                }
            });
            input
                .by_patient(hits)
                .into_iter()
                .map(|(patient, evs)| {
                    let (dept, end) = stay[&evs[0]];
                    Finding {
                        rule: Self::ID,
                        kind: AlertKind::Snooping,
                        user,
                        patient,
                        facts: vec![Fact::FormerPatient {
                            department: input.data.dict.departments.name(dept).to_string(),
                            days_since: (ev.ts[evs[0]] - end).div_euclid(MICROS_PER_DAY),
                        }],
                        events: evs,
                        downgraded: false,
                    }
                })
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_fixture::World;

    fn world() -> World {
        let mut w = World::new();
        w.user("rn").department("CC7410");
        w.patient("P0");
        w.patient("OLD");
        w.encounter("P0", "ICU", "2026-11-01 00:00:00", None, None);
        w.encounter("OLD", "ICU", "2026-07-10 08:00:00", Some("2026-07-20 12:00:00"), None);
        // The nurse works from the ICU (her roster department is a cost centre).
        for day in 1..=9 {
            w.access_from_dept(&format!("2026-11-0{day} 10:00:00"), "rn", "P0", "view", "WS-ICU-1", "10.0.0.1", "ICU");
        }
        w
    }

    #[test]
    fn fires_on_a_former_patient_of_the_users_unit_months_later() {
        let mut w = world();
        w.access_from_dept("2026-11-09 21:00:00", "rn", "OLD", "view", "WS-ICU-1", "10.0.0.1", "ICU");
        let found = w.run(&FormerPatient);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(w.patient_of(&found[0]), "OLD");
        assert_eq!(
            found[0].facts[0].sentence(),
            "a former patient of ICU, whose stay there ended 112 days before, and no care since"
        );
    }

    #[test]
    fn a_readmitted_patient_whose_old_stay_the_unit_re_reads_does_not_fire() {
        let mut w = world();
        w.encounter("OLD", "MED", "2026-11-08 08:00:00", None, None);
        w.access_from_dept("2026-11-09 11:00:00", "rn", "OLD", "view", "WS-ICU-1", "10.0.0.1", "ICU");
        assert!(w.run(&FormerPatient).is_empty());
    }

    #[test]
    fn a_patient_of_another_unit_or_a_recent_one_does_not_fire() {
        let mut w = world();
        w.patient("ELSE");
        w.encounter("ELSE", "ONC", "2026-07-10 08:00:00", Some("2026-07-20 12:00:00"), None);
        w.patient("RECENT");
        w.encounter("RECENT", "ICU", "2026-10-01 08:00:00", Some("2026-10-03 12:00:00"), None);
        w.access_from_dept("2026-11-09 11:00:00", "rn", "ELSE", "view", "WS-ICU-1", "10.0.0.1", "ICU");
        w.access_from_dept("2026-11-09 11:05:00", "rn", "RECENT", "view", "WS-ICU-1", "10.0.0.1", "ICU");
        assert!(w.run(&FormerPatient).is_empty());
    }

    /// A clinic's patient, seen in a half-hour appointment months ago,
    /// is still the clinic's patient: its nurse answering a refill request
    /// does not fire. The same look after an overnight stay does.
    #[test]
    fn a_clinic_appointment_makes_no_former_patient() {
        let mut w = world();
        w.patient("CLINIC");
        w.encounter("CLINIC", "ICU", "2026-07-10 09:00:00", Some("2026-07-10 09:30:00"), None);
        w.access_from_dept("2026-11-09 11:00:00", "rn", "CLINIC", "view", "WS-ICU-1", "10.0.0.1", "ICU");
        assert!(w.run(&FormerPatient).is_empty());
        let mut stay = world();
        stay.patient("CLINIC");
        stay.encounter("CLINIC", "ICU", "2026-07-10 09:00:00", Some("2026-07-11 09:30:00"), None);
        stay.access_from_dept("2026-11-09 11:00:00", "rn", "CLINIC", "view", "WS-ICU-1", "10.0.0.1", "ICU");
        assert_eq!(stay.run(&FormerPatient).len(), 1);
    }

    #[test]
    fn a_former_patient_seen_elsewhere_weeks_ago_does_not_fire() {
        // The ICU stay was months ago, but a clinic visit three weeks ago
        // brought the patient back into care: a follow-up look, and "no
        // care since" would be false.
        let mut w = world();
        w.encounter("OLD", "PCC", "2026-10-19 09:00:00", Some("2026-10-19 09:30:00"), None);
        w.access_from_dept("2026-11-09 11:00:00", "rn", "OLD", "view", "WS-ICU-1", "10.0.0.1", "ICU");
        assert!(w.run(&FormerPatient).is_empty());
    }
}
