//! `bulk_extraction`: many records printed, exported or opened at once.
//!
//! Why it matters: a departing employee or a stolen account pulls hundreds of
//! charts in one sitting, often at night. Per local day, the rule
//! measures distinct patients printed or exported within any hour and within
//! the day, and distinct patients opened within any hour of which most have
//! no care explanation (scraping by viewing). A day is a bulk pull when one of
//! them passes its threshold and is also `baseline_factor` times the user's
//! own median day: HIM coders and billing staff who print all day, every
//! day, are measured against themselves.
//!
//! Care for a patient does not explain taking the record out: a day's
//! exports (to a file, not to paper: printing is everyday clinical work)
//! of all patients, linked or not, are a bulk pull too when, within one
//! day or one hour, they reach `export_min_patients` and
//! are `baseline_factor / 2` times both the user's median day (or hour)
//! and the busiest day (or hour) of a typical peer (the median over the
//! user's peer group, and over the users of the same role class, of each
//! one's busiest, whichever is higher; at least [`MIN_PEERS`] peers). A
//! CDI specialist's daily exports match the other coders'; a physician
//! exporting 45 of her own patients matches nobody's.
//!
//! Example: a registration clerk exports 143 patients' records between 02:10
//! and 02:48; the clerk's median day has no export.

use rayon::prelude::*;

use crate::detect::finding::{AlertKind, Fact, Finding};
use crate::detect::input::{DetectInput, Rule};
use crate::detect::params::{finite_at_least, positive, within, Invalid, RuleParams, RuleSettings};
use crate::features::{median, peak_distinct};
use crate::model::{Action, NONE};
use crate::time::MICROS_PER_HOUR;

/// Peers needed before the peers' busiest days are a baseline.
pub const MIN_PEERS: usize = 5;

/// `[rules.bulk_extraction]`, besides `enabled` and `weight`.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct BulkExtractionParams {
    /// Distinct patients printed or exported within one hour that make a bulk pull.
    pub hour_min_patients: u32,
    /// Distinct patients printed or exported within one local day that make a bulk pull.
    pub day_min_patients: u32,
    /// Distinct patients opened within one hour, mostly without a care
    /// explanation, that make a bulk pull by viewing (scraping).
    pub view_hour_min_patients: u32,
    /// A pull must also be this many times the user's own median day.
    pub baseline_factor: f64,
    /// Distinct patients exported within a day or an hour, whatever the
    /// care link, that make a bulk pull when they are also half
    /// `baseline_factor` times the user's own and the peers' busiest.
    pub export_min_patients: u32,
    /// Exports spread over a few days count together: within this many
    /// calendar days (2 to 7; 1 turns it off), `export_min_patients` or
    /// more exported, and half `baseline_factor` times the user's median
    /// day and the typical peer's busiest day for each of those days, make
    /// a bulk pull too (a physician taking 16 of her patients' records
    /// over two working days, 8 a day).
    pub export_span_days: u32,
}

impl Default for BulkExtractionParams {
    fn default() -> Self {
        Self {
            hour_min_patients: 20,
            day_min_patients: 40,
            view_hour_min_patients: 60,
            baseline_factor: 5.0,
            export_min_patients: 10,
            export_span_days: 3,
        }
    }
}

impl RuleParams for BulkExtractionParams {
    fn check(&self) -> Result<(), Invalid> {
        positive("hour_min_patients", self.hour_min_patients)?;
        positive("day_min_patients", self.day_min_patients)?;
        positive("view_hour_min_patients", self.view_hour_min_patients)?;
        finite_at_least("baseline_factor", self.baseline_factor, 0.0, "a factor of 0 or more")?;
        positive("export_min_patients", self.export_min_patients)?;
        within("export_span_days", self.export_span_days, 1, SPANS.len() as u32, "a number of days from 1 to 7")
    }
}

/// The rule.
pub struct BulkExtraction;

/// The median over a user's days of one measure.
fn median_day(days: &[crate::features::DayStats], f: impl Fn(&crate::features::DayStats) -> u64) -> f64 {
    let mut v: Vec<f64> = days.iter().map(|d| f(d) as f64).collect();
    median(&mut v)
}

/// The typical peer's busiest day and busiest hour, and who the peers are.
#[derive(Debug, Clone)]
struct PeerBusiest {
    day: f64,
    hour: f64,
    label: String,
}

/// Per peer group or per role class: its members' busiest days and hours
/// of prints and exports, each sorted, and its label.
#[derive(Default)]
struct Members {
    sorted: std::collections::BTreeMap<usize, (Vec<f64>, Vec<f64>)>,
    labels: Vec<String>,
}

impl Members {
    fn push(&mut self, key: usize, (day, hour): (f64, f64)) {
        let m = self.sorted.entry(key).or_default();
        m.0.push(day);
        m.1.push(hour);
    }

    fn sort(&mut self) {
        for (day, hour) in self.sorted.values_mut() {
            day.sort_by(|a, b| a.total_cmp(b));
            hour.sort_by(|a, b| a.total_cmp(b));
        }
    }

    /// The typical busiest day and hour of the others of `key`, a user
    /// whose own are `own`; `None` with too few others.
    fn others(&self, key: usize, own: (f64, f64)) -> Option<PeerBusiest> {
        let (day, hour) = self.sorted.get(&key)?;
        if day.len() - 1 < MIN_PEERS {
            return None;
        }
        Some(PeerBusiest {
            day: median_without(day, own.0),
            hour: median_without(hour, own.1),
            label: self.labels.get(key).cloned().unwrap_or_default(),
        })
    }
}

/// A user's busiest day and busiest hour of exports.
fn busiest(s: &crate::features::UserStats) -> (f64, f64) {
    (f64::from(s.busiest.export_patients), f64::from(s.busiest.export_peak_hour_patients))
}

/// The peer group of the user at position `i` of the features, when the
/// groups cover every user.
fn group_of(input: &DetectInput<'_>, i: usize) -> Option<usize> {
    match &input.features.peers {
        Some(pg) if pg.assignment.len() == input.features.users.len() => Some(pg.assignment[i]),
        _ => None,
    }
}

/// The members of every peer group and of every role class (run-wide:
/// computed once and kept for every partition). Each key's values are
/// sorted: the median of the others is the median of these with the
/// user's own value taken out, found by rank instead of re-sorting the
/// others per user.
fn members(input: &DetectInput<'_>) -> (Members, Members) {
    let mut by_group = Members::default();
    let mut by_class = Members::default();
    if let Some(pg) = &input.features.peers {
        by_group.labels = pg.labels.iter().map(|l| format!("peer group {l}")).collect();
    }
    // A label per key rather than per user (a run of millions of users
    // has a handful of groups and classes).
    for (i, (u, s)) in input.features.users.iter().enumerate() {
        if let Some(g) = group_of(input, i) {
            by_group.push(g, busiest(s));
        }
        if let Some(c) = input.explained.roles.class(*u) {
            let k = c.index();
            if by_class.labels.len() <= k {
                by_class.labels.resize(k + 1, String::new());
            }
            if by_class.labels[k].is_empty() {
                by_class.labels[k] = c.staff().to_string();
            }
            by_class.push(k, busiest(s));
        }
    }
    by_group.sort();
    by_class.sort();
    (by_group, by_class)
}

/// The peers' typical busiest day and hour of prints and exports of the
/// user at position `i` of the features; `None` with too few peers. Peers
/// are the user's learned peer group and the users of the same role
/// class; the busier of the two baselines counts (a coder clustered with
/// nurses is still measured against the other coders' month-ends).
fn peer_busiest(input: &DetectInput<'_>, (by_group, by_class): &(Members, Members), i: usize) -> Option<PeerBusiest> {
    let (user, s) = &input.features.users[i];
    let own = busiest(s);
    let g = group_of(input, i).and_then(|k| by_group.others(k, own));
    let c = input.explained.roles.class(*user).and_then(|c| by_class.others(c.index(), own));
    match (g, c) {
        (Some(g), Some(c)) => Some(PeerBusiest {
            day: g.day.max(c.day),
            hour: g.hour.max(c.hour),
            label: if c.day > g.day { c.label } else { g.label },
        }),
        (g, c) => g.or(c),
    }
}

/// The median of `sorted` (ascending by `total_cmp`) with one occurrence
/// of `own` taken out: what [`median`] gives on the others' values, the
/// same two values averaged in the same order. 0 when nothing is left.
fn median_without(sorted: &[f64], own: f64) -> f64 {
    let r = sorted.partition_point(|v| v.total_cmp(&own).is_lt());
    let m = sorted.len().saturating_sub(1);
    let at = |j: usize| if j < r { sorted[j] } else { sorted[j + 1] };
    if m == 0 {
        0.0
    } else if m % 2 == 1 {
        at(m / 2)
    } else {
        (at(m / 2 - 1) + at(m / 2)) / 2.0
    }
}

/// Care for a patient does not explain taking the record out: a day whose
/// exports (any patients) are, by the day or in its busiest hour, at least
/// `export_min_patients` and half `baseline_factor` times both the user's
/// median and the typical peer's busiest; the fact and its exports.
fn exports_of_own_patients(
    p: &BulkExtractionParams,
    input: &DetectInput<'_>,
    d: &crate::features::DayStats,
    peer: &PeerBusiest,
    base_day: f64,
    base_hour: f64,
) -> Option<(Fact, Vec<usize>)> {
    let ev = &input.data.events;
    let half = p.baseline_factor / 2.0;
    let over = |v: u64, own: f64, peers: f64| {
        v >= u64::from(p.export_min_patients) && v as f64 >= half * own.max(1.0) && v as f64 >= half * peers.max(1.0)
    };
    let by_day = over(d.export_patients, base_day, peer.day);
    let by_hour = over(d.export_peak_hour_patients, base_hour, peer.hour);
    if !by_day && !by_hour {
        return None;
    }
    let events: Vec<usize> =
        d.events.clone().filter(|&i| ev.action[i] == Action::Export && ev.patient[i] != NONE).collect();
    let mut linked: Vec<u32> =
        events.iter().filter(|&&i| input.explained.kind[i].is_explained()).map(|&i| ev.patient[i]).collect();
    linked.sort_unstable();
    linked.dedup();
    let (patients, window, baseline, peers_busiest) = if by_hour && !by_day {
        (d.export_peak_hour_patients, "1 hour", base_hour, peer.hour)
    } else {
        (d.export_patients, "1 day", base_day, peer.day)
    };
    let fact = Fact::BulkAllExtraction {
        patients,
        window,
        linked: linked.len() as u64,
        baseline,
        peers_busiest,
        peers: peer.label.clone(),
    };
    Some((fact, events))
}

/// The windows a spread of exports is told over, by days.
const SPANS: [&str; 7] = ["1 day", "2 days", "3 days", "4 days", "5 days", "6 days", "7 days"];

/// Exports spread over a few days: the window of at most
/// `export_span_days` calendar days with the most distinct patients
/// exported, when they come from two days or more and reach
/// `export_min_patients` and half `baseline_factor` times the user's
/// median day and the typical peer's busiest day, each counted once for
/// every day of the window; the fact and its exports. What
/// [`exports_of_own_patients`] finds in one day is found there.
fn exports_over_days(
    p: &BulkExtractionParams,
    input: &DetectInput<'_>,
    days: &[crate::features::DayStats],
    peer: &PeerBusiest,
    base_day: f64,
) -> Option<(Fact, Vec<usize>)> {
    let ev = &input.data.events;
    let span = (p.export_span_days as usize).min(SPANS.len());
    if span < 2 {
        return None;
    }
    let half = p.baseline_factor / 2.0;
    let exports = |d: &crate::features::DayStats| {
        d.events.clone().filter(|&i| ev.action[i] == Action::Export && ev.patient[i] != NONE)
    };
    let mut best: Option<(usize, Vec<usize>, Vec<u32>)> = None;
    for (k, first) in days.iter().enumerate() {
        if first.export_patients == 0 {
            continue;
        }
        let window: Vec<&crate::features::DayStats> = days[k..]
            .iter()
            .take_while(|d| i64::from(d.day) - i64::from(first.day) < span as i64)
            .filter(|d| d.export_patients > 0)
            .collect();
        if window.len() < 2 {
            continue;
        }
        let events: Vec<usize> = window.iter().flat_map(|d| exports(d)).collect();
        let mut patients: Vec<u32> = events.iter().map(|&i| ev.patient[i]).collect();
        patients.sort_unstable();
        patients.dedup();
        let calendar = (window[window.len() - 1].day - first.day) as usize + 1;
        let n = patients.len() as f64;
        let over = patients.len() >= p.export_min_patients as usize
            && n >= half * base_day.max(1.0) * calendar as f64
            && n >= half * peer.day.max(1.0) * calendar as f64;
        if over && best.as_ref().is_none_or(|b| patients.len() > b.2.len()) {
            best = Some((calendar, events, patients));
        }
    }
    let (calendar, events, patients) = best?;
    let mut linked: Vec<u32> =
        events.iter().filter(|&&i| input.explained.kind[i].is_explained()).map(|&i| ev.patient[i]).collect();
    linked.sort_unstable();
    linked.dedup();
    let fact = Fact::BulkAllExtraction {
        patients: patients.len() as u64,
        window: SPANS[calendar - 1],
        linked: linked.len() as u64,
        baseline: base_day,
        peers_busiest: peer.day,
        peers: peer.label.clone(),
    };
    Some((fact, events))
}

/// The finding of a bulk pull by `user`: its fact and its events.
fn pull(user: crate::model::Code, (fact, events): (Fact, Vec<usize>)) -> Finding {
    Finding {
        rule: <BulkExtraction as Rule>::ID,
        kind: AlertKind::Exfiltration,
        user,
        patient: NONE,
        events,
        facts: vec![fact],
        downgraded: false,
    }
}

impl Rule for BulkExtraction {
    const ID: &'static str = "bulk_extraction";
    const DEFAULTS: RuleSettings = RuleSettings::weight(0.85);
    type Params = BulkExtractionParams;

    fn run(&self, p: &Self::Params, input: &DetectInput<'_>) -> Vec<Finding> {
        let ev = &input.data.events;
        let members = input.features.memo(Self::ID, || members(input));
        // The scope's users only: the features are in user-code order.
        let users = &input.features.users;
        let from = users.partition_point(|(u, _)| *u < input.scope.from);
        let to = users.partition_point(|(u, _)| *u < input.scope.to);
        (from..to)
            .into_par_iter()
            .map(|i| (&users[i], peer_busiest(input, &members, i)))
            .flat_map_iter(|((user, s), peers)| {
                let base_exports = median_day(&s.days, |d| d.export_patients);
                let base_export_hour = median_day(&s.days, |d| d.export_peak_hour_patients);
                let base_extraction = median_day(&s.days, |d| d.unexplained_extraction_patients);
                let base_peak = median_day(&s.days, |d| d.peak_hour_patients);
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
                    let unlinked =
                        |patients, window, what, baseline| Fact::BulkExtraction { patients, window, what, baseline };
                    let found = if hour_ext >= u64::from(p.hour_min_patients) && above(hour_ext as f64, base_extraction)
                    {
                        Some((
                            unlinked(hour_ext, "1 hour", "printed or exported, with no care link,", base_extraction),
                            ext,
                        ))
                    } else if d.unexplained_extraction_patients >= u64::from(p.day_min_patients)
                        && above(d.unexplained_extraction_patients as f64, base_extraction)
                    {
                        let n = d.unexplained_extraction_patients;
                        Some((unlinked(n, "1 day", "printed or exported, with no care link,", base_extraction), ext))
                    } else if d.peak_hour_patients >= u64::from(p.view_hour_min_patients)
                        && above(d.peak_hour_patients as f64, base_peak)
                        && d.unexplained_patients * 2 >= d.distinct_patients
                    {
                        let opened: Vec<usize> = d
                            .events
                            .clone()
                            .filter(|&i| ev.patient[i] != NONE && !input.explained.kind[i].is_explained())
                            .collect();
                        let what = "opened, mostly without a care explanation,";
                        Some((unlinked(d.peak_hour_patients, "1 hour", what, base_peak), opened))
                    } else {
                        peers
                            .as_ref()
                            .and_then(|peer| exports_of_own_patients(p, input, d, peer, base_exports, base_export_hour))
                    };
                    out.extend(found.map(|found| pull(*user, found)));
                }
                // Exports no one day holds: a few days' together.
                let one_day = out.iter().any(|f| f.facts.iter().any(|x| matches!(x, Fact::BulkAllExtraction { .. })));
                if !one_day {
                    let spread =
                        peers.as_ref().and_then(|peer| exports_over_days(p, input, &s.days, peer, base_exports));
                    out.extend(spread.map(|found| pull(*user, found)));
                }
                out
            })
            .collect::<Vec<_>>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_fixture::World;

    #[test]
    fn the_median_without_one_value_is_the_median_of_the_others() {
        // Values with ties, odd and even counts, the user's own value at
        // either end and in the middle (a fixed sequence, no generator).
        let values: Vec<f64> = (0..23u64).map(|i| ((i * 7919) % 11) as f64).collect();
        for n in 1..values.len() {
            let mut sorted = values[..n].to_vec();
            sorted.sort_by(|a, b| a.total_cmp(b));
            for i in 0..n {
                let mut others: Vec<f64> = values[..n].to_vec();
                others.remove(i);
                let expected = median(&mut others);
                assert_eq!(median_without(&sorted, values[i]).to_bits(), expected.to_bits(), "n {n}, i {i}");
            }
        }
    }

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
        assert!(
            text.starts_with("exported 45 patients' records within 1 day (45 of them patients care links the user to)"),
            "{text}"
        );
        assert!(text.contains("busiest day of 0 for a typical peer (nurses)"), "{text}");
    }

    #[test]
    fn a_coders_month_end_exports_like_every_other_coders_do_not_fire() {
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
                    let at = format!("2026-11-0{day} {:02}:{:02}:00", 9 + k / 10, (k % 10) * 5);
                    w.access(&at, &format!("c{n}"), &p, "export");
                }
            }
        }
        let found = w.run(&BulkExtraction);
        assert!(found.is_empty(), "{found:?}");
    }

    /// A physician taking her patients' records a few at a time over two
    /// working days, 8 a day, under the one-day count: the days together
    /// are a bulk pull, told once.
    #[test]
    fn exports_spread_over_two_days_fire_together() {
        let mut w = World::new();
        unit_with_printers(&mut w);
        for i in 0..16 {
            let day = if i < 8 { 10 } else { 11 };
            w.access(&format!("2026-11-{day} 14:{:02}:00", i), "rn0", &format!("M{i}"), "export");
        }
        let found = w.run(&BulkExtraction);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(w.user_of(&found[0]), "rn0");
        assert_eq!(found[0].events.len(), 16);
        let text = found[0].facts[0].sentence();
        assert!(
            text.starts_with(
                "exported 16 patients' records within 2 days (16 of them patients care links the user to)"
            ),
            "{text}"
        );
        // With the span off, no one day is enough.
        w.config.rules = crate::config::Config::parse(
            "[rules.bulk_extraction]\nexport_span_days = 1\n",
            std::path::Path::new("t.toml"),
        )
        .expect("parses")
        .rules;
        assert!(w.run(&BulkExtraction).is_empty());
    }

    /// Release-of-information clerks export four records every day; three
    /// days of it are their usual work, not a pull.
    #[test]
    fn a_steady_few_exports_a_day_over_several_days_do_not_fire() {
        let mut w = World::new();
        for n in 0..6 {
            w.user(&format!("roi{n}")).department("HIM").role("HIM Specialist");
        }
        for day in 1..=9 {
            for n in 0..6 {
                for k in 0..4 {
                    let p = format!("R{day}-{n}-{k}");
                    w.access(&format!("2026-11-0{day} 1{k}:00:00"), &format!("roi{n}"), &p, "export");
                }
            }
        }
        let found = w.run(&BulkExtraction);
        assert!(found.is_empty(), "{found:?}");
    }
}
