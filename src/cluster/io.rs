//! [`Io`]: the asynchronous Redis I/O of the hot paths (an asynchronous
//! start's record, its admission, DescribeExecution, a forwarded Task Token
//! callback), so that no serving thread or shard ever blocks on Redis.
//!
//! One `cluster-io` thread runs a single-threaded tokio runtime that owns a
//! [`redis::aio::ConnectionManager`] (one multiplexed, pipelined connection,
//! reconnected by itself). A caller on a shard hands its command to that
//! runtime ([`Io::run`]) and awaits the answer: the shard only queues the
//! command and is woken by the reply, so other connections and executions
//! on it go on meanwhile, and concurrent commands from every shard share
//! one socket (Redis sees them pipelined). After a failed command the
//! connection is reported down for [`super::pool::RETRY_AFTER`], during
//! which calls fail at once instead of each waiting for a timeout.

use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::error::ClusterError;
use super::pool::RETRY_AFTER;

/// The asynchronous connection of one node.
pub(crate) struct Io {
    handle: tokio::runtime::Handle,
    client: redis::Client,
    conn: ConnectionManager,
    down_since: std::sync::Arc<Mutex<Option<Instant>>>,
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
            ConnectionManager::new_lazy_with_config(client.clone(), config)?
        };
        Ok(Io {
            handle,
            client,
            conn,
            down_since: std::sync::Arc::new(Mutex::new(None)),
            _stop: stop,
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
        let down = self.down_since.lock().unwrap_or_else(|e| e.into_inner());
        down.is_some_and(|at| at.elapsed() < RETRY_AFTER)
    }

    /// Runs `command` on the connection, on the I/O thread, without
    /// waiting for it (it handles its own errors).
    pub(crate) fn spawn<F, Fut>(&self, command: F)
    where
        F: FnOnce(ConnectionManager) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let conn = self.conn.clone();
        drop(self.handle.spawn(command(conn)));
    }

    /// Runs `command` on the connection, on the I/O thread, and answers its
    /// result; the returned future is `'static` and `Send` (await it on
    /// any runtime). Fails at once while Redis is known down.
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
        let down = self.known_down();
        let conn = self.conn.clone();
        let down_since = std::sync::Arc::clone(&self.down_since);
        let job = (!down).then(|| {
            self.handle.spawn(async move {
                let result = command(conn).await;
                let mut since = down_since.lock().unwrap_or_else(|e| e.into_inner());
                match &result {
                    Err(e)
                        if e.is_io_error()
                            || e.is_connection_dropped()
                            || e.is_connection_refusal()
                            || e.is_timeout() =>
                    {
                        *since = Some(Instant::now());
                    }
                    _ => *since = None,
                }
                result
            })
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
