//! `ntp preprocess`: captures → per-packet Parquet, one file or one per capture.

use std::process::ExitCode;

use anyhow::Result;
use ntp::dataset::convert::{self, Output};

use super::Ui;
use crate::cli::PreprocessArgs;

pub fn run(args: &PreprocessArgs, ui: &Ui) -> Result<ExitCode> {
    super::use_threads(args.threads)?;
    let output = Output::from_arg(&args.output);
    let opts = convert::WriteOptions {
        partition: args.partition.into(),
        unit: (&args.unit).into(),
    };
    if let (Output::File(file), convert::Partition::Day) = (&output, opts.partition) {
        anyhow::bail!(
            "--partition day lays out a directory: give -o DIR/, not {}",
            file.display()
        );
    }
    let mut failed = false;
    // Every output is tried; each failure is reported, and any failure fails the run.
    for result in convert::run(&args.inputs, &output, opts, &ui.progress) {
        match result {
            Ok(reports) => {
                for r in &reports {
                    for w in r.damage_warning().into_iter().chain(r.stray_warning()) {
                        ui.warning(&w);
                    }
                    ui.info(r.summary());
                }
            }
            Err(e) => {
                failed = true;
                ui.error(&ntp::error::chain(&e));
            }
        }
    }
    Ok(super::exit_code(failed))
}
