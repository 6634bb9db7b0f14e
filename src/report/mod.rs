//! Report outputs. [`outputs`] names every file a stage writes; the writers own them, one
//! function per file: [`analysis`], [`training`], [`prediction`], [`detect`],
//! [`access_log`], [`panel`], [`combined`] (a many-series run's tables) and the pipeline's
//! [`document`] (`report.md`). The formats they write in are [`crate::render`]'s. All
//! writes are atomic.

pub mod access_log;
pub mod analysis;
pub mod combined;
pub mod detect;
pub mod document;
pub mod outputs;
pub mod panel;
pub mod prediction;
pub mod training;
