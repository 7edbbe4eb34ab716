//! Several instances, one service: the cluster on Redis (issue 13).
//!
//! # Overview
//!
//! `expressway serve --cluster redis://HOST:PORT[/DB]` plugs a
//! [`RedisStore`] in the start layer's [`crate::start::StartStore`] seam;
//! nothing above it changes, and without `--cluster` the in-memory store
//! stays the default (no Redis needed). What the cluster guarantees today:
//!
//! 1. **One registry.** State machines live in a Redis hash
//!    (`expressway:machines`, ARN → JSON with the definition text). Every
//!    node reads them from a local arc-swapped cache, so a start reads no
//!    Redis; a create, update, tag or delete on any node is announced on a
//!    pub/sub channel and applied on every node within milliseconds
//!    (`listen.rs`), and the whole registry is read again every 5 s to heal a
//!    missed announcement. A node compiles a definition once per version
//!    (the compiled graph is reused while the text is unchanged).
//!    Versions and aliases live beside them, per machine
//!    (`versions.rs`): a start through a version or alias ARN works on
//!    every node.
//! 2. **Durable asynchronous starts, at least once.** StartExecution
//!    answers only after one Lua script has added the start to the
//!    `expressway:starts` stream, made it pending for this node in the
//!    `runners` consumer group, and written its record
//!    (`expressway:execution:<arn>`, read by DescribeExecution on every
//!    node). Its end (written off the execution's thread, `finisher.rs`)
//!    acknowledges and deletes the entry, so an ended execution never runs
//!    again. If its node dies, another node claims it
//!    once it has been pending past the execution's deadline plus a margin
//!    and runs it again with the same name and ARN (`reclaim.rs`);
//!    re-runs are counted in `expressway_cluster_starts_reclaimed_total`.
//! 3. **Task Tokens and activities across instances.** SendTaskSuccess /
//!    SendTaskFailure / SendTaskHeartbeat sent to any instance reach the
//!    Task waiting on the token wherever it runs (forwarded on a pub/sub
//!    channel, answered on the sender's replies channel, `tokens.rs`); a
//!    token no instance knows answers `TaskTimedOut`, as AWS does for a
//!    closed Task. Activities are shared, and their Tasks queue on Redis
//!    lists that GetActivityTask on any instance pops, each Task once
//!    (`activities.rs`).
//! 4. **One admission limit.** The per-machine and global token buckets
//!    run as one GCRA Lua script in Redis per start (`admission.rs`).
//! 7. **Redis unreachable.** Synchronous executions of machines already
//!    cached keep running; StartExecution is refused with
//!    `ServiceUnavailable` (HTTP 503, never accepted and lost);
//!    connections are made again by themselves.
//!
//! 6. (in part) **Membership and gauges.** Nodes heartbeat into
//!    `expressway:members` every second (`members.rs`); `/metrics` shows
//!    `expressway_cluster_members`, `expressway_cluster_starts_pending`,
//!    `expressway_cluster_redis_up` and the reclaimed starts.
//!
//! No Redis command of a serving path (an asynchronous start's record,
//! admission and end, DescribeExecution, StopExecution, ListExecutions, the
//! registry writes of Create/Update/DeleteStateMachine, TagResource,
//! UntagResource, CreateActivity and DeleteActivity, a forwarded callback,
//! an activity Task) blocks a serving thread or shard: each shard sends
//! them on a pipelined connection of its own and awaits the answer, so a
//! start's round trips wake no other thread (`io.rs`; callers off a shard
//! use the `cluster-io` thread's connection). The finisher's retries, the
//! reclaimer, the listener and the heartbeat use a small pool of blocking
//! connections on their own threads (`pool.rs`). A start of a machine,
//! version or alias not yet in the local copy (created on another instance
//! a moment ago, not yet announced here) reads it on the asynchronous
//! connection too ([`crate::start::StartStore::fetch_machine`],
//! [`crate::start::VersionStore::fetch`]), and so does the console.
//!
//! Kinesis consumers share a stream's shards through leases and keep
//! their checkpoints in Redis (`leases.rs`, `checkpoints.rs`); every
//! consumer joins the members set (`consumers.rs`).

mod activities;
mod admission;
mod checkpoints;
mod consumers;
mod error;
mod file;
mod finisher;
mod io;
mod keys;
pub mod leases;
mod listen;
mod machines;
mod members;
mod pool;
mod reclaim;
mod records;
mod store;
mod tokens;
mod versions;

use std::sync::Arc;
use std::time::Duration;

pub use checkpoints::Stored;
pub use consumers::{default_consumer_id, ConsumerNode};
pub use error::ClusterError;
pub use file::FileSettings;
pub use store::RedisStore;

use crate::start::{StartStore, Starter};

/// How to join a cluster.
#[derive(Debug, Clone)]
pub struct ClusterConfig {
    /// `redis://HOST:PORT[/DB]` (also `rediss://`, `redis+unix://`).
    pub url: String,
    /// This node's id: its consumer name in the starts group. Two live
    /// nodes must not share one.
    pub node_id: String,
    /// How long past an execution's deadline another node waits before it
    /// runs a start whose runner stopped answering (default 5 s).
    pub reclaim_margin: Duration,
    /// How long an ended execution's record is kept (default 1 hour).
    pub retention: Duration,
    /// How many execution records the cluster keeps (default 10,000, as
    /// `StartConfig::execution_retention`; the oldest are forgotten first).
    pub execution_retention: usize,
    /// The prefix of every key and channel (default `expressway:`).
    pub prefix: String,
    /// The timeout of one Redis command or connection attempt (default 1 s).
    pub timeout: Duration,
}

impl ClusterConfig {
    /// The defaults for `url` and `node_id`.
    pub fn new(url: &str, node_id: &str) -> Self {
        ClusterConfig {
            url: url.to_owned(),
            node_id: node_id.to_owned(),
            reclaim_margin: Duration::from_secs(5),
            retention: Duration::from_secs(3_600),
            execution_retention: 10_000,
            prefix: "expressway:".to_owned(),
            timeout: Duration::from_secs(1),
        }
    }
}

/// The default node id: the host name and the port (`host:8083`).
pub fn default_node_id(port: u16) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned());
    format!("{host}:{port}")
}

/// A joined cluster: its store, to build the [`Starter`] on, then
/// [`Cluster::run`] to start the listener and the reclaimer.
#[derive(Debug, Clone)]
pub struct Cluster {
    store: Arc<RedisStore>,
    config: ClusterConfig,
}

impl Cluster {
    /// Joins the cluster at `config.url`: reads the registry and creates the
    /// starts group when Redis answers. An unreachable Redis is not an
    /// error (the node reconnects by itself, see the module docs).
    ///
    /// # Errors
    /// [`ClusterError::Url`] for a URL that is not a Redis URL;
    /// [`ClusterError::Unavailable`] when the I/O thread cannot start.
    pub fn connect(config: ClusterConfig) -> Result<Self, ClusterError> {
        let client = redis::Client::open(config.url.as_str())
            .map_err(|e| ClusterError::Url(e.to_string()))?;
        let io = io::Io::start(client.clone(), config.timeout)?;
        let pool = pool::Pool::new(client, 4, config.timeout);
        let (ends, queued) = crossbeam::channel::unbounded();
        let store = Arc::new(RedisStore::new(
            pool,
            io,
            keys::Keys::new(&config.prefix),
            config.node_id.clone(),
            config.retention,
            config.execution_retention,
            ends,
        ));
        finisher::spawn(Arc::downgrade(&store), queued);
        let joined = store.ensure_group().and_then(|()| store.resync());
        if let Err(e) = joined {
            tracing::warn!(url = %config.url, error = %e, "cluster: Redis unreachable, will retry");
            eprintln!("expressway: cluster Redis unreachable ({e}); retrying in the background");
        }
        Ok(Cluster { store, config })
    }

    /// The store to build the [`Starter`] on ([`Starter::with_store`]).
    pub fn store(&self) -> Arc<dyn StartStore> {
        Arc::clone(&self.store) as Arc<dyn StartStore>
    }

    /// The versions and aliases of the cluster, to build the [`Starter`]
    /// with ([`Starter::with_versions`]): published, created, updated or
    /// deleted on any instance, visible on every one (`versions.rs`).
    pub fn versions(&self) -> Arc<dyn crate::start::VersionStore> {
        Arc::new(versions::RedisVersions::new(Arc::clone(&self.store)))
    }

    /// Shares the service's `activities` with the cluster: created on any
    /// instance, visible on every one; a Task scheduled on any instance
    /// goes to one worker polling any instance (`activities.rs`).
    pub fn share_activities(&self, activities: &Arc<crate::api::activities::Activities>) {
        self.store.share_activities(Arc::clone(activities));
        activities.share(Arc::new(activities::RedisActivities::new(Arc::clone(
            &self.store,
        ))));
        if let Err(e) = activities::resync(&self.store, activities) {
            tracing::warn!(error = %e, "cluster: activities not read yet, will retry");
        }
    }

    /// This node's id.
    pub fn node_id(&self) -> &str {
        &self.config.node_id
    }

    /// Starts the registry listener and the reclaimer (threads living as
    /// long as the process); reclaimed starts run on `starter` from the
    /// current tokio runtime.
    ///
    /// # Panics
    /// Outside a tokio runtime.
    pub fn run(&self, starter: &Starter) {
        self.store.announce_to(starter.engine().clone());
        starter
            .admission()
            .share(Arc::new(admission::RedisBuckets::new(&self.store)));
        starter
            .engine()
            .task_tokens()
            .set_remote(Arc::new(tokens::Forwarder::new(Arc::clone(&self.store))));
        listen::spawn(Arc::clone(&self.store));
        reclaim::spawn(
            Arc::clone(&self.store),
            starter.clone(),
            tokio::runtime::Handle::current(),
            self.config.reclaim_margin,
        );
    }
}
