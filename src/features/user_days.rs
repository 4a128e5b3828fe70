//! Per user and local day: the daily series that baselines and the
//! exfiltration rules read.

use std::ops::Range;

use crate::explain::Explanation;
use crate::ingest::Ingested;
use crate::model::{Code, FxHashMap, FxHashSet, Partition, NONE};
use crate::time::{LocalTime, MICROS_PER_HOUR};

use super::usual_hours::UsualHours;

/// One user's activity on one local day.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DayStats {
    /// Local day (days since 1970-01-01).
    pub day: i32,
    /// Index range into the user's events (the partition's events) for this day.
    pub events: Range<usize>,
    /// Patient accesses.
    pub patient_accesses: u64,
    /// Distinct patients.
    pub distinct_patients: u64,
    /// Distinct patients with at least one access care does not explain.
    pub unexplained_patients: u64,
    /// Distinct patients printed or exported.
    pub extraction_patients: u64,
    /// Print and export actions.
    pub extraction_events: u64,
    /// Distinct patients printed or exported in an access care does not
    /// explain (printing discharge papers for one's own patients is work).
    pub unexplained_extraction_patients: u64,
    /// Distinct patients exported (to a file, not printed), whatever the
    /// care link.
    pub export_patients: u64,
    /// The most distinct patients exported within any one hour.
    pub export_peak_hour_patients: u64,
    /// Patient accesses outside the user's usual hours.
    pub after_hours: u64,
    /// Most distinct patients opened within any 60-minute window.
    pub peak_hour_patients: u64,
    /// Workstations used this day that the user had not used on an earlier day.
    pub new_workstations: u64,
    /// IP addresses used this day that the user had not used on an earlier day.
    pub new_ips: u64,
    /// Distinct patients never opened by this user on an earlier day.
    pub first_time_patients: u64,
}

/// What is read of a user's daily series outside the user's partition
/// (the peers' busiest days, the profile, `user_features.parquet`): kept for every
/// user, while a partitioned run keeps the series itself only while the
/// user's partition is worked on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Busiest {
    /// The most distinct patients of any day.
    pub distinct_patients: u32,
    /// The most distinct patients printed or exported on any day.
    pub extraction_patients: u32,
    /// The most distinct patients exported on any day.
    pub export_patients: u32,
    /// The most distinct patients exported within any one hour.
    pub export_peak_hour_patients: u32,
    /// Days with a workstation or IP network new to the user.
    pub new_device_days: u32,
    /// The most distinct patients opened within any one hour.
    pub peak_hour_patients: u32,
    /// Distinct patients, summed over the days.
    pub patient_days: u32,
    /// Over the days after the first: distinct patients never opened
    /// before, and distinct patients, each summed.
    pub later_first_time: u32,
    /// See `later_first_time`.
    pub later_patients: u32,
}

impl Busiest {
    /// The summary of a daily series.
    pub fn of(days: &[DayStats]) -> Busiest {
        let most = |f: fn(&DayStats) -> u64| days.iter().map(f).max().map_or(0, saturate);
        Busiest {
            distinct_patients: most(|d| d.distinct_patients),
            extraction_patients: most(|d| d.extraction_patients),
            export_patients: most(|d| d.export_patients),
            export_peak_hour_patients: most(|d| d.export_peak_hour_patients),
            new_device_days: saturate(days.iter().filter(|d| d.new_workstations + d.new_ips > 0).count() as u64),
            peak_hour_patients: most(|d| d.peak_hour_patients),
            patient_days: saturate(days.iter().map(|d| d.distinct_patients).sum()),
            later_first_time: saturate(days.iter().skip(1).map(|d| d.first_time_patients).sum()),
            later_patients: saturate(days.iter().skip(1).map(|d| d.distinct_patients).sum()),
        }
    }
}

/// A count as `u32`, capped (a day of more than 4 billion patients is not
/// a day this tool sees).
fn saturate(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Most distinct patients within any `window` of time, over events sorted by time.
pub fn peak_distinct(ts: &[i64], patients: &[Code], window: i64) -> u64 {
    peak_distinct_with(ts, patients, window, &mut FxHashMap::default())
}

/// [`peak_distinct`] with the caller's (cleared, reused) count map.
fn peak_distinct_with(ts: &[i64], patients: &[Code], window: i64, counts: &mut FxHashMap<Code, u32>) -> u64 {
    counts.clear();
    let mut best = 0usize;
    let mut lo = 0;
    for hi in 0..ts.len() {
        if patients[hi] != NONE {
            *counts.entry(patients[hi]).or_insert(0) += 1;
        }
        while ts[hi] - ts[lo] >= window {
            if patients[lo] != NONE {
                if let Some(c) = counts.get_mut(&patients[lo]) {
                    *c -= 1;
                    if *c == 0 {
                        counts.remove(&patients[lo]);
                    }
                }
            }
            lo += 1;
        }
        best = best.max(counts.len());
    }
    best as u64
}

/// The daily series of one user. `locals` holds the local time of each of
/// the user's events (aligned with `range`); `kind` the explanation of
/// each of the partition's events.
pub fn user_days(
    data: &Ingested<Partition>,
    kind: &[Explanation],
    range: Range<usize>,
    locals: &[LocalTime],
    usual: &UsualHours,
    networks: &[Code],
) -> Vec<DayStats> {
    let ev = &data.events;
    let mut out = Vec::new();
    let mut seen_ws: FxHashSet<Code> = FxHashSet::default();
    let mut seen_ip: FxHashSet<Code> = FxHashSet::default();
    let mut seen_patients: FxHashSet<Code> = FxHashSet::default();
    let mut start = 0;
    let n = range.len();
    // One set of each per user, cleared day after day (a user's days are
    // alike in size, so they rarely grow again).
    let mut patients = FxHashSet::default();
    let mut unexplained = FxHashSet::default();
    let mut extracted = FxHashSet::default();
    let mut extracted_unexplained = FxHashSet::default();
    let mut new_ws = FxHashSet::default();
    let mut new_ip = FxHashSet::default();
    let mut first_time = FxHashSet::default();
    let mut counts = FxHashMap::default();
    // Events are sorted by UTC time; local days are monotone in it except
    // across a DST fall-back hour, which stays within one local day.
    while start < n {
        let day = locals[start].day;
        let mut end = start;
        while end < n && locals[end].day == day {
            end += 1;
        }
        let idx = range.start + start..range.start + end;
        let mut s = DayStats { day, events: idx.clone(), ..DayStats::default() };
        for set in [
            &mut patients,
            &mut unexplained,
            &mut extracted,
            &mut extracted_unexplained,
            &mut first_time,
            &mut new_ws,
            &mut new_ip,
        ] {
            set.clear();
        }
        // The `seen_*` sets change only between days, so within a day a
        // value equal to the last one seen changes no set: most events repeat
        // their workstation, network and patient, and skip the lookups.
        let (mut last_ws, mut last_p, mut last_unexplained) = (NONE, NONE, NONE);
        let mut last_net: Option<Code> = None;
        for (k, i) in idx.clone().enumerate() {
            let p = ev.patient[i];
            let ws = ev.workstation[i];
            if ws != NONE && ws != last_ws {
                if !seen_ws.contains(&ws) {
                    new_ws.insert(ws);
                }
                last_ws = ws;
            }
            // Addresses are leased: a new network, not a new address, is a new place.
            if ev.ip[i] != NONE {
                let net = networks.get(ev.ip[i] as usize).copied().unwrap_or(ev.ip[i]);
                if last_net != Some(net) {
                    if !seen_ip.contains(&net) {
                        new_ip.insert(net);
                    }
                    last_net = Some(net);
                }
            }
            if ev.action[i].is_extraction() {
                s.extraction_events += 1;
                if p != NONE {
                    extracted.insert(p);
                    if !kind[i].is_explained() {
                        extracted_unexplained.insert(p);
                    }
                }
            }
            if p == NONE {
                continue;
            }
            s.patient_accesses += 1;
            if p != last_p {
                patients.insert(p);
                if !seen_patients.contains(&p) {
                    first_time.insert(p);
                }
                last_p = p;
            }
            if !kind[i].is_explained() && p != last_unexplained {
                unexplained.insert(p);
                last_unexplained = p;
            }
            if !usual.contains(locals[start + k].hour) {
                s.after_hours += 1;
            }
        }
        s.distinct_patients = patients.len() as u64;
        s.unexplained_patients = unexplained.len() as u64;
        s.extraction_patients = extracted.len() as u64;
        s.unexplained_extraction_patients = extracted_unexplained.len() as u64;
        s.first_time_patients = first_time.len() as u64;
        // Only meaningful once the user has a history of devices.
        if !out.is_empty() {
            s.new_workstations = new_ws.len() as u64;
            s.new_ips = new_ip.len() as u64;
        }
        s.peak_hour_patients =
            peak_distinct_with(&ev.ts[idx.clone()], &ev.patient[idx.clone()], MICROS_PER_HOUR, &mut counts);
        let (export_ts, export_patients): (Vec<i64>, Vec<Code>) = idx
            .clone()
            .filter(|&i| ev.action[i] == crate::model::Action::Export && ev.patient[i] != NONE)
            .map(|i| (ev.ts[i], ev.patient[i]))
            .unzip();
        if !export_ts.is_empty() {
            let mut distinct = export_patients.clone();
            distinct.sort_unstable();
            distinct.dedup();
            s.export_patients = distinct.len() as u64;
            s.export_peak_hour_patients =
                peak_distinct_with(&export_ts, &export_patients, MICROS_PER_HOUR, &mut counts);
        }
        seen_ws.extend(new_ws.iter().copied());
        seen_ip.extend(new_ip.iter().copied());
        seen_patients.extend(patients.iter().copied());
        out.push(s);
        start = end;
    }
    // Kept for every user of the run: no spare capacity (a user of one
    // day would otherwise hold room for four).
    out.shrink_to_fit();
    out
}

/// Median of a slice (0 when empty).
pub fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(|a, b| a.total_cmp(b));
    let m = values.len() / 2;
    if values.len() % 2 == 1 {
        values[m]
    } else {
        (values[m - 1] + values[m]) / 2.0
    }
}

/// A robust location and scale: median and 1.4826 × median absolute
/// deviation (the normal-consistent MAD), floored at `min_scale`.
pub fn robust_center_scale(values: &[f64], min_scale: f64) -> (f64, f64) {
    let mut v = values.to_vec();
    let med = median(&mut v);
    let mut dev: Vec<f64> = values.iter().map(|x| (x - med).abs()).collect();
    let mad = median(&mut dev) * 1.4826;
    (med, mad.max(min_scale))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_distinct_counts_patients_in_a_sliding_hour() {
        let h = MICROS_PER_HOUR;
        let ts = [0, 10, 20, h - 1, h + 5, 3 * h];
        let ps = [1, 2, 1, 3, 4, 5];
        // {1,2,3} in the first hour; at h+5 the window [h+5-h, h+5] holds 2,1,3,4 (ts 10..)
        assert_eq!(peak_distinct(&ts, &ps, h), 4);
        assert_eq!(peak_distinct(&[], &[], h), 0);
        assert_eq!(peak_distinct(&[0, 1], &[NONE, NONE], h), 0);
    }

    #[test]
    fn robust_scale_ignores_one_outlier() {
        let (m, s) = robust_center_scale(&[10.0, 11.0, 9.0, 10.0, 500.0], 1.0);
        assert_eq!(m, 10.0);
        assert!(s < 2.0, "{s}");
        let (_, s) = robust_center_scale(&[3.0, 3.0, 3.0], 0.5);
        assert_eq!(s, 0.5);
    }
}
