//! Progress bars on stderr (indicatif), hidden under `--quiet` or when stderr is not a
//! terminal-friendly target.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Hands out progress bars that all respect `--quiet`.
#[derive(Clone)]
pub struct Progress {
    quiet: bool,
    multi: MultiProgress,
}

impl Progress {
    pub fn new(quiet: bool) -> Progress {
        let multi = if quiet {
            MultiProgress::with_draw_target(ProgressDrawTarget::hidden())
        } else {
            MultiProgress::with_draw_target(ProgressDrawTarget::stderr())
        };
        Progress { quiet, multi }
    }

    /// Nothing is ever drawn (for tests and library use).
    pub fn hidden() -> Progress {
        Progress::new(true)
    }

    pub fn is_quiet(&self) -> bool {
        self.quiet
    }

    /// A bar counting bytes.
    pub fn bytes(&self, total: u64, message: impl Into<String>) -> ProgressBar {
        self.add(
            ProgressBar::new(total),
            "{msg:30!} [{bar:30}] {binary_bytes:>10}/{binary_total_bytes:<10} {binary_bytes_per_sec:>12} eta {eta}",
            message,
        )
    }

    /// A bar counting items (epochs, files, …).
    pub fn items(&self, total: u64, message: impl Into<String>) -> ProgressBar {
        self.add(
            ProgressBar::new(total),
            "{msg:30!} [{bar:30}] {pos}/{len} {wide_msg}",
            message,
        )
    }

    /// A spinner for work of unknown length.
    pub fn spinner(&self, message: impl Into<String>) -> ProgressBar {
        let pb = self.add(
            ProgressBar::new_spinner(),
            "{spinner} {msg} ({elapsed})",
            message,
        );
        pb.enable_steady_tick(std::time::Duration::from_millis(120));
        pb
    }

    fn add(&self, pb: ProgressBar, template: &str, message: impl Into<String>) -> ProgressBar {
        if self.quiet {
            return ProgressBar::hidden();
        }
        let style = ProgressStyle::with_template(template)
            .expect("valid template")
            .progress_chars("=> ");
        let pb = self.multi.add(pb.with_style(style));
        pb.set_message(message.into());
        pb
    }

    /// Prints a line above the bars (or nothing when quiet).
    pub fn println(&self, line: impl AsRef<str>) {
        if !self.quiet {
            let _ = self.multi.println(line.as_ref());
        }
    }
}
