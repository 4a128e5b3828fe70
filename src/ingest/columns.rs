//! Column specifications and header matching.
//!
//! Column names are matched case-insensitively after trimming (a UTF-8 byte
//! order mark on the first header is ignored too). Extra columns are kept in
//! the file and ignored here.

use std::path::Path;

use super::error::IngestError;

/// One contract column a table reader wants.
#[derive(Debug, Clone, Copy)]
pub struct ColumnSpec {
    /// Contract name, lowercase.
    pub name: &'static str,
    /// Whether the file must have it.
    pub required: bool,
}

/// A required column.
pub const fn required(name: &'static str) -> ColumnSpec {
    ColumnSpec { name, required: true }
}

/// An optional column.
pub const fn optional(name: &'static str) -> ColumnSpec {
    ColumnSpec { name, required: false }
}

/// Normalises a header cell for matching.
pub fn normalise_header(h: &str) -> String {
    h.trim_start_matches('\u{feff}').trim().to_ascii_lowercase()
}

/// For each spec, the index of the matching header, or `None` when absent.
/// A missing required column is an error naming the file and the column.
pub fn resolve(file: &Path, headers: &[String], specs: &[ColumnSpec]) -> Result<Vec<Option<usize>>, IngestError> {
    let norm: Vec<String> = headers.iter().map(|h| normalise_header(h)).collect();
    specs
        .iter()
        .map(|spec| {
            let found = norm.iter().position(|h| h == spec.name);
            if found.is_none() && spec.required {
                return Err(IngestError::MissingColumn {
                    file: file.to_path_buf(),
                    column: spec.name,
                    found: headers.iter().map(|h| h.trim()).collect::<Vec<_>>().join(", "),
                });
            }
            Ok(found)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_case_insensitively_and_reports_missing_required() {
        let headers = vec!["\u{feff}TimeStamp".to_string(), " User_ID ".to_string(), "x".to_string()];
        let specs = [required("timestamp"), required("user_id"), optional("reason")];
        let got = resolve(Path::new("a.csv"), &headers, &specs).unwrap();
        assert_eq!(got, vec![Some(0), Some(1), None]);

        let err = resolve(Path::new("a.csv"), &headers, &[required("action")]).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("a.csv") && msg.contains("\"action\""), "{msg}");
    }
}
