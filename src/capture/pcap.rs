//! Classic libpcap files: µs and ns magic, both byte orders, and Kuznetzov's "modified"
//! pcap (magic 0xa1b2cd34, 24-byte record headers), which pcap-file does not read.

use pcap_file::pcap::PcapHeader;
use pcap_file::{Endianness, TsResolution};

use super::{RawPacket, Scan, Stop};

/// Largest record a sane capture holds (libpcap's and Wireshark's MAXIMUM_SNAPLEN).
const MAX_RECORD: u32 = 262_144;

/// A header's snaplen may allow more (some link types do), but never past this: a claimed
/// length must not make the reader allocate gigabytes (snaplen 0xFFFFFFFF is common junk).
const MAX_SNAPLEN_TRUSTED: u32 = 16 << 20;

/// What the 24-byte global header says about the records that follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PcapFormat {
    pub big_endian: bool,
    /// Multiplier from the record's fractional field to nanoseconds (1000 or 1).
    pub frac_to_ns: u32,
    /// 16 for classic pcap, 24 for the modified format.
    pub record_header: usize,
    pub linktype: u32,
    pub snaplen: u32,
}

impl PcapFormat {
    /// Parses the global header; `None` when the magic number is not pcap's.
    pub fn from_header(head: &[u8]) -> Option<Result<PcapFormat, &'static str>> {
        if head.len() < 4 {
            return None;
        }
        let magic = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        // Kuznetzov's patched libpcap: classic layout but 24-byte record headers.
        let modified = match magic {
            0xa1b2cd34 => Some(true),
            0x34cdb2a1 => Some(false),
            _ => None,
        };
        if let Some(big_endian) = modified {
            if head.len() < 24 {
                return Some(Err("file ends inside the 24-byte pcap header"));
            }
            let rd = |i: usize| read_u32(&head[i..], big_endian);
            return Some(Ok(PcapFormat {
                big_endian,
                frac_to_ns: 1000,
                record_header: 24,
                linktype: rd(20) & 0x0fff_ffff,
                snaplen: rd(16),
            }));
        }
        if !matches!(magic, 0xa1b2c3d4 | 0xd4c3b2a1 | 0xa1b23c4d | 0x4d3cb2a1) {
            return None;
        }
        match PcapHeader::from_slice(head) {
            Ok((_, h)) => Some(Ok(PcapFormat {
                big_endian: h.endianness == Endianness::Big,
                frac_to_ns: if h.ts_resolution == TsResolution::NanoSecond {
                    1
                } else {
                    1000
                },
                record_header: 16,
                // The upper bits may carry an FCS length (LINKTYPE_... flags): keep the type.
                linktype: u32::from(h.datalink) & 0x0fff_ffff,
                snaplen: h.snaplen,
            })),
            Err(_) => Some(Err("file ends inside the 24-byte pcap header")),
        }
    }

    /// Walks whole records from the start of `buf` until `limit` bytes are covered. A
    /// record header that is a pcap file header (magic and version 2.4, either byte order:
    /// a time stamp in 2055 that also reads as version 2.4) ends the walk as damage.
    pub fn scan(&self, buf: &[u8], limit: usize) -> Scan {
        let mut pos = 0;
        let mut packets = 0;
        while pos < limit {
            let h = self.record_header;
            if buf.len() - pos < h {
                return Scan {
                    end: pos,
                    packets,
                    stop: Stop::Incomplete { need: pos + h },
                };
            }
            let caplen = read_u32(&buf[pos + 8..], self.big_endian);
            // A file header read as a record has its `thiszone` (0) as caplen: only such
            // records are looked at twice.
            if caplen == 0 && starts_a_capture(&buf[pos..]) {
                return Scan {
                    end: pos,
                    packets,
                    stop: Stop::Corrupt(
                        "a second capture's header starts here (captures joined with `cat`? give each as its own input)"
                            .into(),
                    ),
                };
            }
            if caplen > MAX_RECORD.max(self.snaplen.min(MAX_SNAPLEN_TRUSTED)) {
                return Scan {
                    end: pos,
                    packets,
                    stop: Stop::Corrupt(format!(
                        "record length {caplen} is larger than any real packet"
                    )),
                };
            }
            let next = pos + h + caplen as usize;
            if next > buf.len() {
                return Scan {
                    end: pos,
                    packets,
                    stop: Stop::Incomplete { need: next },
                };
            }
            pos = next;
            packets += 1;
        }
        Scan {
            end: pos,
            packets,
            stop: Stop::Full,
        }
    }

    /// Calls `f` for every record of a chunk that `scan` delimited.
    pub fn for_each(&self, mut data: &[u8], mut f: impl FnMut(RawPacket<'_>)) {
        let h = self.record_header;
        while data.len() >= h {
            let sec = read_u32(data, self.big_endian) as i64;
            let frac = read_u32(&data[4..], self.big_endian) as i64;
            let caplen = read_u32(&data[8..], self.big_endian) as usize;
            let wire_len = read_u32(&data[12..], self.big_endian);
            let end = (h + caplen).min(data.len());
            f(RawPacket {
                ts_ns: sec * 1_000_000_000 + frac * self.frac_to_ns as i64,
                linktype: self.linktype,
                wire_len,
                data: &data[h..end],
            });
            data = &data[end..];
        }
    }
}

#[inline]
pub(crate) fn read_u32(b: &[u8], big_endian: bool) -> u32 {
    let a = [b[0], b[1], b[2], b[3]];
    if big_endian {
        u32::from_be_bytes(a)
    } else {
        u32::from_le_bytes(a)
    }
}

/// Whether `bytes` begin with a pcap file header: a magic number and version 2.4.
fn starts_a_capture(bytes: &[u8]) -> bool {
    if bytes.len() < 8 {
        return false;
    }
    const MAGICS: [u32; 3] = [0xa1b2_c3d4, 0xa1b2_3c4d, 0xa1b2_cd34];
    let (le, be) = (read_u32(bytes, false), read_u32(bytes, true));
    let version = |big: bool| {
        let (major, minor) = if big {
            (
                u16::from_be_bytes([bytes[4], bytes[5]]),
                u16::from_be_bytes([bytes[6], bytes[7]]),
            )
        } else {
            (
                u16::from_le_bytes([bytes[4], bytes[5]]),
                u16::from_le_bytes([bytes[6], bytes[7]]),
            )
        };
        (major, minor) == (2, 4)
    };
    (MAGICS.contains(&le) && version(false)) || (MAGICS.contains(&be) && version(true))
}
