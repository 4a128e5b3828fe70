//! A rule's settings: the switch and weight every rule has
//! ([`RuleSettings`]), and the rule's own tunables (its `Params` type, kept
//! in the rule's file), read from its `[rules.<id>]` table and checked.
//!
//! The configuration keeps the `[rules.*]` tables as written
//! ([`crate::config::RulesParams`]); [`resolve`] lays a rule's table over
//! the rule's defaults and validates every value (linfa's
//! `Params -> ValidParams`). [`super::registry::check_rules`] resolves every
//! rule when the configuration is loaded, so a bad value fails at startup;
//! the run resolves each rule again, once, before it runs it.

use std::fmt::Display;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::config::{ConfigError, RulesParams};

/// Switch and weight of one rule: the `enabled` and `weight` keys of every
/// `[rules.<id>]` table.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSettings {
    /// Whether the rule runs.
    pub enabled: bool,
    /// Weight in 0..=1: the probability-like strength of the rule's evidence
    /// when combined with other signals (see `score`).
    pub weight: f64,
}

impl RuleSettings {
    /// An enabled rule of this weight (a rule's default).
    pub const fn weight(weight: f64) -> Self {
        Self { enabled: true, weight }
    }
}

/// A rule's own tunables (beyond `enabled` and `weight`): a serde struct
/// whose fields are the keys of its `[rules.<id>]` table, whose `Default` is
/// the documented defaults, and whose [`RuleParams::check`] range-checks
/// every value.
pub trait RuleParams: Default + Serialize + DeserializeOwned + Send + Sync {
    /// `Err` naming the first key whose value is out of range.
    fn check(&self) -> Result<(), Invalid>;
}

/// A rule without tunables of its own.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

impl RuleParams for NoParams {
    fn check(&self) -> Result<(), Invalid> {
        Ok(())
    }
}

/// A tunable out of range: its key within the rule's table, the value, and
/// what is allowed.
#[derive(Debug, Clone, PartialEq)]
pub struct Invalid {
    /// The key, within the rule's table (`z`).
    pub key: &'static str,
    /// The value given.
    pub value: String,
    /// What is allowed.
    pub expected: &'static str,
}

/// `Ok` when `value` lies in `lo..=hi`; else an [`Invalid`] for `key`.
pub fn within<T: PartialOrd + Display>(
    key: &'static str,
    value: T,
    lo: T,
    hi: T,
    expected: &'static str,
) -> Result<(), Invalid> {
    if lo <= value && value <= hi {
        Ok(())
    } else {
        Err(Invalid { key, value: value.to_string(), expected })
    }
}

/// `Ok` for a finite `value` of at least `lo`; else an [`Invalid`] for `key`.
pub fn finite_at_least(key: &'static str, value: f64, lo: f64, expected: &'static str) -> Result<(), Invalid> {
    within(key, value, lo, f64::MAX, expected)
}

/// `Ok` for a share or weight in 0..=1.
pub fn unit(key: &'static str, value: f64) -> Result<(), Invalid> {
    within(key, value, 0.0, 1.0, "a number from 0 to 1")
}

/// Days a day-count tunable may span at most (a century).
pub const MAX_DAYS: u32 = 36_600;

/// `Ok` for a count of days from `lo` to [`MAX_DAYS`].
pub fn days(key: &'static str, value: u32, lo: u32) -> Result<(), Invalid> {
    let expected = if lo == 0 { "a number of days from 0 to 36600" } else { "a number of days from 1 to 36600" };
    within(key, value, lo, MAX_DAYS, expected)
}

/// `Ok` for a count of 1 or more.
pub fn positive(key: &'static str, value: u32) -> Result<(), Invalid> {
    within(key, value, 1, u32::MAX, "a count of 1 or more")
}

/// A rule's settings and tunables, resolved from its table and checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved<P> {
    /// Switch and weight.
    pub settings: RuleSettings,
    /// The rule's own tunables.
    pub params: P,
}

/// Lays `over` onto `base`, key by key.
fn merge(base: &mut toml::Table, over: &toml::Table) {
    for (k, v) in over {
        base.insert(k.clone(), v.clone());
    }
}

/// The settings and tunables of rule `id`: its `[rules.<id>]` table laid
/// over `defaults` and `P::default()`, then checked. Unknown keys, values of
/// the wrong type and values out of range are errors naming the key.
pub fn resolve<P: RuleParams>(
    id: &'static str,
    defaults: RuleSettings,
    rules: &RulesParams,
) -> Result<Resolved<P>, ConfigError> {
    let table = |message: String| ConfigError::RuleTable { rule: id.to_string(), message };
    let given = rules.table(id).cloned().unwrap_or_default();
    let own = |e: toml::ser::Error| table(e.to_string());
    let mut settings = toml::Table::try_from(defaults).map_err(own)?;
    let mut params = toml::Table::try_from(P::default()).map_err(own)?;
    let mut settings_given = toml::Table::new();
    let mut params_given = toml::Table::new();
    for (key, value) in given {
        if settings.contains_key(&key) {
            settings_given.insert(key, value);
        } else if params.contains_key(&key) {
            params_given.insert(key, value);
        } else {
            let known: Vec<&str> = settings.keys().chain(params.keys()).map(String::as_str).collect();
            return Err(table(format!("unknown key `{key}`, expected one of `{}`", known.join("`, `"))));
        }
    }
    merge(&mut settings, &settings_given);
    merge(&mut params, &params_given);
    let read = |e: toml::de::Error| table(e.to_string().trim().replace('\n', " "));
    let settings = RuleSettings::deserialize(toml::Value::Table(settings)).map_err(read)?;
    let params = P::deserialize(toml::Value::Table(params)).map_err(read)?;
    let out_of_range =
        |i: Invalid| ConfigError::RuleOutOfRange { rule: id, key: i.key, value: i.value, expected: i.expected };
    unit("weight", settings.weight).map_err(out_of_range)?;
    params.check().map_err(out_of_range)?;
    Ok(Resolved { settings, params })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
    #[serde(deny_unknown_fields)]
    struct Demo {
        z: f64,
        span_days: u32,
    }

    impl Default for Demo {
        fn default() -> Self {
            Self { z: 3.0, span_days: 10 }
        }
    }

    impl RuleParams for Demo {
        fn check(&self) -> Result<(), Invalid> {
            finite_at_least("z", self.z, 0.0, "a z-score of 0 or more")?;
            days("span_days", self.span_days, 1)
        }
    }

    fn rules(text: &str) -> RulesParams {
        crate::config::Config::parse(text, std::path::Path::new("t.toml")).map(|c| c.rules).expect("parses")
    }

    #[test]
    fn a_partial_table_is_laid_over_the_defaults() {
        let r = resolve::<Demo>("demo", RuleSettings::weight(0.4), &rules("[rules.demo]\nz = 4\nenabled = false\n"))
            .expect("valid");
        assert_eq!(r.settings, RuleSettings { enabled: false, weight: 0.4 });
        assert_eq!(r.params, Demo { z: 4.0, span_days: 10 });
        let r = resolve::<Demo>("demo", RuleSettings::weight(0.4), &RulesParams::default()).expect("valid");
        assert_eq!((r.settings, r.params), (RuleSettings::weight(0.4), Demo::default()));
    }

    #[test]
    fn every_value_is_checked_and_the_error_names_the_key() {
        let err = |text: &str| {
            resolve::<Demo>("demo", RuleSettings::weight(0.4), &rules(text)).expect_err("invalid").to_string()
        };
        assert_eq!(
            err("[rules.demo]\nz = nan\n"),
            "configuration: rules.demo.z = NaN is out of range; expected a z-score of 0 or more"
        );
        assert!(err("[rules.demo]\nspan_days = 0\n").contains("rules.demo.span_days = 0"));
        assert!(err("[rules.demo]\nweight = 1.5\n").contains("rules.demo.weight = 1.5"));
        let typo = err("[rules.demo]\nspan_dayz = 3\n");
        assert!(typo.contains("rules.demo") && typo.contains("`span_dayz`") && typo.contains("`span_days`"), "{typo}");
        let wrong_type = err("[rules.demo]\nenabled = \"no\"\n");
        assert!(wrong_type.contains("rules.demo") && wrong_type.contains("bool"), "{wrong_type}");
    }
}
