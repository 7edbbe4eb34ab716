//! A consumer in the cluster (`expressway consume sqs|kinesis --cluster`):
//! [`ConsumerNode`], an asynchronous Redis connection that reconnects by
//! itself, and the membership heartbeat a consumer shares with the `serve`
//! instances (the sorted set `expressway:members`, every
//! second, members silent for 5 s dropped: `members.rs`), which sets this
//! process's `expressway_cluster_members` and `expressway_cluster_redis_up`
//! gauges. Kinesis consumers also share shard leases
//! ([`ConsumerNode::leases`], `leases.rs`).

use std::time::{Duration, SystemTime};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::error::ClusterError;
use super::keys::Keys;
use super::leases::{LeaseScope, Leases};
use super::machines::millis;
use super::members::{HEARTBEAT, MEMBER_TTL};
use super::ClusterConfig;
use crate::metrics::{CLUSTER_MEMBERS, CLUSTER_REDIS_UP};

/// One consumer process joined to the cluster's Redis.
#[derive(Clone)]
pub struct ConsumerNode {
    conn: ConnectionManager,
    keys: Keys,
    node: String,
}

impl std::fmt::Debug for ConsumerNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsumerNode")
            .field("node", &self.node)
            .finish_non_exhaustive()
    }
}

/// The default node id of a consumer: the host name and the process id
/// (`host:consume-4242`), as [`super::default_node_id`] uses the port.
pub fn default_consumer_id() -> String {
    let host = super::default_node_id(0);
    let host = host.strip_suffix(":0").unwrap_or(&host);
    format!("{host}:consume-{}", std::process::id())
}

impl ConsumerNode {
    /// Joins the cluster at `config.url` as `config.node_id`. The
    /// connection is made on first use and again after any failure (each
    /// command bounded by `config.timeout`), so an unreachable Redis is not
    /// an error here.
    ///
    /// # Errors
    /// [`ClusterError::Url`] for a URL that is not a Redis URL.
    pub fn connect(config: &ClusterConfig) -> Result<Self, ClusterError> {
        let client = redis::Client::open(config.url.as_str())
            .map_err(|e| ClusterError::Url(e.to_string()))?;
        let manager = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(config.timeout))
            .set_response_timeout(Some(config.timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        let conn = ConnectionManager::new_lazy_with_config(client, manager)
            .map_err(|e| ClusterError::Url(e.to_string()))?;
        Ok(ConsumerNode {
            conn,
            keys: Keys::new(&config.prefix),
            node: config.node_id.clone(),
        })
    }

    /// This node's id.
    pub fn node_id(&self) -> &str {
        &self.node
    }

    /// A connection handle (cheap to clone; commands are pipelined on one
    /// multiplexed connection).
    pub(crate) fn conn(&self) -> ConnectionManager {
        self.conn.clone()
    }

    /// The key prefix.
    pub(crate) fn prefix(&self) -> &str {
        self.keys.prefix()
    }

    /// The shard leases of `scope`, each held for `duration` unless renewed.
    pub fn leases(&self, scope: &LeaseScope, duration: Duration) -> Leases {
        Leases::new(self.clone(), scope, duration)
    }

    /// One heartbeat: this node's score in the members set is now; members
    /// silent for 5 s are dropped; the gauges are set
    /// (`expressway_cluster_redis_up` 0 when Redis did not answer).
    pub async fn beat(&self) {
        let members = self.keys.members();
        let now = millis(SystemTime::now());
        let expired = now.saturating_sub(u64::try_from(MEMBER_TTL.as_millis()).unwrap_or(0));
        let mut conn = self.conn.clone();
        let answer: redis::RedisResult<(u64,)> = redis::pipe()
            .cmd("ZADD")
            .arg(&members)
            .arg(now)
            .arg(&self.node)
            .ignore()
            .cmd("ZREMRANGEBYSCORE")
            .arg(&members)
            .arg("-inf")
            .arg(format!("({expired}"))
            .ignore()
            .cmd("ZCARD")
            .arg(&members)
            .query_async(&mut conn)
            .await;
        match answer {
            Ok((count,)) => {
                #[allow(clippy::cast_precision_loss)]
                metrics::gauge!(CLUSTER_MEMBERS).set(count as f64);
                metrics::gauge!(CLUSTER_REDIS_UP).set(1.0);
            }
            Err(e) => {
                tracing::debug!(error = %e, "cluster: consumer heartbeat failed");
                metrics::gauge!(CLUSTER_REDIS_UP).set(0.0);
            }
        }
    }

    /// Leaves the members set (a clean stop: the others stop counting this
    /// node at once instead of after 5 s).
    pub async fn leave(&self) {
        let mut conn = self.conn.clone();
        let left: redis::RedisResult<()> = redis::cmd("ZREM")
            .arg(self.keys.members())
            .arg(&self.node)
            .query_async(&mut conn)
            .await;
        if let Err(e) = left {
            tracing::debug!(error = %e, "cluster: leaving the members set failed");
        }
    }

    /// Heartbeats every second until `stop` resolves, then leaves.
    pub async fn heartbeat(&self, stop: impl std::future::Future<Output = ()>) {
        tokio::pin!(stop);
        loop {
            self.beat().await;
            tokio::select! {
                () = &mut stop => break,
                () = tokio::time::sleep(HEARTBEAT) => {}
            }
        }
        self.leave().await;
    }
}
