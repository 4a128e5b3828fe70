//! Dictionary encoding of identifiers.
//!
//! Inside the pipeline every id (user, patient, department, workstation, IP)
//! is a dense `u32` code; strings appear only at the edges. Codes are handed
//! out in order of first appearance while reading files in a fixed order, so
//! they are deterministic for a given bundle, but outputs never order by code:
//! they order by the strings.

use std::collections::HashMap;

/// A dictionary code.
pub type Code = u32;

/// The code meaning "absent" (no patient, no workstation, ...).
pub const NONE: Code = u32::MAX;

/// One id space: string <-> dense code.
#[derive(Debug, Default, Clone)]
pub struct Dictionary {
    index: HashMap<Box<str>, Code>,
    values: Vec<Box<str>>,
}

impl Dictionary {
    /// The code of `value`, assigning the next one if it is new.
    pub fn intern(&mut self, value: &str) -> Code {
        if let Some(&c) = self.index.get(value) {
            return c;
        }
        let c = self.values.len() as Code;
        let boxed: Box<str> = value.into();
        self.values.push(boxed.clone());
        self.index.insert(boxed, c);
        c
    }

    /// The code of `value` if it is known.
    pub fn get(&self, value: &str) -> Option<Code> {
        self.index.get(value).copied()
    }

    /// The string of a code; empty for [`NONE`].
    pub fn name(&self, code: Code) -> &str {
        if code == NONE {
            return "";
        }
        self.values.get(code as usize).map(|s| &**s).unwrap_or("")
    }

    /// Number of distinct values.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether no value has been interned.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// All id spaces of a bundle. Users are shared by access_log, users and
/// encounters.provider_user_id; patients by access_log, patients, encounters,
/// patient_contacts and users.patient_id; departments by all three.
#[derive(Debug, Default, Clone)]
pub struct Dictionaries {
    /// User accounts.
    pub users: Dictionary,
    /// Patient records.
    pub patients: Dictionary,
    /// Departments (home, access context and encounter).
    pub departments: Dictionary,
    /// Workstations and devices.
    pub workstations: Dictionary,
    /// Source IP addresses.
    pub ips: Dictionary,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_dense_and_stable() {
        let mut d = Dictionary::default();
        assert_eq!(d.intern("u9"), 0);
        assert_eq!(d.intern("u1"), 1);
        assert_eq!(d.intern("u9"), 0);
        assert_eq!(d.name(1), "u1");
        assert_eq!(d.name(NONE), "");
        assert_eq!(d.get("nope"), None);
        assert_eq!(d.len(), 2);
    }
}
