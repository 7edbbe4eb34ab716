//! Kinesis records as execution input: one record's data (decoded, parsed
//! as JSON), or a batch in the shape of the event Lambda receives from a
//! Kinesis event source mapping.
//!
//! ```json
//! {"Records": [{
//!   "kinesis": {"kinesisSchemaVersion": "1.0", "partitionKey": "1",
//!               "sequenceNumber": "49590338271490256608559692538361571095921575989136588898",
//!               "data": "SGVsbG8sIHRoaXMgaXMgYSB0ZXN0Lg==",
//!               "approximateArrivalTimestamp": 1545084650.987},
//!   "eventSource": "aws:kinesis", "eventVersion": "1.0",
//!   "eventID": "shardId-000000000006:49590338271490256608559692538361571095921575989136588898",
//!   "eventName": "aws:kinesis:record",
//!   "invokeIdentityArn": "arn:aws:iam::123456789012:role/lambda-role",
//!   "awsRegion": "us-east-2",
//!   "eventSourceARN": "arn:aws:kinesis:us-east-2:123456789012:stream/lambda-stream"}]}
//! ```
//!
//! Source: AWS Lambda developer guide, "Using Lambda with Kinesis Data
//! Streams" (example Kinesis record event).

use base64::Engine as _;

use crate::errors::{ExecError, MAX_PAYLOAD_BYTES};
use crate::json::{Object, Value};
use crate::sources::file::{too_large, INVALID_EXECUTION_INPUT};

/// One record read from a shard.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamRecord {
    /// `SequenceNumber`: a decimal string, increasing within the shard.
    pub sequence_number: String,
    /// `PartitionKey`.
    pub partition_key: String,
    /// `Data`, decoded (the bytes the producer put).
    pub data: Vec<u8>,
    /// `ApproximateArrivalTimestamp`, in milliseconds since the Unix epoch.
    pub arrival_ms: i64,
}

/// The stream and shard records come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// `arn:aws:kinesis:<region>:<account>:stream/<name>`.
    pub stream_arn: String,
    /// The stream's region.
    pub region: String,
    /// `shardId-…`.
    pub shard_id: String,
    /// `invokeIdentityArn`: the role executions run as.
    pub role_arn: String,
}

fn string(s: &str) -> Value {
    Value::String(s.to_owned())
}

/// The input of a one-record execution: the data parsed as JSON; data that
/// is not JSON is given as a JSON string when it is UTF-8 text.
///
/// # Errors
/// `InvalidExecutionInput` for binary data, `ValidationException` over
/// 262,144 bytes (what `StartExecution` answers).
pub fn record_input(data: &[u8]) -> Result<Value, ExecError> {
    if data.len() > MAX_PAYLOAD_BYTES {
        return Err(too_large(data.len()));
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return Err(ExecError::new(
            INVALID_EXECUTION_INPUT,
            "Invalid State Machine Execution Input: 'the record data is not UTF-8 text'",
        ));
    };
    if let Ok(value) = crate::json::parse(text) {
        return Ok(value);
    }
    crate::sources::sqs::event::message_input(text)
}

/// Compares two sequence numbers (decimal strings without leading zeros) numerically.
pub fn compare_sequence(a: &str, b: &str) -> std::cmp::Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// One element of `Records`.
pub fn record(r: &StreamRecord, origin: &Origin) -> Value {
    let mut kinesis = Object::with_capacity(5);
    kinesis.insert("kinesisSchemaVersion".into(), string("1.0"));
    kinesis.insert("partitionKey".into(), string(&r.partition_key));
    kinesis.insert("sequenceNumber".into(), string(&r.sequence_number));
    kinesis.insert(
        "data".into(),
        Value::String(base64::engine::general_purpose::STANDARD.encode(&r.data)),
    );
    #[allow(clippy::cast_precision_loss)]
    let seconds = r.arrival_ms as f64 / 1_000.0;
    kinesis.insert("approximateArrivalTimestamp".into(), Value::from(seconds));
    let mut item = Object::with_capacity(9);
    item.insert("kinesis".into(), Value::Object(Box::new(kinesis)));
    item.insert("eventSource".into(), string("aws:kinesis"));
    item.insert("eventVersion".into(), string("1.0"));
    item.insert(
        "eventID".into(),
        Value::String(format!("{}:{}", origin.shard_id, r.sequence_number)),
    );
    item.insert("eventName".into(), string("aws:kinesis:record"));
    item.insert("invokeIdentityArn".into(), string(&origin.role_arn));
    item.insert("awsRegion".into(), string(&origin.region));
    item.insert("eventSourceARN".into(), string(&origin.stream_arn));
    Value::Object(Box::new(item))
}

/// The Lambda Kinesis event of a batch: `{"Records": [...]}` in shard order.
///
/// # Errors
/// `ValidationException` when the event is over 262,144 bytes.
pub fn batch_event(records: &[StreamRecord], origin: &Origin) -> Result<Value, ExecError> {
    let items: Vec<Value> = records.iter().map(|r| record(r, origin)).collect();
    let mut event = Object::with_capacity(1);
    event.insert("Records".into(), Value::Array(Box::new(items)));
    let event = Value::Object(Box::new(event));
    // Base64 grows data by 4/3; a record's other fields take under 1 KiB.
    let data: usize = records.iter().map(|r| r.data.len()).sum();
    if (data / 3 + 1)
        .saturating_mul(4)
        .saturating_add(records.len().saturating_mul(1024))
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

    fn origin() -> Origin {
        Origin {
            stream_arn: "arn:aws:kinesis:us-east-2:123456789012:stream/lambda-stream".into(),
            region: "us-east-2".into(),
            shard_id: "shardId-000000000006".into(),
            role_arn: "arn:aws:iam::123456789012:role/lambda-role".into(),
        }
    }

    #[test]
    fn a_batch_is_the_lambda_kinesis_event() {
        let r = StreamRecord {
            sequence_number: "49590338271490256608559692538361571095921575989136588898".into(),
            partition_key: "1".into(),
            data: b"Hello, this is a test.".to_vec(),
            arrival_ms: 1_545_084_650_987,
        };
        let event = batch_event(&[r], &origin()).expect("small");
        let text = crate::json::to_string(&event);
        assert_eq!(
            text,
            r#"{"Records":[{"kinesis":{"kinesisSchemaVersion":"1.0","partitionKey":"1","sequenceNumber":"49590338271490256608559692538361571095921575989136588898","data":"SGVsbG8sIHRoaXMgaXMgYSB0ZXN0Lg==","approximateArrivalTimestamp":1545084650.987},"eventSource":"aws:kinesis","eventVersion":"1.0","eventID":"shardId-000000000006:49590338271490256608559692538361571095921575989136588898","eventName":"aws:kinesis:record","invokeIdentityArn":"arn:aws:iam::123456789012:role/lambda-role","awsRegion":"us-east-2","eventSourceARN":"arn:aws:kinesis:us-east-2:123456789012:stream/lambda-stream"}]}"#
        );
    }

    #[test]
    fn record_data_is_json_or_text() {
        let v = record_input(b"{\"n\":3}").expect("json");
        assert_eq!(v.get_u64("n"), Some(3));
        assert_eq!(
            record_input(b"plain").expect("text").as_str(),
            Some("plain")
        );
        let err = record_input(&[0xff, 0xfe]).expect_err("binary");
        assert_eq!(err.error, INVALID_EXECUTION_INPUT);
    }

    #[test]
    fn sequence_numbers_compare_numerically() {
        use std::cmp::Ordering;
        assert_eq!(compare_sequence("9", "10"), Ordering::Less);
        assert_eq!(compare_sequence("123", "123"), Ordering::Equal);
        assert_eq!(compare_sequence("200", "199"), Ordering::Greater);
    }
}
