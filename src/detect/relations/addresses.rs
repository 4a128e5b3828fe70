//! Street address normalisation for household and neighbour matching.
//!
//! The roster, registration and the contact screen each write addresses
//! their own way ("123 OAK AVENUE #3D", "123 oak ave., unit 3d", "123 Oak
//! Av. Apt. 3-D"). Case, accents and punctuation are folded, street words
//! and directions abbreviated the USPS way (Avenue/Av/Ave, Parkway/Pkwy,
//! Heights/Hts, ...), ordinal words written as numbers ("First" -> "1st"),
//! and the unit (apartment, suite, room, floor, building) split off after
//! any of its markers ("#", "apt", "unit", "ste", "rm", "fl", "bldg", ...).
//!
//! Invariant: nothing that tells two dwellings apart is dropped. The house
//! number and every street word stay ("12 Oak St" is neither "12 Oak Ave"
//! nor "120 Oak St"), and the unit is kept apart from the street, so other
//! units at one street address are the same building, not the same home.
//! The one thing folded away is a floor next to an apartment ("Apt 3D,
//! 3rd Floor" is "Apt 3D"): the apartment already names the home.

use super::names::fold_char;

/// A normalised address: the street part, and the unit (apartment) if any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Address {
    /// Number and street, normalised ("12 oak st").
    pub street: String,
    /// Apartment or unit, normalised ("4b"), empty when none. Several
    /// designators (building, then apartment) are separated by a space.
    pub unit: String,
}

/// The USPS abbreviation of a street word, direction or ordinal word; the
/// word itself when it has none.
fn street_word(w: &str) -> &str {
    match w {
        "street" | "str" | "strt" => "st",
        "avenue" | "av" | "aven" | "avenu" | "avn" | "avnue" => "ave",
        "road" => "rd",
        "drive" | "driv" | "drv" => "dr",
        "lane" => "ln",
        "boulevard" | "boul" | "boulv" => "blvd",
        "court" | "crt" => "ct",
        "place" => "pl",
        "plaza" | "plza" => "plz",
        "terrace" | "terr" => "ter",
        "circle" | "circ" | "circl" | "crcl" => "cir",
        "highway" | "highwy" | "hiway" | "hiwy" | "hway" => "hwy",
        "parkway" | "parkwy" | "pkway" | "pky" | "parkways" | "pkwys" => "pkwy",
        "square" | "sqr" | "squ" => "sq",
        "trail" | "trails" | "trls" => "trl",
        "wy" => "way",
        "point" => "pt",
        "crossing" | "crssng" => "xing",
        "heights" | "height" | "hgts" | "ht" => "hts",
        "mount" => "mt",
        "mountain" | "mntain" | "mntn" => "mtn",
        "fort" | "frt" => "ft",
        "saint" => "st",
        "expressway" | "expw" | "expr" | "express" => "expy",
        "freeway" | "frwy" | "frway" => "fwy",
        "turnpike" | "trnpk" | "turnpk" => "tpke",
        "center" | "centre" | "cntr" | "cnter" | "centr" => "ctr",
        "crescent" | "crsnt" => "cres",
        "grove" => "grv",
        "ridge" => "rdg",
        "route" => "rte",
        "alley" | "ally" | "allee" => "aly",
        "junction" | "jction" | "jctn" => "jct",
        "station" | "statn" | "stn" => "sta",
        "creek" => "crk",
        "cove" => "cv",
        "valley" => "vly",
        "view" => "vw",
        "village" => "vlg",
        "lake" => "lk",
        "landing" => "lndg",
        "meadows" => "mdws",
        "manor" => "mnr",
        "harbor" | "harbour" => "hbr",
        "hill" => "hl",
        "hills" => "hls",
        "north" => "n",
        "south" => "s",
        "east" => "e",
        "west" => "w",
        "northeast" => "ne",
        "northwest" => "nw",
        "southeast" => "se",
        "southwest" => "sw",
        "first" => "1st",
        "second" => "2nd",
        "third" => "3rd",
        "fourth" => "4th",
        "fifth" => "5th",
        "sixth" => "6th",
        "seventh" => "7th",
        "eighth" => "8th",
        "ninth" => "9th",
        "tenth" => "10th",
        "eleventh" => "11th",
        "twelfth" => "12th",
        "thirteenth" => "13th",
        "fourteenth" => "14th",
        "fifteenth" => "15th",
        "sixteenth" => "16th",
        "seventeenth" => "17th",
        "eighteenth" => "18th",
        "nineteenth" => "19th",
        "twentieth" => "20th",
        w => w,
    }
}

/// Whether a word, abbreviated, is a street type ("st", "ave", ...).
fn is_street_type(w: &str) -> bool {
    const TYPES: &[&str] = &[
        "st", "ave", "rd", "dr", "ln", "blvd", "ct", "pl", "plz", "ter", "cir", "hwy", "pkwy", "sq", "trl", "way",
        "pt", "xing", "hts", "expy", "fwy", "tpke", "ctr", "cres", "grv", "rdg", "rte", "aly", "loop", "walk", "row",
        "path", "pike", "run",
    ];
    TYPES.contains(&street_word(w))
}

/// What a unit designator names. Ordered as they are written out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UnitKind {
    Building,
    Apartment,
    Floor,
}

/// The unit designator a word is, if any ("#" stands for a number sign).
fn unit_marker(w: &str) -> Option<UnitKind> {
    match w {
        "bldg" | "bld" | "building" => Some(UnitKind::Building),
        "#" | "apt" | "apartment" | "unit" | "suite" | "ste" | "rm" | "room" | "no" => Some(UnitKind::Apartment),
        "fl" | "flr" | "floor" => Some(UnitKind::Floor),
        _ => None,
    }
}

/// A designator glued to its value ("apt3d", "ste200"): the designator and
/// the value. Only when the value starts with a digit, so street words that
/// begin like a designator ("flint", "roomy") stay words.
fn glued_marker(w: &str) -> Option<(UnitKind, &str)> {
    ["apt", "unit", "suite", "ste", "rm", "room", "bldg", "fl", "flr"].iter().find_map(|m| {
        let rest = w.strip_prefix(m)?;
        if !rest.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        unit_marker(m).map(|kind| (kind, rest))
    })
}

/// "3rd" -> "3"; other words unchanged.
fn ordinal_number(w: &str) -> &str {
    for suffix in ["st", "nd", "rd", "th"] {
        if let Some(n) = w.strip_suffix(suffix) {
            if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) {
                return n;
            }
        }
    }
    w
}

/// Normalises an address: case, accents and punctuation folded, street
/// words abbreviated, ordinal words numbered, and the unit split off.
pub fn normalise_address(raw: &str) -> Address {
    // '#' marks a unit; digits matter here, so names' digit stripping is not used.
    let mut text = String::with_capacity(raw.len() + 4);
    for c in raw.chars() {
        match c {
            '#' => text.push_str(" # "),
            '\'' | '’' | '`' => {}
            c if c.is_ascii_digit() => text.push(c),
            c if c.is_alphabetic() => fold_char(c, &mut text),
            _ => text.push(' '),
        }
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    // "3rd Floor": the number comes before its designator.
    let floor_before = |i: usize| {
        let number = words.get(i).map(|w| ordinal_number(w)).filter(|n| n.bytes().all(|b| b.is_ascii_digit()));
        number.filter(|_| words.get(i + 1).and_then(|w| unit_marker(w)) == Some(UnitKind::Floor))
    };
    let mut street: Vec<&str> = Vec::with_capacity(words.len());
    let mut units: Vec<(UnitKind, String)> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        // Past the house number and a street name only: "100 Floor St" is a street.
        if let Some(n) = floor_before(i).filter(|_| street.len() >= 2) {
            units.push((UnitKind::Floor, n.to_string()));
            i += 2;
            continue;
        }
        // A designator word followed by a street type names the street ("100 Floor St").
        let marker = unit_marker(words[i]).filter(|_| !words.get(i + 1).is_some_and(|w| is_street_type(w)));
        let (kind, mut value) = match (marker, glued_marker(words[i])) {
            (Some(kind), _) => (kind, String::new()),
            (None, Some((kind, rest))) => (kind, rest.to_string()),
            (None, None) => {
                street.push(street_word(words[i]));
                i += 1;
                continue;
            }
        };
        i += 1;
        // The value runs to the next designator; "3-D" and "3 D" are "3d".
        while i < words.len()
            && unit_marker(words[i]).is_none()
            && glued_marker(words[i]).is_none()
            && floor_before(i).is_none()
        {
            value.push_str(words[i]);
            i += 1;
        }
        if kind == UnitKind::Floor {
            value = ordinal_number(&value).to_string();
        }
        if !value.is_empty() {
            units.push((kind, value));
        }
    }
    let of = |k: UnitKind| units.iter().filter(move |(kind, _)| *kind == k).map(|(_, v)| v.as_str());
    let mut unit: Vec<&str> = of(UnitKind::Building).chain(of(UnitKind::Apartment)).collect();
    if unit.is_empty() {
        unit = of(UnitKind::Floor).collect();
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

    /// The same street by name, any house number: both addresses begin
    /// with a house number and the rest is the same ("12 Oak St" and
    /// "48 Oak Street").
    pub fn same_street_name(&self, other: &Address) -> bool {
        match (self.street_name(), other.street_name()) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        }
    }

    /// The same block of the same street: the same street by name and the
    /// same hundred-block of house numbers ("212 Oak St" and "248 Oak
    /// Street", not "312 Oak St"), as US addresses number a block.
    pub fn same_block(&self, other: &Address) -> bool {
        match (self.house_number(), other.house_number()) {
            (Some(a), Some(b)) => a / 100 == b / 100 && self.same_street_name(other),
            _ => false,
        }
    }

    /// The street without its leading house number; `None` when the
    /// address does not begin with one.
    fn street_name(&self) -> Option<&str> {
        let (number, rest) = self.street.split_once(' ')?;
        let numbered = number.bytes().next().is_some_and(|b| b.is_ascii_digit());
        (numbered && !rest.is_empty()).then_some(rest)
    }

    /// The leading house number's digits ("12" of "12a oak st").
    fn house_number(&self) -> Option<u64> {
        let digits: String = self.street.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
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
    fn the_same_block_is_the_same_hundred_on_the_same_street() {
        let a = normalise_address("212 Oak Street Apt 4B");
        assert!(a.same_block(&normalise_address("248 OAK ST")));
        assert!(!a.same_block(&normalise_address("312 Oak St")));
        assert!(!a.same_block(&normalise_address("248 Oak Ave")));
        assert!(!a.same_block(&normalise_address("Oak Street")));
    }

    #[test]
    fn the_same_street_by_name_is_any_house_number_on_it() {
        let a = normalise_address("12 Oak Street Apt 4B");
        assert!(a.same_street_name(&normalise_address("48 OAK ST")));
        assert!(!a.same_street_name(&normalise_address("48 Oak Ave")));
        assert!(!a.same_street_name(&normalise_address("Oak Street")));
        assert!(!normalise_address("").same_street_name(&normalise_address("")));
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

    /// (a, b, same home, same street address)
    const PAIRS: &[(&str, &str, bool, bool)] = &[
        // One home written five ways.
        ("123 OAK AVENUE #3D", "123 Oak Ave Apt 3D", true, true),
        ("123 Oak Ave Apt 3D", "123 oak ave., unit 3d", true, true),
        ("123 oak ave., unit 3d", "123 Oak Av. Apt. 3-D", true, true),
        ("123 Oak Av. Apt. 3-D", "123 OAK AVE APT#3D", true, true),
        ("123 OAK AVENUE #3D", "123 OAK AVE APT#3D", true, true),
        ("33 Ocean Dr APT3D", "33 Ocean Drive Apt 3 D", true, true),
        // Street words, directions, ordinals.
        ("40 Lake Shore Parkway", "40 LAKE SHORE PKWY", true, true),
        ("8 Union Square Suite 200", "8 Union Sq Ste 200", true, true),
        ("77 Pine Trail Room 4", "77 Pine Trl Rm 4", true, true),
        ("5 Harbor Point", "5 Harbour Pt.", true, true),
        ("19 Mill Crossing", "19 Mill Xing", true, true),
        ("210 Mount Vernon Heights", "210 Mt. Vernon Hts", true, true),
        ("9 Elm Way", "9 ELM WY", true, true),
        ("1 First Street", "1 1ST ST", true, true),
        ("300 West Third Avenue", "300 W. 3rd Ave", true, true),
        ("1500 Northeast Expressway", "1500 NE Expy", true, true),
        ("700 Saint Charles Ave", "700 St. Charles Avenue", true, true),
        ("12 O'Neil Boulevard", "12 ONEIL BLVD", true, true),
        ("5 Café Lane", "5 CAFE LN", true, true),
        // Unit designators.
        ("18 Crescent Ct Unit B-12", "18 crescent court unit b12", true, true),
        ("45 Main St Bldg 2 Apt 5", "45 Main Street Building 2 #5", true, true),
        ("45 Main St Apt 5, 3rd Floor", "45 Main St #5", true, true),
        ("60 River Rd 2nd Floor", "60 River Road Fl 2", true, true),
        ("45 Main St Apt 5 3rd Fl", "45 Main St Unit 5", true, true),
        ("100 Floor St", "100 FLOOR STREET", true, true),
        // Other streets, other numbers: never merged.
        ("12 Oak St", "12 Oak Ave", false, false),
        ("12 Oak St", "120 Oak St", false, false),
        ("12 Oak St", "21 Oak St", false, false),
        ("12 N Oak St", "12 S Oak St", false, false),
        ("1 First St", "1 Second St", false, false),
        ("12 Oak Ct", "12 Oak Cir", false, false),
        ("12 Flint St", "12 St", false, false),
        ("", "", false, false),
        // Other units at one street address: the building, not the home.
        ("12 Oak St", "12 Oak St Apt 4", false, true),
        ("123 Oak Ave Apt 3D", "123 Oak Ave Apt 3E", false, true),
        ("123 Oak Ave Apt 3D", "123 Oak Ave Apt 30", false, true),
        ("45 Main St Bldg 2 Apt 5", "45 Main St Bldg 3 Apt 5", false, true),
        ("60 River Rd 2nd Floor", "60 River Rd 3rd Floor", false, true),
        ("9 Elm Way", "9 Elm Wy Apt 1", false, true),
    ];

    #[test]
    fn address_pairs_match_as_homes_and_buildings() {
        assert!(PAIRS.len() >= 25);
        for &(a, b, home, building) in PAIRS {
            let (x, y) = (normalise_address(a), normalise_address(b));
            assert_eq!(x.same_home(&y), home, "same home: {a:?} / {b:?} -> {x:?} / {y:?}");
            assert_eq!(y.same_home(&x), home, "symmetric: {a:?} / {b:?}");
            assert_eq!(x.same_street_address(&y), building, "same building: {a:?} / {b:?} -> {x:?} / {y:?}");
        }
    }

    #[test]
    fn the_normal_form_keeps_number_street_and_unit_apart() {
        for raw in ["123 OAK AVENUE #3D", "123 Oak Av. Apt. 3-D", "123 OAK AVE APT#3D", "123 oak ave., unit 3d"] {
            let a = normalise_address(raw);
            assert_eq!((a.street.as_str(), a.unit.as_str()), ("123 oak ave", "3d"), "{raw}");
        }
        let a = normalise_address("45 Main St Building 2, Suite 5");
        assert_eq!((a.street.as_str(), a.unit.as_str()), ("45 main st", "2 5"));
        let a = normalise_address("60 River Rd 2nd Floor");
        assert_eq!((a.street.as_str(), a.unit.as_str()), ("60 river rd", "2"));
        let a = normalise_address("100 Floor St");
        assert_eq!((a.street.as_str(), a.unit.as_str()), ("100 floor st", ""), "a street named Floor");
        let a = normalise_address("7 Flint Roomy Rd");
        assert_eq!((a.street.as_str(), a.unit.as_str()), ("7 flint roomy rd", ""), "words that begin like a unit stay");
    }
}
