//! `ehrwatch import --from fhir` on one input file holding the fuzzer's
//! bytes (see `import_once.rs`).
#![no_main]

#[path = "import_once.rs"]
mod import_once;
#[path = "scratch.rs"]
mod scratch;

use ehrwatch::import::Format;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte picks the form: a JSON document or NDJSON lines.
    let Some((&form, body)) = data.split_first() else { return };
    let name = if form & 1 == 0 { "input.ndjson" } else { "input.json" };
    import_once::import_once(Format::Fhir, name, body);
});
