//! One run at a time per folder: an OS advisory lock (`flock` on Unix,
//! through `std::fs::File::try_lock`) on a lock file inside the folder,
//! held for as long as the [`FolderLock`] lives.
//!
//! Invariant: the kernel releases the lock when the process ends, however
//! it ends (SIGKILL included), so there is no stale lock to detect and no
//! window between reading, removing and re-creating one. The lock file is
//! never removed: removing it would let a third run lock a new file while
//! the second still holds the old one.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, Seek, Write};
use std::path::Path;

/// A held advisory lock on `DIR/NAME`.
#[derive(Debug)]
pub struct FolderLock {
    _file: File,
}

impl FolderLock {
    /// Takes the lock on `dir/name` without waiting: `Ok(None)` when another
    /// process (or another open of the file in this one) holds it. The file
    /// is created owner-only if missing and then holds the owner's process
    /// id, for people reading it; nothing relies on that.
    pub fn try_acquire(dir: &Path, name: &str) -> io::Result<Option<FolderLock>> {
        let path = dir.join(name);
        let mut opts = OpenOptions::new();
        opts.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600).custom_flags(O_NOFOLLOW);
        }
        let mut file = opts.open(&path)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Ok(None),
            Err(TryLockError::Error(e)) => return Err(e),
        }
        file.set_len(0)?;
        file.rewind()?;
        write!(file, "{}", std::process::id())?;
        Ok(Some(FolderLock { _file: file }))
    }
}

/// `O_NOFOLLOW` (Linux's value; `libc` is not a direct dependency): opening
/// a symbolic link fails with `ELOOP` instead of following it.
#[cfg(target_os = "linux")]
pub const O_NOFOLLOW: i32 = 0o400000;
/// `O_NOFOLLOW` on the BSDs and macOS.
#[cfg(all(unix, not(target_os = "linux")))]
pub const O_NOFOLLOW: i32 = 0x0100;

/// The lock file ehrwatch keeps in an output folder (`detect` holds it for
/// its whole run).
pub const OUTPUT_LOCK: &str = ".ehrwatch.lock";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_until_the_first_lets_go() {
        let tmp = tempfile::tempdir().unwrap();
        let first = FolderLock::try_acquire(tmp.path(), ".lock").unwrap().expect("free");
        assert!(FolderLock::try_acquire(tmp.path(), ".lock").unwrap().is_none(), "held");
        drop(first);
        assert!(FolderLock::try_acquire(tmp.path(), ".lock").unwrap().is_some(), "released");
        // A lock file left behind (a killed run) with any content is no lock.
        std::fs::write(tmp.path().join(".other"), "").unwrap();
        assert!(FolderLock::try_acquire(tmp.path(), ".other").unwrap().is_some());
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_lock_file_is_not_followed() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("victim"), "keep").unwrap();
        std::os::unix::fs::symlink(tmp.path().join("victim"), tmp.path().join(".lock")).unwrap();
        assert!(FolderLock::try_acquire(tmp.path(), ".lock").is_err());
        assert_eq!(std::fs::read_to_string(tmp.path().join("victim")).unwrap(), "keep");
    }
}
