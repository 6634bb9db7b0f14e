//! `ntp preprocess`: captures → per-packet Parquet tables.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::shared::TimestampUnitArgs;

#[derive(Args, Debug)]
pub struct PreprocessArgs {
    /// Capture files: pcap (µs, ns, either byte order, modified) or pcapng, optionally
    /// gzip- or zstd-compressed. The format is read from the magic number.
    #[arg(required = true, value_name = "CAPTURE")]
    pub inputs: Vec<PathBuf>,

    /// Output: a `.parquet` file (all inputs in order in one table) or a directory
    /// (one `{stem}.parquet` per input).
    #[arg(short, long, default_value = "results/", value_name = "OUT")]
    pub output: PathBuf,

    #[command(flatten)]
    pub unit: TimestampUnitArgs,

    /// Lay a directory output out by the packets' UTC day, hive-style:
    /// `OUT/date=YYYY-MM-DD/{stem}.parquet` (read as one table, with a `date` column, by
    /// polars, DuckDB and Spark; ntp's later stages take the directory).
    #[arg(long, value_enum, default_value = "none", value_name = "BY")]
    pub partition: PartitionArg,

    /// Worker threads (default: one per core; at most 4 per core).
    #[arg(short = 'j', long, value_name = "N")]
    pub threads: Option<usize>,
}

/// How `preprocess` lays out a directory output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PartitionArg {
    /// One `{stem}.parquet` per capture.
    None,
    /// `date=YYYY-MM-DD/{stem}.parquet`, by UTC day.
    Day,
}

impl From<PartitionArg> for ntp::dataset::convert::Partition {
    fn from(p: PartitionArg) -> Self {
        match p {
            PartitionArg::None => Self::None,
            PartitionArg::Day => Self::Day,
        }
    }
}
