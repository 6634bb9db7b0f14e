//! Captures read in order on one thread, cut into chunks of whole records, each chunk
//! mapped in parallel (rayon) and handed back **in capture order** to one consumer. Both
//! `preprocess` (chunk → rows) and `aggregate` (chunk → per-interval counts) run on it, so
//! they read every container and compression the same way. At most a few batches are in
//! flight, so memory is bounded whatever the input size.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;

use rayon::prelude::*;

use super::{Buffer, CaptureReader, Chunk, Compression, Container, Damage};
use crate::error::{Error, Result};

/// What the consumer is told, in capture order.
pub enum Event<T> {
    /// Input `i` is open and its format known.
    Opened(usize, Container, Compression),
    /// A chunk of input `i`, mapped.
    Mapped(usize, T),
    /// Input `i` ended (with the damage that ended it early, if any).
    Finished(usize, Option<Damage>),
}

enum ReadEvent {
    Chunk(usize, Chunk),
    Opened(usize, Container, Compression),
    Finished(usize, Option<Damage>),
    Failed(Error),
}

/// Chunks mapped per parallel batch.
fn batch_len() -> usize {
    (rayon::current_num_threads() * 2).max(2)
}

fn read_all(
    inputs: &[PathBuf],
    tx: SyncSender<ReadEvent>,
    bytes: Arc<AtomicU64>,
    pool: Receiver<Buffer>,
) {
    let mut pool = Some(pool);
    for (i, path) in inputs.iter().enumerate() {
        let mut reader = match CaptureReader::open(path, bytes.clone()) {
            Ok(r) => r,
            Err(e) => {
                let _ = tx.send(ReadEvent::Failed(e));
                return;
            }
        };
        if let Some(p) = pool.take() {
            reader.recycle_from(p);
        }
        if tx
            .send(ReadEvent::Opened(i, reader.container, reader.compression))
            .is_err()
        {
            return;
        }
        loop {
            match reader.next_chunk() {
                Ok(Some(chunk)) => {
                    if tx.send(ReadEvent::Chunk(i, chunk)).is_err() {
                        return;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    let _ = tx.send(ReadEvent::Failed(e));
                    return;
                }
            }
        }
        if tx
            .send(ReadEvent::Finished(i, reader.damage.take()))
            .is_err()
        {
            return;
        }
        pool = reader.take_pool();
    }
}

/// Reads `inputs` in order; `map` runs on every chunk in parallel, `consume` sees every
/// event in capture order, on a thread of its own, so one batch is consumed while the next
/// is mapped. `bytes` counts the (compressed) bytes read, for progress. The first error (of
/// reading or of `consume`) stops everything and is returned.
pub fn run<T: Send>(
    inputs: &[PathBuf],
    bytes: Arc<AtomicU64>,
    map: impl Fn(&Chunk) -> T + Sync,
    consume: impl FnMut(Event<T>) -> Result<()> + Send,
) -> Result<()> {
    let batch = batch_len();
    std::thread::scope(|s| {
        let (tx, rx) = sync_channel::<ReadEvent>(batch);
        let (recycle, pool) = sync_channel::<Buffer>(2 * batch);
        let reader_bytes = bytes.clone();
        s.spawn(move || read_all(inputs, tx, reader_bytes, pool));
        let (etx, erx) = sync_channel::<Vec<Event<T>>>(1);
        let consumer = s.spawn(move || -> Result<()> {
            let mut consume = consume;
            for events in erx.iter() {
                for e in events {
                    consume(e)?;
                }
            }
            Ok(())
        });
        let stopped = || Error::Invalid("the consumer of the capture stopped".into());
        let produced = (|| -> Result<()> {
            let mut pending: Vec<(usize, Chunk)> = Vec::with_capacity(batch);
            let flush = |pending: &mut Vec<(usize, Chunk)>| -> Result<()> {
                if pending.is_empty() {
                    return Ok(());
                }
                let mapped: Vec<Event<T>> = pending
                    .par_iter()
                    .map(|(i, chunk)| Event::Mapped(*i, map(chunk)))
                    .collect();
                for (_, chunk) in pending.drain(..) {
                    // Full pool: the buffer is simply freed.
                    let _ = recycle.try_send(chunk.data);
                }
                etx.send(mapped).map_err(|_| stopped())
            };
            // On an early return the receiver is dropped and the reader thread stops.
            for event in rx.iter() {
                match event {
                    ReadEvent::Chunk(i, chunk) => {
                        pending.push((i, chunk));
                        if pending.len() == batch {
                            flush(&mut pending)?;
                        }
                    }
                    ReadEvent::Opened(i, container, compression) => {
                        flush(&mut pending)?;
                        etx.send(vec![Event::Opened(i, container, compression)])
                            .map_err(|_| stopped())?
                    }
                    ReadEvent::Finished(i, damage) => {
                        flush(&mut pending)?;
                        etx.send(vec![Event::Finished(i, damage)])
                            .map_err(|_| stopped())?;
                    }
                    ReadEvent::Failed(e) => return Err(e),
                }
            }
            flush(&mut pending)
        })();
        drop(etx);
        // The consumer's own error says why it stopped taking events.
        consumer.join().expect("consumer thread")?;
        produced
    })
}

/// Bytes read so far by [`run`]'s reader.
pub fn progress_counter() -> Arc<AtomicU64> {
    Arc::new(AtomicU64::new(0))
}

/// The current value of a counter from [`progress_counter`].
pub fn bytes_read(counter: &AtomicU64) -> u64 {
    counter.load(Ordering::Relaxed)
}
