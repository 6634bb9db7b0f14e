//! Link layers, walked by hand down to the IP header: etherparse has no MPLS, Linux SLL2
//! or BSD loopback slicer, and this walk is the per-packet hot path.

use super::Skip;

/// LINKTYPE_ values (tcpdump.org/linktypes.html) that ntp decodes.
pub mod linktype {
    pub const NULL: u32 = 0;
    pub const ETHERNET: u32 = 1;
    pub const RAW_OPENBSD: u32 = 12;
    pub const RAW_BSDOS: u32 = 14;
    pub const RAW: u32 = 101;
    pub const LOOP: u32 = 108;
    pub const LINUX_SLL: u32 = 113;
    pub const IPV4: u32 = 228;
    pub const IPV6: u32 = 229;
    pub const LINUX_SLL2: u32 = 276;
}

const ETH_IPV4: u16 = 0x0800;
const ETH_IPV6: u16 = 0x86dd;
const ETH_VLAN: u16 = 0x8100;
const ETH_QINQ: u16 = 0x88a8;
const ETH_QINQ_OLD: u16 = 0x9100;
const ETH_QINQ_OLD2: u16 = 0x9200;
const ETH_MPLS: u16 = 0x8847;
const ETH_MPLS_MC: u16 = 0x8848;
const ETH_PPPOE: u16 = 0x8864;

#[inline]
fn be16(b: &[u8]) -> u16 {
    u16::from_be_bytes([b[0], b[1]])
}

/// Returns the bytes from the start of the IP header.
#[inline]
pub fn ip_payload(linktype: u32, data: &[u8]) -> Result<&[u8], Skip> {
    match linktype {
        linktype::ETHERNET => {
            if data.len() < 14 {
                return Err(Skip::Truncated);
            }
            by_ethertype(be16(&data[12..]), &data[14..])
        }
        linktype::LINUX_SLL => {
            if data.len() < 16 {
                return Err(Skip::Truncated);
            }
            by_ethertype(be16(&data[14..]), &data[16..])
        }
        linktype::LINUX_SLL2 => {
            if data.len() < 20 {
                return Err(Skip::Truncated);
            }
            by_ethertype(be16(data), &data[20..])
        }
        linktype::NULL | linktype::LOOP => {
            if data.len() < 4 {
                return Err(Skip::Truncated);
            }
            let raw = [data[0], data[1], data[2], data[3]];
            // DLT_NULL stores the family in the capturing host's byte order; DLT_LOOP in
            // network order. Families are small numbers, so the right order is obvious.
            let family = if linktype == linktype::LOOP {
                u32::from_be_bytes(raw)
            } else {
                let le = u32::from_le_bytes(raw);
                if le & 0xffff_0000 == 0 {
                    le
                } else {
                    u32::from_be_bytes(raw)
                }
            };
            match family {
                // AF_INET everywhere; AF_INET6 on NetBSD/OpenBSD (24), FreeBSD (28), Darwin (30).
                2 | 24 | 28 | 30 => Ok(&data[4..]),
                _ => Err(Skip::NonIp),
            }
        }
        linktype::RAW
        | linktype::RAW_OPENBSD
        | linktype::RAW_BSDOS
        | linktype::IPV4
        | linktype::IPV6 => Ok(data),
        _ => Err(Skip::UnsupportedLink),
    }
}

#[inline]
fn by_ethertype(mut ethertype: u16, mut rest: &[u8]) -> Result<&[u8], Skip> {
    loop {
        match ethertype {
            ETH_IPV4 | ETH_IPV6 => return Ok(rest),
            ETH_VLAN | ETH_QINQ | ETH_QINQ_OLD | ETH_QINQ_OLD2 => {
                if rest.len() < 4 {
                    return Err(Skip::Truncated);
                }
                ethertype = be16(&rest[2..]);
                rest = &rest[4..];
            }
            ETH_MPLS | ETH_MPLS_MC => {
                loop {
                    if rest.len() < 4 {
                        return Err(Skip::Truncated);
                    }
                    let bottom = rest[2] & 1 == 1;
                    rest = &rest[4..];
                    if bottom {
                        break;
                    }
                }
                // No payload type in MPLS: the IP version nibble tells, as for tshark.
                return match rest.first().map(|b| b >> 4) {
                    Some(4) | Some(6) => Ok(rest),
                    Some(_) => Err(Skip::NonIp),
                    None => Err(Skip::Truncated),
                };
            }
            ETH_PPPOE => {
                if rest.len() < 8 {
                    return Err(Skip::Truncated);
                }
                return match be16(&rest[6..]) {
                    0x0021 | 0x0057 => Ok(&rest[8..]),
                    _ => Err(Skip::NonIp),
                };
            }
            _ => return Err(Skip::NonIp),
        }
    }
}
