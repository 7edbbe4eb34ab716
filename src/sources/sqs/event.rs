//! SQS messages as execution input: one message's body (parsed as JSON,
//! else a JSON string), or a received batch in the shape of the event
//! Lambda receives from an SQS event source mapping.
//!
//! ```json
//! {"Records": [{
//!   "messageId": "059f36b4-…", "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a…",
//!   "body": "test",
//!   "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1545082649183",
//!                  "SenderId": "AIDAIENQZJOLO23YVJ4VO", "ApproximateFirstReceiveTimestamp": "1545082649185"},
//!   "messageAttributes": {"myAttribute": {"stringValue": "myValue", "stringListValues": [],
//!                                         "binaryListValues": [], "dataType": "String"}},
//!   "md5OfBody": "098f6bcd4621d373cade4e832627b4f6",
//!   "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-2:123456789012:my-queue",
//!   "awsRegion": "us-east-2"}]}
//! ```
//!
//! Source: AWS Lambda developer guide, "Using Lambda with Amazon SQS"
//! (example SQS message event).

use md5::Digest as _;

use crate::errors::{ExecError, MAX_PAYLOAD_BYTES};
use crate::json::{Object, Value};
use crate::sources::file::too_large;

/// One message attribute (`MessageAttributeValue`), as SQS returns it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attribute {
    /// `String`, `Number`, `Binary`, or a custom type such as `String.uuid`.
    pub data_type: String,
    /// The value of a `String` / `Number` attribute.
    pub string_value: Option<String>,
    /// The value of a `Binary` attribute, base64-encoded.
    pub binary_value: Option<String>,
}

/// One received message: what the event needs of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Message {
    /// `MessageId`.
    pub message_id: String,
    /// `ReceiptHandle` of this receive (deletes and visibility changes use it).
    pub receipt_handle: String,
    /// `Body`.
    pub body: String,
    /// `MD5OfBody` as SQS computed it (hex); computed from the body when empty.
    pub md5_of_body: String,
    /// System attributes (`ApproximateReceiveCount`, `SentTimestamp`, …), sorted by name.
    pub attributes: Vec<(String, String)>,
    /// Message attributes, sorted by name.
    pub message_attributes: Vec<(String, Attribute)>,
}

impl Message {
    /// `ApproximateReceiveCount` (1 when SQS did not return it): how many
    /// times the message was received, this time included.
    pub fn receive_count(&self) -> u32 {
        self.attributes
            .iter()
            .find(|(k, _)| k == "ApproximateReceiveCount")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(1)
    }
}

/// The queue the messages come from: `eventSourceARN` and `awsRegion`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queue {
    /// `arn:aws:sqs:<region>:<account>:<name>`.
    pub arn: String,
    /// The queue's region.
    pub region: String,
}

fn string(s: &str) -> Value {
    Value::String(s.to_owned())
}

/// The input of a one-message execution: the body parsed as JSON, or the
/// body as a JSON string when it is not JSON.
///
/// # Errors
/// `ValidationException` when the input would be over 262,144 bytes (what
/// `StartExecution` answers).
pub fn message_input(body: &str) -> Result<Value, ExecError> {
    if body.len() > MAX_PAYLOAD_BYTES {
        return Err(too_large(body.len()));
    }
    if let Ok(value) = crate::json::parse(body) {
        return Ok(value);
    }
    let value = Value::String(body.to_owned());
    // Quoting and escaping can push a body near the limit over it.
    if body.len().saturating_mul(6) > MAX_PAYLOAD_BYTES {
        let size = crate::json::to_string(&value).len();
        if size > MAX_PAYLOAD_BYTES {
            return Err(too_large(size));
        }
    }
    Ok(value)
}

fn attribute(a: &Attribute) -> Value {
    let mut o = Object::with_capacity(5);
    if let Some(s) = &a.string_value {
        o.insert("stringValue".into(), string(s));
    }
    if let Some(b) = &a.binary_value {
        o.insert("binaryValue".into(), string(b));
    }
    o.insert("stringListValues".into(), Value::Array(Box::default()));
    o.insert("binaryListValues".into(), Value::Array(Box::default()));
    o.insert("dataType".into(), string(&a.data_type));
    Value::Object(Box::new(o))
}

/// One element of `Records`.
pub fn record(message: &Message, queue: &Queue) -> Value {
    let mut attributes = Object::with_capacity(message.attributes.len());
    for (k, v) in &message.attributes {
        attributes.insert(k.as_str().into(), string(v));
    }
    let mut message_attributes = Object::with_capacity(message.message_attributes.len());
    for (k, a) in &message.message_attributes {
        message_attributes.insert(k.as_str().into(), attribute(a));
    }
    let md5 = if message.md5_of_body.is_empty() {
        hex::encode(md5::Md5::digest(message.body.as_bytes()))
    } else {
        message.md5_of_body.clone()
    };
    let mut item = Object::with_capacity(9);
    item.insert("messageId".into(), string(&message.message_id));
    item.insert("receiptHandle".into(), string(&message.receipt_handle));
    item.insert("body".into(), string(&message.body));
    item.insert("attributes".into(), Value::Object(Box::new(attributes)));
    item.insert(
        "messageAttributes".into(),
        Value::Object(Box::new(message_attributes)),
    );
    item.insert("md5OfBody".into(), Value::String(md5));
    item.insert("eventSource".into(), string("aws:sqs"));
    item.insert("eventSourceARN".into(), string(&queue.arn));
    item.insert("awsRegion".into(), string(&queue.region));
    Value::Object(Box::new(item))
}

/// The Lambda SQS event of a received batch: `{"Records": [...]}`, one
/// record per message, in receive order.
///
/// # Errors
/// `ValidationException` when the event is over 262,144 bytes.
pub fn batch_event(messages: &[Message], queue: &Queue) -> Result<Value, ExecError> {
    let items: Vec<Value> = messages.iter().map(|m| record(m, queue)).collect();
    let mut event = Object::with_capacity(1);
    event.insert("Records".into(), Value::Array(Box::new(items)));
    let event = Value::Object(Box::new(event));
    // Escaping grows a body at most 6× (`\u00XX`); a record's other fields
    // take well under 2 KiB. Serialise to measure only near the limit.
    let bodies: usize = messages.iter().map(|m| m.body.len()).sum();
    if bodies
        .saturating_mul(6)
        .saturating_add(messages.len().saturating_mul(2048))
        > MAX_PAYLOAD_BYTES
    {
        let size = crate::json::to_string(&event).len();
        if size > MAX_PAYLOAD_BYTES {
            return Err(too_large(size));
        }
    }
    Ok(event)
}

#[cfg(test)]
mod tests {
    use simd_json::prelude::*;

    use super::*;

    fn queue() -> Queue {
        Queue {
            arn: "arn:aws:sqs:us-east-2:123456789012:my-queue".into(),
            region: "us-east-2".into(),
        }
    }

    fn message(id: &str, body: &str) -> Message {
        Message {
            message_id: id.into(),
            receipt_handle: format!("handle-{id}"),
            body: body.into(),
            md5_of_body: String::new(),
            attributes: vec![
                (
                    "ApproximateFirstReceiveTimestamp".into(),
                    "1545082649185".into(),
                ),
                ("ApproximateReceiveCount".into(), "2".into()),
                ("SenderId".into(), "AIDAIENQZJOLO23YVJ4VO".into()),
                ("SentTimestamp".into(), "1545082649183".into()),
            ],
            message_attributes: vec![(
                "myAttribute".into(),
                Attribute {
                    data_type: "String".into(),
                    string_value: Some("myValue".into()),
                    binary_value: None,
                },
            )],
        }
    }

    #[test]
    fn a_batch_is_the_lambda_sqs_event() {
        let event = batch_event(
            &[
                message("059f36b4", "test"),
                message("2e1424d4", "{\"a\":1}"),
            ],
            &queue(),
        )
        .expect("small");
        let text = crate::json::to_string(&event);
        let want = r#"{"Records":[{"messageId":"059f36b4","receiptHandle":"handle-059f36b4","body":"test","attributes":{"ApproximateFirstReceiveTimestamp":"1545082649185","ApproximateReceiveCount":"2","SenderId":"AIDAIENQZJOLO23YVJ4VO","SentTimestamp":"1545082649183"},"messageAttributes":{"myAttribute":{"stringValue":"myValue","stringListValues":[],"binaryListValues":[],"dataType":"String"}},"md5OfBody":"098f6bcd4621d373cade4e832627b4f6","eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:us-east-2:123456789012:my-queue","awsRegion":"us-east-2"},"#;
        assert!(text.starts_with(want), "{text}");
        let second = event["Records"]
            .as_array()
            .and_then(|r| r.get(1))
            .expect("2");
        assert_eq!(second.get_str("body"), Some("{\"a\":1}"));
        assert_eq!(second.get_str("messageId"), Some("2e1424d4"));
    }

    #[test]
    fn sqs_md5_is_kept_and_receive_count_read() {
        let mut m = message("1", "test");
        m.md5_of_body = "ffff".into();
        let r = record(&m, &queue());
        assert_eq!(r.get_str("md5OfBody"), Some("ffff"));
        assert_eq!(m.receive_count(), 2);
        m.attributes.clear();
        assert_eq!(m.receive_count(), 1);
    }

    #[test]
    fn a_message_body_is_json_or_a_json_string() {
        let v = message_input("{\"poison\":true}").expect("json");
        assert_eq!(v.get_bool("poison"), Some(true));
        let v = message_input("hello world").expect("string");
        assert_eq!(v.as_str(), Some("hello world"));
        let v = message_input("42").expect("number");
        assert_eq!(v.as_u64(), Some(42));
        let big = "x".repeat(MAX_PAYLOAD_BYTES + 1);
        let err = message_input(&big).expect_err("too large");
        assert_eq!(err.error, "ValidationException");
        // Under the limit as text, over it once quoted and escaped.
        let escaped = "\u{1}".repeat(MAX_PAYLOAD_BYTES / 2);
        assert!(message_input(&escaped).is_err());
    }

    #[test]
    fn a_batch_over_the_payload_limit_is_refused() {
        let body = "y".repeat(100_000);
        let ms: Vec<Message> = (0..3).map(|i| message(&i.to_string(), &body)).collect();
        assert!(batch_event(&ms, &queue()).is_err());
        assert!(batch_event(&ms[..2], &queue()).is_ok());
    }
}
