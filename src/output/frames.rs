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
    /// Text, built as a column as its values are listed: a table of
    /// millions of users holds no vector of strings beside it
    /// ([`FeatureColumn::text`]).
    Text(Column),
    /// Unsigned count.
    Count(&'static str, Vec<u64>),
    /// Share or score.
    Float(&'static str, Vec<f64>),
    /// Flag.
    Bool(&'static str, Vec<bool>),
}

impl FeatureColumn {
    /// A text column of `values`, in row order.
    pub fn text<S: AsRef<str>>(name: &'static str, values: impl Iterator<Item = S>) -> FeatureColumn {
        FeatureColumn::Text(StringChunked::from_iter_values(name.into(), values).into_column())
    }
}

/// Builds a frame from named columns of equal length.
pub fn frame(height: usize, columns: Vec<FeatureColumn>) -> PolarsResult<DataFrame> {
    DataFrame::new(
        height,
        columns
            .into_iter()
            .map(|c| match c {
                FeatureColumn::Text(c) => c,
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

/// The rows [`write_parquet`] puts in each row group of a frame of `n`
/// rows built in one piece: polars 0.55's `ParquetWriter::finish` cuts
/// one of at least 512 x 512 rows into `n / (512 x 512)` groups of equal
/// size, the last one taking the rest.
fn row_groups(n: usize) -> Vec<std::ops::Range<usize>> {
    const ROWS: usize = 512 * 512;
    if n < ROWS {
        return vec![0..n];
    }
    let groups = n / ROWS;
    let size = n / groups;
    (0..groups).map(|g| g * size..if g + 1 == groups { n } else { (g + 1) * size }).collect()
}

/// Writes a frame of `n` rows as [`write_parquet`] writes it, the same
/// bytes, building only one row group's rows at a time (`build` gives the
/// frame of a range of rows).
pub fn write_parquet_groups<W: std::io::Write>(
    w: W,
    n: usize,
    mut build: impl FnMut(std::ops::Range<usize>) -> PolarsResult<DataFrame>,
) -> PolarsResult<()> {
    let mut groups = row_groups(n).into_iter();
    let first = groups.next().unwrap_or(0..0);
    let mut df = build(first)?;
    if groups.len() == 0 {
        return write_parquet(w, &mut df);
    }
    let mut writer = ParquetWriter::new(w).with_compression(ParquetCompression::Zstd(None)).batched(df.schema())?;
    writer.write_batch(&df)?;
    drop(df);
    for rows in groups {
        writer.write_batch(&build(rows)?)?;
    }
    writer.finish()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A frame of `rows` rows of text, counts and floats.
    fn table(rows: std::ops::Range<usize>) -> PolarsResult<DataFrame> {
        let n = rows.len();
        frame(
            n,
            vec![
                FeatureColumn::text("id", rows.clone().map(|i| format!("U{:07}", i * 7919 % 1_000_003))),
                FeatureColumn::text("group", rows.clone().map(|i| ["a", "bb", ""][i % 3])),
                FeatureColumn::Count("n", rows.clone().map(|i| (i % 97) as u64).collect()),
                FeatureColumn::Float("share", rows.clone().map(|i| (i % 13) as f64 / 13.0).collect()),
                FeatureColumn::Bool("flag", rows.map(|i| i % 5 == 0).collect()),
            ],
        )
    }

    #[test]
    fn row_groups_are_the_ones_polars_cuts_a_frame_into() {
        let rows = 512 * 512;
        assert_eq!(row_groups(0), vec![0..0]);
        assert_eq!(row_groups(rows - 1), vec![0..rows - 1]);
        assert_eq!(row_groups(rows), vec![0..rows]);
        assert_eq!(row_groups(2 * rows + 7), vec![0..rows + 3, rows + 3..2 * rows + 7]);
    }

    #[test]
    fn a_table_written_a_row_group_at_a_time_is_the_same_bytes() {
        for n in [0, 10, 2 * 512 * 512 + 7] {
            let mut whole = Vec::new();
            write_parquet(&mut whole, &mut table(0..n).unwrap()).unwrap();
            let mut built = Vec::new();
            let mut calls = 0;
            write_parquet_groups(&mut built, n, |rows| {
                calls += 1;
                table(rows)
            })
            .unwrap();
            assert_eq!(calls, row_groups(n).len());
            assert!(whole == built, "{n} rows: {} bytes against {}", whole.len(), built.len());
        }
    }
}
