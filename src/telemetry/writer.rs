//! The execution log writer: a bounded channel to one writer thread with a
//! `BufWriter`. Executions never block on it: when the channel is full their
//! lines are dropped and counted in
//! [`EXECUTION_LOG_DROPPED`](crate::metrics::EXECUTION_LOG_DROPPED).

use std::fs::OpenOptions;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use crossbeam::channel::{self, Receiver, Sender, TrySendError};
use metrics::Counter;

/// Blocks of lines the channel holds before lines are dropped.
pub const CHANNEL_CAPACITY: usize = 4096;

/// What the writer thread receives.
enum Message {
    /// JSON lines, each ending in `\n`.
    Lines(String),
    /// Flush everything received so far, then answer.
    Flush(mpsc::SyncSender<()>),
}

/// The sending side of the execution log, cheap to clone.
#[derive(Clone)]
pub struct LogWriter {
    tx: Sender<Message>,
    written: Counter,
    dropped: Counter,
}

impl std::fmt::Debug for LogWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogWriter").finish_non_exhaustive()
    }
}

impl LogWriter {
    /// A writer to `target`: `-` for standard output, else a file opened
    /// for appending (created if missing).
    ///
    /// # Errors
    /// The file cannot be opened, or the writer thread cannot start.
    pub fn open(target: &str) -> io::Result<Self> {
        let out: Box<dyn Write + Send> = if target == "-" {
            Box::new(io::stdout())
        } else {
            Box::new(
                OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(Path::new(target))?,
            )
        };
        Self::new(out)
    }

    /// A writer to any `out`, on its own thread.
    ///
    /// # Errors
    /// The writer thread cannot start.
    pub fn new(out: Box<dyn Write + Send>) -> io::Result<Self> {
        crate::metrics::install();
        let (tx, rx) = channel::bounded(CHANNEL_CAPACITY);
        std::thread::Builder::new()
            .name("execution-log".into())
            .spawn(move || write_loop(rx, BufWriter::with_capacity(1 << 16, out)))?;
        Ok(LogWriter {
            tx,
            written: metrics::counter!(crate::metrics::EXECUTION_LOG_LINES),
            dropped: metrics::counter!(crate::metrics::EXECUTION_LOG_DROPPED),
        })
    }

    /// Hands `count` lines over without waiting; drops them (and counts
    /// them) when the writer is behind. Returns whether they were queued.
    pub fn send(&self, lines: String, count: u64) -> bool {
        match self.tx.try_send(Message::Lines(lines)) {
            Ok(()) => {
                self.written.increment(count);
                true
            }
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.dropped.increment(count);
                false
            }
        }
    }

    /// Waits (at most `timeout`) until everything sent so far is written
    /// out. Returns whether it was.
    pub fn flush(&self, timeout: Duration) -> bool {
        let (ack, done) = mpsc::sync_channel(1);
        if self.tx.send_timeout(Message::Flush(ack), timeout).is_err() {
            return false;
        }
        done.recv_timeout(timeout).is_ok()
    }
}

fn write_loop(rx: Receiver<Message>, mut out: BufWriter<Box<dyn Write + Send>>) {
    let mut failed = false;
    while let Ok(message) = rx.recv() {
        let mut next = Some(message);
        // Write whatever is queued, then flush once.
        while let Some(message) = next.take() {
            match message {
                Message::Lines(text) => {
                    if !failed && out.write_all(text.as_bytes()).is_err() {
                        failed = true;
                        tracing::warn!("execution log: write failed; further lines are lost");
                    }
                }
                Message::Flush(ack) => {
                    let _ = out.flush();
                    let _ = ack.send(());
                }
            }
            next = rx.try_recv().ok();
        }
        let _ = out.flush();
    }
    let _ = out.flush();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().expect("lock").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_arrive_in_order_and_flush_waits_for_them() {
        let out = Shared::default();
        let w = LogWriter::new(Box::new(out.clone())).expect("writer");
        for i in 0..100 {
            w.send(format!("{i}\n"), 1);
        }
        assert!(w.flush(Duration::from_secs(5)));
        let text = String::from_utf8(out.0.lock().expect("lock").clone()).expect("utf8");
        let expected: String = (0..100).map(|i| format!("{i}\n")).collect();
        assert_eq!(text, expected);
    }

    #[test]
    fn a_full_channel_drops_instead_of_blocking() {
        // A destination that blocks until the test opens the gate.
        struct Gated(Arc<Mutex<()>>);
        impl Write for Gated {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                drop(self.0.lock());
                Ok(buf.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let gate = Arc::new(Mutex::new(()));
        let closed = gate.lock().expect("lock");
        let w = LogWriter::new(Box::new(Gated(Arc::clone(&gate)))).expect("writer");
        // Once a flush times out, the writer thread is stuck in the gate.
        assert!(w.send("first\n".into(), 1));
        assert!(!w.flush(Duration::from_millis(100)));
        let started = std::time::Instant::now();
        let queued = (0..CHANNEL_CAPACITY + 100)
            .filter(|_| w.send("x\n".into(), 1))
            .count();
        assert!(started.elapsed() < Duration::from_secs(5), "send blocked");
        assert_eq!(queued, CHANNEL_CAPACITY);
        drop(closed);
        assert!(w.flush(Duration::from_secs(5)));
    }
}
