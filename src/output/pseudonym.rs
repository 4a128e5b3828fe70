//! Pseudonymous exports (`detect --pseudonymize-key FILE`): user and patient
//! ids in alerts.*, cases.csv, user_features.parquet and report.html are
//! replaced by keyed HMAC-SHA256 tokens, stable for a key: `U-` or `P-` and
//! the first 16 hex digits (64 bits) of `HMAC(key, "user" 0x1f id)` or
//! `HMAC(key, "patient" 0x1f id)`.
//!
//! Alert and case ids are replaced too (`A-`, `C-` tokens of the real ids):
//! the real ones are unkeyed hashes of the user id, patient id and date, so
//! someone holding the hospital's staff list could otherwise recover whom
//! a case is about by hashing candidates. Verdicts written against the
//! tokens still apply: the feedback step maps tokens back (see
//! [`Pseudonymizer::aliases`]).
//!
//! rejected_rows.csv keeps its table, file, line, column and reason, but its
//! `raw` column (the input row as read, ids and names included) is withheld,
//! and so is any input value its reason quotes: a row that could not be
//! parsed cannot be pseudonymized reliably. summary.json's counts of
//! unknown actions and categories are keyed by `V-` tokens of the values.

use std::collections::HashMap;

use super::hmac::HmacSha256;
use super::schema::{AlertRow, CaseRow};
use crate::model::Dictionaries;

/// The shortest key accepted, in bytes.
pub const MIN_KEY_BYTES: usize = 16;

/// Replaces ids by keyed tokens.
#[derive(Debug, Clone)]
pub struct Pseudonymizer {
    mac: HmacSha256,
}

impl Pseudonymizer {
    /// A pseudonymizer for the key file's bytes. One trailing newline (LF or
    /// CRLF) is not part of the key, so `echo secret > key` works. `None`
    /// when fewer than [`MIN_KEY_BYTES`] remain.
    pub fn from_key_file_bytes(bytes: &[u8]) -> Option<Pseudonymizer> {
        let key = bytes.strip_suffix(b"\n").map(|k| k.strip_suffix(b"\r").unwrap_or(k)).unwrap_or(bytes);
        (key.len() >= MIN_KEY_BYTES).then(|| Pseudonymizer { mac: HmacSha256::new(key) })
    }

    fn token(&self, prefix: &str, domain: &str, id: &str) -> String {
        if id.is_empty() {
            return String::new();
        }
        let mut msg = Vec::with_capacity(domain.len() + 1 + id.len());
        msg.extend_from_slice(domain.as_bytes());
        msg.push(0x1f);
        msg.extend_from_slice(id.as_bytes());
        let mac = self.mac.mac(&msg);
        let hex: String = mac[..8].iter().map(|b| format!("{b:02x}")).collect();
        format!("{prefix}{hex}")
    }

    /// Token of a user id (empty stays empty).
    pub fn user(&self, id: &str) -> String {
        self.token("U-", "user", id)
    }

    /// Token of a patient id (empty stays empty).
    pub fn patient(&self, id: &str) -> String {
        self.token("P-", "patient", id)
    }

    /// Token of any other input value (an unknown action or category in
    /// summary.json).
    pub fn value(&self, text: &str) -> String {
        self.token("V-", "value", text)
    }

    /// Token of an alert id.
    pub fn alert(&self, id: &str) -> String {
        self.token("A-", "alert", id)
    }

    /// Token of a case id.
    pub fn case(&self, id: &str) -> String {
        self.token("C-", "case", id)
    }

    /// Rewrites alert rows in place.
    pub fn alerts(&self, rows: &mut [AlertRow]) {
        for r in rows {
            r.alert_id = self.alert(&r.alert_id);
            r.user_id = self.user(&r.user_id);
            r.patient_id = self.patient(&r.patient_id);
            r.case_id = self.case(&r.case_id);
        }
    }

    /// Rewrites case rows in place.
    pub fn cases(&self, rows: &mut [CaseRow]) {
        for r in rows {
            r.case_id = self.case(&r.case_id);
            r.user_id = self.user(&r.user_id);
            r.alert_ids = r.alert_ids.split(';').map(|a| self.alert(a)).collect::<Vec<_>>().join(";");
        }
    }

    /// Token -> real id for the given alert ids and every user of the
    /// bundle, so reviewed.csv rows written against a pseudonymized export
    /// find their alerts and users.
    pub fn aliases<'a>(
        &self,
        alert_ids: impl Iterator<Item = &'a str>,
        dict: &Dictionaries,
    ) -> HashMap<String, String> {
        let mut m: HashMap<String, String> = alert_ids.map(|a| (self.alert(a), a.to_string())).collect();
        for code in 0..dict.users.len() as u32 {
            let name = dict.users.name(code);
            m.insert(self.user(name), name.to_string());
        }
        m
    }
}

/// How ids appear in the exported files: as they are, or as tokens.
#[derive(Debug, Clone, Copy)]
pub struct Ids<'a>(pub Option<&'a Pseudonymizer>);

impl Ids<'_> {
    /// A user id as exported.
    pub fn user(&self, id: &str) -> String {
        self.0.map_or_else(|| id.to_string(), |p| p.user(id))
    }
    /// A patient id as exported.
    pub fn patient(&self, id: &str) -> String {
        self.0.map_or_else(|| id.to_string(), |p| p.patient(id))
    }
    /// An alert id as exported.
    pub fn alert(&self, id: &str) -> String {
        self.0.map_or_else(|| id.to_string(), |p| p.alert(id))
    }
    /// A case id as exported.
    pub fn case(&self, id: &str) -> String {
        self.0.map_or_else(|| id.to_string(), |p| p.case(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_stable_per_key_and_differ_across_keys_and_kinds() {
        let a = Pseudonymizer::from_key_file_bytes(b"0123456789abcdef\n").unwrap();
        let a2 = Pseudonymizer::from_key_file_bytes(b"0123456789abcdef").unwrap();
        let b = Pseudonymizer::from_key_file_bytes(b"0123456789abcdeX").unwrap();
        assert_eq!(a.user("n1"), a2.user("n1"), "a trailing newline is not part of the key");
        assert_ne!(a.user("n1"), b.user("n1"));
        assert_ne!(a.user("n1")[2..], a.patient("n1")[2..], "users and patients are separate domains");
        assert!(a.user("n1").starts_with("U-") && a.user("n1").len() == 18);
        assert_eq!(a.patient(""), "");
        assert!(Pseudonymizer::from_key_file_bytes(b"short\n").is_none());
    }
}
