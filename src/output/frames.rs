//! Parquet outputs, built as polars frames: plain string columns (no
//! categoricals) and UTC microsecond timestamps, so Python polars, pandas and
//! Spark read them as they are.

use polars::prelude::*;

use super::schema::AlertRow;

fn utc_micros(name: &str, values: Vec<i64>) -> PolarsResult<Column> {
    // `cast` would drop the zone without polars' `timezones` feature; tagging
    // the physical values keeps it.
    Ok(Series::new(name.into(), values).into_datetime(TimeUnit::Microseconds, Some(TimeZone::UTC)).into())
}

/// alerts.parquet: the alert rows, with timestamps as UTC instants.
pub fn alerts_frame(rows: &[AlertRow], first: &[i64], last: &[i64]) -> PolarsResult<DataFrame> {
    let s = |f: fn(&AlertRow) -> &str| rows.iter().map(|r| f(r).to_string()).collect::<Vec<String>>();
    DataFrame::new(
        rows.len(),
        vec![
            Column::new("alert_id".into(), s(|r| &r.alert_id)),
            Column::new("rank".into(), rows.iter().map(|r| r.rank).collect::<Vec<u32>>()),
            Column::new("score".into(), rows.iter().map(|r| r.score).collect::<Vec<f64>>()),
            Column::new("kind".into(), s(|r| &r.kind)),
            Column::new("user_id".into(), s(|r| &r.user_id)),
            Column::new("patient_id".into(), s(|r| &r.patient_id)),
            Column::new("rules".into(), s(|r| &r.rules)),
            utc_micros("first_access", first.to_vec())?,
            utc_micros("last_access", last.to_vec())?,
            Column::new("access_count".into(), rows.iter().map(|r| r.access_count).collect::<Vec<u64>>()),
            Column::new("explanation".into(), s(|r| &r.explanation)),
            Column::new("severity".into(), s(|r| &r.severity)),
            Column::new("case_id".into(), s(|r| &r.case_id)),
        ],
    )
}

/// A column of a frame under construction.
pub enum FeatureColumn {
    /// Text.
    Str(&'static str, Vec<String>),
    /// Unsigned count.
    Count(&'static str, Vec<u64>),
    /// Share or score.
    Float(&'static str, Vec<f64>),
    /// Flag.
    Bool(&'static str, Vec<bool>),
}

/// Builds a frame from named columns of equal length.
pub fn frame(height: usize, columns: Vec<FeatureColumn>) -> PolarsResult<DataFrame> {
    DataFrame::new(
        height,
        columns
            .into_iter()
            .map(|c| match c {
                FeatureColumn::Str(n, v) => Column::new(n.into(), v),
                FeatureColumn::Count(n, v) => Column::new(n.into(), v),
                FeatureColumn::Float(n, v) => Column::new(n.into(), v),
                FeatureColumn::Bool(n, v) => Column::new(n.into(), v),
            })
            .collect(),
    )
}

/// Writes a frame as Parquet (zstd).
pub fn write_parquet<W: std::io::Write>(w: W, df: &mut DataFrame) -> PolarsResult<()> {
    ParquetWriter::new(w).with_compression(ParquetCompression::Zstd(None)).finish(df)?;
    Ok(())
}
