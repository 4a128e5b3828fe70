//! The output folder's staging: a command's files are written owner-only
//! into `.ehrwatch-staging-PID/` and renamed into the folder together at
//! the end, so a failed run leaves the previous outputs as they were.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use super::leftovers::{sweep_leftovers, STAGING_PREFIX};
use super::owner_only::{create_private, create_private_dir};

/// A staging folder inside the output folder. Files are created in it and
/// renamed into the output folder by [`Staging::commit`]; dropping a staging
/// that was not committed removes it, leaving earlier outputs untouched.
pub struct Staging {
    out: PathBuf,
    dir: PathBuf,
    files: Vec<String>,
    committed: bool,
}

impl Staging {
    /// Creates the output folder if needed (owner-only when new) and a fresh
    /// staging folder in it, after removing staging folders of killed runs.
    pub fn new(out: &Path) -> io::Result<Staging> {
        create_private_dir(out)?;
        sweep_leftovers(out)?;
        let dir = out.join(format!("{STAGING_PREFIX}{}", std::process::id()));
        if dir.exists() {
            fs::remove_dir_all(&dir)?;
        }
        create_private_dir(&dir)?;
        Ok(Staging { out: out.to_path_buf(), dir, files: Vec::new(), committed: false })
    }

    /// Creates `name` in the staging folder, readable and writable by the
    /// owner only.
    pub fn create(&mut self, name: &str) -> io::Result<BufWriter<File>> {
        let f = create_private(&self.dir.join(name))?;
        self.files.push(name.to_string());
        Ok(BufWriter::with_capacity(1 << 20, f))
    }

    /// Flushes and syncs a writer returned by [`Staging::create`].
    pub fn finish(w: BufWriter<File>) -> io::Result<()> {
        let f = w.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()
    }

    /// Renames every staged file into the output folder and removes the
    /// staging folder.
    pub fn commit(mut self) -> io::Result<Vec<PathBuf>> {
        let mut out = Vec::new();
        for name in &self.files {
            let target = self.out.join(name);
            fs::rename(self.dir.join(name), &target)?;
            out.push(target);
        }
        self.committed = true;
        fs::remove_dir(&self.dir)?;
        if let Ok(d) = File::open(&self.out) {
            let _ = d.sync_all();
        }
        Ok(out)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// Writes a whole small file through a staging writer.
pub fn write_all(staging: &mut Staging, name: &str, bytes: &[u8]) -> io::Result<()> {
    let mut w = staging.create(name)?;
    w.write_all(bytes)?;
    Staging::finish(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uncommitted_staging_leaves_old_outputs_alone() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("alerts.csv"), "old").unwrap();
        {
            let mut s = Staging::new(tmp.path()).unwrap();
            write_all(&mut s, "alerts.csv", b"new").unwrap();
            // dropped without commit: a failure mid-run
        }
        assert_eq!(fs::read_to_string(tmp.path().join("alerts.csv")).unwrap(), "old");
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 1, "staging folder removed");
    }

    #[test]
    fn commit_replaces_and_files_are_owner_only() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("alerts.csv"), "old").unwrap();
        let mut s = Staging::new(tmp.path()).unwrap();
        write_all(&mut s, "alerts.csv", b"new").unwrap();
        s.commit().unwrap();
        assert_eq!(fs::read_to_string(tmp.path().join("alerts.csv")).unwrap(), "new");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(tmp.path().join("alerts.csv")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
