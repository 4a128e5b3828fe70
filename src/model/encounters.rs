//! Encounters (the care that explains accesses), grouped by patient.

use super::dictionary::Code;

/// One encounter.
#[derive(Debug, Clone)]
pub struct Encounter {
    /// Patient code.
    pub patient: Code,
    /// Department where the care happened, if known.
    pub department: Option<Code>,
    /// Start, UTC microseconds.
    pub start: i64,
    /// End, UTC microseconds; `None` while still open.
    pub end: Option<i64>,
    /// Attending or scheduled clinician.
    pub provider: Option<Code>,
}

/// Encounters sorted by (patient, start), with an index from patient code to
/// the patient's slice.
#[derive(Debug, Clone, Default)]
pub struct Encounters {
    rows: Vec<Encounter>,
    offsets: Vec<u32>,
    /// Columns present in the input (lowercase contract names).
    pub columns: Vec<&'static str>,
}

impl Encounters {
    /// Builds the index. `patients` is the size of the patient dictionary.
    pub fn new(mut rows: Vec<Encounter>, patients: usize, columns: Vec<&'static str>) -> Self {
        rows.sort_by_key(|e| (e.patient, e.start, e.end, e.department, e.provider));
        let mut offsets = vec![0u32; patients + 1];
        for e in &rows {
            offsets[e.patient as usize + 1] += 1;
        }
        for i in 1..offsets.len() {
            offsets[i] += offsets[i - 1];
        }
        Self { rows, offsets, columns }
    }

    /// The encounters of one patient, oldest first.
    pub fn of_patient(&self, patient: Code) -> &[Encounter] {
        let p = patient as usize;
        if p + 1 >= self.offsets.len() {
            return &[];
        }
        &self.rows[self.offsets[p] as usize..self.offsets[p + 1] as usize]
    }

    /// A hint that the encounters of `patient` are about to be read: their
    /// first cache lines are fetched meanwhile. Explaining an access looks
    /// up its patient's encounters, a patient in a table of hundreds of
    /// thousands of rows, so without the hint each access waits for memory.
    #[inline]
    pub fn prefetch(&self, patient: Code) {
        let p = patient as usize;
        if p + 1 >= self.offsets.len() {
            return;
        }
        let rows = &self.rows[self.offsets[p] as usize..self.offsets[p + 1] as usize];
        #[cfg(target_arch = "x86_64")]
        for line in rows.chunks(2).take(2) {
            // SAFETY: a prefetch only loads a cache line; it never faults
            // nor changes memory, and the address is that of a live row.
            unsafe { std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(line.as_ptr().cast::<i8>()) }
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = rows;
    }

    /// The department code of every encounter that names one (repeats
    /// included).
    pub fn departments(&self) -> impl Iterator<Item = Code> + '_ {
        self.rows.iter().filter_map(|e| e.department)
    }

    /// Whether the input had this column.
    pub fn has_column(&self, name: &str) -> bool {
        self.columns.contains(&name)
    }

    /// Number of encounters.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_returns_each_patients_encounters_in_time_order() {
        let enc = |p, s| Encounter { patient: p, department: None, start: s, end: None, provider: None };
        let e = Encounters::new(vec![enc(2, 5), enc(0, 3), enc(2, 1)], 4, vec![]);
        assert_eq!(e.of_patient(2).iter().map(|x| x.start).collect::<Vec<_>>(), vec![1, 5]);
        assert_eq!(e.of_patient(0).len(), 1);
        assert!(e.of_patient(1).is_empty());
        assert!(e.of_patient(99).is_empty());
    }
}
