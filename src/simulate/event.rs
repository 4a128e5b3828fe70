//! The simulator's compact access-log row and its vocabularies.
//!
//! Times are "local seconds": seconds since 1970-01-01 00:00 of the naive
//! local (hospital) clock, so formatting needs no time-zone arithmetic.

/// "No patient" marker in [`Event::patient`].
pub const NO_PATIENT: u32 = u32::MAX;

// The vocabularies are the model's own (`Category` is the simulator's
// name for the contract's data category); the simulator never writes
// `delete` or `other`.
pub use crate::model::{Action, DataCategory as Category};

/// Free-text reasons given with an access (break-the-glass mostly).
pub const REASONS: &[&str] = &[
    "",
    "emergency treatment",
    "patient unresponsive in ED",
    "continuity of care",
    "checking on patient",
    "consult requested",
];

/// One access-log row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    /// Local seconds (see module docs).
    pub ts: i64,
    /// User index.
    pub user: u32,
    /// Patient index or [`NO_PATIENT`].
    pub patient: u32,
    /// Workstation index.
    pub ws: u32,
    /// Department index of the access context.
    pub dept: u16,
    /// Action.
    pub action: Action,
    /// Data category.
    pub cat: Category,
    /// Emergency override.
    pub break_glass: bool,
    /// Index into [`REASONS`].
    pub reason: u8,
    /// 0 for care, 1 for an injected incident (never written).
    pub tag: u8,
}

/// Seconds in a day.
pub const DAY: i64 = 86_400;

/// Local seconds of a naive date at midnight.
pub fn day_start(date: chrono::NaiveDate) -> i64 {
    date.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp()).unwrap_or(0)
}

/// Formats local seconds as `YYYY-MM-DD HH:MM:SS`.
pub fn format_ts(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0)
        .map(|t| t.naive_utc().format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

/// Appends `HH:MM:SS` for a second of the day to `out`.
pub fn push_hms(out: &mut Vec<u8>, sec_of_day: i64) {
    let s = sec_of_day.rem_euclid(DAY) as u32;
    let (h, m, sec) = (s / 3600, (s / 60) % 60, s % 60);
    out.extend_from_slice(&[
        b'0' + (h / 10) as u8,
        b'0' + (h % 10) as u8,
        b':',
        b'0' + (m / 10) as u8,
        b'0' + (m % 10) as u8,
        b':',
        b'0' + (sec / 10) as u8,
        b'0' + (sec % 10) as u8,
    ]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_times() {
        let d = chrono::NaiveDate::from_ymd_opt(2026, 3, 8).unwrap();
        let t = day_start(d) + 2 * 3600 + 5 * 60 + 9;
        assert_eq!(format_ts(t), "2026-03-08 02:05:09");
        let mut v = Vec::new();
        push_hms(&mut v, t - day_start(d));
        assert_eq!(v, b"02:05:09");
    }
}
