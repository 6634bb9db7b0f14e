//! Calendar arithmetic and RFC 3339 UTC text of nanosecond timestamps (written by hand:
//! the one formatting loop of a million-row CSV must not allocate, and the dates are all
//! the calendar ntp needs).

/// Days since 1970-01-01 → (year, month, day), Howard Hinnant's algorithm.
/// Nanoseconds in a (UTC, leap-second-free) day.
pub const DAY_NS: i64 = 86_400_000_000_000;

pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// RFC 3339 UTC text of a nanosecond timestamp, to the millisecond (summaries).
pub fn iso_millis(ns: i64) -> String {
    let secs = ns.div_euclid(1_000_000_000);
    let nanos = ns.rem_euclid(1_000_000_000);
    let days = secs.div_euclid(86_400);
    let tod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        tod / 3600,
        tod / 60 % 60,
        tod % 60,
        nanos / 1_000_000
    )
}

/// Writes `ns` as `YYYY-MM-DDTHH:MM:SS[.nnnnnnnnn]Z` into `b`, nanoseconds only when not
/// whole seconds; returns the length.
pub fn timestamp_bytes(ns: i64, b: &mut [u8; 30]) -> usize {
    let secs = ns.div_euclid(1_000_000_000);
    let frac = ns.rem_euclid(1_000_000_000);
    let (y, mo, d) = civil_from_days(secs.div_euclid(86_400));
    let tod = secs.rem_euclid(86_400);
    let mut put = |at: usize, v: i64, width: usize| {
        let mut v = v;
        for i in (0..width).rev() {
            b[at + i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, y, 4);
    put(5, mo as i64, 2);
    put(8, d as i64, 2);
    put(11, tod / 3600, 2);
    put(14, tod / 60 % 60, 2);
    put(17, tod % 60, 2);
    put(20, frac, 9);
    (b[4], b[7], b[10], b[13], b[16], b[19]) = (b'-', b'-', b'T', b':', b':', b'.');
    let end = if frac == 0 { 19 } else { 29 };
    b[end] = b'Z';
    end + 1
}

/// A timestamp as text (see [`timestamp_bytes`]).
pub fn timestamp_text(ns: i64) -> String {
    let mut b = [0u8; 30];
    let n = timestamp_bytes(ns, &mut b);
    String::from_utf8_lossy(&b[..n]).into_owned()
}

/// "time since 2017-10-01 18:48:36 UTC": the label of a time axis starting at `ns`.
pub fn axis_origin(ns: i64) -> String {
    timestamp_text(ns).replace('T', " ").replace('Z', " UTC")
}

/// A duration as polars writes it: the largest unit that divides it (`1s`, `100ms`, `5m`).
pub fn duration_text(ns: i64) -> String {
    const UNITS: [(i64, &str); 7] = [
        (604_800_000_000_000, "w"),
        (86_400_000_000_000, "d"),
        (3_600_000_000_000, "h"),
        (60_000_000_000, "m"),
        (1_000_000_000, "s"),
        (1_000_000, "ms"),
        (1_000, "us"),
    ];
    for (u, name) in UNITS {
        if ns != 0 && ns % u == 0 {
            return format!("{}{name}", ns / u);
        }
    }
    format!("{ns}ns")
}

/// Parses a time stamp: epoch seconds (integer or decimal) or ISO 8601 / RFC 3339
/// (`2014-04-10 00:04:00`, `2014-04-10T00:04:00.5Z`, `…+02:00`, `2014-04-10`); times
/// without an offset are UTC. Nanoseconds since the epoch.
pub fn parse_time(text: &str) -> Option<i64> {
    match parse_stamp(text)? {
        Stamp::Instant(ns) => Some(ns),
        Stamp::Naive(d) => d.and_utc().timestamp_nanos_opt(),
    }
}

/// A time as written: an instant (epoch seconds, or ISO 8601 with an offset or `Z`), or a
/// wall-clock time with no offset, whose instant depends on the zone it was read in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stamp {
    Instant(i64),
    Naive(chrono::NaiveDateTime),
}

/// Reads a time as [`Stamp`]: epoch seconds (integer or fractional), RFC 3339, ISO 8601 with
/// a space and an offset, or one with no offset (date and time, or a date alone).
pub fn parse_stamp(text: &str) -> Option<Stamp> {
    use chrono::{DateTime, NaiveDate, NaiveDateTime};
    let t = text.trim();
    if let Ok(secs) = t.parse::<i64>() {
        return secs.checked_mul(1_000_000_000).map(Stamp::Instant);
    }
    if let Ok(secs) = t.parse::<f64>() {
        let ns = (secs * 1e9).round();
        return (ns.is_finite() && ns.abs() < 9.2e18).then_some(Stamp::Instant(ns as i64));
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return d.timestamp_nanos_opt().map(Stamp::Instant);
    }
    for f in ["%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%d %H:%M:%S%z"] {
        if let Ok(d) = DateTime::parse_from_str(t, f) {
            return d.timestamp_nanos_opt().map(Stamp::Instant);
        }
    }
    for f in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(t, f) {
            return Some(Stamp::Naive(d));
        }
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(Stamp::Naive)
}

/// How a wall-clock time was placed in its zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Local {
    /// One instant has that wall-clock time.
    Single,
    /// The repeated hour of a change back (autumn): the earlier instant, unless the row
    /// before is already at or past it (then the later one).
    Repeated,
    /// The skipped hour of a change forward (spring): read with the offset in force before
    /// the change.
    Skipped,
}

/// The instant of wall-clock time `d` in `zone`, given the instant of the row before
/// (`previous`), and how it was placed.
pub fn local_instant(
    d: chrono::NaiveDateTime,
    zone: chrono_tz::Tz,
    previous: Option<i64>,
) -> Option<(i64, Local)> {
    use chrono::{LocalResult, TimeZone};
    match zone.from_local_datetime(&d) {
        LocalResult::Single(t) => Some((t.timestamp_nanos_opt()?, Local::Single)),
        LocalResult::Ambiguous(a, b) => {
            let (a, b) = (a.timestamp_nanos_opt()?, b.timestamp_nanos_opt()?);
            let pick = if previous.is_some_and(|p| p >= a) {
                b
            } else {
                a
            };
            Some((pick, Local::Repeated))
        }
        LocalResult::None => {
            let hour = chrono::TimeDelta::hours(1);
            let before = zone.from_local_datetime(&(d - hour)).earliest()?;
            Some(((before + hour).timestamp_nanos_opt()?, Local::Skipped))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_across_dst_changes() {
        let zone: chrono_tz::Tz = "America/New_York".parse().unwrap();
        let naive = |t: &str| match parse_stamp(t) {
            Some(Stamp::Naive(d)) => d,
            other => panic!("{other:?}"),
        };
        let at = |t: &str| parse_time(t).unwrap();
        // Autumn 2020: 01:00 EDT (05:00Z), then 01:00 EST (06:00Z).
        let (first, how) = local_instant(naive("2020-11-01 01:00:00"), zone, None).unwrap();
        assert_eq!((first, how), (at("2020-11-01T05:00:00Z"), Local::Repeated));
        let (second, _) = local_instant(naive("2020-11-01 01:00:00"), zone, Some(first)).unwrap();
        assert_eq!(second, at("2020-11-01T06:00:00Z"));
        // Spring 2020: 02:30 does not exist; read with EST, it is 07:30Z.
        let (gap, how) = local_instant(naive("2020-03-08 02:30:00"), zone, None).unwrap();
        assert_eq!((gap, how), (at("2020-03-08T07:30:00Z"), Local::Skipped));
        let (after, how) = local_instant(naive("2020-03-08 03:00:00"), zone, None).unwrap();
        assert_eq!((after, how), (at("2020-03-08T07:00:00Z"), Local::Single));
        assert_eq!(
            parse_stamp("2020-11-01T01:00:00-05:00"),
            Some(Stamp::Instant(at("2020-11-01T06:00:00Z")))
        );
    }

    #[test]
    fn durations_and_parsed_times() {
        assert_eq!(duration_text(1_000_000_000), "1s");
        assert_eq!(duration_text(300_000_000_000), "5m");
        assert_eq!(duration_text(100_000_000), "100ms");
        assert_eq!(duration_text(1_500), "1500ns");
        let t = 1_397_088_240_000_000_000; // 2014-04-10 00:04:00 UTC
        assert_eq!(parse_time("2014-04-10 00:04:00"), Some(t));
        assert_eq!(parse_time("2014-04-10T00:04:00Z"), Some(t));
        assert_eq!(parse_time("2014-04-10T02:04:00+02:00"), Some(t));
        assert_eq!(parse_time("1397088240"), Some(t));
        assert_eq!(parse_time("1397088240.5"), Some(t + 500_000_000));
        assert_eq!(parse_time("2014-04-10"), Some(t - 240_000_000_000));
        assert_eq!(parse_time("yesterday"), None);
    }

    #[test]
    fn iso_dates() {
        assert_eq!(iso_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            iso_millis(1_506_883_716_995_391_962),
            "2017-10-01T18:48:36.995Z"
        );
        assert_eq!(
            iso_millis(951_782_400_000_000_000),
            "2000-02-29T00:00:00.000Z"
        );
    }

    #[test]
    fn timestamp_text_forms() {
        assert_eq!(
            timestamp_text(1_506_883_716_000_000_000),
            "2017-10-01T18:48:36Z"
        );
        assert_eq!(
            timestamp_text(1_506_883_716_800_000_000),
            "2017-10-01T18:48:36.800000000Z"
        );
        assert_eq!(timestamp_text(0), "1970-01-01T00:00:00Z");
        assert_eq!(
            timestamp_text(951_782_400_000_000_001),
            "2000-02-29T00:00:00.000000001Z"
        );
    }
}
