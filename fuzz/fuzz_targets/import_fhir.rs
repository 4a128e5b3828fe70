//! `ehrwatch import --from fhir` on one input file holding the fuzzer's
//! bytes: any input is converted, rejected row by row, or refused with an
//! `ImportError`, never a panic; every row read is converted or rejected.
#![no_main]

#[path = "scratch.rs"]
mod scratch;

use ehrwatch::import::{run_import, Format, ImportRequest};
use ehrwatch::progress::Progress;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = scratch::fresh("import");
    // The first byte picks the form: a JSON document or NDJSON lines.
    let Some((&form, body)) = data.split_first() else { return };
    let input = dir.join(if form & 1 == 0 { "input.ndjson" } else { "input.json" });
    std::fs::write(&input, body).expect("write input");
    let req = ImportRequest::new(Format::Fhir, vec![input], dir.join("out"));
    if let Ok(s) = run_import(&req, &Progress::hidden()) {
        for c in &s.inputs {
            assert_eq!(c.rows_read, c.rows_converted + c.rows_rejected, "read = converted + rejected");
        }
    }
});
