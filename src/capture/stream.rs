//! Captures read in order on one thread, cut into chunks of whole records, each chunk
//! mapped in parallel (a few worker threads) and handed back **in capture order** to one
//! consumer. Both `preprocess` (chunk → encoded rows) and `aggregate` (chunk →
//! per-interval counts) run on it, so they read every container and compression the same
//! way. At most a few chunks per worker are in flight, so memory is bounded whatever the
//! input size.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::{Arc, Mutex};

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

/// Reads every input in order, handing each event to `send` (false: stop reading).
fn read_all(
    inputs: &[PathBuf],
    mut send: impl FnMut(ReadEvent) -> bool,
    bytes: Arc<AtomicU64>,
    pool: Receiver<Buffer>,
) {
    let mut pool = Some(pool);
    for (i, path) in inputs.iter().enumerate() {
        let mut reader = match CaptureReader::open(path, bytes.clone()) {
            Ok(r) => r,
            Err(e) => {
                send(ReadEvent::Failed(e));
                return;
            }
        };
        if let Some(p) = pool.take() {
            reader.recycle_from(p);
        }
        if !send(ReadEvent::Opened(i, reader.container, reader.compression)) {
            return;
        }
        loop {
            match reader.next_chunk() {
                Ok(Some(chunk)) => {
                    if !send(ReadEvent::Chunk(i, chunk)) {
                        return;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    send(ReadEvent::Failed(e));
                    return;
                }
            }
        }
        if !send(ReadEvent::Finished(i, reader.damage.take())) {
            return;
        }
        pool = reader.take_pool();
    }
}

/// Reads `inputs` in order; `map` runs on every chunk on a few worker threads (as many as
/// rayon's pool has), `consume` sees every event in capture order on the calling thread.
/// Workers take the next chunk as soon as they are free (no batch waits for its slowest
/// chunk), and results are put back in order by their sequence number. `bytes` counts the
/// (compressed) bytes read, for progress. The first error (of reading, in capture order,
/// or of `consume`) stops everything and is returned.
pub fn run<T: Send>(
    inputs: &[PathBuf],
    bytes: Arc<AtomicU64>,
    map: impl Fn(&Chunk) -> T + Sync,
    mut consume: impl FnMut(Event<T>) -> Result<()>,
) -> Result<()> {
    let workers = rayon::current_num_threads().max(1);
    let depth = 2 * workers;
    std::thread::scope(|s| {
        // One ticket per event between the reader and the consumer: queued, being mapped,
        // or mapped and waiting for an earlier one. They bound the memory in flight even
        // when one chunk is slow and the other workers run ahead.
        let (ticket, tickets) = sync_channel::<()>(2 * depth);
        let (tx, rx) = sync_channel::<(u64, ReadEvent)>(depth);
        // Shared by the workers and dropped with the last of them, which stops the reader.
        let rx = Arc::new(Mutex::new(rx));
        let (recycle, pool) = sync_channel::<Buffer>(2 * depth);
        let reader_bytes = bytes.clone();
        s.spawn(move || {
            let mut seq = 0u64;
            let send = |e: ReadEvent| {
                seq += 1;
                ticket.send(()).is_ok() && tx.send((seq - 1, e)).is_ok()
            };
            read_all(inputs, send, reader_bytes, pool)
        });
        let (done, results) = sync_channel::<(u64, Outcome<T>)>(depth);
        for _ in 0..workers {
            let (rx, done, recycle, map) = (rx.clone(), done.clone(), recycle.clone(), &map);
            s.spawn(move || loop {
                // The lock is held only to take one event off the queue.
                let next = rx.lock().map(|r| r.recv());
                let Ok(Ok((seq, event))) = next else { return };
                let outcome = match event {
                    ReadEvent::Chunk(i, chunk) => {
                        let mapped = map(&chunk);
                        // Full pool: the buffer is simply freed.
                        let _ = recycle.try_send(chunk.data);
                        Ok(Event::Mapped(i, mapped))
                    }
                    ReadEvent::Opened(i, c, z) => Ok(Event::Opened(i, c, z)),
                    ReadEvent::Finished(i, damage) => Ok(Event::Finished(i, damage)),
                    ReadEvent::Failed(e) => Err(e),
                };
                if done.send((seq, outcome)).is_err() {
                    return;
                }
            });
        }
        drop((rx, done, recycle));
        // On an early return `results` is dropped: the workers stop, then the reader.
        let mut waiting = BTreeMap::new();
        let mut next = 0u64;
        for (seq, outcome) in results.iter() {
            waiting.insert(seq, outcome);
            while let Some(outcome) = waiting.remove(&next) {
                next += 1;
                // Sent before its event: never waits.
                let _ = tickets.recv();
                consume(outcome?)?;
            }
        }
        Ok(())
    })
}

/// A mapped event, or the read error that ended the stream there.
type Outcome<T> = Result<Event<T>>;

/// Bytes read so far by [`run`]'s reader.
pub fn progress_counter() -> Arc<AtomicU64> {
    Arc::new(AtomicU64::new(0))
}

/// The current value of a counter from [`progress_counter`].
pub fn bytes_read(counter: &AtomicU64) -> u64 {
    counter.load(Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A little-endian µs pcap of `n` 60-byte Ethernet frames.
    fn pcap(n: usize) -> Vec<u8> {
        let mut b = Vec::with_capacity(24 + n * 76);
        for v in [0xa1b2_c3d4u32, 0x0004_0002, 0, 0, 65535, 1] {
            if v == 0x0004_0002 {
                b.extend_from_slice(&2u16.to_le_bytes());
                b.extend_from_slice(&4u16.to_le_bytes());
            } else {
                b.extend_from_slice(&v.to_le_bytes());
            }
        }
        for i in 0..n as u32 {
            for v in [i / 1000, i % 1000, 60, 60] {
                b.extend_from_slice(&v.to_le_bytes());
            }
            b.extend_from_slice(&[0u8; 60]);
        }
        b
    }

    #[test]
    fn chunks_reach_the_consumer_in_capture_order_however_slow_their_mapping() {
        let dir = std::env::temp_dir().join(format!("ntp-stream-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("order.pcap");
        let packets = 300_000; // ~23 MB: several chunks
        std::fs::write(&path, pcap(packets)).unwrap();
        let mut offsets = Vec::new();
        let mut seen = 0;
        run(
            std::slice::from_ref(&path),
            progress_counter(),
            |chunk| {
                // Early chunks slowest: later ones overtake them on the other workers.
                let n = chunk.offset / super::super::CHUNK_BYTES as u64;
                std::thread::sleep(Duration::from_millis(30u64.saturating_sub(n * 5)));
                (chunk.offset, chunk.packets)
            },
            |event| {
                if let Event::Mapped(_, (offset, n)) = event {
                    offsets.push(offset);
                    seen += n;
                }
                Ok(())
            },
        )
        .unwrap();
        assert!(offsets.len() > 3, "{offsets:?}");
        assert!(offsets.windows(2).all(|w| w[0] < w[1]), "{offsets:?}");
        assert_eq!(seen, packets);

        // A consumer that fails stops the reader and the workers (no hang).
        let mut calls = 0;
        let err = run(
            std::slice::from_ref(&path),
            progress_counter(),
            |chunk| chunk.packets,
            |_| {
                calls += 1;
                match calls {
                    3 => Err(Error::Invalid("stop".into())),
                    _ => Ok(()),
                }
            },
        )
        .unwrap_err();
        assert!(err.to_string().contains("stop"));
        assert_eq!(calls, 3);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
