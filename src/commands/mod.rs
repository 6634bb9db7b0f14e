//! One module per subcommand: each turns parsed arguments into calls of the library's
//! stages and renders what they return. Messages go to stderr through [`Ui`].

mod aggregate;
mod analyze;
mod download;
mod pipeline;
mod predict;
mod preprocess;
mod train;

use std::process::ExitCode;

use anyhow::Result;
use clap::CommandFactory;
use ntp::util::progress::Progress;

use crate::cli::{Cli, Command};

/// How the command talks to the user: `--quiet`, colour, progress bars.
pub struct Ui {
    pub quiet: bool,
    color: bool,
    pub progress: Progress,
}

impl Ui {
    pub fn new(quiet: bool, color: bool) -> Ui {
        Ui {
            quiet,
            color,
            progress: Progress::new(quiet),
        }
    }

    fn line(&self, code: &str, label: &str, msg: &str) {
        if self.color {
            eprintln!("\x1b[{code}m{label}:\x1b[0m {msg}");
        } else {
            eprintln!("{label}: {msg}");
        }
    }

    /// `error: …` (printed even under `--quiet`).
    pub fn error(&self, msg: &str) {
        self.line("1;31", "error", msg);
    }

    /// `warning: …` (printed even under `--quiet`).
    pub fn warning(&self, msg: &str) {
        self.line("1;33", "warning", msg);
    }

    /// A line on stderr unless `--quiet`.
    pub fn info(&self, msg: impl AsRef<str>) {
        if !self.quiet {
            eprintln!("{}", msg.as_ref());
        }
    }

    /// `note: …` unless `--quiet`.
    pub fn notes(&self, notes: &[String]) {
        for n in notes {
            self.info(format!("note: {n}"));
        }
    }
}

/// At most this many workers per core: more only adds memory and switching.
const THREADS_PER_CORE: usize = 4;

/// Sizes rayon's global pool (`-j N`, at most 4 per core), once, before any work.
fn use_threads(n: Option<usize>) -> Result<()> {
    if let Some(n) = n {
        let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
        rayon::ThreadPoolBuilder::new()
            .num_threads(n.clamp(1, THREADS_PER_CORE * cores))
            .build_global()?;
    }
    Ok(())
}

/// Failure if any part of the work failed (each failure was already reported).
fn exit_code(failed: bool) -> ExitCode {
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Runs one subcommand.
pub fn run(command: Command, ui: &Ui) -> Result<ExitCode> {
    match command {
        Command::Download(args) => download::run(&args, ui),
        Command::Preprocess(args) => preprocess::run(&args, ui),
        Command::Aggregate(args) => aggregate::run(&args, ui),
        Command::Analyze(args) => analyze::run(&args, ui),
        Command::Train(args) => train::run(&args, ui),
        Command::Predict(args) => predict::run(&args, ui),
        Command::Pipeline(args) => pipeline::run(&args, ui),
        Command::Completions { shell } => {
            let shell: clap_complete::Shell = shell.into();
            clap_complete::generate(shell, &mut Cli::command(), "ntp", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
    }
}
