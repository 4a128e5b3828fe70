//! Dictionary encoding of identifiers.
//!
//! Inside the pipeline every id (user, patient, department, workstation, IP)
//! is a dense `u32` code; strings appear only at the edges. Codes are handed
//! out in order of first appearance while reading files in a fixed order, so
//! they are deterministic for a given bundle, but outputs never order by code:
//! they order by the strings.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// FxHash (rustc's hasher) with a final avalanche: ids are short strings
/// hashed millions of times,
/// where SipHash's protection against chosen-key flooding costs a tenth of
/// ingest and buys nothing (the keys are the hospital's own ids, and lookups
/// never drive output order).
#[derive(Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 8];
            buf[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(buf));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_u128(&mut self, i: u128) {
        self.add(i as u64);
        self.add((i >> 64) as u64);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // The multiply leaves the low bits (which pick the bucket) depending
        // only on the first bytes, and ids share prefixes ("P10...", "WS-"):
        // a final avalanche (MurmurHash3's fmix64) spreads every byte.
        let mut h = self.hash;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

/// A `HashMap` with [`FxHasher`].
pub type FxHashMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;
/// A `HashSet` with [`FxHasher`].
pub type FxHashSet<K> = std::collections::HashSet<K, BuildHasherDefault<FxHasher>>;

/// A dictionary code.
pub type Code = u32;

/// The code meaning "absent" (no patient, no workstation, ...).
pub const NONE: Code = u32::MAX;

/// One id space: string <-> dense code.
///
/// Most ids (user and patient ids, MRNs, workstation names, IPv4
/// addresses) are at most 15 bytes: those are looked up by their bytes
/// packed into one `u128` (length in the top byte), which hashes in two
/// multiplies and compares in one instruction, instead of hashing and
/// comparing a string. Longer ids go through a string map.
///
/// The values are kept end to end in one string, each ending where `ends`
/// says: a run of millions of users or addresses holds one allocation
/// rather than one per value (an 8-byte id took 48 bytes as a boxed
/// string, with the allocator's share; 16 this way).
#[derive(Debug, Default, Clone)]
pub struct Dictionary {
    short: FxHashMap<u128, Code>,
    long: FxHashMap<Box<str>, Code>,
    text: String,
    ends: Vec<u64>,
}

/// The bytes of a string of at most 15 bytes, zero-padded, with the length
/// in the last byte: equal keys mean equal strings.
#[inline]
fn short_key(value: &str) -> Option<u128> {
    let b = value.as_bytes();
    if b.len() > 15 {
        return None;
    }
    let mut buf = [0u8; 16];
    buf[..b.len()].copy_from_slice(b);
    buf[15] = b.len() as u8;
    Some(u128::from_le_bytes(buf))
}

impl Dictionary {
    /// The code of `value`, assigning the next one if it is new.
    pub fn intern(&mut self, value: &str) -> Code {
        let next = self.ends.len() as Code;
        let (c, new) = match short_key(value) {
            Some(key) => match self.short.entry(key) {
                std::collections::hash_map::Entry::Occupied(e) => (*e.get(), false),
                std::collections::hash_map::Entry::Vacant(e) => (*e.insert(next), true),
            },
            None => {
                if let Some(&c) = self.long.get(value) {
                    return c;
                }
                self.long.insert(value.into(), next);
                (next, true)
            }
        };
        if new {
            self.text.push_str(value);
            self.ends.push(self.text.len() as u64);
        }
        c
    }

    /// The code of `value` if it is known.
    pub fn get(&self, value: &str) -> Option<Code> {
        match short_key(value) {
            Some(key) => self.short.get(&key).copied(),
            None => self.long.get(value).copied(),
        }
    }

    /// The string of a code; empty for [`NONE`].
    pub fn name(&self, code: Code) -> &str {
        if code == NONE {
            return "";
        }
        let i = code as usize;
        let Some(&end) = self.ends.get(i) else { return "" };
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.text.get(start as usize..end as usize).unwrap_or("")
    }

    /// Number of distinct values.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether no value has been interned.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
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

    #[test]
    fn short_and_long_ids_and_look_alike_bytes_stay_apart() {
        let mut d = Dictionary::default();
        let long = "PATIENT-0000000000001";
        let values = ["", "a", "a\0", "255.255.255.255", "0123456789abcdef", long, "A"];
        let codes: Vec<Code> = values.iter().map(|v| d.intern(v)).collect();
        assert_eq!(codes, (0..values.len() as Code).collect::<Vec<_>>());
        for (v, c) in values.iter().zip(&codes) {
            assert_eq!(d.intern(v), *c);
            assert_eq!(d.get(v), Some(*c));
            assert_eq!(d.name(*c), *v);
        }
        assert_eq!(d.get("PATIENT-0000000000002"), None);
        assert_eq!(d.get("b"), None);
    }
}
