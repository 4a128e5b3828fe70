//! CSV row parsing of the access log as `detect` reads it: the input is a
//! bundle's `access_log.csv` (bytes as given, any encoding), read by
//! `ingest::read_bundle`. No input may panic; every data row read is either
//! accepted as an event or rejected, and the counts say so.
#![no_main]

#[path = "scratch.rs"]
mod scratch;

use ehrwatch::progress::Progress;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = scratch::fresh("bundle");
    std::fs::write(dir.join("access_log.csv"), data).expect("write input");
    let tz = ehrwatch::config::parse_timezone("UTC").expect("UTC");
    if let Ok(read) = ehrwatch::ingest::read_bundle(&dir, tz, &Progress::hidden()) {
        let r = &read.report;
        assert_eq!(r.events_read, r.events_accepted + r.events_rejected, "read = accepted + rejected");
        assert_eq!(r.events_accepted, read.events.len() as u64, "every accepted row is an event");
        assert_eq!(read.rejects.count("access_log"), r.events_rejected, "every rejected row is counted");
    }
});
