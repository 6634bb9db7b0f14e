//! Any bytes as a series CSV: reading must end in a series or a clear error, never a panic,
//! and never a series longer than the limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ntp::series::{file, Fill, SeriesOptions};

fuzz_target!(|data: &[u8]| {
    // tmpfs when there is one: the reader takes a path.
    let dir = if std::path::Path::new("/dev/shm").is_dir() {
        std::path::PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let path = dir.join(format!("ntp-fuzz-{}.csv", std::process::id()));
    if std::fs::write(&path, data).is_err() {
        return;
    }
    for fill in [Fill::Linear, Fill::Zero, Fill::Drop] {
        let opts = SeriesOptions {
            fill,
            ..Default::default()
        };
        if let Ok(s) = file::read_file(&path, &opts) {
            assert!(s.len() as i64 <= ntp::series::aggregate::MAX_ROWS);
            assert_eq!(s.start_ns.len(), s.values.len());
        }
    }
});
