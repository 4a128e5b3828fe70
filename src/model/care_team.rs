//! Care-team assignments: users a hospital system lists on a patient's
//! care (a treatment team, a primary-care panel, a research study's team),
//! each over an optional span of days.

use super::dictionary::{Code, FxHashMap};

/// One user on one patient's care team.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CareAssignment {
    /// User code.
    pub user: Code,
    /// From, UTC microseconds (the start day's local midnight);
    /// `i64::MIN` when the row gives no start.
    pub from: i64,
    /// Until, UTC microseconds (the local midnight after the end day);
    /// `i64::MAX` when the row gives no end (still on the team).
    pub until: i64,
}

impl CareAssignment {
    /// `user` from the start of day `start` to the end of day `end`
    /// (inclusive), each day's local midnight given in UTC microseconds by
    /// `midnight` (from days since 1970-01-01); an absent day leaves that
    /// side open.
    pub fn over_days(
        user: Code,
        start: Option<chrono::NaiveDate>,
        end: Option<chrono::NaiveDate>,
        mut midnight: impl FnMut(i64) -> i64,
    ) -> Self {
        let day = |d: chrono::NaiveDate| i64::from(crate::time::days_from_epoch(d));
        CareAssignment {
            user,
            from: start.map_or(i64::MIN, |d| midnight(day(d))),
            until: end.map_or(i64::MAX, |d| midnight(day(d) + 1)),
        }
    }
}

/// Care-team assignments by patient.
#[derive(Debug, Clone, Default)]
pub struct CareTeams {
    by_patient: FxHashMap<Code, Vec<CareAssignment>>,
    /// Rows accepted.
    pub rows: u64,
}

impl CareTeams {
    /// Adds one row's assignment.
    pub fn add(&mut self, patient: Code, a: CareAssignment) {
        self.rows += 1;
        let list = self.by_patient.entry(patient).or_default();
        if !list.contains(&a) {
            list.push(a);
        }
    }

    /// Whether `user` is on `patient`'s care team at `t` (UTC microseconds).
    pub fn covers(&self, patient: Code, user: Code, t: i64) -> bool {
        self.by_patient.get(&patient).is_some_and(|l| l.iter().any(|a| a.user == user && a.from <= t && t < a.until))
    }

    /// Patients with a care team listed.
    pub fn patients(&self) -> usize {
        self.by_patient.len()
    }

    /// Distinct users on any care team.
    pub fn users(&self) -> usize {
        self.user_codes().count()
    }

    /// The distinct users on any care team, ascending.
    pub fn user_codes(&self) -> impl Iterator<Item = Code> {
        let mut users: Vec<Code> = self.by_patient.values().flatten().map(|a| a.user).collect();
        users.sort_unstable();
        users.dedup();
        users.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_assignment_covers_its_span_and_its_user_only() {
        let mut t = CareTeams::default();
        t.add(7, CareAssignment { user: 3, from: 100, until: 200 });
        t.add(7, CareAssignment { user: 4, from: i64::MIN, until: i64::MAX });
        t.add(7, CareAssignment { user: 3, from: 100, until: 200 });
        assert!(t.covers(7, 3, 100) && t.covers(7, 3, 199));
        assert!(!t.covers(7, 3, 99) && !t.covers(7, 3, 200));
        assert!(t.covers(7, 4, -5) && t.covers(7, 4, i64::MAX - 1));
        assert!(!t.covers(8, 3, 150) && !t.covers(7, 5, 150));
        assert_eq!((t.rows, t.patients(), t.users()), (3, 1, 2));
    }
}
