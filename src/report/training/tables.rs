//! The MSE tables: per look-back (rows) and model (columns), mean ± sd over seeds, the
//! choices and significance marks, in Markdown (stdout, `report.md`) and LaTeX
//! (`{stem}.mse_results.eE.bB.tex`).

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::Result;
use crate::forecast::experiment::{AlertRun, FoldKey, Row, SeedKey, Sweep, TrainOptions};
use crate::forecast::intervals::{level_name, LevelScores};
use crate::forecast::models::Model;
use crate::render::{latex, markdown};

use super::ALPHA;

/// Which span a table shows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Span {
    Validation,
    Test,
}

/// One table cell: the MSE (mean ± sd over seeds for a seeded model) and, on the test span,
/// the significance marks (`*` vs persistence, `†` vs the best baseline; for a seeded
/// model, significant in every seed).
struct Entry {
    mean: f64,
    sd: Option<f64>,
    vs_persistence: bool,
    vs_best: bool,
    best: bool,
}

/// The table's look-backs (with the LSTM's choice) and models, and its entries.
struct Grid {
    look_backs: Vec<(usize, bool, Option<String>)>,
    models: Vec<Model>,
    entries: BTreeMap<(usize, Model), Entry>,
}

fn grid(rows: &[Row], span: Span) -> Grid {
    let mut look_backs: Vec<(usize, bool, Option<String>)> = Vec::new();
    let mut models: Vec<Model> = Vec::new();
    let mut entries = BTreeMap::new();
    for r in rows {
        if look_backs.last().is_none_or(|l| l.0 != r.look_back) {
            look_backs.push((r.look_back, false, None));
        }
        let Some(model) = r.model else {
            look_backs.last_mut().expect("pushed").2 = Some(r.status.clone());
            continue;
        };
        if !models.contains(&model) {
            models.push(model);
        }
        if r.selected {
            look_backs.last_mut().expect("pushed").1 = true;
        }
        if r.fold != FoldKey::All || !r.seed.is_headline() {
            continue;
        }
        let m = match span {
            Span::Validation => r.val,
            Span::Test => r.test,
        };
        let Some(m) = m else { continue };
        let find = |seed: SeedKey| {
            rows.iter().find(|x| {
                x.model == r.model
                    && x.look_back == r.look_back
                    && x.fold == FoldKey::All
                    && x.seed == seed
            })
        };
        let (sd, p_rows) = if model.is_seeded() {
            (
                find(SeedKey::Sd).and_then(|x| match span {
                    Span::Validation => x.val,
                    Span::Test => x.test,
                }),
                find(SeedKey::Max),
            )
        } else {
            (None, Some(r))
        };
        let test_span = span == Span::Test;
        entries.insert(
            (r.look_back, model),
            Entry {
                mean: m.mse,
                // One seed has no spread: no ± at all, not ± NaN.
                sd: sd.map(|s| s.mse).filter(|v| v.is_finite()),
                vs_persistence: test_span && p_rows.is_some_and(|x| x.dm_p_vs_persistence < ALPHA),
                vs_best: test_span && p_rows.is_some_and(|x| x.dm_p_vs_best_baseline < ALPHA),
                best: r.best_model,
            },
        );
    }
    Grid {
        look_backs,
        models,
        entries,
    }
}

/// MSE per look-back (rows) and model (columns) as Markdown: mean ± sd over seeds, the
/// LSTM's chosen look-back marked, the best model of all in bold, significance marks on
/// the test table.
pub fn mse_markdown(rows: &[Row], span: Span) -> String {
    let g = grid(rows, span);
    let header: Vec<String> = std::iter::once("look-back".to_string())
        .chain(g.models.iter().map(|m| m.label()))
        .collect();
    let header: Vec<&str> = header.iter().map(|s| s.as_str()).collect();
    let align = format!("l{}", "r".repeat(g.models.len()));
    let body: Vec<Vec<String>> = g
        .look_backs
        .iter()
        .map(|(l, selected, short)| {
            let label = format!("{l}{}", if *selected { " (chosen)" } else { "" });
            let cells = g.models.iter().map(|m| {
                if short.is_some() {
                    return "too short".to_string();
                }
                match g.entries.get(&(*l, *m)) {
                    None => "—".into(),
                    Some(e) => {
                        let mut s = format!("{:.4e}", e.mean);
                        if let Some(sd) = e.sd {
                            s.push_str(&format!(" ± {sd:.1e}"));
                        }
                        if e.vs_persistence {
                            s.push('*');
                        }
                        if e.vs_best {
                            s.push('†');
                        }
                        if e.best {
                            s = format!("**{s}**");
                        }
                        s
                    }
                }
            });
            std::iter::once(label).chain(cells).collect()
        })
        .collect();
    markdown::table(&header, &align, &body)
}

/// The sentence under a table: what its marks mean and how choices were made.
pub fn legend(summary_on_test: bool, network: Model, seeds: usize, folds: usize) -> String {
    let net = network.label();
    let rule = if summary_on_test {
        "chosen on the test span (the study's rule: the test errors of the chosen rows are optimistic)"
    } else {
        "chosen on the validation span; the test span chose nothing"
    };
    format!(
        "MSE mean over {folds} fold(s); {net} mean ± sd over {seeds} seed(s). Look-back (chosen) and the bold cell (lowest MSE of all) were {rule}. \
         Test table: * differs from persistence, † from the best baseline on validation (Diebold–Mariano, HLN-corrected, two-sided p < {ALPHA}; for the {net} in every seed) — in either direction: the MSEs say which is lower."
    )
}

/// What the network and the AR read besides the target, for captions ("" when nothing).
pub fn inputs_note(opts: &TrainOptions) -> String {
    let mut extra: Vec<String> = opts.features.clone();
    extra.extend(
        opts.calendar
            .names()
            .into_iter()
            .map(|c| format!("{c} of the day/week")),
    );
    if extra.is_empty() {
        String::new()
    } else {
        format!(
            "; inputs besides the target: {} (the linear AR is an ARX on them)",
            extra.join(", ")
        )
    }
}

/// The LaTeX table of test MSE with the same marks.
pub(super) fn mse_tex(p: &Path, sweep: &Sweep, opts: &TrainOptions) -> Result<()> {
    let net = sweep.network().label();
    let g = grid(&sweep.summary.rows, Span::Test);
    let header: Vec<String> = std::iter::once("Look-back".to_string())
        .chain(g.models.iter().map(|m| latex::escape(&m.title())))
        .collect();
    let mut body = Vec::new();
    for (l, selected, short) in &g.look_backs {
        let mark = if *selected { "$^\\triangleright$" } else { "" };
        let mut row = vec![format!("{l}{mark}")];
        if let Some(reason) = short {
            row.push(format!(
                "\\multicolumn{{{}}}{{l}}{{{}}}",
                g.models.len(),
                latex::escape(reason)
            ));
        } else {
            row.extend(g.models.iter().map(|m| match g.entries.get(&(*l, *m)) {
                None => "--".into(),
                Some(e) => {
                    let mut s = latex::sci(e.mean);
                    if let Some(sd) = e.sd {
                        s = format!("{s} $\\pm$ {}", latex::sci(sd));
                    }
                    let marks: String = [(e.vs_persistence, "*"), (e.vs_best, "\\dagger")]
                        .iter()
                        .filter(|m| m.0)
                        .map(|m| m.1)
                        .collect::<Vec<_>>()
                        .join(",");
                    if !marks.is_empty() {
                        s = format!("{s}$^{{{marks}}}$");
                    }
                    if e.best {
                        s = format!("\\textbf{{{s}}}");
                    }
                    s
                }
            }));
        }
        body.push(row);
    }
    let stem = &sweep.stem;
    let on_test = sweep.summary.on_test;
    let caption = format!(
            "Test MSE (({})$^2$) by look-back, {}: {net}({}{}) mean $\\pm$ sd over {} seed(s), mean over {} fold(s); baselines and classical models on the same test values{}. $\\triangleright$: the {net} look-back and bold: the lowest MSE of all, both chosen on the {}. $^*$, $^\\dagger$: Diebold--Mariano (HLN) p $<$ {ALPHA} against persistence and the best baseline ({net}: in every seed). {} epochs{}, batch {}.",
            latex::escape(&sweep.quantity.per_second_symbol()),
            latex::escape(stem),
            opts.hyper.hidden,
            if opts.hyper.layers > 1 {
                format!(" $\\times$ {}", opts.hyper.layers)
            } else {
                String::new()
            },
            opts.seeds,
            sweep.folds(),
            inputs_note(opts),
            if on_test { "test span (the study's rule, optimistic)" } else { "validation span" },
            opts.hyper.epochs,
            if on_test { "" } else { " at most (early stopping)" },
            opts.hyper.batch_size
        );
    let label = format!("tab:{stem}-mse");
    let columns = format!("l{}", "r".repeat(g.models.len()));
    let mut tables = vec![latex::Table {
        caption: &caption,
        label: &label,
        columns: &columns,
        header: &header,
        rows: &body,
    }];
    let coverage = coverage_tex(&sweep.summary.rows);
    let (cov_caption, cov_label, cov_columns);
    if let Some((h, b)) = &coverage {
        cov_caption = format!(
            "Prediction bands on the test span of {}, at the {net} look-back chosen on validation: coverage (share of test values inside), mean width and Winkler (interval) score per level, and CRPS (99-quantile grid); conformal bands calibrated on each model's validation residuals per forecast step{}. {net}: mean $\\pm$ sd over seeds.",
            latex::escape(stem),
            match opts.online {
                crate::forecast::online::Online::Split => ", fixed on the test span",
                crate::forecast::online::Online::Aci { .. } => ", adaptive (ACI) on the test span",
                crate::forecast::online::Online::Pid => ", moved by conformal PID control on the test span",
            }
        );
        cov_label = format!("tab:{stem}-intervals");
        cov_columns = format!("l{}", "r".repeat(h.len() - 1));
        tables.push(latex::Table {
            caption: &cov_caption,
            label: &cov_label,
            columns: &cov_columns,
            header: h,
            rows: b,
        });
    }
    latex::write_tables(p, &tables)
}

/// One model's test interval scores at the network's chosen look-back: its headline row
/// and, for a seeded model, the sd over seeds.
struct CoverageLine<'a> {
    row: &'a Row,
    sd: Option<&'a Row>,
}

/// The models' interval scores at the network's chosen look-back (empty without levels).
fn coverage_lines(rows: &[Row]) -> Vec<CoverageLine<'_>> {
    let Some(look_back) = rows.iter().find(|r| r.selected).map(|r| r.look_back) else {
        return Vec::new();
    };
    let at = |r: &&Row| r.look_back == look_back && r.fold == FoldKey::All && r.model.is_some();
    rows.iter()
        .filter(at)
        .filter(|r| r.seed.is_headline() && !r.intervals.levels.is_empty())
        .map(|r| CoverageLine {
            row: r,
            sd: rows
                .iter()
                .filter(at)
                .find(|s| s.model == r.model && s.seed == SeedKey::Sd),
        })
        .collect()
}

/// `0.812` or `0.812 ± 0.011`; `—` when unknown.
fn with_sd(v: f64, sd: Option<f64>, digits: usize, sci: bool) -> String {
    if !v.is_finite() {
        return "—".into();
    }
    let f = |x: f64| {
        if sci {
            format!("{x:.digits$e}")
        } else {
            format!("{x:.digits$}")
        }
    };
    match sd.filter(|s| s.is_finite()) {
        Some(s) => format!("{} ± {}", f(v), f(s)),
        None => f(v),
    }
}

/// The coverage table's header and rows (plain text cells).
fn coverage_cells(lines: &[CoverageLine<'_>]) -> (Vec<String>, Vec<Vec<String>>) {
    let levels: Vec<f64> = lines[0]
        .row
        .intervals
        .levels
        .iter()
        .map(|l| l.level)
        .collect();
    let mut header = vec!["model".to_string()];
    for l in &levels {
        let n = level_name(*l);
        header.push(format!("coverage {n} %"));
        header.push(format!("width {n} %"));
        header.push(format!("Winkler {n} %"));
    }
    header.push("CRPS".into());
    let body = lines
        .iter()
        .map(|c| {
            let s = &c.row.intervals;
            let sd = c.sd.map(|r| &r.intervals);
            let mut cells = vec![format!(
                "{}{}",
                c.row.model.map_or(String::new(), |m| m.label()),
                if c.row.best_model { " (chosen)" } else { "" }
            )];
            for (k, l) in s.levels.iter().enumerate() {
                let sd_of = |g: fn(&LevelScores) -> f64| sd.and_then(|s| s.levels.get(k)).map(g);
                cells.push(with_sd(
                    l.test.coverage,
                    sd_of(|l| l.test.coverage),
                    3,
                    false,
                ));
                cells.push(with_sd(l.test.width, sd_of(|l| l.test.width), 3, true));
                cells.push(with_sd(l.test.winkler, sd_of(|l| l.test.winkler), 3, true));
            }
            cells.push(with_sd(s.test_crps, sd.map(|s| s.test_crps), 3, true));
            cells
        })
        .collect();
    (header, body)
}

/// Test coverage, width and Winkler score of each level's band, and CRPS, per model at the
/// network's chosen look-back, as Markdown (None without `--level`).
pub fn coverage_markdown(rows: &[Row]) -> Option<String> {
    let lines = coverage_lines(rows);
    if lines.is_empty() {
        return None;
    }
    let (header, body) = coverage_cells(&lines);
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let align = format!("l{}", "r".repeat(header.len() - 1));
    Some(markdown::table(&header, &align, &body))
}

/// The coverage table for the `.tex` file (None without `--level`).
fn coverage_tex(rows: &[Row]) -> Option<(Vec<String>, Vec<Vec<String>>)> {
    let lines = coverage_lines(rows);
    if lines.is_empty() {
        return None;
    }
    let (header, body) = coverage_cells(&lines);
    let esc = |s: &String| latex::escape(&s.replace(" ± ", " PM ")).replace(" PM ", " $\\pm$ ");
    Some((
        header.iter().map(esc).collect(),
        body.iter().map(|r| r.iter().map(esc).collect()).collect(),
    ))
}

/// In words: how the chosen model's bands held on test, beside the best baseline's (None
/// without `--level`).
pub fn coverage_sentence(rows: &[Row]) -> Option<String> {
    let head = |r: &&Row| r.fold == FoldKey::All && r.seed.is_headline();
    let chosen = rows.iter().filter(head).find(|r| r.best_model)?;
    let model = chosen.model?;
    if chosen.intervals.levels.is_empty() {
        return None;
    }
    let baseline = rows
        .iter()
        .filter(head)
        .filter(|r| r.look_back == chosen.look_back && r.model.is_some_and(|m| !m.is_seeded()))
        .filter(|r| r.model != Some(model))
        .filter_map(|r| Some((r, r.val?.mse)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(r, _)| r);
    let held = |r: &Row| {
        r.intervals
            .levels
            .iter()
            .map(|l| {
                format!(
                    "{:.3} of its {} % band (mean width {:.3e})",
                    l.test.coverage,
                    level_name(l.level),
                    l.test.width
                )
            })
            .collect::<Vec<_>>()
            .join(" and ")
    };
    let mut s = format!(
        "Bands: the model chosen on validation, {} at look-back {}, covered {} of the test values",
        model.label(),
        chosen.look_back,
        held(chosen)
    );
    if let Some(b) = baseline {
        s.push_str(&format!(
            "; the best other deterministic model on validation, {}, {}",
            b.model.map_or(String::new(), |m| m.label()),
            held(b)
        ));
    }
    s.push_str(
        ". Each band is calibrated on the validation residuals of its model and step, and moves \
         on the test span as its values become known as `--adaptive` says (the run record \
         names the method; `split` keeps it fixed): a coverage well below the level means the \
         test span behaved unlike the validation span faster than the band could follow.",
    );
    Some(s)
}

/// In words: the threshold alerts of the chosen model on the test span and how they fared.
pub fn alerts_sentence(a: &AlertRun, every_ns: i64) -> String {
    let s = &a.scores;
    let lead = if s.caught > 0 {
        format!(
            ", {:.1} steps ({}) ahead on average",
            s.mean_lead(),
            crate::util::time::duration_text((s.mean_lead() * every_ns as f64) as i64)
        )
    } else {
        String::new()
    };
    format!(
        "Alerts ({} at look-back {}, threshold {} = {}, probability ≥ {}): {} alert(s), {} followed by an exceedance \
         (precision {:.3}); {} of {} test values above the threshold announced (recall {:.3}){lead}.",
        a.model.label(),
        a.look_back,
        a.rule.threshold.text(),
        crate::render::csv::float(a.threshold),
        a.rule.probability,
        s.alerts,
        s.true_alerts,
        s.precision(),
        s.caught,
        s.exceedances,
        s.recall()
    )
}
