//! A private scratch folder per fuzzing process, for the targets that read
//! files: each input is written there, read by ehrwatch, and removed.

use std::path::PathBuf;

/// A fresh, empty folder `name` inside this process's scratch folder
/// (under /dev/shm when it exists, so iterations do not touch the disk).
pub fn fresh(name: &str) -> PathBuf {
    let base = if std::path::Path::new("/dev/shm").is_dir() { PathBuf::from("/dev/shm") } else { std::env::temp_dir() };
    let dir = base.join(format!("ehrwatch-fuzz-{}", std::process::id())).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}
