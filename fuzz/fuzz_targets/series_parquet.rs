//! Any bytes as a Parquet series file: reading must end in a series or a one-line error,
//! never a panic, and never a series longer than the limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ntp::series::{self, SeriesOptions};

fuzz_target!(|data: &[u8]| {
    let dir = if std::path::Path::new("/dev/shm").is_dir() {
        std::path::PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let path = dir.join(format!("ntp-fuzz-{}.parquet", std::process::id()));
    if std::fs::write(&path, data).is_err() {
        return;
    }
    if let Ok(s) = series::load(&[path], &SeriesOptions::default()) {
        assert!(s.len() as i64 <= series::aggregate::MAX_ROWS);
        assert_eq!(s.start_ns.len(), s.values.len());
    }
});
