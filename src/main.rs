//! The `ntp` binary: parses the arguments, runs the command, turns an error into one line.

mod cli;
mod commands;

use std::process::ExitCode;

use clap::Parser;

use cli::Cli;
use commands::Ui;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let ui = Ui::new(cli.quiet, cli.color.enabled());
    if let Err(e) = ntp::util::atomic::remove_on_signals() {
        ui.warning(&format!(
            "cannot watch for Ctrl-C ({e}): an interrupted run may leave .tmp- files"
        ));
    }
    match commands::run(cli.command, &ui) {
        Ok(code) => code,
        // The reader of stdout went away (`ntp analyze x | head`): end quietly, as `cat` does.
        Err(e)
            if e.downcast_ref::<commands::StdoutError>()
                .is_some_and(|s| s.is_closed_pipe()) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            // `{:#}`: the whole cause chain, on one line.
            ui.error(&format!("{e:#}"));
            ExitCode::FAILURE
        }
    }
}
