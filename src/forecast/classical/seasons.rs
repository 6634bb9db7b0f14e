//! Seasonal periods detected on the training span by augurs' periodogram (Welch's method; the
//! peaks above 90 % of the strongest, periods from 4 to a third of the span), when the user
//! names none. Two corrections around augurs: the span's linear trend is removed first (its
//! periodogram keeps the mean, whose leakage otherwise wins as the longest period), and each
//! peak — resolved only to the FFT's bins (46 or 51 for a 48-point cycle) — is refined to the
//! lag within ±25 % (a bin's width) with the highest autocorrelation. (augurs' `detect` lists peaks weakest
//! first: they are ordered here.)

use augurs_seasons::PeriodogramDetector;

/// Up to three periods, strongest first, each fitting at least twice in `train`.
pub fn detect(train: &[f64]) -> Vec<usize> {
    if train.len() < 16 || train.iter().any(|v| !v.is_finite()) {
        return Vec::new();
    }
    let max = (train.len() / 3).min(u32::MAX as usize) as u32;
    let detector = PeriodogramDetector::builder()
        .min_period(4)
        .max_period(max)
        .build();
    let n = train.len();
    let (mx, my) = ((n - 1) as f64 / 2.0, train.iter().sum::<f64>() / n as f64);
    let sxx: f64 = (0..n).map(|t| (t as f64 - mx).powi(2)).sum();
    let slope = (0..n)
        .map(|t| (t as f64 - mx) * (train[t] - my))
        .sum::<f64>()
        / sxx;
    let detrended: Vec<f64> = (0..n)
        .map(|t| train[t] - my - slope * (t as f64 - mx))
        .collect();
    // A flat line (or a straight one) has no season: what is left is rounding noise.
    let scale = train.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if detrended.iter().all(|d| d.abs() <= 1e-9 * scale) {
        return Vec::new();
    }
    // Pearson correlation of the span with itself `lag` points later.
    let acf = |lag: usize| -> f64 {
        let (a, b) = (&detrended[lag..], &detrended[..n - lag]);
        let m = a.len() as f64;
        let (ma, mb) = (a.iter().sum::<f64>() / m, b.iter().sum::<f64>() / m);
        let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
        for (x, y) in a.iter().zip(b) {
            ab += (x - ma) * (y - mb);
            aa += (x - ma) * (x - ma);
            bb += (y - mb) * (y - mb);
        }
        ab / (aa * bb).sqrt().max(f64::MIN_POSITIVE)
    };
    let mut peaks: Vec<(f64, usize)> = detector
        .periodogram(&detrended)
        .peaks(0.9)
        .map(|p| (p.power, p.period as usize))
        .filter(|&(_, p)| p >= 2 && 2 * p <= train.len())
        .collect();
    peaks.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut periods: Vec<usize> = Vec::new();
    for (_, p) in peaks {
        let reach = (p / 4).max(2);
        let p = (p.saturating_sub(reach).max(2)..=(p + reach).min(n / 2))
            .max_by(|&a, &b| acf(a).total_cmp(&acf(b)))
            .unwrap_or(p);
        if !periods.contains(&p) {
            periods.push(p);
        }
    }
    periods.truncate(3);
    periods
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_flat_or_straight_line_has_no_season() {
        assert!(super::detect(&vec![0.1; 500]).is_empty());
        assert!(
            super::detect(&(0..500).map(|t| 3.0 + 0.1 * t as f64).collect::<Vec<_>>()).is_empty()
        );
    }

    #[test]
    fn finds_a_daily_cycle() {
        let y: Vec<f64> = (0..2000)
            .map(|t| 10.0 + (2.0 * std::f64::consts::PI * t as f64 / 48.0).sin())
            .collect();
        let p = super::detect(&y);
        assert_eq!(p.first(), Some(&48), "{p:?}");
        let trend: Vec<f64> = (0..3000)
            .map(|t| t as f64 * 0.01 + (2.0 * std::f64::consts::PI * t as f64 / 288.0).sin())
            .collect();
        assert_eq!(super::detect(&trend).first(), Some(&288));
    }
}
