//! Settling: a message whose execution succeeded is reported and deleted
//! (`DeleteMessageBatch`, up to 10 at a time); a failed one is reported and
//! left alone, so it becomes visible again after its visibility timeout and
//! the queue's redrive policy moves it to the dead-letter queue after
//! `maxReceiveCount` receives. Messages received but never run (the consumer
//! stopped) are released with `ChangeMessageVisibilityBatch` to 0.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, DeleteMessageBatchRequestEntry,
};
use tokio::sync::mpsc;

use super::event::Message;
use super::receive::{Shared, MAX_MESSAGES};
use crate::engine::{ExecutionOutcome, ExecutionStatus};
use crate::sources::file::BATCH_ITEM_FAILURE;
use crate::sources::{batch, Sink, Unit};

/// How long the deleter waits to fill a batch of deletes.
const LINGER: Duration = Duration::from_millis(20);

/// Per-message counts of what a [`MessageSink`] settled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Messages whose execution succeeded (queued for deletion).
    pub succeeded: u64,
    /// Messages whose execution did not succeed (left to become visible again).
    pub failed: u64,
}

/// Reports every settled message (JSON lines: `messageId`, `status`,
/// `receiveCount`, `error`, `cause`, `output`) and queues the succeeded
/// ones for deletion.
pub struct MessageSink {
    shared: Arc<Shared>,
    report: Option<BufWriter<File>>,
    deletes: mpsc::UnboundedSender<(String, String)>,
    batch: bool,
    counts: Counts,
}

impl MessageSink {
    /// Reports to `report` (appended to), deletes through `deletes`
    /// (`(messageId, receiptHandle)`); `batch`: units are received batches.
    ///
    /// # Errors
    /// The report cannot be opened.
    pub fn new(
        shared: Arc<Shared>,
        report: Option<&Path>,
        deletes: mpsc::UnboundedSender<(String, String)>,
        batch: bool,
    ) -> io::Result<Self> {
        let report = report
            .map(|p| {
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)
                    .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", p.display())))
            })
            .transpose()?
            .map(BufWriter::new);
        Ok(MessageSink {
            shared,
            report,
            deletes,
            batch,
            counts: Counts::default(),
        })
    }

    /// What was settled so far.
    pub fn counts(&self) -> Counts {
        self.counts
    }

    fn report(
        &mut self,
        message: &Message,
        outcome: &ExecutionOutcome,
        item_failed: bool,
    ) -> io::Result<()> {
        let Some(report) = &mut self.report else {
            return Ok(());
        };
        let (status, error, cause) = if item_failed {
            (
                ExecutionStatus::Failed.as_str(),
                Some(BATCH_ITEM_FAILURE),
                Some("listed in the execution output's batchItemFailures"),
            )
        } else {
            (
                outcome.status.as_str(),
                outcome.error.as_deref(),
                outcome.cause.as_deref(),
            )
        };
        let mut line = serde_json::json!({
            "messageId": message.message_id,
            "status": status,
            "receiveCount": message.receive_count(),
        });
        if let Some(e) = error {
            line["error"] = e.into();
        }
        if let Some(c) = cause {
            line["cause"] = c.into();
        }
        let mut text = line.to_string();
        if let Some(output) = &outcome.output {
            text.pop();
            text.push_str(",\"output\":");
            text.push_str(&crate::json::to_string(output));
            text.push('}');
        }
        text.push('\n');
        report.write_all(text.as_bytes())
    }
}

impl Sink for MessageSink {
    fn finished(&mut self, unit: &Unit, outcome: &ExecutionOutcome) -> io::Result<()> {
        let failures = match (&outcome.output, self.batch) {
            (Some(output), true) if outcome.status == ExecutionStatus::Succeeded => {
                batch::batch_item_failures(output)
            }
            _ => None,
        };
        for record in &unit.records {
            let Some(message) = self.shared.settle(record.id) else {
                continue;
            };
            let item_failed = failures
                .as_ref()
                .is_some_and(|f| f.contains(message.message_id.as_str()));
            let succeeded = !item_failed && outcome.status == ExecutionStatus::Succeeded;
            // Reported (and flushed, below) before the delete is queued: a
            // crash in between re-runs the message, it never loses it.
            self.report(&message, outcome, item_failed)?;
            if succeeded {
                self.counts.succeeded += 1;
                self.shared.metrics.succeeded.increment(1);
                let _ = self
                    .deletes
                    .send((message.message_id, message.receipt_handle));
            } else {
                self.counts.failed += 1;
                self.shared.metrics.failed.increment(1);
            }
        }
        match &mut self.report {
            Some(r) => r.flush(),
            None => Ok(()),
        }
    }

    fn checkpoint(&mut self, _through: u64) -> io::Result<()> {
        // Deleting is the acknowledgement; there is no position to store.
        Ok(())
    }
}

/// Deletes what arrives on `rx` in batches of up to 10, until every sender
/// is gone and everything was sent.
pub async fn deleter(
    client: aws_sdk_sqs::Client,
    queue_url: String,
    shared: Arc<Shared>,
    mut rx: mpsc::UnboundedReceiver<(String, String)>,
) {
    let max = MAX_MESSAGES as usize;
    let mut batch: Vec<(String, String)> = Vec::with_capacity(max);
    loop {
        if batch.is_empty() {
            match rx.recv().await {
                Some(d) => batch.push(d),
                None => return,
            }
        }
        let deadline = tokio::time::Instant::now() + LINGER;
        while batch.len() < max {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(d)) => batch.push(d),
                Ok(None) | Err(_) => break,
            }
        }
        let entries: Vec<DeleteMessageBatchRequestEntry> = batch
            .iter()
            .enumerate()
            .filter_map(|(i, (_, handle))| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(handle)
                    .build()
                    .ok()
            })
            .collect();
        match client
            .delete_message_batch()
            .queue_url(&queue_url)
            .set_entries(Some(entries))
            .send()
            .await
        {
            Ok(out) => {
                let n = out.successful.len() as u64;
                shared.deleted.fetch_add(n, Ordering::Relaxed);
                shared.metrics.deleted.increment(n);
                for f in &out.failed {
                    let id =
                        f.id.parse::<usize>()
                            .ok()
                            .and_then(|i| batch.get(i))
                            .map_or("?", |(m, _)| m.as_str());
                    tracing::warn!(
                        "DeleteMessageBatch: message {id} not deleted ({}: {}); it will be received again",
                        f.code,
                        f.message.as_deref().unwrap_or_default()
                    );
                }
            }
            Err(e) => tracing::warn!(
                "DeleteMessageBatch failed ({}); {} messages will be received again",
                DisplayErrorContext(&e),
                batch.len()
            ),
        }
        batch.clear();
    }
}

/// Makes `messages` visible again at once (`ChangeMessageVisibilityBatch`
/// to 0), 10 at a time; returns how many were released.
pub async fn release(client: &aws_sdk_sqs::Client, queue_url: &str, messages: &[Message]) -> u64 {
    let mut released = 0;
    for chunk in messages.chunks(MAX_MESSAGES as usize) {
        let entries: Vec<ChangeMessageVisibilityBatchRequestEntry> = chunk
            .iter()
            .enumerate()
            .filter_map(|(i, m)| {
                ChangeMessageVisibilityBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(&m.receipt_handle)
                    .visibility_timeout(0)
                    .build()
                    .ok()
            })
            .collect();
        match client
            .change_message_visibility_batch()
            .queue_url(queue_url)
            .set_entries(Some(entries))
            .send()
            .await
        {
            Ok(out) => released += out.successful.len() as u64,
            Err(e) => tracing::warn!(
                "ChangeMessageVisibilityBatch failed ({}); the messages become visible after their timeout",
                DisplayErrorContext(&e)
            ),
        }
    }
    released
}
