//! The `--export hr` spelling of the small tables: the same world written
//! the way a hospital's separate systems write it.
//!
//! - users.csv comes from HR: job titles instead of role words
//!   ([`super::hr_titles`]), cost-centre codes instead of EHR department ids
//!   for a seed-chosen share of departments, names and addresses in upper
//!   case with street types spelled out and units as `#12`.
//! - patients.csv keeps the registration desk's spelling (unchanged).
//! - patient_contacts.csv is typed in by registrars: some contacts go by a
//!   nickname ("Bill" for William), some married women by their maiden
//!   name, and addresses are abbreviated, cased and unit-marked differently
//!   from both other tables.
//!
//! Invariant: only spelling changes. Households, relationships and every id
//! are the world's; each choice is a function of the seed and the row's
//! index, so the export draws from none of the world's RNG streams.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::care::mix;
use super::hr_titles::TitleBook;
use super::names;
use super::world::{Department, World};

/// Nicknames registrars type for a given name.
const NICKNAMES: &[(&str, &[&str])] = &[
    ("William", &["Bill", "Will", "Billy"]),
    ("Elizabeth", &["Liz", "Beth", "Betsy"]),
    ("Robert", &["Bob", "Rob", "Bobby"]),
    ("Margaret", &["Peggy", "Maggie", "Meg"]),
    ("James", &["Jim", "Jimmy"]),
    ("Katherine", &["Kate", "Kathy"]),
    ("Catherine", &["Cathy", "Kate"]),
    ("Kathleen", &["Kathy", "Kate"]),
    ("Richard", &["Rick", "Dick", "Rich"]),
    ("Michael", &["Mike"]),
    ("Thomas", &["Tom", "Tommy"]),
    ("Joseph", &["Joe"]),
    ("Patricia", &["Pat", "Patty", "Trish"]),
    ("Jennifer", &["Jen", "Jenny"]),
    ("Christopher", &["Chris"]),
    ("Daniel", &["Dan", "Danny"]),
    ("Matthew", &["Matt"]),
    ("Anthony", &["Tony"]),
    ("Steven", &["Steve"]),
    ("Stephen", &["Steve"]),
    ("Andrew", &["Andy", "Drew"]),
    ("Kenneth", &["Ken", "Kenny"]),
    ("Edward", &["Ed", "Eddie", "Ted"]),
    ("Jeffrey", &["Jeff"]),
    ("Nicholas", &["Nick"]),
    ("Jonathan", &["Jon"]),
    ("Samuel", &["Sam"]),
    ("Gregory", &["Greg"]),
    ("Alexander", &["Alex"]),
    ("Susan", &["Sue", "Susie"]),
    ("Deborah", &["Deb", "Debbie"]),
    ("Debra", &["Deb", "Debbie"]),
    ("Rebecca", &["Becky", "Becca"]),
    ("Christine", &["Chris", "Chrissy"]),
    ("Christina", &["Tina", "Chris"]),
    ("Pamela", &["Pam"]),
    ("Samantha", &["Sam"]),
    ("Victoria", &["Vicky", "Tori"]),
    ("Judith", &["Judy"]),
    ("Jacqueline", &["Jackie"]),
    ("Kimberly", &["Kim"]),
    ("Stephanie", &["Steph"]),
    ("Barbara", &["Barb", "Barbie"]),
    ("Dorothy", &["Dot", "Dottie"]),
    ("Theresa", &["Terri", "Tess"]),
    ("Teresa", &["Terri"]),
    ("Donald", &["Don"]),
    ("Timothy", &["Tim"]),
    ("Ronald", &["Ron", "Ronnie"]),
    ("Lawrence", &["Larry"]),
    ("Benjamin", &["Ben"]),
    ("Joshua", &["Josh"]),
    ("Nathan", &["Nate"]),
    ("Zachary", &["Zach"]),
    ("Gerald", &["Jerry"]),
    ("Patrick", &["Pat"]),
    ("Raymond", &["Ray"]),
    ("Frances", &["Fran"]),
    ("Abigail", &["Abby"]),
    ("Virginia", &["Ginny"]),
    ("Charles", &["Chuck", "Charlie"]),
    ("David", &["Dave"]),
    ("Philip", &["Phil"]),
    ("Eugene", &["Gene"]),
    ("Bradley", &["Brad"]),
    ("Douglas", &["Doug"]),
    ("Peter", &["Pete"]),
    ("Walter", &["Walt"]),
    ("Harold", &["Hal"]),
    ("Albert", &["Al"]),
    ("Vincent", &["Vince"]),
    ("Cynthia", &["Cindy"]),
    ("Sandra", &["Sandy"]),
    ("Jessica", &["Jess"]),
    ("Amanda", &["Mandy"]),
];

/// The nicknames of a given name, if it has any.
pub fn nicknames(first: &str) -> &'static [&'static str] {
    NICKNAMES.iter().find(|(n, _)| *n == first).map(|(_, k)| *k).unwrap_or(&[])
}

/// Street types and their spelled-out form.
const STREET_TYPES: &[(&str, &str)] = &[
    ("St", "Street"),
    ("Ave", "Avenue"),
    ("Rd", "Road"),
    ("Dr", "Drive"),
    ("Ln", "Lane"),
    ("Ct", "Court"),
    ("Blvd", "Boulevard"),
    ("Pl", "Place"),
    ("Pkwy", "Parkway"),
    ("Cir", "Circle"),
    ("Ter", "Terrace"),
    ("Hwy", "Highway"),
];

/// One word of an address.
enum Word<'a> {
    /// A street type, as (abbreviation, spelled out).
    Type(&'static str, &'static str),
    /// A unit: the marker ("Apt", "Unit", "#") was dropped, this is the number.
    Unit(&'a str),
    /// Anything else (house number, street name, city).
    Plain(&'a str),
}

fn words(address: &str) -> Vec<Word<'_>> {
    let toks: Vec<&str> = address.split_whitespace().collect();
    let mut out = Vec::with_capacity(toks.len());
    let mut i = 0;
    while i < toks.len() {
        let t = toks[i].trim_end_matches([',', '.']);
        let marker = ["apt", "unit", "suite", "ste", "#"].iter().any(|m| t.eq_ignore_ascii_case(m));
        if marker && i + 1 < toks.len() {
            out.push(Word::Unit(toks[i + 1].trim_end_matches(',')));
            i += 2;
            continue;
        }
        if let Some(n) = t.strip_prefix('#').filter(|n| !n.is_empty()) {
            out.push(Word::Unit(n));
        } else if let Some(&(a, f)) =
            STREET_TYPES.iter().find(|(a, f)| t.eq_ignore_ascii_case(a) || t.eq_ignore_ascii_case(f))
        {
            out.push(Word::Type(a, f));
        } else {
            out.push(Word::Plain(toks[i].trim_end_matches(',')));
        }
        i += 1;
    }
    out
}

/// An address the HR way: upper case, street types spelled out, units as
/// `#12` ("123 Oak Ave Apt 12" -> "123 OAK AVENUE #12").
pub fn hr_address(address: &str) -> String {
    let parts: Vec<String> = words(address)
        .into_iter()
        .map(|w| match w {
            Word::Type(_, full) => full.to_uppercase(),
            Word::Unit(n) => format!("#{}", n.to_uppercase()),
            Word::Plain(s) => s.to_uppercase(),
        })
        .collect();
    parts.join(" ")
}

/// An address as typed into patient_contacts.csv, in one of four styles:
/// `0` "123 Oak Ave., Apt. 12", `1` "123 oak ave apt 12", `2` "123 Oak
/// Avenue Unit 12", `3` "123 OAK AVE #12".
pub fn contact_address(address: &str, style: u8) -> String {
    let style = style % 4;
    let mut parts: Vec<String> = Vec::new();
    for w in words(address) {
        let s = match (w, style) {
            (Word::Type(a, _), 0) => format!("{a}."),
            (Word::Type(a, _), 1) => a.to_lowercase(),
            (Word::Type(_, f), 2) => f.to_string(),
            (Word::Type(a, _), _) => a.to_uppercase(),
            (Word::Unit(n), 0) => {
                if let Some(last) = parts.last_mut() {
                    last.push(',');
                }
                format!("Apt. {n}")
            }
            (Word::Unit(n), 1) => format!("apt {}", n.to_lowercase()),
            (Word::Unit(n), 2) => format!("Unit {n}"),
            (Word::Unit(n), _) => format!("#{}", n.to_uppercase()),
            (Word::Plain(p), 1) => p.to_lowercase(),
            (Word::Plain(p), 3) => p.to_uppercase(),
            (Word::Plain(p), _) => p.to_string(),
        };
        parts.push(s);
    }
    parts.join(" ")
}

/// The name HR gives a department's cost centre, in the `NNNN-NAME` style.
fn cost_centre_name(dept_id: &str) -> &'static str {
    match dept_id {
        "MED" => "MEDSURG",
        "SURG" => "SURGICAL",
        "CARD" => "CARDIAC",
        "ONC" => "ONCOLOGY",
        "NEURO" => "NEUROSCI",
        "ORTHO" => "ORTHOPEDIC",
        "PEDS" => "PEDIATRIC",
        "OB" => "MATERNITY",
        "ICU" => "CRITCARE",
        "PSY" => "BEHAVHLTH",
        "ED" => "EMERGENCY",
        "PCC" => "PRIMARYCARE",
        "CARDC" => "HEARTCLINIC",
        "ONCC" => "CANCERCTR",
        "ORTHC" => "ORTHOCLINIC",
        "WHC" => "WOMENSHLTH",
        "BHC" => "BHCLINIC",
        "IDC" => "IDCLINIC",
        "PHARM" => "PHARMACY",
        "LAB" => "LABORATORY",
        "RAD" => "IMAGING",
        "REG" => "PTACCESS",
        "HIM" => "HIMCODING",
        "PFS" => "REVCYCLE",
        "CM" => "CASEMGMT",
        "IT" => "INFOSVCS",
        "RES" => "RESEARCH",
        "FLOAT" => "RESOURCEPOOL",
        _ => "GENERAL",
    }
}

/// Cost-centre codes: one scheme per seed (`CC7410`, `4410-MEDSURG` or
/// `617410`), a distinct number per department, and a seed-chosen share of
/// departments (sometimes all) written as codes; `None` keeps the EHR id.
pub fn cost_centres(rng: &mut Xoshiro256PlusPlus, depts: &[Department]) -> Vec<Option<String>> {
    let scheme = rng.gen_range(0..3);
    let share = if rng.gen_bool(0.3) { 1.0 } else { rng.gen_range(0.5..0.95) };
    let mut numbers: Vec<u32> = (1000..10_000).step_by(10).collect();
    numbers.shuffle(rng);
    let mut out: Vec<Option<String>> = depts
        .iter()
        .zip(&numbers)
        .map(|(d, &n)| {
            rng.gen_bool(share).then(|| match scheme {
                0 => format!("CC{n}"),
                1 => format!("{n}-{}", cost_centre_name(d.id)),
                _ => format!("61{n}"),
            })
        })
        .collect();
    if out.iter().all(|c| c.is_none()) {
        if let (Some(first), Some(&n)) = (out.first_mut(), numbers.first()) {
            *first = Some(format!("CC{n}"));
        }
    }
    out
}

/// The HR spelling of one world, computed once before writing.
#[derive(Debug, Clone)]
pub struct HrExport {
    seed: u64,
    /// Job title per user.
    pub titles: Vec<String>,
    /// users.csv department_id per user: a cost-centre code or the EHR id.
    pub departments: Vec<String>,
}

impl HrExport {
    /// The HR spelling of `world` for `seed`.
    pub fn new(world: &World, seed: u64) -> HrExport {
        let book = TitleBook::new(seed);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(mix(seed, 0xC057_CE47, 0));
        let centres = cost_centres(&mut rng, &world.depts);
        let titles = world
            .users
            .iter()
            .enumerate()
            .map(|(i, u)| book.title(i, u.role, world.depts[u.home as usize].id))
            .collect();
        let departments = world
            .users
            .iter()
            .map(|u| centres[u.home as usize].clone().unwrap_or_else(|| world.depts[u.home as usize].id.to_string()))
            .collect();
        HrExport { seed, titles, departments }
    }

    /// A name as HR writes it: upper case.
    pub fn name(&self, s: &str) -> String {
        s.to_uppercase()
    }

    /// First and last name of contact `i` as registration typed it: a
    /// nickname now and then; a married daughter under her maiden name (her
    /// parent's surname); a wife under a maiden name of her own.
    pub fn contact_name(&self, world: &World, i: usize) -> (String, String) {
        let c = &world.contacts[i];
        let h = mix(self.seed, 0xC047_AC75, i as u64);
        let mut first = c.first.clone();
        let mut last = c.last.clone();
        if names::FEMALE.contains(&c.first.as_str()) {
            let patient_last = &world.patients[c.patient as usize].last;
            if c.relationship == "child" && &c.last != patient_last && h % 100 < 40 {
                last = patient_last.clone();
            } else if c.relationship == "spouse" && &c.last == patient_last && (h >> 8) % 100 < 35 {
                let sw = names::surname_weight();
                let mut r = Xoshiro256PlusPlus::seed_from_u64(h);
                for _ in 0..10 {
                    let s = names::surname(&mut r, sw);
                    if s != c.last {
                        last = s.to_string();
                        break;
                    }
                }
            }
        }
        let nicks = nicknames(&c.first);
        if !nicks.is_empty() && (h >> 16) % 100 < 30 {
            first = nicks[((h >> 24) % nicks.len() as u64) as usize].to_string();
        }
        (first, last)
    }

    /// The address of contact `i` in a style of its own (see
    /// [`contact_address`]).
    pub fn contact_address(&self, world: &World, i: usize) -> String {
        let h = mix(self.seed, 0x0ADD_2E55, i as u64);
        contact_address(&world.contacts[i].address, (h % 4) as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hr_addresses_are_upper_case_spelled_out_with_hash_units() {
        assert_eq!(hr_address("123 Oak Ave Apt 12"), "123 OAK AVENUE #12");
        assert_eq!(hr_address("8 Maple St"), "8 MAPLE STREET");
        assert_eq!(hr_address("40 Lake Way"), "40 LAKE WAY");
        assert_eq!(hr_address("77 Elm Street Suite 3D"), "77 ELM STREET #3D");
    }

    #[test]
    fn contact_styles_differ_from_the_clinical_spelling() {
        let a = "123 Oak Ave Apt 12";
        assert_eq!(contact_address(a, 0), "123 Oak Ave., Apt. 12");
        assert_eq!(contact_address(a, 1), "123 oak ave apt 12");
        assert_eq!(contact_address(a, 2), "123 Oak Avenue Unit 12");
        assert_eq!(contact_address(a, 3), "123 OAK AVE #12");
        for s in 0..4 {
            assert_ne!(contact_address(a, s), a);
            // The same household whatever the style.
            assert_eq!(hr_address(&contact_address(a, s)), hr_address(a));
        }
    }

    #[test]
    fn cost_centres_never_equal_ehr_ids() {
        let depts = super::super::world::departments();
        for seed in 0..20 {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
            let cc = cost_centres(&mut rng, &depts);
            assert!(cc.iter().any(|c| c.is_some()));
            let codes: Vec<&String> = cc.iter().flatten().collect();
            for c in &codes {
                assert!(!depts.iter().any(|d| d.id == c.as_str()), "{c}");
            }
            let mut uniq = codes.clone();
            uniq.sort();
            uniq.dedup();
            assert_eq!(uniq.len(), codes.len(), "two departments share a code");
        }
        assert_eq!(nicknames("William")[0], "Bill");
        assert!(nicknames("Zelda").is_empty());
    }
}
