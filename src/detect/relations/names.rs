//! Name normalisation for family and contact matching.
//!
//! Case, accents and punctuation are folded; Synthea's numeric suffixes
//! ("Jacinto644") are stripped; hyphenated and compound surnames are split
//! into their parts, and nobiliary particles ("de", "van", "la", ...) are
//! dropped, so "García-López" matches "Lopez" and "de la Cruz" matches
//! "Cruz".

/// Folds one character to ASCII lowercase where a Latin accent is all that
/// differs; returns the folded text (some letters become two, like ß).
pub(super) fn fold_char(c: char, out: &mut String) {
    let s = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' | 'Ā' | 'Ă' | 'Ą' => {
            "a"
        }
        'ç' | 'ć' | 'č' | 'Ç' | 'Ć' | 'Č' => "c",
        'ď' | 'đ' | 'Ď' | 'Đ' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' | 'ě' | 'È' | 'É' | 'Ê' | 'Ë' | 'Ē' | 'Ę' | 'Ě' => "e",
        'ğ' | 'Ğ' => "g",
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'ı' | 'Ì' | 'Í' | 'Î' | 'Ï' | 'Ī' | 'İ' => "i",
        'ł' | 'ľ' | 'Ł' | 'Ľ' => "l",
        'ñ' | 'ń' | 'ň' | 'Ñ' | 'Ń' | 'Ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' | 'Ō' | 'Ő' => {
            "o"
        }
        'ř' | 'Ř' => "r",
        'ś' | 'š' | 'ş' | 'Ś' | 'Š' | 'Ş' => "s",
        'ť' | 'ţ' | 'Ť' | 'Ţ' => "t",
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' | 'Ù' | 'Ú' | 'Û' | 'Ü' | 'Ū' | 'Ů' | 'Ű' => "u",
        'ý' | 'ÿ' | 'Ý' | 'Ÿ' => "y",
        'ź' | 'ż' | 'ž' | 'Ź' | 'Ż' | 'Ž' => "z",
        'ß' => "ss",
        'æ' | 'Æ' => "ae",
        'œ' | 'Œ' => "oe",
        'þ' | 'Þ' => "th",
        _ => {
            if c.is_ascii_alphabetic() {
                out.push(c.to_ascii_lowercase());
            } else if c.is_alphabetic() {
                out.extend(c.to_lowercase());
            } else {
                out.push(' ');
            }
            return;
        }
    };
    out.push_str(s);
}

/// Normalises a name: lowercase, accents folded, digits (Synthea suffixes)
/// and punctuation removed, apostrophes joined ("O'Brien" -> "obrien"),
/// whitespace collapsed.
pub fn normalise_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            '\'' | '’' | '`' | '.' => {}
            c if c.is_ascii_digit() => {}
            c => fold_char(c, &mut out),
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

const PARTICLES: [&str; 14] =
    ["de", "del", "della", "la", "las", "los", "le", "van", "von", "der", "den", "da", "dos", "du"];

/// The significant parts of a surname: split on spaces and hyphens,
/// particles and one-letter parts dropped, sorted and deduplicated.
pub fn surname_tokens(name: &str) -> Vec<String> {
    let n = normalise_name(&name.replace('-', " "));
    let mut t: Vec<String> =
        n.split(' ').filter(|p| p.len() > 1 && !PARTICLES.contains(p)).map(str::to_string).collect();
    t.sort();
    t.dedup();
    t
}

/// A normalised surname, ready for comparison.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Surname {
    tokens: Vec<String>,
    /// One bit per token (picked by a hash of it): two surnames whose bits
    /// do not meet share no token, which most pairs of a user and a patient
    /// show without reading a token (the rules ask for millions of pairs).
    bits: u64,
}

/// The bit of a surname token in [`Surname::bits`] (FNV-1a's top six bits).
fn token_bit(token: &str) -> u64 {
    let h = token.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    1 << (h >> 58)
}

impl Surname {
    /// Normalises a surname.
    pub fn new(name: &str) -> Self {
        let tokens = surname_tokens(name);
        let bits = tokens.iter().fold(0, |bits, t| bits | token_bit(t));
        Self { tokens, bits }
    }

    /// Whether the two surnames share a significant part.
    pub fn matches(&self, other: &Surname) -> bool {
        self.bits & other.bits != 0 && self.tokens.iter().any(|t| other.tokens.binary_search(t).is_ok())
    }

    /// Whether nothing significant is left.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_accents_punctuation_and_synthea_suffixes() {
        assert_eq!(normalise_name("  José  "), "jose");
        assert_eq!(normalise_name("Jacinto644"), "jacinto");
        assert_eq!(normalise_name("O'Brien"), "obrien");
        assert_eq!(normalise_name("MÜLLER"), "muller");
        assert_eq!(normalise_name("Straße"), "strasse");
    }

    #[test]
    fn compound_and_hyphenated_surnames_match_their_parts() {
        let a = Surname::new("García-López");
        assert!(a.matches(&Surname::new("lopez")));
        assert!(a.matches(&Surname::new("Garcia")));
        assert!(Surname::new("de la Cruz").matches(&Surname::new("Cruz")));
        assert!(Surname::new("Van der Berg").matches(&Surname::new("Berg")));
        assert!(!Surname::new("de la Cruz").matches(&Surname::new("de la Torre")), "particles do not match");
        assert!(!Surname::new("Smith").matches(&Surname::new("Smithson")));
        assert!(Surname::new("Hernández123").matches(&Surname::new("HERNANDEZ")));
    }

    #[test]
    fn the_token_bits_never_change_whether_two_surnames_match() {
        // Every pair of names of one to three parts from 80 words (more
        // words than bits: some words share a bit) matches exactly when
        // they share a part.
        let words: Vec<String> =
            (0..80u8).map(|i| format!("{}{}son", char::from(b'a' + i % 26), char::from(b'a' + i / 26))).collect();
        let names: Vec<String> = (0..400)
            .map(|i: usize| {
                let parts = 1 + i % 3;
                (0..parts).map(|k| words[(i * 31 + k * 17) % words.len()].as_str()).collect::<Vec<_>>().join("-")
            })
            .collect();
        let surnames: Vec<Surname> = names.iter().map(|n| Surname::new(n)).collect();
        let (mut shared, mut apart) = (0, 0);
        for a in &surnames {
            for b in &surnames {
                let want = a.tokens.iter().any(|t| b.tokens.contains(t));
                assert_eq!(a.matches(b), want, "{:?} {:?}", a.tokens, b.tokens);
                if want {
                    shared += 1;
                } else if a.bits & b.bits != 0 {
                    apart += 1;
                }
            }
        }
        assert!(shared > 400 && apart > 0, "both cases seen: {shared} shared, {apart} apart with common bits");
    }
}
