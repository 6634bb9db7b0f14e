//! Up-to-date checks by modification time (make's rule), for re-runs that skip done work.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

fn mtime(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// True when every output exists and is at least as new as every input.
pub fn up_to_date(inputs: &[PathBuf], outputs: &[PathBuf]) -> bool {
    let newest_in = inputs.iter().filter_map(|p| mtime(p)).max();
    let oldest_out = outputs
        .iter()
        .map(|p| mtime(p))
        .collect::<Option<Vec<_>>>()
        .and_then(|v| v.into_iter().min());
    matches!((newest_in, oldest_out), (Some(i), Some(o)) if o >= i)
}
