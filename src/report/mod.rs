//! Report outputs, one module per format: [`csv`] tables, [`latex`] tables (booktabs),
//! [`markdown`] tables for the terminal, [`plot`] PNG figures. All writes are atomic.

pub mod csv;
pub mod latex;
pub mod markdown;
pub mod plot;

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
