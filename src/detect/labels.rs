//! Ground truth: labelled windows from a CSV (`start,end[,kind]`, times as ISO 8601 or
//! epoch seconds) or from NAB's JSON (`{"dir/file.csv": [["start", "end"], …]}`: the key
//! whose file name is the input's, the directory deciding between several; an ambiguous
//! or missing name is an error). Both roads check each window alike; [`prepare`] then
//! merges overlapping windows and sets aside those outside the series, saying so, so that
//! every score counts the same windows.

use std::path::Path;

use crate::error::{Error, Result};
use crate::util::time::parse_time;

/// A labelled window, ns since the epoch, the end exclusive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub start_ns: i64,
    pub end_ns: i64,
    pub kind: String,
}

/// Labels files larger than this are refused.
const MAX_BYTES: u64 = 64 << 20;

fn bad(path: &Path, message: impl Into<String>) -> Error {
    Error::Dataset {
        path: path.to_owned(),
        message: message.into(),
    }
}

fn time(path: &Path, text: &str, line: usize) -> Result<i64> {
    let t = text.trim().trim_matches('"');
    // NAB writes "2014-04-14 23:59:00.000000".
    let t = t.split('.').next().filter(|_| t.contains(' ')).unwrap_or(t);
    parse_time(t).ok_or_else(|| bad(path, format!("line {line}: {t:?} is not a time")))
}

/// Reads the labels of `input` (its file name picks the windows of a NAB JSON file).
pub fn read(path: &Path, input: &Path) -> Result<Vec<Label>> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.len() > MAX_BYTES {
        return Err(bad(
            path,
            format!("{} bytes: larger than a labels file can be", meta.len()),
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let mut labels = if text.trim_start().starts_with('{') {
        nab_json(path, &text, input)?
    } else {
        csv(path, &text)?
    };
    labels.sort_by_key(|l| l.start_ns);
    Ok(labels)
}

fn csv(path: &Path, text: &str) -> Result<Vec<Label>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let f: Vec<&str> = line.split(',').collect();
        if line.trim().is_empty() || (i == 0 && f[0].trim() == "start") {
            continue;
        }
        if f.len() < 2 {
            return Err(bad(
                path,
                format!("line {}: expected start,end[,kind]", i + 1),
            ));
        }
        let (start_ns, end_ns) = (time(path, f[0], i + 1)?, time(path, f[1], i + 1)?);
        let kind = f.get(2).map_or("anomaly", |k| k.trim()).to_string();
        out.push(window(
            path,
            &format!("line {}", i + 1),
            start_ns,
            end_ns,
            kind,
        )?);
    }
    Ok(out)
}

/// A window from `start_ns` to `end_ns` (exclusive), checked.
fn window(path: &Path, at: &str, start_ns: i64, end_ns: i64, kind: String) -> Result<Label> {
    if end_ns < start_ns {
        return Err(bad(path, format!("{at}: the window ends before it starts")));
    }
    if end_ns == start_ns {
        return Err(bad(
            path,
            format!("{at}: the window ends where it starts (it holds no time)"),
        ));
    }
    Ok(Label {
        start_ns,
        end_ns,
        kind,
    })
}

/// The key of NAB's JSON that names `input`: the keys with its file name, and among
/// several, the one whose directories end the input's path.
fn nab_key<'a>(
    path: &Path,
    keys: impl Iterator<Item = &'a String>,
    input: &Path,
) -> Result<&'a String> {
    let name = input
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let same_name: Vec<&String> = keys
        .filter(|k| k.rsplit(['/', '\\']).next() == Some(name.as_str()))
        .collect();
    match same_name.as_slice() {
        [] => Err(bad(path, format!("no windows for {name}"))),
        [one] => Ok(one),
        several => {
            let by_path: Vec<&&String> = several
                .iter()
                .filter(|k| input.ends_with(Path::new(k.as_str())))
                .collect();
            match by_path.as_slice() {
                [one] => Ok(one),
                _ => Err(bad(
                    path,
                    format!(
                        "{} keys name {name} ({}): give the input by a path that ends as one of them",
                        several.len(),
                        several.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                )),
            }
        }
    }
}

fn nab_json(path: &Path, text: &str, input: &Path) -> Result<Vec<Label>> {
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| bad(path, format!("not JSON: {e}")))?;
    let Some(map) = v.as_object() else {
        return Err(bad(
            path,
            "expected an object of file → windows (NAB's combined_windows.json)",
        ));
    };
    let key = nab_key(path, map.keys(), input)?;
    let Some(windows) = map[key].as_array() else {
        return Err(bad(path, format!("{key}: expected a list of windows")));
    };
    windows
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let at = format!("{key}, window {}", i + 1);
            let pair = w.as_array().filter(|p| p.len() == 2);
            let (Some(a), Some(b)) = (
                pair.and_then(|p| p[0].as_str()),
                pair.and_then(|p| p[1].as_str()),
            ) else {
                return Err(bad(path, format!("{at}: expected [start, end]")));
            };
            let (a, b) = (time(path, a, i + 1)?, time(path, b, i + 1)?);
            // NAB's ends are inclusive.
            let Some(end) = b.checked_add(1) else {
                return Err(bad(
                    path,
                    format!("{at}: the end is past the last time ntp can hold (2262)"),
                ));
            };
            window(path, &at, a, end, "anomaly".into())
        })
        .collect()
}

/// The windows as they are scored, and what was done to them: overlapping or repeated
/// windows merged into one; windows with no interval of the series (starts
/// `start_ns`, each `every_ns` long) set aside.
pub fn prepare(labels: Vec<Label>, start_ns: &[i64], every_ns: i64) -> (Vec<Label>, Vec<String>) {
    let mut notes = Vec::new();
    let given = labels.len();
    if given == 0 {
        notes.push("the labels file holds no window: every score counts none".into());
        return (labels, notes);
    }
    let mut merged: Vec<Label> = Vec::with_capacity(given);
    for l in labels {
        match merged.last_mut() {
            Some(m) if l.start_ns < m.end_ns => {
                m.end_ns = m.end_ns.max(l.end_ns);
                if m.kind != l.kind {
                    m.kind = format!("{}+{}", m.kind, l.kind);
                }
            }
            _ => merged.push(l),
        }
    }
    if merged.len() < given {
        notes.push(format!(
            "{given} labelled windows overlap or repeat: merged into {}",
            merged.len()
        ));
    }
    let (lo, hi) = match (start_ns.first(), start_ns.last()) {
        (Some(a), Some(b)) => (*a, b.saturating_add(every_ns)),
        _ => (0, 0),
    };
    let before = merged.len();
    merged.retain(|l| {
        let a = start_ns.partition_point(|t| *t < l.start_ns);
        l.start_ns < hi && l.end_ns > lo && a < start_ns.len() && start_ns[a] < l.end_ns
    });
    if merged.len() < before {
        notes.push(format!(
            "{} of {before} labelled windows hold no interval of the series ({} → {}): not scored",
            before - merged.len(),
            crate::util::time::timestamp_text(lo),
            crate::util::time::timestamp_text(hi)
        ));
    }
    (merged, notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nab(json: &str, input: &str) -> Result<Vec<Label>> {
        nab_json(Path::new("w.json"), json, Path::new(input))
    }

    #[test]
    fn nab_keys_are_matched_by_file_name_then_directory() {
        let j = r#"{"realA/bigspikes.csv": [["2014-01-01 00:00:00.000000", "2014-01-02 00:00:00.000000"]],
                    "realA/spikes.csv": [],
                    "realB/spikes.csv": [["2014-01-03 00:00:00.000000", "2014-01-04 00:00:00.000000"]]}"#;
        assert_eq!(nab(j, "x/bigspikes.csv").unwrap().len(), 1);
        assert_eq!(nab(j, "data/realA/spikes.csv").unwrap().len(), 0);
        assert_eq!(nab(j, "/d/realB/spikes.csv").unwrap().len(), 1);
        let e = nab(j, "spikes.csv").unwrap_err().to_string();
        assert!(e.contains("2 keys name spikes.csv"), "{e}");
        let e = nab(j, "other.csv").unwrap_err().to_string();
        assert!(e.contains("no windows for other.csv"), "{e}");
    }

    #[test]
    fn nab_windows_are_checked_as_the_csv_ones() {
        let back = r#"{"a.csv": [["2014-01-02 00:00:00.000000", "2014-01-01 00:00:00.000000"]]}"#;
        let e = nab(back, "a.csv").unwrap_err().to_string();
        assert!(e.contains("ends before it starts"), "{e}");
        let far = r#"{"a.csv": [["2014-01-02 00:00:00", "2262-04-11T23:47:16.854775807Z"]]}"#;
        assert!(nab(far, "a.csv").is_err());
    }

    #[test]
    fn overlapping_windows_merge_and_outside_ones_are_set_aside() {
        let l = |a: i64, b: i64| Label {
            start_ns: a,
            end_ns: b,
            kind: "anomaly".into(),
        };
        let start: Vec<i64> = (0..100).map(|i| i * 10).collect();
        let (w, notes) = prepare(
            vec![
                l(100, 200),
                l(150, 250),
                l(150, 250),
                l(500, 510),
                l(5000, 6000),
            ],
            &start,
            10,
        );
        assert_eq!(w, vec![l(100, 250), l(500, 510)]);
        assert_eq!(notes.len(), 2, "{notes:?}");
        let (w, notes) = prepare(Vec::new(), &start, 10);
        assert!(w.is_empty() && notes.len() == 1);
    }
}
