//! `ehrwatch import --from openemr` on one input file holding the fuzzer's
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
    let input = dir.join("input.csv");
    std::fs::write(&input, data).expect("write input");
    let req = ImportRequest::new(Format::Openemr, vec![input], dir.join("out"));
    if let Ok(s) = run_import(&req, &Progress::hidden()) {
        for c in &s.inputs {
            assert_eq!(c.rows_read, c.rows_converted + c.rows_rejected, "read = converted + rejected");
        }
    }
});
