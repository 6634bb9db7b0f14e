//! `ntp analyze` against an independent reference: polars (series, describe) and
//! statsmodels (ACF, PACF, seasonal_decompose), computed by
//! `tests/data/reference/analyze_reference.py` on the same datasets.

use std::path::Path;

use crate::util::*;
use polars::prelude::*;

const REL: f64 = 1e-9;

fn num(s: &str) -> f64 {
    if s.is_empty() {
        f64::NAN
    } else {
        s.parse().unwrap_or_else(|_| panic!("not a number: {s:?}"))
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.nnnnnnnnn]Z` → ns since the epoch.
pub fn parse_ts(s: &str) -> i64 {
    let (y, m, d) = (
        s[0..4].parse::<i64>().unwrap(),
        s[5..7].parse::<i64>().unwrap(),
        s[8..10].parse::<i64>().unwrap(),
    );
    let (hh, mm, ss) = (
        s[11..13].parse::<i64>().unwrap(),
        s[14..16].parse::<i64>().unwrap(),
        s[17..19].parse::<i64>().unwrap(),
    );
    let frac = if s.as_bytes()[19] == b'.' {
        s[20..29].parse::<i64>().unwrap()
    } else {
        0
    };
    // days from civil (Howard Hinnant)
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    ((days * 86400 + hh * 3600 + mm * 60 + ss) * 1_000_000_000) + frac
}

/// |a − b| ≤ REL · max(|a|, |b|) (pure relative); NaN only where the reference has NaN.
fn close(a: f64, b: f64) -> bool {
    if a.is_nan() || b.is_nan() {
        return a.is_nan() && b.is_nan();
    }
    (a - b).abs() <= REL * a.abs().max(b.abs())
}

fn compare_numeric(ours: &Path, reference: &Path, skip_cols: usize) {
    let (a, b) = (read_csv(ours), read_csv(reference));
    assert_eq!(
        a.len(),
        b.len(),
        "{}: {} rows, reference {}",
        ours.display(),
        a.len(),
        b.len()
    );
    for (i, (ra, rb)) in a.iter().zip(&b).enumerate() {
        assert_eq!(ra.len(), rb.len());
        for c in skip_cols..ra.len() {
            let (x, y) = (num(&ra[c]), num(&rb[c]));
            assert!(
                close(x, y),
                "{} row {i} col {c}: ours {x}, reference {y}",
                ours.display()
            );
        }
    }
}

struct Case {
    name: &'static str,
    capture: &'static str,
    args: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        name: "lan-1s",
        capture: "lan-broadcast-28min-ns.pcapng",
        args: &[],
    },
    Case {
        name: "lan-drop-empty",
        capture: "lan-broadcast-28min-ns.pcapng",
        args: &["--drop-empty"],
    },
    Case {
        name: "lan-100ms",
        capture: "lan-broadcast-28min-ns.pcapng",
        args: &["--every", "100ms"],
    },
    Case {
        name: "lan-wire-p30",
        capture: "lan-broadcast-28min-ns.pcapng",
        args: &["--size", "wire", "--period", "30", "--lags", "25"],
    },
    Case {
        name: "s7-1s",
        capture: "s7comm-clean-15min.pcap",
        args: &[],
    },
    Case {
        name: "s7-study",
        capture: "s7comm-clean-15min.pcap",
        args: &["--size", "captured", "--drop-empty"],
    },
];

#[test]
fn every_number_equals_polars_and_statsmodels() {
    let dir = tempfile::tempdir().unwrap();
    for case in CASES {
        let ds = dataset(dir.path(), case.capture);
        let out = dir.path().join(case.name);
        ntp()
            .arg("analyze")
            .arg(&ds)
            .arg("-o")
            .arg(&out)
            .args(["--dpi", "60", "-q"])
            .args(case.args)
            .assert()
            .success();
        let stem = ds.file_stem().unwrap().to_string_lossy().to_string();
        let reference = fixture(&format!("reference/analyze/{}", case.name));
        let f = |suffix: &str| {
            (
                out.join(format!("{stem}.{suffix}")),
                reference.join(format!("{stem}.{suffix}")),
            )
        };

        // Series: timestamps and packets exact, bytes/s to REL.
        let (ours, theirs) = f("bps.csv");
        let (a, b) = (read_csv(&ours), read_csv(&theirs));
        assert_eq!(a.len(), b.len(), "{}: series length", case.name);
        for (ra, rb) in a.iter().zip(&b) {
            assert_eq!(
                parse_ts(&ra[0]),
                rb[0].parse::<i64>().unwrap(),
                "{}: window start",
                case.name
            );
            assert!(
                close(num(&ra[1]), num(&rb[1])),
                "{}: {ra:?} vs {rb:?}",
                case.name
            );
            assert_eq!(ra[2], rb[2], "{}: packets", case.name);
        }

        let (ours, theirs) = f("describe.csv");
        let (a, b) = (read_csv(&ours), read_csv(&theirs));
        assert_eq!(
            a.iter().map(|r| r[0].clone()).collect::<Vec<_>>(),
            b.iter().map(|r| r[0].clone()).collect::<Vec<_>>()
        );
        compare_numeric(&ours, &theirs, 1);

        let (ours, theirs) = f("acf.csv");
        compare_numeric(&ours, &theirs, 0);
        let (ours, theirs) = f("pacf.csv");
        compare_numeric(&ours, &theirs, 0);

        let (ours, theirs) = f("decomposition.csv");
        assert!(
            theirs.exists(),
            "{}: reference has a decomposition",
            case.name
        );
        let (a, b) = (read_csv(&ours), read_csv(&theirs));
        assert_eq!(a.len(), b.len());
        for (i, (ra, rb)) in a.iter().zip(&b).enumerate() {
            assert_eq!(parse_ts(&ra[0]), rb[0].parse::<i64>().unwrap());
            for c in 1..5 {
                assert!(
                    close(num(&ra[c]), num(&rb[c])),
                    "{} decomposition row {i} col {c}: {ra:?} vs {rb:?}",
                    case.name
                );
            }
        }
        for png in [
            "protocol_dist.png",
            "time_series.png",
            "decomposition.png",
            "autocorrelation.png",
        ] {
            let bytes = std::fs::read(out.join(format!("{stem}.{png}"))).unwrap();
            assert!(bytes.starts_with(b"\x89PNG"), "{png} is a PNG");
        }
    }
}

#[test]
fn zero_filled_and_drop_empty_differ_only_by_empty_seconds() {
    let a = read_csv(&fixture(
        "reference/analyze/lan-1s/lan-broadcast-28min-ns.bps.csv",
    ));
    let b = read_csv(&fixture(
        "reference/analyze/lan-drop-empty/lan-broadcast-28min-ns.bps.csv",
    ));
    let nonzero: Vec<_> = a.iter().filter(|r| r[2] != "0").cloned().collect();
    assert_eq!(
        nonzero, b,
        "the reference itself: dropping empty seconds = removing zero rows"
    );
    assert!(a.len() > b.len());
}

/// Writes a dataset with the documented schema from (ns, size, type) rows.
pub fn write_dataset(path: &Path, rows: &[(i64, u32, &str)]) {
    let n = rows.len();
    let ts = Int64Chunked::from_vec("Timestamp".into(), rows.iter().map(|r| r.0).collect())
        .into_datetime(TimeUnit::Nanoseconds, Some(TimeZone::UTC))
        .into_series();
    let strs = |name: &str, v: &str| Series::new(name.into(), vec![v; n]);
    let sizes = Series::new(
        "Size (bytes)".into(),
        rows.iter().map(|r| r.1).collect::<Vec<u32>>(),
    );
    let mut df = DataFrame::new(
        n,
        vec![
            ts.into(),
            strs("Family", "IPv4").into(),
            strs("Source IP", "10.0.0.1").into(),
            strs("Destination IP", "10.0.0.2").into(),
            Series::new("Protocol".into(), vec![6u8; n]).into(),
            sizes.clone().into(),
            sizes.clone().with_name("Wire Size (bytes)".into()).into(),
            sizes.with_name("Captured Size (bytes)".into()).into(),
            Series::new("Source Port".into(), vec![1u16; n]).into(),
            Series::new("Destination Port".into(), vec![2u16; n]).into(),
            Series::new(
                "Type".into(),
                rows.iter().map(|r| r.2).collect::<Vec<&str>>(),
            )
            .into(),
        ],
    )
    .unwrap();
    ParquetWriter::new(std::fs::File::create(path).unwrap())
        .finish(&mut df)
        .unwrap();
}

#[test]
fn sums_do_not_wrap_at_u32_and_unsorted_input_is_sorted() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dir.path().join("big.parquet");
    // 70 000 packets of 65 535 bytes in second 100 (4.59e9 bytes > 2^32), given out of
    // order with packets of seconds 99 and 102.
    let mut rows: Vec<(i64, u32, &str)> = (0..70_000)
        .map(|i| (100_000_000_000 + i * 10_000, 65_535, "TCP"))
        .collect();
    rows.insert(35_000, (99_500_000_000, 10, "UDP"));
    rows.push((102_000_000_001, 20, "UDP"));
    rows.insert(1, (99_000_000_000, 30, "UDP"));
    write_dataset(&ds, &rows);
    let out = dir.path().join("out");
    ntp()
        .arg("analyze")
        .arg(&ds)
        .arg("-o")
        .arg(&out)
        .args(["-q", "--dpi", "50"])
        .assert()
        .success();
    let bps = read_csv(&out.join("big.bps.csv"));
    let got: Vec<(String, String, String)> = bps
        .iter()
        .map(|r| (r[0].clone(), r[1].clone(), r[2].clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("1970-01-01T00:01:39Z".into(), "40".into(), "2".into()),
            (
                "1970-01-01T00:01:40Z".into(),
                (70_000u64 * 65_535).to_string(),
                "70000".into()
            ),
            ("1970-01-01T00:01:41Z".into(), "0".into(), "0".into()),
            ("1970-01-01T00:01:42Z".into(), "20".into(), "1".into()),
        ]
    );
}

pub fn assert_fails_cleanly(args: &[&std::ffi::OsStr], out: &Path, needle: &str) {
    let a = ntp()
        .arg("analyze")
        .args(args)
        .arg("-o")
        .arg(out)
        .args(["--dpi", "50"])
        .assert()
        .failure();
    let o = a.get_output();
    assert_eq!(o.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&o.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {stderr}");
    assert!(
        lines[0].starts_with("error: ") && lines[0].contains(needle),
        "{stderr}"
    );
    assert!(
        listing(out).is_empty(),
        "partial outputs: {:?}",
        listing(out)
    );
}

#[test]
fn bad_inputs_are_one_clear_error_and_no_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let empty = dir.path().join("empty.parquet");
    write_dataset(&empty, &[]);
    assert_fails_cleanly(&[empty.as_os_str()], &out, "no packets");

    let one = dir.path().join("one.parquet");
    write_dataset(&one, &[(5_000_000_000, 60, "TCP")]);
    assert_fails_cleanly(&[one.as_os_str()], &out, "at least 2 intervals");

    let other = dir.path().join("other.parquet");
    let mut df = df!("a" => [1i64, 2], "b" => ["x", "y"]).unwrap();
    ParquetWriter::new(std::fs::File::create(&other).unwrap())
        .finish(&mut df)
        .unwrap();
    assert_fails_cleanly(
        &[other.as_os_str()],
        &out,
        "not an ntp dataset: no column `Timestamp`",
    );

    let not_parquet = dir.path().join("text.parquet");
    std::fs::write(&not_parquet, "hello").unwrap();
    assert_fails_cleanly(&[not_parquet.as_os_str()], &out, "not a Parquet file");

    let nodir = dir.path().join("nothing-here");
    std::fs::create_dir(&nodir).unwrap();
    assert_fails_cleanly(
        &[nodir.as_os_str()],
        &out,
        "directory holds no .parquet file",
    );

    // Options no analysis can use.
    let good = dir.path().join("good.parquet");
    write_dataset(
        &good,
        &[(1_000_000_000, 60, "TCP"), (2_000_000_000, 80, "UDP")],
    );
    for z in ["0", "NaN", "inf"] {
        assert_fails_cleanly(
            &[good.as_os_str(), "--z".as_ref(), z.as_ref()],
            &out,
            "--z must be a positive number",
        );
    }
    let a = ntp()
        .arg("analyze")
        .arg(&good)
        .arg("-o")
        .arg(&out)
        .args(["--dpi", "100000"])
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    assert!(
        stderr.trim() == "error: --dpi must be between 30 and 1200 (got 100000)",
        "{stderr}"
    );
    assert!(listing(&out).is_empty());
}

#[test]
fn a_directory_of_parts_is_one_capture() {
    let dir = tempfile::tempdir().unwrap();
    let parts = dir.path().join("parts");
    std::fs::create_dir(&parts).unwrap();
    // Later part first by name: analyze must still sort by time.
    write_dataset(
        &parts.join("a.parquet"),
        &[(3_000_000_000, 100, "TCP"), (3_500_000_000, 1, "UDP")],
    );
    write_dataset(&parts.join("b.parquet"), &[(1_000_000_000, 7, "TCP")]);
    let out = dir.path().join("out");
    ntp()
        .arg("analyze")
        .arg(&parts)
        .arg("-o")
        .arg(&out)
        .args(["-q", "--dpi", "50"])
        .assert()
        .success();
    let bps = read_csv(&out.join("parts.bps.csv"));
    let vals: Vec<&str> = bps.iter().map(|r| r[1].as_str()).collect();
    assert_eq!(vals, vec!["7", "0", "101"]);
}

#[test]
fn histogram_counts_equal_a_direct_count() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dataset(dir.path(), "lan-broadcast-28min-ns.pcapng");
    let out = dir.path().join("out");
    let a = ntp()
        .arg("analyze")
        .arg(&ds)
        .arg("-o")
        .arg(&out)
        .args(["--dpi", "50", "--max-size", "300"])
        .assert()
        .success();
    // Counted here from the columns: packets per (Type, Size) for TCP and UDP.
    let df = read_parquet(&ds);
    let types = df.column("Type").unwrap().str().unwrap().clone();
    let sizes = df.column("Size (bytes)").unwrap().u32().unwrap().clone();
    let (mut tcp, mut udp, mut larger) = (vec![0u64; 301], vec![0u64; 301], 0u64);
    for i in 0..df.height() {
        let (t, s) = (types.get(i).unwrap(), sizes.get(i).unwrap() as usize);
        let counts = match t {
            "TCP" => &mut tcp,
            "UDP" => &mut udp,
            _ => continue,
        };
        if s <= 300 {
            counts[s] += 1;
        } else {
            larger += 1;
        }
    }
    let rows = read_csv(&out.join("lan-broadcast-28min-ns.protocol_dist.csv"));
    assert_eq!(rows.len(), 301);
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(
            (
                r[0].parse::<usize>().unwrap(),
                r[1].parse::<u64>().unwrap(),
                r[2].parse::<u64>().unwrap()
            ),
            (i, tcp[i], udp[i])
        );
    }
    let stderr = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(
        stderr.contains(&format!(
            "histogram: {larger} TCP/UDP packets larger than --max-size 300"
        )),
        "{stderr}"
    );
}
