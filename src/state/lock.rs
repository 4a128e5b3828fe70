//! One run at a time per state folder: an OS advisory lock on `.lock`,
//! held for the run's life (see [`crate::fs::FolderLock`]).

use std::path::Path;

use super::StateError;
use crate::fs::FolderLock;

/// The lock of a state folder; released when dropped or when the process
/// ends, however it ends.
#[derive(Debug)]
pub struct Lock {
    _held: FolderLock,
}

impl Lock {
    /// Takes the lock of `dir`, without waiting.
    pub fn acquire(dir: &Path) -> Result<Lock, StateError> {
        match FolderLock::try_acquire(dir, ".lock") {
            Ok(Some(held)) => Ok(Lock { _held: held }),
            Ok(None) => Err(StateError::Locked { dir: dir.to_path_buf() }),
            Err(source) => Err(StateError::Io { path: dir.join(".lock"), source }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_run_is_refused_and_an_old_lock_file_is_no_lock() {
        let tmp = tempfile::tempdir().unwrap();
        let first = Lock::acquire(tmp.path()).unwrap();
        let err = Lock::acquire(tmp.path()).unwrap_err();
        assert!(matches!(err, StateError::Locked { .. }), "{err}");
        drop(first);
        // What a killed run leaves (a pid file, even an empty one) is free.
        std::fs::write(tmp.path().join(".lock"), "").unwrap();
        assert!(Lock::acquire(tmp.path()).is_ok());
    }
}
