//! What each stage writes, as typed lists: the writers, `pipeline`'s up-to-date check and
//! `report.md` all name a file through these, so each output's name is spelled once.

use std::path::{Path, PathBuf};

/// A file the analysis writes for one series.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnalysisFile {
    /// The series: bytes per second and packets per interval.
    SeriesCsv,
    DescribeCsv,
    DescribeTex,
    HistogramCsv,
    HistogramPng,
    TimeSeriesPng,
    BurstsCsv,
    DecompositionCsv,
    DecompositionPng,
    AcfCsv,
    PacfCsv,
    AutocorrelationPng,
}

impl AnalysisFile {
    /// Every file, in the order they are listed and written.
    pub const ALL: [AnalysisFile; 12] = [
        AnalysisFile::SeriesCsv,
        AnalysisFile::DescribeCsv,
        AnalysisFile::DescribeTex,
        AnalysisFile::HistogramCsv,
        AnalysisFile::HistogramPng,
        AnalysisFile::TimeSeriesPng,
        AnalysisFile::BurstsCsv,
        AnalysisFile::DecompositionCsv,
        AnalysisFile::DecompositionPng,
        AnalysisFile::AcfCsv,
        AnalysisFile::PacfCsv,
        AnalysisFile::AutocorrelationPng,
    ];

    /// What follows `{stem}.` in the file name.
    pub fn suffix(self) -> &'static str {
        match self {
            AnalysisFile::SeriesCsv => "bps.csv",
            AnalysisFile::DescribeCsv => "describe.csv",
            AnalysisFile::DescribeTex => "describe.tex",
            AnalysisFile::HistogramCsv => "protocol_dist.csv",
            AnalysisFile::HistogramPng => "protocol_dist.png",
            AnalysisFile::TimeSeriesPng => "time_series.png",
            AnalysisFile::BurstsCsv => "bursts.csv",
            AnalysisFile::DecompositionCsv => "decomposition.csv",
            AnalysisFile::DecompositionPng => "decomposition.png",
            AnalysisFile::AcfCsv => "acf.csv",
            AnalysisFile::PacfCsv => "pacf.csv",
            AnalysisFile::AutocorrelationPng => "autocorrelation.png",
        }
    }

    /// Written for every series; the decomposition only when the series holds two
    /// periods, the size histogram only when the input has packet sizes.
    pub fn always(self) -> bool {
        !matches!(
            self,
            AnalysisFile::DecompositionCsv
                | AnalysisFile::DecompositionPng
                | AnalysisFile::HistogramCsv
                | AnalysisFile::HistogramPng
        )
    }
}

/// The analysis outputs of one series: `{dir}/{stem}.{suffix}`.
#[derive(Clone, Debug)]
pub struct AnalysisOutputs {
    pub dir: PathBuf,
    pub stem: String,
}

impl AnalysisOutputs {
    pub fn new(dir: &Path, stem: &str) -> AnalysisOutputs {
        AnalysisOutputs {
            dir: dir.to_owned(),
            stem: stem.to_owned(),
        }
    }

    /// The file's name (for links in `report.md`).
    pub fn name(&self, f: AnalysisFile) -> String {
        format!("{}.{}", self.stem, f.suffix())
    }

    pub fn path(&self, f: AnalysisFile) -> PathBuf {
        self.dir.join(self.name(f))
    }

    /// What "up to date" requires: the files every analysis writes, both files of the
    /// decomposition and of the size histogram wherever either is there (a run that died
    /// between them is redone), and the histogram wherever the input has sizes.
    pub fn expected(&self, has_sizes: bool) -> Vec<PathBuf> {
        let mut files = self.always();
        let pairs = [
            (
                AnalysisFile::DecompositionCsv,
                AnalysisFile::DecompositionPng,
            ),
            (AnalysisFile::HistogramCsv, AnalysisFile::HistogramPng),
        ];
        for (i, (a, b)) in pairs.into_iter().enumerate() {
            let histogram = i == 1;
            if (histogram && has_sizes) || self.path(a).exists() || self.path(b).exists() {
                files.extend([self.path(a), self.path(b)]);
            }
        }
        files
    }

    /// The files every analysis writes.
    pub fn always(&self) -> Vec<PathBuf> {
        AnalysisFile::ALL
            .into_iter()
            .filter(|f| f.always())
            .map(|f| self.path(f))
            .collect()
    }
}

/// A file the training sweep writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrainFile {
    /// Every model and metric per look-back, fold and seed (tidy).
    MetricsCsv,
    /// Every validation and test forecast scored.
    ForecastsCsv,
    /// Errors per forecast step (1 … H) and the figure of test MSE against step.
    StepsCsv,
    StepsPng,
    MseTex,
    PredictionPng,
    LossPng,
    /// The best LSTM's weights (safetensors).
    Model,
    /// The model card beside the weights.
    ModelCard,
    /// The run record: inputs, settings, timings.
    RunJson,
    /// Threshold alerts on the test span (only with `--threshold`; not in `ALL`).
    AlertsCsv,
}

impl TrainFile {
    pub const ALL: [TrainFile; 10] = [
        TrainFile::MetricsCsv,
        TrainFile::ForecastsCsv,
        TrainFile::StepsCsv,
        TrainFile::StepsPng,
        TrainFile::MseTex,
        TrainFile::PredictionPng,
        TrainFile::LossPng,
        TrainFile::Model,
        TrainFile::ModelCard,
        TrainFile::RunJson,
    ];
}

/// The training outputs of one series; names carry the epochs and batch size
/// (`{stem}.mse_results.e20.b32.csv`) so sweeps with other settings sit side by side.
#[derive(Clone, Debug)]
pub struct TrainOutputs {
    pub dir: PathBuf,
    pub stem: String,
    pub epochs: usize,
    pub batch_size: usize,
}

impl TrainOutputs {
    pub fn new(dir: &Path, stem: &str, epochs: usize, batch_size: usize) -> TrainOutputs {
        TrainOutputs {
            dir: dir.to_owned(),
            stem: stem.to_owned(),
            epochs,
            batch_size,
        }
    }

    pub fn name(&self, f: TrainFile) -> String {
        let (s, e, b) = (&self.stem, self.epochs, self.batch_size);
        match f {
            TrainFile::MetricsCsv => format!("{s}.mse_results.e{e}.b{b}.csv"),
            TrainFile::ForecastsCsv => format!("{s}.forecasts.e{e}.b{b}.csv"),
            TrainFile::StepsCsv => format!("{s}.steps.e{e}.b{b}.csv"),
            TrainFile::StepsPng => format!("{s}.steps.e{e}.b{b}.png"),
            TrainFile::MseTex => format!("{s}.mse_results.e{e}.b{b}.tex"),
            TrainFile::PredictionPng => format!("{s}.prediction.e{e}.b{b}.png"),
            TrainFile::LossPng => format!("{s}.loss.e{e}.b{b}.png"),
            TrainFile::Model => format!("{s}.best_model.e{e}.b{b}.safetensors"),
            TrainFile::ModelCard => format!("{s}.best_model.e{e}.b{b}.json"),
            TrainFile::RunJson => format!("{s}.run.json"),
            TrainFile::AlertsCsv => format!("{s}.alerts.e{e}.b{b}.csv"),
        }
    }

    pub fn path(&self, f: TrainFile) -> PathBuf {
        self.dir.join(self.name(f))
    }

    pub fn all(&self) -> Vec<PathBuf> {
        TrainFile::ALL.into_iter().map(|f| self.path(f)).collect()
    }
}

/// A file `ntp predict` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PredictFile {
    /// Per window: time, actual, LSTM and persistence forecasts.
    PredictionsCsv,
    MetricsCsv,
    /// Threshold alerts at every origin (with a threshold).
    AlertsCsv,
}

/// The outputs of applying a model to one series.
#[derive(Clone, Debug)]
pub struct PredictOutputs {
    pub dir: PathBuf,
    pub stem: String,
}

impl PredictOutputs {
    pub fn new(dir: &Path, stem: &str) -> PredictOutputs {
        PredictOutputs {
            dir: dir.to_owned(),
            stem: stem.to_owned(),
        }
    }

    pub fn path(&self, f: PredictFile) -> PathBuf {
        let suffix = match f {
            PredictFile::PredictionsCsv => "predictions.csv",
            PredictFile::MetricsCsv => "predict_metrics.csv",
            PredictFile::AlertsCsv => "predict_alerts.csv",
        };
        self.dir.join(format!("{}.{suffix}", self.stem))
    }
}

/// A file `ntp detect` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DetectFile {
    /// One row per scored interval: value, forecast, band, score, alarm.
    DetectCsv,
    EventsCsv,
    /// With labels: event recall, precision, F1, delay, NAB score.
    ScoresCsv,
    DetectPng,
}

/// The outputs of a detection on one series.
#[derive(Clone, Debug)]
pub struct DetectOutputs {
    pub dir: PathBuf,
    pub stem: String,
}

impl DetectOutputs {
    pub fn new(dir: &Path, stem: &str) -> DetectOutputs {
        DetectOutputs {
            dir: dir.to_owned(),
            stem: stem.to_owned(),
        }
    }

    pub fn path(&self, f: DetectFile) -> PathBuf {
        let suffix = match f {
            DetectFile::DetectCsv => "detect.csv",
            DetectFile::EventsCsv => "events.csv",
            DetectFile::ScoresCsv => "detect_scores.csv",
            DetectFile::DetectPng => "detect.png",
        };
        self.dir.join(format!("{}.{suffix}", self.stem))
    }
}

/// Where `ntp aggregate` writes the series of access log `input` in `dir`:
/// `{stem}.requests.csv` (the stem without `.gz`, `.log`, `.txt`).
pub fn access_log_path(dir: &Path, input: &Path) -> PathBuf {
    let name = input
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name
        .strip_suffix(".gz")
        .unwrap_or(&name)
        .trim_end_matches(".log")
        .trim_end_matches(".txt")
        .to_string();
    dir.join(format!("{stem}.requests.csv"))
}

/// Where the outputs of each series of many-series file `stem` go: `DIR/{stem}/`, each
/// series' files named as a single series' with its id for a stem ([`series_stems`]).
pub fn many_dir(dir: &Path, stem: &str) -> PathBuf {
    dir.join(stem)
}

/// The table combining every series' table `name` (`detect.csv`, …) of many-series file
/// `stem`: `DIR/{stem}.{name}`.
pub fn combined_path(dir: &Path, stem: &str, name: &str) -> PathBuf {
    dir.join(format!("{stem}.{name}"))
}

/// File-name stems for series ids: characters other than letters, digits, `.`, `-` and
/// `_` become `_`, a leading `.` too (no hidden files), at most 100 characters; ids that
/// would collide get `~2`, `~3`, … in order.
pub fn series_stems(ids: &[String]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    ids.iter()
        .map(|id| {
            let mut s: String = id
                .chars()
                .take(100)
                .map(|c| match c {
                    'a'..='z' | 'A'..='Z' | '0'..='9' | '-' | '_' | '.' => c,
                    _ => '_',
                })
                .collect();
            if s.is_empty() || s.starts_with('.') {
                s.insert(0, '_');
            }
            let mut candidate = s.clone();
            let mut k = 2;
            while !seen.insert(candidate.to_ascii_lowercase()) {
                candidate = format!("{s}~{k}");
                k += 1;
            }
            candidate
        })
        .collect()
}

/// The report of `ntp pipeline`.
pub fn report_path(dir: &Path) -> PathBuf {
    dir.join("report.md")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::card::ModelCard;

    #[test]
    fn series_stems_are_safe_and_distinct() {
        let ids: Vec<String> = ["a/b", "A_b", "", ".hidden", "ok-1.2", "a_b"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            series_stems(&ids),
            ["a_b", "A_b~2", "_", "_.hidden", "ok-1.2", "a_b~3"]
        );
    }

    #[test]
    fn model_card_sits_where_predict_looks_for_it() {
        let o = TrainOutputs::new(Path::new("out"), "x", 20, 32);
        assert_eq!(
            o.path(TrainFile::ModelCard),
            ModelCard::path_of(&o.path(TrainFile::Model))
        );
        assert_eq!(o.name(TrainFile::MetricsCsv), "x.mse_results.e20.b32.csv");
    }

    #[test]
    fn decomposition_and_histogram_are_the_optional_analysis_outputs() {
        let o = AnalysisOutputs::new(Path::new("d"), "s");
        assert_eq!(o.always().len(), AnalysisFile::ALL.len() - 4);
        assert_eq!(o.path(AnalysisFile::SeriesCsv), Path::new("d/s.bps.csv"));
    }
}
