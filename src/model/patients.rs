//! Patient demographics (the `patients` table), indexed by patient code.

use chrono::NaiveDate;

use super::dictionary::Code;

/// One patient.
#[derive(Debug, Clone, Default)]
pub struct PatientRecord {
    /// Given name.
    pub first_name: Option<String>,
    /// Family name.
    pub last_name: Option<String>,
    /// Date of birth.
    pub birth_date: Option<NaiveDate>,
    /// Home street address.
    pub address: Option<String>,
    /// Home zip code.
    pub zip: Option<String>,
    /// Home latitude.
    pub lat: Option<f64>,
    /// Home longitude.
    pub lon: Option<f64>,
    /// Date of death.
    pub deceased_date: Option<NaiveDate>,
    /// Public figure or otherwise flagged for close monitoring.
    pub vip: bool,
    /// Confidential chart.
    pub restricted: bool,
}

/// The patients table, by patient code.
#[derive(Debug, Clone, Default)]
pub struct Patients {
    records: Vec<Option<PatientRecord>>,
    /// Columns present in the input (lowercase contract names).
    pub columns: Vec<&'static str>,
}

impl Patients {
    /// An empty table whose input had `columns`.
    pub fn with_columns(columns: Vec<&'static str>) -> Self {
        Self { records: Vec::new(), columns }
    }

    /// Stores a record for `patient`.
    pub fn insert(&mut self, patient: Code, record: PatientRecord) {
        let i = patient as usize;
        if self.records.len() <= i {
            self.records.resize(i + 1, None);
        }
        self.records[i] = Some(record);
    }

    /// The record of `patient`, if the table has one.
    pub fn get(&self, patient: Code) -> Option<&PatientRecord> {
        self.records.get(patient as usize).and_then(|r| r.as_ref())
    }

    /// Whether the input had this column.
    pub fn has_column(&self, name: &str) -> bool {
        self.columns.contains(&name)
    }

    /// Number of patients with a record.
    pub fn len(&self) -> usize {
        self.records.iter().filter(|r| r.is_some()).count()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
