//! Forecasts combined from other runs of the same cell, with nothing fitted on test:
//! the network's **seed ensemble** (the median over its seeds, value by value) and the
//! **combination**: the mean of the [`COMBINED`] deterministic models — the seed ensemble
//! among them — with the lowest validation MSE at that look-back.

use super::experiment::{Cell, Run};
use super::models::{Model, COMBINED};
use super::network::CellKind;
use crate::analysis::describe::median;

/// Element by element, over runs with forecasts of equal length.
fn combine(paths: &[&[f64]], how: impl Fn(&[f64]) -> f64) -> Vec<f64> {
    let n = paths.first().map_or(0, |p| p.len());
    let mut column = Vec::with_capacity(paths.len());
    (0..n)
        .map(|i| {
            column.clear();
            column.extend(paths.iter().map(|p| p[i]));
            how(&column)
        })
        .collect()
}

/// The seed ensemble and the combination of every cell, scored like every other run.
/// `score`: a run of (cell, model, validation forecasts, test forecasts).
pub fn runs(
    runs: &[Run],
    cells: &[Cell],
    cell_kind: CellKind,
    score: impl Fn(&Cell, Model, Vec<f64>, Vec<f64>) -> Run,
) -> Vec<Run> {
    let mut out = Vec::new();
    for (i, cell) in cells.iter().enumerate() {
        if cell.status.is_err() {
            continue;
        }
        let seeded: Vec<&Run> = runs
            .iter()
            .filter(|r| r.cell == i && r.model.is_seeded() && r.test_metrics.is_some())
            .collect();
        let mut made = Vec::new();
        if !seeded.is_empty() {
            let val: Vec<&[f64]> = seeded.iter().map(|r| &r.val[..]).collect();
            let test: Vec<&[f64]> = seeded.iter().map(|r| &r.test[..]).collect();
            let mut run = score(
                cell,
                Model::Ensemble(cell_kind),
                combine(&val, median),
                combine(&test, median),
            );
            run.cell = i;
            made.push(run);
        }
        // The candidates: deterministic runs of this cell with a validation MSE.
        let mut ranked: Vec<(&Run, f64)> = runs
            .iter()
            .chain(made.iter())
            .filter(|r| r.cell == i && !r.model.is_seeded())
            .filter_map(|r| Some((r, r.val_metrics?.mse)))
            .filter(|(_, mse)| mse.is_finite())
            .collect();
        ranked.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.model.cmp(&b.0.model)));
        ranked.truncate(COMBINED);
        if ranked.len() == COMBINED {
            let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
            let val: Vec<&[f64]> = ranked.iter().map(|r| &r.0.val[..]).collect();
            let test: Vec<&[f64]> = ranked.iter().map(|r| &r.0.test[..]).collect();
            let mut run = score(
                cell,
                Model::Combination,
                combine(&val, mean),
                combine(&test, mean),
            );
            run.cell = i;
            made.push(run);
        }
        out.extend(made);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_means_value_by_value() {
        let a = [1.0, 10.0];
        let b = [3.0, 20.0];
        let c = [2.0, 0.0];
        assert_eq!(combine(&[&a, &b, &c], median), vec![2.0, 10.0]);
        assert_eq!(combine(&[&a, &b], median), vec![2.0, 15.0]);
    }
}
