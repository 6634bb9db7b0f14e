//! The `ntp` binary: parses arguments, calls the library, turns errors into one line.

mod cli;

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;

use cli::{Cli, ColorChoice, Command};
use ntp::progress::Progress;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let color = match cli.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            error_line(color, &format!("{e}"));
            ExitCode::FAILURE
        }
    }
}

fn error_line(color: bool, msg: &str) {
    if color {
        eprintln!("\x1b[1;31merror:\x1b[0m {msg}");
    } else {
        eprintln!("error: {msg}");
    }
}

fn warning_line(color: bool, msg: &str) {
    if color {
        eprintln!("\x1b[1;33mwarning:\x1b[0m {msg}");
    } else {
        eprintln!("warning: {msg}");
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    let color = match cli.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
        }
    };
    let progress = Progress::new(cli.quiet);
    match cli.command {
        Command::Preprocess(args) => {
            if let Some(n) = args.threads {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(n.max(1))
                    .build_global()?;
            }
            let output = ntp::preprocess::Output::from_arg(&args.output);
            let results = ntp::preprocess::run(&args.inputs, &output, &progress);
            let mut failed = false;
            for result in results {
                match result {
                    Ok(reports) => {
                        for r in &reports {
                            if let Some(w) = ntp::preprocess::damage_warning(r) {
                                warning_line(color, &w);
                            }
                            if !cli.quiet {
                                eprintln!("{}", ntp::preprocess::summary(r));
                            }
                        }
                    }
                    Err(e) => {
                        failed = true;
                        error_line(color, &e.to_string());
                    }
                }
            }
            Ok(if failed {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Download | Command::Analyze | Command::Train => {
            error_line(color, "this subcommand is not built yet");
            Ok(ExitCode::from(2))
        }
    }
}
