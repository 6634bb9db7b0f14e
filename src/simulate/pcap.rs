//! Simulated packets as the records of a header-only pcap (nanosecond time stamps,
//! Ethernet, 96-byte snaplen, as MAWI's traces): Ethernet, IPv4 or IPv6, and the TCP, UDP
//! or ICMP header, the rest of the snaplen zeros. Checksums are left zero.

use super::count::{ETHERNET, SNAPLEN};
use super::packets::Packet;

/// The file header: nanosecond magic, version 2.4, snaplen, Ethernet.
pub fn file_header() -> Vec<u8> {
    let mut h = Vec::with_capacity(24);
    h.extend_from_slice(&0xa1b2_3c4du32.to_le_bytes());
    h.extend_from_slice(&2u16.to_le_bytes());
    h.extend_from_slice(&4u16.to_le_bytes());
    h.extend_from_slice(&[0; 8]);
    h.extend_from_slice(&SNAPLEN.to_le_bytes());
    h.extend_from_slice(&1u32.to_le_bytes());
    h
}

/// Appends the record of `p` to `out`.
pub fn record(p: &Packet, out: &mut Vec<u8>) {
    let wire = p.size + ETHERNET;
    let caplen = wire.min(SNAPLEN);
    let ts = p.ts_ns.max(0) as u64;
    out.extend_from_slice(&((ts / 1_000_000_000) as u32).to_le_bytes());
    out.extend_from_slice(&((ts % 1_000_000_000) as u32).to_le_bytes());
    out.extend_from_slice(&caplen.to_le_bytes());
    out.extend_from_slice(&wire.to_le_bytes());
    let start = out.len();
    out.extend_from_slice(&[0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2]);
    if p.v6 {
        out.extend_from_slice(&[0x86, 0xdd]);
        out.extend_from_slice(&[0x60, 0, 0, 0]);
        out.extend_from_slice(&((p.size - 40) as u16).to_be_bytes());
        out.extend_from_slice(&[p.protocol, 64]);
        out.extend_from_slice(&p.src.to_be_bytes());
        out.extend_from_slice(&p.dst.to_be_bytes());
    } else {
        out.extend_from_slice(&[0x08, 0x00, 0x45, 0]);
        out.extend_from_slice(&(p.size as u16).to_be_bytes());
        out.extend_from_slice(&(p.serial as u16).to_be_bytes());
        out.extend_from_slice(&[0, 0, 64, p.protocol, 0, 0]);
        out.extend_from_slice(&(p.src as u32).to_be_bytes());
        out.extend_from_slice(&(p.dst as u32).to_be_bytes());
    }
    match p.protocol {
        6 => {
            out.extend_from_slice(&p.sport.to_be_bytes());
            out.extend_from_slice(&p.dport.to_be_bytes());
            out.extend_from_slice(&p.serial.to_be_bytes());
            out.extend_from_slice(&[0, 0, 0, 0, 0x50, p.flags, 0xff, 0xff, 0, 0, 0, 0]);
        }
        17 => {
            out.extend_from_slice(&p.sport.to_be_bytes());
            out.extend_from_slice(&p.dport.to_be_bytes());
            let head = if p.v6 { 40 } else { 20 };
            out.extend_from_slice(&((p.size - head) as u16).to_be_bytes());
            out.extend_from_slice(&[0, 0]);
        }
        _ => {
            out.extend_from_slice(&[8, 0, 0, 0]);
            out.extend_from_slice(&p.serial.to_be_bytes());
        }
    }
    // The payload's captured part: zeros up to the snaplen.
    let written = out.len() - start;
    out.resize(start + (caplen as usize).max(written), 0);
    out.truncate(start + caplen as usize);
}
