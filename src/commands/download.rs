//! `ntp download`: MAWI dumps listed in markdown files, fetched in parallel.

use std::process::ExitCode;

use anyhow::Result;
use ntp::download::{self, targets, Status};

use super::Ui;
use crate::cli::DownloadArgs;

pub fn run(args: &DownloadArgs, ui: &Ui) -> Result<ExitCode> {
    anyhow::ensure!(
        args.timeout.is_finite() && args.timeout > 0.0,
        "--timeout must be a positive number of seconds"
    );
    let targets = targets::discover(&args.sources())?;
    if args.list {
        for t in &targets {
            let sum = t.sha256.as_ref().map(|s| format!("  sha256:{s}"));
            super::out(format!("{}{}", t.url, sum.unwrap_or_default()))?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let opts = args.options();
    let outcomes = download::download(&targets, &opts, &ui.progress)?;
    let mut failed = false;
    for o in &outcomes {
        if let Status::Failed(m) = &o.status {
            failed = true;
            ui.error(&format!("{}: {m}", o.target.url));
        }
    }
    ui.info(download::summary_table(&outcomes));
    ui.info(format!("files are in {}", opts.dir.display()));
    Ok(super::exit_code(failed))
}
