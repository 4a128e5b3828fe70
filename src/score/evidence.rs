//! Evidence sentences shared by every alert: the care link, the hours, the
//! volume. Rule-specific sentences come from the findings' facts.

use crate::detect::DetectInput;
use crate::explain::Explanation;
use crate::features::UsualHours;
use crate::model::{Code, Evidence, NONE};
use crate::time::{format_local_minute, LocalTime, ZoneCache, MICROS_PER_DAY};

/// Facts about an alert's evidence events that every alert reports.
#[derive(Debug, Clone)]
pub struct CommonEvidence {
    /// Accesses in the evidence.
    pub count: usize,
    /// How many of them a direct care link explains.
    pub explained: usize,
    /// How many of them only an inferred link (care-team group) explains.
    pub indirect: usize,
    /// How many fell outside the user's usual hours.
    pub after_hours: usize,
    /// Nothing explains the accesses, but the patient had an encounter in
    /// the user's own department within `score.department_history_days` of
    /// them: an indirect link.
    pub department_history: bool,
    /// All the accesses fell on one local day.
    pub one_day: bool,
    /// Sentences, in reading order.
    pub sentences: Vec<String>,
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Builds the shared evidence of an alert over `events` (ascending indices).
/// `no_link_note` says why a missing care link weighs less for this user
/// (see `role_norms`); it is shown when nothing links the accesses.
/// `former_patient`: the alert alleges a former patient of the user's unit,
/// so the department's old stay is not looked up as an indirect link.
pub fn common(
    input: &DetectInput<'_, Evidence>,
    user: Code,
    patient: Code,
    events: &[usize],
    no_link_note: Option<&str>,
    former_patient: bool,
) -> CommonEvidence {
    let ev = &input.data.events;
    let mut zone = ZoneCache::new(input.data.tz);
    let usual = input
        .features
        .get(user)
        .map(|s| s.usual_hours)
        .unwrap_or_else(|| UsualHours::default_window(&input.config.hours));
    let explained: Vec<Explanation> =
        events.iter().map(|&i| input.explained.kind[i]).filter(|k| k.is_patient_specific()).collect();
    let indirect = events.iter().filter(|&&i| input.explained.kind[i].is_population_level()).count();
    let locals: Vec<i64> = events.iter().map(|&i| zone.to_local(ev.ts[i])).collect();
    let odd: Vec<i64> =
        locals.iter().copied().filter(|&l| !usual.contains(LocalTime::from_local_micros(l).hour)).collect();

    // A former-patient alert alleges the department's old stay: that stay
    // is no indirect link here, the rule already weighed it.
    let history = match (
        patient != NONE && explained.is_empty() && indirect == 0 && !former_patient,
        events.first(),
        events.last(),
    ) {
        (true, Some(&a), Some(&b)) => department_history(input, user, patient, ev.ts[a], ev.ts[b]),
        _ => None,
    };
    let mut sentences = Vec::new();
    if patient != NONE {
        if explained.is_empty() {
            sentences.push("no encounter, order or charting links the user to the patient".to_string());
            // With a population-level link, the rule's `PopulationLevel`
            // fact says what the link is.
            if indirect == 0 {
                if let Some(s) = &history {
                    sentences.push(s.clone());
                } else if let Some(note) = no_link_note {
                    sentences.push(note.to_string());
                }
            }
            if let Some(s) = department_mismatch(input, user, patient) {
                sentences.push(s);
            }
        } else {
            let mut kinds: Vec<&str> = explained.iter().map(|k| k.phrase()).collect();
            kinds.sort_unstable();
            kinds.dedup();
            sentences.push(format!(
                "care explains {} of the {} ({}), so this is kept for audit at lower priority",
                explained.len(),
                plural(events.len(), "access", "accesses"),
                kinds.join(", ")
            ));
        }
    }
    let hours_label = if usual.learned {
        format!("the user's usual hours ({usual})")
    } else {
        format!("default day hours ({usual}; too little history to learn this user's)")
    };
    match odd.len() {
        0 => {}
        1 if events.len() == 1 => {
            sentences.push(format!("accessed at {}, outside {hours_label}", format_local_minute(odd[0])))
        }
        n => sentences
            .push(format!("{n} of the accesses outside {hours_label}, the first at {}", format_local_minute(odd[0]))),
    }
    if patient == NONE {
        let mut touched: Vec<Code> = events.iter().map(|&i| ev.patient[i]).filter(|p| *p != NONE).collect();
        touched.sort_unstable();
        touched.dedup();
        if !touched.is_empty() {
            sentences.push(format!("touched {}", plural(touched.len(), "patient's record", "patients' records")));
        }
        if let (true, true, Some(note)) = (explained.is_empty(), indirect == 0, no_link_note) {
            sentences.push(note.to_string());
        }
    }
    let day = |t: i64| t.div_euclid(crate::time::MICROS_PER_DAY);
    if let (Some(first), Some(last)) = (locals.first(), locals.last()) {
        let (f, l) = (format_local_minute(*first), format_local_minute(*last));
        sentences.push(if events.len() == 1 {
            format!("1 access, at {f}")
        } else if day(*first) == day(*last) {
            format!(
                "{} on {}, {}–{}",
                plural(events.len(), "access", "accesses"),
                crate::time::format_local_date(*first),
                crate::time::format_local_clock(*first),
                crate::time::format_local_clock(*last)
            )
        } else {
            format!("{} from {} to {}", plural(events.len(), "access", "accesses"), f, l)
        });
    }
    CommonEvidence {
        count: events.len(),
        explained: explained.len(),
        indirect,
        after_hours: odd.len(),
        department_history: history.is_some(),
        // `events` ascend in time: the first and last local days bound the rest.
        one_day: locals.first().map(|&t| day(t)) == locals.last().map(|&t| day(t)),
        sentences,
    }
}

/// "only an indirect link: the patient was seen in the user's department
/// (ONCC) 48 days from the accesses", when the patient has an encounter in
/// the user's home department within `score.department_history_days` of
/// the accesses `first..=last` (UTC µs). The nearest encounter is named.
fn department_history(
    input: &DetectInput<'_, Evidence>,
    user: Code,
    patient: Code,
    first: i64,
    last: i64,
) -> Option<String> {
    let days = i64::from(input.config.score.department_history_days);
    if days == 0 {
        return None;
    }
    let dict = &input.data.dict;
    let home = input.data.roster.as_ref()?.get(user)?.department?;
    let gap = input
        .data
        .encounters
        .as_ref()?
        .of_patient(patient)
        .iter()
        .filter(|e| e.department == Some(home))
        .map(|e| {
            // Days between the encounter's span and the accesses' span; 0 when they overlap.
            let end = e.end.unwrap_or(i64::MAX);
            let micros = if last < e.start {
                e.start - last
            } else if first > end {
                first - end
            } else {
                0
            };
            micros / MICROS_PER_DAY
        })
        .min()
        .filter(|&g| g <= days)?;
    Some(format!(
        "only an indirect link: the patient was seen in the user's department ({}) {} from the accesses",
        dict.departments.name(home),
        plural(gap as usize, "day", "days")
    ))
}

/// "the patient was seen in ED, ICU; the user works in BILLING", when the
/// patient's encounters and the user's home department are known and differ.
fn department_mismatch(input: &DetectInput<'_, Evidence>, user: Code, patient: Code) -> Option<String> {
    let dict = &input.data.dict;
    let home = input.data.roster.as_ref()?.get(user)?.department?;
    let mut seen: Vec<Code> =
        input.data.encounters.as_ref()?.of_patient(patient).iter().filter_map(|e| e.department).collect();
    seen.sort_unstable();
    seen.dedup();
    if seen.is_empty() || seen.contains(&home) {
        return None;
    }
    let mut names: Vec<&str> = seen.iter().map(|&d| dict.departments.name(d)).collect();
    names.sort_unstable();
    let more = names.len().saturating_sub(3);
    names.truncate(3);
    let list = if more > 0 { format!("{} and {more} more", names.join(", ")) } else { names.join(", ") };
    Some(format!("the patient was seen in {list}; the user works in {}", dict.departments.name(home)))
}

#[cfg(test)]
mod tests {
    use crate::test_fixture::World;

    /// A nurse on 4W and a restricted chart opened at 10:00 on 2026-11-28,
    /// with no encounter that explains it.
    fn world(encounter_dept: &str, encounter_start: &str, encounter_end: &str) -> World {
        let mut w = World::new();
        w.user("rn").department("4W").role("nurse");
        w.patient("R").restricted();
        w.encounter("R", encounter_dept, encounter_start, Some(encounter_end), None);
        // A read of its sensitive section: the rule's own weight.
        w.access_with("2026-11-28 10:00:00", "rn", "R", "view", "behavioral_health", false);
        w
    }

    fn restricted_alone(w: &World) -> f64 {
        (w.weight::<crate::detect::rules::RestrictedAccess>() * 1000.0).round() / 10.0
    }

    #[test]
    fn a_recent_patient_of_the_users_department_is_an_indirect_link_not_no_link_at_all() {
        // Discharged from 4W 40 days before: past the 30-day care window,
        // not yet a former patient of the unit (45 days); the history takes
        // away only the "no care link at all" signal.
        let w = world("4W", "2026-10-15 08:00:00", "2026-10-19 12:00:00");
        let alerts = w.alerts();
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        assert_eq!(alerts[0].rules, ["restricted_access"]);
        assert_eq!(alerts[0].score, restricted_alone(&w));
        assert!(
            alerts[0]
                .explanation
                .contains("only an indirect link: the patient was seen in the user's department (4W) 39 days"),
            "{}",
            alerts[0].explanation
        );
    }

    #[test]
    fn a_former_patient_of_the_users_department_is_no_indirect_link() {
        // Discharged from 4W 60 days before, no care since: the former-patient
        // rule weighs that old stay, so it is not also an excuse.
        let w = world("4W", "2026-09-25 08:00:00", "2026-09-29 12:00:00");
        let alerts = w.alerts();
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        assert_eq!(alerts[0].rules, ["former_patient", "restricted_access"]);
        let (r, f) =
            (w.weight::<crate::detect::rules::RestrictedAccess>(), w.weight::<crate::detect::rules::FormerPatient>());
        let u = w.config.score.unexplained_weight;
        let together = ((1.0 - (1.0 - r) * (1.0 - f)) * 1000.0).round() / 10.0;
        assert!(alerts[0].score > together, "{alerts:?}");
        assert!(alerts[0].score <= ((1.0 - (1.0 - r) * (1.0 - f) * (1.0 - u)) * 1000.0).round() / 10.0);
        assert!(!alerts[0].explanation.contains("indirect link"), "{}", alerts[0].explanation);
        assert!(alerts[0].explanation.contains("a former patient of 4W"), "{}", alerts[0].explanation);
    }

    #[test]
    fn another_departments_patient_or_an_old_one_has_no_link_at_all() {
        for w in [
            world("PSY", "2026-09-25 08:00:00", "2026-09-29 12:00:00"),
            world("4W", "2026-03-02 08:00:00", "2026-03-05 12:00:00"),
        ] {
            let alerts = w.alerts();
            assert_eq!(alerts.len(), 1, "{alerts:?}");
            assert!(alerts[0].score > restricted_alone(&w), "{alerts:?}");
            assert!(!alerts[0].explanation.contains("indirect link"), "{}", alerts[0].explanation);
        }
        let mut off = world("4W", "2026-09-25 08:00:00", "2026-09-29 12:00:00");
        off.config.score.department_history_days = 0;
        assert!(off.alerts()[0].score > restricted_alone(&off));
    }
}
