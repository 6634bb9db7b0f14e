//! The classical seasonal models, fitted on the training span only and then run over the
//! later spans with their parameters fixed: additive Holt-Winters and the automatic additive
//! ETS ([`ets`]), MSTL + ETS for several seasons ([`mstl`]); the seasonal periods given or
//! detected on the training span ([`seasons`]).

pub mod ets;
pub mod mstl;
pub mod nelder_mead;
pub mod seasons;
