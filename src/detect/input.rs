//! What a rule sees, and the rule interface.

use std::ops::Range;

use rayon::prelude::*;

use super::finding::{AlertKind, Fact, Finding};
use super::relations::Relations;
use crate::config::Config;
use crate::explain::Explanations;
use crate::features::UserFeatures;
use crate::ingest::Ingested;
use crate::model::{Code, NONE};

/// Everything detectors read. Detectors never write to it.
#[derive(Clone, Copy)]
pub struct DetectInput<'a> {
    /// The bundle.
    pub data: &'a Ingested,
    /// One explanation per event.
    pub explained: &'a Explanations,
    /// Per-user features.
    pub features: &'a UserFeatures,
    /// The run's configuration.
    pub config: &'a Config,
    /// Normalised identities for relationship rules.
    pub relations: &'a Relations,
}

/// A detector that did not run, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedDetector {
    /// Rule id.
    pub rule: &'static str,
    /// Why, naming the missing table or column.
    pub reason: String,
}

/// A detection rule. One implementation per file under `rules/`.
pub trait Rule: Sync {
    /// Stable id, as written in alerts' `rules` column.
    fn id(&self) -> &'static str;

    /// The rule's weight in scoring, from the configuration.
    fn weight(&self, config: &Config) -> f64;

    /// Facts that earn a finding of this rule a stronger weight than
    /// [`Rule::weight`] (a coworker in the user's own department), with that
    /// weight. None by default.
    fn stronger_weights(&self, config: &Config) -> Vec<(Fact, f64)> {
        let _ = config;
        Vec::new()
    }

    /// `Err(reason)` when the data or the configuration does not allow the
    /// rule to run (a table or column missing, or disabled).
    fn check(&self, input: &DetectInput<'_>) -> Result<(), String>;

    /// Runs the rule. Only called after [`Rule::check`] succeeded.
    fn run(&self, input: &DetectInput<'_>) -> Vec<Finding>;
}

/// `Err("disabled in configuration")` when a rule is switched off.
pub fn enabled(on: bool) -> Result<(), String> {
    if on {
        Ok(())
    } else {
        Err("disabled in configuration".into())
    }
}

impl DetectInput<'_> {
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

    /// Relationship findings of one user: for each patient the user touched
    /// for whom `relation` gives facts, a snooping finding over the accesses
    /// no direct care link explains, and a downgraded finding over those one
    /// does. Inferred explanations (care-team group, recurring panel) do not
    /// clear an access when a personal relationship exists.
    pub fn relationship_findings(
        &self,
        rule: &'static str,
        user: Code,
        range: Range<usize>,
        relation: impl Fn(Code) -> Option<Vec<Fact>>,
    ) -> Vec<Finding> {
        let mut out = Vec::new();
        for (patient, events) in self.by_patient(range) {
            let Some(facts) = relation(patient) else { continue };
            let (unexplained, explained): (Vec<usize>, Vec<usize>) =
                events.into_iter().partition(|&i| !self.explained.kind[i].is_direct());
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
