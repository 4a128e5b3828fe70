//! Findings and the facts they carry.
//!
//! A finding names a rule, a user, optionally a patient, the events that are
//! its evidence, and the facts that made the rule fire. Explanations shown to
//! privacy officers are rendered from these facts (see `score`), never
//! re-derived from scratch.

use chrono::NaiveDate;

use crate::model::Code;

/// The contract's alert kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AlertKind {
    /// Looking at a record without a work reason.
    Snooping,
    /// Taking data out in bulk.
    Exfiltration,
    /// Misuse of the account itself (use after termination, compromise).
    Account,
    /// Outlier against peers or the user's own baseline.
    Behaviour,
}

impl AlertKind {
    /// The contract's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::Snooping => "snooping",
            AlertKind::Exfiltration => "exfiltration",
            AlertKind::Account => "account",
            AlertKind::Behaviour => "behaviour",
        }
    }
}

/// A fact established by a rule, rendered as one evidence sentence.
#[derive(Debug, Clone, PartialEq)]
pub enum Fact {
    /// The HR roster links the user to this patient record.
    OwnRecord,
    /// The patient is flagged VIP.
    VipPatient,
    /// The patient died on `died`, `days_after` days before the first flagged access.
    DeceasedPatient {
        /// Date of death.
        died: NaiveDate,
        /// Days from death to the first flagged access.
        days_after: i64,
    },
}

impl Fact {
    /// The evidence sentence, in plain language, without names or ids.
    pub fn sentence(&self) -> String {
        match self {
            Fact::OwnRecord => "opened their own record (the HR roster lists this patient record as the user's)".into(),
            Fact::VipPatient => "the patient is flagged VIP".into(),
            Fact::DeceasedPatient { died, days_after } => {
                format!("the patient died on {died}, {days_after} days before the access")
            }
        }
    }
}

/// One rule's finding.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// Id of the rule that fired.
    pub rule: &'static str,
    /// Alert kind.
    pub kind: AlertKind,
    /// The user.
    pub user: Code,
    /// The patient, or [`crate::model::NONE`] for user-level findings.
    pub patient: Code,
    /// Indices into `Ingested::events` of the evidence, ascending.
    pub events: Vec<usize>,
    /// Why the rule fired.
    pub facts: Vec<Fact>,
}
