//! Any bytes as a capture file (pcap, pcapng, gzip, zstd): reading, chunking, decoding and
//! one-pass counting must never panic, hang or allocate beyond what the bytes hold.
#![no_main]

use std::io::Cursor;
use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use ntp::capture::CaptureReader;

fuzz_target!(|data: &[u8]| {
    let input = Box::new(Cursor::new(data.to_vec()));
    let Ok(mut reader) =
        CaptureReader::from_reader(Path::new("fuzz"), input, Arc::new(AtomicU64::new(0)))
    else {
        return;
    };
    while let Ok(Some(chunk)) = reader.next_chunk() {
        let _ = ntp::dataset::convert::decode_chunk(&chunk, Default::default());
        let _ = ntp::series::aggregate::tally_chunk(&chunk, 1_000_000_000, Default::default(), true);
    }
});
