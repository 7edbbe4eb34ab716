//! The on-failure destination of a Kinesis consumer: where a record that
//! failed every retry (a poison record, isolated by bisection) is sent
//! before the checkpoint moves past it: an SQS queue (`sqs://QUEUE_URL`) or
//! a JSON-lines file (`file://PATH`).
//!
//! The document follows the invocation record Lambda sends to an
//! event source mapping's on-failure destination (`requestContext`,
//! `responseContext`, `KinesisBatchInfo`; AWS Lambda developer guide,
//! "Using Lambda with Kinesis Data Streams", on-failure destinations), plus
//! the record itself (`record`, its Lambda event form) and the execution's
//! `error` and `cause`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::Mutex;

use crate::sources::SourceError;

/// Where failed records go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// An SQS queue, by URL.
    Sqs(String),
    /// A file, appended to (one JSON document per line).
    File(PathBuf),
}

impl Target {
    /// Parses `sqs://QUEUE_URL` (the queue URL, with or without its own
    /// `https://`: `sqs://https://sqs.us-east-1.amazonaws.com/1/q`, or
    /// `sqs://sqs.us-east-1.amazonaws.com/1/q` read as `https://…`) or `file://PATH`.
    ///
    /// # Errors
    /// [`SourceError::OnFailureNoQueue`], [`SourceError::OnFailureNoPath`],
    /// [`SourceError::OnFailureForm`] for any other form.
    pub fn parse(text: &str) -> Result<Target, SourceError> {
        if let Some(rest) = text.strip_prefix("sqs://") {
            if rest.is_empty() {
                return Err(SourceError::OnFailureNoQueue);
            }
            let url = if rest.starts_with("http://") || rest.starts_with("https://") {
                rest.to_owned()
            } else {
                format!("https://{rest}")
            };
            return Ok(Target::Sqs(url));
        }
        if let Some(path) = text.strip_prefix("file://") {
            if path.is_empty() {
                return Err(SourceError::OnFailureNoPath);
            }
            return Ok(Target::File(PathBuf::from(path)));
        }
        Err(SourceError::OnFailureForm(text.to_owned()))
    }
}

/// An open destination.
pub enum Destination {
    /// Sends each document as one SQS message.
    Sqs {
        /// The SQS client.
        client: aws_sdk_sqs::Client,
        /// The queue URL.
        url: String,
    },
    /// Appends each document as one line, synced before it counts as sent.
    File(Mutex<BufWriter<File>>),
}

impl Destination {
    /// Opens `target` (files are created if needed).
    ///
    /// # Errors
    /// [`SourceError::Open`]: the file cannot be opened.
    pub fn open(target: &Target, sdk: &aws_config::SdkConfig) -> Result<Destination, SourceError> {
        Ok(match target {
            Target::Sqs(url) => Destination::Sqs {
                client: aws_sdk_sqs::Client::new(sdk),
                url: url.clone(),
            },
            Target::File(path) => {
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|source| SourceError::Open {
                        path: path.clone(),
                        source,
                    })?;
                Destination::File(Mutex::new(BufWriter::new(file)))
            }
        })
    }

    /// Sends one document; it is durable (queued, or synced to disk) when
    /// this returns `Ok`.
    ///
    /// # Errors
    /// [`SourceError::Aws`] (`SendMessage`), [`SourceError::OnFailurePoisoned`],
    /// [`SourceError::OnFailureWrite`]: it could not be sent.
    pub async fn send(&self, document: &serde_json::Value) -> Result<(), SourceError> {
        let text = document.to_string();
        match self {
            Destination::Sqs { client, url } => client
                .send_message()
                .queue_url(url)
                .message_body(text)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| SourceError::aws("SendMessage", url, e)),
            Destination::File(file) => {
                let mut file = file.lock().map_err(|_| SourceError::OnFailurePoisoned)?;
                file.write_all(text.as_bytes())
                    .and_then(|()| file.write_all(b"\n"))
                    .and_then(|()| file.flush())
                    .and_then(|()| file.get_ref().sync_data())
                    .map_err(SourceError::OnFailureWrite)
            }
        }
    }
}

/// What [`document`] describes.
#[derive(Debug, Clone, Copy)]
pub struct FailedRecord<'a> {
    /// The state machine ARN (Lambda: `functionArn`).
    pub state_machine_arn: &'a str,
    /// The stream ARN.
    pub stream_arn: &'a str,
    /// The shard id.
    pub shard_id: &'a str,
    /// The record's sequence number.
    pub sequence_number: &'a str,
    /// Its arrival, in ms since the Unix epoch.
    pub arrival_ms: i64,
    /// Executions run with this record (its last batch's attempts).
    pub attempts: u32,
    /// The record in its Lambda event form.
    pub record: &'a crate::json::Value,
    /// The last execution's status, error and cause.
    pub status: &'a str,
    /// The error name.
    pub error: Option<&'a str>,
    /// The cause.
    pub cause: Option<&'a str>,
}

fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_default()
}

/// The on-failure document of one record.
pub fn document(f: &FailedRecord<'_>) -> serde_json::Value {
    let record: serde_json::Value =
        serde_json::from_str(&crate::json::to_string(f.record)).unwrap_or_default();
    let arrival = iso(f.arrival_ms);
    serde_json::json!({
        "requestContext": {
            "requestId": uuid::Uuid::new_v4().to_string(),
            "functionArn": f.state_machine_arn,
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": f.attempts,
        },
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        },
        "version": "1.0",
        "timestamp": iso(chrono::Utc::now().timestamp_millis()),
        "KinesisBatchInfo": {
            "shardId": f.shard_id,
            "startSequenceNumber": f.sequence_number,
            "endSequenceNumber": f.sequence_number,
            "approximateArrivalOfFirstRecord": arrival,
            "approximateArrivalOfLastRecord": arrival,
            "batchSize": 1,
            "streamArn": f.stream_arn,
        },
        "record": record,
        "status": f.status,
        "error": f.error,
        "cause": f.cause,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse() {
        let parse = |t: &str| Target::parse(t).expect("parses");
        assert_eq!(
            parse("sqs://http://127.0.0.1:5000/123456789012/dlq"),
            Target::Sqs("http://127.0.0.1:5000/123456789012/dlq".into())
        );
        assert_eq!(
            parse("sqs://sqs.us-east-1.amazonaws.com/1/q"),
            Target::Sqs("https://sqs.us-east-1.amazonaws.com/1/q".into())
        );
        assert_eq!(
            parse("file:///tmp/x.jsonl"),
            Target::File("/tmp/x.jsonl".into())
        );
        let refused = |t: &str| Target::parse(t).expect_err("refused").to_string();
        assert_eq!(
            refused("s3://bucket"),
            "--on-failure s3://bucket: expected sqs://QUEUE_URL or file://PATH"
        );
        assert_eq!(refused("file://"), "--on-failure file:// needs a path");
        assert_eq!(refused("sqs://"), "--on-failure sqs:// needs a queue URL");
    }

    #[test]
    fn the_document_carries_record_error_and_batch_info() {
        let record = crate::json::parse("{\"kinesis\":{\"data\":\"e30=\"}}").expect("json");
        let doc = document(&FailedRecord {
            state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:m",
            stream_arn: "arn:aws:kinesis:us-east-1:123456789012:stream/s",
            shard_id: "shardId-000000000000",
            sequence_number: "42",
            arrival_ms: 1_545_084_650_987,
            attempts: 3,
            record: &record,
            status: "FAILED",
            error: Some("Poison"),
            cause: Some("bad record"),
        });
        assert_eq!(doc["requestContext"]["condition"], "RetryAttemptsExhausted");
        assert_eq!(doc["requestContext"]["approximateInvokeCount"], 3);
        assert_eq!(doc["KinesisBatchInfo"]["startSequenceNumber"], "42");
        assert_eq!(
            doc["KinesisBatchInfo"]["approximateArrivalOfFirstRecord"],
            "2018-12-17T22:10:50.987Z"
        );
        assert_eq!(doc["record"]["kinesis"]["data"], "e30=");
        assert_eq!(doc["error"], "Poison");
        assert_eq!(doc["cause"], "bad record");
    }
}
