//! Web server access logs as a series source (the NASA-HTTP study's input): Common and
//! Combined Log Format lines,
//! `host ident user [10/Oct/1995:13:55:36 -0400] "GET /x HTTP/1.0" 200 2326 ["ref" "agent"]`,
//! plain or gzip, counted per interval: requests, bytes, distinct hosts, 4xx and 5xx
//! responses. A line that is not such a line is counted and reported, never fatal; a byte
//! count of `-` is zero bytes.

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, Read};
use std::path::Path;

use crate::error::{Error, Result};

/// The columns of an access-log series, after `timestamp`.
pub const COLUMNS: [&str; 5] = ["requests", "bytes", "hosts", "status_4xx", "status_5xx"];

/// One parsed line: time (ns since the epoch, UTC), host, status, bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request<'a> {
    pub ns: i64,
    pub host: &'a str,
    pub status: u16,
    pub bytes: u64,
}

/// The counts of one interval.
#[derive(Clone, Debug, Default)]
struct Counts {
    requests: u64,
    bytes: u64,
    hosts: HashSet<String>,
    status_4xx: u64,
    status_5xx: u64,
}

/// An access log counted per interval.
#[derive(Clone, Debug)]
pub struct AccessSeries {
    pub every_ns: i64,
    /// Interval starts, first to last (every interval, empty ones as zeros).
    pub start_ns: Vec<i64>,
    /// Per interval: requests, bytes, hosts, 4xx, 5xx.
    pub rows: Vec<[u64; 5]>,
    /// Lines read, and those that were not log lines (with the first such line's number).
    pub lines: u64,
    pub malformed: u64,
    pub first_malformed: Option<u64>,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `10/Oct/1995:13:55:36 -0400` in ns since the epoch (UTC).
fn clf_time(t: &str) -> Option<i64> {
    let (stamp, zone) = t.split_once(' ')?;
    let mut parts = stamp.splitn(4, [':', '/']);
    let day: u32 = parts.next()?.parse().ok()?;
    let name = parts.next()?;
    let month = MONTHS.iter().position(|m| *m == name)? as u32 + 1;
    let rest = parts.next()?;
    let (year, clock) = (rest.parse::<i32>().ok()?, parts.next()?);
    let time = chrono::NaiveTime::parse_from_str(clock, "%H:%M:%S").ok()?;
    let date = chrono::NaiveDate::from_ymd_opt(year, month, day)?;
    let zone = zone.as_bytes();
    if zone.len() != 5 || !matches!(zone[0], b'+' | b'-') {
        return None;
    }
    let digits = std::str::from_utf8(&zone[1..]).ok()?;
    let hhmm: i64 = digits.parse().ok()?;
    let offset = (hhmm / 100 * 3600 + hhmm % 100 * 60) * if zone[0] == b'-' { -1 } else { 1 };
    let local = date.and_time(time).and_utc().timestamp();
    (local - offset).checked_mul(1_000_000_000)
}

/// One line of the Common or Combined Log Format, or `None`. The request may hold quotes
/// (NASA's log has some): it ends at the last `" DDD N` of the line's head.
pub fn parse_line(line: &str) -> Option<Request<'_>> {
    let host = line.split(' ').next().filter(|h| !h.is_empty())?;
    let open = line.find('[')?;
    let close = open + line[open..].find(']')?;
    let ns = clf_time(&line[open + 1..close])?;
    let after = line[close + 1..].strip_prefix(" \"")?;
    // The status and bytes follow the request's closing quote: `" 200 2326`.
    let tail = after
        .match_indices("\" ")
        .map(|(i, _)| &after[i + 2..])
        .find(|t| {
            let b = t.as_bytes();
            b.len() >= 5 && b[..3].iter().all(u8::is_ascii_digit) && b[3] == b' '
        })?;
    let status: u16 = tail[..3].parse().ok()?;
    let bytes_text = tail[4..].split(' ').next()?;
    let bytes = match bytes_text {
        "-" => 0,
        b => b.parse().ok()?,
    };
    Some(Request {
        ns,
        host,
        status,
        bytes,
    })
}

/// Whether `path` looks like an access log: a regular file (a FIFO or a device is never
/// probed: what the probe read would be lost to the capture reader) whose first non-empty
/// line (after gzip, if it is compressed) parses as one.
pub fn is_access_log(path: &Path) -> bool {
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return false;
    }
    let Ok(reader) = open(path) else {
        return false;
    };
    let mut first = String::new();
    for line in reader.take(1 << 16).lines() {
        match line {
            Ok(l) if l.trim().is_empty() => continue,
            Ok(l) => {
                first = l;
                break;
            }
            Err(_) => return false,
        }
    }
    parse_line(&first).is_some()
}

/// The log's lines, through gzip when it starts with gzip's magic.
fn open(path: &Path) -> Result<Box<dyn BufRead>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut raw = std::io::BufReader::new(file);
    let gzip = raw
        .fill_buf()
        .map_err(|e| Error::io(path, e))?
        .starts_with(&[0x1f, 0x8b]);
    Ok(if gzip {
        Box::new(std::io::BufReader::new(flate2::read::MultiGzDecoder::new(
            raw,
        )))
    } else {
        Box::new(raw)
    })
}

/// Counts `path` per interval of `every_ns`.
pub fn read(path: &Path, every_ns: i64) -> Result<AccessSeries> {
    let mut by_interval: BTreeMap<i64, Counts> = BTreeMap::new();
    let (mut lines, mut malformed, mut first_malformed) = (0u64, 0u64, None);
    let mut buf = Vec::new();
    let mut reader = open(path)?;
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        lines += 1;
        let text = String::from_utf8_lossy(&buf);
        let text = text.trim_end_matches(['\n', '\r']);
        if text.trim().is_empty() {
            continue;
        }
        let Some(r) = parse_line(text) else {
            malformed += 1;
            first_malformed.get_or_insert(lines);
            continue;
        };
        let c = by_interval.entry(r.ns.div_euclid(every_ns)).or_default();
        c.requests += 1;
        c.bytes += r.bytes;
        if !c.hosts.contains(r.host) {
            c.hosts.insert(r.host.to_string());
        }
        c.status_4xx += u64::from((400..500).contains(&r.status));
        c.status_5xx += u64::from((500..600).contains(&r.status));
    }
    let (Some(&lo), Some(&hi)) = (by_interval.keys().next(), by_interval.keys().last()) else {
        return Err(Error::Dataset {
            path: path.to_owned(),
            message: format!("no access-log line among its {lines} lines"),
        });
    };
    super::aggregate::check_span(path, lo, hi, every_ns)?;
    super::aggregate::check_density(path, lo, hi, every_ns, by_interval.len())?;
    let mut rows = Vec::with_capacity((hi - lo + 1) as usize);
    for k in lo..=hi {
        rows.push(by_interval.remove(&k).map_or([0; 5], |c| {
            [
                c.requests,
                c.bytes,
                c.hosts.len() as u64,
                c.status_4xx,
                c.status_5xx,
            ]
        }));
    }
    Ok(AccessSeries {
        every_ns,
        start_ns: (lo..=hi).map(|k| k * every_ns).collect(),
        rows,
        lines,
        malformed,
        first_malformed,
    })
}

impl AccessSeries {
    /// The line that says how many lines were not log lines (`None` when all were).
    pub fn malformed_warning(&self, path: &Path) -> Option<String> {
        (self.malformed > 0).then(|| {
            format!(
                "{}: {} of {} lines are not Common/Combined Log Format lines (the first: line {}); not counted",
                path.display(),
                self.malformed,
                self.lines,
                self.first_malformed.unwrap_or(0)
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_and_combined_lines_and_odd_ones() {
        let r = parse_line(
            r#"199.72.81.55 - - [01/Jul/1995:00:00:01 -0400] "GET /history/apollo/ HTTP/1.0" 200 6245"#,
        )
        .unwrap();
        assert_eq!(r.host, "199.72.81.55");
        assert_eq!((r.status, r.bytes), (200, 6245));
        // 1995-07-01T04:00:01Z.
        assert_eq!(r.ns, 804_571_201_000_000_000);
        let c = parse_line(
            r#"10.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0" 404 - "http://x/" "Mozilla/4.08""#,
        )
        .unwrap();
        assert_eq!((c.status, c.bytes), (404, 0));
        // A request with a quote inside, as NASA's log has.
        let q =
            parse_line(r#"h - - [01/Jul/1995:00:00:01 +0000] "GET /a"b HTTP/1.0" 500 12"#).unwrap();
        assert_eq!((q.status, q.bytes), (500, 12));
        for bad in [
            "",
            "garbage",
            r#"h - - [01/Jul/1995:00:00:01] "GET /" 200 1"#,
            r#"h - - [32/Jul/1995:00:00:01 +0000] "GET /" 200 1"#,
            r#"h - - [01/Jul/1995:00:00:01 +0000] "GET /" 2000 1"#,
        ] {
            assert!(parse_line(bad).is_none(), "{bad}");
        }
    }
}
