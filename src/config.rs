//! Run configuration: every tunable of the pipeline, validated once.
//!
//! Loaded from `ehrwatch.toml` (all keys optional; unknown keys are errors so
//! a typo never silently does nothing) and overridden by command-line flags
//! in the binary. Past [`Config::check`] every value is known to be in range,
//! except the `[rules.*]` tables: each rule owns its keys, defaults and
//! ranges (`detect`, which this module must not import), and
//! `detect::check_rules` validates them when the binary loads the file.

use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use serde::Deserialize;

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{path}: cannot read configuration: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML or has unknown keys.
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// toml's message, with line and column.
        message: String,
    },
    /// A value is out of range.
    #[error("configuration: {key} = {value} is out of range; expected {expected}")]
    OutOfRange {
        /// The key, dotted.
        key: &'static str,
        /// The value given.
        value: String,
        /// What is allowed.
        expected: &'static str,
    },
    /// A rule's tunable is out of range.
    #[error("configuration: rules.{rule}.{key} = {value} is out of range; expected {expected}")]
    RuleOutOfRange {
        /// The rule id.
        rule: &'static str,
        /// The key within the rule's table.
        key: &'static str,
        /// The value given.
        value: String,
        /// What is allowed.
        expected: &'static str,
    },
    /// A `[rules.<id>]` table names an unknown rule, holds an unknown key or
    /// a value of the wrong type.
    #[error("configuration: rules.{rule}: {message}")]
    RuleTable {
        /// The table's rule id, as written.
        rule: String,
        /// What is wrong.
        message: String,
    },
    /// An unknown time zone.
    #[error("time zone \"{0}\" is not an IANA time zone name; expected for example \"America/Chicago\" or \"UTC\"")]
    TimeZone(String),
}

impl ConfigError {
    /// The error as one of the file at `path`: a rule table's unknown key
    /// or wrong type names the file, as the file's other parse errors do.
    pub fn in_file(self, path: &Path) -> ConfigError {
        match self {
            ConfigError::RuleTable { rule, message } => {
                ConfigError::Parse { path: path.to_path_buf(), message: format!("rules.{rule}: {message}") }
            }
            other => other,
        }
    }
}

/// When an access counts as explained by care (the explain stage).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ExplainParams {
    /// Hours before an encounter starts during which its department is
    /// explained (pre-admission work-up).
    pub encounter_before_hours: u32,
    /// Days before an encounter starts during which its provider (the
    /// attending or scheduled clinician) is explained: pre-visit chart review.
    pub provider_before_days: u32,
    /// Days after an encounter ends during which its provider is still
    /// explained: an established treating relationship (results, messages,
    /// follow-up).
    pub provider_after_days: u32,
    /// Days after an encounter ends (or after it started, when it has no end)
    /// during which follow-up (results, discharge paperwork) is explained.
    pub encounter_after_days: u32,
    /// Days either side of a user's own charting (create/update) in a record
    /// during which that user's other accesses to it are explained.
    pub documentation_window_days: u32,
    /// Days after a user's own charting in a record during which that
    /// user's later accesses to it are explained (following up results and
    /// messages of the care they charted); at least
    /// `documentation_window_days`.
    pub documentation_after_days: u32,
    /// Days before a user's own charting in a record during which that
    /// user's accesses to it are explained (reading up before a visit the
    /// encounters may not list); at least `documentation_window_days`.
    /// Not for the role lists' staff, whose charting is a task (see
    /// `documentation_task_hours`).
    pub documentation_before_days: u32,
    /// For staff whose role class is on one of the role lists below
    /// (coding, billing, registration, pharmacy, laboratory, radiology, case
    /// management, research), charting is a task, not a treating
    /// relationship: it explains their accesses from this many hours before
    /// it (at most `documentation_window_days`) to `documentation_window_days`
    /// after it, and on to `documentation_after_days` after it only until
    /// the patient's next encounter starts (a new visit is a new episode of
    /// care). A coder who coded last month's
    /// visit has no task in this week's stay, nor a pharmacist who verifies
    /// an order tomorrow in the chart tonight.
    pub documentation_task_hours: u32,
    /// Roles whose work follows discharge (coding, billing): explained from
    /// an encounter's end to `after_discharge_days` after it.
    pub after_discharge_roles: Vec<String>,
    /// Days after discharge during which `after_discharge_roles` are explained.
    pub after_discharge_days: u32,
    /// Roles whose work surrounds a visit (registration, scheduling):
    /// explained from `around_visit_before_days` before an encounter starts
    /// to `around_visit_after_days` after it starts.
    pub around_visit_roles: Vec<String>,
    /// Days before a visit starts during which `around_visit_roles` are explained.
    pub around_visit_before_days: u32,
    /// Days after a visit starts during which `around_visit_roles` are explained.
    pub around_visit_after_days: u32,
    /// Roles that serve every patient in care (pharmacy, lab, radiology, case
    /// management): explained during any encounter's window.
    pub during_care_roles: Vec<String>,
    /// Roles that follow a fixed panel of patients not tied to encounters
    /// (research coordinators and their study lists): explained when the
    /// user opens the patient on at least `panel_min_days` distinct days.
    pub panel_roles: Vec<String>,
    /// Distinct days that make a patient part of a `panel_roles` user's panel.
    pub panel_min_days: u32,
    /// Collaborative groups: two users collaborate when at least this many
    /// patients have care-explained accesses by both.
    pub group_min_shared_patients: u32,
    /// ... and the shared patients are at least this share of the user's own
    /// care-explained patients.
    pub group_min_share: f64,
    /// An unexplained access is explained by the group when a collaborator's
    /// care-explained access to the same patient is within this many days.
    pub group_window_days: u32,
    /// Unlisted visits: an access nothing else explains is explained when,
    /// within this many days (1: the same day), another user charted in the
    /// patient's record from the user's home department or the department
    /// the access came from, or, for a role that serves visits (during care
    /// or around a visit), from any department: a visit the encounters
    /// export does not list. A population-level reason. 0 turns it off.
    pub unlisted_visit_days: u32,
    /// Unit charting: an access that no patient-specific reason explains,
    /// while the encounters list no visit or stay of the patient in
    /// progress, is explained patient-specifically when at least this many
    /// other users charted in the patient's record within
    /// `unlisted_visit_days` from the user's home department or the
    /// department the access came from: the patient was on the user's unit
    /// in a stay the export does not list. 0 turns it off.
    pub unit_charting_users: u32,
    /// The title rules compiled from `[roles]` (not a key of `[explain]`).
    #[serde(skip)]
    pub titles: crate::roles::TitleRules,
}

/// `[roles]`: how HR job titles map to role classes.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RoleParams {
    /// Whether the built-in title rules apply after the hospital's own.
    pub builtin_rules: bool,
    /// The hospital's patterns, tried before the built-in rules: words that
    /// must appear in a title, in order (`"unit secretary"`), to the class
    /// they mean (`"registration"`; see `roles::RoleClass` for the names).
    pub titles: std::collections::BTreeMap<String, String>,
}

impl Default for RoleParams {
    fn default() -> Self {
        Self { builtin_rules: true, titles: Default::default() }
    }
}

impl RoleParams {
    /// The compiled rules, or the first pattern whose class is unknown.
    pub fn compile(&self) -> Result<crate::roles::TitleRules, ConfigError> {
        let mut custom = Vec::with_capacity(self.titles.len());
        for (pattern, class) in &self.titles {
            let c = crate::roles::RoleClass::parse(class).ok_or_else(|| ConfigError::OutOfRange {
                key: "roles.titles",
                value: format!("\"{pattern}\" = \"{class}\""),
                expected: ROLE_CLASSES,
            })?;
            custom.push((pattern.clone(), c));
        }
        Ok(crate::roles::TitleRules::new(&custom, self.builtin_rules))
    }
}

const ROLE_CLASSES: &str = "a role class: physician, advanced_practice, resident, nurse, clinical_support, pharmacy, \
     laboratory, radiology, registration, him_coding, billing, case_management, research, it or other";

/// The kind of work a role class does, as the explain stage's role lists
/// say: when in a patient's care its staff routinely open the chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleWorkKind {
    /// From discharge on (coding, billing): work comes in queues.
    AfterDischarge,
    /// Around a visit's start (registration): queues too.
    AroundVisit,
    /// During the stay (pharmacy, laboratory, radiology): work comes in
    /// rounds of a unit's patients.
    DuringCare,
    /// A study list (research).
    Panel,
}

impl ExplainParams {
    /// The work of `class`, from the role lists (earlier lists win).
    pub fn work_of(&self, class: crate::roles::RoleClass) -> Option<RoleWorkKind> {
        [
            (&self.panel_roles, RoleWorkKind::Panel),
            (&self.during_care_roles, RoleWorkKind::DuringCare),
            (&self.around_visit_roles, RoleWorkKind::AroundVisit),
            (&self.after_discharge_roles, RoleWorkKind::AfterDischarge),
        ]
        .into_iter()
        .find(|(list, _)| list.iter().any(|e| self.class_of(e) == Some(class)))
        .map(|(_, w)| w)
    }

    /// The class a role list entry names: a class name, or an older
    /// configuration's role word read as a title ("pharmacist").
    pub fn class_of(&self, entry: &str) -> Option<crate::roles::RoleClass> {
        crate::roles::RoleClass::parse(entry).or_else(|| self.titles.classify(entry).map(|(c, _)| c))
    }
}

impl Default for ExplainParams {
    fn default() -> Self {
        let roles = |r: &[&str]| r.iter().map(|s| s.to_string()).collect();
        Self {
            encounter_before_hours: 24,
            provider_before_days: 10,
            provider_after_days: 90,
            encounter_after_days: 30,
            documentation_window_days: 3,
            documentation_after_days: 30,
            documentation_before_days: 7,
            documentation_task_hours: 12,
            after_discharge_roles: roles(&["him_coding", "billing"]),
            after_discharge_days: 90,
            around_visit_roles: roles(&["registration"]),
            around_visit_before_days: 3,
            around_visit_after_days: 2,
            during_care_roles: roles(&["pharmacy", "laboratory", "radiology", "case_management"]),
            panel_roles: roles(&["research"]),
            panel_min_days: 2,
            group_min_shared_patients: 5,
            group_min_share: 0.1,
            group_window_days: 2,
            unlisted_visit_days: 1,
            unit_charting_users: 2,
            titles: crate::roles::TitleRules::default(),
        }
    }
}

/// How a user's usual hours are learned.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct HoursParams {
    /// Accesses a user needs before their own hours are learned; below it the
    /// default day window applies.
    pub min_events: u32,
    /// Share of a user's accesses an hour of day must hold to count as usual.
    pub min_share: f64,
    /// First hour (0-23) of the default day window.
    pub default_start_hour: u8,
    /// Hour (1-24) at which the default day window ends.
    pub default_end_hour: u8,
}

impl Default for HoursParams {
    fn default() -> Self {
        Self { min_events: 100, min_share: 0.01, default_start_hour: 7, default_end_hour: 19 }
    }
}

/// How peer groups are learned.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct PeerParams {
    /// Seed of the clustering (same data and seed, same groups).
    pub seed: u64,
    /// Largest number of groups tried (k = 2..=max_k, best silhouette wins).
    pub max_k: u32,
    /// Fewer users than this: no peer groups (the peer rules are skipped).
    pub min_users: u32,
    /// Users sampled for the silhouette score.
    pub silhouette_sample: u32,
    /// Groups smaller than this share of users (and at least 5 users) are
    /// merged into the nearest larger group.
    pub min_group_share: f64,
}

impl Default for PeerParams {
    fn default() -> Self {
        Self { seed: 42, max_k: 8, min_users: 20, silhouette_sample: 2000, min_group_share: 0.02 }
    }
}

/// `[rules.*]`: each rule's table as written in the file. The keys a
/// table may hold, their defaults and their ranges belong to the rule (its
/// file under `detect/`): `detect::check_rules` resolves and validates every
/// table when the configuration is loaded, and the run resolves each rule's
/// table again before running it. A table may set only some keys; the
/// others keep the rule's defaults.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(transparent)]
pub struct RulesParams {
    /// Rule id to its table.
    tables: std::collections::BTreeMap<String, toml::Table>,
}

impl RulesParams {
    /// The `[rules.<id>]` table as written, if any.
    pub fn table(&self, id: &str) -> Option<&toml::Table> {
        self.tables.get(id)
    }

    /// The ids of the tables written, in name order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.tables.keys().map(String::as_str)
    }

    /// Sets `key` of rule `id`'s table, as a line of the file would (the
    /// value is checked when the rule is resolved).
    pub fn set(&mut self, id: &str, key: &str, value: impl Into<toml::Value>) {
        self.tables.entry(id.to_string()).or_default().insert(key.to_string(), value.into());
    }
}

/// How signals combine into a score.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ScoreParams {
    /// Weight of "accessed outside the user's usual hours" as a supporting signal.
    pub after_hours_weight: f64,
    /// Weight of "no care relationship explains any of the accesses" as a
    /// supporting signal, for a user whose role rarely lacks one; scaled
    /// down where the role routinely does, and none for `panel_roles`
    /// (see `score::role_norms`).
    pub unexplained_weight: f64,
    /// Scores at or above this are `high` severity.
    pub high_severity: f64,
    /// Scores at or above this (and below high) are `medium`.
    pub medium_severity: f64,
    /// Weight of "the user has confirmed earlier alerts" (reviewed.csv) as
    /// one more signal on their other alerts; 0 turns the boost off.
    pub repeat_offender_weight: f64,
    /// A patient with an encounter in the user's own department within this
    /// many days of the accesses (outside the window that explains them) is
    /// a recent or upcoming patient of the department: an indirect link, so
    /// "no care link at all" does not count. 0 turns this off.
    pub department_history_days: u32,
    /// A sensitive-chart or relationship alert whose accesses only a
    /// role-wide reason explains (role timing, a study panel): the rules'
    /// weights are multiplied by this. (A care-team group, learned from
    /// the user's own work with colleagues, lowers the score only by
    /// taking away the "no care link" signal.)
    pub population_level_factor: f64,
    /// ... and when most of its accesses opened sections the user rarely
    /// opens (each below `off_pattern_share` of the user's patient
    /// accesses; exactly half only with two or more such accesses), or
    /// any opened a section the user all but never opens (below a fifth of
    /// it), this weight is one more signal (sensitive sections do not
    /// count: every chart has few).
    pub off_pattern_weight: f64,
    /// A section is one the user rarely opens below this share of their
    /// patient accesses.
    pub off_pattern_share: f64,
    /// A section is part of the user's usual work at or above this share of
    /// their patient accesses. When a role-wide reason is all that explains
    /// a sensitive or related chart and none of the sections opened is the
    /// user's usual work (a lab technician reading a VIP's notes and
    /// demographics, never a result), the reason does not cover what was
    /// done: the rules weigh in full. 0 turns this off.
    pub usual_work_share: f64,
    /// Curious browsing grows with its breadth: each distinct patient no
    /// care explains beyond the peer group's typical count plus
    /// `breadth_free` adds a signal of this weight (noisy-OR: `k` such
    /// patients add `1 - (1 - breadth_step)^k`). Nine records browsed weigh
    /// more than four. 0 turns this off.
    pub breadth_step: f64,
    /// Patients beyond the peer group's typical count that add nothing.
    pub breadth_free: f64,
    /// A role whose typical user has no care link to at least this share
    /// of their patients (an IT analyst working tickets) opens charts
    /// without one as a matter of course: such a user's look at a flagged
    /// chart (a VIP's, a restricted one, a deceased patient's, another
    /// department's employee's) that nothing links and that stays on one
    /// day weighs like a role-wide reason (`population_level_factor`); a
    /// return on another day weighs in full. 0 turns this off.
    pub routine_no_link_share: f64,
    /// A glance at a chart only a role's queue of work (coding, billing)
    /// explains: reading only, in one sitting, a handful of accesses (four
    /// at most) and at most this share of the
    /// fewest accesses any other chart the user worked within six hours
    /// took (at least three charts, read through: four accesses each or
    /// more; some of them the queue's). The queue's work reads a chart through; a
    /// glance is not it, and the role's reason does not cover it: the
    /// rules weigh in full. 0 turns this off.
    pub glance_share: f64,
    /// The review order (alerts.csv's `rank`) queues each user's further
    /// alerts, after their best one, as if they scored this many times
    /// their score: a case already in the queue is opened with all its
    /// alerts, so its second alert goes after another case's first of
    /// about the same score. 1 ranks by score alone.
    pub further_alert_factor: f64,
}

impl Default for ScoreParams {
    fn default() -> Self {
        Self {
            after_hours_weight: 0.2,
            unexplained_weight: 0.3,
            high_severity: 80.0,
            medium_severity: 50.0,
            repeat_offender_weight: 0.3,
            department_history_days: 90,
            population_level_factor: 0.35,
            off_pattern_weight: 0.3,
            off_pattern_share: 0.05,
            usual_work_share: 0.1,
            breadth_step: 0.04,
            breadth_free: 3.0,
            routine_no_link_share: 0.5,
            glance_share: 0.5,
            further_alert_factor: 0.9,
        }
    }
}

/// How names are compared when users are matched to patients and their
/// contacts (the relationship rules).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct NamesParams {
    /// Whether the built-in table of common given-name equivalences
    /// (William/Bill/Liam, Margaret/Peggy, ...) is used.
    pub builtin_nicknames: bool,
    /// More groups of given names that name the same person, added to the
    /// built-in ones: `[["Guillermo", "Memo"], ...]`. A name may sit in
    /// several groups; two names match when they share one.
    pub nicknames: Vec<Vec<String>>,
}

impl Default for NamesParams {
    fn default() -> Self {
        Self { builtin_nicknames: true, nicknames: Vec::new() }
    }
}

/// What input ingest accepts, and when a run gives up on a table.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct InputParams {
    /// Access-log rows stamped before 1 January of this year are rejected
    /// (a clock reset, a placeholder date).
    pub min_year: i32,
    /// Access-log rows stamped more than this many days after the newest
    /// input file's modification time, or after the run's own clock, are
    /// rejected: one row from a wrong clock must not move the window or
    /// the state's retention.
    pub max_days_ahead: u32,
    /// The run stops (exit code 1) when more than this share of a table's
    /// rows is rejected: a nightly feed that is garbage fails loudly.
    /// 1 never stops.
    pub max_reject_share: f64,
    /// `action` values the hospital writes its own way, read as a contract
    /// action (`"Chart Opened" = "view"`), matched whatever the case,
    /// spaces or punctuation; before the built-in aliases.
    pub action_aliases: std::collections::BTreeMap<String, String>,
    /// `data_category` values the hospital writes its own way, read as a
    /// contract category (`"Psych Eval" = "behavioral_health"`), as
    /// `action_aliases`.
    pub category_aliases: std::collections::BTreeMap<String, String>,
}

impl Default for InputParams {
    fn default() -> Self {
        Self {
            min_year: 1900,
            max_days_ahead: 1,
            max_reject_share: 0.05,
            action_aliases: Default::default(),
            category_aliases: Default::default(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct ConfigFile {
    timezone: Option<String>,
    explain: ExplainParams,
    hours: HoursParams,
    peers: PeerParams,
    rules: RulesParams,
    score: ScoreParams,
    roles: RoleParams,
    names: NamesParams,
    input: InputParams,
}

/// A validated run configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The hospital's IANA time zone; naive timestamps are read in it and
    /// hour-of-day features use it.
    pub timezone: Tz,
    /// Explain-stage settings.
    pub explain: ExplainParams,
    /// Usual-hours settings.
    pub hours: HoursParams,
    /// Peer-group settings.
    pub peers: PeerParams,
    /// Rule settings.
    pub rules: RulesParams,
    /// Scoring settings.
    pub score: ScoreParams,
    /// Title rules (`[roles]`); compiled into `explain.titles`.
    pub roles: RoleParams,
    /// Name-matching settings (nicknames).
    pub names: NamesParams,
    /// Input acceptance: plausible timestamps, reject threshold.
    pub input: InputParams,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            timezone: chrono_tz::UTC,
            explain: ExplainParams::default(),
            hours: HoursParams::default(),
            peers: PeerParams::default(),
            rules: RulesParams::default(),
            score: ScoreParams::default(),
            roles: RoleParams::default(),
            names: NamesParams::default(),
            input: InputParams::default(),
        }
    }
}

/// Parses an IANA time zone name.
pub fn parse_timezone(name: &str) -> Result<Tz, ConfigError> {
    name.trim().parse::<Tz>().map_err(|_| ConfigError::TimeZone(name.to_string()))
}

fn check_weight(key: &'static str, w: f64) -> Result<(), ConfigError> {
    if (0.0..=1.0).contains(&w) {
        Ok(())
    } else {
        Err(ConfigError::OutOfRange { key, value: w.to_string(), expected: "a number from 0 to 1" })
    }
}

impl Config {
    /// Reads and validates a TOML configuration file. The `[rules.*]`
    /// tables are kept as written: `detect::check_rules` validates them.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
        Self::parse(&text, path)
    }

    /// Parses and validates TOML text; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let parse_err = |e: toml::de::Error| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string().trim().replace('\n', " "),
        };
        let value: toml::Table = toml::from_str(text).map_err(parse_err)?;
        let file = ConfigFile::deserialize(toml::Value::Table(value)).map_err(parse_err)?;
        let config = Config {
            timezone: match &file.timezone {
                Some(tz) => parse_timezone(tz)?,
                None => chrono_tz::UTC,
            },
            explain: crate::config::ExplainParams { titles: file.roles.compile()?, ..file.explain },
            hours: file.hours,
            peers: file.peers,
            rules: file.rules,
            score: file.score,
            roles: file.roles,
            names: file.names,
            input: file.input,
        };
        config.check()?;
        Ok(config)
    }

    /// Validates ranges. Called by [`Config::parse`]; call it again after
    /// changing fields by hand.
    pub fn check(&self) -> Result<(), ConfigError> {
        if self.peers.max_k < 2 || self.peers.silhouette_sample < 10 {
            return Err(ConfigError::OutOfRange {
                key: "peers.max_k/silhouette_sample",
                value: format!("{}/{}", self.peers.max_k, self.peers.silhouette_sample),
                expected: "max_k of 2 or more and a sample of 10 or more",
            });
        }
        let e = &self.explain;
        if !(0.0..=1.0).contains(&e.group_min_share) {
            return Err(ConfigError::OutOfRange {
                key: "explain.group_min_share",
                value: e.group_min_share.to_string(),
                expected: "a share from 0 to 1",
            });
        }
        for (key, list) in [
            ("explain.after_discharge_roles", &e.after_discharge_roles),
            ("explain.around_visit_roles", &e.around_visit_roles),
            ("explain.during_care_roles", &e.during_care_roles),
            ("explain.panel_roles", &e.panel_roles),
        ] {
            if let Some(bad) = list.iter().find(|r| e.class_of(r).is_none()) {
                return Err(ConfigError::OutOfRange { key, value: format!("\"{bad}\""), expected: ROLE_CLASSES });
            }
        }
        let h = &self.hours;
        if !(0.0..1.0).contains(&h.min_share) {
            return Err(ConfigError::OutOfRange {
                key: "hours.min_share",
                value: h.min_share.to_string(),
                expected: "a share from 0 up to (not including) 1",
            });
        }
        if h.default_start_hour > 23 || h.default_end_hour == 0 || h.default_end_hour > 24 {
            return Err(ConfigError::OutOfRange {
                key: "hours.default_start_hour/default_end_hour",
                value: format!("{}/{}", h.default_start_hour, h.default_end_hour),
                expected: "a start hour 0-23 and an end hour 1-24",
            });
        }
        check_weight("score.after_hours_weight", self.score.after_hours_weight)?;
        check_weight("score.breadth_step", self.score.breadth_step)?;
        check_weight("score.unexplained_weight", self.score.unexplained_weight)?;
        check_weight("score.repeat_offender_weight", self.score.repeat_offender_weight)?;
        check_weight("score.population_level_factor", self.score.population_level_factor)?;
        check_weight("score.off_pattern_weight", self.score.off_pattern_weight)?;
        check_weight("score.off_pattern_share", self.score.off_pattern_share)?;
        check_weight("score.usual_work_share", self.score.usual_work_share)?;
        check_weight("score.routine_no_link_share", self.score.routine_no_link_share)?;
        check_weight("score.glance_share", self.score.glance_share)?;
        check_weight("score.further_alert_factor", self.score.further_alert_factor)?;
        let s = &self.score;
        if !(s.breadth_free.is_finite() && s.breadth_free >= 0.0) {
            return Err(ConfigError::OutOfRange {
                key: "score.breadth_free",
                value: s.breadth_free.to_string(),
                expected: "a count of 0 or more",
            });
        }
        if !(0.0..=100.0).contains(&s.medium_severity) || s.medium_severity > s.high_severity || s.high_severity > 100.0
        {
            return Err(ConfigError::OutOfRange {
                key: "score.medium_severity/high_severity",
                value: format!("{}/{}", s.medium_severity, s.high_severity),
                expected: "0 <= medium <= high <= 100",
            });
        }
        if let Some(group) =
            self.names.nicknames.iter().find(|g| g.len() < 2 || !g.iter().all(|n| n.chars().any(char::is_alphabetic)))
        {
            return Err(ConfigError::OutOfRange {
                key: "names.nicknames",
                value: format!("{group:?}"),
                expected: "groups of two or more names, each with letters",
            });
        }
        let i = &self.input;
        if !(1..=9999).contains(&i.min_year) || i.max_days_ahead > 36_600 {
            return Err(ConfigError::OutOfRange {
                key: "input.min_year/max_days_ahead",
                value: format!("{}/{}", i.min_year, i.max_days_ahead),
                expected: "a year from 1 to 9999 and at most 36600 days",
            });
        }
        use crate::model::{Action, DataCategory};
        if let Some((raw, to)) =
            i.action_aliases.iter().find(|(_, to)| Action::parse(to).is_none_or(|a| a == Action::Other))
        {
            return Err(ConfigError::OutOfRange {
                key: "input.action_aliases",
                value: format!("\"{raw}\" = \"{to}\""),
                expected: "a contract action: view, create, update, delete, print, export, search, login or logout",
            });
        }
        if let Some((raw, to)) = i.category_aliases.iter().find(|(_, to)| DataCategory::parse(to).is_none()) {
            return Err(ConfigError::OutOfRange {
                key: "input.category_aliases",
                value: format!("\"{raw}\" = \"{to}\""),
                expected: "a contract data_category: demographics, notes, results, medications, imaging, orders, billing, behavioral_health, substance_use, hiv, reproductive or genetic",
            });
        }
        if !(0.0..=1.0).contains(&i.max_reject_share) {
            return Err(ConfigError::OutOfRange {
                key: "input.max_reject_share",
                value: i.max_reject_share.to_string(),
                expected: "a share from 0 to 1",
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_gives_defaults() {
        assert_eq!(Config::parse("", Path::new("e.toml")).unwrap(), Config::default());
    }

    #[test]
    fn values_are_read_and_checked() {
        let c = Config::parse(
            "timezone = \"America/Chicago\"\n[rules.vip_access]\nweight = 0.7\n[explain]\nencounter_after_days = 14\n",
            Path::new("e.toml"),
        )
        .unwrap();
        assert_eq!(c.timezone, chrono_tz::America::Chicago);
        assert_eq!(c.explain.encounter_after_days, 14);
        // Rule tables are kept as written, for `detect` to resolve.
        assert_eq!(c.rules.table("vip_access").and_then(|t| t.get("weight")), Some(&toml::Value::Float(0.7)));
        assert_eq!(c.rules.ids().collect::<Vec<_>>(), ["vip_access"]);
        let e = Config::parse("[explain]\ngroup_min_share = 3.0\n", Path::new("e.toml")).unwrap_err();
        assert!(e.to_string().contains("explain.group_min_share"), "{e}");
        let e = Config::parse("[rules]\nvip_access = 3\n", Path::new("e.toml")).unwrap_err();
        assert!(e.to_string().starts_with("e.toml:"), "{e}");
    }

    #[test]
    fn typos_and_bad_zones_are_errors_naming_the_file() {
        let e = Config::parse("[explain]\nencounter_after_dayz = 3\n", Path::new("x.toml")).unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with("x.toml:") && msg.contains("encounter_after_dayz"), "{msg}");
        let e = Config::parse("timezone = \"Mars/Olympus\"\n", Path::new("x.toml")).unwrap_err();
        assert!(e.to_string().contains("Mars/Olympus"));
    }

    /// A hospital's own spellings are read as contract values; a target
    /// that names none is an error naming the table and the pair.
    #[test]
    fn input_aliases_name_contract_values() {
        let c = Config::parse(
            "[input.category_aliases]\n\"Psych Eval\" = \"behavioral_health\"\n[input.action_aliases]\n\"Chart Opened\" = \"VIEW\"\n",
            Path::new("a.toml"),
        )
        .unwrap();
        assert_eq!(c.input.category_aliases["Psych Eval"], "behavioral_health");
        assert_eq!(c.input.action_aliases["Chart Opened"], "VIEW");
        let e = Config::parse("[input.category_aliases]\n\"Teeth\" = \"dental\"\n", Path::new("a.toml")).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("input.category_aliases") && msg.contains("\"Teeth\" = \"dental\""), "{msg}");
        let e = Config::parse("[input.action_aliases]\n\"Glance\" = \"other\"\n", Path::new("a.toml")).unwrap_err();
        assert!(e.to_string().contains("input.action_aliases"), "{e}");
    }

    #[test]
    fn names_table_adds_nickname_groups_and_can_drop_the_builtins() {
        assert!(Config::default().names.builtin_nicknames);
        let c = Config::parse(
            "[names]\nnicknames = [[\"Guillermo\", \"Memo\"], [\"William\", \"Wim\"]]\n",
            Path::new("n.toml"),
        )
        .unwrap();
        assert!(c.names.builtin_nicknames);
        assert_eq!(
            c.names.nicknames,
            vec![vec!["Guillermo".to_string(), "Memo".into()], vec!["William".into(), "Wim".into()]]
        );
        let c = Config::parse("[names]\nbuiltin_nicknames = false\n", Path::new("n.toml")).unwrap();
        assert!(!c.names.builtin_nicknames && c.names.nicknames.is_empty());

        let e = Config::parse("[names]\nnicknames = [[\"Guillermo\"]]\n", Path::new("n.toml")).unwrap_err();
        assert!(e.to_string().contains("names.nicknames"), "{e}");
        let e = Config::parse("[names]\nnicknames = [[\"Bill\", \"42\"]]\n", Path::new("n.toml")).unwrap_err();
        assert!(e.to_string().contains("names.nicknames"), "{e}");
        let e = Config::parse("[names]\nnickname = [[\"A\", \"B\"]]\n", Path::new("n.toml")).unwrap_err();
        assert!(e.to_string().contains("nickname"), "{e}");
    }
}
