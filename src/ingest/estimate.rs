//! How many events a bundle's access log holds, before reading it: exact
//! for Parquet (from the files' metadata), estimated from the size for CSV;
//! and how many users its roster lists (counted), which costs memory of its
//! own: [`EVENTS_PER_USER`].

use std::path::Path;

use super::error::IngestError;
use super::source::{locate, open_csv, parquet_rows};

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

/// What one distinct user costs a run held in memory, in events: about
/// 1.4 KB of per-user state (features, roster, dictionaries, rule tables;
/// 1.8-2.1 KB before they were compacted) against about 60-85 bytes an
/// event (measured at 200 k and 500 k users with one event each, and at
/// 11.7 M and 100 M events). Kept at 25: the choice of partitioning is
/// left as it was.
pub const EVENTS_PER_USER: u64 = 25;

/// The users the bundle's roster (`users` table) lists: rows from Parquet
/// metadata, lines of CSV (plain or gzip) less the header. 0 without a
/// roster. A file that cannot be read counts 0 here (reading it reports the
/// error).
pub fn estimate_users(dir: &Path) -> Result<u64, IngestError> {
    let Some(files) = locate(dir, "users")? else { return Ok(0) };
    Ok(files.files.iter().map(|f| parquet_rows(f).unwrap_or_else(|| csv_lines(f).saturating_sub(1))).sum())
}

/// Lines of a CSV file (plain or gzip), counted a buffer at a time; a last
/// line without a newline counts. 0 when it cannot be read.
fn csv_lines(file: &Path) -> u64 {
    use std::io::Read;
    let Ok(mut r) = open_csv(file) else { return 0 };
    let mut buf = vec![0u8; 1 << 20];
    let (mut lines, mut last) = (0u64, b'\n');
    loop {
        match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
                last = buf[n - 1];
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return 0,
        }
    }
    lines + u64::from(last != b'\n')
}

/// Whether a run should be partitioned: the access log's events plus
/// [`EVENTS_PER_USER`] for each user the roster lists exceed `max_events`
/// (0 never partitions).
pub fn needs_partitions(events: u64, users: u64, max_events: u64) -> bool {
    max_events > 0 && events.saturating_add(users.saturating_mul(EVENTS_PER_USER)) > max_events
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_are_counted_from_the_roster_lines() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(estimate_users(dir.path()).unwrap(), 0, "no roster");
        std::fs::write(dir.path().join("users.csv"), "user_id,role\nu1,nurse\nu2,nurse\nu3,clerk").unwrap();
        assert_eq!(estimate_users(dir.path()).unwrap(), 3, "a last line without a newline counts");
        std::fs::remove_file(dir.path().join("users.csv")).unwrap();
        let gz = std::fs::File::create(dir.path().join("users.csv.gz")).unwrap();
        let mut w = flate2::write::GzEncoder::new(gz, flate2::Compression::fast());
        std::io::Write::write_all(&mut w, b"user_id\nu1\nu2\n").unwrap();
        w.finish().unwrap();
        assert_eq!(estimate_users(dir.path()).unwrap(), 2);
    }

    #[test]
    fn many_users_partition_like_many_events() {
        assert!(!needs_partitions(1_000, 10, 20_000_000));
        assert!(needs_partitions(20_000_001, 0, 20_000_000), "events alone");
        assert!(needs_partitions(2_000_000, 2_000_000, 20_000_000), "2 M users with one event each");
        assert!(!needs_partitions(2_000_000, 2_000_000, 0), "0 never partitions");
        assert!(needs_partitions(0, u64::MAX, 1), "no overflow");
    }
}
