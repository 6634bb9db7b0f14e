//! `ntp pipeline`: capture → dataset → analysis → `report.md`, one command. Each stage is
//! skipped when its outputs are newer than its inputs (`force` reruns everything), so a
//! second run is a no-op.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::analyze::{self, AnalyzeOptions};
use crate::error::{Error, Result};
use crate::output::write_atomically;
use crate::preprocess;
use crate::progress::Progress;
use crate::train::{self, TrainOptions};

/// The real capture bundled with ntp (MIT OR Apache-2.0; see tests/data/PROVENANCE.md).
pub const SAMPLE: &str = "tests/data/lan-broadcast-28min-ns.pcapng";

/// Where the bundled sample is: relative to the working directory, else to the source tree
/// ntp was built from.
pub fn sample_path() -> PathBuf {
    let local = PathBuf::from(SAMPLE);
    if local.exists() {
        local
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(SAMPLE)
    }
}

#[derive(Clone, Debug)]
pub struct PipelineOptions {
    pub out_dir: PathBuf,
    pub force: bool,
    pub analyze: AnalyzeOptions,
    /// `None` skips the training stage.
    pub train: Option<TrainOptions>,
}

/// What happened to one stage of one capture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StageRun {
    Ran,
    UpToDate,
}

#[derive(Debug)]
pub struct CaptureResult {
    pub capture: PathBuf,
    pub stem: String,
    pub preprocess: StageRun,
    pub analyze: StageRun,
    pub train: Option<StageRun>,
    pub reports: Vec<preprocess::FileReport>,
    pub notices: Vec<String>,
}

fn mtime(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// True when every output exists and is at least as new as every input.
pub fn up_to_date(inputs: &[PathBuf], outputs: &[PathBuf]) -> bool {
    let newest_in = inputs.iter().filter_map(|p| mtime(p)).max();
    let oldest_out = outputs
        .iter()
        .map(|p| mtime(p))
        .collect::<Option<Vec<_>>>()
        .and_then(|v| v.into_iter().min());
    matches!((newest_in, oldest_out), (Some(i), Some(o)) if o >= i)
}

/// Files `ntp analyze` writes for a stem (decomposition only when the series allows it,
/// so it is not required for "up to date").
pub fn analyze_outputs(dir: &Path, stem: &str) -> Vec<PathBuf> {
    [
        "bps.csv",
        "describe.csv",
        "describe.tex",
        "protocol_dist.csv",
        "protocol_dist.png",
        "time_series.png",
        "bursts.csv",
        "acf.csv",
        "pacf.csv",
        "autocorrelation.png",
    ]
    .iter()
    .map(|s| dir.join(format!("{stem}.{s}")))
    .collect()
}

/// Files `ntp train` writes for a stem.
pub fn train_outputs(dir: &Path, stem: &str, t: &TrainOptions) -> Vec<PathBuf> {
    let (e, b) = (t.hyper.epochs, t.hyper.batch_size);
    [
        format!("mse_results.e{e}.b{b}.csv"),
        format!("mse_results.e{e}.b{b}.tex"),
        format!("prediction.e{e}.b{b}.png"),
        format!("loss.e{e}.b{b}.png"),
        format!("best_model.e{e}.b{b}.safetensors"),
        "run.json".to_string(),
    ]
    .iter()
    .map(|s| dir.join(format!("{stem}.{s}")))
    .collect()
}

/// Runs every stage for every capture, then writes `report.md`.
pub fn run(
    captures: &[PathBuf],
    opts: &PipelineOptions,
    progress: &Progress,
) -> Result<Vec<CaptureResult>> {
    // Bad options fail before any work is done.
    opts.analyze.validate()?;
    if let Some(t) = &opts.train {
        t.validate()?;
    }
    let dir = &opts.out_dir;
    let datasets = preprocess::dir_outputs(captures, dir);
    let mut results = Vec::new();
    for (capture, dataset) in captures.iter().zip(&datasets) {
        let stem = dataset
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut r = CaptureResult {
            capture: capture.clone(),
            stem: stem.clone(),
            preprocess: StageRun::UpToDate,
            analyze: StageRun::UpToDate,
            train: None,
            reports: Vec::new(),
            notices: Vec::new(),
        };
        if opts.force || !up_to_date(std::slice::from_ref(capture), std::slice::from_ref(dataset)) {
            r.reports = preprocess::convert(std::slice::from_ref(capture), dataset, progress)?;
            r.preprocess = StageRun::Ran;
        }
        let mut aopts = opts.analyze.clone();
        aopts.out_dir = dir.clone();
        if opts.force
            || r.preprocess == StageRun::Ran
            || !up_to_date(std::slice::from_ref(dataset), &analyze_outputs(dir, &stem))
        {
            let spinner = progress.spinner(format!("analyzing {stem}"));
            let outcome = analyze::run(std::slice::from_ref(dataset), &aopts);
            spinner.finish_and_clear();
            let (a, _) = outcome?;
            r.notices = a.notices;
            r.analyze = StageRun::Ran;
        }
        if let Some(topts) = &opts.train {
            let mut topts = topts.clone();
            topts.out_dir = dir.clone();
            let outputs = train_outputs(dir, &stem, &topts);
            r.train = Some(
                if opts.force
                    || r.preprocess == StageRun::Ran
                    || !up_to_date(std::slice::from_ref(dataset), &outputs)
                {
                    let report = train::run(std::slice::from_ref(dataset), &topts, progress)?;
                    for lb in &report.results {
                        if let Err(reason) = &lb.status {
                            r.notices
                                .push(format!("look-back {}: {reason}", lb.look_back));
                        }
                    }
                    StageRun::Ran
                } else {
                    StageRun::UpToDate
                },
            );
        }
        results.push(r);
    }
    let report = dir.join("report.md");
    let ran = |r: &CaptureResult| {
        r.preprocess == StageRun::Ran
            || r.analyze == StageRun::Ran
            || r.train == Some(StageRun::Ran)
    };
    if results.iter().any(ran) || !report.exists() || opts.force {
        write_report(&report, &results, &opts.analyze, opts.train.as_ref())?;
    }
    Ok(results)
}

fn read_describe(dir: &Path, stem: &str) -> Result<String> {
    let p = dir.join(format!("{stem}.describe.csv"));
    let text = std::fs::read_to_string(&p).map_err(|e| Error::io(&p, e))?;
    let rows: Vec<Vec<String>> = text
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(','))
        .map(|(k, v)| {
            vec![
                k.to_string(),
                v.parse::<f64>()
                    .map(|v| format!("{v:.1}"))
                    .unwrap_or_else(|_| "null".into()),
            ]
        })
        .collect();
    Ok(crate::report::markdown::table(
        &["statistic", "bytes per second"],
        "lr",
        &rows,
    ))
}

/// `report.md`: every figure and table, each with a sentence on how to read it.
/// The MSE table of a sweep as Markdown (look-back × model), from its CSV.
fn mse_markdown(csv: &Path) -> Result<String> {
    let text = std::fs::read_to_string(csv).map_err(|e| Error::io(csv, e))?;
    let models = train::MODELS;
    let mut table: Vec<(String, Vec<String>)> = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() < 3 {
            continue;
        }
        if !table.iter().any(|(l, _)| l == f[0]) {
            table.push((f[0].to_string(), vec!["—".into(); models.len()]));
        }
        let row = table
            .iter_mut()
            .find(|(l, _)| l == f[0])
            .expect("just added");
        match models.iter().position(|m| *m == f[1]) {
            Some(i) if !f[2].is_empty() => {
                row.1[i] = f[2]
                    .parse::<f64>()
                    .map(|v| format!("{v:.4e}"))
                    .unwrap_or_default()
            }
            None if f[1].is_empty() => row.1 = vec!["too short".into(); models.len()],
            _ => {}
        }
    }
    Ok(train::mse_markdown(table))
}

fn write_report(
    dest: &Path,
    results: &[CaptureResult],
    a: &AnalyzeOptions,
    t: Option<&TrainOptions>,
) -> Result<()> {
    let dir = dest.parent().unwrap_or(Path::new("."));
    let mut body = String::new();
    body.push_str("# ntp report\n\n");
    body.push_str(&format!(
        "Series: bytes per {} interval summed from the `{}` length of each IP packet{}. Made by ntp {}.\n\n",
        a.series.every,
        a.series.size.name(),
        if a.series.drop_empty { ", empty intervals dropped (as the study did)" } else { ", empty intervals counted as zero" },
        env!("CARGO_PKG_VERSION")
    ));
    for r in results {
        let s = &r.stem;
        body.push_str(&format!(
            "## {s}\n\nCapture: `{}`; dataset: [`{s}.parquet`]({s}.parquet).\n\n",
            r.capture.display()
        ));
        body.push_str("### Descriptive statistics\n\n");
        body.push_str(&read_describe(dir, s)?);
        body.push_str(&format!(
            "\nRead it as polars' `describe()` of the series: the mean and spread of the throughput, and its quartiles \
             (nearest-rank). LaTeX: [`{s}.describe.tex`]({s}.describe.tex); CSV: [`{s}.describe.csv`]({s}.describe.csv).\n\n"
        ));
        body.push_str(&format!(
            "### Throughput over time\n\n![time series]({s}.time_series.png)\n\n\
             Each point is one interval's bytes per second; circles mark bursts beyond {} standard deviations from the \
             mean (red) or {} robust deviations from the median (orange), listed in [`{s}.bursts.csv`]({s}.bursts.csv). \
             The full series is in [`{s}.bps.csv`]({s}.bps.csv).\n\n",
            a.z, a.z
        ));
        body.push_str(&format!(
            "### Packet sizes\n\n![packet-size histogram]({s}.protocol_dist.png)\n\n\
             How many TCP and UDP packets have each size up to {} bytes (log scale): peaks are the protocol's typical \
             packets (pure ACKs, polling requests). Counts: [`{s}.protocol_dist.csv`]({s}.protocol_dist.csv).\n\n",
            a.max_size
        ));
        if dir.join(format!("{s}.decomposition.png")).exists() {
            body.push_str(&format!(
                "### Seasonal decomposition\n\n![decomposition]({s}.decomposition.png)\n\n\
                 The series split as observed = trend + seasonal + residual (statsmodels' classical additive method): \
                 the trend is a centred moving average over one period, the seasonal panel the average shape of one period, \
                 and large residuals are what neither explains. Values: [`{s}.decomposition.csv`]({s}.decomposition.csv).\n\n"
            ));
        }
        body.push_str(&format!(
            "### Autocorrelation\n\n![ACF and PACF]({s}.autocorrelation.png)\n\n\
             Bars outside the shaded 95 % band are correlations unlikely under no correlation: a slowly decaying ACF \
             means a persistent level (good news for a persistence forecast), PACF spikes suggest how many past intervals \
             a linear model needs. Values: [`{s}.acf.csv`]({s}.acf.csv), [`{s}.pacf.csv`]({s}.pacf.csv).\n\n"
        ));
        if let Some(t) = t {
            let (e, b) = (t.hyper.epochs, t.hyper.batch_size);
            let csv = dir.join(format!("{s}.mse_results.e{e}.b{b}.csv"));
            if csv.exists() {
                body.push_str("### Forecasting: LSTM beside baselines\n\n");
                body.push_str(&mse_markdown(&csv)?);
                body.push_str(&format!(
                    "\nTest MSE in (bytes/s)² for each look-back (LSTM({}) trained {e} epochs, batch {b}; scaler fitted on {}). A model is only worth its cost where it beats persistence (next = last) and the linear \
                     autoregression on the same windows. All metrics: [`{s}.mse_results.e{e}.b{b}.csv`]({s}.mse_results.e{e}.b{b}.csv); \
                     LaTeX: [`.tex`]({s}.mse_results.e{e}.b{b}.tex).\n\n\
                     ![prediction]({s}.prediction.e{e}.b{b}.png)\n\n\
                     The test span with the best look-back: the observed series, the LSTM's one-step forecasts and the best \
                     baseline's. Forecasts that trail the observed spikes by one interval are what persistence does too.\n\n\
                     ![loss]({s}.loss.e{e}.b{b}.png)\n\n\
                     Training and test loss per epoch (MSE of scaled values): a test loss that rises while the training loss \
                     falls is over-fitting. The best model is saved as [`{s}.best_model.e{e}.b{b}.safetensors`]({s}.best_model.e{e}.b{b}.safetensors).\n\n",
                    t.hyper.hidden,
                    if t.scale_on_all { "the whole series, as the study did" } else { "the training span only" },
                ));
            }
        }
        for n in &r.notices {
            body.push_str(&format!("> Note: {n}\n\n"));
        }
    }
    write_atomically(dest, |w| w.write_all(body.as_bytes()))
}
