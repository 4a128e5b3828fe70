//! Patients: households sharing an address and (mostly) a surname, ages,
//! deaths, VIP and restricted flags, sensitive chart content, and the
//! patient_contacts that link household members and relatives elsewhere.

use chrono::{Duration, NaiveDate};
use rand::seq::SliceRandom;
use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::event::Category;
use super::names;
use super::world::{Contact, Household, Patient, Town, RELATIONSHIPS_OTHER};

#[derive(Debug, Clone)]
/// Patients, households (first `households.len()` entries are patients'
/// households) and contacts.
pub struct Population {
    /// Patients in creation order; ids are assigned from a shuffled range.
    pub patients: Vec<Patient>,
    /// Households.
    pub households: Vec<Household>,
    /// Contacts.
    pub contacts: Vec<Contact>,
}

fn birth_for_age(rng: &mut Xoshiro256PlusPlus, start: NaiveDate, lo: i64, hi: i64) -> NaiveDate {
    let age_days = rng.gen_range(lo * 365..=hi * 365 + 364);
    start - Duration::days(age_days)
}

/// Builds `n` patients living in `town`.
pub fn build(rng: &mut Xoshiro256PlusPlus, town: &mut Town, n: usize, start: NaiveDate) -> Population {
    let sw = names::surname_weight();
    let mut patients: Vec<Patient> = Vec::with_capacity(n);
    let mut households = Vec::new();
    let mut contacts = Vec::new();
    while patients.len() < n {
        let h = households.len() as u32;
        households.push(town.household(rng));
        let size = match rng.gen_range(0..100) {
            0..=27 => 1,
            28..=61 => 2,
            62..=77 => 3,
            78..=91 => 4,
            _ => 5,
        }
        .min(n - patients.len());
        let surname = names::surname(rng, sw);
        let elderly = size <= 2 && rng.gen_bool(0.35);
        let (lo, hi) = if elderly { (65, 95) } else { (24, 64) };
        let first_idx = patients.len() as u32;
        for m in 0..size {
            let sex = if m == 1 {
                if patients[first_idx as usize].sex == 'F' {
                    'M'
                } else {
                    'F'
                }
            } else if rng.gen_bool(0.5) {
                'F'
            } else {
                'M'
            };
            let (birth, last) = match m {
                0 => (birth_for_age(rng, start, lo, hi), surname.to_string()),
                1 => {
                    // Partner: usually the same surname, sometimes not.
                    let last =
                        if rng.gen_bool(0.8) { surname.to_string() } else { names::surname(rng, sw).to_string() };
                    (birth_for_age(rng, start, lo, hi), last)
                }
                _ => (birth_for_age(rng, start, 0, 22), surname.to_string()),
            };
            let acuity = {
                let age = (start - birth).num_days() as f32 / 365.0;
                let base: f32 = -rng.gen::<f32>().max(1e-6).ln();
                base * (0.6 + age / 60.0)
            };
            let mut sensitive = Category::Unspecified;
            let r: f64 = rng.gen();
            let adult = (start - birth).num_days() > 18 * 365;
            if adult {
                if r < 0.04 {
                    sensitive = Category::BehavioralHealth;
                } else if r < 0.055 {
                    sensitive = Category::SubstanceUse;
                } else if r < 0.06 {
                    sensitive = Category::Hiv;
                } else if r < 0.07 {
                    sensitive = Category::Genetic;
                } else if r < 0.11 && sex == 'F' && (start - birth).num_days() < 45 * 365 {
                    sensitive = Category::Reproductive;
                }
            }
            patients.push(Patient {
                id: String::new(),
                first: names::given(rng, sex).to_string(),
                last,
                sex,
                birth,
                household: h,
                deceased: None,
                vip: false,
                restricted: false,
                sensitive,
                acuity,
            });
        }
        // Contacts: partners list each other, children list a parent,
        // people living alone list someone elsewhere half the time.
        let last_idx = patients.len() as u32;
        for p in first_idx..last_idx {
            let k = p - first_idx;
            let (cp, rel) = match k {
                0 if last_idx - first_idx > 1 => (Some(first_idx + 1), "spouse"),
                1 => (Some(first_idx), "spouse"),
                0 => (None, ""),
                _ => (Some(first_idx), "parent"),
            };
            let addr = households[h as usize].address.clone();
            if let Some(c) = cp {
                let cpat = &patients[c as usize];
                contacts.push(Contact {
                    patient: p,
                    first: cpat.first.clone(),
                    last: cpat.last.clone(),
                    relationship: rel,
                    address: addr,
                });
            } else if rng.gen_bool(0.5) {
                let sex = if rng.gen_bool(0.5) { 'F' } else { 'M' };
                let family = rng.gen_bool(0.6);
                let other = town.household(rng);
                contacts.push(Contact {
                    patient: p,
                    first: names::given(rng, sex).to_string(),
                    last: if family { patients[p as usize].last.clone() } else { names::surname(rng, sw).to_string() },
                    relationship: if family {
                        ["sibling", "child"][rng.gen_range(0..2)]
                    } else {
                        RELATIONSHIPS_OTHER[rng.gen_range(0..2)]
                    },
                    address: other.address,
                });
            }
        }
    }

    // Deaths before the window (over the previous two years).
    let n_dead = ((n as f64) * 0.015).ceil() as usize;
    for _ in 0..n_dead {
        let p = rng.gen_range(0..patients.len());
        if patients[p].birth < start - Duration::days(50 * 365) {
            patients[p].deceased = Some(start - Duration::days(rng.gen_range(20..730)));
        }
    }
    // VIPs: public figures, a few per thousand.
    let n_vip = ((n as f64) * 0.002).ceil().max(3.0) as usize;
    for _ in 0..n_vip {
        let p = rng.gen_range(0..patients.len());
        if patients[p].deceased.is_none() {
            patients[p].vip = true;
            patients[p].acuity *= 1.5;
        }
    }
    // Confidential charts: most behavioural-health patients, some others.
    for p in patients.iter_mut() {
        if p.sensitive == Category::BehavioralHealth && rng.gen_bool(0.25) {
            p.restricted = true;
        } else if rng.gen_bool(0.002) {
            p.restricted = true;
        }
    }

    // Ids from a shuffled range, so that id order says nothing about
    // households or creation order.
    let mut perm: Vec<u32> = (0..patients.len() as u32).collect();
    perm.shuffle(rng);
    for (p, &k) in patients.iter_mut().zip(&perm) {
        p.id = format!("P{:07}", 1_000_000 + 7 * k as u64 + 3);
    }
    Population { patients, households, contacts }
}
