//! The simulation's own statistics, for the terminal and for tests. Holds no
//! patient ids or names.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use super::params::{Export, Realism};

/// Activity of one role.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleStats {
    /// Role name as in users.csv.
    pub role: &'static str,
    /// Accounts with the role.
    pub users: usize,
    /// Shifts worked.
    pub shifts: u64,
    /// Rows written.
    pub events: u64,
    /// Share of the role's care rows with a patient linked to an encounter
    /// by provider or department.
    pub linked: f64,
}

impl RoleStats {
    /// Rows per account per calendar day.
    pub fn per_user_day(&self, days: u32) -> f64 {
        self.events as f64 / (self.users.max(1) as f64 * days.max(1) as f64)
    }

    /// Rows per shift worked.
    pub fn per_shift(&self) -> f64 {
        self.events as f64 / self.shifts.max(1) as f64
    }
}

/// What a simulation produced.
#[derive(Debug, Clone)]
pub struct SimulationReport {
    /// Output folder.
    pub out: PathBuf,
    /// Access-log rows written.
    pub events: u64,
    /// Accounts.
    pub users: usize,
    /// Patients.
    pub patients: usize,
    /// Encounters written.
    pub encounters: usize,
    /// Encounters taken from Synthea.
    pub synthea_encounters: usize,
    /// Simulated days.
    pub days: u32,
    /// Per-role activity.
    pub roles: Vec<RoleStats>,
    /// Care rows with a patient.
    pub legit_patient_events: u64,
    /// Share of care rows linked to an encounter of the patient by provider
    /// or department (the user's home or the access's unit), within the
    /// encounter (one day before to seven days after).
    pub linked_strict: f64,
    /// Share of care rows linked to any current or recent encounter of the
    /// patient (three days before to 45 days after).
    pub linked_any: f64,
    /// Share of care rows explained as ehrwatch's explain stage does it
    /// without co-access groups: provider or department, charting in the
    /// record the same day, or role timing (coding and billing after
    /// discharge, registration around the visit, pharmacy, lab, radiology
    /// and case management during care).
    pub explained: f64,
    /// Share of all patient rows (care and incidents) linked strictly.
    pub linked_strict_all: f64,
    /// Incident rows with a patient.
    pub incident_patient_events: u64,
    /// Share of those linked strictly (should be near zero).
    pub incident_linked: f64,
    /// Incidents per scenario.
    pub incidents: BTreeMap<&'static str, usize>,
    /// Scenarios for which an incident could not be placed.
    pub incidents_skipped: Vec<&'static str>,
    /// Look-alike rows per scenario.
    pub lookalikes: BTreeMap<&'static str, usize>,
    /// Wall time in seconds.
    pub seconds: f64,
    /// Which world was simulated.
    pub realism: Realism,
    /// How it was written.
    pub export: Export,
}

impl fmt::Display for SimulationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "simulated {} days: {} users, {} patients, {} encounters{}",
            self.days,
            self.users,
            self.patients,
            self.encounters,
            if self.synthea_encounters > 0 {
                format!(" ({} from synthea)", self.synthea_encounters)
            } else {
                String::new()
            }
        )?;
        if (self.realism, self.export) != (Realism::Clean, Export::Clean) {
            let world = if self.realism == Realism::Real { "real" } else { "clean" };
            let export = if self.export == Export::Hr { "hr" } else { "clean" };
            writeln!(f, "world: {world}, export: {export}")?;
        }
        writeln!(f, "wrote {} access-log rows to {} in {:.1} s", self.events, self.out.display(), self.seconds)?;
        writeln!(
            f,
            "{:<18} {:>6} {:>10} {:>13} {:>10} {:>8}",
            "role", "users", "events", "per user-day", "per shift", "linked"
        )?;
        for r in &self.roles {
            writeln!(
                f,
                "{:<18} {:>6} {:>10} {:>13.1} {:>10.1} {:>7.1}%",
                r.role,
                r.users,
                r.events,
                r.per_user_day(self.days),
                r.per_shift(),
                100.0 * r.linked
            )?;
        }
        writeln!(
            f,
            "care accesses linked to an encounter by provider or department: {:.1}%",
            100.0 * self.linked_strict
        )?;
        writeln!(f, "care accesses linked to any current or recent encounter: {:.1}%", 100.0 * self.linked_any)?;
        writeln!(
            f,
            "care accesses explained by provider, department, charting or role timing: {:.1}%",
            100.0 * self.explained
        )?;
        writeln!(f, "all patient accesses linked by provider or department: {:.1}%", 100.0 * self.linked_strict_all)?;
        let n: usize = self.incidents.values().sum();
        writeln!(
            f,
            "incidents: {n} ({} patient rows, {:.1}% linked)",
            self.incident_patient_events,
            100.0 * self.incident_linked
        )?;
        for (k, v) in &self.incidents {
            writeln!(f, "  {k:<22} {v}")?;
        }
        if !self.incidents_skipped.is_empty() {
            writeln!(f, "  could not place: {}", self.incidents_skipped.join(", "))?;
        }
        writeln!(f, "look-alikes (lookalikes.csv rows):")?;
        for (k, v) in &self.lookalikes {
            writeln!(f, "  {k:<22} {v}")?;
        }
        Ok(())
    }
}
