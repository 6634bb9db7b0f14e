//! Packet decoding: from a captured frame to the fields of one row of the dataset.
//! Link layers are walked by [`link`]; IPv4/IPv6 (with the IPv6 extension-header chain and
//! fragments) are sliced by etherparse's lax slicer, which accepts snaplen-truncated
//! packets such as MAWI's 96-byte header-only records.

pub mod link;
pub mod report;

use etherparse::{err, IpNumber, LaxIpSlice};

/// Why a packet did not become a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Skip {
    /// A link layer payload that is not IP (ARP, LLDP, STP, …).
    NonIp,
    /// The interface's link type is not one ntp decodes.
    UnsupportedLink,
    /// Headers whose contents cannot be right.
    Malformed,
    /// Too few captured bytes to hold the link and IP headers.
    Truncated,
}

/// IP version of a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    V4,
    V6,
}

impl Family {
    pub fn name(self) -> &'static str {
        match self {
            Family::V4 => "IPv4",
            Family::V6 => "IPv6",
        }
    }
}

/// Source and destination addresses, kept as bytes until they are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Addrs {
    V4([u8; 4], [u8; 4]),
    V6([u8; 16], [u8; 16]),
}

/// The decoded fields of one IP packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpPacket {
    pub addrs: Addrs,
    /// Upper-layer protocol number (after the IPv6 extension headers).
    pub protocol: u8,
    /// IPv4 total length, or IPv6 payload length + 40, from the header.
    pub size: u32,
    /// TCP/UDP source and destination ports: none for other protocols, for non-first
    /// fragments, and when the capture cut the transport header.
    pub ports: Option<(u16, u16)>,
    /// The TCP flags byte (CWR … FIN), when the capture holds it: TCP packets that carry
    /// their ports and at least 14 bytes of the TCP header.
    pub tcp_flags: Option<u8>,
}

impl IpPacket {
    pub fn family(&self) -> Family {
        match self.addrs {
            Addrs::V4(..) => Family::V4,
            Addrs::V6(..) => Family::V6,
        }
    }
}

/// Whether an IPv6 packet (`ip`, from its fixed header on) is unfragmented or the first
/// fragment, from its extension-header chain walked here with every index checked.
/// (etherparse 0.21's extension iterator reads out of bounds on some truncated chains —
/// found by `fuzz/` — so it is not used.) A chain cut short counts as a first fragment, as
/// etherparse's lax slicer does.
fn ipv6_first_fragment(ip: &[u8]) -> bool {
    let Some(&first_next) = ip.get(6) else {
        return true;
    };
    let (mut next, mut at) = (first_next, 40usize);
    for _ in 0..32 {
        match next {
            // Hop-by-hop, routing, destination options, mobility, HIP, shim6: 8-octet units.
            0 | 43 | 60 | 135 | 139 | 140 => {
                let (Some(&nh), Some(&len)) = (ip.get(at), ip.get(at + 1)) else {
                    return true;
                };
                next = nh;
                at += (len as usize + 1) * 8;
            }
            // Authentication header: 4-octet units, minus 2.
            51 => {
                let (Some(&nh), Some(&len)) = (ip.get(at), ip.get(at + 1)) else {
                    return true;
                };
                next = nh;
                at += (len as usize + 2) * 4;
            }
            // Fragment header: offset in the upper 13 bits of bytes 2–3.
            44 => {
                return match ip.get(at + 2..at + 4) {
                    Some(b) => u16::from_be_bytes([b[0], b[1]]) >> 3 == 0,
                    None => true,
                };
            }
            _ => return true,
        }
    }
    true
}

/// Decodes one captured frame of the given link type.
#[inline]
pub fn decode(linktype: u32, frame: &[u8]) -> Result<IpPacket, Skip> {
    let ip = link::ip_payload(linktype, frame)?;
    match ip.first().map(|b| b >> 4) {
        Some(4) => match ipv4(ip) {
            Some(decoded) => decoded,
            None => sliced(ip),
        },
        Some(6) => sliced(ip),
        Some(_) => Err(Skip::Malformed),
        None => Err(Skip::Truncated),
    }
}

/// [`decode`] with etherparse slicing IPv4 too: the reference the hand-read IPv4 path is
/// held to (the unit test below and the `decode` fuzz target).
#[doc(hidden)]
pub fn decode_by_etherparse(linktype: u32, frame: &[u8]) -> Result<IpPacket, Skip> {
    let ip = link::ip_payload(linktype, frame)?;
    match ip.first().map(|b| b >> 4) {
        Some(4) | Some(6) => sliced(ip),
        Some(_) => Err(Skip::Malformed),
        None => Err(Skip::Truncated),
    }
}

/// An IPv4 header read by hand, with the checks and fields of etherparse's lax slicer
/// (the test `ipv4_by_hand_equals_etherparse` compares the two on every kind of header):
/// IPv4 is nearly all of a backbone trace and building etherparse's slices for it was a
/// fifth of `aggregate`'s decoding time. `None` (an authentication header to walk) leaves
/// the packet to etherparse.
#[inline]
fn ipv4(ip: &[u8]) -> Option<Result<IpPacket, Skip>> {
    let header_len = usize::from(ip[0] & 0xf) * 4;
    if header_len < 20 {
        return Some(Err(Skip::Malformed));
    }
    let Some(h) = ip.get(..header_len) else {
        return Some(Err(Skip::Truncated));
    };
    let protocol = h[9];
    if protocol == IpNumber::AUTHENTICATION_HEADER.0 {
        return None;
    }
    let total_len = usize::from(u16::from_be_bytes([h[2], h[3]]));
    // The lax slicer's payload: up to the total length when it is plausible, else all
    // that was captured.
    let end = if total_len < header_len || total_len > ip.len() {
        ip.len()
    } else {
        total_len
    };
    let payload = &ip[header_len..end];
    let first_fragment = u16::from_be_bytes([h[6], h[7]]) & 0x1fff == 0;
    let ports = ports(protocol, first_fragment, payload);
    Some(Ok(IpPacket {
        addrs: Addrs::V4([h[12], h[13], h[14], h[15]], [h[16], h[17], h[18], h[19]]),
        protocol,
        size: total_len as u32,
        ports,
        tcp_flags: tcp_flags(protocol, ports.is_some(), payload),
    }))
}

/// TCP/UDP ports from the start of the transport header, when the packet carries it whole.
#[inline]
fn ports(protocol: u8, first_fragment: bool, payload: &[u8]) -> Option<(u16, u16)> {
    match payload {
        [a, b, c, d, ..]
            if (protocol == IpNumber::TCP.0 || protocol == IpNumber::UDP.0) && first_fragment =>
        {
            Some((u16::from_be_bytes([*a, *b]), u16::from_be_bytes([*c, *d])))
        }
        _ => None,
    }
}

/// The flags byte of a TCP header whose ports were read, when its first 14 bytes were captured.
#[inline]
fn tcp_flags(protocol: u8, has_ports: bool, payload: &[u8]) -> Option<u8> {
    match payload.get(13) {
        Some(&f) if protocol == IpNumber::TCP.0 && has_ports => Some(f),
        _ => None,
    }
}

/// An IP packet (IPv4 or IPv6, from its first byte on) sliced by etherparse.
fn sliced(ip: &[u8]) -> Result<IpPacket, Skip> {
    let (slice, _stop) = LaxIpSlice::from_slice(ip).map_err(|e| match e {
        err::ip::LaxHeaderSliceError::Len(_) => Skip::Truncated,
        err::ip::LaxHeaderSliceError::Content(_) => Skip::Malformed,
    })?;
    let payload = slice.payload();
    let protocol = payload.ip_number;
    let (addrs, size, first_fragment) = match &slice {
        LaxIpSlice::Ipv4(v4) => {
            let h = v4.header();
            (
                Addrs::V4(h.source(), h.destination()),
                u32::from(h.total_len()),
                h.fragments_offset().value() == 0,
            )
        }
        LaxIpSlice::Ipv6(v6) => {
            let h = v6.header();
            let first = !v6.is_payload_fragmented() || ipv6_first_fragment(ip);
            (
                Addrs::V6(h.source(), h.destination()),
                u32::from(h.payload_length()) + 40,
                first,
            )
        }
    };
    let ports = ports(protocol.0, first_fragment, payload.payload);
    Ok(IpPacket {
        addrs,
        protocol: protocol.0,
        size,
        ports,
        tcp_flags: tcp_flags(protocol.0, ports.is_some(), payload.payload),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An IPv6/UDP packet behind a fragment header with the given offset (8-octet units).
    fn v6_fragment(offset: u16) -> Vec<u8> {
        let mut p = vec![0x60, 0, 0, 0, 0, 16, 44, 64];
        p.extend(
            [0x20, 0x01, 0x0d, 0xb8]
                .iter()
                .chain(&[0u8; 11])
                .chain(&[1]),
        );
        p.extend(
            [0x20, 0x01, 0x0d, 0xb8]
                .iter()
                .chain(&[0u8; 11])
                .chain(&[2]),
        );
        p.extend([17, 0]);
        p.extend((offset << 3).to_be_bytes());
        p.extend([0, 0, 0, 1]);
        p.extend([0x12, 0x34, 0x00, 0x35, 0, 8, 0, 0]);
        p
    }

    #[test]
    fn ipv4_by_hand_equals_etherparse() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut compared = 0;
        for _ in 0..200_000 {
            let ihl: u8 = if rng.random_bool(0.7) {
                5
            } else {
                rng.random_range(0..16)
            };
            let mut p = vec![0u8; rng.random_range(1..80)];
            rng.fill(&mut p[..]);
            p[0] = 0x40 | ihl;
            if p.len() > 9 {
                p[9] = [6, 17, 1, 51, 47, rng.random()][rng.random_range(0..6)];
            }
            if p.len() > 7 && rng.random_bool(0.6) {
                p[6] &= 0xe0;
                p[7] = 0;
            }
            if p.len() > 3 && rng.random_bool(0.5) {
                let t = rng.random_range(0..100u16);
                p[2..4].copy_from_slice(&t.to_be_bytes());
            }
            if let Some(by_hand) = ipv4(&p) {
                assert_eq!(by_hand, sliced(&p), "{p:02x?}");
                compared += 1;
            }
        }
        assert!(compared > 150_000);
    }

    #[test]
    fn ipv6_fragments_carry_ports_only_when_first() {
        let first = decode(101, &v6_fragment(0)).unwrap();
        assert_eq!((first.protocol, first.ports), (17, Some((0x1234, 53))));
        let later = decode(101, &v6_fragment(3)).unwrap();
        assert_eq!((later.protocol, later.ports), (17, None));
        assert!(ipv6_first_fragment(&v6_fragment(0)));
        assert!(!ipv6_first_fragment(&v6_fragment(3)));
        // Cut inside the chain: no fragment header to read.
        assert!(ipv6_first_fragment(&v6_fragment(3)[..41]));
    }

    #[test]
    fn fuzz_found_truncated_extension_chain_is_decoded_without_etherparse_iterator() {
        // tests/data/fuzz/decode-ipv6-truncated-extension-chain: selector byte 0 (Ethernet),
        // then a frame whose IPv6 extension chain etherparse 0.21 read out of bounds.
        let bytes = include_bytes!("../../tests/data/fuzz/decode-ipv6-truncated-extension-chain");
        let frame = &bytes[1..];
        let got = decode(1, frame);
        let ip = &frame[14..];
        // The fragment header right after the fixed header: offset field of bytes 42–43.
        let offset = u16::from_be_bytes([ip[42], ip[43]]) >> 3;
        assert_eq!(ip[6], 44, "a fragment header follows");
        match got {
            Ok(p) => assert_eq!(
                p.ports.is_some(),
                offset == 0 && matches!(p.protocol, 6 | 17)
            ),
            Err(e) => assert!(matches!(e, Skip::Truncated | Skip::Malformed), "{e:?}"),
        }
    }

    /// A minimal IPv4/UDP header (20 + 8 bytes), total length 28 + `payload`.
    fn ipv4_udp(payload: u16) -> Vec<u8> {
        let total = 28 + payload;
        let mut v = vec![
            0x45,
            0,
            (total >> 8) as u8,
            total as u8,
            0,
            1,
            0,
            0,
            64,
            17,
            0,
            0,
            10,
            0,
            0,
            1,
            10,
            0,
            0,
            2,
        ];
        v.extend_from_slice(&[0x30, 0x39, 0x00, 0x35, 0, 8, 0, 0]);
        v
    }

    #[test]
    fn bsd_null_in_either_byte_order() {
        for family in [[2, 0, 0, 0], [0, 0, 0, 2], [30, 0, 0, 0]] {
            let mut f = family.to_vec();
            f.extend(if family[0] == 30 {
                vec![0x60; 1]
            } else {
                ipv4_udp(0)
            });
            let r = decode(link::linktype::NULL, &f);
            if family[0] == 30 {
                assert_eq!(r, Err(Skip::Truncated), "IPv6 family, 1 byte of header");
            } else {
                assert_eq!(r.unwrap().ports, Some((12345, 53)));
            }
        }
    }

    #[test]
    fn snaplen_cut_packet_keeps_header_length() {
        // Header says 1500 bytes; only the 28 header bytes were captured (MAWI-style).
        let mut ip = ipv4_udp(1472);
        ip.truncate(28);
        let p = decode(link::linktype::RAW, &ip).unwrap();
        assert_eq!(p.size, 1500);
        assert_eq!(p.ports, Some((12345, 53)));
    }

    #[test]
    fn later_fragment_has_no_ports() {
        let mut ip = ipv4_udp(0);
        ip[6] = 0x00;
        ip[7] = 0x10; // fragment offset 16 × 8 bytes
        let p = decode(link::linktype::RAW, &ip).unwrap();
        assert_eq!(p.ports, None);
        assert_eq!(p.protocol, 17);
    }

    #[test]
    fn pppoe_and_non_ip() {
        let mut eth = vec![0u8; 12];
        eth.extend_from_slice(&[0x88, 0x64, 0x11, 0x00, 0x00, 0x01, 0x00, 0x1e, 0x00, 0x21]);
        eth.extend(ipv4_udp(0));
        assert_eq!(decode(link::linktype::ETHERNET, &eth).unwrap().size, 28);
        let mut arp = vec![0u8; 12];
        arp.extend_from_slice(&[0x08, 0x06, 0, 1]);
        assert_eq!(decode(link::linktype::ETHERNET, &arp), Err(Skip::NonIp));
        assert_eq!(decode(147, &arp), Err(Skip::UnsupportedLink));
        assert_eq!(
            decode(link::linktype::ETHERNET, &arp[..10]),
            Err(Skip::Truncated)
        );
    }
}
