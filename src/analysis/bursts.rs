//! Bursts: intervals far from the usual level, by the classic z-score and by a robust
//! rule (median ± z·1.4826·MAD) that a few huge bursts cannot hide behind.

use super::describe::median;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    ZScore,
    Robust,
}

impl Rule {
    pub fn name(self) -> &'static str {
        match self {
            Rule::ZScore => "zscore",
            Rule::Robust => "robust",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Burst {
    pub index: usize,
    pub rule: Rule,
    pub value: f64,
    /// Signed distance from the centre in units of the rule's scale.
    pub score: f64,
}

/// Intervals more than `z` scales from the centre, z-score rule first, then robust rule.
pub fn bursts(x: &[f64], mean: f64, std: Option<f64>, z: f64) -> Vec<Burst> {
    let mut out = Vec::new();
    if let Some(sd) = std.filter(|s| *s > 0.0) {
        for (i, &v) in x.iter().enumerate() {
            let score = (v - mean) / sd;
            if score.abs() > z {
                out.push(Burst {
                    index: i,
                    rule: Rule::ZScore,
                    value: v,
                    score,
                });
            }
        }
    }
    let med = median(x);
    let deviations: Vec<f64> = x.iter().map(|v| (v - med).abs()).collect();
    let scale = 1.4826 * median(&deviations);
    if scale > 0.0 {
        for (i, &v) in x.iter().enumerate() {
            let score = (v - med) / scale;
            if score.abs() > z {
                out.push(Burst {
                    index: i,
                    rule: Rule::Robust,
                    value: v,
                    score,
                });
            }
        }
    }
    out
}
