//! Packet decoding: from a captured frame to the fields of one row of the dataset.
//! Link layers are walked by [`link`]; IPv4/IPv6 (with the IPv6 extension-header chain and
//! fragments) are sliced by etherparse's lax slicer, which accepts snaplen-truncated
//! packets such as MAWI's 96-byte header-only records.

pub mod link;
pub mod report;

use etherparse::{err, IpNumber, Ipv6ExtensionSlice, LaxIpSlice};

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
}

impl IpPacket {
    pub fn family(&self) -> Family {
        match self.addrs {
            Addrs::V4(..) => Family::V4,
            Addrs::V6(..) => Family::V6,
        }
    }
}

/// Decodes one captured frame of the given link type.
#[inline]
pub fn decode(linktype: u32, frame: &[u8]) -> Result<IpPacket, Skip> {
    let ip = link::ip_payload(linktype, frame)?;
    match ip.first().map(|b| b >> 4) {
        Some(4) | Some(6) => {}
        Some(_) => return Err(Skip::Malformed),
        None => return Err(Skip::Truncated),
    }
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
            let first = !v6.is_payload_fragmented()
                || v6.extensions().clone().into_iter().all(|ext| match ext {
                    Ipv6ExtensionSlice::Fragment(f) => f.fragment_offset().value() == 0,
                    _ => true,
                });
            (
                Addrs::V6(h.source(), h.destination()),
                u32::from(h.payload_length()) + 40,
                first,
            )
        }
    };
    let ports = if (protocol == IpNumber::TCP || protocol == IpNumber::UDP)
        && first_fragment
        && payload.payload.len() >= 4
    {
        let p = payload.payload;
        Some((
            u16::from_be_bytes([p[0], p[1]]),
            u16::from_be_bytes([p[2], p[3]]),
        ))
    } else {
        None
    };
    Ok(IpPacket {
        addrs,
        protocol: protocol.0,
        size,
        ports,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
