//! `ntp download`: MAWI dumps listed in markdown files, fetched in parallel and resumably.

use std::path::PathBuf;

use clap::Args;
use ntp::download::targets::Sources;
use ntp::download::DownloadOptions;

#[derive(Args, Debug)]
pub struct DownloadArgs {
    /// Markdown files or directories of them (every `…/NNNN….dump.gz` / `.pcap.gz` URL in
    /// them is fetched), or URLs. Default: data-sources/.
    #[arg(value_name = "SOURCE")]
    pub sources: Vec<String>,

    /// Directory the dumps land in.
    #[arg(short, long, default_value = "data", value_name = "DIR")]
    pub output: PathBuf,

    /// Parallel transfers.
    #[arg(short, long, default_value_t = 4, value_name = "N")]
    pub jobs: usize,

    /// Look for markdown files in subdirectories too.
    #[arg(short, long)]
    pub recursive: bool,

    /// Also gunzip each dump next to it (ntp preprocess reads .gz directly, so this is
    /// only for other tools).
    #[arg(long)]
    pub extract: bool,

    /// Retries on connection errors and 5xx answers (exponential backoff).
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub retries: u32,

    /// Seconds a server may stay silent (before answering, or in the middle of a body)
    /// before the transfer is abandoned and retried from where it stopped.
    #[arg(long, default_value_t = 60.0, value_name = "SECONDS")]
    pub timeout: f64,

    /// A MAWI trace by date: YYYYMMDD (the daily 14:00 JST trace) or YYYYMMDDHHMM.
    #[arg(long, value_name = "DATE")]
    pub mawi: Vec<String>,

    /// MAWI sample point for --mawi.
    #[arg(long, default_value = "F", value_name = "POINT")]
    pub samplepoint: String,

    /// Expected SHA-256 of the file (only with a single target).
    #[arg(long, value_name = "HEX")]
    pub sha256: Option<String>,

    /// Print the targets and exit.
    #[arg(long)]
    pub list: bool,
}

impl DownloadArgs {
    /// Where the targets are listed.
    pub fn sources(&self) -> Sources {
        Sources {
            paths: self.sources.clone(),
            recursive: self.recursive,
            mawi: self.mawi.clone(),
            samplepoint: self.samplepoint.clone(),
            sha256: self.sha256.clone(),
        }
    }

    /// How they are fetched.
    pub fn options(&self) -> DownloadOptions {
        DownloadOptions {
            dir: self.output.clone(),
            jobs: self.jobs,
            retries: self.retries,
            extract: self.extract,
            // Checked by the command: positive and finite.
            timeout: std::time::Duration::from_secs_f64(self.timeout.clamp(0.001, 86_400.0)),
            ..Default::default()
        }
    }
}
