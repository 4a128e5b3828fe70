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

/// What a header holds, for an error message: its number of columns and
/// which contract columns it names, never its own text (a file without a
/// header has a patient's row there).
fn describe_found(norm: &[String], specs: &[ColumnSpec]) -> String {
    let known: Vec<&str> = specs.iter().filter(|s| norm.iter().any(|h| h == s.name)).map(|s| s.name).collect();
    let named = if known.is_empty() { "none of the contract's".to_string() } else { known.join(", ") };
    format!("{} columns, naming {named}; is the first line a header?", norm.len())
}

/// For each spec, the index of the matching header, or `None` when absent.
/// A missing required column is an error naming the file and the column.
pub fn resolve(file: &Path, headers: &[String], specs: &[ColumnSpec]) -> Result<Vec<Option<usize>>, IngestError> {
    let norm: Vec<String> = headers.iter().map(|h| normalise_header(h)).collect();
    // A contract column named twice: which one holds the data is a guess,
    // so the file is refused rather than half of it read silently.
    for spec in specs {
        let mut at = norm.iter().enumerate().filter(|(_, h)| *h == spec.name).map(|(i, _)| i + 1);
        if let (Some(first), Some(second)) = (at.next(), at.next()) {
            return Err(IngestError::DuplicateColumn { file: file.to_path_buf(), column: spec.name, first, second });
        }
    }
    specs
        .iter()
        .map(|spec| {
            let found = norm.iter().position(|h| h == spec.name);
            if found.is_none() && spec.required {
                return Err(IngestError::MissingColumn {
                    file: file.to_path_buf(),
                    column: spec.name,
                    found: describe_found(&norm, specs),
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

    #[test]
    fn a_contract_column_named_twice_is_an_error() {
        let headers: Vec<String> = ["timestamp", "User_ID", "x", "x", " user_id"].map(String::from).to_vec();
        let specs = [required("timestamp"), required("user_id")];
        let msg = resolve(Path::new("a.csv"), &headers, &specs).unwrap_err().to_string();
        assert!(msg.contains("a.csv") && msg.contains("\"user_id\"") && msg.contains("2 and 5"), "{msg}");
        // Other repeated columns are not read, so they do not matter.
        assert!(resolve(Path::new("a.csv"), &headers[..4], &specs).is_ok());
    }

    #[test]
    fn a_file_without_a_header_does_not_print_its_first_row() {
        let first_row: Vec<String> =
            ["2026-11-28 09:00:00", "n1", "P1", "Ana Garcia", "1990-02-02", "12 Elm St"].map(String::from).to_vec();
        let specs = [required("timestamp"), required("user_id"), optional("action")];
        let msg = resolve(Path::new("a.csv"), &first_row, &specs).unwrap_err().to_string();
        for value in &first_row {
            assert!(!msg.contains(value.as_str()), "{value} leaked: {msg}");
        }
        assert!(msg.contains("a.csv") && msg.contains("\"timestamp\"") && msg.contains("6 columns"), "{msg}");
    }
}
