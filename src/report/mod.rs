//! Report outputs. [`outputs`] names every file a stage writes; the writers own them, one
//! function per file: [`analysis`], [`training`], [`prediction`] and the pipeline's
//! [`document`] (`report.md`). One module per format underneath: [`csv`] tables, [`latex`]
//! tables (booktabs), [`markdown`] tables, [`plot`] PNG figures (with [`lttb`] thinning).
//! All writes are atomic.

pub mod access_log;
pub mod analysis;
pub mod combined;
pub mod csv;
pub mod detect;
pub mod document;
pub mod latex;
pub mod lttb;
pub mod markdown;
pub mod outputs;
pub mod panel;
pub mod plot;
pub mod prediction;
pub mod training;
