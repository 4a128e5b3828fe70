//! The access log as columns.
//!
//! One entry per accepted access_log row, sorted by (user, time, input order)
//! once ingest finishes, so each user's events are one contiguous slice and
//! per-user work can run in parallel over [`Events::user_ranges`].

use std::ops::Range;

use super::dictionary::{Code, NONE};

/// What the user did (the contract's `action` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Action {
    /// Opened part of the record.
    View,
    /// Charted or ordered.
    Create,
    /// Changed something.
    Update,
    /// Deleted something.
    Delete,
    /// Printed.
    Print,
    /// Exported or downloaded.
    Export,
    /// Searched (may open no record).
    Search,
    /// Logged in.
    Login,
    /// Logged out.
    Logout,
    /// Anything else; the raw values are counted in summary.json.
    Other,
}

impl Action {
    /// All actions, in contract order.
    pub const ALL: [Action; 10] = [
        Action::View,
        Action::Create,
        Action::Update,
        Action::Delete,
        Action::Print,
        Action::Export,
        Action::Search,
        Action::Login,
        Action::Logout,
        Action::Other,
    ];

    /// Reads a contract action, case-insensitively; `None` for unknown values.
    pub fn parse(s: &str) -> Option<Action> {
        // The contract's own spelling first: one comparison per row.
        match s {
            "view" => return Some(Action::View),
            "create" => return Some(Action::Create),
            "update" => return Some(Action::Update),
            "print" => return Some(Action::Print),
            "export" => return Some(Action::Export),
            "search" => return Some(Action::Search),
            "login" => return Some(Action::Login),
            "logout" => return Some(Action::Logout),
            "delete" => return Some(Action::Delete),
            _ => {}
        }
        let s = s.trim();
        Action::ALL.into_iter().find(|a| a != &Action::Other && s.eq_ignore_ascii_case(a.as_str()))
    }

    /// An action written another way than the contract's (a past tense,
    /// a synonym: "Printed", "Log On", "Downloaded", "Accessed"), read
    /// through [`alias_key`]; `None` when no built-in alias names it.
    /// Single letters (FHIR's C/R/U/D/E) are the FHIR importer's to map.
    pub fn alias(s: &str) -> Option<Action> {
        Self::alias_of_key(&alias_key(s))
    }

    /// [`Action::alias`] of a value already made an [`alias_key`].
    pub fn alias_of_key(key: &str) -> Option<Action> {
        if let Some(a) = Action::ALL.into_iter().find(|a| *a != Action::Other && a.as_str() == key) {
            return Some(a);
        }
        Some(match key {
            "viewed" | "read" | "open" | "opened" | "access" | "accessed" | "display" | "displayed" | "review"
            | "reviewed" | "chart_access" | "record_access" => Action::View,
            "created" | "add" | "added" | "insert" | "inserted" | "new" | "sign" | "signed" | "document"
            | "documented" => Action::Create,
            "updated" | "edit" | "edited" | "modify" | "modified" | "change" | "changed" | "amend" | "amended" => {
                Action::Update
            }
            "deleted" | "remove" | "removed" | "void" | "voided" => Action::Delete,
            "printed" | "print_report" | "report_printed" => Action::Print,
            "exported" | "download" | "downloaded" | "extract" | "extracted" | "export_data" => Action::Export,
            "searched" | "find" | "lookup" | "look_up" | "query" | "patient_search" | "patient_lookup" => {
                Action::Search
            }
            "log_in" | "logon" | "log_on" | "signin" | "sign_in" | "logged_in" => Action::Login,
            "log_out" | "logoff" | "log_off" | "signout" | "sign_out" | "logged_out" => Action::Logout,
            _ => return None,
        })
    }

    /// The contract's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::View => "view",
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Print => "print",
            Action::Export => "export",
            Action::Search => "search",
            Action::Login => "login",
            Action::Logout => "logout",
            Action::Other => "other",
        }
    }

    /// Whether the action needs a patient (login, logout and search may have none;
    /// `other` is unknown, so it is not held to it).
    pub fn needs_patient(self) -> bool {
        matches!(self, Action::View | Action::Create | Action::Update | Action::Delete | Action::Print | Action::Export)
    }

    /// Whether the action writes to the record (charting, ordering), which
    /// documents a working relationship with the patient.
    pub fn is_documentation(self) -> bool {
        matches!(self, Action::Create | Action::Update)
    }

    /// Whether the action takes data out of the system.
    pub fn is_extraction(self) -> bool {
        matches!(self, Action::Print | Action::Export)
    }
}

/// Part of the record touched (the contract's `data_category`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum DataCategory {
    /// Not given.
    Unspecified,
    /// Demographics.
    Demographics,
    /// Clinical notes.
    Notes,
    /// Lab and test results.
    Results,
    /// Medications.
    Medications,
    /// Imaging.
    Imaging,
    /// Orders.
    Orders,
    /// Billing.
    Billing,
    /// Sensitive: behavioural health.
    BehavioralHealth,
    /// Sensitive: substance use.
    SubstanceUse,
    /// Sensitive: HIV.
    Hiv,
    /// Sensitive: reproductive care.
    Reproductive,
    /// Sensitive: genetic.
    Genetic,
    /// A value outside the contract's list (counted in summary.json).
    Other,
}

impl DataCategory {
    /// All categories, in `repr` order (`ALL[c as usize] == c`).
    pub const ALL: [DataCategory; 14] = [
        DataCategory::Unspecified,
        DataCategory::Demographics,
        DataCategory::Notes,
        DataCategory::Results,
        DataCategory::Medications,
        DataCategory::Imaging,
        DataCategory::Orders,
        DataCategory::Billing,
        DataCategory::BehavioralHealth,
        DataCategory::SubstanceUse,
        DataCategory::Hiv,
        DataCategory::Reproductive,
        DataCategory::Genetic,
        DataCategory::Other,
    ];

    /// The contract's named categories (all but unspecified and other).
    fn named() -> impl Iterator<Item = DataCategory> {
        Self::ALL[1..Self::ALL.len() - 1].iter().copied()
    }

    /// Reads a contract category, case-insensitively; `None` for unknown values.
    pub fn parse(s: &str) -> Option<DataCategory> {
        if let Some(c) = Self::named().find(|c| c.as_str() == s) {
            return Some(c);
        }
        let s = s.trim();
        Self::named().find(|c| s.eq_ignore_ascii_case(c.as_str()))
    }

    /// A category written another way than the contract's ("Behavioral
    /// Health", "Mental Health", "Lab Results", "Meds", "Radiology"), read
    /// through [`alias_key`]; `None` when no built-in alias names it.
    pub fn alias(s: &str) -> Option<DataCategory> {
        Self::alias_of_key(&alias_key(s))
    }

    /// [`DataCategory::alias`] of a value already made an [`alias_key`].
    pub fn alias_of_key(key: &str) -> Option<DataCategory> {
        if let Some(c) = Self::named().find(|c| c.as_str() == key) {
            return Some(c);
        }
        use DataCategory as C;
        Some(match key {
            "demographic" | "patient_demographics" | "demographics_info" | "patient_information" | "face_sheet" => {
                C::Demographics
            }
            "note"
            | "clinical_note"
            | "clinical_notes"
            | "progress_note"
            | "progress_notes"
            | "documentation"
            | "clinical_documentation" => C::Notes,
            "result" | "lab" | "labs" | "lab_result" | "lab_results" | "laboratory" | "laboratory_results"
            | "test_results" => C::Results,
            "medication" | "meds" | "med" | "mar" | "prescriptions" | "prescription" | "medication_list" => {
                C::Medications
            }
            "image" | "images" | "radiology" | "radiology_results" | "xray" | "x_ray" => C::Imaging,
            "order" | "cpoe" | "order_entry" => C::Orders,
            "bill" | "charges" | "claims" | "financial" | "finance" | "insurance" => C::Billing,
            "behavioural_health"
            | "behavioral"
            | "behavioural"
            | "mental_health"
            | "psychiatry"
            | "psychiatric"
            | "psych"
            | "psychotherapy"
            | "psychotherapy_notes" => C::BehavioralHealth,
            "substance_abuse"
            | "substance_use_disorder"
            | "sud"
            | "chemical_dependency"
            | "addiction"
            | "alcohol_and_drug"
            | "drug_and_alcohol"
            | "42_cfr_part_2"
            | "part_2" => C::SubstanceUse,
            "hiv_aids" | "aids" | "hiv_status" | "hiv_results" => C::Hiv,
            "reproductive_health" | "family_planning" | "sexual_health" => C::Reproductive,
            "genetics" | "genomic" | "genomics" | "genetic_testing" | "genetic_results" => C::Genetic,
            _ => return Self::by_words(key),
        })
    }

    /// A longer description ("Psychiatric Progress Note", "Medication
    /// Administration Record") read by its words: a word naming a
    /// sensitive section wins (a psychiatric note is behavioural health),
    /// else the first word that names a section. `key` is an
    /// [`alias_key`].
    fn by_words(key: &str) -> Option<DataCategory> {
        use DataCategory as C;
        let words: Vec<&str> = key.split('_').collect();
        let has =
            |w: &str, starts: &[&str], exact: &[&str]| starts.iter().any(|s| w.starts_with(s)) || exact.contains(&w);
        let sensitive = |w: &str| {
            Some(if has(w, &["psych", "behavio", "mental"], &[]) {
                C::BehavioralHealth
            } else if has(w, &["substance", "alcohol", "addict"], &["sud"]) {
                C::SubstanceUse
            } else if has(w, &[], &["hiv", "aids"]) {
                C::Hiv
            } else if has(w, &["reproduct", "contracept"], &[]) {
                C::Reproductive
            } else if has(w, &["genetic", "genom"], &[]) {
                C::Genetic
            } else {
                return None;
            })
        };
        let plain = |w: &str| {
            Some(if has(w, &["demograph"], &["registration"]) {
                C::Demographics
            } else if has(w, &["note", "documentation", "narrative"], &[]) {
                C::Notes
            } else if has(w, &["result", "laborator", "patholog"], &["lab", "labs"]) {
                C::Results
            } else if has(w, &["medication", "pharmac", "prescri"], &["med", "meds", "mar", "rx"]) {
                C::Medications
            } else if has(w, &["imag", "radiolog"], &["xray", "ct", "mri", "ultrasound"]) {
                C::Imaging
            } else if has(w, &["order"], &["cpoe"]) {
                C::Orders
            } else if has(w, &["billing", "charge", "claim", "insur", "financ"], &["bill"]) {
                C::Billing
            } else {
                return None;
            })
        };
        words.iter().find_map(|w| sensitive(w)).or_else(|| words.iter().find_map(|w| plain(w)))
    }

    /// The contract's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            DataCategory::Unspecified => "",
            DataCategory::Demographics => "demographics",
            DataCategory::Notes => "notes",
            DataCategory::Results => "results",
            DataCategory::Medications => "medications",
            DataCategory::Imaging => "imaging",
            DataCategory::Orders => "orders",
            DataCategory::Billing => "billing",
            DataCategory::BehavioralHealth => "behavioral_health",
            DataCategory::SubstanceUse => "substance_use",
            DataCategory::Hiv => "hiv",
            DataCategory::Reproductive => "reproductive",
            DataCategory::Genetic => "genetic",
            DataCategory::Other => "other",
        }
    }

    /// Whether the category is one the contract calls sensitive.
    pub fn is_sensitive(self) -> bool {
        matches!(
            self,
            DataCategory::BehavioralHealth
                | DataCategory::SubstanceUse
                | DataCategory::Hiv
                | DataCategory::Reproductive
                | DataCategory::Genetic
        )
    }
}

/// A free-text value as an alias key: lower case, every run of characters
/// other than letters and digits one `_`, none at the ends ("Lab
/// Results" and "lab-results" are `lab_results`).
pub fn alias_key(s: &str) -> String {
    let mut key = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_alphanumeric() {
            key.extend(c.to_lowercase());
        } else if !key.is_empty() && !key.ends_with('_') {
            key.push('_');
        }
    }
    while key.ends_with('_') {
        key.pop();
    }
    key
}

/// Maps from one part's id codes (a file read on its own, a batch of the
/// incremental state) to the run's shared codes, per id space.
#[derive(Debug, Default)]
pub struct Recode {
    /// Users.
    pub users: Vec<Code>,
    /// Patients.
    pub patients: Vec<Code>,
    /// Departments.
    pub departments: Vec<Code>,
    /// Workstations.
    pub workstations: Vec<Code>,
    /// IP addresses.
    pub ips: Vec<Code>,
}

/// Accepted access_log rows, column by column.
#[derive(Debug, Default, Clone)]
pub struct Events {
    /// User code.
    pub user: Vec<Code>,
    /// Patient code, [`NONE`] for events without a patient.
    pub patient: Vec<Code>,
    /// UTC microseconds.
    pub ts: Vec<i64>,
    /// Action.
    pub action: Vec<Action>,
    /// Data category.
    pub category: Vec<DataCategory>,
    /// Workstation code or [`NONE`].
    pub workstation: Vec<Code>,
    /// IP code or [`NONE`].
    pub ip: Vec<Code>,
    /// Department code of the access context or [`NONE`].
    pub department: Vec<Code>,
    /// Break-the-glass flag.
    pub break_glass: Vec<bool>,
    /// Where the row came from: index into the ingest report's files.
    pub source_file: Vec<u32>,
    /// Where the row came from: line (CSV) or 1-based row (Parquet).
    pub source_line: Vec<u64>,
}

/// Runs `$body` once per column of an [`Events`], with `$c` bound to a
/// mutable reference to it (each column has its own type, so this is a
/// macro rather than a loop).
macro_rules! each_column {
    ($events:expr, $c:ident => $body:expr) => {
        each_column!(@fields $events, $c => $body; user, patient, ts, action, category, workstation, ip,
            department, break_glass, source_file, source_line)
    };
    (@fields $events:expr, $c:ident => $body:expr; $($field:ident),*) => {{
        $({
            let $c = &mut $events.$field;
            $body;
        })*
    }};
}
pub(crate) use each_column;

impl Events {
    /// Number of events.
    pub fn len(&self) -> usize {
        self.ts.len()
    }

    /// Whether there are no events.
    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }

    /// Reserves room for `n` more events in every column.
    pub fn reserve(&mut self, n: usize) {
        each_column!(self, c => c.reserve(n));
    }

    /// [`Events::reserve`] that reports a failed allocation instead of
    /// aborting: the count may come from a file's metadata, which can lie.
    pub fn try_reserve(&mut self, n: usize) -> Result<(), std::collections::TryReserveError> {
        each_column!(self, c => c.try_reserve(n)?);
        Ok(())
    }

    /// The first and last instant, `None` without events.
    pub fn time_range(&self) -> Option<(i64, i64)> {
        self.ts.iter().min().zip(self.ts.iter().max()).map(|(a, b)| (*a, *b))
    }

    /// Moves `other`'s events to the end of these.
    pub fn append(&mut self, mut other: Events) {
        self.user.append(&mut other.user);
        self.patient.append(&mut other.patient);
        self.ts.append(&mut other.ts);
        self.action.append(&mut other.action);
        self.category.append(&mut other.category);
        self.workstation.append(&mut other.workstation);
        self.ip.append(&mut other.ip);
        self.department.append(&mut other.department);
        self.break_glass.append(&mut other.break_glass);
        self.source_file.append(&mut other.source_file);
        self.source_line.append(&mut other.source_line);
    }

    /// The events at `idx`, in that order, as new columns.
    pub fn gather(&self, idx: &[usize]) -> Events {
        fn pick<T: Copy>(column: &[T], idx: &[usize]) -> Vec<T> {
            idx.iter().map(|&i| column[i]).collect()
        }
        Events {
            user: pick(&self.user, idx),
            patient: pick(&self.patient, idx),
            ts: pick(&self.ts, idx),
            action: pick(&self.action, idx),
            category: pick(&self.category, idx),
            workstation: pick(&self.workstation, idx),
            ip: pick(&self.ip, idx),
            department: pick(&self.department, idx),
            break_glass: pick(&self.break_glass, idx),
            source_file: pick(&self.source_file, idx),
            source_line: pick(&self.source_line, idx),
        }
    }

    /// Whether event `i` touched a patient record.
    pub fn has_patient(&self, i: usize) -> bool {
        self.patient[i] != NONE
    }

    /// Maps these events' id codes to the shared ones in place ([`NONE`]
    /// stays none), the five id columns in parallel.
    pub fn recode(&mut self, maps: &Recode) {
        fn map(column: &mut [Code], to: &[Code]) {
            column.iter_mut().filter(|c| **c != NONE).for_each(|c| *c = to[*c as usize]);
        }
        rayon::scope(|s| {
            s.spawn(|_| map(&mut self.user, &maps.users));
            s.spawn(|_| map(&mut self.patient, &maps.patients));
            s.spawn(|_| map(&mut self.workstation, &maps.workstations));
            s.spawn(|_| map(&mut self.ip, &maps.ips));
            s.spawn(|_| map(&mut self.department, &maps.departments));
        });
    }

    /// Sorts by (user, time), keeping input order among equal keys, so that
    /// results never depend on how files were split.
    pub fn sort_by_user_time(&mut self) {
        let mut parts = SortedParts::default();
        parts.push(std::mem::take(self));
        *self = parts.into_sorted();
    }

    /// Sorts each user's slice (`start[u]..start[u + 1]`, from a counting
    /// sort by user) by time, stably. Logs are mostly written in time order,
    /// so this usually finds nothing to do. `start` may also list runs of
    /// consecutive users (a spilled partition's) rather than every code.
    pub(crate) fn sort_within_users(&mut self, start: &[usize]) {
        use rayon::prelude::*;
        let n = self.len();
        let users = start.len() - 1;
        let ts = &self.ts;
        let unsorted: Vec<usize> = (0..users)
            .into_par_iter()
            .filter(|&u| !ts[start[u]..start[u + 1]].windows(2).all(|w| w[0] <= w[1]))
            .collect();
        if unsorted.is_empty() {
            return;
        }
        let mut order: Vec<u32> = (0..n as u32).collect();
        {
            let mut rest: &mut [u32] = &mut order;
            let mut offset = 0;
            let mut slices = Vec::with_capacity(unsorted.len());
            for &u in &unsorted {
                let (_, tail) = rest.split_at_mut(start[u] - offset);
                let (slice, tail) = tail.split_at_mut(start[u + 1] - start[u]);
                slices.push(slice);
                rest = tail;
                offset = start[u + 1];
            }
            slices.into_par_iter().for_each(|s| s.sort_by_key(|&i| ts[i as usize]));
        }
        fn permute<T: Copy + Send + Sync>(v: &mut Vec<T>, order: &[u32]) {
            let out: Vec<T> = order.par_iter().map(|&i| v[i as usize]).collect();
            *v = out;
        }
        each_column!(self, c => permute(c, &order));
    }

    /// The contiguous range of each user's events, in user-code order.
    /// Requires [`Events::sort_by_user_time`] to have run.
    pub fn user_ranges(&self) -> Vec<(Code, Range<usize>)> {
        /// Events compared at once: a user's run (thousands of events) is
        /// crossed a block at a time, in a loop the compiler vectorises,
        /// instead of one branch per event (called a dozen times a run).
        const BLOCK: usize = 64;
        let users = &self.user;
        let mut out = Vec::new();
        let mut start = 0;
        while start < users.len() {
            let u = users[start];
            let mut end = start + 1;
            while end + BLOCK <= users.len() && users[end..end + BLOCK].iter().fold(true, |same, &x| same & (x == u)) {
                end += BLOCK;
            }
            while end < users.len() && users[end] == u {
                end += 1;
            }
            out.push((u, start..end));
            start = end;
        }
        out
    }
}

/// Parts of the access log in input order, with ids in the run's shared
/// codes, sorted by (user, time) into one [`Events`] at the end.
///
/// The counting sort by user scatters every part straight into the sorted
/// columns, each allocated once at its final size: the events are not
/// first appended into one set of columns and then copied again, which at
/// 11.7 M events was a full copy of the log (half a gigabyte of fresh
/// pages) for nothing.
#[derive(Debug, Default)]
pub struct SortedParts {
    parts: Vec<Events>,
    len: usize,
}

impl SortedParts {
    /// Adds the next part, whose codes are already the shared ones.
    pub fn push(&mut self, part: Events) {
        if !part.is_empty() {
            self.len += part.len();
            self.parts.push(part);
        }
    }

    /// Adds the next part, mapping its codes to the shared ones first
    /// ([`Events::recode`]).
    pub fn push_recoded(&mut self, mut part: Events, maps: &Recode) {
        part.recode(maps);
        self.push(part);
    }

    /// Number of events in all parts.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no part holds an event.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The parts' events as one [`Events`], sorted by (user, time), ties
    /// in input order (the parts' order, then each part's).
    pub fn into_sorted(self) -> Events {
        let SortedParts { parts, len: n } = self;
        if n == 0 {
            return Events::default();
        }
        // A counting sort by user, done as a scatter: each column is read
        // in input order and written into one sequential stream per user
        // (far cheaper than gathering from random positions at 100 M
        // events). It is stable, so each user's events stay in input order.
        let users = parts.iter().flat_map(|p| p.user.iter().copied().max()).max().map_or(0, |m| m as usize + 1);
        let mut start = vec![0usize; users + 1];
        for p in &parts {
            for &u in &p.user {
                start[u as usize + 1] += 1;
            }
        }
        for u in 0..users {
            start[u + 1] += start[u];
        }
        let mut next = start.clone();
        let dest: Vec<Vec<u32>> = parts
            .iter()
            .map(|p| {
                p.user
                    .iter()
                    .map(|&u| {
                        let d = next[u as usize];
                        next[u as usize] += 1;
                        d as u32
                    })
                    .collect()
            })
            .collect();
        // Each column task takes that column of every part and frees each
        // part's piece once written, so memory holds the log about once
        // plus the columns in flight, not twice.
        let mut sorted = Events::default();
        let mut parts = parts;
        {
            let dest = &dest;
            macro_rules! scatter_into {
                ($s:ident; $($field:ident),*) => {
                    $(
                        let out = &mut sorted.$field;
                        let column: Vec<_> = parts.iter_mut().map(|p| std::mem::take(&mut p.$field)).collect();
                        $s.spawn(move |_| {
                            scatter(out, n, column, dest);
                            // The parts' columns were freed into the heap, the
                            // sorted one is a fresh mapping: give them back now.
                            crate::allocator::release_free();
                        });
                    )*
                };
            }
            rayon::scope(|s| {
                scatter_into!(s; user, patient, ts, action, category, workstation, ip, department, break_glass,
                    source_file, source_line);
            });
        }
        drop(parts);
        sorted.sort_within_users(&start);
        sorted
    }
}

/// Writes each part's values (`parts`, one column of each, in input
/// order) to their destinations in `out` (emptied first), `n` values in
/// all, freeing each part's values once written. The destinations over all
/// parts are a permutation of `0..n` (a counting sort's), so every slot is
/// written exactly once; each column is allocated once and written once,
/// with no fill beforehand.
fn scatter<T: Copy>(out: &mut Vec<T>, n: usize, parts: Vec<Vec<T>>, dest: &[Vec<u32>]) {
    out.clear();
    out.reserve_exact(n);
    let slots = &mut out.spare_capacity_mut()[..n];
    let mut written = 0usize;
    for (values, dest) in parts.into_iter().zip(dest) {
        assert_eq!(values.len(), dest.len(), "one destination per value");
        for (x, &d) in values.iter().zip(dest.iter()) {
            slots[d as usize].write(*x);
        }
        written += values.len();
    }
    assert_eq!(written, n, "a counting sort's destinations cover every slot");
    // SAFETY: the destinations are a permutation of 0..n (counted from the
    // same user columns, each slot handed out once), and `written == n`
    // values were written through them, so all of out[..n] is initialised.
    unsafe { out.set_len(n) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reservation_for_a_lying_row_count_fails_instead_of_aborting() {
        let mut e = Events::default();
        // What a Parquet footer claiming 2^60 rows would ask for.
        assert!(e.try_reserve(1 << 60).is_err());
        assert!(e.try_reserve(1000).is_ok());
        assert!(e.user.capacity() >= 1000 && e.ts.capacity() >= 1000);
    }

    /// Appends a view without a patient by `user` at `ts`, from input line `line`.
    #[test]
    fn parts_sorted_together_equal_one_part_sorted_and_are_recoded() {
        // The same pseudo-random events cut into uneven parts (one empty),
        // each part's users coded locally as code + 100 and recoded back:
        // the sorted result is the one-part sort's, column for column.
        let mut whole = Events::default();
        let mut x: u64 = 11;
        for line in 0..3000u64 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let u = ((x >> 33) % 23) as u32;
            view(&mut whole, u, ((x >> 20) % 40) as i64, line);
            whole.patient[line as usize] = if line % 5 == 0 { NONE } else { (x >> 40) as u32 % 9 };
        }
        let maps = Recode {
            users: (0..200u32).map(|c| c.saturating_sub(100)).collect(),
            patients: (0..9).collect(),
            ..Recode::default()
        };
        let mut parts = SortedParts::default();
        for range in [0..700usize, 700..700, 700..2999, 2999..3000] {
            let mut part = whole.gather(&range.collect::<Vec<_>>());
            part.user.iter_mut().for_each(|u| *u += 100);
            parts.push_recoded(part, &maps);
        }
        assert_eq!(parts.len(), 3000);
        let got = parts.into_sorted();
        whole.sort_by_user_time();
        assert_eq!(got.user, whole.user);
        assert_eq!(got.patient, whole.patient);
        assert_eq!(got.ts, whole.ts);
        assert_eq!(got.source_line, whole.source_line);
        assert!(SortedParts::default().into_sorted().is_empty());
    }

    fn view(e: &mut Events, user: Code, ts: i64, line: u64) {
        e.user.push(user);
        e.patient.push(NONE);
        e.ts.push(ts);
        e.action.push(Action::View);
        e.category.push(DataCategory::Unspecified);
        e.workstation.push(NONE);
        e.ip.push(NONE);
        e.department.push(NONE);
        e.break_glass.push(false);
        e.source_file.push(0);
        e.source_line.push(line);
    }

    #[test]
    fn actions_parse_case_insensitively_and_unknowns_are_none() {
        assert_eq!(Action::parse(" VIEW "), Some(Action::View));
        assert_eq!(Action::parse("Export"), Some(Action::Export));
        assert_eq!(Action::parse("other"), None);
        assert_eq!(Action::parse("frobnicate"), None);
    }

    #[test]
    fn all_lists_are_in_repr_order() {
        // The incremental state stores actions and categories by these indices.
        for (i, a) in Action::ALL.into_iter().enumerate() {
            assert_eq!(a as usize, i);
        }
        for (i, c) in DataCategory::ALL.into_iter().enumerate() {
            assert_eq!(c as usize, i);
        }
    }

    #[test]
    fn sorting_equals_a_sort_by_user_time_and_input_position() {
        // Pseudo-random users and times with many ties, some users out of
        // time order: the result is the order of (user, time, position).
        let mut e = Events::default();
        let mut x: u64 = 7;
        for line in 0..5000u64 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let u = ((x >> 33) % 37) as u32;
            let t = ((x >> 20) % 50) as i64;
            view(&mut e, u, if u % 3 == 0 { line as i64 } else { t }, line);
        }
        let mut want: Vec<(u32, i64, u64)> = (0..e.len()).map(|i| (e.user[i], e.ts[i], e.source_line[i])).collect();
        want.sort();
        e.sort_by_user_time();
        let got: Vec<(u32, i64, u64)> = (0..e.len()).map(|i| (e.user[i], e.ts[i], e.source_line[i])).collect();
        assert_eq!(got, want);
    }

    /// Values written the way other systems write them map through the
    /// built-in aliases; what no alias names stays unknown.
    #[test]
    fn aliases_read_other_spellings_and_leave_the_unknown_alone() {
        assert_eq!(alias_key("  Lab -- Results "), "lab_results");
        assert_eq!(alias_key("42 CFR Part 2"), "42_cfr_part_2");
        for (raw, want) in [
            ("Behavioral Health", DataCategory::BehavioralHealth),
            ("behavioral-health", DataCategory::BehavioralHealth),
            ("Mental Health", DataCategory::BehavioralHealth),
            ("Psychiatry", DataCategory::BehavioralHealth),
            ("Substance Abuse", DataCategory::SubstanceUse),
            ("42 CFR Part 2", DataCategory::SubstanceUse),
            ("HIV/AIDS", DataCategory::Hiv),
            ("Family Planning", DataCategory::Reproductive),
            ("Genetic Testing", DataCategory::Genetic),
            ("Lab Results", DataCategory::Results),
            ("Meds", DataCategory::Medications),
            ("Radiology", DataCategory::Imaging),
            ("Progress Notes", DataCategory::Notes),
            ("Order Entry", DataCategory::Orders),
            ("Face Sheet", DataCategory::Demographics),
            ("Claims", DataCategory::Billing),
            ("Psychiatric Progress Note", DataCategory::BehavioralHealth),
            ("HIV Viral Load Result", DataCategory::Hiv),
            ("Alcohol Use Screening", DataCategory::SubstanceUse),
            ("Genomic Report", DataCategory::Genetic),
            ("Medication Administration Record", DataCategory::Medications),
            ("CT Report", DataCategory::Imaging),
            ("Discharge Summary Note", DataCategory::Notes),
            ("Insurance Coverage", DataCategory::Billing),
        ] {
            assert_eq!(DataCategory::alias(raw), Some(want), "{raw}");
        }
        for raw in ["tattoos", "", "---", "other", "unspecified", "H", "Media Library", "Chart Summary"] {
            assert_eq!(DataCategory::alias(raw), None, "{raw}");
        }
        for (raw, want) in [
            ("Printed", Action::Print),
            ("Downloaded", Action::Export),
            ("Accessed", Action::View),
            ("Log On", Action::Login),
            ("sign-out", Action::Logout),
            ("Patient Lookup", Action::Search),
            ("Modified", Action::Update),
            ("Signed", Action::Create),
            ("Voided", Action::Delete),
        ] {
            assert_eq!(Action::alias(raw), Some(want), "{raw}");
        }
        // FHIR's one-letter codes are the importer's, and "other" is not an alias.
        for raw in ["R", "E", "other", "approve"] {
            assert_eq!(Action::alias(raw), None, "{raw}");
        }
    }

    #[test]
    fn sensitive_categories() {
        assert!(DataCategory::parse("HIV").unwrap().is_sensitive());
        assert!(!DataCategory::parse("notes").unwrap().is_sensitive());
        assert_eq!(DataCategory::parse("tattoos"), None);
    }

    #[test]
    fn user_ranges_are_the_runs_of_equal_users() {
        // Runs shorter and longer than a block, and a user returning after
        // another (unsorted input): every run, in order, as a plain scan
        // finds them.
        let mut e = Events::default();
        let mut line = 0;
        for (u, n) in [(3u32, 1usize), (0, 64), (1, 65), (2, 200), (0, 3), (5, 63), (5, 0), (4, 129), (3, 1)] {
            for _ in 0..n {
                view(&mut e, u, 0, line);
                line += 1;
            }
        }
        let mut want = Vec::new();
        let mut start = 0;
        for i in 1..=e.len() {
            if i == e.len() || e.user[i] != e.user[start] {
                want.push((e.user[start], start..i));
                start = i;
            }
        }
        assert_eq!(e.user_ranges(), want);
        assert_eq!(want.len(), 8);
        assert!(Events::default().user_ranges().is_empty());
    }

    #[test]
    fn sorting_groups_users_and_keeps_ties_in_input_order() {
        let mut e = Events::default();
        for (u, t, line) in [(1, 5, 1), (0, 9, 2), (1, 5, 3), (0, 1, 4)] {
            view(&mut e, u, t, line);
        }
        e.sort_by_user_time();
        assert_eq!(e.source_line, vec![4, 2, 1, 3]);
        assert_eq!(e.user_ranges(), vec![(0, 0..2), (1, 2..4)]);
    }
}
