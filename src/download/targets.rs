//! Which files to fetch: dump URLs found in markdown files (with their checksums), MAWI
//! traces named by date, or URLs given as they are.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// One file to fetch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub url: String,
    /// File name (the URL's last path segment).
    pub name: String,
    /// Expected SHA-256 (lowercase hex), when known.
    pub sha256: Option<String>,
}

impl Target {
    pub fn new(url: &str) -> Result<Target> {
        let name =
            file_name(url).ok_or_else(|| Error::Invalid(format!("{url}: no file name in URL")))?;
        Ok(Target {
            url: url.to_string(),
            name,
            sha256: None,
        })
    }
}

fn file_name(url: &str) -> Option<String> {
    let path = url.split(['?', '#']).next()?;
    let name = path.rsplit('/').next()?;
    (!name.is_empty() && !name.contains(':')).then(|| name.to_string())
}

/// Is this URL a MAWI-style dump (`…/NNNN….dump.gz` or `.pcap.gz`)?
pub fn is_dump_url(url: &str) -> bool {
    let Some(name) = file_name(url) else {
        return false;
    };
    let stem = name
        .strip_suffix(".dump.gz")
        .or_else(|| name.strip_suffix(".pcap.gz"));
    stem.is_some_and(|s| s.len() >= 4 && s.bytes().take(4).all(|b| b.is_ascii_digit()))
}

fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Every dump URL in a markdown text, in order of first appearance, de-duplicated, with a
/// SHA-256 when one stands on the URL's line or in a `SHA256SUMS`-style line
/// (`<hex>  NAME`) anywhere in the text.
pub fn parse_markdown(text: &str) -> Vec<Target> {
    let mut sums: BTreeMap<String, String> = BTreeMap::new();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        if let (Some(h), Some(n), None) = (words.next(), words.next(), words.next()) {
            let h = h.trim_matches('`');
            let n = n.trim_matches('`').trim_start_matches('*');
            if is_sha256(h) {
                sums.insert(n.to_string(), h.to_ascii_lowercase());
            }
        }
    }
    let mut out: Vec<Target> = Vec::new();
    for line in text.lines() {
        let line_sum = line
            .split(|c: char| !c.is_ascii_hexdigit())
            .find(|w| is_sha256(w))
            .map(|w| w.to_ascii_lowercase());
        let mut rest = line;
        while let Some(i) = rest
            .find("http://")
            .into_iter()
            .chain(rest.find("https://"))
            .min()
        {
            let tail = &rest[i..];
            let end = tail
                .find(|c: char| c.is_whitespace() || "()<>[]\"'`|,".contains(c))
                .unwrap_or(tail.len());
            let url = tail[..end].trim_end_matches(['.', ';', ':']);
            rest = &tail[end..];
            if !is_dump_url(url) || out.iter().any(|t| t.url == url) {
                continue;
            }
            if let Ok(mut t) = Target::new(url) {
                t.sha256 = line_sum.clone().or_else(|| sums.get(&t.name).cloned());
                out.push(t);
            }
        }
    }
    out
}

/// Markdown files of a source: the file itself, or `*.md` in a directory (recursively
/// with `recursive`), sorted.
pub fn markdown_files(source: &Path, recursive: bool) -> Result<Vec<PathBuf>> {
    if source.is_file() {
        return Ok(vec![source.to_owned()]);
    }
    let mut out = Vec::new();
    let entries = std::fs::read_dir(source).map_err(|e| Error::io(source, e))?;
    for e in entries {
        let p = e.map_err(|e| Error::io(source, e))?.path();
        if p.is_dir() {
            if recursive {
                out.extend(markdown_files(&p, true)?);
            }
        } else if p.extension().is_some_and(|x| x.eq_ignore_ascii_case("md")) {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}

/// The archive URL of a MAWI samplepoint trace: `YYYYMMDD` (14:00 JST) or `YYYYMMDDHHMM`.
/// Traces up to 2015 are `.dump.gz`, later ones `.pcap.gz`.
pub fn mawi_url(when: &str, samplepoint: &str) -> Result<String> {
    let stamp = match when.len() {
        8 => format!("{when}1400"),
        12 => when.to_string(),
        _ => {
            return Err(Error::Invalid(format!(
                "--mawi {when}: expected YYYYMMDD or YYYYMMDDHHMM"
            )))
        }
    };
    if !stamp.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::Invalid(format!(
            "--mawi {when}: expected digits only"
        )));
    }
    let year: u32 = stamp[..4].parse().expect("digits");
    let ext = if year <= 2015 { "dump.gz" } else { "pcap.gz" };
    Ok(format!(
        "http://mawi.wide.ad.jp/mawi/samplepoint-{samplepoint}/{year}/{stamp}.{ext}"
    ))
}

/// Where to look for targets: markdown files or directories of them, URLs, MAWI dates.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    /// Markdown files, directories of them, or URLs (default: `data-sources`).
    pub paths: Vec<String>,
    /// Look for markdown files in subdirectories too.
    pub recursive: bool,
    /// MAWI traces by date (`YYYYMMDD` or `YYYYMMDDHHMM`).
    pub mawi: Vec<String>,
    pub samplepoint: String,
    /// Expected SHA-256 of the only target.
    pub sha256: Option<String>,
}

/// Every target the sources name, each URL once, in the order found.
pub fn discover(sources: &Sources) -> Result<Vec<Target>> {
    let mut targets: Vec<Target> = Vec::new();
    let mut push = |t: Target| {
        if !targets.iter().any(|x| x.url == t.url) {
            targets.push(t);
        }
    };
    let mut paths = sources.paths.clone();
    if paths.is_empty() && sources.mawi.is_empty() {
        paths.push("data-sources".into());
    }
    for s in &paths {
        if s.starts_with("http://") || s.starts_with("https://") {
            push(Target::new(s)?);
            continue;
        }
        for f in markdown_files(Path::new(s), sources.recursive)? {
            let text = std::fs::read_to_string(&f).map_err(|e| Error::io(&f, e))?;
            parse_markdown(&text).into_iter().for_each(&mut push);
        }
    }
    for m in &sources.mawi {
        push(Target::new(&mawi_url(m, &sources.samplepoint)?)?);
    }
    if targets.is_empty() {
        return Err(Error::Invalid(format!(
            "no .dump.gz or .pcap.gz URL found in {}",
            paths.join(", ")
        )));
    }
    if let Some(sum) = &sources.sha256 {
        if targets.len() != 1 {
            return Err(Error::Invalid(format!(
                "--sha256 needs exactly one target, found {}",
                targets.len()
            )));
        }
        targets[0].sha256 = Some(sum.to_ascii_lowercase());
    }
    Ok(targets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_targets_are_dumps_deduplicated_with_checksums() {
        let sum = "a".repeat(64);
        let text = format!(
            "See [the trace](http://mawi.wide.ad.jp/mawi/samplepoint-F/2007/200701251400.dump.gz).\n\
             Again: <http://mawi.wide.ad.jp/mawi/samplepoint-F/2007/200701251400.dump.gz>\n\
             Summary page http://mawi.wide.ad.jp/mawi/samplepoint-F/2007/200701251400.html\n\
             | https://example.org/x/202301011400.pcap.gz | {sum} |\n\
             Not a dump: https://example.org/readme.gz and https://example.org/abc.pcap.gz\n\
             ```\n{}  200701251400.dump.gz\n```\n",
            "b".repeat(64)
        );
        let t = parse_markdown(&text);
        assert_eq!(t.len(), 2, "{t:?}");
        assert_eq!(t[0].name, "200701251400.dump.gz");
        assert_eq!(t[0].sha256.as_deref(), Some("b".repeat(64).as_str()));
        assert_eq!(t[1].url, "https://example.org/x/202301011400.pcap.gz");
        assert_eq!(t[1].sha256.as_deref(), Some(sum.as_str()));
    }

    #[test]
    fn mawi_urls() {
        assert_eq!(
            mawi_url("20070125", "F").unwrap(),
            "http://mawi.wide.ad.jp/mawi/samplepoint-F/2007/200701251400.dump.gz"
        );
        assert_eq!(
            mawi_url("201812031400", "F").unwrap(),
            "http://mawi.wide.ad.jp/mawi/samplepoint-F/2018/201812031400.pcap.gz"
        );
        assert!(mawi_url("2007", "F").is_err());
        assert!(mawi_url("2007012x", "F").is_err());
    }
}
