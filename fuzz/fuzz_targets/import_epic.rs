//! `ehrwatch import --from epic` on one input file holding the fuzzer's
//! bytes (see `import_once.rs`).
#![no_main]

#[path = "import_once.rs"]
mod import_once;
#[path = "scratch.rs"]
mod scratch;

use ehrwatch::import::Format;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| import_once::import_once(Format::Epic, "input.csv", data));
