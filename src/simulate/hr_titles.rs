//! Job titles as an HR system writes them, for the `--export hr` users.csv.
//!
//! Real rosters do not say `nurse` or `him_coder`: they hold whatever titles
//! the hospital's HR department uses ("Clinical Nurse III", "Coder III",
//! "PFS Rep"), a few that say nothing about the work ("Team Member",
//! "Temp Staff"), and inconsistent spellings ("R.N.", "Rn ii"). Each seed
//! picks its own 2 to 4 titles per role from a larger pool, its own share of
//! meaningless titles and its own spelling noise, so two simulated
//! hospitals never share one title list and a rule cannot learn one.
//!
//! Invariant: a title is a function of `(seed, user index, role, home
//! department)`; nothing here draws from the world's RNG streams.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::care::mix;
use super::world::Role;

/// Titles that say nothing about the work.
pub const VAGUE_TITLES: &[&str] = &["Associate", "Specialist II", "Team Member", "Temp Staff", "Analyst"];

/// The pool of titles a hospital may use for a role. `{spec}` is replaced
/// by the home department's specialty (see [`specialty`]).
pub fn pool(role: Role) -> &'static [&'static str] {
    match role {
        Role::Nurse => &[
            "Registered Nurse II",
            "RN",
            "RN II",
            "Clinical Nurse III",
            "Float Pool RN",
            "Staff Nurse",
            "RN - {spec}",
            "Charge Nurse",
            "LPN",
            "Registered Nurse",
        ],
        Role::Physician => &["Hospitalist", "Attending Physician", "MD", "Staff Physician", "Physician - {spec}", "DO"],
        Role::Resident => &["Resident PGY-2", "PGY1 Resident", "House Officer", "Resident Physician", "PGY-3"],
        Role::Pharmacist => {
            &["Clinical Pharmacist", "Pharmacist II", "PharmD", "Staff Pharmacist", "Pharmacy Specialist"]
        }
        Role::LabTech => &["Medical Technologist", "Lab Assistant II", "MLS", "Clinical Lab Scientist", "Phlebotomist"],
        Role::RadiologyTech => &["CT Technologist", "Radiologic Technologist", "MRI Tech", "Rad Tech II"],
        Role::Registration => {
            &["Patient Access Representative", "Registration Clerk", "Patient Access Specialist", "Admitting Rep"]
        }
        Role::MedicalAssistant => &["Medical Assistant", "CMA", "Clinical Assistant"],
        Role::CaseManager => &["Case Manager RN", "Social Worker", "LCSW", "Care Coordinator"],
        Role::HimCoder => {
            &["Coder III", "HIM Specialist", "Coding Specialist", "CDI Specialist", "Health Information Technician"]
        }
        Role::Billing => {
            &["Revenue Cycle Analyst", "Billing Representative", "PFS Rep", "Patient Financial Services Rep"]
        }
        Role::It => &["EHR Application Analyst", "Systems Analyst II", "IT Support Specialist", "Epic Analyst"],
        Role::Research => &["Clinical Research Coordinator", "Research Nurse", "CRC II"],
    }
}

/// The specialty an HR title names for a home department (`RN - Med/Surg`,
/// `Physician - Cardiology`).
pub fn specialty(dept_id: &str, role: Role) -> &'static str {
    let nurse = role == Role::Nurse;
    match dept_id {
        "MED" | "SURG" if nurse => "Med/Surg",
        "MED" => "Internal Medicine",
        "SURG" => "General Surgery",
        "CARD" if nurse => "Telemetry",
        "CARD" | "CARDC" => "Cardiology",
        "ONC" | "ONCC" => "Oncology",
        "NEURO" => "Neurology",
        "ORTHO" | "ORTHC" => "Orthopedics",
        "PEDS" => "Pediatrics",
        "OB" if nurse => "Labor & Delivery",
        "OB" | "WHC" => "OB/GYN",
        "ICU" if nurse => "ICU",
        "ICU" => "Critical Care",
        "PSY" | "BHC" => "Behavioral Health",
        "ED" => "Emergency",
        "PCC" => "Primary Care",
        "IDC" => "Infectious Disease",
        "FLOAT" => "Float Pool",
        _ => "General",
    }
}

/// One hospital's title list: per role the titles in use (most common
/// first), the share of vague titles, and how often spelling varies.
#[derive(Debug, Clone)]
pub struct TitleBook {
    seed: u64,
    by_role: Vec<Vec<&'static str>>,
    vague_share: f64,
    noise_share: f64,
}

impl TitleBook {
    /// The title list of the hospital simulated with `seed`.
    pub fn new(seed: u64) -> TitleBook {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(mix(seed, 0x7171_E500, 0));
        let by_role = Role::ALL
            .iter()
            .map(|&r| {
                let pool = pool(r);
                let k = rng.gen_range(2..=4).min(pool.len());
                pool.choose_multiple(&mut rng, k).copied().collect()
            })
            .collect();
        TitleBook { seed, by_role, vague_share: rng.gen_range(0.03..0.08), noise_share: rng.gen_range(0.06..0.18) }
    }

    /// The titles this hospital uses for `role`, most common first (before
    /// spelling noise and `{spec}`).
    pub fn titles(&self, role: Role) -> &[&'static str] {
        &self.by_role[role.index()]
    }

    /// The title of user `user` (index in the roster) with `role`, whose
    /// home department is `dept_id`.
    pub fn title(&self, user: usize, role: Role, dept_id: &str) -> String {
        let h = mix(self.seed, 0x7171_E501, user as u64);
        let unit = |bits: u64| (bits % 1_000_000) as f64 / 1_000_000.0;
        let base: String = if unit(h) < self.vague_share {
            VAGUE_TITLES[((h >> 20) % VAGUE_TITLES.len() as u64) as usize].to_string()
        } else {
            let list = self.titles(role);
            // Weights 1, 1/2, 1/3, ...: one title dominates, as in real rosters.
            let total: f64 = (1..=list.len()).map(|i| 1.0 / i as f64).sum();
            let mut x = unit(h >> 20) * total;
            let mut pick = list.len() - 1;
            for i in 0..list.len() {
                let w = 1.0 / (i + 1) as f64;
                if x < w {
                    pick = i;
                    break;
                }
                x -= w;
            }
            list[pick].replace("{spec}", specialty(dept_id, role))
        };
        if unit(h >> 40) < self.noise_share {
            respell(&base, (h >> 60) as u8)
        } else {
            base
        }
    }
}

/// A spelling variant of a title: dotted abbreviations ("R.N."), only the
/// first letter upper case ("Rn ii"), all upper case, or a doubled space.
pub fn respell(title: &str, variant: u8) -> String {
    match variant % 4 {
        0 => {
            let dotted: Vec<String> = title
                .split(' ')
                .map(|w| {
                    if (2..=3).contains(&w.len()) && w.chars().all(|c| c.is_ascii_uppercase()) && w != "II" {
                        w.chars().map(|c| format!("{c}.")).collect()
                    } else {
                        w.to_string()
                    }
                })
                .collect();
            let s = dotted.join(" ");
            if s == title {
                title.to_uppercase()
            } else {
                s
            }
        }
        1 => {
            let lower = title.to_lowercase();
            let mut c = lower.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect(),
                None => lower,
            }
        }
        2 => title.to_uppercase(),
        _ => match title.find(' ') {
            Some(i) => format!("{}  {}", &title[..i], &title[i + 1..]),
            None => title.to_lowercase(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_seed_uses_its_own_subset_of_the_pool() {
        let (a, b) = (TitleBook::new(1), TitleBook::new(2));
        let mut differ = false;
        for r in Role::ALL {
            let t = a.titles(r);
            assert!((2..=4).contains(&t.len()), "{r:?}: {t:?}");
            assert!(t.iter().all(|x| pool(r).contains(x)));
            differ |= t != b.titles(r);
        }
        assert!(differ, "two seeds chose the same title lists");
    }

    #[test]
    fn titles_are_never_the_role_words_and_some_are_vague() {
        let book = TitleBook::new(7);
        let mut vague = 0;
        for u in 0..4000 {
            let r = Role::ALL[u % Role::ALL.len()];
            let t = book.title(u, r, "CARD");
            assert!(!Role::ALL.iter().any(|x| x.as_str() == t), "{t}");
            assert!(!t.contains("{spec}"));
            vague += usize::from(VAGUE_TITLES.iter().any(|v| v.eq_ignore_ascii_case(t.trim())));
        }
        assert!((60..400).contains(&vague), "{vague} vague titles of 4000");
        assert_eq!(book.title(17, Role::Nurse, "MED"), book.title(17, Role::Nurse, "MED"));
    }

    #[test]
    fn respelling_varies_case_and_punctuation() {
        assert_eq!(respell("RN", 0), "R.N.");
        assert_eq!(respell("RN II", 1), "Rn ii");
        assert_eq!(respell("Staff Nurse", 2), "STAFF NURSE");
        assert_eq!(respell("Staff Nurse", 3), "Staff  Nurse");
        assert_eq!(specialty("MED", Role::Nurse), "Med/Surg");
        assert_eq!(specialty("CARDC", Role::Physician), "Cardiology");
    }
}
