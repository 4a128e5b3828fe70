//! Care explanations from encounters and the user's own charting.
//!
//! An access by user U to patient P at time t is explained, in this order of
//! preference, when:
//! 1. U is the provider of an encounter of P whose window contains t
//!    (`EncounterProvider`);
//! 2. P has an encounter whose window contains t in U's home department, or
//!    in the department the access was made from (`EncounterDepartment`);
//! 3. U charted (create/update) in P's record within the documentation window
//!    around t (`Documentation`).
//!
//! An encounter's window runs from `encounter_before_hours` before its start
//! to `encounter_after_days` after its end; an open encounter (no end) runs
//! to the end of the data.
//!
//! Pure and deterministic: per-user work runs in parallel, each user's slice
//! of events independently.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::config::ExplainParams;
use crate::ingest::Ingested;
use crate::model::{Code, NONE};
use crate::time::{MICROS_PER_DAY, MICROS_PER_HOUR};

/// Why an access is legitimate, or that nothing explains it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Explanation {
    /// The event touched no patient (login, logout, empty search).
    NoPatient,
    /// Nothing in the data links the user to the patient at that time.
    Unexplained,
    /// The user is the provider of the patient's encounter.
    EncounterProvider,
    /// The patient had an encounter in the user's department.
    EncounterDepartment,
    /// The user charted in the patient's record around that time.
    Documentation,
}

impl Explanation {
    /// Stable name used in summary.json and features.
    pub fn as_str(self) -> &'static str {
        match self {
            Explanation::NoPatient => "no_patient",
            Explanation::Unexplained => "unexplained",
            Explanation::EncounterProvider => "encounter_provider",
            Explanation::EncounterDepartment => "encounter_department",
            Explanation::Documentation => "documentation",
        }
    }

    /// Whether care explains the access.
    pub fn is_explained(self) -> bool {
        matches!(self, Explanation::EncounterProvider | Explanation::EncounterDepartment | Explanation::Documentation)
    }

    /// The care kinds, for reporting.
    pub const CARE: [Explanation; 3] =
        [Explanation::EncounterProvider, Explanation::EncounterDepartment, Explanation::Documentation];
}

/// One explanation per event, aligned with `Ingested::events`.
#[derive(Debug, Clone, Default)]
pub struct Explanations {
    /// Per event.
    pub kind: Vec<Explanation>,
}

impl Explanations {
    /// Accesses that touched a patient.
    pub fn patient_accesses(&self) -> u64 {
        self.kind.iter().filter(|k| **k != Explanation::NoPatient).count() as u64
    }

    /// Patient accesses that care explains.
    pub fn explained(&self) -> u64 {
        self.kind.iter().filter(|k| k.is_explained()).count() as u64
    }

    /// Count of one kind.
    pub fn count(&self, kind: Explanation) -> u64 {
        self.kind.iter().filter(|k| **k == kind).count() as u64
    }

    /// Share of patient accesses explained; 0 when there are none.
    pub fn explained_fraction(&self) -> f64 {
        let n = self.patient_accesses();
        if n == 0 {
            0.0
        } else {
            self.explained() as f64 / n as f64
        }
    }
}

/// Explains every event of the bundle.
pub fn explain(data: &Ingested, params: &ExplainParams) -> Explanations {
    let events = &data.events;
    let mut kind = vec![Explanation::NoPatient; events.len()];
    let ranges = events.user_ranges();
    // Hand each user's slice of the output to one task.
    let mut slices = Vec::with_capacity(ranges.len());
    let mut rest: &mut [Explanation] = &mut kind;
    for (user, range) in &ranges {
        let (head, tail) = rest.split_at_mut(range.len());
        slices.push((*user, range.clone(), head));
        rest = tail;
    }
    let before = i64::from(params.encounter_before_hours) * MICROS_PER_HOUR;
    let after = i64::from(params.encounter_after_days) * MICROS_PER_DAY;
    let doc_window = i64::from(params.documentation_window_days) * MICROS_PER_DAY;

    slices.into_par_iter().for_each(|(user, range, out)| {
        let home = data.roster.as_ref().and_then(|r| r.get(user)).and_then(|u| u.department);
        // Times of this user's charting per patient, ascending (events are time-sorted).
        let mut charted: HashMap<Code, Vec<i64>> = HashMap::new();
        for i in range.clone() {
            if events.action[i].is_documentation() && events.patient[i] != NONE {
                charted.entry(events.patient[i]).or_default().push(events.ts[i]);
            }
        }
        for (slot, i) in out.iter_mut().zip(range) {
            let patient = events.patient[i];
            if patient == NONE {
                continue;
            }
            let t = events.ts[i];
            let mut found = Explanation::Unexplained;
            if let Some(enc) = &data.encounters {
                for e in enc.of_patient(patient) {
                    if e.start - before > t {
                        break; // sorted by start: the rest start later still
                    }
                    if let Some(end) = e.end {
                        if t > end + after {
                            continue;
                        }
                    }
                    if e.provider == Some(user) {
                        found = Explanation::EncounterProvider;
                        break;
                    }
                    if let Some(dept) = e.department {
                        if Some(dept) == home || dept == events.department[i] {
                            found = Explanation::EncounterDepartment;
                        }
                    }
                }
            }
            if found == Explanation::Unexplained {
                if let Some(times) = charted.get(&patient) {
                    // Nearest charting time within the window?
                    let pos = times.partition_point(|&c| c < t - doc_window);
                    if pos < times.len() && times[pos] <= t + doc_window {
                        found = Explanation::Documentation;
                    }
                }
            }
            *slot = found;
        }
    });
    Explanations { kind }
}
