//! ntp's integration tests: one test binary (so polars and candle are linked once), one
//! module per command, the shared helpers in `util`.

mod aggregate;
mod analyze;
mod bad_inputs;
mod detect;
mod download;
mod features;
mod intervals;
mod many;
mod per_packet;
mod pipeline;
mod preprocess;
mod robustness;
mod series;
mod simulate;
mod train;
mod util;
