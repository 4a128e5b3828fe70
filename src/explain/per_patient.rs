//! A sorted, deduplicated list of small records per patient, laid out flat:
//! what the care visits (`group.rs`) and the charting (`charted.rs`) keep,
//! built from one run's events at once or from the user partitions of a
//! partitioned run and merged, with the same result.

use rayon::prelude::*;

use crate::model::Code;

/// Per patient code, the sorted and deduplicated records of type `T`.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct PerPatient<T> {
    /// Per patient code: the range of `flat` that is theirs.
    start: Vec<usize>,
    flat: Vec<T>,
}

impl<T: Copy + Ord + Send + Default> PerPatient<T> {
    /// The records `each` yields, as (patient, record), for
    /// `n_patients` patients: a counting sort by patient into one flat
    /// vector (`each` is called twice and must yield the same records),
    /// then each patient's slice sorted and deduplicated in parallel.
    ///
    /// A record equal to the one yielded just before it is skipped at
    /// once (the result is deduplicated anyway): a user's events come in
    /// time order and mostly repeat the last patient on the same day, so
    /// most records never reach the flat vector.
    pub fn collect<I: Iterator<Item = (Code, T)>>(n_patients: usize, each: impl Fn() -> I) -> Self {
        let distinct = || {
            let mut last = None;
            each().filter(move |r| {
                let new = last != Some(*r);
                last = Some(*r);
                new
            })
        };
        let mut start = vec![0usize; n_patients + 1];
        for (p, _) in distinct() {
            start[p as usize + 1] += 1;
        }
        for p in 0..n_patients {
            start[p + 1] += start[p];
        }
        let mut flat = vec![T::default(); start[n_patients]];
        let mut next = start.clone();
        for (p, record) in distinct() {
            flat[next[p as usize]] = record;
            next[p as usize] += 1;
        }
        Self::sorted(start, flat)
    }

    /// Each patient's slice of `flat` (laid out by `start`) sorted and
    /// deduplicated in parallel, then compacted.
    fn sorted(start: Vec<usize>, mut flat: Vec<T>) -> Self {
        let n_patients = start.len().saturating_sub(1);
        let mut slices: Vec<&mut [T]> = Vec::with_capacity(n_patients);
        let mut rest: &mut [T] = &mut flat;
        for p in 0..n_patients {
            let (head, tail) = rest.split_at_mut(start[p + 1] - start[p]);
            slices.push(head);
            rest = tail;
        }
        let lens: Vec<usize> = slices
            .into_par_iter()
            .map(|s| {
                s.sort_unstable();
                let mut kept = 0;
                for r in 0..s.len() {
                    if kept == 0 || s[r] != s[kept - 1] {
                        s[kept] = s[r];
                        kept += 1;
                    }
                }
                kept
            })
            .collect();
        let mut out = PerPatient { start: vec![0; n_patients + 1], flat: Vec::with_capacity(lens.iter().sum()) };
        for p in 0..n_patients {
            out.flat.extend_from_slice(&flat[start[p]..start[p] + lens[p]]);
            out.start[p + 1] = out.flat.len();
        }
        out
    }

    /// The lists of several partitions of the run's users as one.
    pub fn merge(mut parts: Vec<Self>, n_patients: usize) -> Self {
        // One part (a run in memory) is merged already: no second copy.
        if parts.len() == 1 && parts[0].patients() == n_patients {
            return parts.pop().unwrap_or_default();
        }
        let mut start = vec![0usize; n_patients + 1];
        for part in &parts {
            for p in 0..part.patients().min(n_patients) {
                start[p + 1] += part.of(p as Code).len();
            }
        }
        for p in 0..n_patients {
            start[p + 1] += start[p];
        }
        let mut flat = Vec::with_capacity(start[n_patients]);
        for p in 0..n_patients {
            for part in &parts {
                if p < part.patients() {
                    flat.extend_from_slice(part.of(p as Code));
                }
            }
        }
        Self::sorted(start, flat)
    }

    /// The parts a codec writes: each patient's start in the flat list (one
    /// more than the patients), and the flat list.
    pub fn parts(&self) -> (&[usize], &[T]) {
        (&self.start, &self.flat)
    }

    /// A list from [`PerPatient::parts`] read back; `None` unless `start`
    /// begins at 0, never decreases and ends at the length of `flat`.
    pub fn from_parts(start: Vec<usize>, flat: Vec<T>) -> Option<Self> {
        let ordered = start.first().is_none_or(|&s| s == 0) && start.windows(2).all(|w| w[0] <= w[1]);
        let ends = start.last().map_or(flat.is_empty(), |&e| e == flat.len());
        (ordered && ends).then_some(PerPatient { start, flat })
    }

    /// Patients the list has room for.
    pub fn patients(&self) -> usize {
        self.start.len().saturating_sub(1)
    }

    /// Whether no patient has a record.
    pub fn is_empty(&self) -> bool {
        self.flat.is_empty()
    }

    /// A patient's records, in order.
    pub fn of(&self, patient: Code) -> &[T] {
        let p = patient as usize;
        if p + 1 >= self.start.len() {
            return &[];
        }
        &self.flat[self.start[p]..self.start[p + 1]]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_patients_records_are_sorted_and_distinct_whatever_repeats_in_a_row() {
        // Runs of repeats (skipped as they come), repeats far apart (left
        // to the sort), and patients with nothing.
        let records = [(2, 5), (2, 5), (2, 5), (0, 1), (2, 3), (2, 5), (0, 1), (0, 1), (3, 9), (2, 3)];
        let got = PerPatient::<u32>::collect(5, || records.iter().copied());
        assert_eq!(got.of(0), &[1]);
        assert_eq!(got.of(1), &[] as &[u32]);
        assert_eq!(got.of(2), &[3, 5]);
        assert_eq!(got.of(3), &[9]);
        assert!(got.of(4).is_empty() && got.of(99).is_empty());
        assert_eq!(got.parts().1.len(), 4);
        // The same records in another order give the same lists.
        let mut shuffled = records.to_vec();
        shuffled.reverse();
        assert_eq!(PerPatient::<u32>::collect(5, || shuffled.iter().copied()), got);
    }
}
