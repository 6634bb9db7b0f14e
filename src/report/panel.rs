//! The panel summary of a many-series experiment ([`crate::forecast::panel`]): one CSV
//! row per model, and the same as a Markdown table for the terminal.

use std::path::Path;

use crate::error::Result;
use crate::forecast::panel::PanelRow;
use crate::render::csv::float;
use crate::render::markdown;
use crate::util::atomic::write_atomically;

/// The columns of `{stem}.panel.csv`.
pub const HEADER: &str = "model,series,series_with_mase,mean_test_mase,mean_test_smape,gmean_relative_mase,best_on_test,chosen_on_validation,wilcoxon_p_vs_reference";

/// Writes the panel, one row per model.
pub fn write(rows: &[PanelRow], dest: &Path) -> Result<()> {
    write_atomically(dest, |w| {
        writeln!(w, "{HEADER}")?;
        for r in rows {
            writeln!(
                w,
                "{},{},{},{},{},{},{},{},{}",
                r.model,
                r.series,
                r.with_mase,
                float(r.mean_mase),
                float(r.mean_smape),
                float(r.gmean_relative_mase),
                r.best_on_test,
                r.chosen,
                float(r.wilcoxon_p)
            )?;
        }
        Ok(())
    })
}

/// The panel as a Markdown table, the lowest mean MASE first.
pub fn markdown(rows: &[PanelRow]) -> String {
    let mut sorted: Vec<&PanelRow> = rows.iter().collect();
    sorted.sort_by(|a, b| a.mean_mase.total_cmp(&b.mean_mase));
    let body: Vec<Vec<String>> = sorted
        .iter()
        .map(|r| {
            vec![
                r.model.clone(),
                format!("{}/{}", r.with_mase, r.series),
                format!("{:.4}", r.mean_mase),
                format!("{:.3}", r.mean_smape),
                format!("{:.3}", r.gmean_relative_mase),
                r.best_on_test.to_string(),
                r.chosen.to_string(),
                format!("{:.2e}", r.wilcoxon_p),
            ]
        })
        .collect();
    markdown::table(
        &[
            "model",
            "series (MASE defined)",
            "mean MASE",
            "mean sMAPE",
            "gmean MASE ÷ seasonal naive",
            "best on test",
            "chosen",
            "Wilcoxon p",
        ],
        "lrrrrrrr",
        &body,
    )
}
