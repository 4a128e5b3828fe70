//! Owner-only files and folders: created with no moment at which others
//! can read them, never through a planted symbolic link, and replaced by a
//! rename so a reader never sees half a file.
//!
//! These are primitives in the shape of `std::fs`: they return
//! `io::Error`, and each caller names the file in its own error, since the
//! messages are part of each command's contract.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

use super::error::FsError;

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

/// Creates `path` owner-only for reading and writing, and unlinks it at
/// once: only the returned handle reaches the file, and it is gone when the
/// handle is dropped or the process ends, however the run ends (scratch
/// space for patient data, such as spooled rejected rows).
pub fn create_unlinked(path: &Path) -> io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.read(true).write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let file = opts.open(path)?;
    std::fs::remove_file(path)?;
    Ok(file)
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

/// Opens `path` for reading without following a symbolic link at its last
/// component (`O_NOFOLLOW`): a link planted in a folder ehrwatch owns
/// cannot make it read another file.
pub fn open_no_follow(path: &Path) -> io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(super::lock::O_NOFOLLOW);
    }
    opts.open(path)
}

/// Writes `target` through `write` into a temporary owner-only file next
/// to it (`TARGET.tmp-PID`), syncs it, then renames it into place
/// (replacing a leftover of an interrupted run); on failure nothing is
/// left behind and the error names `target`.
pub fn write_replacing(
    target: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>,
) -> Result<(), FsError> {
    let mut tmp = target.as_os_str().to_owned();
    tmp.push(format!(".tmp-{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let run = || -> io::Result<()> {
        let _ = fs::remove_file(&tmp);
        let mut w = BufWriter::with_capacity(1 << 20, create_private(&tmp)?);
        write(&mut w)?;
        w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        fs::rename(&tmp, target)
    };
    run().map_err(|source| {
        let _ = fs::remove_file(&tmp);
        FsError::Write { path: target.to_path_buf(), source }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn a_failed_replacing_write_keeps_the_old_file_and_leaves_no_temporary() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("manifest.json");
        fs::write(&target, "old").unwrap();
        let err = write_replacing(&target, |w| {
            io::Write::write_all(w, b"half")?;
            Err(io::Error::other("disk full"))
        })
        .unwrap_err();
        assert!(matches!(&err, FsError::Write { path, .. } if path == &target), "{err}");
        assert_eq!(fs::read_to_string(&target).unwrap(), "old");
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 1, "temporary removed");
        write_replacing(&target, |w| io::Write::write_all(w, b"new")).unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "new");
    }

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_is_not_followed_when_reading() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("victim"), "secret").unwrap();
        std::os::unix::fs::symlink(tmp.path().join("victim"), tmp.path().join("link")).unwrap();
        assert!(open_no_follow(&tmp.path().join("link")).is_err());
        assert!(open_no_follow(&tmp.path().join("victim")).is_ok());
    }
}
