//! A tiny in-memory hospital for the stages' unit tests: users, patients,
//! encounters and accesses written inline, then run through explain and
//! features as one partition of every user ([`World::run`]), or through the
//! pipeline's analysis and scoring ([`World::alerts`]).
//!
//! Test-only and crate-level, above every stage: the tests of explain,
//! features, detect and score all use it, so it lives in none of them (the
//! layering test, tests/it/layers.rs, lets test code reach it and nothing
//! else upward).

use std::collections::BTreeMap;

use crate::config::Config;
use crate::detect::relations::Relations;
use crate::detect::{AnyRule, DetectInput, Finding, Rule};
use crate::explain::{explain, Explanation};
use crate::features::compute;
use crate::ingest::{IngestReport, Ingested, Rejects};
use crate::model::{
    Action, Code, Contact, Contacts, DataCategory, Dictionaries, Encounter, Encounters, Events, Partition,
    PatientRecord, Patients, Roster, UserRecord, NONE,
};
use crate::score::score;
use crate::time::{parse_date, parse_timestamp, ZoneCache};

/// One scored alert of [`World::alerts`], with ids as strings.
#[derive(Debug, Clone)]
pub struct ScoredAlert {
    pub user: String,
    pub patient: String,
    pub score: f64,
    pub rules: Vec<&'static str>,
    pub explanation: String,
}

/// The world under test.
pub struct World {
    dict: Dictionaries,
    users: BTreeMap<Code, UserRecord>,
    patients: BTreeMap<Code, PatientRecord>,
    encounters: Vec<Encounter>,
    contacts: Vec<Contact>,
    care_teams: Option<crate::model::CareTeams>,
    events: Events,
    user_columns: Vec<&'static str>,
    /// Configuration used by `run`.
    pub config: Config,
}

/// Chained setters for a user.
pub struct UserBuilder<'a>(&'a mut World, Code);
/// Chained setters for a patient.
pub struct PatientBuilder<'a>(&'a mut World, Code);

impl UserBuilder<'_> {
    fn rec(&mut self) -> &mut UserRecord {
        self.0.users.get_mut(&self.1).expect("user exists")
    }
    pub fn department(mut self, d: &str) -> Self {
        let c = self.0.dict.departments.intern(d);
        self.rec().department = Some(c);
        self
    }
    pub fn last_name(mut self, n: &str) -> Self {
        self.rec().last_name = Some(n.into());
        self
    }
    pub fn name(mut self, first: &str, last: &str) -> Self {
        self.rec().first_name = Some(first.into());
        self.rec().last_name = Some(last.into());
        self
    }
    pub fn address(mut self, a: &str) -> Self {
        self.rec().address = Some(a.into());
        self
    }
    pub fn zip(mut self, z: &str) -> Self {
        self.rec().zip = Some(z.into());
        self
    }
    pub fn at(mut self, lat: f64, lon: f64) -> Self {
        self.rec().lat = Some(lat);
        self.rec().lon = Some(lon);
        self
    }
    pub fn role(mut self, r: &str) -> Self {
        self.rec().role = Some(r.into());
        self
    }
    pub fn employed(mut self, hire: &str, termination: Option<&str>) -> Self {
        self.rec().hire_date = parse_date(hire);
        self.rec().termination_date = termination.and_then(parse_date);
        self
    }
    pub fn own_record(mut self, p: &str) -> Self {
        let c = self.0.dict.patients.intern(p);
        self.rec().patient = Some(c);
        self
    }
}

impl PatientBuilder<'_> {
    fn rec(&mut self) -> &mut PatientRecord {
        self.0.patients.get_mut(&self.1).expect("patient exists")
    }
    pub fn last_name(mut self, n: &str) -> Self {
        self.rec().last_name = Some(n.into());
        self
    }
    pub fn name(mut self, first: &str, last: &str) -> Self {
        self.rec().first_name = Some(first.into());
        self.rec().last_name = Some(last.into());
        self
    }
    pub fn address(mut self, a: &str) -> Self {
        self.rec().address = Some(a.into());
        self
    }
    pub fn zip(mut self, z: &str) -> Self {
        self.rec().zip = Some(z.into());
        self
    }
    pub fn at(mut self, lat: f64, lon: f64) -> Self {
        self.rec().lat = Some(lat);
        self.rec().lon = Some(lon);
        self
    }
    pub fn restricted(mut self) -> Self {
        self.rec().restricted = true;
        self
    }
    pub fn vip(mut self) -> Self {
        self.rec().vip = true;
        self
    }
    pub fn deceased(mut self, date: &str) -> Self {
        self.rec().deceased_date = parse_date(date);
        self
    }
}

fn utc(ts: &str) -> i64 {
    ZoneCache::new(chrono_tz::UTC).resolve(parse_timestamp(ts).expect("fixture timestamp"))
}

impl World {
    pub fn new() -> Self {
        Self {
            dict: Dictionaries::default(),
            users: BTreeMap::new(),
            patients: BTreeMap::new(),
            encounters: Vec::new(),
            contacts: Vec::new(),
            care_teams: None,
            events: Events::default(),
            user_columns: crate::ingest::users_columns().collect(),
            config: Config::default(),
        }
    }

    pub fn user(&mut self, id: &str) -> UserBuilder<'_> {
        let c = self.dict.users.intern(id);
        self.users.entry(c).or_default();
        UserBuilder(self, c)
    }

    pub fn patient(&mut self, id: &str) -> PatientBuilder<'_> {
        let c = self.dict.patients.intern(id);
        self.patients.entry(c).or_default();
        PatientBuilder(self, c)
    }

    pub fn encounter(&mut self, patient: &str, dept: &str, start: &str, end: Option<&str>, provider: Option<&str>) {
        let e = Encounter {
            patient: self.dict.patients.intern(patient),
            department: Some(self.dict.departments.intern(dept)),
            start: utc(start),
            end: end.map(utc),
            provider: provider.map(|p| self.dict.users.intern(p)),
        };
        self.encounters.push(e);
    }

    pub fn access(&mut self, ts: &str, user: &str, patient: &str, action: &str) {
        self.access_with(ts, user, patient, action, "", false);
    }

    pub fn access_from(&mut self, ts: &str, user: &str, patient: &str, action: &str, ws: &str, ip: &str) {
        self.access_with(ts, user, patient, action, "", false);
        let ws = self.dict.workstations.intern(ws);
        let ip = self.dict.ips.intern(ip);
        *self.events.workstation.last_mut().expect("pushed") = ws;
        *self.events.ip.last_mut().expect("pushed") = ip;
    }

    #[allow(clippy::too_many_arguments)]
    pub fn access_from_dept(
        &mut self,
        ts: &str,
        user: &str,
        patient: &str,
        action: &str,
        ws: &str,
        ip: &str,
        dept: &str,
    ) {
        self.access_from(ts, user, patient, action, ws, ip);
        let d = self.dict.departments.intern(dept);
        *self.events.department.last_mut().expect("pushed") = d;
    }

    pub fn access_with(&mut self, ts: &str, user: &str, patient: &str, action: &str, category: &str, glass: bool) {
        let e = &mut self.events;
        e.user.push(self.dict.users.intern(user));
        e.patient.push(if patient.is_empty() { NONE } else { self.dict.patients.intern(patient) });
        e.ts.push(utc(ts));
        e.action.push(Action::parse(action).unwrap_or(Action::Other));
        e.category.push(DataCategory::parse(category).unwrap_or(DataCategory::Unspecified));
        e.workstation.push(NONE);
        e.ip.push(NONE);
        e.department.push(NONE);
        e.break_glass.push(glass);
        e.source_file.push(0);
        e.source_line.push(e.ts.len() as u64 + 1);
    }

    pub fn contact(&mut self, patient: &str, first: &str, last: &str, relationship: &str) {
        let p = self.dict.patients.intern(patient);
        self.contacts.push(Contact {
            patient: p,
            first_name: Some(first.into()),
            last_name: Some(last.into()),
            relationship: Some(relationship.into()),
            address: None,
        });
    }

    /// `user` on `patient`'s care team (a care_team row) from the start of
    /// day `from` to the end of day `until` (`None`: open).
    pub fn care_team(&mut self, patient: &str, user: &str, from: Option<&str>, until: Option<&str>) {
        let day = |d: &str| parse_date(d).expect("a YYYY-MM-DD day");
        let user = self.dict.users.intern(user);
        let a = crate::model::CareAssignment::over_days(user, from.map(day), until.map(day), |day| {
            day * crate::time::MICROS_PER_DAY
        });
        let p = self.dict.patients.intern(patient);
        self.care_teams.get_or_insert_with(Default::default).add(p, a);
    }

    /// A contact with a listed street address.
    pub fn contact_at(&mut self, patient: &str, first: &str, last: &str, relationship: &str, address: &str) {
        self.contact(patient, first, last, relationship);
        if let Some(c) = self.contacts.last_mut() {
            c.address = Some(address.into());
        }
    }

    pub fn drop_roster_column(&mut self, column: &str) {
        self.user_columns.retain(|c| *c != column);
    }

    /// The hospital, its accesses as one partition of every user.
    pub fn build(&self) -> Ingested<Partition> {
        let mut roster = Roster::with_columns(self.user_columns.clone());
        for (c, r) in &self.users {
            roster.insert(*c, r.clone());
        }
        let mut patients = Patients::with_columns(crate::ingest::patients_columns().collect());
        for (c, r) in &self.patients {
            patients.insert(*c, r.clone());
        }
        let mut events = self.events.clone();
        events.sort_by_user_time();
        Ingested {
            dir: "fixture".into(),
            tz: chrono_tz::UTC,
            dict: self.dict.clone(),
            events,
            roster: Some(roster),
            patients: Some(patients),
            encounters: Some(Encounters::new(self.encounters.clone(), self.dict.patients.len(), vec![])),
            contacts: Some(Contacts { rows: self.contacts.clone() }),
            care_teams: self.care_teams.clone(),
            report: IngestReport::default(),
            rejects: Rejects::default(),
        }
        .whole()
    }

    /// Builds the hospital and runs explain and features as the pipeline
    /// does, then hands the detect input to `f`.
    pub(crate) fn with_input<R>(&self, f: impl FnOnce(&DetectInput<'_>) -> R) -> R {
        let data = self.build();
        let explained = explain(&data, &self.config.explain);
        let features = compute(&data, &explained, &self.config.hours, &self.config.peers);
        let relations = Relations::build(&data, &self.config.names);
        let population = crate::detect::Population::of(&data.events, &data.dict);
        f(&DetectInput {
            data: &data,
            explained: &explained,
            features: &features,
            config: &self.config,
            relations: &relations,
            patient_groups: &std::sync::OnceLock::new(),
            population: &population,
            scope: crate::detect::Scope::ALL,
        })
    }

    pub fn check(&self, rule: &dyn AnyRule) -> Result<(), String> {
        self.with_input(|input| rule.evaluate(input).result.map(|_| ()))
    }

    pub fn run(&self, rule: &dyn AnyRule) -> Vec<Finding> {
        self.with_input(|input| rule.evaluate(input).result.expect("rule can run on the fixture"))
    }

    /// The weight rule `R` has in this world's configuration.
    pub fn weight<R: Rule>(&self) -> f64 {
        R::resolve(&self.config.rules).expect("the fixture's rule settings are valid").settings.weight
    }

    /// Every rule, then scoring, as the pipeline runs them (its analysis,
    /// then scoring on the evidence kept): one [`ScoredAlert`] per alert, in
    /// rank order.
    pub fn alerts(&self) -> Vec<ScoredAlert> {
        let (data, events) = self.build().with_events(());
        let resident = crate::pipeline::Resident::new(events);
        let progress = crate::progress::Progress::hidden();
        let run = crate::pipeline::analyse(data, &resident, &self.config, &progress, &mut |_| {})
            .expect("the fixture is analysed in memory");
        let input = DetectInput {
            data: &run.data,
            explained: &run.explained,
            features: &run.features,
            config: &self.config,
            relations: &run.relations,
            patient_groups: &std::sync::OnceLock::new(),
            population: &run.population,
            scope: crate::detect::Scope::ALL,
        };
        let detection = &run.detection;
        let scored =
            score(detection.findings.clone(), &input, &detection.weights, &detection.order, &self.config.score);
        let dict = &input.data.dict;
        scored
            .alerts
            .iter()
            .map(|a| ScoredAlert {
                user: dict.users.name(a.user).to_string(),
                patient: dict.patients.name(a.patient).to_string(),
                score: a.score,
                rules: a.rules.clone(),
                explanation: a.explanation(),
            })
            .collect()
    }

    /// The explanation of each access, as (user, patient, local timestamp
    /// text as written, explanation), in input order.
    pub fn explanations(&self) -> Vec<(String, String, Explanation)> {
        let data = self.build();
        let explained = explain(&data, &self.config.explain);
        let mut out: Vec<(u64, String, String, Explanation)> = (0..data.events.len())
            .map(|i| {
                (
                    data.events.source_line[i],
                    data.dict.users.name(data.events.user[i]).to_string(),
                    data.dict.patients.name(data.events.patient[i]).to_string(),
                    explained.kind[i],
                )
            })
            .collect();
        out.sort_by_key(|r| r.0);
        out.into_iter().map(|(_, u, p, e)| (u, p, e)).collect()
    }

    pub fn user_of(&self, f: &Finding) -> String {
        self.dict.users.name(f.user).to_string()
    }

    pub fn patient_of(&self, f: &Finding) -> String {
        self.dict.patients.name(f.patient).to_string()
    }
}

pub use crate::simulate::BundleFormat;

/// A small simulated bundle under `TEMP/bundle`: 150 users (three spill
/// blocks), 600 patients, three days (three access-log files), seed 11.
pub fn simulated_bundle(format: BundleFormat) -> tempfile::TempDir {
    simulated_bundle_with(format, |p| {
        (p.users, p.patients, p.days, p.seed) = (150, 600, 3, 11);
    })
}

/// A simulated bundle under `TEMP/bundle`, in `format`, with the
/// simulator's parameters set by `set`.
pub fn simulated_bundle_with(
    format: BundleFormat,
    set: impl FnOnce(&mut crate::simulate::SimulateParams),
) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut p = crate::simulate::SimulateParams::new(dir.path().join("bundle"));
    set(&mut p);
    p.format = format;
    crate::simulate::simulate(&p).unwrap();
    dir
}
