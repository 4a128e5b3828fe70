//! The explanation of one access.

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
    /// The patient had an encounter in the user's department (home, or the
    /// department the access was made from).
    EncounterDepartment,
    /// The user charted or ordered in the patient's record around that time.
    Documentation,
    /// The user's role serves the patient's encounter at this point
    /// (coding and billing after discharge, registration around a visit,
    /// pharmacy, lab and radiology during care).
    RoleTiming,
    /// The patient is on the user's recurring panel (a research study list):
    /// a `panel_roles` user opened the record on several distinct days.
    RecurringPanel,
    /// The user routinely works on the same patients as someone whose access
    /// to this patient care explains, at about the same time.
    CareTeamGroup,
}

impl Explanation {
    /// Every kind that explains, in order of preference.
    pub const CARE: [Explanation; 6] = [
        Explanation::EncounterProvider,
        Explanation::EncounterDepartment,
        Explanation::Documentation,
        Explanation::RoleTiming,
        Explanation::RecurringPanel,
        Explanation::CareTeamGroup,
    ];

    /// Stable name used in summary.json and features.
    pub fn as_str(self) -> &'static str {
        match self {
            Explanation::NoPatient => "no_patient",
            Explanation::Unexplained => "unexplained",
            Explanation::EncounterProvider => "encounter_provider",
            Explanation::EncounterDepartment => "encounter_department",
            Explanation::Documentation => "documentation",
            Explanation::RoleTiming => "role_timing",
            Explanation::RecurringPanel => "recurring_panel",
            Explanation::CareTeamGroup => "care_team_group",
        }
    }

    /// Plain-language phrase for evidence sentences.
    pub fn phrase(self) -> &'static str {
        match self {
            Explanation::EncounterProvider => "the user is the encounter's provider",
            Explanation::EncounterDepartment => "an encounter in the user's department",
            Explanation::Documentation => "the user charted in the record",
            Explanation::RoleTiming => "the user's role serves the encounter",
            Explanation::RecurringPanel => "the patient is on the user's recurring panel (study list)",
            Explanation::CareTeamGroup => "the user's care team treated the patient",
            Explanation::NoPatient | Explanation::Unexplained => "",
        }
    }

    /// Whether the explanation links this user to this patient directly
    /// (an encounter, the user's own charting, the user's role and panel),
    /// rather than by inference from colleagues (`CareTeamGroup`). Where a
    /// personal relationship exists (self, family, coworker, neighbour) or
    /// the record is flagged (VIP, deceased, restricted, break-the-glass),
    /// only a direct link clears the access: a colleague's care does not
    /// license a look at a celebrity's chart.
    pub fn is_direct(self) -> bool {
        self.is_explained() && self != Explanation::CareTeamGroup
    }

    /// Whether care explains the access.
    pub fn is_explained(self) -> bool {
        !matches!(self, Explanation::NoPatient | Explanation::Unexplained)
    }
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
