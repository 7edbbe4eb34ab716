//! Every metric expressway exports, as a constant with its description,
//! registered once by [`describe_metrics`]; the Prometheus recorder
//! ([`install`]) and the text served at `GET /metrics` ([`render`]).
//!
//! Names follow Prometheus conventions (`expressway_<area>_<what>`, counters
//! end in `_total`, units in the name). The dashboards in `dashboards/`
//! query only these names; a test checks that they do.
//!
//! Execution metrics mirror the AWS/States CloudWatch metrics of Express
//! state machines (ExecutionsStarted, ExecutionsSucceeded, ExecutionsFailed,
//! ExecutionsTimedOut, ExecutionsAborted, ExecutionThrottled, ExecutionTime),
//! labelled by `state_machine` (the state machine's name).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use dashmap::DashMap;
use metrics::{Counter, Gauge, Histogram, Unit};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

pub mod histogram;

/// Counter {state_machine}: executions started (admitted and running).
pub const EXECUTIONS_STARTED: &str = "expressway_executions_started_total";
/// Counter {state_machine}: executions that ended `SUCCEEDED`.
pub const EXECUTIONS_SUCCEEDED: &str = "expressway_executions_succeeded_total";
/// Counter {state_machine}: executions that ended `FAILED`.
pub const EXECUTIONS_FAILED: &str = "expressway_executions_failed_total";
/// Counter {state_machine}: executions that ended `TIMED_OUT`.
pub const EXECUTIONS_TIMED_OUT: &str = "expressway_executions_timed_out_total";
/// Counter {state_machine}: executions that ended `ABORTED`.
pub const EXECUTIONS_ABORTED: &str = "expressway_executions_aborted_total";
/// Counter {state_machine}: start requests answered with `ThrottlingException`.
pub const EXECUTIONS_THROTTLED: &str = "expressway_executions_throttled_total";
/// Histogram {state_machine}: milliseconds from an execution's admission to
/// its end, whatever the status (buckets [`EXECUTION_TIME_BUCKETS_MS`]).
pub const EXECUTION_TIME: &str = "expressway_execution_time_milliseconds";
/// Counter {state_machine}: starts admitted by admission control.
pub const ADMISSION_ADMITTED: &str = "expressway_admission_admitted_total";
/// Counter {state_machine}: starts that found no token and waited in the buffer.
pub const ADMISSION_BUFFERED: &str = "expressway_admission_buffered_total";
/// Counter {state_machine, scope, reason}: starts refused by admission control.
pub const ADMISSION_THROTTLED: &str = "expressway_admission_throttled_total";
/// Gauge {scope, state_machine}: tokens in a bucket (set on each scrape).
pub const ADMISSION_TOKENS: &str = "expressway_admission_tokens";
/// Gauge {scope, state_machine}: starts waiting for a bucket (set on each scrape).
pub const ADMISSION_QUEUE_DEPTH: &str = "expressway_admission_queue_depth";
/// Gauge: resident memory of the process in bytes (read from
/// `/proc/self/statm` on each scrape; Linux only).
pub const PROCESS_RESIDENT_MEMORY: &str = "expressway_process_resident_memory_bytes";

/// Gauge {source, state_machine}: records a consumer received and has not
/// settled yet (executions running or waiting for admission).
pub const CONSUMER_IN_FLIGHT: &str = "expressway_consumer_in_flight";
/// Counter {source, state_machine}: records (SQS messages, Kinesis records) received.
pub const CONSUMER_RECEIVED: &str = "expressway_consumer_received_total";
/// Counter {source, state_machine}: records whose execution succeeded.
pub const CONSUMER_SUCCEEDED: &str = "expressway_consumer_succeeded_total";
/// Counter {source, state_machine}: records whose execution failed (SQS:
/// left to become visible again; Kinesis: after retries, sent to the
/// on-failure destination).
pub const CONSUMER_FAILED: &str = "expressway_consumer_failed_total";
/// Counter {source, state_machine}: SQS messages deleted after their execution succeeded.
pub const CONSUMER_DELETED: &str = "expressway_consumer_deleted_total";
/// Counter {source, state_machine}: records delivered again: SQS messages
/// received with `ApproximateReceiveCount` > 1, Kinesis records re-read
/// after a restart that had already finished (skipped).
pub const CONSUMER_DUPLICATES: &str = "expressway_consumer_duplicates_total";
/// Gauge {stream, shard}: `MillisBehindLatest` of the last Kinesis `GetRecords`.
pub const KINESIS_MILLIS_BEHIND_LATEST: &str = "expressway_kinesis_millis_behind_latest";
/// Gauge {queue}: the queue's `ApproximateNumberOfMessages` (SQS
/// `GetQueueAttributes`, read periodically).
pub const SQS_APPROXIMATE_MESSAGES: &str = "expressway_sqs_approximate_number_of_messages";
/// Counter {state_machine, state}: times a state was entered.
pub const STATE_ENTERED: &str = "expressway_state_entered_total";
/// Counter {state_machine, state, error}: times a state ended with an error
/// after its retries, caught or not (`error`: the error name, cut to 64
/// bytes; past 8 distinct names per state, `other`).
pub const STATE_FAILED: &str = "expressway_state_failed_total";
/// Histogram {state_machine, state}: seconds from a state's entry to its
/// exit or failure (buckets [`histogram::DURATION_BUCKETS_S`]).
pub const STATE_DURATION: &str = "expressway_state_duration_seconds";
/// Histogram {state_machine, resource}: seconds a Task attempt took, from
/// scheduling to result (buckets [`histogram::DURATION_BUCKETS_S`]).
pub const TASK_DURATION: &str = "expressway_task_duration_seconds";
/// Counter {state_machine, resource, error}: Task attempts that failed or
/// timed out (`error` bounded as for [`STATE_FAILED`]).
pub const TASK_ERRORS: &str = "expressway_task_errors_total";
/// Counter: execution log lines written.
pub const EXECUTION_LOG_LINES: &str = "expressway_execution_log_lines_total";
/// Counter: execution log lines dropped because the writer fell behind.
pub const EXECUTION_LOG_DROPPED: &str = "expressway_execution_log_dropped_total";
/// Counter: asynchronous starts this node ran again because their runner
/// died (`serve --cluster`, [`crate::cluster`]): the duplicates of
/// at-least-once delivery.
pub const CLUSTER_STARTS_RECLAIMED: &str = "expressway_cluster_starts_reclaimed_total";
/// Gauge: cluster nodes that heartbeat within the last 5 s, as this node
/// last saw them (`serve --cluster`).
pub const CLUSTER_MEMBERS: &str = "expressway_cluster_members";
/// Gauge: accepted asynchronous starts not yet ended, cluster-wide (pending
/// in the starts stream's consumer group), as this node last saw them.
pub const CLUSTER_STARTS_PENDING: &str = "expressway_cluster_starts_pending";
/// Gauge: 1 when this node's last heartbeat reached Redis, else 0.
pub const CLUSTER_REDIS_UP: &str = "expressway_cluster_redis_up";
/// Gauge {stream}: Kinesis shard leases this consumer holds (`consume
/// kinesis --cluster`, [`crate::cluster::leases`]).
pub const CLUSTER_LEASES_HELD: &str = "expressway_cluster_leases_held";
/// Gauge {stream}: shards of the stream not yet read to their end, as this
/// consumer's last lease scan saw the lease table.
pub const CLUSTER_LEASE_SHARDS: &str = "expressway_cluster_lease_shards";
/// Gauge {stream}: the largest `MillisBehindLatest` over the stream's open
/// shards, as their holders last renewed their leases (cluster-wide lag).
pub const CLUSTER_STREAM_LAG: &str = "expressway_cluster_stream_lag_milliseconds";
/// Counter {stream, reason}: shard leases this consumer took (`reason`:
/// `free`, `expired` from a holder that stopped renewing, or `stolen` from
/// an over-loaded holder to balance the shards).
pub const CLUSTER_LEASES_TAKEN: &str = "expressway_cluster_leases_taken_total";

/// Label: the state machine's name.
pub const LABEL_STATE_MACHINE: &str = "state_machine";
/// Label: a state's name.
pub const LABEL_STATE: &str = "state";
/// Label: a Task's Resource (without `.waitForTaskToken`).
pub const LABEL_RESOURCE: &str = "resource";
/// Label: an error name.
pub const LABEL_ERROR: &str = "error";
/// Label: which admission bucket (`machine` or `global`).
pub const LABEL_SCOPE: &str = "scope";
/// Label: which admission limit refused a start (`max_wait` or `max_queue`).
pub const LABEL_REASON: &str = "reason";
/// Label: the consumer's source (`sqs` or `kinesis`).
pub const LABEL_SOURCE: &str = "source";
/// Label: an SQS queue's name.
pub const LABEL_QUEUE: &str = "queue";
/// Label: a Kinesis stream's name.
pub const LABEL_STREAM: &str = "stream";
/// Label: a Kinesis shard id.
pub const LABEL_SHARD: &str = "shard";
/// `source` value: the SQS consumer.
pub const SOURCE_SQS: &str = "sqs";
/// `source` value: the Kinesis consumer.
pub const SOURCE_KINESIS: &str = "kinesis";
/// `scope` value: a state machine's own bucket.
pub const SCOPE_MACHINE: &str = "machine";
/// `scope` value: the bucket shared by all starts (no `state_machine` label).
pub const SCOPE_GLOBAL: &str = "global";
/// `reason` value: the start would have waited longer than `max_wait_ms`.
pub const REASON_MAX_WAIT: &str = "max_wait";
/// `reason` value: the buffer already held `max_queue` starts.
pub const REASON_MAX_QUEUE: &str = "max_queue";

/// Upper bounds of the [`EXECUTION_TIME`] buckets, in milliseconds: 50 µs to
/// the 5-minute Express limit.
pub const EXECUTION_TIME_BUCKETS_MS: [f64; 22] = [
    0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1_000.0, 2_500.0,
    5_000.0, 10_000.0, 30_000.0, 60_000.0, 120_000.0, 180_000.0, 300_000.0,
];

/// The kind of a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Only goes up.
    Counter,
    /// Goes up and down.
    Gauge,
    /// A distribution in buckets (`_bucket`, `_sum`, `_count` series).
    Histogram,
}

/// One exported metric: name, kind, unit and description.
#[derive(Debug, Clone, Copy)]
pub struct Metric {
    /// The name, one of the constants above.
    pub name: &'static str,
    /// Its kind.
    pub kind: Kind,
    /// Its unit, if any.
    pub unit: Option<Unit>,
    /// The `# HELP` text.
    pub help: &'static str,
}

const fn metric(name: &'static str, kind: Kind, unit: Option<Unit>, help: &'static str) -> Metric {
    Metric {
        name,
        kind,
        unit,
        help,
    }
}

/// The metrics rendered by [`histogram`] rather than the recorder.
const OWN_HISTOGRAMS: [&str; 2] = [STATE_DURATION, TASK_DURATION];

/// Every exported metric.
pub const ALL: [Metric; 37] = [
    metric(
        EXECUTIONS_STARTED,
        Kind::Counter,
        Some(Unit::Count),
        "Executions started (admitted).",
    ),
    metric(
        EXECUTIONS_SUCCEEDED,
        Kind::Counter,
        Some(Unit::Count),
        "Executions that succeeded.",
    ),
    metric(
        EXECUTIONS_FAILED,
        Kind::Counter,
        Some(Unit::Count),
        "Executions that failed.",
    ),
    metric(
        EXECUTIONS_TIMED_OUT,
        Kind::Counter,
        Some(Unit::Count),
        "Executions that timed out.",
    ),
    metric(
        EXECUTIONS_ABORTED,
        Kind::Counter,
        Some(Unit::Count),
        "Executions that were aborted.",
    ),
    metric(
        EXECUTIONS_THROTTLED,
        Kind::Counter,
        Some(Unit::Count),
        "Start requests answered with ThrottlingException.",
    ),
    metric(
        EXECUTION_TIME,
        Kind::Histogram,
        Some(Unit::Milliseconds),
        "Time from an execution's admission to its end, in milliseconds.",
    ),
    metric(
        ADMISSION_ADMITTED,
        Kind::Counter,
        Some(Unit::Count),
        "Starts admitted by admission control.",
    ),
    metric(
        ADMISSION_BUFFERED,
        Kind::Counter,
        Some(Unit::Count),
        "Starts that waited in the admission buffer for a token.",
    ),
    metric(
        ADMISSION_THROTTLED,
        Kind::Counter,
        Some(Unit::Count),
        "Starts refused by admission control, by bucket scope and limit.",
    ),
    metric(
        ADMISSION_TOKENS,
        Kind::Gauge,
        None,
        "Tokens available in an admission bucket.",
    ),
    metric(
        ADMISSION_QUEUE_DEPTH,
        Kind::Gauge,
        Some(Unit::Count),
        "Starts waiting for an admission bucket.",
    ),
    metric(
        PROCESS_RESIDENT_MEMORY,
        Kind::Gauge,
        Some(Unit::Bytes),
        "Resident memory of the process, in bytes.",
    ),
    metric(
        CONSUMER_IN_FLIGHT,
        Kind::Gauge,
        Some(Unit::Count),
        "Records a consumer received and has not settled yet.",
    ),
    metric(
        CONSUMER_RECEIVED,
        Kind::Counter,
        Some(Unit::Count),
        "Records (SQS messages, Kinesis records) a consumer received.",
    ),
    metric(
        CONSUMER_SUCCEEDED,
        Kind::Counter,
        Some(Unit::Count),
        "Records whose execution succeeded.",
    ),
    metric(
        CONSUMER_FAILED,
        Kind::Counter,
        Some(Unit::Count),
        "Records whose execution failed.",
    ),
    metric(
        CONSUMER_DELETED,
        Kind::Counter,
        Some(Unit::Count),
        "SQS messages deleted after their execution succeeded.",
    ),
    metric(
        CONSUMER_DUPLICATES,
        Kind::Counter,
        Some(Unit::Count),
        "Records delivered again (SQS receive count above 1, Kinesis records already finished).",
    ),
    metric(
        KINESIS_MILLIS_BEHIND_LATEST,
        Kind::Gauge,
        Some(Unit::Milliseconds),
        "MillisBehindLatest of the last Kinesis GetRecords of a shard.",
    ),
    metric(
        SQS_APPROXIMATE_MESSAGES,
        Kind::Gauge,
        Some(Unit::Count),
        "ApproximateNumberOfMessages of an SQS queue.",
    ),
    metric(
        BUILD_INFO,
        Kind::Gauge,
        None,
        "Always 1; the version label is the expressway version.",
    ),
    metric(
        STATE_ENTERED,
        Kind::Counter,
        Some(Unit::Count),
        "Times a state was entered.",
    ),
    metric(
        STATE_FAILED,
        Kind::Counter,
        Some(Unit::Count),
        "Times a state ended with an error after its retries, by error name.",
    ),
    metric(
        STATE_DURATION,
        Kind::Histogram,
        Some(Unit::Seconds),
        "Time from a state's entry to its exit or failure, in seconds.",
    ),
    metric(
        TASK_DURATION,
        Kind::Histogram,
        Some(Unit::Seconds),
        "Time a Task attempt took from scheduling to result, in seconds, by resource.",
    ),
    metric(
        TASK_ERRORS,
        Kind::Counter,
        Some(Unit::Count),
        "Task attempts that failed or timed out, by resource and error name.",
    ),
    metric(
        EXECUTION_LOG_LINES,
        Kind::Counter,
        Some(Unit::Count),
        "Execution log lines written.",
    ),
    metric(
        EXECUTION_LOG_DROPPED,
        Kind::Counter,
        Some(Unit::Count),
        "Execution log lines dropped because the log writer fell behind.",
    ),
    metric(
        CLUSTER_STARTS_RECLAIMED,
        Kind::Counter,
        Some(Unit::Count),
        "Asynchronous starts run again because their runner died (cluster).",
    ),
    metric(
        CLUSTER_MEMBERS,
        Kind::Gauge,
        Some(Unit::Count),
        "Cluster nodes heartbeating within the last 5 s.",
    ),
    metric(
        CLUSTER_STARTS_PENDING,
        Kind::Gauge,
        Some(Unit::Count),
        "Accepted asynchronous starts not yet ended, cluster-wide.",
    ),
    metric(
        CLUSTER_REDIS_UP,
        Kind::Gauge,
        None,
        "1 when this node's last heartbeat reached the cluster's Redis.",
    ),
    metric(
        CLUSTER_LEASES_HELD,
        Kind::Gauge,
        Some(Unit::Count),
        "Kinesis shard leases this consumer holds (consume kinesis --cluster).",
    ),
    metric(
        CLUSTER_LEASE_SHARDS,
        Kind::Gauge,
        Some(Unit::Count),
        "Shards of the stream not yet read to their end, in the lease table.",
    ),
    metric(
        CLUSTER_STREAM_LAG,
        Kind::Gauge,
        Some(Unit::Milliseconds),
        "Largest MillisBehindLatest over the stream's open shards, as their holders renewed their leases.",
    ),
    metric(
        CLUSTER_LEASES_TAKEN,
        Kind::Counter,
        Some(Unit::Count),
        "Shard leases this consumer took, by reason (free, expired, stolen).",
    ),
];

/// Gauge {version}: always 1 (lets dashboards show the running version).
pub const BUILD_INFO: &str = "expressway_build_info";

/// The metric named `name`, if expressway exports it.
pub fn find(name: &str) -> Option<&'static Metric> {
    ALL.iter().find(|m| m.name == name)
}

/// Registers the description and unit of every metric with the installed
/// recorder. Called by [`install`]; calling it again does nothing new.
pub fn describe_metrics() {
    for m in ALL.iter().filter(|m| !OWN_HISTOGRAMS.contains(&m.name)) {
        match (m.kind, m.unit) {
            (Kind::Counter, Some(u)) => metrics::describe_counter!(m.name, u, m.help),
            (Kind::Counter, None) => metrics::describe_counter!(m.name, m.help),
            (Kind::Gauge, Some(u)) => metrics::describe_gauge!(m.name, u, m.help),
            (Kind::Gauge, None) => metrics::describe_gauge!(m.name, m.help),
            (Kind::Histogram, Some(u)) => metrics::describe_histogram!(m.name, u, m.help),
            (Kind::Histogram, None) => metrics::describe_histogram!(m.name, m.help),
        }
    }
}

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// How often queued histogram samples are folded into their buckets.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Installs the Prometheus recorder as the process's global `metrics`
/// recorder (once; later calls return the same handle) and describes every
/// metric. Call it before any metric is recorded: handles taken earlier
/// record nothing. If another recorder was installed first, the returned
/// handle renders only the build info.
pub fn install() -> PrometheusHandle {
    handle().clone()
}

/// The installed handle, installing the recorder on first use.
fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new();
        let builder = builder
            .set_buckets_for_metric(
                Matcher::Full(EXECUTION_TIME.to_owned()),
                &EXECUTION_TIME_BUCKETS_MS,
            )
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed; /metrics shows little");
        }
        describe_metrics();
        metrics::gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
        // Histogram samples queue until upkeep: drain them even when nobody scrapes.
        let upkeep = handle.clone();
        let _ = std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || loop {
                std::thread::sleep(UPKEEP_EVERY);
                upkeep.run_upkeep();
            });
        handle
    })
}

/// The Prometheus text exposition of every metric: refreshes the process
/// gauges and histogram upkeep first. Installs the recorder if needed.
pub fn render() -> String {
    let handle = handle();
    if let Some(bytes) = resident_memory_bytes() {
        metrics::gauge!(PROCESS_RESIDENT_MEMORY).set(bytes as f64);
    }
    handle.run_upkeep();
    let mut text = handle.render();
    histogram::render(&mut text, |name| find(name).map_or("", |m| m.help));
    text
}

/// The resident set size of this process in bytes: the second field of
/// `/proc/self/statm` (pages) times the page size; `None` off Linux.
pub fn resident_memory_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages.saturating_mul(page_size()))
}

/// The page size in bytes: `KernelPageSize` of the first mapping in
/// `/proc/self/smaps` (read once), or 4 KiB.
fn page_size() -> u64 {
    static PAGE: OnceLock<u64> = OnceLock::new();
    *PAGE.get_or_init(|| {
        std::fs::read_to_string("/proc/self/smaps")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("KernelPageSize:"))
                    .and_then(|v| v.trim().strip_suffix("kB"))
                    .and_then(|v| v.trim().parse::<u64>().ok())
            })
            .map_or(4096, |kb| kb * 1024)
    })
}

/// The execution metric handles of one state machine, registered once.
#[derive(Debug)]
pub struct ExecutionMetrics {
    started: Counter,
    succeeded: Counter,
    failed: Counter,
    timed_out: Counter,
    aborted: Counter,
    throttled: Counter,
    time: Histogram,
}

impl ExecutionMetrics {
    fn new(machine: &str) -> Self {
        let label =
            |name: &'static str| metrics::counter!(name, LABEL_STATE_MACHINE => machine.to_owned());
        ExecutionMetrics {
            started: label(EXECUTIONS_STARTED),
            succeeded: label(EXECUTIONS_SUCCEEDED),
            failed: label(EXECUTIONS_FAILED),
            timed_out: label(EXECUTIONS_TIMED_OUT),
            aborted: label(EXECUTIONS_ABORTED),
            throttled: label(EXECUTIONS_THROTTLED),
            time: metrics::histogram!(EXECUTION_TIME, LABEL_STATE_MACHINE => machine.to_owned()),
        }
    }

    /// An execution started.
    pub fn started(&self) {
        self.started.increment(1);
    }

    /// A start request was throttled.
    pub fn throttled(&self) {
        self.throttled.increment(1);
    }

    /// An execution ended `SUCCEEDED` after running for `elapsed`.
    pub fn succeeded(&self, elapsed: Duration) {
        self.finished(&self.succeeded, elapsed);
    }

    /// An execution ended `FAILED` after running for `elapsed`.
    pub fn failed(&self, elapsed: Duration) {
        self.finished(&self.failed, elapsed);
    }

    /// An execution ended `TIMED_OUT` after running for `elapsed`.
    pub fn timed_out(&self, elapsed: Duration) {
        self.finished(&self.timed_out, elapsed);
    }

    /// An execution ended `ABORTED` after running for `elapsed`.
    pub fn aborted(&self, elapsed: Duration) {
        self.finished(&self.aborted, elapsed);
    }

    fn finished(&self, counter: &Counter, elapsed: Duration) {
        counter.increment(1);
        self.time.record(elapsed.as_secs_f64() * 1_000.0);
    }
}

/// The execution metrics of the state machine named `machine` (created and
/// registered on first use, installing the recorder if needed; then a map
/// lookup, no allocation).
pub fn executions(machine: &str) -> Arc<ExecutionMetrics> {
    handle();
    static MACHINES: OnceLock<DashMap<String, Arc<ExecutionMetrics>>> = OnceLock::new();
    let map = MACHINES.get_or_init(DashMap::new);
    if let Some(m) = map.get(machine) {
        return Arc::clone(&m);
    }
    Arc::clone(
        &map.entry(machine.to_owned())
            .or_insert_with(|| Arc::new(ExecutionMetrics::new(machine))),
    )
}

/// The metric handles of one consumer (a source feeding a state machine),
/// registered once.
#[derive(Debug, Clone)]
pub struct ConsumerMetrics {
    /// [`CONSUMER_IN_FLIGHT`].
    pub in_flight: Gauge,
    /// [`CONSUMER_RECEIVED`].
    pub received: Counter,
    /// [`CONSUMER_SUCCEEDED`].
    pub succeeded: Counter,
    /// [`CONSUMER_FAILED`].
    pub failed: Counter,
    /// [`CONSUMER_DELETED`].
    pub deleted: Counter,
    /// [`CONSUMER_DUPLICATES`].
    pub duplicates: Counter,
}

impl ConsumerMetrics {
    /// The handles of the consumer of `source` ([`SOURCE_SQS`] or
    /// [`SOURCE_KINESIS`]) starting executions of `machine`; installs the
    /// recorder if needed.
    pub fn new(source: &'static str, machine: &str) -> Self {
        handle();
        let labels = [
            (LABEL_SOURCE, source.to_owned()),
            (LABEL_STATE_MACHINE, machine.to_owned()),
        ];
        ConsumerMetrics {
            in_flight: metrics::gauge!(CONSUMER_IN_FLIGHT, &labels),
            received: metrics::counter!(CONSUMER_RECEIVED, &labels),
            succeeded: metrics::counter!(CONSUMER_SUCCEEDED, &labels),
            failed: metrics::counter!(CONSUMER_FAILED, &labels),
            deleted: metrics::counter!(CONSUMER_DELETED, &labels),
            duplicates: metrics::counter!(CONSUMER_DUPLICATES, &labels),
        }
    }
}

/// The metric names a Grafana dashboard's PromQL uses: every
/// `expressway_…` identifier in its `expr` and `query` strings, with the
/// `_bucket`/`_sum`/`_count` suffix of a histogram series removed.
pub fn names_in_dashboard(dashboard: &serde_json::Value) -> Vec<String> {
    fn walk(v: &serde_json::Value, key: Option<&str>, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    walk(v, Some(k), out);
                }
            }
            serde_json::Value::Array(items) => {
                for v in items {
                    walk(v, key, out);
                }
            }
            serde_json::Value::String(s)
                if matches!(key, Some("expr" | "query" | "definition")) =>
            {
                for token in s.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                {
                    if token.starts_with("expressway_") {
                        out.push(series_metric(token).to_owned());
                    }
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(dashboard, None, &mut out);
    out.sort();
    out.dedup();
    out
}

/// The metric of a series name: a histogram's `_bucket`, `_sum`, `_count`
/// series map to the histogram.
fn series_metric(series: &str) -> &str {
    for suffix in ["_bucket", "_sum", "_count"] {
        if let Some(base) = series.strip_suffix(suffix) {
            if find(base).is_some_and(|m| m.kind == Kind::Histogram) {
                return base;
            }
        }
    }
    series
}

#[cfg(test)]
mod tests {
    use super::*;

    const DASHBOARD: &str = include_str!("../dashboards/expressway.json");

    #[test]
    fn names_are_unique_and_prometheus_valid() {
        let mut names: Vec<&str> = ALL.iter().map(|m| m.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
        for m in &ALL {
            assert!(m.name.starts_with("expressway_"), "{}", m.name);
            assert!(
                m.name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{}",
                m.name
            );
            assert_eq!(
                m.kind == Kind::Counter,
                m.name.ends_with("_total"),
                "{}",
                m.name
            );
            assert!(!m.help.is_empty());
        }
        assert!(find(BUILD_INFO).is_some());
    }

    #[test]
    fn the_dashboard_queries_only_exported_metrics() {
        let dashboard: serde_json::Value = serde_json::from_str(DASHBOARD).expect("valid JSON");
        let names = names_in_dashboard(&dashboard);
        assert!(names.len() >= 10, "{names:?}");
        for name in &names {
            assert!(find(name).is_some(), "dashboard uses unknown metric {name}");
        }
        // And every metric but build info has a panel.
        for m in &ALL {
            assert!(
                m.name == BUILD_INFO || names.iter().any(|n| n == m.name),
                "no panel for {}",
                m.name
            );
        }
        assert_eq!(dashboard["uid"], "expressway-overview");
        assert!(DASHBOARD.contains("${datasource}"));
    }

    #[test]
    fn histogram_series_map_to_their_metric() {
        assert_eq!(
            series_metric("expressway_execution_time_milliseconds_bucket"),
            EXECUTION_TIME
        );
        assert_eq!(
            series_metric("expressway_executions_started_total"),
            EXECUTIONS_STARTED
        );
        assert_eq!(
            series_metric("expressway_nope_count"),
            "expressway_nope_count"
        );
    }

    #[test]
    fn rendering_shows_described_metrics_and_memory() {
        executions("metrics-test").succeeded(Duration::from_millis(3));
        let text = render();
        assert!(
            text.contains(
                "# HELP expressway_executions_succeeded_total Executions that succeeded."
            ),
            "{text}"
        );
        assert!(text.contains(
            "expressway_execution_time_milliseconds_bucket{state_machine=\"metrics-test\",le=\"5\"} 1"
        ), "{text}");
        assert!(
            text.contains("expressway_process_resident_memory_bytes "),
            "{text}"
        );
        assert!(resident_memory_bytes().is_some_and(|b| b > 1_000_000));
    }
}
