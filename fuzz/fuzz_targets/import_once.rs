//! What the three import targets share: one input file holding the
//! fuzzer's bytes, `ehrwatch import` on it, and the check that any input is
//! converted, rejected row by row, or refused with an `ImportError`, never
//! a panic, with every row read converted or rejected.

use ehrwatch::import::{run_import, Format, ImportRequest};
use ehrwatch::progress::Progress;

/// Writes `data` to a fresh input file named `file_name` and imports it as
/// `format`.
pub fn import_once(format: Format, file_name: &str, data: &[u8]) {
    let dir = crate::scratch::fresh("import");
    let input = dir.join(file_name);
    std::fs::write(&input, data).expect("write input");
    let req = ImportRequest::new(format, vec![input], dir.join("out"));
    if let Ok(s) = run_import(&req, &Progress::hidden()) {
        for c in &s.inputs {
            assert_eq!(c.rows_read, c.rows_converted + c.rows_rejected, "read = converted + rejected");
        }
    }
}
