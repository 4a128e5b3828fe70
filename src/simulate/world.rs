//! The simulated hospital's world: departments, roles, workforce, patients,
//! households, addresses, contacts and workstations.
//!
//! Built once from the world seed, before any day is simulated; read-only
//! afterwards except for the small, deterministic edits incidents and
//! look-alikes make while being planned. Every collection is a `Vec` in
//! creation order, so nothing depends on hash iteration order.

use chrono::{Datelike, NaiveDate};
use rand::seq::SliceRandom;
use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::event::Category;
use super::names;

/// What a department does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeptKind {
    /// Inpatient nursing unit with beds.
    Inpatient,
    /// Emergency department.
    Emergency,
    /// Outpatient clinic.
    Clinic,
    /// Pharmacy.
    Pharmacy,
    /// Laboratory.
    Lab,
    /// Radiology.
    Radiology,
    /// Patient access (registration, admitting).
    Registration,
    /// Health information management (coding, release of information).
    Him,
    /// Patient financial services (billing).
    Billing,
    /// Case management and social work.
    CaseManagement,
    /// Information technology.
    It,
    /// Clinical research office.
    Research,
    /// Nursing float pool.
    FloatPool,
}

/// A department of the simulated hospital.
#[derive(Debug, Clone)]
pub struct Department {
    /// Id written to the bundle.
    pub id: &'static str,
    /// Kind.
    pub kind: DeptKind,
    /// Relative size (beds for units, visit volume for clinics).
    pub weight: f64,
    /// Mean length of stay in days (inpatient units).
    pub los_days: f64,
    /// Patients per nurse per shift (inpatient units).
    pub ratio: f64,
    /// Sensitive data category typical of the department, if any.
    pub sensitive: Category,
}

const fn dept(
    id: &'static str,
    kind: DeptKind,
    weight: f64,
    los_days: f64,
    ratio: f64,
    sensitive: Category,
) -> Department {
    Department { id, kind, weight, los_days, ratio, sensitive }
}

/// The fixed department list. Order matters only for determinism.
pub fn departments() -> Vec<Department> {
    use Category as C;
    use DeptKind as K;
    vec![
        dept("MED", K::Inpatient, 3.0, 4.5, 5.0, C::Unspecified),
        dept("SURG", K::Inpatient, 2.0, 4.0, 5.0, C::Unspecified),
        dept("CARD", K::Inpatient, 1.4, 4.0, 4.5, C::Unspecified),
        dept("ONC", K::Inpatient, 1.0, 6.0, 4.5, C::Genetic),
        dept("NEURO", K::Inpatient, 0.8, 5.0, 4.5, C::Unspecified),
        dept("ORTHO", K::Inpatient, 1.0, 3.0, 5.0, C::Unspecified),
        dept("PEDS", K::Inpatient, 0.8, 3.0, 4.0, C::Unspecified),
        dept("OB", K::Inpatient, 0.9, 2.5, 4.0, C::Reproductive),
        dept("ICU", K::Inpatient, 1.2, 4.0, 2.0, C::Unspecified),
        dept("PSY", K::Inpatient, 0.7, 9.0, 6.0, C::BehavioralHealth),
        dept("ED", K::Emergency, 1.0, 0.0, 0.0, C::Unspecified),
        dept("PCC", K::Clinic, 2.5, 0.0, 0.0, C::Unspecified),
        dept("CARDC", K::Clinic, 1.0, 0.0, 0.0, C::Unspecified),
        dept("ONCC", K::Clinic, 0.8, 0.0, 0.0, C::Genetic),
        dept("ORTHC", K::Clinic, 0.8, 0.0, 0.0, C::Unspecified),
        dept("WHC", K::Clinic, 0.9, 0.0, 0.0, C::Reproductive),
        dept("BHC", K::Clinic, 0.7, 0.0, 0.0, C::BehavioralHealth),
        dept("IDC", K::Clinic, 0.4, 0.0, 0.0, C::Hiv),
        dept("PHARM", K::Pharmacy, 1.0, 0.0, 0.0, C::Unspecified),
        dept("LAB", K::Lab, 1.0, 0.0, 0.0, C::Unspecified),
        dept("RAD", K::Radiology, 1.0, 0.0, 0.0, C::Unspecified),
        dept("REG", K::Registration, 1.0, 0.0, 0.0, C::Unspecified),
        dept("HIM", K::Him, 1.0, 0.0, 0.0, C::Unspecified),
        dept("PFS", K::Billing, 1.0, 0.0, 0.0, C::Unspecified),
        dept("CM", K::CaseManagement, 1.0, 0.0, 0.0, C::Unspecified),
        dept("IT", K::It, 1.0, 0.0, 0.0, C::Unspecified),
        dept("RES", K::Research, 1.0, 0.0, 0.0, C::Unspecified),
        dept("FLOAT", K::FloatPool, 1.0, 0.0, 0.0, C::Unspecified),
    ]
}

/// Job role, as written to users.csv.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Attending physician.
    Physician,
    /// Resident physician (rotates between units).
    Resident,
    /// Registered nurse (unit, ED, clinic or float pool).
    Nurse,
    /// Pharmacist.
    Pharmacist,
    /// Laboratory technologist.
    LabTech,
    /// Radiology technologist.
    RadiologyTech,
    /// Registration / patient access.
    Registration,
    /// Clinic medical assistant.
    MedicalAssistant,
    /// Case manager or social worker.
    CaseManager,
    /// HIM coder.
    HimCoder,
    /// Billing clerk.
    Billing,
    /// IT analyst.
    It,
    /// Research coordinator.
    Research,
}

impl Role {
    /// Every role, in report order.
    pub const ALL: [Role; 13] = [
        Role::Physician,
        Role::Resident,
        Role::Nurse,
        Role::Pharmacist,
        Role::LabTech,
        Role::RadiologyTech,
        Role::Registration,
        Role::MedicalAssistant,
        Role::CaseManager,
        Role::HimCoder,
        Role::Billing,
        Role::It,
        Role::Research,
    ];

    /// Spelling in users.csv.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Physician => "physician",
            Role::Resident => "resident",
            Role::Nurse => "nurse",
            Role::Pharmacist => "pharmacist",
            Role::LabTech => "lab_tech",
            Role::RadiologyTech => "radiology_tech",
            Role::Registration => "registration",
            Role::MedicalAssistant => "medical_assistant",
            Role::CaseManager => "case_manager",
            Role::HimCoder => "him_coder",
            Role::Billing => "billing",
            Role::It => "it",
            Role::Research => "research",
        }
    }

    /// Index into [`Role::ALL`].
    pub fn index(self) -> usize {
        Role::ALL.iter().position(|&r| r == self).unwrap_or(0)
    }
}

/// A household: one address shared by its members.
#[derive(Debug, Clone)]
pub struct Household {
    /// Street address.
    pub address: String,
    /// Zip code.
    pub zip: String,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
}

/// A member of the workforce with an EHR account.
#[derive(Debug, Clone)]
pub struct User {
    /// Account id.
    pub id: String,
    /// Given name.
    pub first: String,
    /// Family name.
    pub last: String,
    /// Role.
    pub role: Role,
    /// Home department index (HR's department).
    pub home: u16,
    /// Where the user works when not rotating: the registration desk's
    /// department, a clinical pharmacist's unit, otherwise `home`.
    pub base_unit: u16,
    /// Household index (address).
    pub household: u32,
    /// First day of employment.
    pub hire_date: NaiveDate,
    /// Last day of employment, if the user left.
    pub termination_date: Option<NaiveDate>,
    /// The user's own patient record.
    pub patient: Option<u32>,
    /// Prefers night shifts.
    pub nights: bool,
    /// Works remotely over VPN (HIM, billing).
    pub remote: bool,
    /// The user's own workstation index (remote or office), if any.
    pub own_ws: Option<u32>,
}

/// A patient with a record in the EHR.
#[derive(Debug, Clone)]
pub struct Patient {
    /// Patient id (MRN).
    pub id: String,
    /// Given name.
    pub first: String,
    /// Family name.
    pub last: String,
    /// `F` or `M`.
    pub sex: char,
    /// Birth date.
    pub birth: NaiveDate,
    /// Household index.
    pub household: u32,
    /// Date of death.
    pub deceased: Option<NaiveDate>,
    /// Public figure flagged for close monitoring.
    pub vip: bool,
    /// Confidential chart.
    pub restricted: bool,
    /// Sensitive category present in the chart, if any.
    pub sensitive: Category,
    /// Relative weight of needing care (frequent patients are heavier).
    pub acuity: f32,
}

/// A next of kin or emergency contact of a patient.
#[derive(Debug, Clone)]
pub struct Contact {
    /// Patient index.
    pub patient: u32,
    /// Given name.
    pub first: String,
    /// Family name.
    pub last: String,
    /// Relationship to the patient.
    pub relationship: &'static str,
    /// Address.
    pub address: String,
}

/// A kin relation between an employee and a patient, known to the world
/// (not written anywhere; incidents use it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kin {
    /// User index.
    pub user: u32,
    /// Patient index.
    pub patient: u32,
    /// Lives in the same household.
    pub same_household: bool,
    /// The user is listed in patient_contacts for the patient.
    pub listed_contact: bool,
    /// Relative (true) or friend / partner (false).
    pub relative: bool,
}

/// The whole simulated world.
#[derive(Debug, Clone)]
pub struct World {
    /// First simulated day.
    pub start: NaiveDate,
    /// Number of simulated days.
    pub days: u32,
    /// Departments.
    pub depts: Vec<Department>,
    /// Workforce.
    pub users: Vec<User>,
    /// Patients.
    pub patients: Vec<Patient>,
    /// Households of patients and employees.
    pub households: Vec<Household>,
    /// patient_contacts rows.
    pub contacts: Vec<Contact>,
    /// Employee-patient kin and friendship relations.
    pub kin: Vec<Kin>,
    /// Workstation ids.
    pub ws_names: Vec<String>,
    /// Workstation IP addresses.
    pub ws_ips: Vec<String>,
    /// Workstation pool of each department (indices into `ws_names`).
    pub ws_pools: Vec<Vec<u32>>,
}

impl World {
    /// Index of a department id; panics only on a typo in this module.
    pub fn dept(&self, id: &str) -> u16 {
        self.depts.iter().position(|d| d.id == id).unwrap_or(0) as u16
    }

    /// Indices of departments of a kind.
    pub fn depts_of(&self, kind: DeptKind) -> Vec<u16> {
        (0..self.depts.len() as u16).filter(|&d| self.depts[d as usize].kind == kind).collect()
    }

    /// Users of a role.
    pub fn users_of(&self, role: Role) -> Vec<u32> {
        (0..self.users.len() as u32).filter(|&u| self.users[u as usize].role == role).collect()
    }

    /// Age of a patient in whole years on a date.
    pub fn age(&self, p: u32, on: NaiveDate) -> i32 {
        let b = self.patients[p as usize].birth;
        let mut a = on.year() - b.year();
        if (on.month(), on.day()) < (b.month(), b.day()) {
            a -= 1;
        }
        a
    }

    /// Adds a workstation and returns its index.
    pub fn add_ws(&mut self, name: String, ip: String) -> u32 {
        self.ws_names.push(name);
        self.ws_ips.push(ip);
        (self.ws_names.len() - 1) as u32
    }

    /// Great-circle distance in metres between two households.
    pub fn distance_m(&self, a: u32, b: u32) -> f64 {
        let (ha, hb) = (&self.households[a as usize], &self.households[b as usize]);
        let to_rad = std::f64::consts::PI / 180.0;
        let dlat = (hb.lat - ha.lat) * to_rad;
        let dlon = (hb.lon - ha.lon) * to_rad * (ha.lat * to_rad).cos();
        6_371_000.0 * (dlat * dlat + dlon * dlon).sqrt()
    }
}

/// The town: zip codes with centroids and streets with anchor points, so
/// that households on one street are close together.
pub struct Town {
    zips: Vec<(String, f64, f64)>,
    /// (zip index, street name, suffix, anchor lat, anchor lon, bearing)
    streets: Vec<(usize, &'static str, &'static str, f64, f64, f64)>,
    next_number: Vec<u32>,
}

impl Town {
    /// A town of `n_zips` zip codes around a hospital.
    pub fn new(rng: &mut Xoshiro256PlusPlus, n_zips: usize, center: (f64, f64)) -> Town {
        let (lat0, lon0) = center;
        let mut zips = Vec::new();
        for i in 0..n_zips {
            let r = 0.02 + 0.12 * rng.gen::<f64>().sqrt();
            let a = rng.gen::<f64>() * std::f64::consts::TAU;
            zips.push((format!("46{:03}", 201 + 2 * i), lat0 + r * a.sin(), lon0 + r * 1.3 * a.cos()));
        }
        let mut streets = Vec::new();
        for (zi, z) in zips.iter().enumerate() {
            let mut names: Vec<&'static str> = names::STREETS.to_vec();
            names.shuffle(rng);
            for name in names.iter().take(10) {
                let suffix = names::SUFFIXES[rng.gen_range(0..names::SUFFIXES.len())];
                let lat = z.1 + rng.gen_range(-0.012..0.012);
                let lon = z.2 + rng.gen_range(-0.015..0.015);
                streets.push((zi, *name, suffix, lat, lon, rng.gen::<f64>() * std::f64::consts::TAU));
            }
        }
        let next_number = vec![0; streets.len()];
        Town { zips, streets, next_number }
    }

    /// A new address: the next free house number on a random street.
    pub fn household(&mut self, rng: &mut Xoshiro256PlusPlus) -> Household {
        let s = rng.gen_range(0..self.streets.len());
        let (zi, name, suffix, lat, lon, bearing) = self.streets[s];
        self.next_number[s] += rng.gen_range(1..4);
        let k = self.next_number[s];
        let number = 100 + 2 * k;
        // Houses about 15 m apart along the street.
        let step = 15.0 * k as f64 / 111_000.0;
        let apt = if rng.gen_bool(0.12) { format!(" Apt {}", rng.gen_range(1..40)) } else { String::new() };
        Household {
            address: format!("{number} {name} {suffix}{apt}"),
            zip: self.zips[zi].0.clone(),
            lat: ((lat + step * bearing.sin()) * 1e6).round() / 1e6,
            lon: ((lon + step * 1.3 * bearing.cos()) * 1e6).round() / 1e6,
        }
    }
}

/// Random date uniformly in `[from, to]`.
pub fn date_between(rng: &mut Xoshiro256PlusPlus, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let span = (to - from).num_days().max(0);
    from + chrono::Duration::days(rng.gen_range(0..=span))
}

/// Relationship labels for non-family contacts.
pub const RELATIONSHIPS_OTHER: &[&str] = &["friend", "partner", "neighbor", "guardian"];

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn households_on_a_street_are_close() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let mut town = Town::new(&mut rng, 10, (39.7, -86.1));
        let hs: Vec<Household> = (0..500).map(|_| town.household(&mut rng)).collect();
        // Some pair of distinct addresses is within 100 m (neighbours exist).
        let mut close = 0;
        for i in 0..hs.len() {
            for j in i + 1..hs.len() {
                let d = ((hs[i].lat - hs[j].lat).powi(2) + (hs[i].lon - hs[j].lon).powi(2)).sqrt();
                if d < 0.001 && hs[i].address != hs[j].address {
                    close += 1;
                }
            }
        }
        assert!(close > 10, "{close}");
    }
}
