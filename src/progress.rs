//! Progress on stderr for long stages, shown only when stderr is a terminal
//! and `--quiet` was not given. Messages carry counts and stage names only,
//! never ids or names from the data.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Where progress goes (or does not).
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    enabled: bool,
}

impl Progress {
    /// Progress that draws when `enabled` and stderr is a terminal.
    pub fn new(enabled: bool) -> Self {
        use std::io::IsTerminal;
        Self { enabled: enabled && std::io::stderr().is_terminal() }
    }

    /// Progress that never draws (library use, tests).
    pub fn hidden() -> Self {
        Self { enabled: false }
    }

    /// Starts a spinner for a stage; it counts rows when [`StageBar::inc`] is called.
    pub fn stage(&self, name: &str) -> StageBar {
        if !self.enabled {
            return StageBar { bar: ProgressBar::hidden() };
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(4));
        bar.set_style(
            ProgressStyle::with_template("{spinner} {prefix:>9} {human_pos} rows {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_prefix(name.to_string());
        bar.enable_steady_tick(Duration::from_millis(250));
        StageBar { bar }
    }
}

/// A running stage.
pub struct StageBar {
    bar: ProgressBar,
}

impl StageBar {
    /// Adds to the row count.
    pub fn inc(&self, n: u64) {
        self.bar.inc(n);
    }

    /// Ends the stage, leaving no line behind.
    pub fn finish(self) {
        self.bar.finish_and_clear();
    }
}
