//! The SQS consumer (`expressway consume sqs`): long-polling receivers,
//! one execution per message (or per received batch, as a Lambda SQS
//! event), at-least-once delivery.
//!
//! * Receiving: `--receivers` tasks call `ReceiveMessage` (`WaitTimeSeconds`
//!   20 by default, `MaxNumberOfMessages` up to 10), asking only for as many
//!   messages as the consumer can hold ([`receive`]): `--concurrency`
//!   messages (batches with `--batch`). While admission control makes starts
//!   wait, executions pile up, credits run out and receiving stops: messages
//!   stay in the queue instead of being dropped or received early.
//! * Running: the [`Pipeline`] admits each start and runs executions.
//! * Settling ([`sink`]): a message whose execution SUCCEEDED (and, in a
//!   batch, is not listed in the output's `batchItemFailures`) is reported,
//!   then deleted with `DeleteMessageBatch`; any other is reported and left
//!   alone: it becomes visible again after its visibility timeout and the
//!   queue's redrive policy moves it to the dead-letter queue after
//!   `maxReceiveCount` receives.
//! * Stopping (SIGTERM / SIGINT): receiving stops, in-flight executions
//!   finish and settle, messages received but not started are released
//!   (`ChangeMessageVisibilityBatch` to 0), then the summary is printed.
//!
//! A crash re-delivers what was received and not deleted (after its
//! visibility timeout): at-least-once, never lost. Redeliveries are counted
//! (`ApproximateReceiveCount` > 1).

pub mod event;
pub mod receive;
pub mod sink;

use crate::sources::SourceError;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::QueueAttributeName;
use tokio::sync::mpsc;

use self::event::Queue;
use self::receive::{MessageSource, ReceiveOptions, Shared, MAX_MESSAGES};
use self::sink::MessageSink;
use super::aws::{self, Stop};
use super::Pipeline;
use crate::metrics::{self as m, ConsumerMetrics};
use crate::start::Starter;

/// Everything `expressway consume sqs` needs.
#[derive(Debug, Clone)]
pub struct SqsConsumer {
    /// The queue URL.
    pub queue_url: String,
    /// The ASL definition file.
    pub definition: PathBuf,
    /// The state machine name (default: the definition's file name).
    pub state_machine_name: Option<String>,
    /// One execution per received batch (a Lambda SQS event) instead of per message.
    pub batch: bool,
    /// Receivers long-polling at once (at least 1).
    pub receivers: usize,
    /// Executions in flight at most (at least 1).
    pub concurrency: usize,
    /// `WaitTimeSeconds` of each `ReceiveMessage` (0–20).
    pub wait_time_seconds: i32,
    /// `VisibilityTimeout` of received messages in seconds (`None`: the queue's).
    pub visibility_timeout: Option<i32>,
    /// Report file (JSON lines, appended).
    pub report: Option<PathBuf>,
    /// How often `ApproximateNumberOfMessages` is read for the gauge.
    pub attributes_every: Duration,
    /// The SQS endpoint (default: the SDK's, or `AWS_ENDPOINT_URL`).
    pub endpoint_url: Option<String>,
    /// Serve `GET /metrics` on this address while consuming.
    pub metrics_addr: Option<String>,
}

/// What a `consume sqs` run did.
#[derive(Debug, Default)]
pub struct SqsSummary {
    /// Messages received.
    pub received: u64,
    /// Messages whose execution succeeded.
    pub succeeded: u64,
    /// Messages whose execution failed (left for redelivery / the DLQ).
    pub failed: u64,
    /// Messages deleted.
    pub deleted: u64,
    /// Messages received with `ApproximateReceiveCount` > 1.
    pub duplicates: u64,
    /// Messages received but not run, released at the stop.
    pub released: u64,
    /// `ReceiveMessage` calls answered.
    pub receives: u64,
    /// Most messages held received and unsettled at once.
    pub max_in_flight: u64,
    /// Times admission refused a start (each retried after a pause).
    pub throttled: u64,
    /// Whether a signal stopped the consumer.
    pub stopped: bool,
    /// The error that ended the run early.
    pub error: Option<String>,
}

impl SqsSummary {
    /// The summary as one JSON object (camelCase field names).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "received": self.received,
            "succeeded": self.succeeded,
            "failed": self.failed,
            "deleted": self.deleted,
            "duplicates": self.duplicates,
            "released": self.released,
            "receives": self.receives,
            "maxInFlight": self.max_in_flight,
            "throttled": self.throttled,
            "stopped": self.stopped,
            "error": self.error,
        })
    }
}

/// The queue's ARN (`GetQueueAttributes` `QueueArn`) and region.
async fn queue(client: &aws_sdk_sqs::Client, url: &str) -> Result<Queue, SourceError> {
    let out = client
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| SourceError::aws("GetQueueAttributes", url, e))?;
    let arn = out
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .ok_or_else(|| SourceError::NoQueueArn {
            url: url.to_owned(),
        })?;
    let region = aws::arn_region(&arn).unwrap_or("us-east-1").to_owned();
    Ok(Queue { arn, region })
}

/// Sets the [`m::SQS_APPROXIMATE_MESSAGES`] gauge every `every` until `stop`.
async fn watch_depth(
    client: aws_sdk_sqs::Client,
    url: String,
    name: String,
    every: Duration,
    stop: Stop,
) {
    let gauge = metrics::gauge!(m::SQS_APPROXIMATE_MESSAGES, m::LABEL_QUEUE => name);
    loop {
        let out = client
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .send()
            .await;
        match out {
            Ok(out) => {
                if let Some(n) = out
                    .attributes
                    .and_then(|mut a| a.remove(&QueueAttributeName::ApproximateNumberOfMessages))
                    .and_then(|n| n.parse::<f64>().ok())
                {
                    gauge.set(n);
                }
            }
            Err(e) => tracing::debug!("GetQueueAttributes: {}", DisplayErrorContext(&e)),
        }
        if !stop.sleep(every).await {
            return;
        }
    }
}

/// Runs `expressway consume sqs` until `signal` resolves (then receiving
/// stops, in-flight executions settle, unstarted messages are released).
///
/// # Errors
/// Setup failures (the definition does not load, the mock file is invalid,
/// the queue cannot be read, the report cannot be opened): [`SourceError`].
pub async fn consume(
    config: &SqsConsumer,
    starter: &Starter,
    signal: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<SqsSummary, SourceError> {
    let concurrency = config.concurrency.max(1);
    let pipeline = Pipeline::for_definition(
        starter,
        &config.definition,
        config.state_machine_name.as_deref(),
        concurrency,
        Duration::ZERO,
    )?;
    let name = pipeline.name().to_owned();
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
    let client = aws_sdk_sqs::Client::new(&sdk);
    let queue = queue(&client, &config.queue_url).await?;
    let queue_name = queue.arn.rsplit(':').next().unwrap_or_default().to_owned();

    let per_unit = if config.batch {
        MAX_MESSAGES as usize
    } else {
        1
    };
    let shared = Arc::new(Shared::new(
        concurrency * per_unit,
        ConsumerMetrics::new(m::SOURCE_SQS, &name),
    ));
    let (delete_tx, delete_rx) = mpsc::unbounded_channel();
    let sink = MessageSink::new(
        Arc::clone(&shared),
        config.report.as_deref(),
        delete_tx,
        config.batch,
    )?;
    let deleter = tokio::spawn(sink::deleter(
        client.clone(),
        config.queue_url.clone(),
        Arc::clone(&shared),
        delete_rx,
    ));
    let depth = tokio::spawn(watch_depth(
        client.clone(),
        config.queue_url.clone(),
        queue_name,
        config.attributes_every,
        stop.clone(),
    ));
    let (tx, rx) = mpsc::unbounded_channel();
    let options = ReceiveOptions {
        queue_url: config.queue_url.clone(),
        wait_time_seconds: config.wait_time_seconds.clamp(0, 20),
        visibility_timeout: config.visibility_timeout,
    };
    let receivers: Vec<_> = (0..config.receivers.max(1))
        .map(|_| {
            tokio::spawn(receive::receiver(
                client.clone(),
                options.clone(),
                Arc::clone(&shared),
                tx.clone(),
                stop.clone(),
            ))
        })
        .collect();
    drop(tx);
    let mut source = MessageSource::new(rx, config.batch, queue, Arc::clone(&shared));
    let settled = pipeline.run(&mut source, sink, 0, stop.wait()).await;
    // The pipeline ended (a stop, or a report error): stop receiving too.
    stop.fire();
    for r in receivers {
        let _ = r.await;
    }
    let _ = depth.await;
    let mut unstarted = source.rest().await;
    unstarted.extend(shared.drain());
    let released = sink::release(&client, &config.queue_url, &unstarted).await;
    let counts = settled.sink.counts();
    drop(settled.sink);
    let _ = deleter.await;
    Ok(SqsSummary {
        received: shared.received.load(Ordering::Relaxed),
        succeeded: counts.succeeded,
        failed: counts.failed,
        deleted: shared.deleted.load(Ordering::Relaxed),
        duplicates: shared.duplicates.load(Ordering::Relaxed),
        released,
        receives: shared.receives.load(Ordering::Relaxed),
        max_in_flight: shared.max_outstanding.load(Ordering::Relaxed),
        throttled: settled.throttled,
        stopped: settled.stopped,
        error: settled.error.map(|e| e.to_string()),
    })
}
