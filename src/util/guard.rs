//! A guard around calls into libraries that may panic on input they do not support (polars
//! on a Parquet type built without its feature, say): the panic becomes a typed error naming
//! the file, and its message and backtrace are not printed. Panics elsewhere still print.

use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Once;

use crate::error::{Error, Result};

/// Guarded calls under way (panics on any thread meanwhile stay quiet: polars panics on its
/// own worker threads, and the panic reaches the guarded call through rayon).
static GUARDED: AtomicUsize = AtomicUsize::new(0);
static HOOK: Once = Once::new();

fn install_quiet_hook() {
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if GUARDED.load(Ordering::SeqCst) == 0 {
                previous(info);
            }
        }));
    });
}

/// The text of a panic's payload.
fn message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown failure".into())
}

/// Runs `f`, turning a panic inside it into `error: PATH: cannot read it (…)`.
pub fn reading<T>(path: &Path, f: impl FnOnce() -> Result<T>) -> Result<T> {
    install_quiet_hook();
    GUARDED.fetch_add(1, Ordering::SeqCst);
    let outcome = panic::catch_unwind(AssertUnwindSafe(f));
    GUARDED.fetch_sub(1, Ordering::SeqCst);
    outcome.unwrap_or_else(|payload| {
        let text: String = message(payload.as_ref()).chars().take(200).collect();
        Err(Error::Dataset {
            path: path.to_owned(),
            message: format!("cannot read it: the Parquet reader failed ({text})"),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_error_naming_the_file() {
        let r: Result<()> = reading(Path::new("x.parquet"), || panic!("activate a feature"));
        let e = r.unwrap_err().to_string();
        assert!(
            e.contains("x.parquet") && e.contains("activate a feature"),
            "{e}"
        );
        assert_eq!(reading(Path::new("y"), || Ok(3)).unwrap(), 3);
    }
}
