//! Alerts: findings merged per (kind, user, patient), scored and ranked.
//!
//! Score. Each distinct signal has a weight `w` in 0..=1: every rule that
//! fired (its configured weight, or the stronger one a fact earns: a
//! coworker in the user's own department), "no care link at all, direct or
//! inferred" (`score.unexplained_weight`, scaled by how routine a missing
//! link is in the user's role: see `role_norms`; a patient the user's own
//! department saw within `score.department_history_days` is an indirect
//! link, like a care-team group)
//! "outside usual hours" (`score.after_hours_weight`) and, for curious
//! browsing, its breadth beyond the peer group (`score.breadth_step` per
//! patient past `score.breadth_free`). They combine as a
//! noisy-OR, `p = 1 - Π(1 - w)`, so independent signals raise the score more
//! than one signal repeated; repetition adds a little through
//! `p' = 1 - (1 - p) · 0.98^min(accesses - 1, 10)`. The score is `100 · p'`,
//! rounded to one decimal, so scores are comparable across a run.
//!
//! Identity. `alert_id` hashes kind, user id, patient id and the local date
//! of the first evidence access: stable across reruns of the same data.
//! Order. Score descending, then kind, user id, patient id and first access.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::cases::{group_cases, Case};
use super::evidence::common;
use super::role_norms::RoleNorms;
use crate::config::ScoreParams;
use crate::detect::{AlertKind, DetectInput, Fact, Finding, Weights};
use crate::model::{Code, Evidence};
use crate::time::ZoneCache;

/// How urgent an alert is, from its score. Ordered: `Low < Medium < High`.
///
/// `detect --fail-on` parses straight into it: deriving clap's `ValueEnum`
/// here (the one clap item past the binary) spares a second enum and a
/// table of names to keep in step; the `value(help)` lines are the
/// option's help, read as thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Severity {
    /// Below `score.medium_severity`.
    #[value(help = "Any alert")]
    Low,
    /// From `score.medium_severity`.
    #[value(help = "Medium or high alerts")]
    Medium,
    /// From `score.high_severity`.
    #[value(help = "High alerts")]
    High,
}

impl Severity {
    /// Every severity, lowest first.
    pub const ALL: [Severity; 3] = [Severity::Low, Severity::Medium, Severity::High];

    /// The band of a score under the configured thresholds.
    pub fn of(score: f64, params: &ScoreParams) -> Severity {
        if score >= params.high_severity {
            Severity::High
        } else if score >= params.medium_severity {
            Severity::Medium
        } else {
            Severity::Low
        }
    }

    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

/// One alert, ready for output.
#[derive(Debug, Clone)]
pub struct Alert {
    /// Stable id.
    pub id: String,
    /// 1 = most urgent.
    pub rank: u32,
    /// Risk score, 0-100.
    pub score: f64,
    /// Severity band of the score.
    pub severity: Severity,
    /// Kind.
    pub kind: AlertKind,
    /// User code.
    pub user: Code,
    /// Patient code or NONE.
    pub patient: Code,
    /// Rule ids that fired, in registry order.
    pub rules: Vec<&'static str>,
    /// The facts the rules established.
    pub facts: Vec<Fact>,
    /// Evidence event indices, ascending.
    pub events: Vec<usize>,
    /// First evidence access, UTC µs.
    pub first: i64,
    /// Last evidence access, UTC µs.
    pub last: i64,
    /// Evidence sentences.
    pub sentences: Vec<String>,
    /// The case this alert belongs to.
    pub case_id: String,
}

impl Alert {
    /// The evidence sentences joined for one cell.
    pub fn explanation(&self) -> String {
        self.sentences.join("; ")
    }
}

/// The scored result of a run.
#[derive(Debug, Clone, Default)]
pub struct Scored {
    /// Alerts, ranked.
    pub alerts: Vec<Alert>,
    /// Cases, ranked.
    pub cases: Vec<Case>,
}

/// A short hex digest of `parts`, joined by a separator that ids cannot hold.
pub(super) fn stable_id(prefix: &str, parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0x1f]);
    }
    let digest = h.finalize();
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("{prefix}{hex}")
}

fn noisy_or(weights: impl Iterator<Item = f64>) -> f64 {
    1.0 - weights.fold(1.0, |acc, w| acc * (1.0 - w.clamp(0.0, 1.0)))
}

#[derive(Default)]
struct Merged {
    rules: Vec<&'static str>,
    events: Vec<usize>,
    facts: Vec<Fact>,
}

/// The signal curious browsing earns by its breadth: each distinct patient
/// no care explains beyond the peer group's typical count and
/// `score.breadth_free` adds `score.breadth_step` (noisy-OR), so a user who
/// browsed nine records ranks above one who browsed four. `None` without
/// an [`Fact::UnexplainedBreadth`] or below the free count.
fn breadth_signal(facts: &[Fact], params: &ScoreParams) -> Option<f64> {
    let beyond = facts.iter().find_map(|f| match f {
        Fact::UnexplainedBreadth { patients, peer_median, .. } => {
            Some((*patients as f64 - peer_median.round() - params.breadth_free).max(0.0))
        }
        _ => None,
    })?;
    (beyond > 0.0 && params.breadth_step > 0.0).then(|| 1.0 - (1.0 - params.breadth_step).powf(beyond))
}

/// Merges, scores, ranks and groups findings. `weights` gives each rule's
/// weight (and the stronger weights some facts earn), `rule_order` the
/// registry order used to list rules.
pub fn score(
    findings: Vec<Finding>,
    input: &DetectInput<'_, Evidence>,
    weights: &Weights,
    rule_order: &[&'static str],
    params: &ScoreParams,
) -> Scored {
    let dict = &input.data.dict;
    let mut merged: BTreeMap<(AlertKind, Code, Code), Merged> = BTreeMap::new();
    for f in findings {
        let m = merged.entry((f.kind, f.user, f.patient)).or_default();
        if !m.rules.contains(&f.rule) {
            m.rules.push(f.rule);
        }
        m.events.extend(f.events);
        for fact in f.facts {
            if !m.facts.contains(&fact) {
                m.facts.push(fact);
            }
        }
    }
    let position = |r: &str| rule_order.iter().position(|o| *o == r).unwrap_or(usize::MAX);
    let zone = ZoneCache::new(input.data.tz);
    let norms = RoleNorms::build(input);
    let alerts: Vec<Alert> = merged
        .into_iter()
        .map(|((kind, user, patient), mut m)| {
            m.events.sort_unstable();
            m.events.dedup();
            m.rules.sort_by_key(|r| position(r));
            let no_link = norms.no_link(user, params.unexplained_weight);
            let former = m.facts.iter().any(|f| matches!(f, Fact::FormerPatient { .. }));
            let ev = common(input, user, patient, &m.events, no_link.note.as_deref(), former);
            let mut signals: Vec<f64> = m.rules.iter().map(|r| weights.of(r, &m.facts)).collect();
            // Only a population-level reason (role timing, a study panel, a
            // care-team group) explains a sensitive or related chart: not
            // cleared, but it counts for less, unless what was opened is not
            // the user's usual work.
            let mut pattern_sentence = None;
            let mut team_sentence = None;
            // A role's reason that does not cover what was opened links
            // nothing: the access has no care link at all.
            let mut role_void = false;
            let population = m.facts.iter().find_map(|f| match f {
                Fact::PopulationLevel { explanation, .. } => Some(*explanation),
                _ => None,
            });
            // Work in the patient's unit ties the user to the unit, not to
            // the patient: it weighs like a role's reason, except against a
            // break-the-glass, which claims an emergency for this patient.
            // The unit's work covers what the user's work there reads: a
            // registration clerk whose desk work places them on a ward
            // and who reads a VIP's notes there was not doing it.
            let unit_round = m.facts.iter().any(|f| matches!(f, Fact::UnitRound { .. }));
            // Whether what was opened is the user's usual work: asked by
            // the unit's work, a role's reason and a team's VIP look.
            let outside = (unit_round || population.is_some())
                .then(|| outside_usual_work(input, user, &m.events, params.usual_work_share))
                .flatten();
            let mut unit_outside = outside.as_ref().filter(|_| unit_round).map(|o| o.said("work in the unit"));
            let unit_work = unit_round && outside.is_none();
            if unit_work {
                for (w, r) in signals.iter_mut().zip(&m.rules) {
                    if *r != <crate::detect::rules::BreakGlass as crate::detect::Rule>::ID {
                        *w *= params.population_level_factor;
                    }
                }
            }
            if let Some(link) = population {
                // A role's or a study list's reason is the same for every
                // patient in care; a care-team group was learned from this
                // user's own work with colleagues, and weighs as before.
                // A role's reason covers the role's work: when nothing
                // opened is the user's usual work, it does not cover this.
                let role_outside = outside
                    .as_ref()
                    .filter(|_| link == crate::explain::Explanation::RoleTiming)
                    .map(|o| o.said("the role's reason"));
                // A glance in the middle of a queue of work is not the
                // queue's work (its fact says so).
                let glance = m.facts.iter().any(|f| matches!(f, Fact::Glance { .. }));
                if link != crate::explain::Explanation::CareTeamGroup && role_outside.is_none() && !glance {
                    signals.iter_mut().for_each(|w| *w *= params.population_level_factor);
                }
                role_void = role_outside.is_some() || glance;
                pattern_sentence = role_outside;
                // A VIP's chart that colleagues the user works with treat,
                // opened on one day for what the user's work usually reads
                // (a pharmacist's medications, a consultant's notes), is
                // how the team's own work looks: the flag weighs like a
                // role-wide reason. Snooping on a celebrity comes back.
                let vip = <crate::detect::rules::VipAccess as crate::detect::Rule>::ID;
                let team_vip = (link == crate::explain::Explanation::CareTeamGroup && ev.one_day)
                    .then(|| m.rules.iter().position(|r| *r == vip))
                    .flatten();
                if let Some(i) = team_vip {
                    if outside.is_none() {
                        signals[i] *= params.population_level_factor;
                        team_sentence = Some(
                            "one look, on one day, in the user's usual work, at a patient colleagues the user works \
                             with treat: the VIP flag counts for less (a return on another day would count in full)"
                                .to_string(),
                        );
                    }
                }
                let nor_unit = unit_outside.is_some();
                if let Some(s) = off_pattern(input, user, &m.events, params.off_pattern_share, nor_unit) {
                    // It names the sections: the unit's sentence would
                    // name them again.
                    unit_outside = None;
                    signals.push(params.off_pattern_weight);
                    pattern_sentence = Some(match pattern_sentence {
                        Some(outside) => format!("{s}; {outside}"),
                        None => s,
                    });
                }
            }
            if let Some(u) = unit_outside {
                pattern_sentence = Some(match pattern_sentence {
                    Some(p) => format!("{p}; {u}"),
                    None => u,
                });
            }
            // Taken after the team's damping of a VIP flag, the one damping
            // that weighs one flag and not the others.
            one_reason_per_chart(&m.rules, &m.facts, &mut signals);
            let unlinked = ev.explained == 0 && (ev.indirect == 0 || role_void) && !ev.department_history && !unit_work;
            if unlinked {
                signals.push(no_link.weight);
            }
            // A user whose role opens charts with no care link as a matter
            // of course (an IT analyst's tickets): one day's look at a
            // flagged chart, linked by nothing, is like the rest of their
            // work, and the flag weighs like a role-wide reason. Coming
            // back another day is not a ticket's look.
            let mut routine_sentence = None;
            if unlinked
                && params.routine_no_link_share > 0.0
                && no_link.share >= params.routine_no_link_share
                && ev.one_day
            {
                let chart = chart_rules(&m.rules, &m.facts);
                for &i in &chart {
                    signals[i] *= params.population_level_factor;
                }
                if !chart.is_empty() {
                    routine_sentence = Some(
                        "one look, on one day, as the user's work opens charts every day: the flag counts for less \
                         (a return on another day would count in full)"
                            .to_string(),
                    );
                }
            }
            if ev.after_hours > 0 {
                signals.push(params.after_hours_weight);
            }
            signals.extend(breadth_signal(&m.facts, params));
            let p = noisy_or(signals.into_iter());
            let repeats = (ev.count.saturating_sub(1)).min(10) as i32;
            let p = 1.0 - (1.0 - p) * 0.98f64.powi(repeats);
            let score = (p * 1000.0).round() / 10.0;
            let severity = Severity::of(score, params);
            let first = input.data.events.ts[m.events[0]];
            let last = m.events.iter().map(|&i| input.data.events.ts[i]).max().unwrap_or(first);
            let mut zone = zone.clone();
            let first_day = crate::time::format_local_date(zone.to_local(first));
            let id = stable_id("", &[kind.as_str(), dict.users.name(user), dict.patients.name(patient), &first_day]);
            let mut sentences: Vec<String> = m.facts.iter().map(Fact::sentence).collect();
            sentences.extend(ev.sentences);
            sentences.extend(pattern_sentence);
            sentences.extend(routine_sentence);
            sentences.extend(team_sentence);
            Alert {
                id,
                rank: 0,
                score,
                severity,
                kind,
                user,
                patient,
                rules: m.rules,
                facts: m.facts,
                events: m.events,
                first,
                last,
                sentences,
                case_id: String::new(),
            }
        })
        .collect();
    rank_and_group(alerts, input)
}

/// The positions in `rules` of those that fire on what kind of chart was
/// opened (a VIP's, a restricted one, a deceased patient's, a hospital
/// employee's from another department; a coworker of the user's own
/// department is a relationship, evidence of its own).
fn chart_rules(rules: &[&'static str], facts: &[Fact]) -> Vec<usize> {
    use crate::detect::rules::{Coworker, DeceasedAccess, RestrictedAccess, VipAccess};
    use crate::detect::Rule;
    let own_department = facts.iter().any(|f| matches!(f, Fact::CoworkerPatient { same_department: true }));
    let about_the_chart = |r: &str| {
        r == VipAccess::ID
            || r == RestrictedAccess::ID
            || r == DeceasedAccess::ID
            || (r == Coworker::ID && !own_department)
    };
    (0..rules.len()).filter(|&i| about_the_chart(rules[i])).collect()
}

/// The rules that fire on what kind of chart was opened ([`chart_rules`]):
/// two such facts about one chart are one reason to
/// ask why the user opened it, not two pieces of evidence, so only the
/// stronger of their signals counts (the others are zeroed, keeping
/// `signals` in step with `rules`). A coworker of the user's own
/// department is a relationship, evidence of its own.
fn one_reason_per_chart(rules: &[&'static str], facts: &[Fact], signals: &mut [f64]) {
    let kinds = chart_rules(rules, facts);
    if let Some(&strongest) = kinds.iter().max_by(|&&a, &&b| signals[a].total_cmp(&signals[b]).then(b.cmp(&a))) {
        for &i in &kinds {
            if i != strongest {
                signals[i] = 0.0;
            }
        }
    }
}

/// The user's statistics and the named sections `events` opened (not
/// unspecified, other or sensitive), in event order; `None` when the user
/// has too little work (under 50 patient accesses) to know what is usual,
/// or when nothing named was opened. What `outside_usual_work` and
/// `off_pattern` both start from.
fn named_sections<'a>(
    input: &'a DetectInput<'_, Evidence>,
    user: Code,
    events: &[usize],
) -> Option<(&'a crate::features::UserStats, Vec<crate::model::DataCategory>)> {
    let stats = input.features.get(user)?;
    if stats.patient_accesses < 50 {
        return None;
    }
    let ev = &input.data.events;
    let opened: Vec<_> = events.iter().map(|&i| ev.category[i]).filter(|c| is_named(*c)).collect();
    (!opened.is_empty()).then_some((stats, opened))
}

/// A section with a name that says what work it is: not unspecified,
/// other, or sensitive.
fn is_named(c: crate::model::DataCategory) -> bool {
    use crate::model::DataCategory;
    c != DataCategory::Unspecified && c != DataCategory::Other && !c.is_sensitive()
}

/// Accesses that were not the user's usual work: why, to be said with
/// what would have covered them ([`Outside::said`]).
enum Outside {
    /// A section the user all but never opens, beside usual ones.
    Never(crate::model::DataCategory),
    /// None of what was opened is usual: the user's usual sections, with
    /// their shares ("notes 40%").
    Usual(Vec<String>),
}

impl Outside {
    /// The sentence, saying `reason` (a role's reason, work in the unit)
    /// does not cover what was opened.
    fn said(&self, reason: &str) -> String {
        match self {
            Outside::Never(c) => {
                format!(
                    "opened {}, which the user all but never opens, so {reason} does not cover it",
                    c.as_str().replace('_', " ")
                )
            }
            Outside::Usual(usual) => {
                format!(
                    "none of what was opened is the user's usual work ({}), which {reason} covers",
                    usual.join(", ")
                )
            }
        }
    }
}

/// When none of `events` (sensitive and unknown sections aside) opened a
/// section that makes up `share` or more of the user's patient accesses
/// (their usual work), the user's usual sections; when some did but
/// another opened a section the user all but never opens (under a tenth of
/// `share`), that section. `None` when `share` is 0, when the user has too
/// little work to know, or when no section is named.
fn outside_usual_work(input: &DetectInput<'_, Evidence>, user: Code, events: &[usize], share: f64) -> Option<Outside> {
    use crate::model::DataCategory;
    if share <= 0.0 {
        return None;
    }
    let (stats, opened) = named_sections(input, user, events)?;
    // A section the user all but never opens (under a tenth of `share`)
    // is no part of the role's work either.
    let never = opened.iter().find(|c| stats.category_share(**c) < share / 10.0);
    let some_usual = opened.iter().any(|c| stats.category_share(*c) >= share);
    match never {
        None if some_usual => return None,
        Some(c) if some_usual => return Some(Outside::Never(*c)),
        _ => {}
    }
    let mut usual: Vec<(u64, DataCategory)> = DataCategory::ALL
        .iter()
        .copied()
        .filter(|c| is_named(*c) && stats.category_share(*c) >= share)
        .map(|c| (u64::from(stats.categories[(c as usize).min(crate::features::CATEGORIES - 1)]), c))
        .collect();
    usual.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let usual: Vec<String> = usual
        .iter()
        .map(|(n, c)| {
            let pct = *n as f64 / stats.patient_accesses as f64 * 100.0;
            format!("{} {pct:.0}%", c.as_str().replace('_', " "))
        })
        .collect();
    if usual.is_empty() {
        return None;
    }
    Some(Outside::Usual(usual))
}

/// When most of `events` (sensitive sections aside) opened sections the
/// user rarely opens (under `share` of their patient accesses; exactly
/// half with two or more of them), or any
/// opened one the user all but never opens (under a fifth of `share`), the
/// sentence that says so; `nor_unit` adds that the user's work in the
/// patient's unit does not cover it either.
fn off_pattern(
    input: &DetectInput<'_, Evidence>,
    user: Code,
    events: &[usize],
    share: f64,
    nor_unit: bool,
) -> Option<String> {
    use crate::model::DataCategory;
    let (stats, cats) = named_sections(input, user, events)?;
    let mut rare: Vec<DataCategory> = cats.iter().copied().filter(|c| stats.category_share(*c) < share).collect();
    // Most of the accesses in sections the user rarely opens, or any in a
    // section the user all but never opens (a fifth of `share`).
    let never = rare.iter().any(|c| stats.category_share(*c) < share / 5.0);
    // Half is most only with two or more such accesses: one access of two
    // in a section the user opens now and then is no pattern.
    let most = rare.len() * 2 > cats.len() || (rare.len() * 2 == cats.len() && rare.len() >= 2);
    if !most && !never {
        return None;
    }
    if !most {
        rare.retain(|c| stats.category_share(*c) < share / 5.0);
    }
    rare.sort_unstable();
    rare.dedup();
    let together: u64 =
        rare.iter().map(|c| u64::from(stats.categories[(*c as usize).min(crate::features::CATEGORIES - 1)])).sum();
    let names: Vec<String> = rare.iter().map(|c| c.as_str().replace('_', " ")).collect();
    let pct = together as f64 / stats.patient_accesses as f64 * 100.0;
    let pct = if pct < 1.0 { "under 1%".to_string() } else { format!("{pct:.0}%") };
    Some(format!(
        "opened {}, which make up {pct} of the user's accesses: not the user's usual work{}",
        names.join(" and "),
        if nor_unit { ", nor the work in the unit that would cover it" } else { "" }
    ))
}

/// Sorts alerts into the review order, numbers their ranks and groups them
/// into cases.
///
/// The order is the score's (descending; then kind, user id, patient id,
/// first access), except that a user's further alerts queue as if they
/// scored `further_alert_factor` times their score: the reviewer who opens
/// a case sees all of its alerts, so a second alert of a case already in
/// the queue tells less than the first alert of another case of about the
/// same score. A user's alerts keep their order among themselves, and
/// the scores stay as they are.
pub(super) fn rank_and_group(mut alerts: Vec<Alert>, input: &DetectInput<'_, Evidence>) -> Scored {
    let dict = &input.data.dict;
    alerts.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.kind.cmp(&b.kind))
            .then_with(|| dict.users.name(a.user).cmp(dict.users.name(b.user)))
            .then_with(|| dict.patients.name(a.patient).cmp(dict.patients.name(b.patient)))
            .then(a.first.cmp(&b.first))
    });
    review_order(&mut alerts, input.config.score.further_alert_factor);
    for (i, a) in alerts.iter_mut().enumerate() {
        a.rank = i as u32 + 1;
    }
    let cases = group_cases(&mut alerts, input);
    Scored { alerts, cases }
}

/// Reorders score-sorted `alerts` for review: every alert but each user's
/// first (their best) queues at `factor` times its score. A stable sort, so
/// equal priorities keep the score order's tie-breaks; 1 changes nothing.
fn review_order(alerts: &mut Vec<Alert>, factor: f64) {
    if factor >= 1.0 {
        return;
    }
    let mut seen: std::collections::HashSet<Code> = std::collections::HashSet::new();
    let mut keyed: Vec<(f64, Alert)> = alerts
        .drain(..)
        .map(|a| {
            let priority = if seen.insert(a.user) { a.score } else { a.score * factor };
            (priority, a)
        })
        .collect();
    keyed.sort_by(|a, b| b.0.total_cmp(&a.0));
    alerts.extend(keyed.into_iter().map(|(_, a)| a));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scored(user: Code, patient: Code, score: f64) -> Alert {
        Alert {
            id: format!("A-{user}-{patient}"),
            rank: 0,
            score,
            severity: Severity::Low,
            kind: AlertKind::Snooping,
            user,
            patient,
            rules: vec![],
            facts: vec![],
            events: vec![],
            first: 0,
            last: 0,
            sentences: vec![],
            case_id: String::new(),
        }
    }

    fn order(alerts: &[Alert]) -> Vec<(Code, Code)> {
        alerts.iter().map(|a| (a.user, a.patient)).collect()
    }

    #[test]
    fn a_cases_further_alerts_queue_behind_another_cases_first_of_about_its_score() {
        // User 1 browsed three charts (80, 79, 78); user 2 opened one (75);
        // user 3 one (60).
        let by_score = vec![
            scored(1, 10, 80.0),
            scored(1, 11, 79.0),
            scored(1, 12, 78.0),
            scored(2, 20, 75.0),
            scored(3, 30, 60.0),
        ];
        let mut alerts = by_score.clone();
        review_order(&mut alerts, 0.9);
        // 79 and 78 queue as 71.1 and 70.2: after user 2's 75, before
        // user 3's 60 (a case's further alerts still beat a much weaker
        // first alert); user 1's alerts keep their order; scores stay.
        assert_eq!(order(&alerts), vec![(1, 10), (2, 20), (1, 11), (1, 12), (3, 30)]);
        assert_eq!(alerts.iter().map(|a| a.score).collect::<Vec<_>>(), vec![80.0, 75.0, 79.0, 78.0, 60.0]);
        // A factor of 1 ranks by score alone.
        let mut plain = by_score.clone();
        review_order(&mut plain, 1.0);
        assert_eq!(order(&plain), order(&by_score));
    }

    #[test]
    fn independent_signals_outweigh_one_repeated() {
        let two = noisy_or([0.5, 0.5].into_iter());
        let one = noisy_or([0.5].into_iter());
        assert!((two - 0.75).abs() < 1e-12);
        assert!(one < two);
        // Ten more accesses of one signal do not reach a second signal.
        let repeated = 1.0 - (1.0 - one) * 0.98f64.powi(10);
        assert!(repeated < two);
    }

    #[test]
    fn breadth_adds_a_signal_per_patient_past_the_peers_and_the_free_count() {
        let breadth = |patients: u64, peer_median: f64| {
            vec![Fact::UnexplainedBreadth {
                patients,
                days: 10,
                peer_median,
                peer_label: "g".into(),
                in_rounds: 0,
                team_only: 0,
            }]
        };
        let params = ScoreParams::default();
        let at = |patients, median| breadth_signal(&breadth(patients, median), &params);
        // The free count (3) past the peers' typical count adds nothing.
        assert_eq!(at(3, 0.0), None);
        assert_eq!(at(8, 5.0), None);
        let four = at(4, 0.0).expect("one patient past the free count");
        assert!((four - params.breadth_step).abs() < 1e-12, "{four}");
        let nine = at(9, 0.0).expect("six past");
        assert!((nine - (1.0 - (1.0 - params.breadth_step).powi(6))).abs() < 1e-12, "{nine}");
        assert!(at(12, 3.0) == Some(nine), "measured against the peers' typical count");
        // Off, and no breadth fact at all.
        assert_eq!(
            breadth_signal(&breadth(9, 0.0), &ScoreParams { breadth_step: 0.0, ..ScoreParams::default() }),
            None
        );
        assert_eq!(breadth_signal(&[Fact::VipPatient], &params), None);
    }

    /// A chart flagged both VIP and restricted is one reason to ask why
    /// the user opened it: the look scores as the stronger flag alone
    /// would, not as two pieces of evidence. So is a VIP who is also a
    /// hospital employee of another department; a coworker of the user's
    /// own department is a relationship, evidence of its own.
    #[test]
    fn two_flags_on_one_chart_are_one_reason() {
        use crate::test_fixture::World;
        let score_of = |vip: bool, restricted: bool, category: &str| {
            let mut w = World::new();
            w.user("clerk").department("BILLING");
            let mut p = w.patient("X");
            if vip {
                p = p.vip();
            }
            if restricted {
                p.restricted();
            }
            w.patient("P2");
            w.access_with("2026-11-28 14:05:00", "clerk", "X", "view", category, false);
            w.access_with("2026-11-28 14:07:00", "clerk", "P2", "view", "notes", false);
            let alerts = w.alerts();
            alerts.iter().find(|a| a.patient == "X").map(|a| a.score).expect("an alert on X")
        };
        let both = score_of(true, true, "notes");
        let vip = score_of(true, false, "notes");
        let restricted = score_of(false, true, "notes");
        assert_eq!(both, vip.max(restricted), "{both} vs VIP {vip}, restricted {restricted}");
        // A sensitive section read: the same rule, the same one reason.
        let sensitive = score_of(true, true, "behavioral_health");
        let alone = score_of(false, true, "behavioral_health").max(score_of(true, false, "behavioral_health"));
        assert_eq!(sensitive, alone, "{sensitive} vs {alone}");
        let mut signals = [0.6, 0.5, 0.3];
        one_reason_per_chart(&["vip_access", "restricted_access", "after_hours"], &[], &mut signals);
        assert_eq!(signals, [0.6, 0.0, 0.3]);
        // A hospital employee of another department who is also a VIP: one
        // reason; a coworker of the user's own department is another.
        let mut signals = [0.5, 0.6];
        let other = [Fact::CoworkerPatient { same_department: false }];
        one_reason_per_chart(&["coworker", "vip_access"], &other, &mut signals);
        assert_eq!(signals, [0.0, 0.6]);
        let mut signals = [0.5, 0.6];
        let own = [Fact::CoworkerPatient { same_department: true }];
        one_reason_per_chart(&["coworker", "vip_access"], &own, &mut signals);
        assert_eq!(signals, [0.5, 0.6]);
    }

    /// A consulting physician ("cons") who works with MED's
    /// team (their own notes on MED's patients, 64 accesses)
    /// opens a VIP MED inpatient's chart the day after the team did: only
    /// the care-team group links them. `reads`: (time, section) of the
    /// consultant's looks.
    fn team_vip_look(reads: &[(&str, &str)]) -> crate::test_fixture::ScoredAlert {
        use crate::test_fixture::World;
        let mut w = World::new();
        w.user("med").department("MED");
        w.user("cons").department("CONS").role("physician");
        for i in 0..8 {
            let p = format!("P{i}");
            w.patient(&p);
            w.encounter(&p, "MED", "2026-11-01 08:00:00", Some("2026-11-03 08:00:00"), Some("med"));
            w.access("2026-11-02 09:00:00", "med", &p, "view");
            w.access_with("2026-11-02 10:00:00", "cons", &p, "update", "notes", false);
            for k in 0..7 {
                w.access_with(&format!("2026-11-02 1{k}:30:00"), "cons", &p, "view", "notes", false);
            }
        }
        w.patient("X").vip();
        w.encounter("X", "MED", "2026-11-20 08:00:00", None, Some("med"));
        w.access("2026-11-20 09:00:00", "med", "X", "view");
        for (t, section) in reads {
            w.access_with(t, "cons", "X", "view", section, false);
        }
        let alerts = w.alerts();
        alerts.into_iter().find(|a| a.user == "cons" && a.patient == "X").expect("an alert on X")
    }

    /// One day's look at a VIP in the user's usual work, at a patient the
    /// user's care-team group treats, weighs like a role-wide reason; a
    /// look outside that work, or a return on another day, in full.
    #[test]
    fn a_teams_one_day_look_at_a_vip_in_usual_work_weighs_less() {
        let routine = team_vip_look(&[("2026-11-21 11:00:00", "notes")]);
        assert_eq!(routine.rules, ["vip_access"]);
        assert!(routine.explanation.contains("colleagues the user often works with"), "{}", routine.explanation);
        assert!(routine.explanation.contains("the VIP flag counts for less"), "{}", routine.explanation);
        let notes = team_vip_look(&[("2026-11-21 11:00:00", "medications")]);
        let back = team_vip_look(&[("2026-11-21 11:00:00", "notes"), ("2026-11-23 11:00:00", "notes")]);
        for full in [&notes, &back] {
            assert_eq!(full.rules, ["vip_access"]);
            assert!(!full.explanation.contains("counts for less"), "{}", full.explanation);
        }
        // The VIP flag times the factor, and nothing else (the group takes
        // "no care link" away; 11:00 is within the user's hours).
        let vip = crate::test_fixture::World::new().weight::<crate::detect::rules::VipAccess>();
        let factor = ScoreParams::default().population_level_factor;
        assert_eq!(routine.score, (vip * factor * 1000.0).round() / 10.0, "{routine:?}");
        assert!(notes.score > vip * 100.0 - 0.05, "{notes:?}");
        assert!(back.score > vip * 100.0 - 0.05, "{back:?}");
    }

    #[test]
    fn ids_are_stable_and_separated() {
        assert_eq!(stable_id("", &["a", "b"]), stable_id("", &["a", "b"]));
        assert_ne!(stable_id("", &["ab", ""]), stable_id("", &["a", "b"]));
        assert_eq!(stable_id("C-", &["x"]).len(), 18);
    }
}
