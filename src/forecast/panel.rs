//! Many series' experiments summarised as a panel, as the M4 competition and GIFT-Eval
//! report them: per model, the mean test MASE and sMAPE over the series, the geometric mean
//! of its MASE relative to the seasonal naive's (persistence's where a series has no
//! season), how many series it was best on test and chosen on validation, and the Wilcoxon
//! signed-rank test of its per-series MASE against the reference's; and the same for "the
//! validation choice", the model each series' experiment chose.
//!
//! Each series counts at the look-back its experiment chose. A series whose MASE is undefined
//! (a constant training span: no change to scale by) is left out of that model's MASE
//! figures and counted, never turned into NaN.

use statrs::distribution::{ContinuousCDF, Normal};

use super::experiment::{FoldKey, Summary};

/// One series' test scores per model at its chosen look-back.
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesScores {
    /// The series (its id, or its file stem).
    pub id: String,
    /// (model name, test MASE, test sMAPE), in the experiment's model order.
    pub models: Vec<(String, f64, f64)>,
    /// The model chosen on validation.
    pub chosen: Option<String>,
}

/// The name of the row that follows each series' validation choice.
pub const CHOICE: &str = "validation_choice";

impl SeriesScores {
    /// From a series' experiment summary: the headline rows (mean over folds and seeds) at
    /// the look-back of the model chosen on validation.
    pub fn of(id: &str, summary: &Summary) -> SeriesScores {
        let look_back = summary.best.map(|(_, l)| l).or(summary.lstm_look_back);
        let models = summary
            .rows
            .iter()
            .filter(|r| Some(r.look_back) == look_back && r.fold == FoldKey::All)
            .filter(|r| r.seed.is_headline())
            .filter_map(|r| {
                let m = r.model?;
                let t = r.test?;
                Some((m.name(), t.mase, t.smape))
            })
            .collect();
        SeriesScores {
            id: id.to_string(),
            models,
            chosen: summary.best.map(|(m, _)| m.name()),
        }
    }

    fn get(&self, model: &str) -> Option<(f64, f64)> {
        if model == CHOICE {
            return self.get(self.chosen.as_deref()?);
        }
        self.models
            .iter()
            .find(|(m, _, _)| m == model)
            .map(|&(_, mase, smape)| (mase, smape))
    }

    /// The reference model: the first seasonal naive, else persistence.
    fn reference(&self) -> Option<(f64, f64)> {
        self.models
            .iter()
            .find(|(m, _, _)| m.starts_with("seasonal_naive"))
            .or_else(|| self.models.iter().find(|(m, _, _)| m == "persistence"))
            .map(|&(_, mase, smape)| (mase, smape))
    }
}

/// One model's panel figures.
#[derive(Clone, Debug, PartialEq)]
pub struct PanelRow {
    pub model: String,
    /// Series the model ran on, and those of them whose MASE is defined.
    pub series: usize,
    pub with_mase: usize,
    pub mean_mase: f64,
    pub mean_smape: f64,
    /// exp(mean ln(MASE / reference MASE)) over the series where both are positive.
    pub gmean_relative_mase: f64,
    /// Series on which it had the lowest test MASE of all models (ties to each).
    pub best_on_test: usize,
    /// Series whose experiment chose it on validation.
    pub chosen: usize,
    /// Two-sided p-value of the Wilcoxon signed-rank test of its MASE against the
    /// reference's, over the series where both are defined (normal approximation with tie
    /// and continuity corrections; zero differences dropped).
    pub wilcoxon_p: f64,
}

/// The panel: a row per model (in the order first met) and one for the validation choice.
pub fn panel(series: &[SeriesScores]) -> Vec<PanelRow> {
    let mut names: Vec<String> = Vec::new();
    for s in series {
        for (m, _, _) in &s.models {
            if !names.contains(m) {
                names.push(m.clone());
            }
        }
    }
    names.push(CHOICE.to_string());
    names.iter().map(|m| row(m, series)).collect()
}

fn row(model: &str, series: &[SeriesScores]) -> PanelRow {
    let scores: Vec<(&SeriesScores, (f64, f64))> = series
        .iter()
        .filter_map(|s| Some((s, s.get(model)?)))
        .collect();
    let mase: Vec<f64> = scores
        .iter()
        .map(|(_, v)| v.0)
        .filter(|v| v.is_finite())
        .collect();
    let smape: Vec<f64> = scores
        .iter()
        .map(|(_, v)| v.1)
        .filter(|v| v.is_finite())
        .collect();
    let mean = |v: &[f64]| {
        if v.is_empty() {
            f64::NAN
        } else {
            v.iter().sum::<f64>() / v.len() as f64
        }
    };
    let paired: Vec<(f64, f64)> = scores
        .iter()
        .filter_map(|(s, v)| Some((v.0, s.reference()?.0)))
        .filter(|(a, b)| a.is_finite() && b.is_finite())
        .collect();
    let logs: Vec<f64> = paired
        .iter()
        .filter(|(a, b)| *a > 0.0 && *b > 0.0)
        .map(|(a, b)| (a / b).ln())
        .collect();
    let best_on_test = scores
        .iter()
        .filter(|(s, v)| {
            let lowest = s
                .models
                .iter()
                .map(|m| m.1)
                .filter(|x| x.is_finite())
                .fold(f64::INFINITY, f64::min);
            v.0.is_finite() && v.0 <= lowest
        })
        .count();
    PanelRow {
        model: model.to_string(),
        series: scores.len(),
        with_mase: mase.len(),
        mean_mase: mean(&mase),
        mean_smape: mean(&smape),
        gmean_relative_mase: mean(&logs).exp(),
        best_on_test: if model == CHOICE { 0 } else { best_on_test },
        chosen: series
            .iter()
            .filter(|s| model == CHOICE || s.chosen.as_deref() == Some(model))
            .filter(|s| s.chosen.is_some())
            .count(),
        wilcoxon_p: wilcoxon(&paired.iter().map(|(a, b)| a - b).collect::<Vec<_>>()),
    }
}

/// Two-sided p-value of the Wilcoxon signed-rank test that `diffs` are centred on zero:
/// zero differences dropped, tied magnitudes given their mean rank, the normal
/// approximation with the tie correction of the variance and a continuity correction of
/// 0.5 (scipy's `wilcoxon(method="approx", correction=True)`). NaN with fewer than one
/// non-zero difference.
pub fn wilcoxon(diffs: &[f64]) -> f64 {
    let mut d: Vec<f64> = diffs
        .iter()
        .copied()
        .filter(|v| v.is_finite() && *v != 0.0)
        .collect();
    let n = d.len();
    if n == 0 {
        return f64::NAN;
    }
    d.sort_by(|a, b| a.abs().total_cmp(&b.abs()));
    let (mut w_plus, mut ties, mut i) = (0.0, 0.0, 0);
    while i < n {
        let mut j = i;
        while j + 1 < n && d[j + 1].abs() == d[i].abs() {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        let t = (j - i + 1) as f64;
        ties += t * t * t - t;
        w_plus += d[i..=j].iter().filter(|v| **v > 0.0).count() as f64 * rank;
        i = j + 1;
    }
    let nf = n as f64;
    let mean = nf * (nf + 1.0) / 4.0;
    let var = nf * (nf + 1.0) * (2.0 * nf + 1.0) / 24.0 - ties / 48.0;
    if var <= 0.0 {
        return 1.0;
    }
    let diff = w_plus - mean;
    let z = (diff - 0.5 * diff.signum()).abs() / var.sqrt();
    let normal = Normal::standard();
    (2.0 * normal.sf(z)).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// scipy 1.x: `wilcoxon(d, method="approx", correction=True).pvalue` for these
    /// differences (the script beside the reference: tests/data/reference/panel/wilcoxon.py).
    #[test]
    fn wilcoxon_equals_scipy() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/reference/panel");
        let text = std::fs::read_to_string(format!("{dir}/wilcoxon.csv")).unwrap();
        let mut compared = 0;
        for line in text.lines().skip(1) {
            let (diffs, p) = line.rsplit_once(',').unwrap();
            let d: Vec<f64> = diffs.split(' ').map(|v| v.parse().unwrap()).collect();
            let p: f64 = p.parse().unwrap();
            let ours = wilcoxon(&d);
            assert!(
                (ours - p).abs() <= 1e-9 * p.max(1e-300),
                "{d:?}: {ours} vs {p}"
            );
            compared += 1;
        }
        assert!(compared >= 5);
    }

    #[test]
    fn the_panel_counts_an_undefined_mase_without_nan() {
        let s = |id: &str, naive: f64, model: f64, chosen: &str| SeriesScores {
            id: id.into(),
            models: vec![
                ("seasonal_naive_24".into(), naive, 10.0),
                ("lstm".into(), model, 8.0),
            ],
            chosen: Some(chosen.into()),
        };
        let rows = panel(&[
            s("a", 1.0, 0.5, "lstm"),
            s("b", 2.0, 1.0, "seasonal_naive_24"),
            s("c", f64::NAN, f64::NAN, "lstm"),
        ]);
        let lstm = rows.iter().find(|r| r.model == "lstm").unwrap();
        assert_eq!((lstm.series, lstm.with_mase), (3, 2));
        assert!((lstm.mean_mase - 0.75).abs() < 1e-12);
        assert!((lstm.gmean_relative_mase - 0.5).abs() < 1e-12);
        assert_eq!((lstm.best_on_test, lstm.chosen), (2, 2));
        let choice = rows.iter().find(|r| r.model == CHOICE).unwrap();
        assert!((choice.mean_mase - 1.25).abs() < 1e-12, "{choice:?}");
        assert_eq!(choice.chosen, 3);
    }
}
