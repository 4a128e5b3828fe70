//! Typed reading of single cells, with messages that say what was expected.

use chrono::NaiveDate;

use super::source::Cell;
use crate::time::{
    checked_date_from_days, is_supported_micros, parse_date, parse_timestamp, ZoneCache, DATE_EXPECTED,
    TIMESTAMP_EXPECTED,
};

/// A cell that could not be read.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    /// The contract column.
    pub column: &'static str,
    /// What was wrong and what was expected.
    pub reason: String,
    /// The input value as quoted in `reason` (with its quotes), if any: a
    /// pseudonymized run writes the reason without it.
    pub value: Option<String>,
}

impl FieldError {
    /// A required value is absent.
    pub fn missing(column: &'static str) -> Self {
        Self { column, reason: format!("missing {column}; a value is required"), value: None }
    }

    /// A date or time outside years 0001 to 9999 (or one whose unit
    /// conversion overflows). The value is not repeated: it is the row's
    /// `raw`, and an overflowing one has no faithful text.
    pub fn out_of_range(column: &'static str) -> Self {
        Self { column, reason: format!("{column} is outside the years 0001 to 9999 ehrwatch reads"), value: None }
    }

    /// A problem stated without any input value.
    pub fn new(column: &'static str, reason: impl Into<String>) -> Self {
        Self { column, reason: reason.into(), value: None }
    }

    /// A value of the wrong form.
    pub fn invalid(column: &'static str, value: &Cell<'_>, expected: &str) -> Self {
        let shown: String = value.to_text().chars().take(60).collect();
        Self {
            column,
            reason: format!("{column} \"{shown}\" is not valid; {expected}"),
            value: Some(format!("\"{shown}\"")),
        }
    }
}

/// Text of a cell (numbers are rendered), `None` when missing.
pub fn text(cell: Option<Cell<'_>>) -> Option<String> {
    cell.map(|c| match c {
        Cell::Str(s) => s.to_string(),
        other => other.to_text(),
    })
}

/// A required text cell.
pub fn required_text<'a>(cell: Option<Cell<'a>>, column: &'static str) -> Result<TextRef<'a>, FieldError> {
    match cell {
        Some(Cell::Str(s)) => Ok(TextRef::Borrowed(s)),
        Some(Cell::Int(i)) => Ok(TextRef::Owned(i.to_string())),
        Some(other) => Err(FieldError::invalid(column, &other, "expected text")),
        None => Err(FieldError::missing(column)),
    }
}

/// Text that is borrowed from the input when it can be.
pub enum TextRef<'a> {
    /// Borrowed.
    Borrowed(&'a str),
    /// Rendered from a number.
    Owned(String),
}

impl std::ops::Deref for TextRef<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            TextRef::Borrowed(s) => s,
            TextRef::Owned(s) => s,
        }
    }
}

/// A timestamp cell as a UTC instant.
pub fn timestamp(
    cell: Option<Cell<'_>>,
    column: &'static str,
    zone: &mut ZoneCache,
) -> Result<Option<i64>, FieldError> {
    // Checked before any zone conversion, so no arithmetic on an extreme
    // value can overflow; the year range keeps every format four-digit.
    let supported = |micros: i64| -> Result<i64, FieldError> {
        if is_supported_micros(micros) {
            Ok(micros)
        } else {
            Err(FieldError::out_of_range(column))
        }
    };
    match cell {
        None => Ok(None),
        Some(Cell::Instant(u)) => supported(u).map(Some),
        Some(Cell::Naive(l)) => Ok(Some(zone.to_utc(supported(l)?))),
        Some(Cell::Date(d)) => {
            let day = i64::from(d);
            if checked_date_from_days(day).is_none() {
                return Err(FieldError::out_of_range(column));
            }
            Ok(Some(zone.to_utc(day * crate::time::MICROS_PER_DAY)))
        }
        Some(Cell::OutOfRange) => Err(FieldError::out_of_range(column)),
        Some(c @ Cell::Str(s)) => match parse_timestamp(s) {
            Ok(ts) => {
                let raw = match ts {
                    crate::time::Timestamp::Utc(u) | crate::time::Timestamp::Local(u) => u,
                };
                supported(raw)?;
                Ok(Some(supported(zone.resolve(ts))?))
            }
            Err(()) => Err(FieldError::invalid(column, &c, TIMESTAMP_EXPECTED)),
        },
        Some(other) => Err(FieldError::invalid(column, &other, TIMESTAMP_EXPECTED)),
    }
}

/// A date cell.
pub fn date(cell: Option<Cell<'_>>, column: &'static str) -> Result<Option<NaiveDate>, FieldError> {
    match cell {
        None => Ok(None),
        Some(Cell::Date(d)) => checked_date_from_days(i64::from(d)).map(Some).ok_or(FieldError::out_of_range(column)),
        Some(Cell::Naive(l)) | Some(Cell::Instant(l)) => {
            checked_date_from_days(l.div_euclid(crate::time::MICROS_PER_DAY))
                .map(Some)
                .ok_or(FieldError::out_of_range(column))
        }
        Some(Cell::OutOfRange) => Err(FieldError::out_of_range(column)),
        Some(c @ Cell::Str(s)) => parse_date(s).map(Some).ok_or_else(|| FieldError::invalid(column, &c, DATE_EXPECTED)),
        Some(other) => Err(FieldError::invalid(column, &other, DATE_EXPECTED)),
    }
}

/// A boolean cell: `true`/`false`/`1`/`0` (also `yes`/`no`, `t`/`f`), any case.
pub fn boolean(cell: Option<Cell<'_>>, column: &'static str) -> Result<Option<bool>, FieldError> {
    const EXPECTED: &str = "expected true, false, 1 or 0";
    match cell {
        None => Ok(None),
        Some(Cell::Bool(b)) => Ok(Some(b)),
        Some(Cell::Int(0)) => Ok(Some(false)),
        Some(Cell::Int(1)) => Ok(Some(true)),
        Some(c @ Cell::Str(s)) => {
            // Any case, without lowering a copy of every cell.
            let is = |words: &[&str]| words.iter().any(|w| s.eq_ignore_ascii_case(w));
            if is(&["false", "0", "f", "no", "n"]) {
                Ok(Some(false))
            } else if is(&["true", "1", "t", "yes", "y"]) {
                Ok(Some(true))
            } else {
                Err(FieldError::invalid(column, &c, EXPECTED))
            }
        }
        Some(other) => Err(FieldError::invalid(column, &other, EXPECTED)),
    }
}

/// A float cell, finite, optionally within `range`.
pub fn float(cell: Option<Cell<'_>>, column: &'static str, range: (f64, f64)) -> Result<Option<f64>, FieldError> {
    let expected = format!("expected a number from {} to {}", range.0, range.1);
    let v = match cell {
        None => return Ok(None),
        Some(Cell::Float(f)) => f,
        Some(Cell::Int(i)) => i as f64,
        Some(c @ Cell::Str(s)) => s.parse::<f64>().map_err(|_| FieldError::invalid(column, &c, &expected))?,
        Some(other) => return Err(FieldError::invalid(column, &other, &expected)),
    };
    if !v.is_finite() || v < range.0 || v > range.1 {
        return Err(FieldError::invalid(column, &Cell::Float(v), &expected));
    }
    Ok(Some(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans() {
        assert_eq!(boolean(Some(Cell::Str("TRUE")), "b").unwrap(), Some(true));
        assert_eq!(boolean(Some(Cell::Str("0")), "b").unwrap(), Some(false));
        assert_eq!(boolean(None, "b").unwrap(), None);
        let e = boolean(Some(Cell::Str("maybe")), "break_glass").unwrap_err();
        assert!(e.reason.contains("\"maybe\"") && e.reason.contains("expected true"), "{}", e.reason);
    }

    #[test]
    fn floats_are_range_checked() {
        assert_eq!(float(Some(Cell::Str("41.5")), "lat", (-90.0, 90.0)).unwrap(), Some(41.5));
        assert!(float(Some(Cell::Str("91")), "lat", (-90.0, 90.0)).is_err());
        assert!(float(Some(Cell::Str("NaN")), "lat", (-90.0, 90.0)).is_err());
    }

    #[test]
    fn timestamp_errors_name_the_value_and_the_expected_forms() {
        let mut z = ZoneCache::new(chrono_tz::UTC);
        let e = timestamp(Some(Cell::Str("2026-13-01 08:00")), "timestamp", &mut z).unwrap_err();
        assert!(e.reason.contains("2026-13-01 08:00") && e.reason.contains("RFC 3339"), "{}", e.reason);
    }
}
