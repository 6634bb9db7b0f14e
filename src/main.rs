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

fn series_options(a: &cli::SeriesArgs) -> ntp::series::SeriesOptions {
    ntp::series::SeriesOptions {
        every: a.every.clone(),
        size: match a.size {
            cli::SizeArg::Ip => ntp::series::SizeKind::Ip,
            cli::SizeArg::Wire => ntp::series::SizeKind::Wire,
            cli::SizeArg::Captured => ntp::series::SizeKind::Captured,
        },
        drop_empty: a.drop_empty,
    }
}

fn analyze_options(
    s: &cli::SeriesArgs,
    a: &cli::AnalysisArgs,
    out: &std::path::Path,
) -> ntp::analyze::AnalyzeOptions {
    ntp::analyze::AnalyzeOptions {
        series: series_options(s),
        out_dir: out.to_owned(),
        max_size: a.max_size,
        period: a.period,
        lags: a.lags,
        z: a.z,
        dpi: a.dpi,
    }
}

fn train_options(
    s: &cli::SeriesArgs,
    t: &cli::TrainingArgs,
    out: &std::path::Path,
    period: Option<usize>,
    dpi: u32,
) -> ntp::train::TrainOptions {
    ntp::train::TrainOptions {
        series: series_options(s),
        out_dir: out.to_owned(),
        look_backs: t.look_back.clone(),
        horizon: t.horizon,
        test_fraction: t.test_fraction,
        scale_on_all: t.scale_on_all,
        hyper: ntp::forecast::lstm::Hyper {
            hidden: t.hidden,
            layers: t.layers,
            lr: t.lr,
            batch_size: t.batch_size,
            epochs: t.epochs,
            seed: t.seed,
        },
        period,
        dpi,
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
        Command::Analyze(args) => {
            let opts = analyze_options(&args.series, &args.analysis, &args.output);
            let spinner = progress.spinner("analyzing");
            let result = ntp::analyze::run(&args.inputs, &opts);
            spinner.finish_and_clear();
            let (analysis, written) = result?;
            for n in &analysis.notices {
                if !cli.quiet {
                    eprintln!("note: {n}");
                }
            }
            if !cli.quiet {
                println!(
                    "{}",
                    ntp::analyze::describe_markdown(&analysis.describe, "bytes per second")
                );
                eprintln!(
                    "{}: {} intervals of {}, {} bursts; wrote {} files to {}",
                    analysis.stem,
                    analysis.series.len(),
                    opts.series.every,
                    analysis.bursts.len(),
                    written.len(),
                    opts.out_dir.display()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Download(args) => download(args, &progress, cli.quiet),
        Command::Pipeline(args) => pipeline(args, &progress, cli.quiet, color),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let shell = match shell {
                cli::Shell::Bash => clap_complete::Shell::Bash,
                cli::Shell::Zsh => clap_complete::Shell::Zsh,
                cli::Shell::Fish => clap_complete::Shell::Fish,
                cli::Shell::Elvish => clap_complete::Shell::Elvish,
                cli::Shell::Powershell => clap_complete::Shell::PowerShell,
            };
            clap_complete::generate(shell, &mut Cli::command(), "ntp", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Command::Train(args) => {
            let opts = train_options(
                &args.series,
                &args.training,
                &args.output,
                args.period,
                args.dpi,
            );
            let report = ntp::train::run(&args.inputs, &opts, &progress)?;
            for r in &report.results {
                if let Err(reason) = &r.status {
                    warning_line(color, &format!("look-back {}: {reason}", r.look_back));
                }
            }
            if !cli.quiet {
                println!("{}", report.markdown());
                eprintln!(
                    "best look-back {}; wrote {} files to {}",
                    report.results[report.best].look_back,
                    report.written.len(),
                    opts.out_dir.display()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Predict(args) => {
            let ntp::train::Prediction {
                stem,
                metrics: results,
                written,
            } = ntp::train::predict(&args.model, &args.inputs, &args.output)?;
            if !cli.quiet {
                let rows: Vec<Vec<String>> = results
                    .iter()
                    .map(|(n, m)| {
                        vec![
                            n.clone(),
                            format!("{:.4e}", m.mse),
                            format!("{:.4e}", m.mae),
                            format!("{:.3}", m.r2),
                            format!("{:.3}", m.mase),
                        ]
                    })
                    .collect();
                println!(
                    "{}",
                    ntp::report::markdown::table(
                        &["model", "MSE", "MAE", "R²", "MASE"],
                        "lrrrr",
                        &rows
                    )
                );
                eprintln!(
                    "{stem}: wrote {}",
                    written
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn download(args: cli::DownloadArgs, progress: &Progress, quiet: bool) -> Result<ExitCode> {
    use ntp::download::{self, Target};
    let mut targets: Vec<Target> = Vec::new();
    let mut push = |t: Target| {
        if !targets.iter().any(|x| x.url == t.url) {
            targets.push(t);
        }
    };
    let mut sources = args.sources.clone();
    if sources.is_empty() && args.mawi.is_empty() {
        sources.push("data-sources".into());
    }
    for s in &sources {
        if s.starts_with("http://") || s.starts_with("https://") {
            push(Target::new(s)?);
            continue;
        }
        let files = download::markdown_files(std::path::Path::new(s), args.recursive)?;
        for f in files {
            let text = std::fs::read_to_string(&f).map_err(|e| ntp::Error::io(&f, e))?;
            download::parse_markdown(&text)
                .into_iter()
                .for_each(&mut push);
        }
    }
    for m in &args.mawi {
        push(Target::new(&download::mawi_url(m, &args.samplepoint)?)?);
    }
    if targets.is_empty() {
        anyhow::bail!(
            "no .dump.gz or .pcap.gz URL found in {}",
            sources.join(", ")
        );
    }
    if let Some(sum) = &args.sha256 {
        if targets.len() != 1 {
            anyhow::bail!("--sha256 needs exactly one target, found {}", targets.len());
        }
        targets[0].sha256 = Some(sum.to_ascii_lowercase());
    }
    if args.list {
        for t in &targets {
            println!(
                "{}{}",
                t.url,
                t.sha256
                    .as_ref()
                    .map(|s| format!("  sha256:{s}"))
                    .unwrap_or_default()
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let opts = download::DownloadOptions {
        dir: args.output.clone(),
        jobs: args.jobs,
        retries: args.retries,
        extract: args.extract,
        ..Default::default()
    };
    let outcomes = download::download(&targets, &opts, progress)?;
    let failed: Vec<_> = outcomes.iter().filter(|o| o.failed()).collect();
    for o in &failed {
        if let download::Status::Failed(m) = &o.status {
            eprintln!("error: {}: {m}", o.target.url);
        }
    }
    if !quiet {
        eprintln!("{}", download::summary_table(&outcomes));
        eprintln!("files are in {}", opts.dir.display());
    }
    Ok(if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn pipeline(
    args: cli::PipelineArgs,
    progress: &Progress,
    quiet: bool,
    color: bool,
) -> Result<ExitCode> {
    use ntp::pipeline::{self, StageRun};
    let mut captures = args.captures.clone();
    if captures.is_empty() {
        let sample = pipeline::sample_path();
        if !quiet {
            eprintln!(
                "no capture given: using the bundled sample {}",
                sample.display()
            );
        }
        captures.push(sample);
    }
    let opts = pipeline::PipelineOptions {
        out_dir: args.output.clone(),
        force: args.force,
        analyze: analyze_options(&args.series, &args.analysis, &args.output),
        train: (!args.no_train).then(|| {
            train_options(
                &args.series,
                &args.training,
                &args.output,
                args.analysis.period,
                args.analysis.dpi,
            )
        }),
    };
    let results = pipeline::run(&captures, &opts, progress)?;
    for r in &results {
        for rep in &r.reports {
            if let Some(w) = ntp::preprocess::damage_warning(rep) {
                warning_line(color, &w);
            }
        }
        if !quiet {
            let word = |s: &StageRun| {
                if *s == StageRun::Ran {
                    "done"
                } else {
                    "up to date"
                }
            };
            let train = r
                .train
                .as_ref()
                .map(|t| format!(", train {}", word(t)))
                .unwrap_or_default();
            eprintln!(
                "{}: preprocess {}, analyze {}{train}",
                r.stem,
                word(&r.preprocess),
                word(&r.analyze)
            );
            for n in &r.notices {
                eprintln!("note: {n}");
            }
        }
    }
    if !quiet {
        eprintln!("report: {}", opts.out_dir.join("report.md").display());
    }
    Ok(ExitCode::SUCCESS)
}
