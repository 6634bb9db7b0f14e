//! Typed errors of the library. Each variant says where (the file) and what; a wrapped
//! error is its `source`, not repeated in the message, so [`chain`] (or anyhow's `{:#}` at
//! the binary's edge) prints the whole cause chain once, on one line.

use std::path::PathBuf;

/// Everything that can go wrong in ntp's library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{path}: {message}")]
    Capture { path: PathBuf, message: String },

    #[error("{path}: no usable packets ({details})")]
    NothingUsable { path: PathBuf, details: String },

    #[error("{path}: {message}")]
    Dataset { path: PathBuf, message: String },

    #[error("{path}")]
    Polars {
        path: PathBuf,
        #[source]
        source: polars::error::PolarsError,
    },

    #[error("{path}: {message}")]
    Report { path: PathBuf, message: String },

    #[error("{0}")]
    Invalid(String),

    #[error("{what}: {message}")]
    Download { what: String, message: String },

    #[error("{0}")]
    Model(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error and its causes on one line: `outer: inner: innermost`.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cause = c.source();
    }
    s
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub fn capture(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Capture {
            path: path.into(),
            message: message.into(),
        }
    }

    pub fn polars(path: impl Into<PathBuf>, source: polars::error::PolarsError) -> Self {
        Error::Polars {
            path: path.into(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_names_the_file_then_the_cause_once() {
        let e = Error::io(
            "x.pcap",
            std::io::Error::new(std::io::ErrorKind::NotFound, "No such file or directory"),
        );
        assert_eq!(chain(&e), "x.pcap: No such file or directory");
        assert_eq!(
            format!("{:#}", anyhow::Error::from(e)),
            "x.pcap: No such file or directory"
        );
    }
}
