//! Typed errors of the library. The binary turns them into one-line messages.

use std::path::PathBuf;

/// Everything that can go wrong in ntp's library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
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

    #[error("{path}: {source}")]
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
