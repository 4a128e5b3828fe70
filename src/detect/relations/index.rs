//! The relationship index: normalised identities of users, patients and
//! contacts, and the questions relationship rules ask about a (user,
//! patient) pair.
//!
//! Given names are compared nickname-aware ([`Nicknames`]). A surname must
//! be shared for a household or a contact match, with one exception: a
//! contact listed under another surname (a maiden or married name) counts
//! when an address ties it to the user's home, never on the given name
//! alone.

use std::collections::HashMap;

use rayon::prelude::*;

use super::addresses::{normalise_address, Address};
use super::geo::distance_m;
use super::names::Surname;
use super::nicknames::{GivenName, Nicknames};
use crate::config::NamesParams;
use crate::ingest::Ingested;
use crate::model::{Code, FxHashMap};

/// A person's normalised identity.
#[derive(Debug, Clone, Default)]
struct Person {
    first: GivenName,
    surname: Surname,
    home: Option<Address>,
    zip: Option<String>,
    geo: Option<(f64, f64)>,
}

impl Person {
    fn new(
        nicknames: &Nicknames,
        first: Option<&str>,
        last: Option<&str>,
        address: Option<&str>,
        zip: Option<&str>,
        lat: Option<f64>,
        lon: Option<f64>,
    ) -> Self {
        Person {
            first: first.map(|f| nicknames.given_name(f)).unwrap_or_default(),
            surname: last.map(Surname::new).unwrap_or_default(),
            home: address.map(normalise_address).filter(|a| !a.street.is_empty()),
            zip: zip.map(|z| z.trim().chars().take(5).collect()),
            geo: lat.zip(lon),
        }
    }

    fn same_zip(&self, other: &Person) -> bool {
        match (&self.zip, &other.zip) {
            (Some(a), Some(b)) => a == b,
            _ => true, // unknown zip does not contradict
        }
    }
}

#[derive(Debug, Clone)]
struct ContactKey {
    first: GivenName,
    surname: Surname,
    relationship: Option<String>,
    home: Option<Address>,
}

/// Whose address ties a contact listed under another surname to the user's
/// home.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SharedAddress {
    /// The contact's own listed address is the user's home.
    Contact,
    /// The patient lives at the user's home.
    Patient,
}

/// A relationship between a user and a patient.
#[derive(Debug, Clone, PartialEq)]
pub enum Relation {
    /// The patient record is the user's own.
    Own,
    /// Same surname and same home (street address and unit).
    Household,
    /// The user's name matches one of the patient's contacts.
    Contact {
        /// The contact's relationship to the patient, as given.
        relationship: Option<String>,
    },
    /// The patient is another employee.
    Coworker {
        /// In the user's own home department.
        same_department: bool,
    },
    /// The homes are close.
    Neighbour {
        /// Distance between the homes in metres, when both have coordinates.
        distance_m: Option<f64>,
        /// Same street address (building), units may differ.
        same_street: bool,
        /// Same home (street and unit), different surname.
        same_home: bool,
        /// Same block of the same street (same hundred-block of house
        /// numbers), found when either home has no coordinates.
        same_block: bool,
    },
}

/// Normalised identities, built once per run.
#[derive(Debug, Default)]
pub struct Relations {
    /// The identities of the users asked about ([`Relations::set_users`]):
    /// every roster user, or a partition's.
    users: FxHashMap<Code, Person>,
    user_department: Vec<Option<Code>>,
    patients: Vec<Option<Person>>,
    employee_of: HashMap<Code, Code>,
    contacts: HashMap<Code, Vec<ContactKey>>,
}

impl Relations {
    /// Builds the index from the bundle's roster, patients and contacts;
    /// `names` says which nicknames are equivalent. Events are not read.
    pub fn build<E>(data: &Ingested<E>, names: &NamesParams) -> Relations {
        let every = data.roster.iter().flat_map(|r| r.iter().map(|(u, _)| u));
        Relations::build_for(data, names, every)
    }

    /// [`Relations::build`] with the identities of only the `users`: the
    /// rules on a partition of a run of millions of users ask about the
    /// partition's own users, never the whole roster's.
    pub fn build_for<E>(data: &Ingested<E>, names: &NamesParams, users: impl IntoIterator<Item = Code>) -> Relations {
        let nicknames = Nicknames::from_params(names);
        let nicknames = &nicknames;
        let n_users = data.dict.users.len();
        let n_patients = data.dict.patients.len();
        let mut user_department = vec![None; n_users];
        let mut employee_of = HashMap::new();
        if let Some(roster) = &data.roster {
            for (u, r) in roster.iter() {
                user_department[u as usize] = r.department;
                if let Some(p) = r.patient {
                    employee_of.insert(p, u);
                }
            }
        }
        let patients = match &data.patients {
            None => vec![None; n_patients],
            Some(table) => (0..n_patients as Code)
                .into_par_iter()
                .map(|p| {
                    table.get(p).map(|r| {
                        Person::new(
                            nicknames,
                            r.first_name.as_deref(),
                            r.last_name.as_deref(),
                            r.address.as_deref(),
                            r.zip.as_deref(),
                            r.lat,
                            r.lon,
                        )
                    })
                })
                .collect(),
        };
        let mut contacts: HashMap<Code, Vec<ContactKey>> = HashMap::new();
        if let Some(c) = &data.contacts {
            for row in &c.rows {
                let (Some(first), Some(last)) = (&row.first_name, &row.last_name) else { continue };
                contacts.entry(row.patient).or_default().push(ContactKey {
                    first: nicknames.given_name(first),
                    surname: Surname::new(last),
                    relationship: row.relationship.clone(),
                    home: row.address.as_deref().map(normalise_address).filter(|a| !a.street.is_empty()),
                });
            }
        }
        let mut relations = Relations { users: FxHashMap::default(), user_department, patients, employee_of, contacts };
        relations.set_users(data, names, users);
        relations
    }

    /// Replaces the users' identities by those of `users` (the others are
    /// unknown to every question about a pair).
    pub fn set_users<E>(&mut self, data: &Ingested<E>, names: &NamesParams, users: impl IntoIterator<Item = Code>) {
        self.users = FxHashMap::default();
        let Some(roster) = &data.roster else { return };
        let nicknames = Nicknames::from_params(names);
        for (u, r) in users.into_iter().filter_map(|u| Some((u, roster.get(u)?))) {
            let person = Person::new(
                &nicknames,
                r.first_name.as_deref(),
                r.last_name.as_deref(),
                r.address.as_deref(),
                r.zip.as_deref(),
                r.lat,
                r.lon,
            );
            self.users.insert(u, person);
        }
    }

    fn user(&self, u: Code) -> Option<&Person> {
        self.users.get(&u)
    }

    fn patient(&self, p: Code) -> Option<&Person> {
        self.patients.get(p as usize).and_then(|x| x.as_ref())
    }

    /// Whether user and patient share a surname (weak evidence on its own).
    pub fn shares_surname(&self, user: Code, patient: Code) -> bool {
        match (self.user(user), self.patient(patient)) {
            (Some(u), Some(p)) => !u.surname.is_empty() && u.surname.matches(&p.surname),
            _ => false,
        }
    }

    /// Same surname and same home.
    pub fn household(&self, user: Code, patient: Code) -> bool {
        match (self.user(user), self.patient(patient)) {
            (Some(u), Some(p)) => {
                self.shares_surname(user, patient)
                    && matches!((&u.home, &p.home), (Some(a), Some(b)) if a.same_home(b) && u.same_zip(p))
            }
            _ => false,
        }
    }

    /// The patient's contact the user's name matches, if any: given name
    /// equal or a nickname of it, and a surname part shared.
    pub fn contact(&self, user: Code, patient: Code) -> Option<Option<String>> {
        self.contact_checked(user, patient).map(|(relationship, _)| relationship)
    }

    /// As [`Relations::contact`], and whether the addresses contradict the
    /// match: every matching contact is listed at an address that is not
    /// the user's home (both known), and the patient does not live there
    /// either. A name shared with a contact who lives elsewhere may be a
    /// namesake; a contact at the user's home, or with no address, is not
    /// contradicted. A matching contact whose address agrees is preferred.
    pub fn contact_checked(&self, user: Code, patient: Code) -> Option<(Option<String>, bool)> {
        let u = self.user(user)?;
        if u.first.is_empty() || u.surname.is_empty() {
            return None;
        }
        let matching: Vec<&ContactKey> = self
            .contacts
            .get(&patient)?
            .iter()
            .filter(|c| c.surname.matches(&u.surname) && c.first.matches(&u.first))
            .collect();
        let first = matching.first()?;
        let Some(home) = u.home.as_ref() else { return Some((first.relationship.clone(), false)) };
        let patient_at_home =
            self.patient(patient).is_some_and(|p| u.same_zip(p) && p.home.as_ref().is_some_and(|h| h.same_home(home)));
        let agrees = matching.iter().find(|c| c.home.as_ref().is_none_or(|h| h.same_home(home)));
        Some(match agrees {
            Some(c) => (c.relationship.clone(), false),
            None => (first.relationship.clone(), !patient_at_home),
        })
    }

    /// The patient's contact listed under another surname (a maiden or
    /// married name) that is the user by given name (nickname-aware) and by
    /// address: the contact's listed address is the user's home, or the
    /// patient lives there. The contact's own address is preferred as
    /// evidence. `None` without that corroboration: a shared given name
    /// alone is not a relationship.
    pub fn contact_under_other_surname(&self, user: Code, patient: Code) -> Option<(Option<String>, SharedAddress)> {
        let u = self.user(user)?;
        let home = u.home.as_ref()?;
        if u.first.is_empty() || u.surname.is_empty() {
            return None;
        }
        let patient_at_home =
            self.patient(patient).is_some_and(|p| u.same_zip(p) && p.home.as_ref().is_some_and(|h| h.same_home(home)));
        let mut found = None;
        for c in self.contacts.get(&patient)? {
            if !c.first.matches(&u.first) || c.surname.matches(&u.surname) {
                continue; // another person, or the same surname (`contact`)
            }
            if c.home.as_ref().is_some_and(|h| h.same_home(home)) {
                return Some((c.relationship.clone(), SharedAddress::Contact));
            }
            if patient_at_home && found.is_none() {
                found = Some((c.relationship.clone(), SharedAddress::Patient));
            }
        }
        found
    }

    /// The employee whose own record this patient is, if any.
    pub fn employee(&self, patient: Code) -> Option<Code> {
        self.employee_of.get(&patient).copied()
    }

    /// Whether two users share a home department.
    pub fn same_department(&self, a: Code, b: Code) -> bool {
        let d = |u: Code| self.user_department.get(u as usize).copied().flatten();
        matches!((d(a), d(b)), (Some(x), Some(y)) if x == y)
    }

    /// The neighbour relation: homes within `max_distance_m` (by
    /// coordinates), on the same street by name (same zip) within
    /// `street_distance_m`, at the same street address, or, when either
    /// home has no coordinates, on the same block of the same street.
    pub fn neighbour(
        &self,
        user: Code,
        patient: Code,
        max_distance_m: f64,
        street_distance_m: f64,
    ) -> Option<Relation> {
        let (u, p) = (self.user(user)?, self.patient(patient)?);
        let distance = match (u.geo, p.geo) {
            (Some(a), Some(b)) => Some(distance_m(a, b)),
            _ => None,
        };
        let (same_street, same_home, street_name) = match (&u.home, &p.home) {
            (Some(a), Some(b)) if u.same_zip(p) => (a.same_street_address(b), a.same_home(b), a.same_street_name(b)),
            _ => (false, false, false),
        };
        let close = distance.is_some_and(|d| d <= max_distance_m);
        // Along the same street, a little further counts: the people on
        // one's own street are the neighbours one knows.
        let along = street_name && distance.is_some_and(|d| d <= street_distance_m);
        // Without coordinates (an HR export rarely geocodes), the same
        // block of the same street stands in for the distance.
        let same_block = distance.is_none()
            && !same_street
            && matches!((&u.home, &p.home), (Some(a), Some(b)) if u.same_zip(p) && a.same_block(b));
        (close || along || same_street || same_block).then_some(Relation::Neighbour {
            distance_m: distance,
            same_street,
            same_home,
            same_block,
        })
    }
}
