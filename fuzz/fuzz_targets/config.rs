//! The configuration loader (`Config::parse`): any text is a config or a
//! `ConfigError`, never a panic, and an error message is one line.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Err(e) = ehrwatch::Config::parse(text, std::path::Path::new("ehrwatch.toml")) {
        let message = e.to_string();
        assert!(!message.contains('\n'), "a config error is one line: {message:?}");
    }
});
