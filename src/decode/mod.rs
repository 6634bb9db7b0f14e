//! Packet decoding: from a captured frame to the fields of one row of the dataset.
//! Link layers are walked by [`link`]; IPv4/IPv6 (with the IPv6 extension-header chain and
//! fragments) are sliced by etherparse's lax slicer, which accepts snaplen-truncated
//! packets such as MAWI's 96-byte header-only records.

pub mod link;

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
