//! `sqs:sendMessage`: SQS SendMessage.
//!
//! Request: `QueueUrl`, `MessageBody` (a string, or any JSON value sent as
//! its JSON text), `DelaySeconds`, `MessageAttributes`
//! (`{NAME: {DataType, StringValue | BinaryValue (base64) | StringListValues
//! | BinaryListValues}}`), `MessageDeduplicationId`, `MessageGroupId`; other
//! fields are dropped.
//!
//! Result: `{MD5OfMessageBody, MD5OfMessageAttributes?, MessageId,
//! SequenceNumber?, SdkHttpMetadata, SdkResponseMetadata}` (AWS guide
//! `connect-sqs.html`; recorded AWS history).

use std::collections::HashMap;

use aws_sdk_sqs::operation::send_message::SendMessageError;
use aws_sdk_sqs::operation::RequestId;
use aws_sdk_sqs::primitives::Blob;
use aws_sdk_sqs::types::MessageAttributeValue;
use base64::Engine as _;
use simd_json::prelude::*;

use super::errors::from_sdk;
use super::metadata::HttpCapture;
use super::params::{invalid, strings, Params};
use super::resource::Service;
use crate::errors::ExecError;
use crate::json::{Object, Value};

/// Sends the message `input` describes.
///
/// # Errors
/// As the module [`super`] says.
pub(crate) async fn send_message(
    client: &aws_sdk_sqs::Client,
    input: &Value,
) -> Result<Value, ExecError> {
    let p = Params::new(input, "sqs:sendMessage")?;
    let mut req = client
        .send_message()
        .set_queue_url(p.str("QueueUrl")?.map(str::to_owned))
        .set_message_body(p.text("MessageBody").map(|c| c.into_owned()))
        .set_delay_seconds(p.i32("DelaySeconds")?)
        .set_message_deduplication_id(p.str("MessageDeduplicationId")?.map(str::to_owned))
        .set_message_group_id(p.str("MessageGroupId")?.map(str::to_owned));
    if let Some(attrs) = p.object("MessageAttributes")? {
        req = req.set_message_attributes(Some(message_attributes(attrs)?));
    }
    let capture = HttpCapture::default();
    let out = req
        .customize()
        .interceptor(capture.clone())
        .send()
        .await
        .map_err(|e| from_sdk(Service::Sqs, e, modeled))?;
    let mut result = Object::with_capacity(7);
    put(&mut result, "MD5OfMessageBody", out.md5_of_message_body());
    put(
        &mut result,
        "MD5OfMessageAttributes",
        out.md5_of_message_attributes(),
    );
    put(&mut result, "MessageId", out.message_id());
    put(&mut result, "SequenceNumber", out.sequence_number());
    capture.envelope(&mut result, out.request_id());
    Ok(Value::from(result))
}

/// Inserts `key: value` when `value` is present.
pub(crate) fn put(obj: &mut Object, key: &str, value: Option<&str>) {
    if let Some(v) = value {
        obj.insert(key.into(), Value::from(v));
    }
}

/// The declared error shape of a SendMessage error (the SQS model's names).
fn modeled(e: &SendMessageError) -> Option<&'static str> {
    Some(match e {
        SendMessageError::InvalidAddress(_) => "InvalidAddress",
        SendMessageError::InvalidMessageContents(_) => "InvalidMessageContents",
        SendMessageError::InvalidSecurity(_) => "InvalidSecurity",
        SendMessageError::KmsAccessDenied(_) => "KmsAccessDenied",
        SendMessageError::KmsDisabled(_) => "KmsDisabled",
        SendMessageError::KmsInvalidKeyUsage(_) => "KmsInvalidKeyUsage",
        SendMessageError::KmsInvalidState(_) => "KmsInvalidState",
        SendMessageError::KmsNotFound(_) => "KmsNotFound",
        SendMessageError::KmsOptInRequired(_) => "KmsOptInRequired",
        SendMessageError::KmsThrottled(_) => "KmsThrottled",
        SendMessageError::QueueDoesNotExist(_) => "QueueDoesNotExist",
        SendMessageError::RequestThrottled(_) => "RequestThrottled",
        SendMessageError::UnsupportedOperation(_) => "UnsupportedOperation",
        _ => return None,
    })
}

/// The parts of one message attribute.
pub(crate) struct Attribute {
    pub(crate) data_type: Option<String>,
    pub(crate) string_value: Option<String>,
    pub(crate) binary_value: Option<Blob>,
    pub(crate) string_list: Option<Vec<String>>,
    pub(crate) binary_list: Option<Vec<Blob>>,
}

/// `MessageAttributes` as SQS takes them. A missing `DataType` is sent
/// empty, so SQS answers with its own validation error, as on AWS.
fn message_attributes(attrs: &Object) -> Result<HashMap<String, MessageAttributeValue>, ExecError> {
    let mut out = HashMap::with_capacity(attrs.len());
    for (name, v) in attrs.iter() {
        let a = attribute(&format!("MessageAttributes.{name}"), v)?;
        let value = MessageAttributeValue::builder()
            .data_type(a.data_type.unwrap_or_default())
            .set_string_value(a.string_value)
            .set_binary_value(a.binary_value)
            .set_string_list_values(a.string_list)
            .set_binary_list_values(a.binary_list)
            .build()
            .map_err(|e| ExecError::runtime(e.to_string()))?;
        out.insert(name.to_string(), value);
    }
    Ok(out)
}

/// Reads one `{DataType, StringValue, BinaryValue, StringListValues,
/// BinaryListValues}` object.
pub(crate) fn attribute(field: &str, v: &Value) -> Result<Attribute, ExecError> {
    let Some(obj) = v.as_object() else {
        return Err(invalid(field, "an object", v));
    };
    let string = |k: &str| -> Result<Option<String>, ExecError> {
        match obj.get(k).filter(|v| !v.is_null()) {
            None => Ok(None),
            Some(v) => v
                .as_str()
                .map(|s| Some(s.to_owned()))
                .ok_or_else(|| invalid(&format!("{field}.{k}"), "a string", v)),
        }
    };
    let binary = |k: &str, v: &Value| -> Result<Blob, ExecError> {
        v.as_str()
            .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
            .map(Blob::new)
            .ok_or_else(|| invalid(&format!("{field}.{k}"), "a base64 string", v))
    };
    let list = |k: &str| obj.get(k).filter(|v| !v.is_null());
    let string_list = match list("StringListValues") {
        None => None,
        Some(Value::Array(items)) => Some(strings(&format!("{field}.StringListValues"), items)?),
        Some(other) => {
            return Err(invalid(
                &format!("{field}.StringListValues"),
                "an array",
                other,
            ))
        }
    };
    let binary_list = match list("BinaryListValues") {
        None => None,
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .map(|v| binary("BinaryListValues", v))
                .collect::<Result<Vec<_>, _>>()?,
        ),
        Some(other) => {
            return Err(invalid(
                &format!("{field}.BinaryListValues"),
                "an array",
                other,
            ))
        }
    };
    Ok(Attribute {
        data_type: string("DataType")?,
        string_value: string("StringValue")?,
        binary_value: match list("BinaryValue") {
            None => None,
            Some(v) => Some(binary("BinaryValue", v)?),
        },
        string_list,
        binary_list,
    })
}
