//! The MSE tables: per look-back (rows) and model (columns), mean ± sd over seeds, the
//! choices and significance marks, in Markdown (stdout, `report.md`) and LaTeX
//! (`{stem}.mse_results.eE.bB.tex`).

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::Result;
use crate::forecast::experiment::{FoldKey, Row, SeedKey, Sweep, TrainOptions};
use crate::forecast::models::Model;
use crate::report::{latex, markdown};

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
                sd: sd.map(|s| s.mse),
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
    latex::write_table(
        p,
        &format!(
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
        ),
        &format!("tab:{stem}-mse"),
        &format!("l{}", "r".repeat(g.models.len())),
        &header,
        &body,
    )
}
