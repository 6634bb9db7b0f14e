//! Small helpers every stage uses: [`atomic`] output files, [`progress`] bars, [`time`]
//! (civil dates and RFC 3339 stamps) and [`units`] (human sizes and rates).

pub mod atomic;
pub mod fresh;
pub mod progress;
pub mod time;
pub mod units;
