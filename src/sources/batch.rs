//! The input of a batch execution: the shape of the event Lambda receives
//! from an SQS event source mapping, so a definition written for an
//! SQS-triggered workflow runs unchanged.
//!
//! ```json
//! {"Records": [{
//!   "messageId": "17", "receiptHandle": "…", "body": "<the record text>",
//!   "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1545082649183",
//!                  "SenderId": "…", "ApproximateFirstReceiveTimestamp": "1545082649185"},
//!   "messageAttributes": {}, "md5OfBody": "<hex MD5 of body>",
//!   "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:<region>:<account>:<queue>",
//!   "awsRegion": "<region>"}]}
//! ```
//!
//! Source: AWS Lambda developer guide, "Using Lambda with Amazon SQS"
//! (example SQS message event) and "Reporting batch item failures"
//! (`{"batchItemFailures": [{"itemIdentifier": "<messageId>"}]}`).

use std::collections::HashSet;

use md5::Digest as _;
use simd_json::prelude::*;

use super::Record;
use crate::json::{Object, Value};

/// Where the simulated messages come from: the queue named in
/// `eventSourceARN` and `receiptHandle`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSource {
    /// `awsRegion`, and the region in the ARN.
    pub region: String,
    /// The account in the ARN and `SenderId`.
    pub account: String,
    /// The queue name (for a file, its name).
    pub queue: String,
}

impl EventSource {
    /// `arn:aws:sqs:<region>:<account>:<queue>`.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:sqs:{}:{}:{}",
            self.region, self.account, self.queue
        )
    }
}

fn string(s: impl Into<String>) -> Value {
    Value::String(s.into())
}

/// The SQS event for `records`: one element of `Records` per record, in
/// order, `messageId` = the record id in decimal, `body` = its text
/// unchanged (not parsed), `SentTimestamp` and
/// `ApproximateFirstReceiveTimestamp` = `now_ms` (milliseconds since the
/// Unix epoch, as a string, as SQS sends them).
pub fn sqs_event(records: &[Record], source: &EventSource, now_ms: u64) -> Value {
    let arn = source.arn();
    let now = now_ms.to_string();
    let items = records
        .iter()
        .map(|record| {
            let id = record.id.to_string();
            let mut attributes = Object::with_capacity(4);
            attributes.insert("ApproximateReceiveCount".into(), string("1"));
            attributes.insert("SentTimestamp".into(), string(now.as_str()));
            attributes.insert("SenderId".into(), string(source.account.as_str()));
            attributes.insert(
                "ApproximateFirstReceiveTimestamp".into(),
                string(now.as_str()),
            );
            let mut item = Object::with_capacity(9);
            item.insert(
                "receiptHandle".into(),
                string(format!("{}:{}", source.queue, id)),
            );
            item.insert("messageId".into(), string(id));
            item.insert("body".into(), string(record.body.as_str()));
            item.insert("attributes".into(), Value::Object(Box::new(attributes)));
            item.insert(
                "messageAttributes".into(),
                Value::Object(Box::new(Object::new())),
            );
            item.insert(
                "md5OfBody".into(),
                string(hex::encode(md5::Md5::digest(record.body.as_bytes()))),
            );
            item.insert("eventSource".into(), string("aws:sqs"));
            item.insert("eventSourceARN".into(), string(arn.as_str()));
            item.insert("awsRegion".into(), string(source.region.as_str()));
            Value::Object(Box::new(item))
        })
        .collect();
    let mut event = Object::with_capacity(1);
    event.insert("Records".into(), Value::Array(Box::new(items)));
    Value::Object(Box::new(event))
}

/// The message ids a batch execution's output reports as failed, in the
/// Lambda partial-batch-response shape
/// `{"batchItemFailures": [{"itemIdentifier": "<messageId>"}]}`; `None`
/// when the output has no `batchItemFailures` array (the whole batch
/// succeeded). Entries without a string `itemIdentifier` are ignored.
pub fn batch_item_failures(output: &Value) -> Option<HashSet<&str>> {
    let failures = output.get("batchItemFailures")?.as_array()?;
    Some(
        failures
            .iter()
            .filter_map(|f| f.get("itemIdentifier").and_then(|i| i.as_str()))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source() -> EventSource {
        EventSource {
            region: "us-east-1".into(),
            account: "123456789012".into(),
            queue: "events".into(),
        }
    }

    #[test]
    fn the_event_has_the_lambda_sqs_shape() {
        let records = vec![
            Record {
                id: 7,
                body: "{\"a\":1}".into(),
            },
            Record {
                id: 9,
                body: "test".into(),
            },
        ];
        let event = sqs_event(&records, &source(), 1_545_082_649_183);
        let items = event
            .get("Records")
            .and_then(|r| r.as_array())
            .expect("Records array");
        assert_eq!(items.len(), 2);
        let first = items.first().expect("first record");
        assert_eq!(first.get_str("messageId"), Some("7"));
        assert_eq!(first.get_str("body"), Some("{\"a\":1}"));
        assert_eq!(first.get_str("eventSource"), Some("aws:sqs"));
        assert_eq!(
            first.get_str("eventSourceARN"),
            Some("arn:aws:sqs:us-east-1:123456789012:events")
        );
        assert_eq!(first.get_str("awsRegion"), Some("us-east-1"));
        assert!(first.get_str("receiptHandle").is_some());
        let attributes = first.get("attributes").expect("attributes");
        assert_eq!(attributes.get_str("ApproximateReceiveCount"), Some("1"));
        assert_eq!(attributes.get_str("SentTimestamp"), Some("1545082649183"));
        assert_eq!(
            attributes.get_str("ApproximateFirstReceiveTimestamp"),
            Some("1545082649183")
        );
        assert!(attributes.get_str("SenderId").is_some());
        assert!(first
            .get("messageAttributes")
            .and_then(|m| m.as_object())
            .is_some_and(|m| m.is_empty()));
        let second = items.get(1).expect("second record");
        assert_eq!(second.get_str("messageId"), Some("9"));
        // MD5 of "test", as in AWS's example event.
        assert_eq!(
            second.get_str("md5OfBody"),
            Some("098f6bcd4621d373cade4e832627b4f6")
        );
    }

    #[test]
    fn batch_item_failures_are_read_from_the_output() {
        let output = crate::json::parse(
            r#"{"batchItemFailures":[{"itemIdentifier":"3"},{"itemIdentifier":5},{"x":1}]}"#,
        )
        .expect("json");
        let failed = batch_item_failures(&output).expect("present");
        assert_eq!(failed.len(), 1);
        assert!(failed.contains("3"));
        let none = crate::json::parse(r#"{"ok":true}"#).expect("json");
        assert!(batch_item_failures(&none).is_none());
        let empty = crate::json::parse(r#"{"batchItemFailures":[]}"#).expect("json");
        assert!(batch_item_failures(&empty).is_some_and(|f| f.is_empty()));
    }
}
