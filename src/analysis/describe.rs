//! Descriptive statistics exactly as polars' `DataFrame.describe()`.

/// z for a two-sided 95 % interval (scipy.stats.norm.ppf(0.975)), as statsmodels uses.
pub const Z95: f64 = 1.959_963_984_540_054;

/// polars `describe()` rows for one numeric column with no nulls.
#[derive(Clone, Debug, PartialEq)]
pub struct Describe {
    pub count: usize,
    pub null_count: usize,
    pub mean: f64,
    /// Sample standard deviation (ddof = 1); `None` for fewer than two values.
    pub std: Option<f64>,
    pub min: f64,
    pub q25: f64,
    pub q50: f64,
    pub q75: f64,
    pub max: f64,
}

impl Describe {
    /// The statistics' names, in polars' row order.
    pub const NAMES: [&'static str; 9] = [
        "count",
        "null_count",
        "mean",
        "std",
        "min",
        "25%",
        "50%",
        "75%",
        "max",
    ];

    /// `(statistic name, value)` in polars' row order.
    pub fn rows(&self) -> Vec<(&'static str, Option<f64>)> {
        vec![
            ("count", Some(self.count as f64)),
            ("null_count", Some(self.null_count as f64)),
            ("mean", Some(self.mean)),
            ("std", self.std),
            ("min", Some(self.min)),
            ("25%", Some(self.q25)),
            ("50%", Some(self.q50)),
            ("75%", Some(self.q75)),
            ("max", Some(self.max)),
        ]
    }

    /// The statistics back from their `(name, value)` rows (the describe CSV); `None` if a
    /// statistic is missing.
    pub fn from_rows<'a>(
        rows: impl IntoIterator<Item = (&'a str, Option<f64>)>,
    ) -> Option<Describe> {
        let mut d = Describe {
            count: 0,
            null_count: 0,
            mean: f64::NAN,
            std: None,
            min: f64::NAN,
            q25: f64::NAN,
            q50: f64::NAN,
            q75: f64::NAN,
            max: f64::NAN,
        };
        let mut seen = 0;
        for (name, v) in rows {
            let value = v.unwrap_or(f64::NAN);
            match name {
                "count" => d.count = value as usize,
                "null_count" => d.null_count = value as usize,
                "mean" => d.mean = value,
                "std" => d.std = v,
                "min" => d.min = value,
                "25%" => d.q25 = value,
                "50%" => d.q50 = value,
                "75%" => d.q75 = value,
                "max" => d.max = value,
                _ => continue,
            }
            seen += 1;
        }
        (seen == 9).then_some(d)
    }

    /// The statistics as a Markdown table (terminal and `report.md`), one decimal.
    pub fn markdown(&self, label: &str) -> String {
        let rows: Vec<Vec<String>> = self
            .rows()
            .into_iter()
            .map(|(name, v)| {
                vec![
                    name.to_string(),
                    v.map(|v| format!("{v:.1}"))
                        .unwrap_or_else(|| "null".into()),
                ]
            })
            .collect();
        crate::render::markdown::table(&["statistic", label], "lr", &rows)
    }
}

/// polars' 'nearest' quantile: `sorted[floor(q·(n−1) + 0.5)]` (round half up, unlike
/// numpy's 'nearest' which rounds half to even).
pub fn quantile_nearest(sorted: &[f64], q: f64) -> f64 {
    let idx = (q * (sorted.len() - 1) as f64 + 0.5).floor() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

/// The mean as polars computes it (sum / n), except where rounding would put it outside the
/// values: a constant series has its value as mean (so zero variance, not rounding noise),
/// and no mean falls below the minimum or above the maximum.
pub fn exact_mean(x: &[f64]) -> f64 {
    let n = x.len();
    if n == 0 {
        return f64::NAN;
    }
    let (lo, hi) = x
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    if lo == hi {
        return lo;
    }
    (x.iter().sum::<f64>() / n as f64).clamp(lo, hi)
}

/// Whether every value is the same (no variance: correlations and seasons are undefined).
pub fn is_constant(x: &[f64]) -> bool {
    x.windows(2).all(|w| w[0] == w[1])
}

/// Describes a non-empty series.
pub fn describe(x: &[f64]) -> Describe {
    assert!(!x.is_empty(), "describe of an empty series");
    let n = x.len();
    let mean = exact_mean(x);
    let std = (n > 1)
        .then(|| (x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64).sqrt());
    let mut sorted = x.to_vec();
    sorted.sort_by(|a, b| a.total_cmp(b));
    Describe {
        count: n,
        null_count: 0,
        mean,
        std,
        min: sorted[0],
        q25: quantile_nearest(&sorted, 0.25),
        q50: quantile_nearest(&sorted, 0.5),
        q75: quantile_nearest(&sorted, 0.75),
        max: sorted[n - 1],
    }
}

/// The median as the mean of the two middle values (used for robust burst bands).
pub fn median(x: &[f64]) -> f64 {
    let mut s = x.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rounds_half_up() {
        // n = 4: q·(n−1) = 0.75 → 1.25 → 1; 0.5·3 + 0.5 = 2.0 → 2 (numpy's 'nearest' gives 1).
        let s = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile_nearest(&s, 0.5), 3.0);
        assert_eq!(quantile_nearest(&s, 0.25), 2.0);
        assert_eq!(quantile_nearest(&s, 0.75), 3.0);
    }

    /// A constant series whose sum rounds (0.1 × 1000) still has its value as mean and a
    /// standard deviation of exactly zero.
    #[test]
    fn a_constant_series_has_zero_variance() {
        let d = describe(&vec![0.1; 1000]);
        assert_eq!(d.mean, 0.1);
        assert_eq!(d.std, Some(0.0));
    }

    #[test]
    fn one_value_has_no_std() {
        let d = describe(&[5.0]);
        assert_eq!(d.std, None);
        assert_eq!((d.min, d.q50, d.max), (5.0, 5.0, 5.0));
    }
}
