//! The binary's exit codes, in one place (as fd's `exit_codes.rs`). The
//! README's "Failure behaviour" section documents them; scripts and cron
//! jobs rely on the numbers, so they never change meaning.

/// How the process ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Done (alerts or not); also `--help` and `--version`.
    Success,
    /// Bad input, configuration or usage: the user can fix it.
    UserError,
    /// Internal or environment failure (disk, permissions, memory, a bug).
    InternalError,
    /// `detect --fail-on SEVERITY` wrote alerts of that severity or higher;
    /// every output is written.
    AlertsAtSeverity,
    /// Another ehrwatch run holds the `--out` or `--state` folder; this run
    /// wrote nothing.
    FolderInUse,
}

impl ExitCode {
    /// The number the process exits with.
    pub fn code(self) -> u8 {
        match self {
            ExitCode::Success => 0,
            ExitCode::UserError => 1,
            ExitCode::InternalError => 2,
            ExitCode::AlertsAtSeverity => 3,
            ExitCode::FolderInUse => 4,
        }
    }

    /// The exit code of a failed run.
    pub fn of(error: &ehrwatch::Error) -> ExitCode {
        if error.is_locked() {
            ExitCode::FolderInUse
        } else if error.is_user_error() {
            ExitCode::UserError
        } else {
            ExitCode::InternalError
        }
    }
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> Self {
        std::process::ExitCode::from(code.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_numbers_are_kept() {
        let all = [
            ExitCode::Success,
            ExitCode::UserError,
            ExitCode::InternalError,
            ExitCode::AlertsAtSeverity,
            ExitCode::FolderInUse,
        ];
        assert_eq!(all.map(ExitCode::code), [0, 1, 2, 3, 4]);
    }
}
