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
    /// Another user charted in the patient's record that day from the
    /// user's department (or, for a role that serves visits, from any): the
    /// patient was evidently in care, in a visit the encounters do not list.
    UnlistedVisit,
    /// The hospital lists the user on the patient's care team at that time
    /// (the `care_team` table: a treatment team, a primary-care panel, a
    /// research study's team).
    CareTeamMember,
    /// The encounters list no visit or stay in progress, yet at least
    /// `explain.unit_charting_users` other users charted in the patient's
    /// record that day from the user's department (home, or the department
    /// the access came from): the patient was on the user's unit, in a stay
    /// or visit the encounters export does not list. It ties the user to
    /// the patient as an encounter in the user's department does.
    UnitCharting,
}

impl Explanation {
    /// Number of kinds.
    pub const KINDS: usize = 11;

    /// Every kind, in `repr` order (`ALL[k as usize] == k`).
    pub const ALL: [Explanation; Explanation::KINDS] = [
        Explanation::NoPatient,
        Explanation::Unexplained,
        Explanation::EncounterProvider,
        Explanation::EncounterDepartment,
        Explanation::Documentation,
        Explanation::RoleTiming,
        Explanation::RecurringPanel,
        Explanation::CareTeamGroup,
        Explanation::UnlistedVisit,
        Explanation::CareTeamMember,
        Explanation::UnitCharting,
    ];

    /// Every kind that explains, in order of preference.
    pub const CARE: [Explanation; 9] = [
        Explanation::EncounterProvider,
        Explanation::EncounterDepartment,
        Explanation::Documentation,
        Explanation::CareTeamMember,
        Explanation::UnitCharting,
        Explanation::RoleTiming,
        Explanation::RecurringPanel,
        Explanation::CareTeamGroup,
        Explanation::UnlistedVisit,
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
            Explanation::UnlistedVisit => "unlisted_visit",
            Explanation::CareTeamMember => "care_team_member",
            Explanation::UnitCharting => "unit_charting",
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
            Explanation::CareTeamMember => "the user is on the patient's care team",
            Explanation::UnitCharting => {
                "staff of the user's unit charted for the patient that day, in a stay the encounters do not list"
            }
            Explanation::CareTeamGroup => "the user's care team treated the patient",
            Explanation::UnlistedVisit => {
                "staff charted for the patient that day, in a visit the encounters do not list"
            }
            Explanation::NoPatient | Explanation::Unexplained => "",
        }
    }

    /// Whether the explanation ties this user to this patient: the user is
    /// the encounter's provider, the patient was in the user's department
    /// at the time (listed, or evident from the unit's own charting that
    /// day), the user charted in the record, or the hospital lists the
    /// user on the patient's care team. The other
    /// explanations are population-level: the user's role routinely opens
    /// patients like this one (`RoleTiming`), the patient is on a study
    /// list (`RecurringPanel`), colleagues treated the patient
    /// (`CareTeamGroup`), others charted in a visit the encounters do not
    /// list (`UnlistedVisit`). Where a personal relationship exists (self,
    /// family, coworker, neighbour) or the chart is sensitive (VIP,
    /// deceased, restricted or a sensitive section, break-the-glass), only
    /// a patient-specific explanation clears the access: "any pharmacist
    /// may open any inpatient" does not license a look at a celebrity's
    /// notes.
    pub fn is_patient_specific(self) -> bool {
        matches!(
            self,
            Explanation::EncounterProvider
                | Explanation::EncounterDepartment
                | Explanation::Documentation
                | Explanation::CareTeamMember
                | Explanation::UnitCharting
        )
    }

    /// Whether care explains the access only at the population level (see
    /// [`Explanation::is_patient_specific`]).
    pub fn is_population_level(self) -> bool {
        matches!(
            self,
            Explanation::RoleTiming
                | Explanation::RecurringPanel
                | Explanation::CareTeamGroup
                | Explanation::UnlistedVisit
        )
    }

    /// Whether care explains the access.
    pub fn is_explained(self) -> bool {
        !matches!(self, Explanation::NoPatient | Explanation::Unexplained)
    }
}

/// One explanation per event, aligned with `Ingested::events`, and the
/// count of each kind over the whole run.
#[derive(Debug, Clone, Default)]
pub struct Explanations {
    /// Per event.
    pub kind: Vec<Explanation>,
    /// Count of each kind (indexed by `as usize`) over the run's events.
    /// Equal to counting `kind`, except in a partitioned run, whose `kind`
    /// holds only the evidence events while the totals are the whole run's.
    totals: [u64; Explanation::KINDS],
    /// Every user's role class (from the title, or learned from their work
    /// in the direct pass), for the rules and the coverage report.
    pub roles: crate::roles::RoleBook,
}

impl Explanations {
    /// The explanations of these events, with totals counted from them.
    pub fn new(kind: Vec<Explanation>) -> Self {
        let totals = Self::count_kinds(&kind);
        Explanations { kind, totals, roles: Default::default() }
    }

    /// The same explanations with the run's role book.
    pub fn with_roles(mut self, roles: crate::roles::RoleBook) -> Self {
        self.roles = roles;
        self
    }

    /// Explanations of some of the run's events, with the whole run's totals.
    pub fn with_totals(kind: Vec<Explanation>, totals: [u64; Explanation::KINDS]) -> Self {
        Explanations { kind, totals, roles: Default::default() }
    }

    /// Count of each kind (indexed by `as usize`) in `kind`.
    pub fn count_kinds(kind: &[Explanation]) -> [u64; Explanation::KINDS] {
        let mut totals = [0u64; Explanation::KINDS];
        for k in kind {
            totals[*k as usize] += 1;
        }
        totals
    }

    /// The run's count of each kind (indexed by `as usize`).
    pub fn totals(&self) -> [u64; Explanation::KINDS] {
        self.totals
    }

    /// Accesses that touched a patient.
    pub fn patient_accesses(&self) -> u64 {
        self.totals.iter().sum::<u64>() - self.count(Explanation::NoPatient)
    }

    /// Patient accesses that care explains.
    pub fn explained(&self) -> u64 {
        Explanation::CARE.iter().map(|k| self.count(*k)).sum()
    }

    /// Count of one kind.
    pub fn count(&self, kind: Explanation) -> u64 {
        self.totals[kind as usize]
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
