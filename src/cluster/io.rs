//! [`Io`]: the asynchronous Redis I/O of the hot paths (an asynchronous
//! start's record, its admission, DescribeExecution, a forwarded Task Token
//! callback), so that no serving thread or shard ever blocks on Redis.
//!
//! Each shard thread ([`crate::engine::shards`]) owns a
//! [`redis::aio::ConnectionManager`] of its own (one multiplexed, pipelined
//! connection, reconnected by itself), made on the shard's runtime the
//! first time a command runs there: a command from a shard ([`Io::run`]) is
//! written, and its reply read, by the shard itself, so a start's round
//! trip wakes no other thread. (Handing each command to one shared I/O
//! thread and its answer back cost two cross-thread wake-ups per round
//! trip: measured, 200 µs of instance CPU per asynchronous start with
//! `--cluster` against 61 µs without.) The shard only queues the command
//! and is woken by the reply, so other connections and executions on it go
//! on meanwhile, and concurrent commands of one shard share its socket
//! (Redis sees them pipelined). A caller that is not on a shard (the
//! cluster's own threads, tests, an embedder's runtime) hands its command
//! to the `cluster-io` thread, which runs a single-threaded tokio runtime
//! owning one more connection. After a command fails to reach Redis, each
//! shard makes a new connection for its next command (after a restart of
//! Redis every shard's socket is dead, not only the one that found it), and
//! Redis is reported down for [`super::pool::RETRY_AFTER`], during which
//! calls fail at once instead of each waiting for a timeout.

use std::cell::RefCell;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::error::ClusterError;
use super::pool::RETRY_AFTER;

/// The ids of [`Io`]s (a shard keeps one connection per live [`Io`]).
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// One shard's connection for one [`Io`].
struct Local {
    /// The [`Io`]'s id.
    id: u64,
    /// Dead once the [`Io`] is dropped: its connection is then dropped too.
    alive: Weak<()>,
    /// The [`Health::lost`] count when the connection was made.
    made: u64,
    conn: ConnectionManager,
}

/// What the commands of every connection of one [`Io`] found.
#[derive(Default)]
struct Health {
    /// When a command last failed to reach Redis (none since).
    down_since: Mutex<Option<Instant>>,
    /// How many commands failed to reach Redis: a shard whose connection
    /// is older than the last failure makes a new one (after a restart of
    /// Redis every shard's socket is dead, not only the one that found it;
    /// each would otherwise fail one more command).
    lost: AtomicU64,
}

thread_local! {
    /// This shard thread's connections (made on its runtime), one per live
    /// [`Io`]: one in a server.
    static LOCAL: RefCell<Vec<Local>> = const { RefCell::new(Vec::new()) };
}

/// The asynchronous connections of one node.
pub(crate) struct Io {
    id: u64,
    alive: Arc<()>,
    handle: tokio::runtime::Handle,
    client: redis::Client,
    config: ConnectionManagerConfig,
    conn: ConnectionManager,
    health: Arc<Health>,
    /// Dropped with the [`Io`]: the runtime's thread then ends.
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Io {
    /// Starts the `cluster-io` thread and a (lazily connected) connection
    /// manager for `client`; each command and connection attempt is
    /// bounded by `timeout`.
    ///
    /// # Errors
    /// [`ClusterError::Unavailable`] when the thread or runtime cannot be
    /// created.
    pub(crate) fn start(client: redis::Client, timeout: Duration) -> Result<Self, ClusterError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| ClusterError::Unavailable(format!("cluster I/O runtime: {e}")))?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("cluster-io".to_owned())
            .spawn(move || {
                runtime.block_on(async move {
                    let _ = stopped.await;
                });
            })
            .map_err(|e| ClusterError::Unavailable(format!("cluster I/O thread: {e}")))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(100));
        // Created inside the I/O runtime: its reconnections run there.
        let conn = {
            let _inside = handle.enter();
            ConnectionManager::new_lazy_with_config(client.clone(), config.clone())?
        };
        Ok(Io {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            alive: Arc::new(()),
            handle,
            client,
            config,
            conn,
            health: Arc::default(),
            _stop: stop,
        })
    }

    /// The connection of the shard the caller runs on (made on its runtime
    /// the first time), or `None` off a shard.
    pub(crate) fn local(&self) -> Option<ConnectionManager> {
        crate::engine::shards::Shards::current()?;
        tokio::runtime::Handle::try_current().ok()?;
        let lost = self.health.lost.load(Ordering::Relaxed);
        LOCAL.with(|locals| {
            let mut locals = locals.borrow_mut();
            if let Some(l) = locals.iter().find(|l| l.id == self.id && l.made == lost) {
                return Some(l.conn.clone());
            }
            locals.retain(|l| l.alive.strong_count() > 0 && l.id != self.id);
            let conn =
                ConnectionManager::new_lazy_with_config(self.client.clone(), self.config.clone())
                    .ok()?;
            locals.push(Local {
                id: self.id,
                alive: Arc::downgrade(&self.alive),
                made: lost,
                conn: conn.clone(),
            });
            Some(conn)
        })
    }

    /// The client (for a dedicated connection: a blocking command such as
    /// BLPOP must not hold up the shared one).
    pub(crate) fn client(&self) -> &redis::Client {
        &self.client
    }

    /// Whether the last command failed to reach Redis less than
    /// [`RETRY_AFTER`] ago.
    pub(crate) fn known_down(&self) -> bool {
        let down = self
            .health
            .down_since
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        down.is_some_and(|at| at.elapsed() < RETRY_AFTER)
    }

    /// Runs `command` without waiting for it (it handles its own errors):
    /// on the caller's shard and its connection, else on the I/O thread.
    pub(crate) fn spawn<F, Fut>(&self, command: F)
    where
        F: FnOnce(ConnectionManager) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        match self.local() {
            Some(conn) => drop(tokio::spawn(command(conn))),
            None => drop(self.handle.spawn(command(self.conn.clone()))),
        }
    }

    /// Runs `command` and answers its result: in a task on the caller's
    /// shard with the shard's connection, else on the I/O thread; it runs
    /// to its end whether or not the returned future is awaited. The
    /// returned future is `'static` and `Send` (await it on any runtime).
    /// Fails at once while Redis is known down.
    ///
    /// # Errors
    /// [`ClusterError::Unavailable`] when Redis cannot be reached or the
    /// command fails.
    pub(crate) fn run<T, F, Fut>(
        &self,
        command: F,
    ) -> impl Future<Output = Result<T, ClusterError>> + Send + 'static
    where
        T: Send + 'static,
        F: FnOnce(ConnectionManager) -> Fut + Send + 'static,
        Fut: Future<Output = redis::RedisResult<T>> + Send + 'static,
    {
        let job = (!self.known_down()).then(|| {
            let health = Arc::clone(&self.health);
            let command = move |conn| async move {
                let result = command(conn).await;
                note(&health, &result);
                result
            };
            match self.local() {
                Some(conn) => tokio::spawn(command(conn)),
                None => self.handle.spawn(command(self.conn.clone())),
            }
        });
        async move {
            let Some(job) = job else {
                return Err(ClusterError::Unavailable(
                    "Redis did not answer the last command".to_owned(),
                ));
            };
            match job.await {
                Ok(result) => result.map_err(ClusterError::from),
                Err(e) => Err(ClusterError::Unavailable(format!("cluster I/O: {e}"))),
            }
        }
    }
}

/// Notes whether `result` reached Redis (a failure to reach it starts
/// [`RETRY_AFTER`]).
fn note<T>(health: &Health, result: &redis::RedisResult<T>) {
    let mut since = health.down_since.lock().unwrap_or_else(|e| e.into_inner());
    match result {
        Err(e)
            if e.is_io_error()
                || e.is_connection_dropped()
                || e.is_connection_refusal()
                || e.is_timeout() =>
        {
            *since = Some(Instant::now());
            health.lost.fetch_add(1, Ordering::Relaxed);
        }
        _ => *since = None,
    }
}
