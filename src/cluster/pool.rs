//! [`Pool`]: a few blocking Redis connections for the calls of the
//! cluster's own threads (the finisher, the reclaimer, the listener's reads
//! and answers, the heartbeat; every serving path uses `io.rs`, apart from
//! the read of a machine not yet cached), reconnected on demand. They are
//! kept apart from the shards' connections (`io.rs`) so that the
//! finisher's retried batches and the reclaimer's scans never queue in
//! front of a start. After a failed
//! connect the pool fails fast for [`RETRY_AFTER`] instead of blocking every
//! caller on a dead address.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::error::ClusterError;

/// How long the pool answers "unavailable" at once after a failed connect.
pub(crate) const RETRY_AFTER: Duration = Duration::from_millis(500);

/// Blocking connections to one Redis.
pub(crate) struct Pool {
    client: redis::Client,
    slots: Vec<Mutex<Option<redis::Connection>>>,
    next: AtomicUsize,
    timeout: Duration,
    down_since: Mutex<Option<Instant>>,
}

impl Pool {
    /// A pool of `size` connections to `client`, each command bounded by
    /// `timeout`.
    pub(crate) fn new(client: redis::Client, size: usize, timeout: Duration) -> Self {
        Pool {
            client,
            slots: (0..size.max(1)).map(|_| Mutex::new(None)).collect(),
            next: AtomicUsize::new(0),
            timeout,
            down_since: Mutex::new(None),
        }
    }

    /// The client (for dedicated connections: pub/sub).
    pub(crate) fn client(&self) -> &redis::Client {
        &self.client
    }

    /// Whether the last connect failed less than [`RETRY_AFTER`] ago.
    pub(crate) fn known_down(&self) -> bool {
        let down = self.down_since.lock().unwrap_or_else(|e| e.into_inner());
        down.is_some_and(|at| at.elapsed() < RETRY_AFTER)
    }

    /// Runs `f` on one connection (connecting it first if needed). A
    /// connection that failed is dropped; when a connection kept from
    /// before fails as a broken connection (Redis restarted meanwhile), `f`
    /// runs once more on a fresh one: a command that may so run twice is
    /// one the cluster accepts twice (a start is delivered at least once).
    ///
    /// # Errors
    /// [`ClusterError::Unavailable`] when Redis cannot be reached or `f`
    /// fails.
    pub(crate) fn with<T>(
        &self,
        mut f: impl FnMut(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> Result<T, ClusterError> {
        let slot = &self.slots[self.next.fetch_add(1, Ordering::Relaxed) % self.slots.len()];
        let mut conn = slot.lock().unwrap_or_else(|e| e.into_inner());
        let mut fresh = false;
        loop {
            if conn.is_none() {
                if self.known_down() {
                    return Err(ClusterError::Unavailable(
                        "Redis did not answer the last connection attempt".to_owned(),
                    ));
                }
                match self.connect() {
                    Ok(c) => *conn = Some(c),
                    Err(e) => {
                        *self.down_since.lock().unwrap_or_else(|e| e.into_inner()) =
                            Some(Instant::now());
                        return Err(e.into());
                    }
                }
                fresh = true;
            }
            let Some(c) = conn.as_mut() else {
                return Err(ClusterError::Unavailable("no connection".to_owned()));
            };
            match f(c) {
                Ok(v) => return Ok(v),
                Err(e) => {
                    let broken = e.is_io_error()
                        || e.is_connection_dropped()
                        || e.is_connection_refusal()
                        || e.is_unrecoverable_error();
                    if broken || e.is_timeout() {
                        *conn = None;
                    }
                    if !broken || fresh {
                        return Err(e.into());
                    }
                }
            }
        }
    }

    fn connect(&self) -> redis::RedisResult<redis::Connection> {
        let c = self.client.get_connection_with_timeout(self.timeout)?;
        c.set_read_timeout(Some(self.timeout))?;
        c.set_write_timeout(Some(self.timeout))?;
        *self.down_since.lock().unwrap_or_else(|e| e.into_inner()) = None;
        Ok(c)
    }
}
