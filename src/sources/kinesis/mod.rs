//! The Kinesis consumer (`expressway consume kinesis`): one reader per
//! shard, one execution per record (or per `GetRecords` batch, as a Lambda
//! Kinesis event), a per-shard checkpoint, at-least-once delivery.
//!
//! * Reading ([`shard`]): `ListShards`, then per shard `GetShardIterator`
//!   (`AFTER_SEQUENCE_NUMBER` the checkpoint, else `TRIM_HORIZON` /
//!   `LATEST`) and `GetRecords` (`Limit` = `--batch-size`), whose
//!   `MillisBehindLatest` feeds a gauge. Reading waits for a free execution
//!   slot and each start for admission: a slow state machine slows reading.
//! * Failures ([`bisect`]): a failed execution is retried `--retries` times;
//!   a batch that still fails is split in half until the poison record is
//!   alone; it goes to the on-failure destination ([`failure`]) and the
//!   rest of the shard keeps flowing.
//! * Checkpoint ([`checkpoint`]): per shard, the sequence number through
//!   which every record settled ([`Contiguous`] over the run's record ids),
//!   plus the records past it that settled too; stored through the
//!   [`ShardCheckpoints`] trait (a local file, atomic write + rename) at
//!   most every `--checkpoint-interval-ms` and at the stop. A restart resumes
//!   after it and skips the listed records (counted as duplicates).

pub mod bisect;
pub mod checkpoint;
pub mod event;
pub mod failure;
pub mod leased;
pub mod shard;

use crate::sources::SourceError;
use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, Semaphore};
use tokio::time::Instant;

use self::checkpoint::{InMemory, Positions, ShardCheckpointFile, ShardCheckpoints, ShardPosition};
use self::event::{compare_sequence, Origin};
use self::failure::{Destination, Target};
use self::shard::{Context, Settled, StartingPosition};
use super::aws::{self, Stop};
use super::{Contiguous, Pipeline};
use crate::engine::ExecutionStatus;
use crate::metrics::{self as m, ConsumerMetrics};
use crate::start::Starter;

/// Everything `expressway consume kinesis` needs.
#[derive(Debug, Clone)]
pub struct KinesisConsumer {
    /// The stream name.
    pub stream_name: String,
    /// The ASL definition file.
    pub definition: PathBuf,
    /// The state machine name (default: the definition's file name).
    pub state_machine_name: Option<String>,
    /// One execution per `GetRecords` batch (a Lambda Kinesis event).
    pub batch: bool,
    /// Records per `GetRecords` (1–10,000).
    pub batch_size: i32,
    /// Executions in flight at most, over every shard.
    pub concurrency: usize,
    /// Retries of a failed execution before bisecting / the destination.
    pub retries: u32,
    /// The checkpoint file (`None`: positions kept in memory only).
    pub checkpoint: Option<PathBuf>,
    /// Shortest time between checkpoint writes; the final one is always written.
    pub checkpoint_every: Duration,
    /// Where poison records go.
    pub on_failure: Option<Target>,
    /// Where reading starts in a shard without a checkpoint.
    pub starting_position: StartingPosition,
    /// Pause after an empty `GetRecords`.
    pub poll_interval: Duration,
    /// Report file (JSON lines, appended).
    pub report: Option<PathBuf>,
    /// The Kinesis (and on-failure SQS) endpoint.
    pub endpoint_url: Option<String>,
    /// Serve `GET /metrics` on this address while consuming.
    pub metrics_addr: Option<String>,
    /// Share the shards with other consumers through leases in Redis, and
    /// keep the checkpoint there (`None`: read every shard, checkpoint to
    /// `checkpoint`).
    pub cluster: Option<leased::ClusterLeases>,
}

/// What a `consume kinesis` run did.
#[derive(Debug, Default)]
pub struct KinesisSummary {
    /// Shards read.
    pub shards: usize,
    /// Records received.
    pub received: u64,
    /// Records whose execution succeeded.
    pub succeeded: u64,
    /// Records that failed every retry.
    pub failed: u64,
    /// Failed records sent to the on-failure destination.
    pub sent_to_destination: u64,
    /// Records the checkpoint listed as finished, skipped.
    pub duplicates: u64,
    /// Times admission refused a start.
    pub throttled: u64,
    /// The stored positions at the end.
    pub checkpoint: Positions,
    /// Whether a signal stopped the consumer.
    pub stopped: bool,
    /// The error that ended the run early.
    pub error: Option<String>,
}

impl KinesisSummary {
    /// The summary as one JSON object (camelCase field names).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "shards": self.shards,
            "received": self.received,
            "succeeded": self.succeeded,
            "failed": self.failed,
            "sentToDestination": self.sent_to_destination,
            "duplicates": self.duplicates,
            "throttled": self.throttled,
            "checkpoint": self.checkpoint,
            "stopped": self.stopped,
            "error": self.error,
        })
    }
}

/// One shard's progress in this run.
struct Progress {
    shard_id: String,
    seen: Contiguous,
    /// Sequence numbers of settled ids past `seen.through()` (and of it).
    settled: BTreeMap<u64, String>,
    /// The stored position.
    position: ShardPosition,
}

impl Progress {
    /// Folds a settled unit in; whether the position changed.
    fn settle(&mut self, s: &Settled) -> bool {
        let (Some(first), Some(last)) = (s.records.first(), s.records.last()) else {
            return false;
        };
        for r in &s.records {
            self.settled.insert(r.id, r.sequence_number.clone());
        }
        self.seen.complete(first.id, last.id);
        let through = self.seen.through();
        if let Some(seq) = self.settled.get(&through).cloned() {
            self.position.sequence_number = Some(seq);
        }
        self.settled.retain(|&id, _| id > through);
        let after = self.position.sequence_number.clone();
        let beyond = |seq: &String| {
            after
                .as_deref()
                .is_none_or(|a| compare_sequence(seq, a).is_gt())
        };
        let mut finished: Vec<String> = self.settled.values().cloned().collect();
        finished.extend(self.position.finished.iter().filter(|s| beyond(s)).cloned());
        finished.sort_by(|a, b| compare_sequence(a, b));
        finished.dedup();
        self.position.finished = finished;
        true
    }
}

struct Reporter {
    file: Option<BufWriter<File>>,
    summary: KinesisSummary,
}

impl Reporter {
    fn report(&mut self, shard_id: &str, s: &Settled) -> io::Result<()> {
        for r in &s.records {
            let Some(outcome) = &r.outcome else {
                self.summary.duplicates += 1;
                continue;
            };
            if outcome.status == ExecutionStatus::Succeeded {
                self.summary.succeeded += 1;
            } else {
                self.summary.failed += 1;
            }
            if r.sent_to_destination {
                self.summary.sent_to_destination += 1;
            }
            let Some(file) = &mut self.file else { continue };
            let mut line = serde_json::json!({
                "shardId": shard_id,
                "sequenceNumber": r.sequence_number,
                "partitionKey": r.partition_key,
                "status": outcome.status.as_str(),
                "attempts": r.attempts,
            });
            if let Some(e) = &outcome.error {
                line["error"] = e.as_str().into();
            }
            if let Some(c) = &outcome.cause {
                line["cause"] = c.as_str().into();
            }
            if r.sent_to_destination {
                line["sentToDestination"] = true.into();
            }
            writeln!(file, "{line}")?;
        }
        match &mut self.file {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }
}

fn positions(progress: &[Progress], base: &Positions) -> Positions {
    let mut all = base.clone();
    for p in progress {
        all.insert(p.shard_id.clone(), p.position.clone());
    }
    all
}

/// Reports settled units and stores the positions, until every reader and
/// unit task is gone.
async fn settle(
    mut rx: mpsc::UnboundedReceiver<Settled>,
    mut progress: Vec<Progress>,
    base: Positions,
    mut store: Box<dyn ShardCheckpoints>,
    mut reporter: Reporter,
    every: Duration,
) -> (Reporter, Positions, Option<io::Error>) {
    let mut last_write = Instant::now();
    let mut dirty = false;
    let mut error = None;
    loop {
        // While a position is unstored, wake up when it is due even if
        // nothing else settles.
        let due = last_write + every;
        let next = tokio::select! {
            s = rx.recv() => match s {
                Some(s) => Some(s),
                None => break,
            },
            () = tokio::time::sleep_until(due), if dirty => None,
        };
        if let Some(s) = next {
            let Some(p) = progress.get_mut(s.shard) else {
                continue;
            };
            if error.is_some() {
                continue;
            }
            // Reported before it can be checkpointed.
            if let Err(e) = reporter.report(&p.shard_id, &s) {
                error = Some(e);
                continue;
            }
            dirty |= p.settle(&s);
        }
        if dirty && error.is_none() && last_write.elapsed() >= every {
            if let Err(e) = store.store(&positions(&progress, &base)) {
                error = Some(e);
            }
            dirty = false;
            last_write = Instant::now();
        }
    }
    let all = positions(&progress, &base);
    if dirty && error.is_none() {
        if let Err(e) = store.store(&all) {
            error = Some(e);
        }
    }
    (reporter, all, error)
}

/// Every shard of the stream (open and closed) with its parent shard ids.
async fn list_shards(
    client: &aws_sdk_kinesis::Client,
    stream: &str,
) -> Result<Vec<(String, Vec<String>)>, SourceError> {
    let mut shards = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let request = match &token {
            Some(t) => client.list_shards().next_token(t),
            None => client.list_shards().stream_name(stream),
        };
        let out = request
            .send()
            .await
            .map_err(|e| SourceError::aws("ListShards", stream, e))?;
        shards.extend(out.shards.unwrap_or_default().into_iter().map(|s| {
            let parents = [s.parent_shard_id, s.adjacent_parent_shard_id]
                .into_iter()
                .flatten()
                .collect();
            (s.shard_id, parents)
        }));
        token = out.next_token;
        if token.is_none() {
            return Ok(shards);
        }
    }
}

/// What both ways of consuming (alone, or sharing leases) set up first.
struct Prepared {
    ctx: Arc<Context>,
    stop: Stop,
    stream_arn: String,
    region: String,
    role_arn: String,
    report: Option<BufWriter<File>>,
}

impl Prepared {
    fn origin(&self, shard_id: &str) -> Origin {
        Origin {
            stream_arn: self.stream_arn.clone(),
            region: self.region.clone(),
            shard_id: shard_id.to_owned(),
            role_arn: self.role_arn.clone(),
        }
    }
}

/// Loads the definition, opens the report, serves `/metrics`, describes
/// the stream and builds the shared reading context.
async fn prepare(
    config: &KinesisConsumer,
    starter: &Starter,
    signal: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<Prepared, SourceError> {
    let pipeline = Pipeline::for_definition(
        starter,
        &config.definition,
        config.state_machine_name.as_deref(),
        config.concurrency,
        config.checkpoint_every,
    )?;
    let name = pipeline.name().to_owned();
    let report = config
        .report
        .as_ref()
        .map(|p| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .map_err(|source| SourceError::Open {
                    path: p.clone(),
                    source,
                })
        })
        .transpose()?
        .map(BufWriter::new);
    let stop = Stop::new(signal);
    if let Some(addr) = &config.metrics_addr {
        let bound = aws::serve_metrics(addr, stop.clone())
            .await
            .map_err(|source| SourceError::Metrics {
                addr: addr.clone(),
                source,
            })?;
        eprintln!("expressway: metrics at http://{bound}/metrics");
    }
    let sdk = aws::sdk_config(config.endpoint_url.as_deref()).await;
    let client = aws_sdk_kinesis::Client::new(&sdk);
    let summary = client
        .describe_stream_summary()
        .stream_name(&config.stream_name)
        .send()
        .await
        .map_err(|e| SourceError::aws("DescribeStreamSummary", &config.stream_name, e))?;
    let stream_arn = summary
        .stream_description_summary
        .map(|s| s.stream_arn)
        .unwrap_or_default();
    let region = aws::arn_region(&stream_arn)
        .unwrap_or("us-east-1")
        .to_owned();
    let destination = config
        .on_failure
        .as_ref()
        .map(|t| Destination::open(t, &sdk))
        .transpose()?;
    let role_arn = format!("arn:aws:iam::{}:role/expressway", starter.account());
    let ctx = Arc::new(Context {
        client,
        stream_name: config.stream_name.clone(),
        pipeline,
        batch: config.batch,
        batch_size: config.batch_size.clamp(1, 10_000),
        retries: config.retries,
        poll_interval: config.poll_interval,
        starting_position: config.starting_position,
        destination,
        slots: Arc::new(Semaphore::new(config.concurrency.max(1))),
        metrics: ConsumerMetrics::new(m::SOURCE_KINESIS, &name),
        throttled: AtomicU64::new(0),
        received: AtomicU64::new(0),
        stop: stop.clone(),
    });
    Ok(Prepared {
        ctx,
        stop,
        stream_arn,
        region,
        role_arn,
        report,
    })
}

/// Runs `expressway consume kinesis` until `signal` resolves (then reading
/// stops, in-flight units settle, the checkpoint is stored). With
/// `config.cluster` the shards are shared with the other consumers through
/// leases and the checkpoint is kept in Redis ([`leased`]).
///
/// # Errors
/// Setup failures (the definition does not load, the stream cannot be
/// described, a file cannot be opened, the checkpoint is invalid): [`SourceError`].
pub async fn consume(
    config: &KinesisConsumer,
    starter: &Starter,
    signal: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<KinesisSummary, SourceError> {
    if let Some(cluster) = &config.cluster {
        return leased::consume(config, cluster, starter, signal).await;
    }
    let store: Box<dyn ShardCheckpoints> = match &config.checkpoint {
        Some(path) => Box::new(ShardCheckpointFile::new(path)),
        None => Box::new(InMemory::default()),
    };
    let base = store.load()?;
    let prepared = prepare(config, starter, signal).await?;
    let shard_ids = list_shards(&prepared.ctx.client, &config.stream_name)
        .await?
        .into_iter()
        .map(|(id, _)| id)
        .collect::<Vec<_>>();
    let (ctx, stop) = (Arc::clone(&prepared.ctx), prepared.stop.clone());
    let (tx, rx) = mpsc::unbounded_channel();
    let mut progress = Vec::with_capacity(shard_ids.len());
    let mut readers = Vec::with_capacity(shard_ids.len());
    let open: HashSet<&String> = shard_ids.iter().collect();
    for (index, shard_id) in shard_ids.iter().enumerate() {
        let position = base.get(shard_id).cloned().unwrap_or_default();
        progress.push(Progress {
            shard_id: shard_id.clone(),
            seen: Contiguous::new(0),
            settled: BTreeMap::new(),
            position: position.clone(),
        });
        let reading = shard::Reading {
            stop: stop.clone(),
            lag: Arc::new(AtomicU64::new(0)),
        };
        readers.push(tokio::spawn(shard::read_shard(
            Arc::clone(&ctx),
            index,
            prepared.origin(shard_id),
            position,
            tx.clone(),
            reading,
        )));
    }
    drop(tx);
    // Shards no longer listed keep their stored position.
    let base: Positions = base
        .into_iter()
        .filter(|(k, _)| !open.contains(k))
        .collect();
    let reporter = Reporter {
        file: prepared.report,
        summary: KinesisSummary {
            shards: shard_ids.len(),
            ..KinesisSummary::default()
        },
    };
    let settler = tokio::spawn(settle(
        rx,
        progress,
        base,
        store,
        reporter,
        config.checkpoint_every,
    ));
    for r in readers {
        let _ = r.await;
    }
    let (reporter, positions, error) = settler.await.map_err(SourceError::Settling)?;
    let mut summary = reporter.summary;
    summary.received = ctx.received.load(Ordering::Relaxed);
    summary.throttled = ctx.throttled.load(Ordering::Relaxed);
    summary.checkpoint = positions;
    summary.stopped = stop.fired();
    summary.error = error.map(|e| e.to_string());
    Ok(summary)
}
