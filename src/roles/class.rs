//! Role classes: what kind of work a user does, whatever HR calls the job.

use std::fmt;

/// The kind of work a user does, as the explain stage and the rules use
/// it. HR titles ("Registered Nurse II", "Coder III") map to these; the
/// configuration's role lists name these, never raw titles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RoleClass {
    /// Attending and staff physicians, hospitalists, surgeons.
    Physician,
    /// Nurse practitioners, physician assistants, CRNAs, midwives.
    AdvancedPractice,
    /// Residents and fellows (PGY-n, house officers).
    Resident,
    /// Registered and licensed practical nurses.
    Nurse,
    /// Nursing assistants, medical assistants, patient care technicians.
    ClinicalSupport,
    /// Pharmacists and pharmacy technicians.
    Pharmacy,
    /// Laboratory staff: technologists, scientists, phlebotomists.
    Laboratory,
    /// Radiology and imaging technologists.
    Radiology,
    /// Registration, admitting, patient access, scheduling.
    Registration,
    /// Health information management: coding, CDI, release of information.
    HimCoding,
    /// Billing and patient financial services.
    Billing,
    /// Case management and social work.
    CaseManagement,
    /// Research coordinators and research nurses.
    Research,
    /// IT, informatics and EHR analysts.
    It,
    /// Everything else the roster names (therapists, dietitians, managers).
    Other,
}

impl RoleClass {
    /// Every class, in report order.
    pub const ALL: [RoleClass; 15] = [
        RoleClass::Physician,
        RoleClass::AdvancedPractice,
        RoleClass::Resident,
        RoleClass::Nurse,
        RoleClass::ClinicalSupport,
        RoleClass::Pharmacy,
        RoleClass::Laboratory,
        RoleClass::Radiology,
        RoleClass::Registration,
        RoleClass::HimCoding,
        RoleClass::Billing,
        RoleClass::CaseManagement,
        RoleClass::Research,
        RoleClass::It,
        RoleClass::Other,
    ];

    /// The name used in the configuration, summary.json and the outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            RoleClass::Physician => "physician",
            RoleClass::AdvancedPractice => "advanced_practice",
            RoleClass::Resident => "resident",
            RoleClass::Nurse => "nurse",
            RoleClass::ClinicalSupport => "clinical_support",
            RoleClass::Pharmacy => "pharmacy",
            RoleClass::Laboratory => "laboratory",
            RoleClass::Radiology => "radiology",
            RoleClass::Registration => "registration",
            RoleClass::HimCoding => "him_coding",
            RoleClass::Billing => "billing",
            RoleClass::CaseManagement => "case_management",
            RoleClass::Research => "research",
            RoleClass::It => "it",
            RoleClass::Other => "other",
        }
    }

    /// Plain words for evidence sentences ("pharmacy staff").
    pub fn staff(self) -> &'static str {
        match self {
            RoleClass::Physician => "physicians",
            RoleClass::AdvancedPractice => "advanced practice clinicians",
            RoleClass::Resident => "residents",
            RoleClass::Nurse => "nurses",
            RoleClass::ClinicalSupport => "clinical support staff",
            RoleClass::Pharmacy => "pharmacy staff",
            RoleClass::Laboratory => "laboratory staff",
            RoleClass::Radiology => "radiology staff",
            RoleClass::Registration => "registration staff",
            RoleClass::HimCoding => "HIM and coding staff",
            RoleClass::Billing => "billing staff",
            RoleClass::CaseManagement => "case managers",
            RoleClass::Research => "research coordinators",
            RoleClass::It => "IT staff",
            RoleClass::Other => "staff in this role",
        }
    }

    /// The class named `name` (its [`RoleClass::as_str`], case-insensitive).
    pub fn parse(name: &str) -> Option<RoleClass> {
        let n = name.trim();
        RoleClass::ALL.into_iter().find(|c| c.as_str().eq_ignore_ascii_case(n))
    }

    /// Index in [`RoleClass::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for RoleClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a user's class was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RoleSource {
    /// The hospital's `[roles]` patterns matched the title.
    Config,
    /// A built-in title rule matched.
    Title,
    /// The title said nothing; the user's work, set against encounters,
    /// did (see `roles::behaviour`).
    Behaviour,
}

impl RoleSource {
    /// The name in summary.json.
    pub fn as_str(self) -> &'static str {
        match self {
            RoleSource::Config => "config",
            RoleSource::Title => "title_rule",
            RoleSource::Behaviour => "behaviour",
        }
    }
}

/// A user's class and how it was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assigned {
    /// The class.
    pub class: RoleClass,
    /// How.
    pub source: RoleSource,
}
