//! [`SourceError`]: why a consumer could not start, or why its on-failure
//! destination refused a record. The command line shows it as
//! `expressway: <message>` (exit status 2); the messages are the ones users
//! have always seen.

use std::io;
use std::path::PathBuf;

use crate::start::PreloadError;

/// A consumer's setup failure, or an on-failure destination's refusal.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The definition cannot be read or is refused.
    #[error(transparent)]
    Definition(#[from] PreloadError),
    /// The checkpoint file cannot be read or is invalid; the report, the
    /// dead-letter file or the checkpoint cannot be opened.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The events file cannot be read.
    #[error("cannot read {events}: {source}")]
    Events {
        /// The file as given.
        events: String,
        /// The I/O error.
        source: io::Error,
    },
    /// A file (a report, the on-failure file) cannot be opened.
    #[error("cannot open {}: {source}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// `--metrics-addr` cannot be bound.
    #[error("cannot serve metrics on {addr}: {source}")]
    Metrics {
        /// The address as given.
        addr: String,
        /// The I/O error.
        source: io::Error,
    },
    /// An AWS call failed (`GetQueueAttributes`, `DescribeStreamSummary`,
    /// `ListShards`, `GetShardIterator`, `SendMessage`).
    #[cfg(feature = "aws")]
    #[error("{operation} {target}: {}", aws_sdk_sqs::error::DisplayErrorContext(&**error))]
    Aws {
        /// The API operation.
        operation: &'static str,
        /// The queue URL, stream name or shard id it was about.
        target: String,
        /// The SDK's error.
        error: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
    /// `GetQueueAttributes` answered without the queue's ARN.
    #[error("GetQueueAttributes {url}: no QueueArn")]
    NoQueueArn {
        /// The queue URL.
        url: String,
    },
    /// The cluster (leases, checkpoints in Redis) cannot be reached.
    #[error(transparent)]
    Cluster(#[from] crate::cluster::ClusterError),
    /// The task settling the units panicked or was cancelled.
    #[error("the settling task failed: {0}")]
    Settling(tokio::task::JoinError),
    /// `--on-failure sqs://` without a queue URL.
    #[error("--on-failure sqs:// needs a queue URL")]
    OnFailureNoQueue,
    /// `--on-failure file://` without a path.
    #[error("--on-failure file:// needs a path")]
    OnFailureNoPath,
    /// `--on-failure` in any other form.
    #[error("--on-failure {0}: expected sqs://QUEUE_URL or file://PATH")]
    OnFailureForm(String),
    /// A writer panicked while holding the on-failure file.
    #[error("the on-failure file is poisoned")]
    OnFailurePoisoned,
    /// The on-failure file could not be written or synced.
    #[error("on-failure file: {0}")]
    OnFailureWrite(io::Error),
}

#[cfg(feature = "aws")]
impl SourceError {
    /// An AWS call's failure, about `target`.
    pub(crate) fn aws<E>(operation: &'static str, target: impl Into<String>, error: E) -> Self
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        SourceError::Aws {
            operation,
            target: target.into(),
            error: Box::new(error),
        }
    }
}
