//! Which access-log instants are plausible: not before `input.min_year`, and
//! not more than `input.max_days_ahead` days after the newest access-log
//! file's modification time or the run's own clock, whichever is earlier.
//!
//! One row from a wrong clock (9999-12-31, 1970-01-01) must not move the
//! detection window or the state's retention, which count from the data's
//! days: such rows are rejected with a reason instead, so the days the run
//! works on are those its files can cover.

use std::path::PathBuf;
use std::time::SystemTime;

use super::fields::FieldError;
use crate::config::InputParams;
use crate::time::{MAX_SUPPORTED_MICROS, MICROS_PER_DAY, MIN_SUPPORTED_MICROS};

/// The accepted span of access-log instants, UTC microseconds, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plausible {
    /// Earliest accepted instant.
    pub earliest: i64,
    /// Latest accepted instant.
    pub latest: i64,
}

impl Plausible {
    /// Everything ehrwatch can represent (years 0001-9999): no plausibility
    /// check, for readers of already validated bundles.
    pub const ANY: Plausible = Plausible { earliest: MIN_SUPPORTED_MICROS, latest: MAX_SUPPORTED_MICROS };

    /// The span for a bundle whose access log is `files`, read at `now`.
    /// A file whose modification time cannot be read counts as written now.
    pub fn for_files(files: &[PathBuf], params: &InputParams, now: SystemTime) -> Plausible {
        let micros = |t: SystemTime| -> i64 {
            match t.duration_since(SystemTime::UNIX_EPOCH) {
                Ok(d) => i64::try_from(d.as_micros()).unwrap_or(i64::MAX),
                Err(e) => -i64::try_from(e.duration().as_micros()).unwrap_or(i64::MAX),
            }
        };
        let now = micros(now);
        let newest = files
            .iter()
            .map(|f| std::fs::metadata(f).and_then(|m| m.modified()).map_or(now, micros))
            .max()
            .unwrap_or(now);
        let ahead = i64::from(params.max_days_ahead).saturating_mul(MICROS_PER_DAY);
        let latest = newest.min(now).saturating_add(ahead).min(MAX_SUPPORTED_MICROS);
        let earliest = chrono::NaiveDate::from_ymd_opt(params.min_year, 1, 1)
            .map_or(MIN_SUPPORTED_MICROS, |d| i64::from(crate::time::days_from_epoch(d)) * MICROS_PER_DAY)
            .max(MIN_SUPPORTED_MICROS);
        Plausible { earliest, latest }
    }

    /// Checks one instant. The reason names the bound and the settings,
    /// never the value (the row's `raw` holds it, when it may be shown).
    pub fn check(&self, utc: i64) -> Result<i64, FieldError> {
        let show = |t: i64| {
            chrono::DateTime::from_timestamp(t.div_euclid(1_000_000), 0)
                .map_or_else(String::new, |d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        };
        if utc < self.earliest {
            return Err(FieldError::new(
                "timestamp",
                format!("timestamp is before {}, the earliest accepted (input.min_year)", show(self.earliest)),
            ));
        }
        if utc > self.latest {
            return Err(FieldError::new("timestamp", format!(
                    "timestamp is after {}, the newest access-log file's modification time (or this run's clock) plus input.max_days_ahead; check the source system's clock",
                    show(self.latest)
                )));
        }
        Ok(utc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_follow_the_settings_and_the_newest_file() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.csv");
        std::fs::write(&f, "x").unwrap();
        let written = std::fs::metadata(&f).unwrap().modified().unwrap();
        let later = written + std::time::Duration::from_secs(30 * 86_400);
        let p = Plausible::for_files(&[f.clone()], &InputParams::default(), later);
        let w = written.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_micros() as i64;
        // The file is older than the clock: it sets the bound, one day on.
        assert_eq!(p.latest, w + MICROS_PER_DAY);
        assert!(p.check(w + MICROS_PER_DAY).is_ok());
        let e = p.check(w + MICROS_PER_DAY + 1).unwrap_err();
        assert!(e.reason.contains("max_days_ahead"), "{}", e.reason);
        // 1899-12-31 is rejected, 1900-01-01 accepted.
        assert!(p.check(-2_208_988_800_000_000).is_ok());
        assert!(p.check(-2_208_988_800_000_000 - 1).is_err());
        // A clock earlier than the file (a file from the future) bounds it too.
        let before = written - std::time::Duration::from_secs(5 * 86_400);
        let q = Plausible::for_files(&[f], &InputParams { max_days_ahead: 0, ..InputParams::default() }, before);
        assert_eq!(q.latest, w - 5 * MICROS_PER_DAY);
        assert!(Plausible::ANY.check(MAX_SUPPORTED_MICROS).is_ok());
    }
}
