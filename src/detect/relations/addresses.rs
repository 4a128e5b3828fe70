//! Street address normalisation for household and neighbour matching.

use super::names::normalise_name;

/// A normalised address: the street part, and the unit (apartment) if any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Address {
    /// Number and street, normalised ("12 oak st").
    pub street: String,
    /// Apartment or unit, normalised ("4b"), empty when none.
    pub unit: String,
}

const SUFFIXES: [(&str, &str); 16] = [
    ("street", "st"),
    ("avenue", "ave"),
    ("av", "ave"),
    ("road", "rd"),
    ("drive", "dr"),
    ("lane", "ln"),
    ("boulevard", "blvd"),
    ("court", "ct"),
    ("place", "pl"),
    ("terrace", "ter"),
    ("circle", "cir"),
    ("highway", "hwy"),
    ("north", "n"),
    ("south", "s"),
    ("east", "e"),
    ("west", "w"),
];

const UNIT_WORDS: [&str; 6] = ["apt", "apartment", "unit", "suite", "ste", "no"];

/// Normalises an address: case, accents and punctuation folded, common
/// street words abbreviated, and the unit split off.
pub fn normalise_address(raw: &str) -> Address {
    // '#' marks a unit; digits matter here, so names' digit stripping is not used.
    let mut text = String::with_capacity(raw.len());
    for c in raw.chars() {
        if c == '#' {
            text.push_str(" apt ");
        } else if c.is_ascii_digit() {
            text.push(c);
        } else if c.is_alphabetic() {
            text.push_str(&normalise_name(&c.to_string()));
        } else {
            text.push(' ');
        }
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut street = Vec::new();
    let mut unit = Vec::new();
    let mut in_unit = false;
    for w in words {
        if UNIT_WORDS.contains(&w) {
            in_unit = true;
            continue;
        }
        if in_unit {
            unit.push(w.to_string());
        } else {
            let w = SUFFIXES.iter().find(|(long, _)| *long == w).map(|(_, s)| *s).unwrap_or(w);
            street.push(w.to_string());
        }
    }
    Address { street: street.join(" "), unit: unit.join(" ") }
}

impl Address {
    /// Same dwelling: same street address and same unit.
    pub fn same_home(&self, other: &Address) -> bool {
        !self.street.is_empty() && self.street == other.street && self.unit == other.unit
    }

    /// Same building or house number on the same street (units may differ).
    pub fn same_street_address(&self, other: &Address) -> bool {
        !self.street.is_empty() && self.street == other.street
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spelling_variants_of_one_address_are_equal() {
        let a = normalise_address("12 Oak Street, Apt. 4B");
        let b = normalise_address("12 OAK ST #4b");
        assert_eq!(a, b);
        assert_eq!(a.street, "12 oak st");
        assert_eq!(a.unit, "4b");
        assert!(a.same_home(&b));
    }

    #[test]
    fn another_unit_is_the_same_building_not_the_same_home() {
        let a = normalise_address("12 Oak Street Apt 4B");
        let b = normalise_address("12 Oak Street Apt 7");
        assert!(!a.same_home(&b));
        assert!(a.same_street_address(&b));
        assert!(!normalise_address("14 Oak Street").same_street_address(&a));
        assert!(!normalise_address("").same_home(&normalise_address("")));
    }
}
