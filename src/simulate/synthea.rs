//! `--synthea DIR`: patients, providers and encounters from Synthea CSV
//! output, moved in time so that the latest encounters fall in the simulated
//! window; the workforce and every access are simulated on top, and the
//! simulated census is added so that staff have a realistic load.
//!
//! Synthea appends digits to names ("Jacinto644 Kuhn96"); they are stripped.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::encounters::{EncKind, Encounter, LOOKBACK_DAYS, NO_DEPT};
use super::event::{day_start, Category, DAY};
use super::names;
use super::params::SimulateError;
use super::population::Population;
use super::world::{Contact, DeptKind, Household, Patient, Role, World};

/// A Synthea provider: name and gender.
#[derive(Debug, Clone)]
pub struct Provider {
    /// Given name without digits.
    pub first: String,
    /// Family name without digits.
    pub last: String,
}

/// A Synthea encounter, already moved into the simulated time line.
#[derive(Debug, Clone)]
pub struct ExtEncounter {
    /// Patient index.
    pub patient: u32,
    /// Provider index.
    pub provider: Option<u32>,
    /// Class.
    pub kind: EncKind,
    /// Start, local seconds.
    pub start: i64,
    /// End, local seconds.
    pub end: i64,
}

/// What was read from Synthea.
#[derive(Debug, Clone)]
pub struct Synthea {
    /// Patients, one household each (Synthea addresses are unique).
    pub population: Population,
    /// Providers, busiest first.
    pub providers: Vec<Provider>,
    /// Encounters in or just before the window.
    pub encounters: Vec<ExtEncounter>,
    /// Where most patients live (centre of the simulated town).
    pub center: (f64, f64),
}

/// Strips Synthea's numeric suffix: "Jacinto644" -> "Jacinto".
pub fn strip_digits(s: &str) -> String {
    s.split_whitespace()
        .map(|w| w.trim_end_matches(|c: char| c.is_ascii_digit()))
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn read(path: &Path) -> Result<(csv::StringRecord, Vec<csv::StringRecord>), SimulateError> {
    let err = |m: String| SimulateError::Synthea { path: path.to_path_buf(), message: m };
    let mut r = csv::ReaderBuilder::new().flexible(true).from_path(path).map_err(|e| err(e.to_string()))?;
    let header = r.headers().map_err(|e| err(e.to_string()))?.clone();
    let mut rows = Vec::new();
    for (i, rec) in r.records().enumerate() {
        rows.push(rec.map_err(|e| err(format!("line {}: {e}", i + 2)))?);
    }
    Ok((header, rows))
}

fn col(header: &csv::StringRecord, name: &str, path: &Path) -> Result<usize, SimulateError> {
    header
        .iter()
        .position(|h| h.trim().eq_ignore_ascii_case(name))
        .ok_or_else(|| SimulateError::Synthea { path: path.to_path_buf(), message: format!("missing column {name}") })
}

fn parse_time(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim().trim_end_matches('Z');
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").ok()
}

/// Reads `patients.csv`, `providers.csv` and `encounters.csv` from `dir`.
pub fn load(dir: &Path, rng: &mut Xoshiro256PlusPlus, start: NaiveDate, days: u32) -> Result<Synthea, SimulateError> {
    let p_path = dir.join("patients.csv");
    let pr_path = dir.join("providers.csv");
    let e_path = dir.join("encounters.csv");
    let (ph, prows) = read(&p_path)?;
    let (prh, prrows) = read(&pr_path)?;
    let (eh, erows) = read(&e_path)?;
    let bad = |path: &Path, m: String| SimulateError::Synthea { path: path.to_path_buf(), message: m };

    // Time shift: the latest encounter start lands on the last simulated day.
    let (e_id, e_start, e_stop, e_pat, e_prov, e_class) = (
        col(&eh, "Id", &e_path)?,
        col(&eh, "START", &e_path)?,
        col(&eh, "STOP", &e_path)?,
        col(&eh, "PATIENT", &e_path)?,
        col(&eh, "PROVIDER", &e_path)?,
        col(&eh, "ENCOUNTERCLASS", &e_path)?,
    );
    let _ = e_id;
    let latest = erows
        .iter()
        .filter_map(|r| parse_time(r.get(e_start)?))
        .max()
        .ok_or_else(|| bad(&e_path, "no encounter with a readable START".into()))?;
    let target = start + Duration::days(days as i64 - 1);
    let shift_days = (target - latest.date()).num_days();
    let shift = Duration::days(shift_days);

    // Patients.
    let (p_id, p_birth, p_death, p_first, p_last, p_gender, p_addr, p_zip, p_lat, p_lon) = (
        col(&ph, "Id", &p_path)?,
        col(&ph, "BIRTHDATE", &p_path)?,
        col(&ph, "DEATHDATE", &p_path)?,
        col(&ph, "FIRST", &p_path)?,
        col(&ph, "LAST", &p_path)?,
        col(&ph, "GENDER", &p_path)?,
        col(&ph, "ADDRESS", &p_path)?,
        col(&ph, "ZIP", &p_path)?,
        col(&ph, "LAT", &p_path)?,
        col(&ph, "LON", &p_path)?,
    );
    let mut index: BTreeMap<String, u32> = BTreeMap::new();
    let mut patients = Vec::new();
    let mut households = Vec::new();
    let mut contacts = Vec::new();
    let mut zips: BTreeMap<String, (usize, f64, f64)> = BTreeMap::new();
    let sw = names::surname_weight();
    for (i, r) in prows.iter().enumerate() {
        let g = |c: usize| r.get(c).unwrap_or("").trim();
        let birth = NaiveDate::parse_from_str(g(p_birth), "%Y-%m-%d")
            .map_err(|_| bad(&p_path, format!("line {}: BIRTHDATE is not a date", i + 2)))?;
        let death = NaiveDate::parse_from_str(g(p_death), "%Y-%m-%d").ok().map(|d| d + shift);
        let lat: f64 = g(p_lat).parse().unwrap_or(0.0);
        let lon: f64 = g(p_lon).parse().unwrap_or(0.0);
        let zip = g(p_zip).to_string();
        let z = zips.entry(zip.clone()).or_insert((0, 0.0, 0.0));
        z.0 += 1;
        z.1 += lat;
        z.2 += lon;
        let h = households.len() as u32;
        households.push(Household { address: g(p_addr).to_string(), zip, lat, lon });
        let sex = if g(p_gender) == "F" { 'F' } else { 'M' };
        let p = patients.len() as u32;
        index.insert(g(p_id).to_string(), p);
        let last = strip_digits(g(p_last));
        patients.push(Patient {
            id: String::new(),
            first: strip_digits(g(p_first)),
            last: last.clone(),
            sex,
            birth: birth + shift,
            household: h,
            deceased: death,
            vip: false,
            restricted: false,
            sensitive: Category::Unspecified,
            acuity: 0.5 + rng.gen::<f32>(),
        });
        if rng.gen_bool(0.5) {
            let family = rng.gen_bool(0.6);
            contacts.push(Contact {
                patient: p,
                first: {
                    let sex = if rng.gen_bool(0.5) { 'F' } else { 'M' };
                    names::given(rng, sex).to_string()
                },
                last: if family { last } else { names::surname(rng, sw).to_string() },
                relationship: if family { "sibling" } else { "friend" },
                address: String::new(),
            });
        }
    }
    for (i, p) in patients.iter_mut().enumerate() {
        p.id = format!("S{:07}", 1_000_000 + i * 5 + 2);
        if i % 400 == 7 && p.deceased.is_none() {
            p.vip = true;
        }
        if i % 60 == 11 {
            p.sensitive = Category::BehavioralHealth;
            p.restricted = i % 120 == 11;
        }
    }
    let center =
        zips.values().max_by_key(|z| z.0).map(|z| (z.1 / z.0 as f64, z.2 / z.0 as f64)).unwrap_or((39.7684, -86.1581));

    // Providers, busiest first.
    let (pr_id, pr_name) = (col(&prh, "Id", &pr_path)?, col(&prh, "NAME", &pr_path)?);
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &erows {
        *count.entry(r.get(e_prov).unwrap_or("")).or_default() += 1;
    }
    let mut provs: Vec<(usize, usize)> = prrows
        .iter()
        .enumerate()
        .map(|(i, r)| (count.get(r.get(pr_id).unwrap_or("")).copied().unwrap_or(0), i))
        .collect();
    provs.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut prov_index: BTreeMap<String, u32> = BTreeMap::new();
    let mut providers = Vec::new();
    for (_, i) in provs {
        let r = &prrows[i];
        let mut parts = r.get(pr_name).unwrap_or("").split_whitespace();
        let first = strip_digits(parts.next().unwrap_or(""));
        let last = strip_digits(&parts.collect::<Vec<_>>().join(" "));
        prov_index.insert(r.get(pr_id).unwrap_or("").to_string(), providers.len() as u32);
        providers.push(Provider { first, last });
    }

    // Encounters in the window and its look-back.
    let w0 = start - Duration::days(LOOKBACK_DAYS);
    let mut encounters = Vec::new();
    for r in &erows {
        let (Some(s), Some(e)) = (parse_time(r.get(e_start).unwrap_or("")), parse_time(r.get(e_stop).unwrap_or("")))
        else {
            continue;
        };
        let (s, e) = (s + shift, e + shift);
        if s.date() < w0 {
            continue;
        }
        let Some(&patient) = index.get(r.get(e_pat).unwrap_or("")) else { continue };
        let kind = match r.get(e_class).unwrap_or("") {
            "inpatient" => EncKind::Inpatient,
            "emergency" | "urgentcare" => EncKind::Emergency,
            _ => EncKind::Outpatient,
        };
        encounters.push(ExtEncounter {
            patient,
            provider: prov_index.get(r.get(e_prov).unwrap_or("")).copied(),
            kind,
            start: s.and_utc().timestamp(),
            end: e.and_utc().timestamp().max(s.and_utc().timestamp() + 900),
        });
    }
    Ok(Synthea { population: Population { patients, households, contacts }, providers, encounters, center })
}

/// Gives the simulated physicians the names of the busiest Synthea providers.
pub fn name_physicians(world: &mut World, providers: &[Provider]) {
    let docs = world.users_of(Role::Physician);
    for (&u, p) in docs.iter().zip(providers) {
        if !p.first.is_empty() && !p.last.is_empty() {
            world.users[u as usize].first = p.first.clone();
            world.users[u as usize].last = p.last.clone();
        }
    }
}

/// Adds the Synthea encounters: each provider maps to one simulated
/// physician per setting (clinic, ward, ED), and the encounter happens in
/// that physician's department. Returns how many were added.
pub fn add_encounters(rng: &mut Xoshiro256PlusPlus, world: &World, ext: &Synthea, encs: &mut Vec<Encounter>) -> usize {
    let docs_of = |k: DeptKind| -> Vec<u32> {
        world
            .users_of(Role::Physician)
            .into_iter()
            .filter(|&u| world.depts[world.users[u as usize].home as usize].kind == k)
            .collect()
    };
    let clinic = docs_of(DeptKind::Clinic);
    let ward = docs_of(DeptKind::Inpatient);
    let ed_docs = docs_of(DeptKind::Emergency);
    let ed = world.dept("ED");
    let pcc = world.dept("PCC");
    let med = world.dept("MED");
    let window_end = day_start(world.start) + world.days as i64 * DAY;
    let mut n = 0;
    for e in &ext.encounters {
        if e.start >= window_end {
            continue;
        }
        let pick = |list: &[u32]| -> Option<u32> {
            let p = e.provider? as usize;
            (!list.is_empty()).then(|| list[p % list.len()])
        };
        let (dept, provider) = match e.kind {
            EncKind::Outpatient => match pick(&clinic) {
                Some(u) => (world.users[u as usize].home, u),
                None => (pcc, u32::MAX),
            },
            EncKind::Inpatient => match pick(&ward) {
                Some(u) => (world.users[u as usize].home, u),
                None => (med, u32::MAX),
            },
            EncKind::Emergency => (ed, pick(&ed_docs).unwrap_or(u32::MAX)),
        };
        encs.push(Encounter {
            id: String::new(),
            patient: e.patient,
            dept,
            kind: e.kind,
            start: e.start,
            end: e.end,
            provider,
            consult: NO_DEPT,
            imaging: rng.gen_bool(0.3),
            external: true,
            exported: true,
        });
        n += 1;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_synthea_suffixes() {
        assert_eq!(strip_digits("Jacinto644"), "Jacinto");
        assert_eq!(strip_digits("O'Reilly797"), "O'Reilly");
        assert_eq!(strip_digits("Smith"), "Smith");
        assert_eq!(strip_digits("Van123 Der45 Berg6"), "Van Der Berg");
    }
}
