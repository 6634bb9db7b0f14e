//! pcapng: sections of either byte order, several interfaces each with its own link type,
//! `if_tsresol` and `if_tsoffset`. The section header is checked by pcap-file; interface
//! descriptions and packet blocks are read here, fixed fields only, skipping every option
//! ntp does not use: pcap-file rejects a whole block for an option it cannot decode (a
//! comment that is not UTF-8, as Wireshark writes), which dropped real packets. Lengths are
//! checked so a corrupt one cannot make us read past its block.

use std::sync::Arc;

use pcap_file::pcapng::PcapNgParser;

use super::pcap::read_u32;
use super::{RawPacket, Scan, Stop};

const SHB: u32 = 0x0A0D_0D0A;
const IDB: u32 = 1;
const OPB: u32 = 2;
const SPB: u32 = 3;
const EPB: u32 = 6;
/// Larger blocks than this are taken as a corrupt length, not a real packet.
const MAX_BLOCK: u32 = 16 << 20;

/// One interface of the current section.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interface {
    pub linktype: u32,
    /// if_tsresol: bit 7 clear → 10^-v s per tick, set → 2^-v s per tick.
    pub tsresol: u8,
    /// if_tsoffset in seconds.
    pub tsoffset: i64,
}

fn u16_at(b: &[u8], at: usize, big_endian: bool) -> u16 {
    let v = [b[at], b[at + 1]];
    if big_endian {
        u16::from_be_bytes(v)
    } else {
        u16::from_le_bytes(v)
    }
}

impl Interface {
    /// An interface description block: its link type and the two options that place
    /// packets in time (`if_tsresol`, code 9; `if_tsoffset`, code 14). Other options are
    /// skipped; a malformed option list ends the options, not the interface.
    fn from_idb(block: &[u8], big_endian: bool) -> Result<Interface, String> {
        if block.len() < 20 {
            return Err(format!("{} bytes are too few", block.len()));
        }
        let mut iface = Interface {
            linktype: u32::from(u16_at(block, 8, big_endian)),
            tsresol: 6,
            tsoffset: 0,
        };
        let end = block.len() - 4;
        let mut pos = 16;
        while pos + 4 <= end {
            let code = u16_at(block, pos, big_endian);
            let len = u16_at(block, pos + 2, big_endian) as usize;
            let value = pos + 4;
            if code == 0 || value + len > end {
                break;
            }
            match (code, len) {
                (9, 1..) => iface.tsresol = block[value],
                (14, 8..) => {
                    let v: [u8; 8] = block[value..value + 8].try_into().expect("8 bytes");
                    iface.tsoffset = if big_endian {
                        i64::from_be_bytes(v)
                    } else {
                        i64::from_le_bytes(v)
                    };
                }
                _ => {}
            }
            pos = value + len.div_ceil(4) * 4;
        }
        Ok(iface)
    }

    /// Converts raw timestamp ticks into nanoseconds since the epoch; `None` when the time
    /// lies outside what nanoseconds in an i64 can hold (years 1677–2262): such a packet
    /// cannot be placed, rather than wrapping silently to another century.
    #[inline]
    pub fn ticks_to_ns(&self, ticks: u64) -> Option<i64> {
        let v = u32::from(self.tsresol & 0x7f);
        let ns: i128 = if self.tsresol & 0x80 == 0 {
            if v <= 9 {
                ticks as i128 * 10i128.pow(9 - v)
            } else {
                ticks as i128 / 10i128.pow((v - 9).min(38))
            }
        } else {
            ((ticks as u128 * 1_000_000_000u128) >> v.min(127)) as i128
        };
        i64::try_from(ns + self.tsoffset as i128 * 1_000_000_000).ok()
    }
}

/// The section a chunk of blocks belongs to: its header (for byte order) and interfaces.
#[derive(Clone, Debug)]
pub struct Section {
    pub big_endian: bool,
    pub interfaces: Vec<Interface>,
}

/// Walks pcapng blocks, keeping the section state up to date.
pub struct Scanner {
    /// A section header has been seen.
    in_section: bool,
    section: Arc<Section>,
}

impl Scanner {
    pub fn new() -> Scanner {
        Scanner {
            in_section: false,
            section: Arc::new(Section {
                big_endian: false,
                interfaces: Vec::new(),
            }),
        }
    }

    pub fn section(&self) -> Arc<Section> {
        self.section.clone()
    }

    pub fn scan(&mut self, buf: &[u8], limit: usize) -> Scan {
        let mut pos = 0;
        let mut packets = 0;
        while pos < limit {
            if buf.len() - pos < 12 {
                return Scan {
                    end: pos,
                    packets,
                    stop: Stop::Incomplete { need: pos + 12 },
                };
            }
            let raw_type = u32::from_le_bytes(buf[pos..pos + 4].try_into().unwrap());
            let big_endian = if raw_type == SHB {
                if pos > 0 {
                    // A new section may change byte order: it starts a chunk of its own.
                    return Scan {
                        end: pos,
                        packets,
                        stop: Stop::Full,
                    };
                }
                match u32::from_le_bytes(buf[pos + 8..pos + 12].try_into().unwrap()) {
                    0x1A2B_3C4D => false,
                    0x4D3C_2B1A => true,
                    _ => {
                        return Scan {
                            end: pos,
                            packets,
                            stop: Stop::Corrupt("bad pcapng byte-order magic".into()),
                        }
                    }
                }
            } else {
                if !self.in_section {
                    return Scan {
                        end: pos,
                        packets,
                        stop: Stop::Corrupt("pcapng block before any section header".into()),
                    };
                }
                self.section.big_endian
            };
            let block_type = read_u32(&buf[pos..], big_endian);
            let len = read_u32(&buf[pos + 4..], big_endian);
            if len % 4 != 0 || !(12..=MAX_BLOCK).contains(&len) {
                return Scan {
                    end: pos,
                    packets,
                    stop: Stop::Corrupt(format!("block length {len} is invalid")),
                };
            }
            let next = pos + len as usize;
            if next > buf.len() {
                return Scan {
                    end: pos,
                    packets,
                    stop: Stop::Incomplete { need: next },
                };
            }
            let block = &buf[pos..next];
            match block_type {
                SHB => match PcapNgParser::new(block) {
                    Ok(_) => {
                        self.in_section = true;
                        self.section = Arc::new(Section {
                            big_endian,
                            interfaces: Vec::new(),
                        });
                    }
                    Err(e) => {
                        return Scan {
                            end: pos,
                            packets,
                            stop: Stop::Corrupt(format!("bad section header: {e}")),
                        }
                    }
                },
                IDB => match Interface::from_idb(block, big_endian) {
                    // Copied only when a chunk handed out still holds the section (once per
                    // chunk, not once per interface: 200 000 interfaces stay linear).
                    Ok(iface) => Arc::make_mut(&mut self.section).interfaces.push(iface),
                    Err(e) => {
                        return Scan {
                            end: pos,
                            packets,
                            stop: Stop::Corrupt(format!("bad interface description: {e}")),
                        }
                    }
                },
                EPB | OPB | SPB => packets += 1,
                _ => {}
            }
            pos = next;
        }
        Scan {
            end: pos,
            packets,
            stop: Stop::Full,
        }
    }
}

impl Default for Scanner {
    fn default() -> Self {
        Scanner::new()
    }
}

/// An enhanced (6) or obsolete (2) packet block: its fixed fields, options skipped. `None`
/// when the captured length does not fit the block.
fn packet_block<'a>(
    block: &'a [u8],
    block_type: u32,
    section: &Section,
) -> Option<Option<RawPacket<'a>>> {
    let be = section.big_endian;
    if block.len() < 32 {
        return None;
    }
    let interface = if block_type == EPB {
        read_u32(&block[8..], be) as usize
    } else {
        u16_at(block, 8, be) as usize
    };
    let ticks =
        (u64::from(read_u32(&block[12..], be)) << 32) | u64::from(read_u32(&block[16..], be));
    let captured = read_u32(&block[20..], be) as usize;
    let wire_len = read_u32(&block[24..], be);
    if 28 + captured + 4 > block.len() {
        return None;
    }
    Some(section.interfaces.get(interface).and_then(|iface| {
        Some(RawPacket {
            ts_ns: iface.ticks_to_ns(ticks)?,
            linktype: iface.linktype,
            wire_len,
            data: &block[28..28 + captured],
        })
    }))
}

/// Calls `f` for each packet block of a chunk (`None` for a packet that cannot be placed:
/// unknown interface or no timestamp). Returns the number of malformed blocks.
pub fn for_each(
    section: &Section,
    mut data: &[u8],
    mut f: impl FnMut(Option<RawPacket<'_>>),
) -> u64 {
    let be = section.big_endian;
    let mut malformed = 0;
    while data.len() >= 12 {
        let block_type = read_u32(data, be);
        let len = read_u32(&data[4..], be) as usize;
        if len < 12 || len > data.len() {
            // The scanner validated every length; this cannot be a block.
            malformed += 1;
            break;
        }
        let (block, rest) = data.split_at(len);
        data = rest;
        match block_type {
            EPB | OPB => match packet_block(block, block_type, section) {
                Some(packet) => f(packet),
                None => malformed += 1,
            },
            // Simple packet blocks carry no timestamp: they cannot enter a time series.
            SPB => f(None),
            _ => {}
        }
    }
    malformed
}
