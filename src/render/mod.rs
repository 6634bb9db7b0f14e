//! The formats below every stage: [`csv`] fields and tables, [`markdown`] and [`latex`]
//! (booktabs) tables, [`plot`] PNG figures (with [`lttb`] thinning). They know nothing of
//! series, models or files a stage writes — [`crate::report`] names those and owns their
//! writers — so any stage may use them without reaching up into the report. All writes are
//! atomic.

pub mod csv;
pub mod latex;
pub mod lttb;
pub mod markdown;
pub mod plot;
