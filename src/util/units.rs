//! Human-readable sizes and rates.

/// A byte count with a binary unit (`512 B`, `1.5 MiB`).
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// Human unit for a byte rate: (divisor, label) such that the largest value reads well.
pub fn rate_unit(max: f64) -> (f64, &'static str) {
    const UNITS: [(f64, &str); 4] = [
        (1.0, "B/s"),
        (1024.0, "KiB/s"),
        (1048576.0, "MiB/s"),
        (1073741824.0, "GiB/s"),
    ];
    let mut best = UNITS[0];
    for u in UNITS {
        if max >= u.0 {
            best = u;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_rates() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(rate_unit(10.0), (1.0, "B/s"));
        assert_eq!(rate_unit(3.0 * 1048576.0), (1048576.0, "MiB/s"));
    }
}
