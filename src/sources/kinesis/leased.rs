//! `consume kinesis --cluster`: N consumers share a stream's shards through
//! leases in Redis ([`crate::cluster::leases`], after the Kinesis Client
//! Library) and keep each shard's checkpoint in its lease, so any consumer
//! resumes a shard where its last holder stopped: at least once, nothing
//! lost when a consumer is killed.
//!
//! Every third of the lease duration the coordinator
//!
//! 1. lists the stream's shards (every [`LIST_EVERY`]) and adds the leases
//!    of new ones (with their parents: a split's or merge's children wait
//!    until their parents ended);
//! 2. renews its leases, with each shard's last `MillisBehindLatest`; a
//!    lease found with another owner (stolen, or taken after it expired) is
//!    dropped: its reader stops, and its checkpoints are refused from then
//!    on;
//! 3. scans the table, sets the lease gauges and takes what
//!    [`plan`] says (free or expired leases up
//!    to ⌈shards / consumers⌉, else one steal from the most loaded
//!    consumer); each taken shard gets a reader starting after the
//!    checkpoint read in the same script that took the lease.
//!
//! Each shard's settler reports settled records first, then stores the
//! checkpoint (at most every `--checkpoint-interval-ms`) only while this
//! consumer holds the lease. A shard read to its end (closed by a split or
//! merge) is checkpointed as ended, which frees its children. On SIGTERM
//! the readers stop, in-flight records settle, the last checkpoints are
//! stored and the leases released, so the others take them at once.
//!
//! moto's Kinesis, which the tests run against, keeps no records in a
//! closed parent (a split moves them to the children) and never ends a
//! closed shard's iterator; the parent-before-child order is therefore
//! checked on the lease table's rules (`leases.rs` tests), not end to end.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::checkpoint::{Positions, ShardPosition};
use super::event::Origin;
use super::shard::{self, Context, Reading, Settled};
use super::{list_shards, prepare, KinesisConsumer, KinesisSummary, Progress, Reporter};
use crate::cluster::leases::{plan, summary, Claim, LeaseScope, Leases};
use crate::cluster::{ClusterConfig, ConsumerNode, Stored};
use crate::metrics::{
    CLUSTER_LEASES_HELD, CLUSTER_LEASES_TAKEN, CLUSTER_LEASE_SHARDS, CLUSTER_STREAM_LAG,
    LABEL_REASON, LABEL_STREAM,
};
use crate::sources::aws::Stop;
use crate::sources::Contiguous;
use crate::start::Starter;

/// How often the stream's shards are listed again (new shards after a
/// split or merge).
pub const LIST_EVERY: Duration = Duration::from_secs(10);

/// How soon the coordinator scans again after losing a take to another
/// consumer.
const RETRY_AFTER_RACE: Duration = Duration::from_millis(50);

/// How a consumer joins the cluster to share shards.
#[derive(Debug, Clone)]
pub struct ClusterLeases {
    /// `redis://HOST:PORT[/DB]`.
    pub url: String,
    /// This consumer's id: the owner written in its leases. Two live
    /// consumers must not share one.
    pub node_id: String,
    /// How long a lease lasts unless renewed: a dead consumer's shards are
    /// taken over within it (KCL's `failoverTimeMillis`, default 10 s).
    pub lease_duration: Duration,
}

/// One shard this consumer reads.
struct Held {
    stop: Stop,
    lag: Arc<AtomicU64>,
    task: JoinHandle<ShardDone>,
}

/// How one shard's reading ended.
struct ShardDone {
    shard_id: String,
    /// The last position stored (or read at the take).
    position: ShardPosition,
    /// Read to its end and checkpointed as ended (its lease freed).
    ended: bool,
    /// Its lease was found with another owner.
    lost: bool,
    /// A report or checkpoint error.
    error: Option<String>,
}

/// Everything a shard worker shares.
struct Shared {
    ctx: Arc<Context>,
    leases: Leases,
    reporter: Arc<Mutex<Reporter>>,
    every: Duration,
}

/// Reads one leased shard and settles it: reports, then checkpoints into
/// the lease while this consumer holds it.
async fn work(
    shared: Arc<Shared>,
    origin: Origin,
    position: ShardPosition,
    reading: Reading,
) -> ShardDone {
    let shard_id = origin.shard_id.clone();
    let (tx, mut rx) = mpsc::unbounded_channel::<Settled>();
    let reader = tokio::spawn(shard::read_shard(
        Arc::clone(&shared.ctx),
        0,
        origin,
        position.clone(),
        tx,
        reading.clone(),
    ));
    let mut progress = Progress {
        shard_id: shard_id.clone(),
        seen: Contiguous::new(0),
        settled: BTreeMap::new(),
        position,
    };
    let mut owned = true;
    let mut dirty = false;
    let mut error: Option<String> = None;
    let mut last_write = Instant::now();
    let store = |progress: &Progress, ended: bool| {
        let leases = shared.leases.clone();
        let json = serde_json::to_string(&progress.position).unwrap_or_default();
        let shard_id = shard_id.clone();
        async move { leases.checkpoint(&shard_id, &json, ended).await }
    };
    loop {
        let due = last_write + shared.every;
        let next = tokio::select! {
            s = rx.recv() => match s {
                Some(s) => Some(s),
                None => break,
            },
            () = tokio::time::sleep_until(due), if dirty && owned && error.is_none() => None,
        };
        if let Some(s) = next {
            // Reported before it can be checkpointed.
            let reported = shared
                .reporter
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .report(&shard_id, &s);
            if let Err(e) = reported {
                error.get_or_insert_with(|| format!("report: {e}"));
                continue;
            }
            dirty |= progress.settle(&s);
        }
        if dirty && owned && error.is_none() && last_write.elapsed() >= shared.every {
            last_write = Instant::now();
            match store(&progress, false).await {
                Ok(Stored::Stored) => dirty = false,
                Ok(Stored::LeaseLost) => {
                    tracing::warn!(shard = %shard_id, "lease lost: checkpoint refused; stopping this shard");
                    owned = false;
                    reading.stop.fire();
                }
                Err(e) => tracing::warn!(shard = %shard_id, "checkpoint: {e}; retrying"),
            }
        }
    }
    let end = reader.await.unwrap_or_default();
    let read_to_end = end.closed && progress.seen.through() >= end.read;
    let mut ended = false;
    if owned && error.is_none() && (dirty || read_to_end) {
        match store(&progress, read_to_end).await {
            Ok(Stored::Stored) => ended = read_to_end,
            Ok(Stored::LeaseLost) => owned = false,
            Err(e) => {
                error.get_or_insert_with(|| format!("checkpoint of {shard_id}: {e}"));
            }
        }
    }
    ShardDone {
        shard_id,
        position: progress.position,
        ended,
        lost: !owned,
        error,
    }
}

/// The lease gauges and counters of one stream.
struct Gauges {
    held: metrics::Gauge,
    shards: metrics::Gauge,
    lag: metrics::Gauge,
    stream: String,
}

impl Gauges {
    fn new(stream: &str) -> Self {
        Gauges {
            held: metrics::gauge!(CLUSTER_LEASES_HELD, LABEL_STREAM => stream.to_owned()),
            shards: metrics::gauge!(CLUSTER_LEASE_SHARDS, LABEL_STREAM => stream.to_owned()),
            lag: metrics::gauge!(CLUSTER_STREAM_LAG, LABEL_STREAM => stream.to_owned()),
            stream: stream.to_owned(),
        }
    }

    fn taken(&self, reason: &'static str) {
        metrics::counter!(CLUSTER_LEASES_TAKEN,
            LABEL_STREAM => self.stream.clone(), LABEL_REASON => reason)
        .increment(1);
    }
}

/// Runs `consume kinesis --cluster` until `signal` resolves.
///
/// # Errors
/// As [`super::consume`], and an invalid cluster URL.
pub(super) async fn consume(
    config: &KinesisConsumer,
    cluster: &ClusterLeases,
    starter: &Starter,
    signal: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<KinesisSummary, crate::sources::SourceError> {
    let node = ConsumerNode::connect(&ClusterConfig::new(&cluster.url, &cluster.node_id))?;
    let mut prepared = prepare(config, starter, signal).await?;
    let scope = LeaseScope {
        stream: config.stream_name.clone(),
        machine: prepared.ctx.pipeline.name().to_owned(),
    };
    let duration = cluster.lease_duration.max(Duration::from_millis(300));
    let leases = node.leases(&scope, duration);
    let stop = prepared.stop.clone();
    let heartbeat = {
        let (node, stop) = (node.clone(), stop.clone());
        tokio::spawn(async move { node.heartbeat(stop.wait()).await })
    };
    let reporter = Arc::new(Mutex::new(Reporter {
        file: prepared.report.take(),
        summary: KinesisSummary::default(),
    }));
    let shared = Arc::new(Shared {
        ctx: Arc::clone(&prepared.ctx),
        leases: leases.clone(),
        reporter: Arc::clone(&reporter),
        every: config.checkpoint_every,
    });
    eprintln!(
        "expressway: cluster consumer {} on {} sharing the shards of {}",
        cluster.node_id, cluster.url, config.stream_name
    );
    let gauges = Gauges::new(&config.stream_name);
    let me = cluster.node_id.clone();
    let tick = duration / 3;
    let mut held: BTreeMap<String, Held> = BTreeMap::new();
    let mut done: Vec<JoinHandle<ShardDone>> = Vec::new();
    let mut read_shards: BTreeSet<String> = BTreeSet::new();
    let mut last_renewed = Instant::now();
    let mut last_listed: Option<Instant> = None;
    while !stop.fired() {
        // Readers that ended (shard closed, lease lost) leave the held set.
        let ended: Vec<String> = held
            .iter()
            .filter(|(_, h)| h.task.is_finished())
            .map(|(id, _)| id.clone())
            .collect();
        for id in ended {
            if let Some(h) = held.remove(&id) {
                done.push(h.task);
            }
        }
        if last_listed.is_none_or(|at| at.elapsed() >= LIST_EVERY) {
            match list_shards(&prepared.ctx.client, &config.stream_name).await {
                Ok(shards) => match leases.register(&shards).await {
                    Ok(_) => last_listed = Some(Instant::now()),
                    Err(e) => tracing::warn!("cluster leases: {e}"),
                },
                Err(e) => tracing::warn!("{e}"),
            }
        }
        // The scan (this consumer's heartbeat as a worker) comes before the
        // renewal, so a dead consumer leaves the workers no later than its
        // leases expire.
        let scanned = leases.scan().await;
        let renewing: Vec<(String, Option<u64>)> = held
            .iter()
            .map(|(id, h)| (id.clone(), Some(h.lag.load(Ordering::Relaxed))))
            .collect();
        match leases.renew(&renewing).await {
            Ok(lost) => {
                last_renewed = Instant::now();
                for id in lost {
                    if let Some(h) = held.remove(&id) {
                        tracing::warn!(shard = %id, "lease taken by another consumer; stopping this shard");
                        h.stop.fire();
                        done.push(h.task);
                    }
                }
            }
            Err(e) => {
                tracing::warn!("cluster leases: renewal failed: {e}");
                if last_renewed.elapsed() >= duration {
                    // Not renewed for a whole lease: others may hold them now.
                    for (id, h) in std::mem::take(&mut held) {
                        tracing::warn!(shard = %id, "lease expired unrenewed; stopping this shard");
                        h.stop.fire();
                        done.push(h.task);
                    }
                }
            }
        }
        let mut sleep = tick;
        match scanned {
            Ok(scan) => {
                // Wake just after another holder's lease expires before the
                // next tick (live holders renew every tick, so only a dead
                // holder's lease does): takeover right at expiry.
                if let Some(wait) = next_expiry(&scan, &me) {
                    sleep = sleep.min(wait);
                }
                let (_, lag, open) = summary(&scan);
                #[allow(clippy::cast_precision_loss)]
                {
                    gauges.shards.set(open as f64);
                    gauges.lag.set(lag as f64);
                }
                for claim in plan(&me, &scan, duration) {
                    if held.contains_key(&claim.shard_id) || stop.fired() {
                        continue;
                    }
                    if let Some(h) = take(&shared, &prepared, &claim, &stop, &gauges).await {
                        read_shards.insert(claim.shard_id.clone());
                        held.insert(claim.shard_id, h);
                    } else {
                        // Another consumer took it first: plan again at
                        // once with a fresh scan rather than after a tick.
                        sleep = sleep.min(RETRY_AFTER_RACE);
                    }
                }
            }
            Err(e) => tracing::warn!("cluster leases: scan failed: {e}"),
        }
        #[allow(clippy::cast_precision_loss)]
        gauges.held.set(held.len() as f64);
        if !stop.sleep(sleep).await {
            break;
        }
    }
    // Stopping: every reader's stop follows the consumer's; in-flight
    // records settle and the last checkpoints are stored.
    let mut positions = Positions::new();
    let mut error = None;
    let mut release = Vec::new();
    for (id, h) in std::mem::take(&mut held) {
        release.push(id);
        done.push(h.task);
    }
    for task in done {
        let Ok(d) = task.await else { continue };
        if d.error.is_some() && error.is_none() {
            error = d.error.clone();
        }
        if d.ended {
            tracing::info!(shard = %d.shard_id, "shard read to its end");
        } else if d.lost {
            tracing::info!(shard = %d.shard_id, "shard left to its new holder");
        }
        positions.insert(d.shard_id, d.position);
    }
    for id in release {
        if let Err(e) = leases.release(&id).await {
            tracing::warn!(shard = %id, "cluster leases: release failed: {e}");
        }
    }
    if let Err(e) = leases.leave().await {
        tracing::warn!("cluster leases: {e}");
    }
    gauges.held.set(0.0);
    let _ = heartbeat.await;
    let ctx = &prepared.ctx;
    let mut summary = std::mem::take(
        &mut reporter
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .summary,
    );
    summary.shards = read_shards.len();
    summary.received = ctx.received.load(Ordering::Relaxed);
    summary.throttled = ctx.throttled.load(Ordering::Relaxed);
    summary.checkpoint = positions;
    summary.stopped = stop.fired();
    summary.error = error;
    Ok(summary)
}

/// How long until the first lease held by another consumer expires (plus
/// a few ms), if one is held.
fn next_expiry(scan: &crate::cluster::leases::Scan, me: &str) -> Option<Duration> {
    scan.leases
        .iter()
        .filter(|l| !l.ended && l.owner.as_deref().is_some_and(|o| o != me))
        .filter(|l| l.expires_ms >= scan.now_ms)
        .map(|l| Duration::from_millis(l.expires_ms - scan.now_ms + 20))
        .min()
}

/// Takes the lease `claim` names and starts its reader after the stored
/// checkpoint; `None` when another consumer was faster or Redis failed.
async fn take(
    shared: &Arc<Shared>,
    prepared: &super::Prepared,
    claim: &Claim,
    stop: &Stop,
    gauges: &Gauges,
) -> Option<Held> {
    let taken = match shared.leases.take(claim).await {
        Ok(Some(t)) => t,
        Ok(None) => return None,
        Err(e) => {
            tracing::warn!(shard = %claim.shard_id, "cluster leases: take failed: {e}");
            return None;
        }
    };
    let position = match taken
        .checkpoint
        .as_deref()
        .map(serde_json::from_str::<ShardPosition>)
    {
        None => ShardPosition::default(),
        Some(Ok(p)) => p,
        Some(Err(e)) => {
            tracing::error!(shard = %claim.shard_id, "unreadable checkpoint in the lease ({e}); leaving the shard");
            let _ = shared.leases.release(&claim.shard_id).await;
            return None;
        }
    };
    gauges.taken(match (&claim.victim, &taken.previous) {
        (Some(_), _) => "stolen",
        (None, Some(_)) => "expired",
        (None, None) => "free",
    });
    tracing::info!(shard = %claim.shard_id, previous = ?taken.previous, "lease taken");
    let shard_stop = Stop::new(stop.wait());
    let lag = Arc::new(AtomicU64::new(0));
    let reading = Reading {
        stop: shard_stop.clone(),
        lag: Arc::clone(&lag),
    };
    let task = tokio::spawn(work(
        Arc::clone(shared),
        prepared.origin(&claim.shard_id),
        position,
        reading,
    ));
    Some(Held {
        stop: shard_stop,
        lag,
        task,
    })
}
