//! Downsampling for drawing long series only (CSV outputs always keep every point):
//! Largest-Triangle-Three-Buckets (Steinarsson 2013) for lines, and [`extremes`] for marks.

/// Keeps at most `threshold` points of `(x, y)`, first and last included.
pub fn lttb(points: &[(f64, f64)], threshold: usize) -> Vec<(f64, f64)> {
    let n = points.len();
    if threshold >= n || threshold < 3 {
        return points.to_vec();
    }
    let mut out = Vec::with_capacity(threshold);
    out.push(points[0]);
    let every = (n - 2) as f64 / (threshold - 2) as f64;
    let mut a = 0usize;
    for i in 0..threshold - 2 {
        let start = (i as f64 * every) as usize + 1;
        let end = (((i + 1) as f64 * every) as usize + 1).min(n - 1);
        let next_start = end;
        let next_end = (((i + 2) as f64 * every) as usize + 1).min(n);
        let (mut ax, mut ay) = (0.0, 0.0);
        let span = (next_end - next_start).max(1);
        for p in &points[next_start..next_end.max(next_start + 1).min(n)] {
            ax += p.0;
            ay += p.1;
        }
        ax /= span as f64;
        ay /= span as f64;
        let (px, py) = points[a];
        let mut best = start;
        let mut best_area = -1.0;
        for (j, &(x, y)) in points
            .iter()
            .enumerate()
            .take(end.max(start + 1))
            .skip(start)
        {
            let area = ((px - ax) * (y - py) - (px - x) * (ay - py)).abs();
            if area > best_area {
                best_area = area;
                best = j;
            }
        }
        out.push(points[best]);
        a = best;
    }
    out.push(points[n - 1]);
    out
}

/// Marks thinned for drawing: of the points whose x falls in each of `buckets` equal
/// slices of the x range, only the lowest and the highest are kept (a figure cannot show
/// more than one mark per pixel column; tens of thousands of overlapping circles only cost
/// time). Order by x is kept.
pub fn extremes(points: &[(f64, f64)], buckets: usize) -> Vec<(f64, f64)> {
    if points.len() <= 2 * buckets || buckets == 0 {
        return points.to_vec();
    }
    let (lo, hi) = points
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
            (lo.min(p.0), hi.max(p.0))
        });
    let width = (hi - lo).max(f64::MIN_POSITIVE);
    let mut keep: Vec<Option<(usize, usize)>> = vec![None; buckets];
    for (i, p) in points.iter().enumerate() {
        let b = (((p.0 - lo) / width * buckets as f64) as usize).min(buckets - 1);
        keep[b] = Some(match keep[b] {
            None => (i, i),
            Some((min, max)) => (
                if p.1 < points[min].1 { i } else { min },
                if p.1 > points[max].1 { i } else { max },
            ),
        });
    }
    let mut idx: Vec<usize> = keep
        .into_iter()
        .flatten()
        .flat_map(|(a, b)| [a, b])
        .collect();
    idx.sort_unstable();
    idx.dedup();
    idx.into_iter().map(|i| points[i]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_ends_and_spikes() {
        let mut pts: Vec<(f64, f64)> = (0..10_000).map(|i| (i as f64, 0.0)).collect();
        pts[5000].1 = 100.0;
        let d = lttb(&pts, 100);
        assert_eq!(d.len(), 100);
        assert_eq!(d[0], pts[0]);
        assert_eq!(*d.last().unwrap(), pts[9999]);
        assert!(d.iter().any(|p| p.1 == 100.0), "the spike survives");
    }

    #[test]
    fn extremes_keep_min_and_max_per_bucket() {
        let pts: Vec<(f64, f64)> = (0..100)
            .map(|i| (i as f64, ((i * 37) % 11) as f64))
            .collect();
        let kept = super::extremes(&pts, 10);
        assert!(kept.len() <= 20);
        for b in 0..10 {
            let slice = &pts[b * 10..b * 10 + 10];
            let max = slice.iter().map(|p| p.1).fold(f64::MIN, f64::max);
            let min = slice.iter().map(|p| p.1).fold(f64::MAX, f64::min);
            let here: Vec<_> = kept
                .iter()
                .filter(|p| p.0 >= b as f64 * 10.0 && p.0 < b as f64 * 10.0 + 10.0)
                .collect();
            assert!(here.iter().any(|p| p.1 == max) && here.iter().any(|p| p.1 == min));
        }
        assert!(kept.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
