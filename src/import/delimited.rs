//! Delimited source files (CSV, TSV, pipe): record by record with the `csv`
//! crate, keeping line numbers, so one malformed row is rejected and the rest
//! of the file is still read.

use std::path::Path;

use csv::ByteRecord;

use super::error::ImportError;
use super::inputs::{open, InputFile};
use super::vocabulary::is_missing;

/// Guesses the delimiter of a header line: the most frequent of tab, comma,
/// semicolon and pipe (comma on ties or when none occurs).
pub fn sniff_delimiter(file: &Path) -> Result<u8, ImportError> {
    let mut first = String::new();
    let mut r = open(file)?;
    std::io::BufRead::read_line(&mut r, &mut first).map_err(|e| ImportError::Read {
        file: file.to_path_buf(),
        line: 1,
        message: e.to_string(),
    })?;
    let count = |c: char| first.matches(c).count();
    let mut best = (b',', count(','));
    for d in [b'\t', b';', b'|'] {
        let n = count(d as char);
        if n > best.1 {
            best = (d, n);
        }
    }
    Ok(best.0)
}

/// The index of the first header matching one of `names`, case-insensitively.
pub fn find(headers: &[String], names: &[&str]) -> Option<usize> {
    names.iter().find_map(|n| headers.iter().position(|h| h.trim().eq_ignore_ascii_case(n)))
}

/// A header for an error message: its number of columns, never its text
/// (a file without a header has a patient's row there).
pub fn header_shape(headers: &[String]) -> String {
    format!("{} columns, none named so; is the first line a header?", headers.len())
}

/// A required column's index, or an error naming the file and what it has.
pub fn require(file: &Path, headers: &[String], names: &[&str]) -> Result<usize, ImportError> {
    find(headers, names).ok_or_else(|| ImportError::MissingColumn {
        file: file.to_path_buf(),
        column: names.join("\" or \""),
        found: header_shape(headers),
    })
}

/// A cell as trimmed text: `Ok(None)` when the column is absent, empty or
/// `NULL`; `Err` when it is not valid UTF-8.
pub fn cell(rec: &ByteRecord, index: Option<usize>) -> Result<Option<&str>, String> {
    let Some(bytes) = index.and_then(|i| rec.get(i)) else { return Ok(None) };
    let s = std::str::from_utf8(bytes).map_err(|_| "not valid UTF-8".to_string())?.trim();
    Ok((!is_missing(s)).then_some(s))
}

/// The row as text, for import_rejected_rows.csv.
pub fn raw(rec: &ByteRecord, delimiter: u8) -> String {
    let sep = (delimiter as char).to_string();
    rec.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect::<Vec<_>>().join(&sep)
}

/// Reads a delimited file: `header` gets the header names (or, without a
/// header, the column count of the first row, as `"1"`, `"2"`, ...), then
/// `row` gets every data row with its line number and, when the row has a
/// different number of fields than the header, a description of that.
pub fn read<H>(
    file: &InputFile,
    delimiter: u8,
    has_header: bool,
    header: impl FnOnce(&[String]) -> Result<H, ImportError>,
    mut row: impl FnMut(&H, u64, &ByteRecord, Option<String>) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .buffer_capacity(1 << 20)
        .from_reader(open(&file.path)?);
    let read_err = |e: csv::Error| ImportError::Read {
        file: file.path.clone(),
        line: e.position().map(|p| p.line()).unwrap_or(0),
        message: match e.kind() {
            csv::ErrorKind::Io(io) => io.to_string(),
            _ => e.to_string(),
        },
    };
    let mut rec = ByteRecord::new();
    if !rdr.read_byte_record(&mut rec).map_err(read_err)? {
        return Err(ImportError::EmptyFile(file.path.clone()));
    }
    let width = rec.len();
    let h = if has_header {
        let names: Vec<String> =
            rec.iter().map(|h| String::from_utf8_lossy(h).trim().trim_start_matches('\u{feff}').to_string()).collect();
        header(&names)?
    } else {
        let names: Vec<String> = (1..=width).map(|i| i.to_string()).collect();
        let h = header(&names)?;
        row(&h, 1, &rec, None)?;
        h
    };
    let mut n = 0u64;
    while rdr.read_byte_record(&mut rec).map_err(read_err)? {
        n += 1;
        let line = rec.position().map(|p| p.line()).unwrap_or(n + 1);
        if rec.len() == 1 && rec.get(0).is_some_and(|f| f.is_empty()) {
            continue; // a blank line
        }
        let malformed =
            (rec.len() != width).then(|| format!("expected {width} fields as in the first line, found {}", rec.len()));
        row(&h, line, &rec, malformed)?;
    }
    Ok(())
}
