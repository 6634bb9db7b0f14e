//! Small helpers every stage uses: [`atomic`] output files, [`guard`] (a library's panic as
//! an error), [`progress`] bars, [`hash`]
//! (what the hand-written tables share), [`pages`] (large zeroed arrays on huge pages), [`time`]
//! (civil dates and RFC 3339 stamps) and [`units`] (human sizes and rates).

pub mod atomic;
pub mod fresh;
pub mod guard;
pub mod hash;
pub mod pages;
pub mod progress;
pub mod time;
pub mod units;
