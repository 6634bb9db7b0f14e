//! Any bytes as a model card: reading it must end in a card that passes its own checks or a
//! one-line error naming the file, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ntp::forecast::card::ModelCard;

fuzz_target!(|data: &[u8]| {
    let dir = if std::path::Path::new("/dev/shm").is_dir() {
        std::path::PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let path = dir.join(format!("ntp-fuzz-{}.json", std::process::id()));
    if std::fs::write(&path, data).is_err() {
        return;
    }
    match ModelCard::read(&path) {
        Ok(card) => {
            // What predict does with a card: its series options and its bands.
            let _ = card.series().every_ns();
            assert!(card.horizon > 0 && card.look_back > 0);
        }
        Err(e) => assert!(!e.to_string().contains('\n')),
    }
});
