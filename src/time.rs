//! Timestamps and the hospital's clock.
//!
//! Every instant inside the pipeline is an `i64` count of microseconds since
//! the Unix epoch, in UTC. Input timestamps are either RFC 3339 with an offset
//! (an instant) or naive (`YYYY-MM-DD HH:MM:SS[.fff]`), which the data contract
//! reads as local time in the hospital's time zone. Hour-of-day and weekday
//! features always use the hospital's local time, so conversions both ways go
//! through [`ZoneCache`], which remembers the offset of the last hour it saw:
//! audit logs arrive roughly in time order, so nearly every lookup is a hit.
//!
//! Invariant: nothing here allocates per call; parsing is byte-level.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Offset, TimeZone, Timelike};
use chrono_tz::Tz;

/// Microseconds in one second.
pub const MICROS_PER_SEC: i64 = 1_000_000;
/// Microseconds in one hour.
pub const MICROS_PER_HOUR: i64 = 3_600 * MICROS_PER_SEC;
/// Microseconds in one day.
pub const MICROS_PER_DAY: i64 = 24 * MICROS_PER_HOUR;

/// A timestamp as written in the input: either an instant or a local
/// wall-clock time that still needs the hospital's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timestamp {
    /// An instant, in UTC microseconds (the input carried `Z` or an offset).
    Utc(i64),
    /// A naive wall-clock time in microseconds since 1970-01-01T00:00 local.
    Local(i64),
}

/// What the timestamp parser expects, for error messages.
pub const TIMESTAMP_EXPECTED: &str = "expected RFC 3339 (2026-11-28T14:03:11-06:00) or \"YYYY-MM-DD HH:MM:SS\"";
/// What the date parser expects, for error messages.
pub const DATE_EXPECTED: &str = "expected a date \"YYYY-MM-DD\"";

fn digits(b: &[u8]) -> Option<u32> {
    let mut v: u32 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

/// Year, month and day of `YYYY-MM-DD` at the start of `b` (not checked
/// for being a date).
fn ymd_fields(b: &[u8]) -> Option<(i32, u32, u32)> {
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    Some((digits(&b[0..4])? as i32, digits(&b[5..7])?, digits(&b[8..10])?))
}

/// Parses `YYYY-MM-DD` at the start of `b`.
fn parse_ymd(b: &[u8]) -> Option<NaiveDate> {
    let (y, m, d) = ymd_fields(b)?;
    NaiveDate::from_ymd_opt(y, m, d)
}

/// Days since 1970-01-01 of `YYYY-MM-DD` at the start of `b`, without
/// building a date: the same dates as [`parse_ymd`] accepts (a timestamp's
/// date is read once per row, so this is arithmetic: Hinnant's
/// days-from-civil).
fn ymd_days(b: &[u8]) -> Option<i32> {
    let (y, m, d) = ymd_fields(b)?;
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if d == 0 || d > month_days {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i32 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// Days since 1970-01-01 of a date.
pub fn days_from_epoch(d: NaiveDate) -> i32 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch is a date")).num_days() as i32
}

/// Days since 1970-01-01 of 0001-01-01, the first day ehrwatch reads.
pub const MIN_SUPPORTED_DAY: i64 = -719_162;
/// Days since 1970-01-01 of 9999-12-31, the last day ehrwatch reads: every
/// date it holds formats as four-digit `YYYY-MM-DD`.
pub const MAX_SUPPORTED_DAY: i64 = 2_932_896;
/// UTC microseconds of 0001-01-01T00:00:00Z.
pub const MIN_SUPPORTED_MICROS: i64 = MIN_SUPPORTED_DAY * MICROS_PER_DAY;
/// UTC microseconds of 9999-12-31T23:59:59.999999Z.
pub const MAX_SUPPORTED_MICROS: i64 = (MAX_SUPPORTED_DAY + 1) * MICROS_PER_DAY - 1;

/// The date of a count of days since 1970-01-01, when it lies in years
/// 0001 to 9999; `None` outside (input values: reject the row).
pub fn checked_date_from_days(days: i64) -> Option<NaiveDate> {
    if !(MIN_SUPPORTED_DAY..=MAX_SUPPORTED_DAY).contains(&days) {
        return None;
    }
    NaiveDate::from_num_days_from_ce_opt(i32::try_from(days + 719_163).ok()?)
}

/// Whether UTC (or local wall-clock) microseconds lie in years 0001 to
/// 9999, where every conversion and format is defined.
pub fn is_supported_micros(micros: i64) -> bool {
    (MIN_SUPPORTED_MICROS..=MAX_SUPPORTED_MICROS).contains(&micros)
}

/// The date of a count of days since 1970-01-01, clamped to years 0001 to
/// 9999 (ingest rejects anything outside, so the clamp never bites on
/// accepted data; it keeps a bug from becoming a panic).
pub fn date_from_days(days: i32) -> NaiveDate {
    let clamped = i64::from(days).clamp(MIN_SUPPORTED_DAY, MAX_SUPPORTED_DAY);
    checked_date_from_days(clamped).unwrap_or(NaiveDate::MIN)
}

/// Parses a date column value: `YYYY-MM-DD`, or a timestamp whose date part is
/// taken (exports often write midnight timestamps in date columns).
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let t = s.trim();
    let b = t.as_bytes();
    // Year 0000 is a placeholder, not a date: ehrwatch reads 0001-9999.
    let d = if b.len() == 10 {
        parse_ymd(b)
    } else {
        parse_timestamp(t).ok()?;
        parse_ymd(b)
    }?;
    (d.year() >= 1).then_some(d)
}

/// Parses a timestamp in one of the contract's forms. Returns `Err(())` on
/// anything else; callers turn that into a message naming file, line and
/// column together with [`TIMESTAMP_EXPECTED`].
#[allow(clippy::result_unit_err)]
pub fn parse_timestamp(s: &str) -> Result<Timestamp, ()> {
    let b = s.trim().as_bytes();
    if b.len() < 19 {
        return Err(());
    }
    let days = ymd_days(b).ok_or(())?;
    if !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' || b[16] != b':' {
        return Err(());
    }
    let h = digits(&b[11..13]).ok_or(())?;
    let mi = digits(&b[14..16]).ok_or(())?;
    let sec = digits(&b[17..19]).ok_or(())?;
    if h > 23 || mi > 59 || sec > 59 {
        return Err(());
    }
    let mut i = 19;
    let mut micros: i64 = 0;
    if i < b.len() && (b[i] == b'.' || b[i] == b',') {
        i += 1;
        let start = i;
        let mut scale = 100_000i64;
        while i < b.len() && b[i].is_ascii_digit() {
            micros += i64::from(b[i] - b'0') * scale;
            scale /= 10;
            i += 1;
        }
        if i == start {
            return Err(());
        }
    }
    let wall = i64::from(days) * MICROS_PER_DAY
        + i64::from(h) * MICROS_PER_HOUR
        + i64::from(mi) * 60 * MICROS_PER_SEC
        + i64::from(sec) * MICROS_PER_SEC
        + micros;
    let rest = &b[i..];
    match rest {
        [] => Ok(Timestamp::Local(wall)),
        [b'Z' | b'z'] => Ok(Timestamp::Utc(wall)),
        [sign @ (b'+' | b'-'), tail @ ..] => {
            let (oh, om) = match tail {
                [a, b2] => (digits(&[*a, *b2]).ok_or(())?, 0),
                [a, b2, b':', c, d] | [a, b2, c, d] => (digits(&[*a, *b2]).ok_or(())?, digits(&[*c, *d]).ok_or(())?),
                _ => return Err(()),
            };
            if oh > 23 || om > 59 {
                return Err(());
            }
            let offset = (i64::from(oh) * 60 + i64::from(om)) * 60 * MICROS_PER_SEC;
            let utc = if *sign == b'+' { wall - offset } else { wall + offset };
            Ok(Timestamp::Utc(utc))
        }
        _ => Err(()),
    }
}

/// Converts between UTC instants and the hospital's wall clock, caching the
/// offset of the last hour it converted.
///
/// Ambiguous local times (the hour repeated when clocks go back) take the
/// first occurrence; local times that do not exist (skipped when clocks go
/// forward) are read with the offset in force just before the change.
#[derive(Debug, Clone)]
pub struct ZoneCache {
    tz: Tz,
    utc_hour: i64,
    utc_hour_offset: i64,
    local_hour: i64,
    local_hour_offset: i64,
}

impl ZoneCache {
    /// A cache for one time zone. Cheap; make one per thread.
    pub fn new(tz: Tz) -> Self {
        Self { tz, utc_hour: i64::MIN, utc_hour_offset: 0, local_hour: i64::MIN, local_hour_offset: 0 }
    }

    /// The time zone this cache converts for.
    pub fn tz(&self) -> Tz {
        self.tz
    }

    fn offset_at_utc(&self, utc_micros: i64) -> i64 {
        let secs = utc_micros.div_euclid(MICROS_PER_SEC);
        match DateTime::from_timestamp(secs, 0) {
            Some(dt) => {
                i64::from(self.tz.offset_from_utc_datetime(&dt.naive_utc()).fix().local_minus_utc()) * MICROS_PER_SEC
            }
            None => 0,
        }
    }

    /// Local wall-clock microseconds of a UTC instant.
    pub fn to_local(&mut self, utc_micros: i64) -> i64 {
        let hour = utc_micros.div_euclid(MICROS_PER_HOUR);
        if hour != self.utc_hour {
            let start = self.offset_at_utc(hour * MICROS_PER_HOUR);
            let end = self.offset_at_utc(hour * MICROS_PER_HOUR + MICROS_PER_HOUR - 1);
            if start != end {
                // A transition inside this hour (rare: half-hour zones): no caching.
                return utc_micros + self.offset_at_utc(utc_micros);
            }
            self.utc_hour = hour;
            self.utc_hour_offset = start;
        }
        utc_micros + self.utc_hour_offset
    }

    fn offset_for_local(&self, local_micros: i64) -> Option<i64> {
        let secs = local_micros.div_euclid(MICROS_PER_SEC);
        let naive = DateTime::from_timestamp(secs, 0)?.naive_utc();
        match self.tz.from_local_datetime(&naive) {
            chrono::LocalResult::Single(dt) => Some(i64::from(dt.offset().fix().local_minus_utc())),
            chrono::LocalResult::Ambiguous(first, _) => Some(i64::from(first.offset().fix().local_minus_utc())),
            chrono::LocalResult::None => None,
        }
        .map(|s| s * MICROS_PER_SEC)
    }

    /// UTC instant of a local wall-clock time.
    pub fn to_utc(&mut self, local_micros: i64) -> i64 {
        let hour = local_micros.div_euclid(MICROS_PER_HOUR);
        if hour == self.local_hour {
            return local_micros - self.local_hour_offset;
        }
        let start = self.offset_for_local(hour * MICROS_PER_HOUR);
        let end = self.offset_for_local(hour * MICROS_PER_HOUR + MICROS_PER_HOUR - 1);
        let unambiguous_hour = match (start, end) {
            (Some(a), Some(b)) if a == b => {
                // Also require that the hour is not repeated (clocks going back).
                let secs = (hour * MICROS_PER_HOUR).div_euclid(MICROS_PER_SEC);
                DateTime::from_timestamp(secs, 0)
                    .map(|d| matches!(self.tz.from_local_datetime(&d.naive_utc()), chrono::LocalResult::Single(_)))
                    .unwrap_or(false)
                    .then_some(a)
            }
            _ => None,
        };
        if let Some(offset) = unambiguous_hour {
            self.local_hour = hour;
            self.local_hour_offset = offset;
            return local_micros - offset;
        }
        match self.offset_for_local(local_micros) {
            Some(offset) => local_micros - offset,
            // In the gap: use the offset in force three hours earlier.
            None => {
                let before = self.offset_for_local(local_micros - 3 * MICROS_PER_HOUR).unwrap_or(0);
                local_micros - before
            }
        }
    }

    /// Resolves a parsed [`Timestamp`] to a UTC instant.
    pub fn resolve(&mut self, ts: Timestamp) -> i64 {
        match ts {
            Timestamp::Utc(u) => u,
            Timestamp::Local(l) => self.to_utc(l),
        }
    }

    /// Formats a UTC instant as RFC 3339 in the hospital's local time, with
    /// its offset, to the second: `2026-11-28T02:14:00-06:00`.
    pub fn format_local(&self, utc_micros: i64) -> String {
        let secs = utc_micros.div_euclid(MICROS_PER_SEC);
        match DateTime::from_timestamp(secs, 0) {
            Some(dt) => dt.with_timezone(&self.tz).format("%Y-%m-%dT%H:%M:%S%:z").to_string(),
            None => String::new(),
        }
    }
}

/// Broken-down local wall-clock fields of local microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalTime {
    /// Days since 1970-01-01 (local).
    pub day: i32,
    /// Hour of day, 0..24.
    pub hour: u8,
    /// Minute of hour.
    pub minute: u8,
    /// Day of week, Monday = 0.
    pub weekday: u8,
}

impl LocalTime {
    /// Splits local wall-clock microseconds.
    pub fn from_local_micros(local: i64) -> Self {
        let day = local.div_euclid(MICROS_PER_DAY);
        let in_day = local.rem_euclid(MICROS_PER_DAY);
        // 1970-01-01 was a Thursday (Monday = 0 makes it 3).
        let weekday = ((day + 3).rem_euclid(7)) as u8;
        Self {
            day: day as i32,
            hour: (in_day / MICROS_PER_HOUR) as u8,
            minute: ((in_day % MICROS_PER_HOUR) / (60 * MICROS_PER_SEC)) as u8,
            weekday,
        }
    }

    /// Whether the day is a Saturday or Sunday.
    pub fn is_weekend(&self) -> bool {
        self.weekday >= 5
    }
}

/// Formats local wall-clock microseconds as `YYYY-MM-DD HH:MM`.
pub fn format_local_minute(local: i64) -> String {
    let secs = local.div_euclid(MICROS_PER_SEC);
    match DateTime::from_timestamp(secs, 0) {
        Some(dt) => {
            let n: NaiveDateTime = dt.naive_utc();
            format!("{:04}-{:02}-{:02} {:02}:{:02}", n.year(), n.month(), n.day(), n.hour(), n.minute())
        }
        None => String::new(),
    }
}

/// Formats local wall-clock microseconds with a chrono pattern; empty
/// outside chrono's range. Callers pick the fields they want by pattern,
/// never by slicing a formatted string (a date past year 9999 is longer).
fn format_local_with(local: i64, pattern: &str) -> String {
    let secs = local.div_euclid(MICROS_PER_SEC);
    match DateTime::from_timestamp(secs, 0) {
        Some(dt) => dt.naive_utc().format(pattern).to_string(),
        None => String::new(),
    }
}

/// The local day of local wall-clock microseconds, `YYYY-MM-DD`.
pub fn format_local_date(local: i64) -> String {
    format_local_with(local, "%Y-%m-%d")
}

/// The time of day of local wall-clock microseconds, `HH:MM`.
pub fn format_local_clock(local: i64) -> String {
    format_local_with(local, "%H:%M")
}

/// Month, day and time of local wall-clock microseconds, `MM-DD HH:MM`.
pub fn format_local_month_minute(local: i64) -> String {
    format_local_with(local, "%m-%d %H:%M")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_from_civil_agrees_with_chrono_on_every_day_and_rejects_what_chrono_rejects() {
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        for days in -800_000..800_000 {
            let d = epoch + chrono::Duration::days(days as i64);
            let text = d.format("%Y-%m-%d").to_string();
            if text.len() == 10 {
                assert_eq!(ymd_days(text.as_bytes()), Some(days), "{text}");
            }
        }
        for bad in ["2026-02-29", "2025-13-01", "2025-00-10", "2025-04-31", "2025-04-00", "1900-02-29"] {
            assert_eq!(ymd_days(bad.as_bytes()), None, "{bad}");
            assert_eq!(parse_ymd(bad.as_bytes()), None, "{bad}");
        }
        assert_eq!(ymd_days(b"2000-02-29"), Some(days_from_epoch(NaiveDate::from_ymd_opt(2000, 2, 29).unwrap())));
    }

    fn local(s: &str) -> i64 {
        match parse_timestamp(s).unwrap() {
            Timestamp::Local(l) => l,
            Timestamp::Utc(_) => panic!("expected local"),
        }
    }

    #[test]
    fn parses_offsets_and_zulu_to_the_same_instant() {
        let a = parse_timestamp("2026-11-28T14:03:11-06:00").unwrap();
        let b = parse_timestamp("2026-11-28T20:03:11Z").unwrap();
        let c = parse_timestamp("2026-11-28 20:03:11+0000").unwrap();
        assert_eq!(a, b);
        assert_eq!(b, c);
    }

    #[test]
    fn parses_fractions_and_naive_forms() {
        let a = local("2026-11-28 14:03:11.250");
        let b = local("2026-11-28T14:03:11");
        assert_eq!(a - b, 250_000);
    }

    #[test]
    fn rejects_malformed_values() {
        for bad in [
            "2026-13-01 08:00:00",
            "2026-02-30 08:00:00",
            "2026-11-28 24:00:00",
            "28/11/2026 08:00:00",
            "2026-11-28",
            "2026-11-28 08:00:00 CST",
            "2026-11-28T08:00:00+25:00",
            "2026-11-28 08:00:00.",
            "",
        ] {
            assert!(parse_timestamp(bad).is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn naive_times_are_hospital_local() {
        let mut z = ZoneCache::new(chrono_tz::America::Chicago);
        // November: CST, UTC-6.
        let utc = z.resolve(parse_timestamp("2026-11-28 02:14:00").unwrap());
        assert_eq!(utc, z.resolve(parse_timestamp("2026-11-28T08:14:00Z").unwrap()));
        let lt = LocalTime::from_local_micros(z.to_local(utc));
        assert_eq!((lt.hour, lt.minute), (2, 14));
        assert_eq!(z.format_local(utc), "2026-11-28T02:14:00-06:00");
        // July: CDT, UTC-5.
        let utc = z.resolve(parse_timestamp("2026-07-01 02:14:00").unwrap());
        assert_eq!(utc, z.resolve(parse_timestamp("2026-07-01T07:14:00Z").unwrap()));
    }

    #[test]
    fn dst_gap_and_overlap_are_resolved_deterministically() {
        let mut z = ZoneCache::new(chrono_tz::America::Chicago);
        // 2026-03-08 02:30 does not exist in Chicago: read with CST (-6).
        let gap = z.resolve(parse_timestamp("2026-03-08 02:30:00").unwrap());
        assert_eq!(gap, z.resolve(parse_timestamp("2026-03-08T08:30:00Z").unwrap()));
        // 2026-11-01 01:30 happens twice: the first (CDT, -5) is taken.
        let twice = z.resolve(parse_timestamp("2026-11-01 01:30:00").unwrap());
        assert_eq!(twice, z.resolve(parse_timestamp("2026-11-01T06:30:00Z").unwrap()));
    }

    #[test]
    fn weekday_is_monday_zero() {
        // 2026-11-28 is a Saturday.
        let lt = LocalTime::from_local_micros(local("2026-11-28 10:00:00"));
        assert_eq!(lt.weekday, 5);
        assert!(lt.is_weekend());
    }

    /// Seeded random inputs (valid timestamps, mutated ones, arbitrary
    /// bytes): the parsers never panic, and whatever parses is a date
    /// chrono agrees with.
    #[test]
    fn parsers_survive_arbitrary_input() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(17);
        let alphabet = b"0123456789-:T Zz+.,/ \xc3\xa9\xff";
        for _ in 0..200_000 {
            let mut b: Vec<u8> = if rng.gen_bool(0.5) {
                format!(
                    "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
                    rng.gen_range(0..10_000),
                    rng.gen_range(0..14),
                    rng.gen_range(0..33),
                    rng.gen_range(0..26),
                    rng.gen_range(0..61),
                    rng.gen_range(0..61)
                )
                .into_bytes()
            } else {
                (0..rng.gen_range(0..32)).map(|_| alphabet[rng.gen_range(0..alphabet.len())]).collect()
            };
            for _ in 0..rng.gen_range(0..3) {
                if !b.is_empty() {
                    let i = rng.gen_range(0..b.len());
                    b[i] = alphabet[rng.gen_range(0..alphabet.len())];
                }
            }
            let s = String::from_utf8_lossy(&b);
            if let Ok(Timestamp::Local(l) | Timestamp::Utc(l)) = parse_timestamp(&s) {
                let day = l.div_euclid(MICROS_PER_DAY);
                // Four-digit years only; year 0000 parses here and is
                // rejected by ingest (`ingest::fields::timestamp`).
                assert!((MIN_SUPPORTED_DAY - 367..=MAX_SUPPORTED_DAY + 1).contains(&day), "{s}");
            }
            if let Some(d) = parse_date(&s) {
                assert!(d.year() >= 1 && d.year() <= 9999, "{s}");
            }
        }
    }

    #[test]
    fn date_and_clock_parts_are_formatted_not_sliced() {
        let l = local("2026-11-28 02:14:00");
        assert_eq!(format_local_date(l), "2026-11-28");
        assert_eq!(format_local_clock(l), "02:14");
        assert_eq!(format_local_month_minute(l), "11-28 02:14");
        for extreme in [i64::MAX, i64::MIN, MAX_SUPPORTED_MICROS * 20, -MAX_SUPPORTED_MICROS * 20] {
            // Past chrono's range: empty, or a long year; never a panic.
            let _ = (format_local_date(extreme), format_local_clock(extreme), format_local_minute(extreme));
        }
    }

    #[test]
    fn extreme_day_counts_neither_panic_nor_wrap() {
        assert_eq!(checked_date_from_days(0), NaiveDate::from_ymd_opt(1970, 1, 1));
        assert_eq!(checked_date_from_days(MIN_SUPPORTED_DAY), NaiveDate::from_ymd_opt(1, 1, 1));
        assert_eq!(checked_date_from_days(MAX_SUPPORTED_DAY), NaiveDate::from_ymd_opt(9999, 12, 31));
        for bad in [MAX_SUPPORTED_DAY + 1, MIN_SUPPORTED_DAY - 1, 2_000_000_000, i64::from(i32::MIN), i64::MAX] {
            assert_eq!(checked_date_from_days(bad), None, "{bad}");
        }
        // hire_date = 2e9 days from a Parquet date32 column: clamped, no panic.
        assert_eq!(date_from_days(2_000_000_000), NaiveDate::from_ymd_opt(9999, 12, 31).unwrap());
        assert_eq!(date_from_days(i32::MIN), NaiveDate::from_ymd_opt(1, 1, 1).unwrap());
        assert!(is_supported_micros(0) && !is_supported_micros(MAX_SUPPORTED_MICROS + 1));
        assert_eq!(ZoneCache::new(chrono_tz::UTC).format_local(MAX_SUPPORTED_MICROS), "9999-12-31T23:59:59+00:00");
    }

    #[test]
    fn dates_accept_plain_and_timestamp_forms() {
        assert_eq!(parse_date("2026-11-28"), NaiveDate::from_ymd_opt(2026, 11, 28));
        assert_eq!(parse_date("2026-11-28T00:00:00Z"), NaiveDate::from_ymd_opt(2026, 11, 28));
        assert_eq!(parse_date("11/28/2026"), None);
    }
}
