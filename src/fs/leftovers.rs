//! What a killed run leaves in an output folder: its working folders
//! (`.ehrwatch-staging-PID`, `.ehrwatch-spill-PID`), which may hold patient
//! data, removed by the next run once their process is gone.

use std::fs;
use std::io;
use std::path::Path;

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
        let Some(rest) = name.strip_prefix(STAGING_PREFIX).or_else(|| name.strip_prefix(SPILL_PREFIX)) else {
            continue;
        };
        // `PID` or `PID-ROLE` (an executor's folder beside its driver's).
        let pid = rest.split('-').next().unwrap_or(rest);
        if pid != std::process::id().to_string() && !process_alive(pid) && entry.path().is_dir() {
            fs::remove_dir_all(entry.path())?;
        }
    }
    Ok(())
}
