//! pcapng: sections of either byte order, several interfaces each with its own link type,
//! `if_tsresol` and `if_tsoffset`. Block parsing is pcap-file's; we add per-interface
//! timestamp scaling (pcap-file reads EPB ticks as nanoseconds whatever `if_tsresol` says)
//! and length sanity checks (a corrupt length must not make us read to the end of the file).

use std::sync::Arc;

use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::{Block, PcapNgParser};

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

impl Interface {
    fn from_idb(idb: &InterfaceDescriptionBlock<'_>) -> Interface {
        let mut iface = Interface {
            linktype: u32::from(idb.linktype) & 0x0fff_ffff,
            tsresol: 6,
            tsoffset: 0,
        };
        for opt in &idb.options {
            match opt {
                InterfaceDescriptionOption::IfTsResol(v) => iface.tsresol = *v,
                InterfaceDescriptionOption::IfTsOffset(v) => iface.tsoffset = *v as i64,
                _ => {}
            }
        }
        iface
    }

    /// Converts raw timestamp ticks into nanoseconds since the epoch.
    #[inline]
    pub fn ticks_to_ns(&self, ticks: u64) -> i64 {
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
        (ns + self.tsoffset as i128 * 1_000_000_000) as i64
    }
}

/// The section a chunk of blocks belongs to: its header (for byte order) and interfaces.
#[derive(Debug)]
pub struct Section {
    shb: Vec<u8>,
    pub big_endian: bool,
    pub interfaces: Vec<Interface>,
}

/// Walks pcapng blocks, keeping the section state up to date.
pub struct Scanner {
    parser: Option<PcapNgParser>,
    section: Arc<Section>,
}

impl Scanner {
    pub fn new() -> Scanner {
        Scanner {
            parser: None,
            section: Arc::new(Section {
                shb: Vec::new(),
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
                if self.parser.is_none() {
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
                    Ok((_, parser)) => {
                        self.parser = Some(parser);
                        self.section = Arc::new(Section {
                            shb: block.to_vec(),
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
                IDB => {
                    let parser = self.parser.as_mut().expect("checked above");
                    if let Err(e) = parser.next_raw_block(block) {
                        return Scan {
                            end: pos,
                            packets,
                            stop: Stop::Corrupt(format!("bad interface description: {e}")),
                        };
                    }
                    let interfaces = parser
                        .interfaces()
                        .iter()
                        .map(Interface::from_idb)
                        .collect();
                    self.section = Arc::new(Section {
                        shb: self.section.shb.clone(),
                        big_endian,
                        interfaces,
                    });
                }
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

/// Calls `f` for each packet block of a chunk (`None` for a packet that cannot be placed:
/// unknown interface or no timestamp). Returns the number of malformed blocks.
pub fn for_each(
    section: &Section,
    mut data: &[u8],
    mut f: impl FnMut(Option<RawPacket<'_>>),
) -> u64 {
    let Ok((_, mut parser)) = PcapNgParser::new(&section.shb) else {
        return 0;
    };
    let mut malformed = 0;
    while !data.is_empty() {
        let len = if data.len() >= 8 {
            read_u32(&data[4..], section.big_endian) as usize
        } else {
            data.len()
        };
        match parser.next_block(data) {
            Ok((rem, block)) => {
                data = rem;
                match block {
                    Block::EnhancedPacket(epb) => {
                        let packet =
                            section
                                .interfaces
                                .get(epb.interface_id as usize)
                                .map(|iface| RawPacket {
                                    ts_ns: iface.ticks_to_ns(epb.timestamp.as_nanos() as u64),
                                    linktype: iface.linktype,
                                    wire_len: epb.original_len,
                                    data: borrowed(&epb.data),
                                });
                        f(packet)
                    }
                    Block::Packet(pb) => {
                        let packet =
                            section
                                .interfaces
                                .get(pb.interface_id as usize)
                                .map(|iface| RawPacket {
                                    ts_ns: iface.ticks_to_ns(pb.timestamp),
                                    linktype: iface.linktype,
                                    wire_len: pb.original_len,
                                    data: borrowed(&pb.data),
                                });
                        f(packet)
                    }
                    // Simple packet blocks carry no timestamp: they cannot enter a time series.
                    Block::SimplePacket(_) => f(None),
                    _ => {}
                }
            }
            Err(_) => {
                // A block whose inside is inconsistent (e.g. captured length past the block):
                // skip it by its validated total length.
                malformed += 1;
                if len < 12 || len > data.len() {
                    break;
                }
                data = &data[len..];
            }
        }
    }
    malformed
}

/// pcap-file hands packet data out as `Cow`; parsing from a slice always borrows.
fn borrowed<'a>(data: &std::borrow::Cow<'a, [u8]>) -> &'a [u8] {
    match data {
        std::borrow::Cow::Borrowed(b) => b,
        std::borrow::Cow::Owned(_) => &[],
    }
}
