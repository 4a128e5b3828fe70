//! The output access_log: canonical records buffered column by column and
//! written to one Parquet file as row groups, so memory holds one row group,
//! not the input. Timestamps are UTC microsecond instants and strings are
//! plain strings, as the data contract asks of Parquet.

use std::fs::File;
use std::io::BufWriter;

use polars::io::parquet::write::BatchedWriter;
use polars::prelude::*;

use super::record::AccessRecord;
use crate::model::{DataCategory, ACCESS_LOG_COLUMNS};

/// Rows per Parquet row group (and per buffer flush).
pub const ROW_GROUP_ROWS: usize = 128 * 1024;

#[derive(Default)]
struct Buffers {
    timestamp: Vec<i64>,
    user_id: Vec<String>,
    patient_id: Vec<Option<String>>,
    action: Vec<&'static str>,
    data_category: Vec<Option<&'static str>>,
    workstation_id: Vec<Option<String>>,
    ip_address: Vec<Option<String>>,
    department_id: Vec<Option<String>>,
    break_glass: Vec<bool>,
    reason: Vec<Option<String>>,
    event_id: Vec<Option<String>>,
}

impl Buffers {
    fn push(&mut self, r: AccessRecord) {
        self.timestamp.push(r.timestamp);
        self.user_id.push(r.user_id);
        self.patient_id.push(r.patient_id);
        self.action.push(r.action.as_str());
        self.data_category.push((r.data_category != DataCategory::Unspecified).then(|| r.data_category.as_str()));
        self.workstation_id.push(r.workstation_id);
        self.ip_address.push(r.ip_address);
        self.department_id.push(r.department_id);
        self.break_glass.push(r.break_glass);
        self.reason.push(r.reason);
        self.event_id.push(r.event_id);
    }

    fn len(&self) -> usize {
        self.timestamp.len()
    }

    /// Moves the buffered rows into a frame, leaving the buffers empty.
    fn take_frame(&mut self) -> PolarsResult<DataFrame> {
        let b = std::mem::take(self);
        let height = b.timestamp.len();
        let [c_ts, c_user, c_patient, c_action, c_cat, c_ws, c_ip, c_dept, c_bg, c_reason, c_id] = ACCESS_LOG_COLUMNS;
        let ts = Series::new(c_ts.into(), b.timestamp)
            // `cast` would drop the zone without polars' `timezones` feature.
            .into_datetime(TimeUnit::Microseconds, Some(TimeZone::UTC));
        DataFrame::new(
            height,
            vec![
                ts.into(),
                Column::new(c_user.into(), b.user_id),
                Column::new(c_patient.into(), b.patient_id),
                Column::new(c_action.into(), b.action),
                Column::new(c_cat.into(), b.data_category),
                Column::new(c_ws.into(), b.workstation_id),
                Column::new(c_ip.into(), b.ip_address),
                Column::new(c_dept.into(), b.department_id),
                Column::new(c_bg.into(), b.break_glass),
                Column::new(c_reason.into(), b.reason),
                Column::new(c_id.into(), b.event_id),
            ],
        )
    }
}

/// Streams records into an access_log Parquet file.
pub struct ParquetSink<'w> {
    writer: BatchedWriter<&'w mut BufWriter<File>>,
    buffers: Buffers,
    rows: u64,
    row_groups: u64,
}

impl<'w> ParquetSink<'w> {
    /// Starts the file on `out` (zstd-compressed).
    pub fn new(out: &'w mut BufWriter<File>) -> PolarsResult<Self> {
        let schema = Buffers::default().take_frame()?.schema().clone();
        let writer = ParquetWriter::new(out).with_compression(ParquetCompression::Zstd(None)).batched(&schema)?;
        Ok(ParquetSink { writer, buffers: Buffers::default(), rows: 0, row_groups: 0 })
    }

    /// Adds a record, writing a row group when the buffer is full.
    pub fn push(&mut self, record: AccessRecord) -> PolarsResult<()> {
        self.buffers.push(record);
        self.rows += 1;
        if self.buffers.len() >= ROW_GROUP_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> PolarsResult<()> {
        if self.buffers.len() == 0 {
            return Ok(());
        }
        let df = self.buffers.take_frame()?;
        self.writer.write_batch(&df)?;
        self.row_groups += 1;
        Ok(())
    }

    /// Writes the last row group and the footer. Returns (rows, row groups).
    pub fn finish(mut self) -> PolarsResult<(u64, u64)> {
        self.flush()?;
        self.writer.finish()?;
        Ok((self.rows, self.row_groups))
    }
}
