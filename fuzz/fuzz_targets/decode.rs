//! Any frame of any supported (or unsupported) link type: decoding must never panic, and
//! the hand-read IPv4 path must decode exactly as etherparse does.
#![no_main]

use libfuzzer_sys::fuzz_target;

/// Link types the decoder knows, plus one it does not.
const LINKTYPES: [u32; 12] = [1, 0, 101, 12, 14, 108, 113, 228, 229, 276, 9, 160];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, frame)) = data.split_first() else {
        return;
    };
    let linktype = LINKTYPES[pick as usize % LINKTYPES.len()];
    assert_eq!(
        ntp::decode::decode(linktype, frame),
        ntp::decode::decode_by_etherparse(linktype, frame)
    );
});
