//! Any bytes as a labels file (a `start,end[,kind]` CSV, or NAB's JSON when it opens with
//! `{`): reading ends in windows or a clear error; the windows, merged and matched to a
//! series, score without a panic, and every score counts the same windows.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use ntp::detect::{events::AlarmEvent, labels, score};

fuzz_target!(|data: &[u8]| {
    // tmpfs when there is one: the reader takes a path.
    let dir = if Path::new("/dev/shm").is_dir() {
        std::path::PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let path = dir.join(format!("ntp-fuzz-labels-{}.csv", std::process::id()));
    if std::fs::write(&path, data).is_err() {
        return;
    }
    for input in ["a.csv", "realA/spikes.csv", "/data/NAB/data/realB/spikes.csv"] {
        let Ok(read) = labels::read(&path, Path::new(input)) else {
            continue;
        };
        for l in &read {
            assert!(l.start_ns < l.end_ns);
        }
        // A day of minutes from 2014-04-01 and one from the epoch.
        for first in [1_396_310_400_000_000_000i64, 0] {
            let every = 60_000_000_000i64;
            let start: Vec<i64> = (0..1440).map(|i| first + i * every).collect();
            let (windows, _) = labels::prepare(read.clone(), &start, every);
            for w in windows.windows(2) {
                assert!(w[0].end_ns <= w[1].start_ns, "merged windows overlap");
            }
            let alarm: Vec<bool> = (0..start.len()).map(|i| i % 97 == 5).collect();
            let events: Vec<AlarmEvent> = (0..start.len())
                .filter(|i| alarm[*i])
                .map(|i| AlarmEvent {
                    start: i,
                    end: i + 1,
                    kind: "high",
                    peak: 1.0,
                    score: 2.0,
                    probability: 0.999,
                    column: "x".into(),
                })
                .collect();
            let s = score::score(&events, &alarm, &windows, &start, every);
            assert_eq!(s.windows, windows.len());
            assert!(s.found <= s.windows);
            assert!(windows.is_empty() || s.nab.is_finite());
        }
    }
});
