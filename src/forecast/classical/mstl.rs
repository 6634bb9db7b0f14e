//! MSTL + ETS: the training span decomposed into several seasonal components (stlrs' MSTL,
//! the Fortran STL's port, as statsforecast's `MSTL` does with statsmodels' STL), the
//! automatic non-seasonal ETS fitted on the rest (trend + remainder). A value is forecast as
//! the ETS forecast of the deseasonalised series plus each component's last training season
//! at the same phase (statsforecast's seasonal-naive continuation of each component).
//! Later observations are deseasonalised with the same frozen components.

use super::ets;

/// A fitted MSTL + ETS model.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Fit {
    pub periods: Vec<usize>,
    /// Per period, its component over the training span's last season.
    #[serde(skip)]
    pub last_season: Vec<Vec<f64>>,
    /// Sum of the components over the training span.
    #[serde(skip)]
    pub train_season: Vec<f64>,
    /// Training points the decomposition saw.
    pub train_points: usize,
    pub trend: ets::Fit,
}

/// Decomposes `y` (the training span) with the periods that fit twice in it (ascending) and
/// fits the trend model. None when no period fits or the decomposition fails.
pub fn fit(y: &[f64], periods: &[usize]) -> Option<Fit> {
    let mut periods: Vec<usize> = periods
        .iter()
        .copied()
        .filter(|&p| p >= 2 && 2 * p <= y.len())
        .collect();
    periods.sort_unstable();
    periods.dedup();
    if periods.is_empty() || y.iter().any(|v| !v.is_finite()) {
        return None;
    }
    // statsmodels' STL settings as statsforecast's `mstl` uses them: seasonal windows 11, 15,
    // …, seasonal degree 0, every smoother evaluated at every point (jumps of 1; the Fortran
    // default interpolates between every tenth).
    let mut stl = stlrs::StlParams::new();
    stl.seasonal_degree(0)
        .seasonal_jump(1)
        .trend_jump(1)
        .low_pass_jump(1);
    let result = stlrs::Mstl::params()
        .stl_params(stl)
        .fit(y, &periods)
        .ok()?;
    let n = y.len();
    let seasonal: Vec<Vec<f64>> = result.seasonal().to_vec();
    let train_season: Vec<f64> = (0..n)
        .map(|t| seasonal.iter().map(|c| c[t]).sum::<f64>())
        .collect();
    let deseasonalised: Vec<f64> = (0..n).map(|t| y[t] - train_season[t]).collect();
    let trend = ets::auto(&deseasonalised, None)?;
    let last_season = periods
        .iter()
        .zip(&seasonal)
        .map(|(&p, c)| c[n - p..].to_vec())
        .collect();
    Some(Fit {
        periods,
        last_season,
        train_season,
        train_points: n,
        trend,
    })
}

impl Fit {
    /// The seasonal part at t: the decomposition's over the training span, its last season
    /// continued after it.
    fn season_at(&self, t: usize) -> f64 {
        let n = self.train_points;
        if t < n {
            return self.train_season[t];
        }
        self.periods
            .iter()
            .zip(&self.last_season)
            .map(|(&p, last)| {
                // Phase of t relative to the last season's first point n − p.
                let offset = (t + p - (n - p) % p) % p;
                last[offset]
            })
            .sum()
    }

    /// Forecasts of every `y[t]` made `horizon` steps before it, parameters and components
    /// fixed.
    pub fn forecasts(&self, y: &[f64], horizon: usize) -> Vec<f64> {
        let deseasonalised: Vec<f64> = y
            .iter()
            .enumerate()
            .map(|(t, v)| v - self.season_at(t))
            .collect();
        self.trend
            .forecasts(&deseasonalised, horizon)
            .into_iter()
            .enumerate()
            .map(|(t, f)| f + self.season_at(t))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn two_seasons_are_removed_and_continued() {
        let y: Vec<f64> = (0..1200)
            .map(|t| {
                let t = t as f64;
                50.0 + 5.0 * (2.0 * std::f64::consts::PI * t / 12.0).sin()
                    + 3.0 * (2.0 * std::f64::consts::PI * t / 84.0).cos()
            })
            .collect();
        let f = super::fit(&y[..1000], &[84, 12]).unwrap();
        assert_eq!(f.periods, vec![12, 84]);
        let fc = f.forecasts(&y, 1);
        let mse: f64 = (1000..1200).map(|t| (y[t] - fc[t]).powi(2)).sum::<f64>() / 200.0;
        assert!(mse < 0.05, "test MSE {mse}");
    }
}
