//! Patient contacts: next of kin, guarantors, emergency contacts.

use super::dictionary::Code;

/// One contact of a patient.
#[derive(Debug, Clone)]
pub struct Contact {
    /// Patient code.
    pub patient: Code,
    /// Given name.
    pub first_name: Option<String>,
    /// Family name.
    pub last_name: Option<String>,
    /// Relationship to the patient.
    pub relationship: Option<String>,
    /// Street address.
    pub address: Option<String>,
}

/// All contacts, in input order.
#[derive(Debug, Clone, Default)]
pub struct Contacts {
    /// The rows.
    pub rows: Vec<Contact>,
}
