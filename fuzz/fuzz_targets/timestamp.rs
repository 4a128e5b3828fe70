//! Timestamp and date parsing (`ehrwatch::time`), then resolving and
//! formatting what parsed: no input may panic, and a formatted instant in
//! the supported years parses back to itself.
#![no_main]

use ehrwatch::time::{
    format_local_clock, format_local_date, format_local_minute, format_local_month_minute, is_supported_micros,
    parse_date, parse_timestamp, ZoneCache, MICROS_PER_SEC,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = parse_date(&text);
    let Ok(ts) = parse_timestamp(&text) else { return };
    let tz = ehrwatch::config::parse_timezone("America/Chicago").expect("a known zone");
    let mut zone = ZoneCache::new(tz);
    let utc = zone.resolve(ts);
    let local = zone.to_local(utc);
    for f in [format_local_minute, format_local_date, format_local_clock, format_local_month_minute] {
        let _ = f(local);
    }
    let shown = zone.format_local(utc);
    // From 1900 (before 1883 the zone's offset has seconds, which RFC 3339
    // drops) to 9999 less two days: RFC 3339 with the offset round-trips to
    // the second.
    let from_1900 = -2_208_988_800 * MICROS_PER_SEC;
    if utc >= from_1900 && is_supported_micros(utc + 2 * 86_400 * MICROS_PER_SEC) {
        let back = parse_timestamp(&shown).map(|t| zone.resolve(t));
        assert_eq!(back, Ok(utc.div_euclid(MICROS_PER_SEC) * MICROS_PER_SEC), "{shown}");
    }
});
