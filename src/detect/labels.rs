//! Ground truth: labelled windows from a CSV (`start,end[,kind]`, times as ISO 8601 or
//! epoch seconds) or from NAB's JSON (`{"file.csv": [["start", "end"], …]}`, every file's
//! windows when one file is named, else the windows of the key that ends like the input).

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
        if end_ns <= start_ns {
            return Err(bad(
                path,
                format!("line {}: the window ends before it starts", i + 1),
            ));
        }
        let kind = f.get(2).map_or("anomaly", |k| k.trim()).to_string();
        out.push(Label {
            start_ns,
            end_ns,
            kind,
        });
    }
    Ok(out)
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
    let name = input
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let windows = match map.len() {
        1 => map.values().next(),
        _ => map.iter().find(|(k, _)| k.ends_with(&name)).map(|(_, w)| w),
    };
    let Some(windows) = windows.and_then(|w| w.as_array()) else {
        return Err(bad(path, format!("no windows for {name}")));
    };
    windows
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let pair = w.as_array().filter(|p| p.len() == 2);
            let (Some(a), Some(b)) = (
                pair.and_then(|p| p[0].as_str()),
                pair.and_then(|p| p[1].as_str()),
            ) else {
                return Err(bad(
                    path,
                    format!("window {}: expected [start, end]", i + 1),
                ));
            };
            Ok(Label {
                start_ns: time(path, a, i + 1)?,
                end_ns: time(path, b, i + 1)? + 1,
                kind: "anomaly".into(),
            })
        })
        .collect()
}
