//! One module per subcommand: each turns parsed arguments into calls of the library's
//! stages and renders what they return. Messages go to stderr through [`Ui`].

mod aggregate;
mod analyze;
mod detect;
mod download;
mod many;
mod pipeline;
mod predict;
mod preprocess;
mod simulate;
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
            err_line(&format!("\x1b[{code}m{label}:\x1b[0m {msg}"));
        } else {
            err_line(&format!("{label}: {msg}"));
        }
    }

    /// `error: …` (printed even under `--quiet`), on one line whatever the message holds.
    pub fn error(&self, msg: &str) {
        self.line("1;31", "error", &msg.replace(['\n', '\r'], " "));
    }

    /// `warning: …` (printed even under `--quiet`).
    pub fn warning(&self, msg: &str) {
        self.line("1;33", "warning", msg);
    }

    /// A line on stderr unless `--quiet`.
    pub fn info(&self, msg: impl AsRef<str>) {
        if !self.quiet {
            err_line(msg.as_ref());
        }
    }

    /// `note: …` unless `--quiet`.
    pub fn notes(&self, notes: &[String]) {
        for n in notes {
            self.info(format!("note: {n}"));
        }
    }
}

/// A line on stderr. A closed or full stderr has nowhere left to be reported: the line is
/// dropped rather than the run aborted.
pub fn err_line(text: &str) {
    use std::io::Write;
    let mut e = std::io::stderr().lock();
    let _ = writeln!(e, "{text}");
}

/// stdout could not be written.
#[derive(Debug, thiserror::Error)]
#[error("stdout: {0}")]
pub struct StdoutError(pub std::io::Error);

impl From<std::io::Error> for StdoutError {
    fn from(e: std::io::Error) -> Self {
        StdoutError(e)
    }
}

impl StdoutError {
    /// A reader that stopped reading (`ntp analyze x | head`): the run ends quietly, as
    /// `cat` does.
    pub fn is_closed_pipe(&self) -> bool {
        self.0.kind() == std::io::ErrorKind::BrokenPipe
    }
}

/// Writes `text` and a newline to stdout (tables meant for piping).
pub fn out(text: impl AsRef<str>) -> std::result::Result<(), StdoutError> {
    use std::io::Write;
    let mut o = std::io::stdout().lock();
    writeln!(o, "{}", text.as_ref())?;
    o.flush()?;
    Ok(())
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

/// The files a command reads, which no output of it may replace.
fn inputs_of(command: &Command) -> Vec<std::path::PathBuf> {
    match command {
        Command::Preprocess(a) => a.inputs.clone(),
        Command::Aggregate(a) => a.inputs.clone(),
        Command::Analyze(a) => a.io.inputs.clone(),
        Command::Train(a) => a.io.inputs.clone(),
        Command::Predict(a) => {
            let mut v = a.io.inputs.clone();
            v.push(ntp::forecast::card::ModelCard::path_of(&a.model));
            v.push(a.model.clone());
            v
        }
        Command::Pipeline(a) => a.captures.clone(),
        Command::Detect(a) => a.io.inputs.iter().chain(&a.labels).cloned().collect(),
        Command::Download(_)
        | Command::Simulate(_)
        | Command::Man
        | Command::Completions { .. } => Vec::new(),
    }
}

/// Runs one subcommand.
pub fn run(command: Command, ui: &Ui) -> Result<ExitCode> {
    ntp::util::atomic::protect_inputs(&inputs_of(&command));
    match command {
        Command::Download(args) => download::run(&args, ui),
        Command::Preprocess(args) => preprocess::run(&args, ui),
        Command::Aggregate(args) => aggregate::run(&args, ui),
        Command::Analyze(args) => analyze::run(&args, ui),
        Command::Train(args) => train::run(&args, ui),
        Command::Predict(args) => predict::run(&args, ui),
        Command::Pipeline(args) => pipeline::run(&args, ui),
        Command::Simulate(args) => simulate::run(&args, ui),
        Command::Detect(args) => detect::run(&args, ui),
        Command::Man => {
            let mut page = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut page)
                .map_err(StdoutError)?;
            out(String::from_utf8_lossy(&page).trim_end())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Completions { shell } => {
            let shell: clap_complete::Shell = shell.into();
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "ntp", &mut script);
            out(String::from_utf8_lossy(&script).trim_end())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
