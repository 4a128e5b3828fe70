//! The detection window: which days' accesses may raise alerts. Earlier (and
//! later) data still serves as baseline: explanations and features are
//! computed over the whole bundle; only the evidence of findings is cut to
//! the window, and findings with no evidence left are dropped.
//!
//! Days are the hospital's local days; the window runs from local midnight
//! of its first day to local midnight after its last day.

use chrono::NaiveDate;

use crate::detect::Finding;
use crate::time::{date_from_days, days_from_epoch, ZoneCache, MICROS_PER_DAY};

/// How the window was asked for on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WindowSpec {
    /// Every access may raise alerts.
    #[default]
    All,
    /// Local dates, both inclusive; an open end takes the data's edge.
    Dates {
        /// First day.
        from: Option<NaiveDate>,
        /// Last day.
        to: Option<NaiveDate>,
    },
    /// The last `n` local days of the data, ending on the day of its latest access.
    Last(u32),
}

/// A resolved window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// First local day.
    pub from_date: NaiveDate,
    /// Last local day (inclusive).
    pub to_date: NaiveDate,
    /// UTC µs of local midnight starting `from_date`.
    pub from: i64,
    /// UTC µs of local midnight after `to_date` (exclusive).
    pub to: i64,
}

impl Window {
    /// Whether an instant falls inside.
    pub fn contains(&self, ts: i64) -> bool {
        ts >= self.from && ts < self.to
    }
}

/// Resolves `spec` against the data's first and last instant. `None` for
/// [`WindowSpec::All`] or when there are no events to anchor an open end.
pub fn resolve(spec: WindowSpec, time_range: Option<(i64, i64)>, zone: &mut ZoneCache) -> Option<Window> {
    let local_day = |zone: &mut ZoneCache, t: i64| zone.to_local(t).div_euclid(MICROS_PER_DAY) as i32;
    let first = time_range.map(|(t, _)| local_day(zone, t));
    let last = time_range.map(|(_, t)| local_day(zone, t));
    let (from, to) = match spec {
        WindowSpec::All => return None,
        WindowSpec::Dates { from, to } => (from.map(days_from_epoch).or(first)?, to.map(days_from_epoch).or(last)?),
        WindowSpec::Last(n) => {
            let last = last?;
            (last - n.max(1) as i32 + 1, last)
        }
    };
    let midnight = |zone: &mut ZoneCache, day: i32| zone.to_utc(i64::from(day) * MICROS_PER_DAY);
    Some(Window {
        from_date: date_from_days(from),
        to_date: date_from_days(to),
        from: midnight(zone, from),
        to: midnight(zone, to + 1),
    })
}

/// Cuts each finding's evidence to the window and drops findings left
/// without evidence. Facts are kept as the rules stated them.
pub fn restrict(findings: Vec<Finding>, window: &Window, ts: &[i64]) -> Vec<Finding> {
    findings
        .into_iter()
        .filter_map(|mut f| {
            f.events.retain(|&i| window.contains(ts[i]));
            (!f.events.is_empty()).then_some(f)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp_micros()
    }

    #[test]
    fn last_day_is_the_local_day_of_the_latest_access() {
        let mut zone = ZoneCache::new(chrono_tz::America::Chicago);
        // 2026-11-29T03:00Z is 2026-11-28 21:00 in Chicago.
        let ts = [utc("2026-11-20T15:00:00Z"), utc("2026-11-29T03:00:00Z")];
        let w = resolve(WindowSpec::Last(1), Some((ts[0], ts[1])), &mut zone).unwrap();
        assert_eq!(w.from_date.to_string(), "2026-11-28");
        assert_eq!(w.to_date.to_string(), "2026-11-28");
        assert_eq!(w.from, utc("2026-11-28T06:00:00Z"));
        assert_eq!(w.to, utc("2026-11-29T06:00:00Z"));
        assert!(w.contains(ts[1]) && !w.contains(ts[0]));
        let w7 = resolve(WindowSpec::Last(7), Some((ts[0], ts[1])), &mut zone).unwrap();
        assert_eq!(w7.from_date.to_string(), "2026-11-22");
        assert_eq!(resolve(WindowSpec::All, Some((ts[0], ts[1])), &mut zone), None);
    }

    #[test]
    fn open_dates_take_the_data_edges() {
        let mut zone = ZoneCache::new(chrono_tz::UTC);
        let ts = [utc("2026-11-20T15:00:00Z"), utc("2026-11-29T03:00:00Z")];
        let d = NaiveDate::from_ymd_opt(2026, 11, 25);
        let w = resolve(WindowSpec::Dates { from: d, to: None }, Some((ts[0], ts[1])), &mut zone).unwrap();
        assert_eq!((w.from_date.to_string(), w.to_date.to_string()), ("2026-11-25".into(), "2026-11-29".into()));
    }
}
