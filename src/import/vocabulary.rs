//! Contract vocabulary shared by the adapters: action and category names as
//! mapping files spell them, and source timestamps in the contract's forms or
//! a declared chrono format.

use chrono::{DateTime, NaiveDateTime};

use crate::model::{Action, DataCategory};
use crate::time::{parse_timestamp, ZoneCache, TIMESTAMP_EXPECTED};

/// The contract's action names, for messages.
pub const ACTION_NAMES: &str = "view, create, update, delete, print, export, search, login, logout or other";
/// The contract's data category names, for messages.
pub const CATEGORY_NAMES: &str = "demographics, notes, results, medications, imaging, orders, billing, \
behavioral_health, substance_use, hiv, reproductive or genetic";

/// Reads an action name in a mapping file (`other` allowed).
pub fn action_name(s: &str) -> Result<Action, String> {
    if s.trim().eq_ignore_ascii_case("other") {
        return Ok(Action::Other);
    }
    Action::parse(s).ok_or_else(|| format!("action \"{s}\" is not a contract action; expected {ACTION_NAMES}"))
}

/// Reads a data category name in a mapping file (empty = unspecified).
pub fn category_name(s: &str) -> Result<DataCategory, String> {
    if s.trim().is_empty() {
        return Ok(DataCategory::Unspecified);
    }
    DataCategory::parse(s)
        .ok_or_else(|| format!("data category \"{s}\" is not a contract category; expected {CATEGORY_NAMES}"))
}

/// Parses a source timestamp to UTC microseconds: with `format` (chrono
/// syntax; an offset in it, `%z`/`%:z`, makes an instant, otherwise local
/// time in the zone), else one of the contract's forms.
pub fn timestamp(s: &str, format: Option<&str>, zone: &mut ZoneCache) -> Result<i64, String> {
    let s = s.trim();
    if let Some(fmt) = format {
        if let Ok(dt) = DateTime::parse_from_str(s, fmt) {
            return Ok(dt.timestamp_micros());
        }
        if let Ok(n) = NaiveDateTime::parse_from_str(s, fmt) {
            return Ok(zone.to_utc(n.and_utc().timestamp_micros()));
        }
        // Fall through: the contract's forms are always accepted.
        return match parse_timestamp(s) {
            Ok(ts) => Ok(zone.resolve(ts)),
            Err(()) => Err(format!("timestamp \"{s}\" does not match \"{fmt}\"; {TIMESTAMP_EXPECTED} or that format")),
        };
    }
    parse_timestamp(s)
        .map(|ts| zone.resolve(ts))
        .map_err(|()| format!("timestamp \"{s}\" is not a date and time; {TIMESTAMP_EXPECTED}"))
}

/// Formats a UTC instant as the hospital's naive local time,
/// `YYYY-MM-DD HH:MM:SS` with `.ffffff` when there are microseconds, as
/// source systems that store local DATETIME columns write it.
pub fn format_naive(utc_micros: i64, zone: &mut ZoneCache) -> String {
    let local = zone.to_local(utc_micros);
    let secs = local.div_euclid(1_000_000);
    let micros = local.rem_euclid(1_000_000);
    let Some(dt) = DateTime::from_timestamp(secs, 0) else { return String::new() };
    let base = dt.naive_utc().format("%Y-%m-%d %H:%M:%S").to_string();
    if micros == 0 {
        base
    } else {
        format!("{base}.{micros:06}")
    }
}

/// Whether a text is empty or the literal `NULL` (the contract's missing values).
pub fn is_missing(s: &str) -> bool {
    let t = s.trim();
    t.is_empty() || t.eq_ignore_ascii_case("null")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_in_contract_forms_and_declared_formats() {
        let mut zone = ZoneCache::new(chrono_tz::America::Chicago);
        let a = timestamp("2026-11-28 08:00:00", None, &mut zone).unwrap();
        let b = timestamp("2026-11-28T14:00:00Z", None, &mut zone).unwrap();
        assert_eq!(a, b, "naive is local Chicago time (UTC-6 in November)");
        let c = timestamp("11/28/2026 08:00:00 AM", Some("%m/%d/%Y %I:%M:%S %p"), &mut zone).unwrap();
        assert_eq!(a, c);
        let d = timestamp("2026-11-28 14:00:00 +0000", Some("%Y-%m-%d %H:%M:%S %z"), &mut zone).unwrap();
        assert_eq!(b, d);
        assert!(timestamp("yesterday", Some("%Y"), &mut zone).unwrap_err().contains("does not match"));
        assert!(timestamp("2026-13-01 00:00:00", None, &mut zone).is_err());
    }

    #[test]
    fn names() {
        assert_eq!(action_name("VIEW").unwrap(), Action::View);
        assert_eq!(action_name("other").unwrap(), Action::Other);
        assert!(action_name("peek").unwrap_err().contains("expected view"));
        assert_eq!(category_name("").unwrap(), DataCategory::Unspecified);
        assert!(category_name("gossip").is_err());
    }
}
