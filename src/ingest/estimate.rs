//! How many events a bundle's access log holds, before reading it: exact
//! for Parquet (from the files' metadata), estimated from the size for CSV.

use std::path::Path;

use super::error::IngestError;
use super::source::{locate, parquet_rows};

/// Bytes of plain CSV per access-log row assumed by the estimate (rows
/// of the contract's columns with typical ids run 80-120 bytes).
const CSV_BYTES_PER_ROW: u64 = 100;
/// Compression ratio assumed for `.csv.gz` files.
const GZIP_RATIO: u64 = 8;

/// The access log's event count: exact for Parquet files, estimated from
/// the file size for CSV (about 100 bytes a row, gzip about 8 to 1).
pub fn estimate_events(dir: &Path) -> Result<u64, IngestError> {
    let Some(files) = locate(dir, "access_log")? else { return Ok(0) };
    Ok(files.files.iter().map(|f| parquet_rows(f).unwrap_or_else(|| csv_rows(f))).sum())
}

/// The estimated rows of one CSV file (plain or gzip), from its size.
pub fn csv_rows(file: &Path) -> u64 {
    let bytes = std::fs::metadata(file).map_or(0, |m| m.len());
    let gz = file.to_string_lossy().to_ascii_lowercase().ends_with(".gz");
    bytes * if gz { GZIP_RATIO } else { 1 } / CSV_BYTES_PER_ROW
}
