//! Event-source consumers: read records from a source, run one execution
//! per record (or per batch of records), and acknowledge them with
//! at-least-once delivery.
//!
//! # Layers
//!
//! * [`pipeline`]: the core every source shares. A [`Source`] yields
//!   [`Work`] in order; the [`Pipeline`] starts each execution through the
//!   one start path, [`Starter`](crate::start::Starter) (admission waits
//!   instead of dropping: reading slows down; every start is counted in the
//!   execution metrics), runs at most `concurrency` executions at once, and
//!   hands every finished [`Unit`] to a [`Sink`], which reports it and stores
//!   the contiguous checkpoint.
//! * [`checkpoint`]: [`Contiguous`] (the highest id below which every
//!   record finished) and [`CheckpointFile`] (atomic write + rename).
//! * [`batch`]: the Lambda SQS event shape a batch of records is given as.
//! * [`file`]: the JSON-lines file / standard-input source and its sink
//!   (`expressway consume file`).
//! * `sqs` and `kinesis` (feature `aws`): the SQS queue consumer
//!   (`expressway consume sqs`) and the Kinesis stream consumer
//!   (`expressway consume kinesis`).
//!
//! A queue or stream source (SQS, Kinesis) implements [`Source`] (records
//! numbered in arrival order, so [`Contiguous`] applies) and [`Sink`]
//! (deleting messages, or storing the shard's sequence number of the
//! checkpointed id).

#[cfg(feature = "aws")]
pub mod aws;
pub mod batch;
pub mod checkpoint;
mod error;
pub mod file;
#[cfg(feature = "aws")]
pub mod kinesis;
pub mod pipeline;
#[cfg(feature = "aws")]
pub mod sqs;

pub use checkpoint::{CheckpointFile, Contiguous};
pub use error::SourceError;
pub use pipeline::{Pipeline, Settled, Sink, Source};

use crate::errors::ExecError;
use crate::json::Value;

/// One record read from a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Its position in the source, from 1, increasing in reading order
    /// (the line number for a file).
    pub id: u64,
    /// Its body, as read.
    pub body: String,
}

/// The records one execution settles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// The first id this unit settles. It may be below the first record's id
    /// when the source skipped ids that carry nothing (blank lines), so
    /// those ids are checkpointed with it.
    pub first: u64,
    /// The records, in id order; never empty for units a source yields.
    pub records: Vec<Record>,
}

impl Unit {
    /// The last id this unit settles (its last record's, or `first`).
    pub fn last(&self) -> u64 {
        self.records.last().map_or(self.first, |r| r.id)
    }
}

/// A unit and the execution input built from it, or why it cannot start
/// (the error a `StartExecution` would answer, reported as the unit's
/// failure without running).
#[derive(Debug)]
pub struct Work {
    /// The records.
    pub unit: Unit,
    /// The execution input.
    pub input: Result<Value, ExecError>,
}

/// Resolves on the first SIGINT (Ctrl-C) or SIGTERM: the signal to stop
/// reading, finish what is in flight and write the checkpoint.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    () = ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => ctrl_c().await,
        }
    }
    #[cfg(not(unix))]
    ctrl_c().await;
}

/// Ctrl-C; never resolves when it cannot be listened for.
async fn ctrl_c() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// The consumers that exist only with the `aws` cargo feature.
const AWS_CONSUMERS: [&str; 2] = ["sqs", "kinesis"];

/// A hint for a command line that names `consume sqs` / `consume kinesis`
/// in a binary built without the `aws` feature (`aws_enabled` false), where
/// the argument parser only says "unrecognized subcommand"; `None` otherwise.
/// `args` is the whole command line, program name first.
pub fn feature_hint(args: &[String], aws_enabled: bool) -> Option<String> {
    if aws_enabled {
        return None;
    }
    let rest: Vec<&str> = args.iter().skip(1).map(String::as_str).collect();
    let at = rest.iter().position(|a| *a == "consume")?;
    let source = rest.get(at + 1)?;
    AWS_CONSUMERS.contains(source).then(|| {
        format!(
            "hint: `consume {source}` needs the `aws` cargo feature, which this binary was \
             built without; rebuild with `cargo build --release --features aws` \
             (or `cargo install --path . --features aws`)"
        )
    })
}

#[cfg(test)]
mod tests;
