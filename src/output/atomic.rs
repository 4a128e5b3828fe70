//! Atomic, owner-only output files.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Creates a new file (failing if it exists) readable and writable by its
/// owner only.
pub fn create_private(path: &Path) -> io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
}

/// A staging folder inside the output folder. Files are created in it and
/// renamed into the output folder by [`Staging::commit`]; dropping a staging
/// that was not committed removes it, leaving earlier outputs untouched.
pub struct Staging {
    out: PathBuf,
    dir: PathBuf,
    files: Vec<String>,
    committed: bool,
}

#[cfg(unix)]
fn private_dir(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o700))
}

#[cfg(not(unix))]
fn private_dir(_: &Path) -> io::Result<()> {
    Ok(())
}

/// Creates `dir` (and missing parents) owner-only (0700) in one step, with
/// no moment at which it is readable by others. An existing folder readable,
/// writable or searchable by group or others is tightened to 0700, unless
/// it is a shared folder (world-writable or sticky, like `/tmp`), which is
/// refused: ehrwatch writes patient data there and must own the folder.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    match fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => tighten_dir(dir, &meta),
        Ok(_) => Err(io::Error::new(io::ErrorKind::AlreadyExists, "exists and is not a folder")),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let mut builder = fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::DirBuilderExt;
                builder.mode(0o700);
            }
            builder.create(dir)?;
            // The umask may only have removed bits; 0700 exactly either way.
            private_dir(dir)
        }
        Err(e) => Err(e),
    }
}

#[cfg(unix)]
fn tighten_dir(dir: &Path, meta: &fs::Metadata) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o077 == 0 {
        return Ok(());
    }
    if mode & 0o1002 != 0 {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "a shared folder (mode {mode:o}, writable by others or sticky) cannot hold patient data; give a folder of its own"
            ),
        ));
    }
    private_dir(dir)
}

#[cfg(not(unix))]
fn tighten_dir(_: &Path, _: &fs::Metadata) -> io::Result<()> {
    Ok(())
}

/// Whether the process `pid` is running. Without /proc (not Linux), every
/// process is assumed to be, so nothing of another run is ever taken over.
pub fn process_alive(pid: &str) -> bool {
    let proc = Path::new("/proc");
    if !proc.is_dir() {
        return true;
    }
    match pid.trim().parse::<u32>() {
        Ok(p) => proc.join(p.to_string()).exists(),
        Err(_) => false,
    }
}

/// The names of a run's working folders in the output folder, before the
/// run's process id: the staging of the outputs, and the spill of a
/// partitioned run.
pub const STAGING_PREFIX: &str = ".ehrwatch-staging-";
/// See [`STAGING_PREFIX`].
pub const SPILL_PREFIX: &str = ".ehrwatch-spill-";

/// Removes the working folders (`.ehrwatch-staging-PID`,
/// `.ehrwatch-spill-PID`) in `out` whose process is gone: what a run killed
/// outright (SIGKILL, a cron timeout, power loss) left behind, which may
/// hold patient data. Folders of running processes are left alone.
pub fn sweep_leftovers(out: &Path) -> io::Result<()> {
    let Ok(entries) = fs::read_dir(out) else { return Ok(()) };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(pid) = name.strip_prefix(STAGING_PREFIX).or_else(|| name.strip_prefix(SPILL_PREFIX)) else {
            continue;
        };
        if pid != std::process::id().to_string() && !process_alive(pid) && entry.path().is_dir() {
            fs::remove_dir_all(entry.path())?;
        }
    }
    Ok(())
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

    #[cfg(unix)]
    #[test]
    fn folders_are_created_owner_only_and_open_ones_tightened_or_refused() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o7777;
        let nested = tmp.path().join("a/b");
        create_private_dir(&nested).unwrap();
        assert_eq!((mode(&tmp.path().join("a")), mode(&nested)), (0o700, 0o700));
        let open = tmp.path().join("open");
        fs::create_dir(&open).unwrap();
        fs::set_permissions(&open, fs::Permissions::from_mode(0o755)).unwrap();
        create_private_dir(&open).unwrap();
        assert_eq!(mode(&open), 0o700);
        let shared = tmp.path().join("shared");
        fs::create_dir(&shared).unwrap();
        fs::set_permissions(&shared, fs::Permissions::from_mode(0o1777)).unwrap();
        let e = create_private_dir(&shared).unwrap_err();
        assert!(e.to_string().contains("shared folder"), "{e}");
        assert_eq!(mode(&shared), 0o1777, "left as it was");
        fs::write(tmp.path().join("file"), "").unwrap();
        assert!(create_private_dir(&tmp.path().join("file")).is_err());
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
