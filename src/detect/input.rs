//! What a rule sees, and the rule interface.

use std::ops::Range;
use std::sync::OnceLock;

use rayon::prelude::*;

use super::finding::{AlertKind, Fact, Finding};
use super::params::{Resolved, RuleParams, RuleSettings};
use super::relations::Relations;
use crate::config::{Config, ConfigError, RulesParams};
use crate::explain::Explanations;
use crate::features::UserFeatures;
use crate::ingest::Ingested;
use crate::model::{Code, Partition, NONE};

/// Everything rules read. Rules never write to it. Rules read one
/// partition of users (`E` = [`Partition`]); scoring reads the same with
/// the evidence kept from every partition (`E` =
/// [`crate::model::Evidence`]).
pub struct DetectInput<'a, E = Partition> {
    /// The context tables and the events.
    pub data: &'a Ingested<E>,
    /// One explanation per event of `data`.
    pub explained: &'a Explanations,
    /// Per-user features.
    pub features: &'a UserFeatures,
    /// The run's configuration.
    pub config: &'a Config,
    /// Normalised identities for relationship rules.
    pub relations: &'a Relations,
    /// Each user's events grouped by patient, built on first use (see
    /// [`DetectInput::patient_groups`]).
    pub patient_groups: &'a OnceLock<PatientGroups>,
    /// What rules need from the whole run's events.
    pub population: &'a Population,
    /// The users rules run on: the partition's (`data.events` hold only
    /// theirs, while `features` hold every user's).
    pub scope: Scope,
}

// By hand: a derive would ask `E: Copy`, and only references are copied.
impl<E> Clone for DetectInput<'_, E> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<E> Copy for DetectInput<'_, E> {}

/// A contiguous range of user codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    /// First user code in the scope.
    pub from: Code,
    /// One past the last.
    pub to: Code,
}

impl Scope {
    /// Every user.
    pub const ALL: Scope = Scope { from: 0, to: Code::MAX };

    /// The users of a partition.
    pub fn of(partition: &Partition) -> Scope {
        Scope { from: partition.users.start, to: partition.users.end }
    }

    /// Whether the user is in the scope.
    pub fn contains(&self, user: Code) -> bool {
        user >= self.from && user < self.to
    }
}

/// What rules need from the whole run's events rather than from the
/// users they run on: a partitioned run computes it from every partition
/// ([`Population::add`]) before detecting on any.
#[derive(Debug, Clone, Default)]
pub struct Population {
    /// Per workstation code: the first instant any account used it
    /// (`i64::MAX` if none did).
    pub workstation_first: Vec<i64>,
    /// Per IP network code (`ip_network`): the same. Networks, not
    /// addresses: DHCP leases change addresses daily within a subnet.
    pub ip_first: Vec<i64>,
    /// Per IP address code, its network code (`model::network_codes`).
    pub ip_network: Vec<u32>,
    /// Whether any event names a workstation or an IP address.
    pub any_device: bool,
    /// Whether any event used break-the-glass.
    pub any_break_glass: bool,
    /// Per department code: the first instant an access came from it
    /// (`i64::MAX` if none did), for the roster's department coverage.
    pub department_first: Vec<i64>,
}

impl Population {
    /// The population of these events (ids coded by `dict`).
    pub fn of(events: &crate::model::Events, dict: &crate::model::Dictionaries) -> Population {
        let networks = crate::model::network_codes(&dict.ips);
        Population {
            workstation_first: first_seen(&events.workstation, &events.ts, dict.workstations.len()),
            ip_first: {
                let net: Vec<u32> =
                    events.ip.iter().map(|&a| if a == NONE { NONE } else { networks[a as usize] }).collect();
                first_seen(&net, &events.ts, dict.ips.len())
            },
            ip_network: networks,
            any_device: events.workstation.iter().chain(&events.ip).any(|c| *c != NONE),
            any_break_glass: events.break_glass.iter().any(|b| *b),
            department_first: first_seen(&events.department, &events.ts, dict.departments.len()),
        }
    }

    /// Adds another partition's population.
    pub fn add(&mut self, other: Population) {
        earliest(&mut self.workstation_first, other.workstation_first);
        earliest(&mut self.ip_first, other.ip_first);
        if self.ip_network.is_empty() {
            self.ip_network = other.ip_network;
        }
        self.any_device |= other.any_device;
        self.any_break_glass |= other.any_break_glass;
        earliest(&mut self.department_first, other.department_first);
    }
}

/// The first instant each code appears at (`i64::MAX` for codes never seen).
fn first_seen(codes: &[u32], ts: &[i64], len: usize) -> Vec<i64> {
    codes
        .par_chunks(1 << 16)
        .zip(ts.par_chunks(1 << 16))
        .fold(
            || vec![i64::MAX; len],
            |mut first, (c, t)| {
                for (&code, &at) in c.iter().zip(t) {
                    if code != NONE && at < first[code as usize] {
                        first[code as usize] = at;
                    }
                }
                first
            },
        )
        .reduce(
            || vec![i64::MAX; len],
            |mut a, b| {
                earliest(&mut a, b);
                a
            },
        )
}

/// Keeps in `a` the earlier of each code's first instants in `a` and `b`.
fn earliest(a: &mut Vec<i64>, b: Vec<i64>) {
    if a.len() < b.len() {
        a.resize(b.len(), i64::MAX);
    }
    for (x, y) in a.iter_mut().zip(b) {
        *x = (*x).min(y);
    }
}

/// Each user's events grouped by patient, built once per run for the
/// relationship rules, which would otherwise each sort every user's events
/// by patient (four sorts of the whole log).
#[derive(Debug, Default)]
pub struct PatientGroups {
    /// Event indices, by user, then patient code, then index.
    order: Vec<u32>,
    /// (patient, start, end) into `order`.
    groups: Vec<(Code, u32, u32)>,
    /// Per user code: the range of `groups` that is theirs.
    of_user: Vec<Range<u32>>,
}

impl PatientGroups {
    /// Groups every user's patient events (users in parallel).
    pub fn build(events: &crate::model::Events) -> Self {
        let per_user: Vec<(Code, Vec<(Code, u32)>)> = events
            .user_ranges()
            .into_par_iter()
            .map(|(user, range)| {
                let mut v: Vec<(Code, u32)> =
                    range.filter(|&i| events.patient[i] != NONE).map(|i| (events.patient[i], i as u32)).collect();
                v.sort_unstable();
                (user, v)
            })
            .collect();
        let users = per_user.iter().map(|(u, _)| *u as usize + 1).max().unwrap_or(0);
        let mut out = PatientGroups { of_user: vec![0..0; users], ..Default::default() };
        for (user, v) in per_user {
            let first = out.groups.len();
            for (patient, i) in v {
                let at = out.order.len() as u32;
                let mine = out.groups.len() > first;
                match out.groups.last_mut() {
                    Some(g) if mine && g.0 == patient => g.2 = at + 1,
                    _ => out.groups.push((patient, at, at + 1)),
                }
                out.order.push(i);
            }
            out.of_user[user as usize] = first as u32..out.groups.len() as u32;
        }
        out
    }

    /// The user's patients in code order, each with its event indices in order.
    pub fn of(&self, user: Code) -> impl Iterator<Item = (Code, &[u32])> {
        let r = self.of_user.get(user as usize).cloned().unwrap_or(0..0);
        self.groups[r.start as usize..r.end as usize].iter().map(|&(p, a, b)| (p, &self.order[a as usize..b as usize]))
    }
}

/// A rule that did not run, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedRule {
    /// Rule id.
    pub rule: &'static str,
    /// Why, naming the missing table or column.
    pub reason: String,
}

/// A detection rule. One implementation per file under `rules/` or
/// `behaviour/`, listed once in `registry.rs`; everything about the rule
/// (id, defaults, tunables and their ranges, what it needs, what it finds)
/// lives in its file.
pub trait Rule: Sync {
    /// Stable id: the `rules` column of alerts, the `[rules.<id>]` table of
    /// the configuration.
    const ID: &'static str;

    /// The default switch and weight (`enabled`, `weight`).
    const DEFAULTS: RuleSettings;

    /// The rule's own tunables ([`super::params::NoParams`] when it has none), the other
    /// keys of its `[rules.<id>]` table.
    type Params: RuleParams;

    /// Facts that earn a finding of this rule a stronger weight than its
    /// `weight` (a coworker in the user's own department), with that
    /// weight. None by default.
    fn stronger_weights(&self, params: &Self::Params) -> Vec<(Fact, f64)> {
        let _ = params;
        Vec::new()
    }

    /// Kinds of facts that give a finding of this rule a weaker weight
    /// than its `weight` when no stronger one applies (a name shared with
    /// a contact who lives elsewhere), with that weight; matched by kind,
    /// whatever the fact's fields. None by default.
    fn weaker_weights(&self, params: &Self::Params) -> Vec<(Fact, f64)> {
        let _ = params;
        Vec::new()
    }

    /// `Err(reason)` when the data does not allow the rule to run (a table
    /// or column missing). A rule switched off never gets here.
    fn check(&self, input: &DetectInput<'_>) -> Result<(), String> {
        let _ = input;
        Ok(())
    }

    /// Runs the rule. Only called after [`Rule::check`] succeeded.
    fn run(&self, params: &Self::Params, input: &DetectInput<'_>) -> Vec<Finding>;

    /// The rule's settings and tunables in `rules`, over its defaults and
    /// checked.
    fn resolve(rules: &RulesParams) -> Result<Resolved<Self::Params>, ConfigError>
    where
        Self: Sized,
    {
        super::params::resolve(Self::ID, Self::DEFAULTS, rules)
    }
}

impl<E> DetectInput<'_, E> {
    /// Whether `user`'s role class follows a panel (`explain.panel_roles`:
    /// research coordinators with a study list).
    pub fn is_panel_role(&self, user: Code) -> bool {
        let e = &self.config.explain;
        self.explained.roles.class(user).is_some_and(|c| e.panel_roles.iter().any(|p| e.class_of(p) == Some(c)))
    }

    /// `Ok` when the users table is present with `column`; else the reason a
    /// rule needing it is skipped ("users table missing", "users.X missing").
    pub fn roster_column(&self, column: &str) -> Result<(), String> {
        match &self.data.roster {
            None => Err("users table missing".into()),
            Some(r) if !r.has_column(column) => Err(format!("users.{column} missing")),
            Some(_) => Ok(()),
        }
    }

    /// Like [`DetectInput::roster_column`], for the patients table.
    pub fn patients_column(&self, column: &str) -> Result<(), String> {
        match &self.data.patients {
            None => Err("patients table missing".into()),
            Some(p) if !p.has_column(column) => Err(format!("patients.{column} missing")),
            Some(_) => Ok(()),
        }
    }
}

impl DetectInput<'_> {
    /// Runs `f` on each user's slice of events in parallel, concatenating the
    /// findings in user-code order (deterministic).
    pub fn per_user<F>(&self, f: F) -> Vec<Finding>
    where
        F: Fn(Code, Range<usize>) -> Vec<Finding> + Sync,
    {
        self.data
            .events
            .user_ranges()
            .into_par_iter()
            .map(|(user, range)| f(user, range))
            .collect::<Vec<_>>()
            .into_iter()
            .flatten()
            .collect()
    }

    /// Each user's events grouped by patient (built on first use).
    pub fn patient_groups(&self) -> &PatientGroups {
        self.patient_groups.get_or_init(|| PatientGroups::build(&self.data.events))
    }

    /// Relationship findings of one user: for each patient the user touched
    /// for whom `relation` gives facts, a snooping finding over the accesses
    /// no direct care link explains, and a downgraded finding over those one
    /// does. Inferred explanations (care-team group, recurring panel) do not
    /// clear an access when a personal relationship exists.
    pub fn relationship_findings(
        &self,
        rule: &'static str,
        user: Code,
        relation: impl Fn(Code) -> Option<Vec<Fact>>,
    ) -> Vec<Finding> {
        let mut out = Vec::new();
        for (patient, events) in self.patient_groups().of(user) {
            let Some(facts) = relation(patient) else { continue };
            let (unexplained, explained): (Vec<usize>, Vec<usize>) =
                events.iter().map(|&i| i as usize).partition(|&i| !self.explained.kind[i].is_patient_specific());
            for (evs, downgraded) in [(unexplained, false), (explained, true)] {
                if !evs.is_empty() {
                    out.push(Finding {
                        rule,
                        kind: AlertKind::Snooping,
                        user,
                        patient,
                        events: evs,
                        facts: facts.clone(),
                        downgraded,
                    });
                }
            }
        }
        out
    }

    /// Groups event indices of one user by patient, in patient-code order
    /// (indices in their given order within a patient). A sort of packed
    /// keys rather than a tree: this runs for every user in every
    /// relationship rule.
    pub fn by_patient(&self, indices: impl Iterator<Item = usize>) -> Vec<(Code, Vec<usize>)> {
        let patient = &self.data.events.patient;
        let mut keyed: Vec<(Code, usize)> = indices.filter(|&i| patient[i] != NONE).map(|i| (patient[i], i)).collect();
        // Stable on index order within a patient, as the tree was.
        keyed.sort_by_key(|k| k.0);
        let mut out: Vec<(Code, Vec<usize>)> = Vec::new();
        for (p, i) in keyed {
            match out.last_mut() {
                Some((q, v)) if *q == p => v.push(i),
                _ => out.push((p, vec![i])),
            }
        }
        out
    }
}
