//! Largest-Triangle-Three-Buckets downsampling (Steinarsson 2013), for drawing long series
//! only: CSV outputs always keep every point.

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
}
