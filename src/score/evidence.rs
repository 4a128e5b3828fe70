//! Evidence sentences shared by every alert: the care link, the hours, the
//! volume. Rule-specific sentences come from the findings' facts.

use crate::detect::DetectInput;
use crate::explain::Explanation;
use crate::features::UsualHours;
use crate::model::{Code, NONE};
use crate::time::{format_local_minute, LocalTime, ZoneCache};

/// Facts about an alert's evidence events that every alert reports.
#[derive(Debug, Clone)]
pub struct CommonEvidence {
    /// Accesses in the evidence.
    pub count: usize,
    /// How many of them care explains.
    pub explained: usize,
    /// How many fell outside the user's usual hours.
    pub after_hours: usize,
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
pub fn common(input: &DetectInput<'_>, user: Code, patient: Code, events: &[usize]) -> CommonEvidence {
    let ev = &input.data.events;
    let mut zone = ZoneCache::new(input.data.tz);
    let usual = input
        .features
        .get(user)
        .map(|s| s.usual_hours)
        .unwrap_or_else(|| UsualHours::default_window(&input.config.hours));
    let explained: Vec<Explanation> =
        events.iter().map(|&i| input.explained.kind[i]).filter(|k| k.is_explained()).collect();
    let locals: Vec<i64> = events.iter().map(|&i| zone.to_local(ev.ts[i])).collect();
    let odd: Vec<i64> =
        locals.iter().copied().filter(|&l| !usual.contains(LocalTime::from_local_micros(l).hour)).collect();

    let mut sentences = Vec::new();
    if patient != NONE {
        if explained.is_empty() {
            sentences.push("no encounter, order or charting links the user to the patient".to_string());
        } else {
            let mut kinds: Vec<&str> = explained.iter().map(|k| care_phrase(*k)).collect();
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
    if let (Some(first), Some(last)) = (locals.first(), locals.last()) {
        let (f, l) = (format_local_minute(*first), format_local_minute(*last));
        sentences.push(if events.len() == 1 {
            format!("1 access, at {f}")
        } else if f[..10] == l[..10] {
            format!("{} on {}, {}–{}", plural(events.len(), "access", "accesses"), &f[..10], &f[11..], &l[11..])
        } else {
            format!("{} from {} to {}", plural(events.len(), "access", "accesses"), f, l)
        });
    }
    CommonEvidence { count: events.len(), explained: explained.len(), after_hours: odd.len(), sentences }
}

fn care_phrase(k: Explanation) -> &'static str {
    match k {
        Explanation::EncounterProvider => "the user is the encounter's provider",
        Explanation::EncounterDepartment => "an encounter in the user's department",
        Explanation::Documentation => "the user charted in the record",
        Explanation::NoPatient | Explanation::Unexplained => "",
    }
}
