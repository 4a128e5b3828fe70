//! `bulk_extraction`: many records printed, exported or opened at once.
//!
//! Why it matters: a departing employee or a stolen account pulls hundreds of
//! charts in one sitting, often at night. Per local day, the detector
//! measures distinct patients printed or exported within any hour and within
//! the day, and distinct patients opened within any hour of which most have
//! no care explanation (scraping by viewing). A day is a bulk pull when one of
//! them passes its threshold and is also `baseline_factor` times the user's
//! own median day: HIM coders and billing staff who print all day, every
//! day, are measured against themselves.
//!
//! Care for a patient does not explain taking the record out: a day's
//! prints and exports of all patients, linked or not, are a bulk pull too
//! when they reach `hour_min_patients`, are `baseline_factor` times the
//! user's median day, and are `baseline_factor / 2` times the busiest day
//! of a typical peer (the median over the user's peer group, or users of
//! the same role class, of each one's busiest day; at least
//! [`MIN_PEERS`] peers). A coder's month-end printing matches the other
//! coders' month-ends; a nurse exporting 60 of her own patients matches
//! nobody's.
//!
//! Example: a registration clerk exports 143 patients' records between 02:10
//! and 02:48; the clerk's median day has no export.

use rayon::prelude::*;

use crate::config::Config;
use crate::detect::finding::{AlertKind, Fact, Finding};
use crate::detect::input::{enabled, DetectInput, Rule};
use crate::features::{median, peak_distinct};
use crate::model::NONE;
use crate::time::MICROS_PER_HOUR;

/// Peers needed before the peers' busiest days are a baseline.
pub const MIN_PEERS: usize = 5;

/// The detector.
pub struct BulkExtraction;

/// Per user (by position in the features), the peers' typical busiest day
/// of prints and exports and who the peers are; `None` with too few peers.
fn peer_busiest(input: &DetectInput<'_>) -> Vec<Option<(f64, String)>> {
    let users = &input.features.users;
    let busiest: Vec<f64> =
        users.iter().map(|(_, s)| s.days.iter().map(|d| d.extraction_patients).max().unwrap_or(0) as f64).collect();
    let group: Vec<Option<(usize, String)>> = match &input.features.peers {
        Some(pg) if pg.assignment.len() == users.len() => {
            pg.assignment.iter().map(|&g| Some((g, format!("peer group {}", pg.labels[g])))).collect()
        }
        _ => users
            .iter()
            .map(|(u, _)| input.explained.roles.class(*u).map(|c| (c.index(), format!("{}", c.staff()))))
            .collect(),
    };
    let mut members: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for (i, g) in group.iter().enumerate() {
        if let Some((g, _)) = g {
            members.entry(*g).or_default().push(i);
        }
    }
    group
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let (g, label) = g.as_ref()?;
            let mut others: Vec<f64> = members[g].iter().filter(|&&j| j != i).map(|&j| busiest[j]).collect();
            (others.len() >= MIN_PEERS).then(|| (median(&mut others), label.clone()))
        })
        .collect()
}

impl Rule for BulkExtraction {
    fn id(&self) -> &'static str {
        "bulk_extraction"
    }

    fn weight(&self, config: &Config) -> f64 {
        config.rules.bulk_extraction.weight
    }

    fn check(&self, input: &DetectInput<'_>) -> Result<(), String> {
        enabled(input.config.rules.bulk_extraction.enabled)
    }

    fn run(&self, input: &DetectInput<'_>) -> Vec<Finding> {
        let p = &input.config.rules.bulk_extraction;
        let ev = &input.data.events;
        let peers = peer_busiest(input);
        input
            .features
            .users
            .par_iter()
            .zip(peers.par_iter())
            .filter(|((user, _), _)| input.scope.contains(*user))
            .flat_map_iter(|((user, s), peers)| {
                let mut all: Vec<f64> = s.days.iter().map(|d| d.extraction_patients as f64).collect();
                let base_all = median(&mut all);
                let mut extraction: Vec<f64> =
                    s.days.iter().map(|d| d.unexplained_extraction_patients as f64).collect();
                let base_extraction = median(&mut extraction);
                let mut peaks: Vec<f64> = s.days.iter().map(|d| d.peak_hour_patients as f64).collect();
                let base_peak = median(&mut peaks);
                let mut out = Vec::new();
                for d in &s.days {
                    // Extractions of patients the user has no care link to.
                    let ext: Vec<usize> = d
                        .events
                        .clone()
                        .filter(|&i| ev.action[i].is_extraction() && !input.explained.kind[i].is_explained())
                        .collect();
                    let ext_ts: Vec<i64> = ext.iter().map(|&i| ev.ts[i]).collect();
                    let ext_p: Vec<u32> = ext.iter().map(|&i| ev.patient[i]).collect();
                    let hour_ext = peak_distinct(&ext_ts, &ext_p, MICROS_PER_HOUR);
                    let above = |v: f64, base: f64| v >= p.baseline_factor * base.max(1.0);
                    let fact = if hour_ext >= u64::from(p.hour_min_patients) && above(hour_ext as f64, base_extraction)
                    {
                        Some((
                            hour_ext,
                            "1 hour",
                            "printed or exported, with no care link,",
                            base_extraction,
                            ext.clone(),
                        ))
                    } else if d.unexplained_extraction_patients >= u64::from(p.day_min_patients)
                        && above(d.unexplained_extraction_patients as f64, base_extraction)
                    {
                        Some((
                            d.unexplained_extraction_patients,
                            "1 day",
                            "printed or exported, with no care link,",
                            base_extraction,
                            ext.clone(),
                        ))
                    } else if d.peak_hour_patients >= u64::from(p.view_hour_min_patients)
                        && above(d.peak_hour_patients as f64, base_peak)
                        && d.unexplained_patients * 2 >= d.distinct_patients
                    {
                        let opened: Vec<usize> = d
                            .events
                            .clone()
                            .filter(|&i| ev.patient[i] != NONE && !input.explained.kind[i].is_explained())
                            .collect();
                        Some((
                            d.peak_hour_patients,
                            "1 hour",
                            "opened, mostly without a care explanation,",
                            base_peak,
                            opened,
                        ))
                    } else {
                        None
                    };
                    if let Some((patients, window, what, baseline, events)) = fact {
                        out.push(Finding {
                            rule: self.id(),
                            kind: AlertKind::Exfiltration,
                            user: *user,
                            patient: NONE,
                            events,
                            facts: vec![Fact::BulkExtraction { patients, window, what, baseline }],
                            downgraded: false,
                        });
                    } else if let Some((peers_busiest, label)) = peers {
                        let n = d.extraction_patients;
                        if n >= u64::from(p.hour_min_patients)
                            && above(n as f64, base_all)
                            && n as f64 >= p.baseline_factor / 2.0 * peers_busiest.max(1.0)
                        {
                            let events: Vec<usize> =
                                d.events.clone().filter(|&i| ev.action[i].is_extraction() && ev.patient[i] != NONE).collect();
                            out.push(Finding {
                                rule: self.id(),
                                kind: AlertKind::Exfiltration,
                                user: *user,
                                patient: NONE,
                                events,
                                facts: vec![Fact::BulkAllExtraction {
                                    patients: n,
                                    linked: n - d.unexplained_extraction_patients,
                                    baseline: base_all,
                                    peers_busiest: *peers_busiest,
                                    peers: label.clone(),
                                }],
                                downgraded: false,
                            });
                        }
                    }
                }
                out
            })
            .collect::<Vec<_>>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::rules::fixture::World;

    #[test]
    fn fires_on_a_night_of_exports() {
        let mut w = World::new();
        w.user("clerk").department("REG").role("registration");
        for day in 1..=9 {
            w.access(&format!("2026-11-0{day} 10:00:00"), "clerk", "P0", "view");
        }
        for i in 0..60 {
            w.access(&format!("2026-11-10 02:{:02}:00", i / 2 + 10), "clerk", &format!("X{i}"), "export");
        }
        let found = w.run(&BulkExtraction);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].kind, AlertKind::Exfiltration);
        assert_eq!(found[0].events.len(), 60);
        assert!(found[0].facts[0]
            .sentence()
            .starts_with("printed or exported, with no care link, 60 patients' records within 1 hour"));
    }

    #[test]
    fn an_ed_surge_printing_discharge_papers_for_its_own_patients_does_not_fire() {
        let mut w = World::new();
        w.user("ed").department("ED").role("nurse");
        for day in 1..=9 {
            w.access(&format!("2026-11-0{day} 10:00:00"), "ed", "P0", "view");
        }
        for i in 0..60 {
            let p = format!("S{i}");
            w.patient(&p);
            w.encounter(&p, "ED", "2026-11-10 00:00:00", Some("2026-11-10 06:00:00"), None);
            w.access(&format!("2026-11-10 02:{:02}:00", i / 2 + 10), "ed", &p, "print");
        }
        assert!(w.run(&BulkExtraction).is_empty());
    }

    #[test]
    fn a_coder_who_prints_all_day_every_day_is_measured_against_herself() {
        let mut w = World::new();
        w.user("him").department("HIM").role("him_coder");
        for day in 1..=9 {
            for i in 0..50 {
                w.access(
                    &format!("2026-11-0{day} {:02}:{:02}:00", 8 + i / 10, (i % 10) * 5),
                    "him",
                    &format!("D{day}-{i}"),
                    "print",
                );
            }
        }
        assert!(w.run(&BulkExtraction).is_empty());
    }

    /// Six nurses on one unit who print a few discharge papers a day, one of
    /// whom also exports 45 of her own patients in one afternoon.
    fn unit_with_printers(w: &mut World) {
        for n in 0..6 {
            w.user(&format!("rn{n}")).department("MED").role("Registered Nurse II");
        }
        for i in 0..60 {
            let p = format!("M{i}");
            w.patient(&p);
            w.encounter(&p, "MED", "2026-11-01 00:00:00", None, None);
        }
        for day in 1..=9 {
            for n in 0..6 {
                for k in 0..3 {
                    let p = format!("M{}", (day * 7 + n * 3 + k) % 60);
                    w.access(&format!("2026-11-0{day} 1{k}:00:00"), &format!("rn{n}"), &p, "print");
                }
            }
        }
    }

    #[test]
    fn an_insider_exporting_her_own_patients_fires() {
        let mut w = World::new();
        unit_with_printers(&mut w);
        for i in 0..45 {
            w.access(&format!("2026-11-10 14:{:02}:00", i), "rn0", &format!("M{i}"), "export");
        }
        let found = w.run(&BulkExtraction);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(w.user_of(&found[0]), "rn0");
        let text = found[0].facts[0].sentence();
        assert!(text.starts_with("printed or exported 45 patients' records in 1 day (45 of them patients the user cares for)"), "{text}");
        assert!(text.contains("busiest day of 3 for a typical peer"), "{text}");
    }

    #[test]
    fn a_coders_month_end_printing_like_every_other_coders_does_not_fire() {
        let mut w = World::new();
        for n in 0..6 {
            w.user(&format!("c{n}")).department("HIM").role("Coder III");
        }
        for day in 1..=9 {
            for n in 0..6 {
                // A few charts a day, and a burst on the 9th (month-end) for everyone.
                let count = if day == 9 { 35 } else { 4 };
                for k in 0..count {
                    let p = format!("D{day}-{n}-{k}");
                    w.access(&format!("2026-11-0{day} {:02}:{:02}:00", 9 + k / 10, (k % 10) * 5), &format!("c{n}"), &p, "print");
                }
            }
        }
        let found = w.run(&BulkExtraction);
        assert!(found.is_empty(), "{found:?}");
    }
}
