//! `expressway consume sqs` and `expressway consume kinesis` (feature `aws`):
//! their flags and how they are run.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use super::flags::RuntimeFlags;
use crate::engine::observe::Observer;
use crate::sources::kinesis::{self, failure::Target, shard::StartingPosition};
use crate::sources::sqs;
use crate::start::Starter;
use crate::telemetry::{Telemetry, TelemetryConfig};

/// `consume sqs`: long-poll a queue; one execution per message (or per
/// received batch); delete what succeeded; exit 0 on SIGTERM/SIGINT after
/// in-flight messages settle.
#[derive(Args, Debug)]
pub struct SqsArgs {
    /// The queue URL.
    #[arg(long)]
    queue_url: String,
    /// The ASL definition file.
    #[arg(long)]
    definition: PathBuf,
    /// The state machine name (default: the definition's file name).
    #[arg(long, visible_alias = "state-machine")]
    state_machine_name: Option<String>,
    /// One execution per received batch (up to 10 messages), given as a
    /// Lambda SQS event `{"Records":[…]}`; failed items may be listed in the
    /// output's `batchItemFailures`.
    #[arg(long)]
    batch: bool,
    /// Receivers long-polling at once.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=64))]
    receivers: u32,
    /// Executions in flight at most.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..))]
    concurrency: u32,
    /// `WaitTimeSeconds` of each ReceiveMessage (long polling, 0–20).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(i32).range(0..=20))]
    wait_time_seconds: i32,
    /// `VisibilityTimeout` of received messages, in seconds (default: the queue's).
    #[arg(long, value_parser = clap::value_parser!(i32).range(0..=43_200))]
    visibility_timeout: Option<i32>,
    /// Report file: one JSON line per settled message (appended).
    #[arg(long)]
    report: Option<PathBuf>,
    /// How often the queue's ApproximateNumberOfMessages is read, in ms.
    #[arg(long, default_value_t = 10_000)]
    queue_attributes_interval_ms: u64,
    /// Join a cluster (`redis://HOST:PORT[/DB]`, also the --config file's
    /// `cluster.url`): the consumer joins the
    /// members (gauges); SQS consumers already compete for messages.
    #[arg(long, env = "EXPRESSWAY_CLUSTER_URL", value_name = "URL")]
    cluster: Option<String>,
    /// This consumer's id in the cluster (default: host name and process
    /// id); two live consumers must not share one.
    #[arg(long, value_name = "NAME")]
    node_id: Option<String>,
    /// The SQS endpoint (default: the SDK's, or AWS_ENDPOINT_URL).
    #[arg(long)]
    endpoint_url: Option<String>,
    /// Serve Prometheus metrics at http://ADDR/metrics while consuming.
    #[arg(long)]
    metrics_addr: Option<String>,
    /// Step Functions Local mock file (MockConfigFile.json).
    #[arg(long, env = "SFN_MOCK_CONFIG")]
    pub mock_config: Option<PathBuf>,
    #[command(flatten)]
    runtime: RuntimeFlags,
}

/// `consume kinesis`: read every shard of a stream; one execution per record
/// (or per batch); checkpoint per shard; exit 0 on SIGTERM/SIGINT after
/// in-flight records settle and the checkpoint is written.
#[derive(Args, Debug)]
pub struct KinesisArgs {
    /// The stream name.
    #[arg(long)]
    stream_name: String,
    /// The ASL definition file.
    #[arg(long)]
    definition: PathBuf,
    /// The state machine name (default: the definition's file name).
    #[arg(long, visible_alias = "state-machine")]
    state_machine_name: Option<String>,
    /// One execution per GetRecords batch, given as a Lambda Kinesis event.
    #[arg(long)]
    batch: bool,
    /// Records per GetRecords (and per batch execution).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(i32).range(1..=10_000))]
    batch_size: i32,
    /// Executions in flight at most, over every shard.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..))]
    concurrency: u32,
    /// Retries of a failed execution before the batch is split (or the
    /// record sent to the on-failure destination).
    #[arg(long, default_value_t = 2)]
    retries: u32,
    /// Checkpoint file (sequence number per shard); reading resumes after it.
    #[arg(long, conflicts_with = "cluster")]
    checkpoint: Option<PathBuf>,
    /// Join a cluster (`redis://HOST:PORT[/DB]`, also the --config file's
    /// `cluster.url`): the shards are shared with
    /// the other consumers of the stream and state machine through leases in
    /// Redis, and each shard's checkpoint is kept there (not with --checkpoint).
    #[arg(long, env = "EXPRESSWAY_CLUSTER_URL", value_name = "URL")]
    cluster: Option<String>,
    /// This consumer's id in the cluster (default: host name and process
    /// id); two live consumers must not share one.
    #[arg(long, value_name = "NAME")]
    node_id: Option<String>,
    /// How long a shard lease lasts unless its holder renews it, in ms: a
    /// dead consumer's shards are taken over within it (with --cluster).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(300..))]
    lease_duration_ms: u64,
    /// Shortest time between checkpoint writes, in ms.
    #[arg(long, default_value_t = 100)]
    checkpoint_interval_ms: u64,
    /// Where records that failed every retry go: sqs://QUEUE_URL or file://PATH.
    #[arg(long, value_parser = Target::parse)]
    on_failure: Option<Target>,
    /// Where reading starts in a shard without a checkpoint.
    #[arg(long, default_value = "TRIM_HORIZON", value_parser = ["TRIM_HORIZON", "LATEST"])]
    starting_position: String,
    /// Pause after an empty GetRecords, in ms.
    #[arg(long, default_value_t = 1_000)]
    poll_interval_ms: u64,
    /// Report file: one JSON line per settled record (appended).
    #[arg(long)]
    report: Option<PathBuf>,
    /// The Kinesis (and on-failure SQS) endpoint (default: the SDK's, or AWS_ENDPOINT_URL).
    #[arg(long)]
    endpoint_url: Option<String>,
    /// Serve Prometheus metrics at http://ADDR/metrics while consuming.
    #[arg(long)]
    metrics_addr: Option<String>,
    /// Step Functions Local mock file (MockConfigFile.json).
    #[arg(long, env = "SFN_MOCK_CONFIG")]
    pub mock_config: Option<PathBuf>,
    #[command(flatten)]
    runtime: RuntimeFlags,
}

/// The start path of a consumer (the one set-up; per-state metrics when
/// it serves `/metrics`), its machine created and its Tasks' resolvers
/// logged; exit status 2 when it cannot be built.
fn setup(
    flags: &RuntimeFlags,
    mock: Option<PathBuf>,
    metrics: bool,
    definition: &std::path::Path,
    name: Option<&str>,
) -> Result<Starter, ExitCode> {
    let observer = metrics.then(|| {
        Arc::new(Telemetry::new(TelemetryConfig {
            state_metrics: true,
            log: None,
            sample: 1.0,
        })) as Arc<dyn Observer>
    });
    let built = flags.setup(mock, observer).and_then(|s| s.starter());
    let starter = built.map_err(super::fail)?;
    super::setup::load_consumed(&starter, definition, name).map_err(super::fail)?;
    Ok(starter)
}

/// The cluster URL and node id of a consumer: the flag (or
/// `EXPRESSWAY_CLUSTER_URL`), else the --config file's `cluster` section;
/// `None` without either.
fn cluster_of(
    flag: Option<&String>,
    node_id: Option<&String>,
    runtime: &RuntimeFlags,
) -> Result<Option<(String, String)>, ExitCode> {
    let file = match &runtime.config {
        Some(path) => crate::cluster::FileSettings::load(path).map_err(super::fail)?,
        None => crate::cluster::FileSettings::default(),
    };
    let Some(url) = flag.cloned().or(file.url) else {
        return Ok(None);
    };
    let node = node_id
        .cloned()
        .or(file.node_id)
        .unwrap_or_else(crate::cluster::default_consumer_id);
    Ok(Some((url, node)))
}

/// Runs `consume sqs`; 0 after a stop, 1 on a report error, 2 when it cannot start.
pub(super) async fn sqs(a: SqsArgs) -> ExitCode {
    let cluster = match cluster_of(a.cluster.as_ref(), a.node_id.as_ref(), &a.runtime) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let starter = match setup(
        &a.runtime,
        a.mock_config.clone(),
        a.metrics_addr.is_some(),
        &a.definition,
        a.state_machine_name.as_deref(),
    ) {
        Ok(built) => built,
        Err(code) => return code,
    };
    let config = sqs::SqsConsumer {
        queue_url: a.queue_url,
        definition: a.definition,
        state_machine_name: a.state_machine_name,
        batch: a.batch,
        receivers: a.receivers as usize,
        concurrency: a.concurrency as usize,
        wait_time_seconds: a.wait_time_seconds,
        visibility_timeout: a.visibility_timeout,
        report: a.report,
        attributes_every: Duration::from_millis(a.queue_attributes_interval_ms.max(100)),
        endpoint_url: a.endpoint_url,
        metrics_addr: a.metrics_addr,
    };
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let heartbeat = match cluster {
        Some((url, node_id)) => {
            let node = match crate::cluster::ConsumerNode::connect(
                &crate::cluster::ClusterConfig::new(&url, &node_id),
            ) {
                Ok(n) => n,
                Err(e) => return super::fail(e),
            };
            eprintln!("expressway: cluster consumer {node_id} on {url}");
            Some(tokio::spawn(async move {
                node.heartbeat(async {
                    let _ = stop_rx.await;
                })
                .await;
            }))
        }
        None => None,
    };
    let stop = crate::sources::shutdown_signal();
    let ended = sqs::consume(&config, &starter, stop).await;
    drop(stop_tx);
    if let Some(h) = heartbeat {
        let _ = h.await;
    }
    super::consume::exit(ended.map(|s| (s.to_json(), s.error.is_some())))
}

/// Runs `consume kinesis`; 0 after a stop, 1 on a report or checkpoint
/// error, 2 when it cannot start.
pub(super) async fn kinesis(a: KinesisArgs) -> ExitCode {
    let cluster = match cluster_of(a.cluster.as_ref(), a.node_id.as_ref(), &a.runtime) {
        Ok(c) => c.map(|(url, node_id)| kinesis::leased::ClusterLeases {
            url,
            node_id,
            lease_duration: Duration::from_millis(a.lease_duration_ms),
        }),
        Err(code) => return code,
    };
    if cluster.is_some() && a.checkpoint.is_some() {
        return super::fail(super::CliError::CheckpointWithCluster);
    }
    let starter = match setup(
        &a.runtime,
        a.mock_config.clone(),
        a.metrics_addr.is_some(),
        &a.definition,
        a.state_machine_name.as_deref(),
    ) {
        Ok(built) => built,
        Err(code) => return code,
    };
    let config = kinesis::KinesisConsumer {
        stream_name: a.stream_name,
        definition: a.definition,
        state_machine_name: a.state_machine_name,
        batch: a.batch,
        batch_size: a.batch_size,
        concurrency: a.concurrency as usize,
        retries: a.retries,
        checkpoint: a.checkpoint,
        checkpoint_every: Duration::from_millis(a.checkpoint_interval_ms),
        on_failure: a.on_failure,
        starting_position: if a.starting_position == "LATEST" {
            StartingPosition::Latest
        } else {
            StartingPosition::TrimHorizon
        },
        poll_interval: Duration::from_millis(a.poll_interval_ms),
        report: a.report,
        endpoint_url: a.endpoint_url,
        metrics_addr: a.metrics_addr,
        cluster,
    };
    let stop = crate::sources::shutdown_signal();
    let ended = kinesis::consume(&config, &starter, stop).await;
    super::consume::exit(ended.map(|s| (s.to_json(), s.error.is_some())))
}
