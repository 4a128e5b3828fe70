//! One run at a time per state folder.

use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use super::StateError;
use crate::output::process_alive;

/// `.lock` in the state folder, holding the owner's process id; removed on
/// drop. A lock left by a process that no longer exists (a killed run) is
/// taken over.
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
}

impl Lock {
    /// Takes the lock of `dir`.
    pub fn acquire(dir: &Path) -> Result<Lock, StateError> {
        let path = dir.join(".lock");
        for _ in 0..2 {
            match crate::output::create_private(&path) {
                Ok(mut f) => {
                    write!(f, "{}", std::process::id())
                        .map_err(|source| StateError::Io { path: path.clone(), source })?;
                    return Ok(Lock { path });
                }
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                    let pid = std::fs::read_to_string(&path).unwrap_or_default();
                    if process_alive(&pid) {
                        return Err(StateError::Locked { dir: dir.to_path_buf(), pid: pid.trim().to_string() });
                    }
                    let _ = std::fs::remove_file(&path);
                }
                Err(source) => return Err(StateError::Io { path, source }),
            }
        }
        Err(StateError::Locked { dir: dir.to_path_buf(), pid: "unknown".to_string() })
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_run_is_refused_and_a_dead_owner_is_taken_over() {
        let tmp = tempfile::tempdir().unwrap();
        let first = Lock::acquire(tmp.path()).unwrap();
        let err = Lock::acquire(tmp.path()).unwrap_err();
        assert!(matches!(err, StateError::Locked { .. }), "{err}");
        drop(first);
        assert!(!tmp.path().join(".lock").exists());
        // A lock whose process is gone (pid 0 is never a user process in /proc).
        std::fs::write(tmp.path().join(".lock"), "999999999").unwrap();
        let taken = Lock::acquire(tmp.path());
        if Path::new("/proc").is_dir() {
            assert!(taken.is_ok());
        }
    }
}
