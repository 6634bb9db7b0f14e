//! `report.md`: every figure and table of a pipeline run, each with a sentence on how to
//! read it. Earlier results are read back through the typed readers of their writers, so
//! the report is right whether a stage ran now or was up to date.

use std::path::Path;

use crate::analysis::AnalysisOptions;
use crate::error::Result;
use crate::forecast::experiment::TrainOptions;
use crate::report::analysis::read_describe;
use crate::report::outputs::{
    AnalysisFile as A, AnalysisOutputs, DetectFile, DetectOutputs, TrainFile as T, TrainOutputs,
};
use crate::report::training::{
    coverage_markdown, coverage_sentence, legend, mse_markdown, read_metrics, Span,
};
use crate::util::atomic::write_atomically;

/// One capture's part of the report.
pub struct Section<'a> {
    pub capture: &'a Path,
    /// What the analysis read (linked when it sits beside the report).
    pub dataset: &'a Path,
    pub stem: &'a str,
    pub notices: &'a [String],
}

/// Writes `dest` (`report.md` in the directory of every other output).
pub fn write(
    dest: &Path,
    sections: &[Section<'_>],
    a: &AnalysisOptions,
    t: Option<&TrainOptions>,
) -> Result<()> {
    let dir = dest.parent().unwrap_or(Path::new("."));
    let mut body = String::new();
    body.push_str("# ntp report\n\n");
    body.push_str(&format!(
        "Series: bytes per {} interval summed from the `{}` length of each IP packet{}. Made by ntp {}.\n\n",
        a.series.every.as_deref().unwrap_or("1s"),
        a.series.size.name(),
        if a.series.drop_empty { ", empty intervals dropped (as the study did)" } else { ", empty intervals counted as zero" },
        env!("CARGO_PKG_VERSION")
    ));
    for s in sections {
        let o = AnalysisOutputs::new(dir, s.stem);
        let dataset = match s.dataset.strip_prefix(dir) {
            Ok(name) => link(&name.display().to_string()),
            Err(_) => format!("`{}`", s.dataset.display()),
        };
        if s.dataset == s.capture {
            body.push_str(&format!("## {}\n\nSeries: {dataset}.\n\n", s.stem));
        } else {
            body.push_str(&format!(
                "## {}\n\nCapture: `{}`; dataset: {dataset}.\n\n",
                s.stem,
                s.capture.display()
            ));
        }
        analysis_sections(&mut body, &o, a)?;
        if let Some(t) = t {
            let to = TrainOutputs::new(dir, s.stem, t.hyper.epochs, t.hyper.batch_size);
            if to.path(T::MetricsCsv).exists() {
                training_section(&mut body, &to, t)?;
            }
        }
        let detect = DetectOutputs::new(dir, s.stem);
        if detect.path(DetectFile::DetectPng).exists() {
            detect_section(&mut body, &detect);
        }
        for n in s.notices {
            body.push_str(&format!("> Note: {n}\n\n"));
        }
    }
    write_atomically(dest, |w| w.write_all(body.as_bytes()))
}

/// The detection's figure and tables, as `ntp detect` wrote them beside the report.
fn detect_section(body: &mut String, o: &DetectOutputs) {
    let name = |f: DetectFile| {
        o.path(f)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    body.push_str(&format!(
        "### Anomaly detection\n\n![detection]({})\n\nThe series with its forecast, band, alarms and events; the series as the detector judges it, inside its band; each interval's anomaly probability against the band's level. Every scored interval: {}; the events: {}.\n\n",
        name(DetectFile::DetectPng),
        link(&name(DetectFile::DetectCsv)),
        link(&name(DetectFile::EventsCsv))
    ));
}

/// `[`name`](name)`: a link to an output beside the report.
fn link(name: &str) -> String {
    format!("[`{name}`]({name})")
}

fn analysis_sections(body: &mut String, o: &AnalysisOutputs, a: &AnalysisOptions) -> Result<()> {
    let n = |f| o.name(f);
    body.push_str("### Descriptive statistics\n\n");
    let (describe, rate) = read_describe(&o.path(A::DescribeCsv))?;
    body.push_str(&describe.markdown(&rate));
    body.push_str(&format!(
        "\nRead it as polars' `describe()` of the series: the mean and spread of the throughput, and its quartiles \
         (nearest-rank). LaTeX: {}; CSV: {}.\n\n",
        link(&n(A::DescribeTex)),
        link(&n(A::DescribeCsv))
    ));
    body.push_str(&format!(
        "### Throughput over time\n\n![time series]({})\n\n\
         Each point is one interval's {rate}; circles mark bursts beyond {} standard deviations from the \
         mean (red) or {} robust deviations from the median (orange), listed in {}. \
         The full series is in {}.\n\n",
        n(A::TimeSeriesPng),
        a.z,
        a.z,
        link(&n(A::BurstsCsv)),
        link(&n(A::SeriesCsv))
    ));
    if o.path(A::HistogramPng).exists() {
        body.push_str(&format!(
            "### Packet sizes\n\n![packet-size histogram]({})\n\n\
             How many TCP and UDP packets have each size up to {} bytes (log scale): peaks are the protocol's typical \
             packets (pure ACKs, polling requests). Counts: {}.\n\n",
            n(A::HistogramPng),
            a.max_size,
            link(&n(A::HistogramCsv))
        ));
    }
    if o.path(A::DecompositionPng).exists() {
        body.push_str(&format!(
            "### Seasonal decomposition\n\n![decomposition]({})\n\n\
             The series split as observed = trend + seasonal + residual (statsmodels' classical additive method): \
             the trend is a centred moving average over one period, the seasonal panel the average shape of one period, \
             and large residuals are what neither explains. Values: {}.\n\n",
            n(A::DecompositionPng),
            link(&n(A::DecompositionCsv))
        ));
    }
    body.push_str(&format!(
        "### Autocorrelation\n\n![ACF and PACF]({})\n\n\
         Bars outside the shaded 95 % band are correlations unlikely under no correlation: a slowly decaying ACF \
         means a persistent level (good news for a persistence forecast), PACF spikes suggest how many past intervals \
         a linear model needs. Values: {}, {}.\n\n",
        n(A::AutocorrelationPng),
        link(&n(A::AcfCsv)),
        link(&n(A::PacfCsv))
    ));
    Ok(())
}

fn training_section(body: &mut String, o: &TrainOutputs, t: &TrainOptions) -> Result<()> {
    let n = |f| o.name(f);
    let (e, b) = (t.hyper.epochs, t.hyper.batch_size);
    let rows = read_metrics(&o.path(T::MetricsCsv))?;
    let on_test = t.selects_on_test();
    body.push_str("### Forecasting: LSTM beside baselines and classical models\n\n");
    if !on_test {
        body.push_str("Validation MSE (what every choice was made on):\n\n");
        body.push_str(&mse_markdown(&rows, Span::Validation));
        body.push_str("\nTest MSE (reported, never used to choose):\n\n");
    }
    body.push_str(&mse_markdown(&rows, Span::Test));
    body.push_str(&format!(
        "\n{}\n",
        legend(
            on_test,
            crate::forecast::models::Model::Network(t.hyper.cell),
            t.seeds,
            t.split.folds()
        )
    ));
    body.push_str(&format!(
        "\nMSE in the series' units squared for each look-back ({}({}) trained at most {e} epochs, batch {b}; scaler fitted on {}{}). A model is only worth its cost where it beats persistence (next = last), the linear \
         autoregression on the same windows and the classical seasonal models. All metrics, per fold and seed: {}; every forecast: {}; \
         LaTeX: [`.tex`]({}).\n\n\
         ![prediction]({})\n\n\
         The (last) test span at the chosen look-back: the observed series, the saved network's forecasts and the best \
         baseline's. Forecasts that trail the observed spikes by one interval are what persistence does too.\n\n\
         ![loss]({})\n\n\
         Training and validation loss per epoch (MSE of scaled values), the kept epoch marked: a validation loss that rises while the training loss \
         falls is over-fitting, and early stopping keeps the epoch before it. The chosen model is saved as {}.\n\n{}",
        crate::forecast::models::Model::Network(t.hyper.cell).label(),
        t.hyper.hidden,
        if t.scale_on_all { "the whole series, as the study did" } else { "the training span only" },
        crate::report::training::inputs_note(t),
        link(&n(T::MetricsCsv)),
        link(&n(T::ForecastsCsv)),
        n(T::MseTex),
        n(T::PredictionPng),
        n(T::LossPng),
        link(&n(T::Model)),
        bands_section(&rows),
    ));
    Ok(())
}

/// The prediction bands' table and what it says, when the experiment made bands.
fn bands_section(rows: &[crate::forecast::experiment::Row]) -> String {
    let (Some(table), Some(sentence)) = (coverage_markdown(rows), coverage_sentence(rows)) else {
        return String::new();
    };
    format!(
        "#### Prediction bands\n\n{table}\n{sentence} Coverage is the share of test values inside the band, \
         width its mean width, the Winkler score the width plus a penalty of 2/α times each miss, CRPS the whole \
         predictive distribution's error (all in the series' units; lower is better, coverage should be near the \
         level). The prediction figure draws the saved network's bands.\n\n"
    )
}
