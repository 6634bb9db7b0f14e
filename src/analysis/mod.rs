//! Exploratory analysis of a series, each method exactly as the library the study used:
//! [`describe`] (polars), [`acf`] and [`decompose`] (statsmodels), plus [`bursts`] and
//! [`lttb`] downsampling for figures.

pub mod acf;
pub mod bursts;
pub mod decompose;
pub mod describe;
pub mod lttb;
