//! One reader per shard: `GetShardIterator` (`AFTER_SEQUENCE_NUMBER` the
//! checkpoint, else the starting position), `GetRecords` in a loop, records
//! grouped into units (one per record, or one per `GetRecords` batch) and
//! run concurrently behind admission, each unit retried and bisected
//! ([`bisect`](super::bisect)); a poison record goes to the on-failure
//! destination before its unit counts as settled.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_kinesis::error::DisplayErrorContext;
use aws_sdk_kinesis::types::ShardIteratorType;
use tokio::sync::{mpsc, Semaphore};

use super::bisect::run_bisecting;
use super::checkpoint::ShardPosition;
use super::event::{self, Origin, StreamRecord};
use super::failure::{self, Destination, FailedRecord};
use crate::engine::{ExecutionOutcome, ExecutionStatus};
use crate::metrics::ConsumerMetrics;
use crate::sources::aws::Stop;
use crate::sources::Pipeline;

/// Where reading starts in a shard without a checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartingPosition {
    /// The oldest record kept.
    TrimHorizon,
    /// Only records put after the reader starts.
    Latest,
}

/// How one record of a unit settled.
#[derive(Debug, Clone)]
pub struct Settlement {
    /// The record's id in this run (per shard, from 1, in shard order).
    pub id: u64,
    /// Its sequence number.
    pub sequence_number: String,
    /// Its partition key.
    pub partition_key: String,
    /// The last execution's outcome; `None` for a record the checkpoint
    /// listed as finished (skipped, not run again).
    pub outcome: Option<Arc<ExecutionOutcome>>,
    /// Executions run with this record.
    pub attempts: u32,
    /// Whether it was sent to the on-failure destination.
    pub sent_to_destination: bool,
}

/// A settled unit of one shard: every id in `first..=last`.
#[derive(Debug, Clone)]
pub struct Settled {
    /// The shard's index in the consumer's shard list.
    pub shard: usize,
    /// The records, in id order.
    pub records: Vec<Settlement>,
}

/// What every shard reader shares.
pub struct Context {
    /// The Kinesis client.
    pub client: aws_sdk_kinesis::Client,
    /// The stream name.
    pub stream_name: String,
    /// Runs and admits executions.
    pub pipeline: Pipeline,
    /// One execution per `GetRecords` batch (else one per record).
    pub batch: bool,
    /// `GetRecords` `Limit`: records per batch.
    pub batch_size: i32,
    /// Retries of a failed execution before bisecting / giving up.
    pub retries: u32,
    /// Pause after an empty `GetRecords`.
    pub poll_interval: Duration,
    /// Where reading starts without a checkpoint.
    pub starting_position: StartingPosition,
    /// The on-failure destination (`None`: failed records are only reported).
    pub destination: Option<Destination>,
    /// Units in flight at most, over every shard.
    pub slots: Arc<Semaphore>,
    /// Consumer metrics.
    pub metrics: ConsumerMetrics,
    /// Times admission refused a start.
    pub throttled: AtomicU64,
    /// Records received.
    pub received: AtomicU64,
    /// The stop signal.
    pub stop: Stop,
}

fn convert(r: aws_sdk_kinesis::types::Record) -> StreamRecord {
    StreamRecord {
        arrival_ms: r
            .approximate_arrival_timestamp
            .and_then(|t| t.to_millis().ok())
            .unwrap_or_default(),
        sequence_number: r.sequence_number,
        partition_key: r.partition_key.unwrap_or_default(),
        data: r.data.into_inner(),
    }
}

impl Context {
    async fn iterator(
        &self,
        shard_id: &str,
        after: Option<&str>,
    ) -> Result<Option<String>, crate::sources::SourceError> {
        let mut request = self
            .client
            .get_shard_iterator()
            .stream_name(&self.stream_name)
            .shard_id(shard_id);
        request = match (after, self.starting_position) {
            (Some(seq), _) => request
                .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
                .starting_sequence_number(seq),
            (None, StartingPosition::TrimHorizon) => {
                request.shard_iterator_type(ShardIteratorType::TrimHorizon)
            }
            (None, StartingPosition::Latest) => {
                request.shard_iterator_type(ShardIteratorType::Latest)
            }
        };
        request
            .send()
            .await
            .map(|o| o.shard_iterator)
            .map_err(|e| crate::sources::SourceError::aws("GetShardIterator", shard_id, e))
    }

    /// Runs `records` (or the single record `range.start`) once: waits for
    /// admission, executes; `None` when the consumer stopped first.
    async fn run_once(
        &self,
        records: &[StreamRecord],
        origin: &Origin,
    ) -> Option<ExecutionOutcome> {
        let input = if self.batch {
            event::batch_event(records, origin)
        } else {
            match records.first() {
                Some(r) => event::record_input(&r.data),
                None => return None,
            }
        };
        let input = match input {
            Ok(i) => i,
            Err(refused) => {
                return Some(ExecutionOutcome {
                    status: ExecutionStatus::Failed,
                    output: None,
                    error: Some(refused.error),
                    cause: Some(refused.cause),
                    stop_time: std::time::SystemTime::now(),
                })
            }
        };
        let mut stop = Box::pin(self.stop.wait());
        let mut throttled = 0;
        let outcome = self
            .pipeline
            .execute(input, &mut stop, &mut throttled)
            .await;
        self.throttled.fetch_add(throttled, Ordering::Relaxed);
        outcome
    }

    /// Sends a poison record to the destination, retrying until it is sent
    /// or the consumer stops (`false`).
    async fn dead_letter(
        &self,
        record: &StreamRecord,
        origin: &Origin,
        part_attempts: u32,
        outcome: &ExecutionOutcome,
    ) -> bool {
        let Some(destination) = &self.destination else {
            return true;
        };
        let state_machine_arn = &self.pipeline.state_machine_arn;
        let lambda_record = event::record(record, origin);
        let document = failure::document(&FailedRecord {
            state_machine_arn,
            stream_arn: &origin.stream_arn,
            shard_id: &origin.shard_id,
            sequence_number: &record.sequence_number,
            arrival_ms: record.arrival_ms,
            attempts: part_attempts,
            record: &lambda_record,
            status: outcome.status.as_str(),
            error: outcome.error.as_deref(),
            cause: outcome.cause.as_deref(),
        });
        let mut backoff = Duration::from_millis(100);
        loop {
            match destination.send(&document).await {
                Ok(()) => return true,
                Err(e) => tracing::warn!("on-failure destination: {e}; retrying"),
            }
            if !self.stop.sleep(backoff).await {
                return false;
            }
            backoff = (backoff * 2).min(Duration::from_secs(5));
        }
    }

    /// Runs one unit to its settlement; `None` when the consumer stopped
    /// before it settled (the checkpoint stays before it).
    async fn unit(
        &self,
        ids: &[u64],
        records: &[StreamRecord],
        origin: &Origin,
    ) -> Option<Vec<Settlement>> {
        let parts = run_bisecting(records.len(), self.retries, self.batch, |range| {
            let slice = records.get(range).unwrap_or_default();
            self.run_once(slice, origin)
        })
        .await?;
        let mut out = Vec::with_capacity(records.len());
        for part in parts {
            let outcome = Arc::new(part.outcome);
            let failed = outcome.status != ExecutionStatus::Succeeded;
            for i in part.range {
                let (Some(record), Some(&id)) = (records.get(i), ids.get(i)) else {
                    continue;
                };
                if failed
                    && !self
                        .dead_letter(record, origin, part.attempts, &outcome)
                        .await
                {
                    return None;
                }
                out.push(Settlement {
                    id,
                    sequence_number: record.sequence_number.clone(),
                    partition_key: record.partition_key.clone(),
                    outcome: Some(Arc::clone(&outcome)),
                    attempts: part.attempts,
                    sent_to_destination: failed && self.destination.is_some(),
                });
            }
        }
        Some(out)
    }
}

/// How one shard's reading is stopped and watched.
#[derive(Clone)]
pub struct Reading {
    /// Stops reading this shard (the consumer's stop, or with `--cluster`
    /// also the loss of the shard's lease). Units already started run on
    /// until the consumer's own stop.
    pub stop: Stop,
    /// The last `MillisBehindLatest` read (for the lease's lag).
    pub lag: Arc<AtomicU64>,
}

/// How a reader ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReadEnd {
    /// The shard is closed (split or merged) and was read to its end.
    pub closed: bool,
    /// Record ids handed out: every record read has an id ≤ this.
    pub read: u64,
}

/// Reads shard `index` until `reading.stop` or the shard's end, sending
/// every settled unit to `tx`.
pub async fn read_shard(
    ctx: Arc<Context>,
    index: usize,
    origin: Origin,
    position: ShardPosition,
    tx: mpsc::UnboundedSender<Settled>,
    reading: Reading,
) -> ReadEnd {
    let stop = reading.stop;
    let mut end = ReadEnd::default();
    let shard_id = origin.shard_id.clone();
    let origin = Arc::new(origin);
    let finished: HashSet<String> = position.finished.into_iter().collect();
    let mut last_read = position.sequence_number;
    let behind = metrics::gauge!(crate::metrics::KINESIS_MILLIS_BEHIND_LATEST,
        crate::metrics::LABEL_STREAM => ctx.stream_name.clone(),
        crate::metrics::LABEL_SHARD => shard_id.clone());
    let mut iterator: Option<String> = None;
    let mut next_id = 0u64;
    let mut backoff = Duration::from_millis(200);
    while !stop.fired() {
        let current = match iterator.take() {
            Some(i) => i,
            None => match ctx.iterator(&shard_id, last_read.as_deref()).await {
                Ok(Some(i)) => i,
                Ok(None) => return end,
                Err(e) => {
                    tracing::warn!("{e}");
                    if !stop.sleep(backoff).await {
                        return end;
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    continue;
                }
            },
        };
        let request = ctx
            .client
            .get_records()
            .shard_iterator(&current)
            .limit(ctx.batch_size)
            .send();
        let answer = tokio::select! {
            biased;
            () = stop.wait() => return end,
            a = request => a,
        };
        let out = match answer {
            Ok(out) => out,
            Err(e) => {
                // Expired iterator, throttling or else: after a pause, a
                // new iterator after the last record read.
                tracing::warn!("GetRecords {shard_id}: {}", DisplayErrorContext(&e));
                if !stop.sleep(backoff).await {
                    return end;
                }
                backoff = (backoff * 2).min(Duration::from_secs(5));
                continue;
            }
        };
        backoff = Duration::from_millis(200);
        if let Some(ms) = out.millis_behind_latest {
            #[allow(clippy::cast_precision_loss)]
            behind.set(ms as f64);
            reading
                .lag
                .store(u64::try_from(ms).unwrap_or(0), Ordering::Relaxed);
        }
        let closed = out.next_shard_iterator.is_none();
        iterator = out.next_shard_iterator;
        let records: Vec<StreamRecord> = out.records.into_iter().map(convert).collect();
        if let Some(last) = records.last() {
            last_read = Some(last.sequence_number.clone());
        }
        let count = records.len() as u64;
        ctx.received.fetch_add(count, Ordering::Relaxed);
        ctx.metrics.received.increment(count);
        let mut run: Vec<(u64, StreamRecord)> = Vec::with_capacity(records.len());
        for record in records {
            next_id += 1;
            end.read = next_id;
            if finished.contains(&record.sequence_number) {
                ctx.metrics.duplicates.increment(1);
                let skipped = Settlement {
                    id: next_id,
                    sequence_number: record.sequence_number,
                    partition_key: record.partition_key,
                    outcome: None,
                    attempts: 0,
                    sent_to_destination: false,
                };
                let _ = tx.send(Settled {
                    shard: index,
                    records: vec![skipped],
                });
            } else {
                run.push((next_id, record));
            }
        }
        let units: Vec<Vec<(u64, StreamRecord)>> = if ctx.batch {
            if run.is_empty() {
                Vec::new()
            } else {
                vec![run]
            }
        } else {
            run.into_iter().map(|r| vec![r]).collect()
        };
        for unit in units {
            let slot = tokio::select! {
                biased;
                () = stop.wait() => return end,
                s = Arc::clone(&ctx.slots).acquire_owned() => match s {
                    Ok(s) => s,
                    Err(_) => return end,
                },
            };
            let (ids, records): (Vec<u64>, Vec<StreamRecord>) = unit.into_iter().unzip();
            let n = records.len() as f64;
            ctx.metrics.in_flight.increment(n);
            let (ctx, origin, tx) = (Arc::clone(&ctx), Arc::clone(&origin), tx.clone());
            tokio::spawn(async move {
                let settled = ctx.unit(&ids, &records, &origin).await;
                ctx.metrics.in_flight.decrement(n);
                if let Some(records) = settled {
                    let _ = tx.send(Settled {
                        shard: index,
                        records,
                    });
                }
                drop(slot);
            });
        }
        if closed {
            end.closed = true;
            return end;
        }
        if count == 0 && !stop.sleep(ctx.poll_interval).await {
            return end;
        }
    }
    end
}
