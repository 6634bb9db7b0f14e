//! Small helpers every stage uses: [`atomic`] output files, [`progress`] bars, [`hash`]
//! (what the hand-written tables share), [`time`]
//! (civil dates and RFC 3339 stamps) and [`units`] (human sizes and rates).

pub mod atomic;
pub mod fresh;
pub mod hash;
pub mod progress;
pub mod time;
pub mod units;
