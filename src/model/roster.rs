//! The HR roster (the `users` table), indexed by user code.

use chrono::NaiveDate;

use super::dictionary::Code;

/// One employee or account from the roster.
#[derive(Debug, Clone, Default)]
pub struct UserRecord {
    /// Given name.
    pub first_name: Option<String>,
    /// Family name.
    pub last_name: Option<String>,
    /// Role, lowercased (`physician`, `nurse`, ...).
    pub role: Option<String>,
    /// Home department code.
    pub department: Option<Code>,
    /// Home street address.
    pub address: Option<String>,
    /// Home zip code.
    pub zip: Option<String>,
    /// Home latitude.
    pub lat: Option<f64>,
    /// Home longitude.
    pub lon: Option<f64>,
    /// First day of employment.
    pub hire_date: Option<NaiveDate>,
    /// Last day of employment.
    pub termination_date: Option<NaiveDate>,
    /// The employee's own patient record, if any.
    pub patient: Option<Code>,
}

/// The roster, by user code. Users seen only in access_log have no record.
#[derive(Debug, Clone, Default)]
pub struct Roster {
    records: Vec<Option<UserRecord>>,
    /// Columns present in the input (lowercase contract names).
    pub columns: Vec<&'static str>,
}

impl Roster {
    /// An empty table whose input had `columns`.
    pub fn with_columns(columns: Vec<&'static str>) -> Self {
        Self { records: Vec::new(), columns }
    }

    /// Stores a record for `user`.
    pub fn insert(&mut self, user: Code, record: UserRecord) {
        let i = user as usize;
        if self.records.len() <= i {
            self.records.resize(i + 1, None);
        }
        self.records[i] = Some(record);
    }

    /// The record of `user`, if the roster has one.
    pub fn get(&self, user: Code) -> Option<&UserRecord> {
        self.records.get(user as usize).and_then(|r| r.as_ref())
    }

    /// Whether `user` has a record.
    pub fn contains(&self, user: Code) -> bool {
        self.get(user).is_some()
    }

    /// Whether the input had this column.
    pub fn has_column(&self, name: &str) -> bool {
        self.columns.contains(&name)
    }

    /// Iterates over (user code, record).
    pub fn iter(&self) -> impl Iterator<Item = (Code, &UserRecord)> {
        self.records.iter().enumerate().filter_map(|(i, r)| r.as_ref().map(|r| (i as Code, r)))
    }

    /// Number of users with a record.
    pub fn len(&self) -> usize {
        self.records.iter().filter(|r| r.is_some()).count()
    }

    /// Whether the roster is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
