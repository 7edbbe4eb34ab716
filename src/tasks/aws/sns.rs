//! `sns:publish`: SNS Publish.
//!
//! Request: `TopicArn`, `TargetArn`, `PhoneNumber`, `Message` (a string, or
//! any JSON value sent as its JSON text), `Subject`, `MessageStructure`,
//! `MessageAttributes` (`{NAME: {DataType, StringValue | BinaryValue}}`),
//! `MessageDeduplicationId`, `MessageGroupId`.
//!
//! Result: `{MessageId, SequenceNumber?}`, plus `SdkHttpMetadata` and
//! `SdkResponseMetadata` in the optimized form (AWS guide `connect-sns.html`).

use std::collections::HashMap;

use aws_sdk_sns::operation::publish::PublishError;
use aws_sdk_sns::operation::RequestId;
use aws_sdk_sns::types::MessageAttributeValue;

use super::errors::from_sdk;
use super::metadata::HttpCapture;
use super::params::Params;
use super::resource::Service;
use super::sqs::{attribute, put};
use crate::errors::ExecError;
use crate::json::{Object, Value};

/// Publishes the message `input` describes.
///
/// # Errors
/// As the module [`super`] says.
pub(crate) async fn publish(
    client: &aws_sdk_sns::Client,
    input: &Value,
) -> Result<Value, ExecError> {
    let p = Params::new(input, "sns:publish")?;
    let mut req = client
        .publish()
        .set_topic_arn(p.str("TopicArn")?.map(str::to_owned))
        .set_target_arn(p.str("TargetArn")?.map(str::to_owned))
        .set_phone_number(p.str("PhoneNumber")?.map(str::to_owned))
        .set_message(p.text("Message").map(|c| c.into_owned()))
        .set_subject(p.str("Subject")?.map(str::to_owned))
        .set_message_structure(p.str("MessageStructure")?.map(str::to_owned))
        .set_message_deduplication_id(p.str("MessageDeduplicationId")?.map(str::to_owned))
        .set_message_group_id(p.str("MessageGroupId")?.map(str::to_owned));
    if let Some(attrs) = p.object("MessageAttributes")? {
        let mut out = HashMap::with_capacity(attrs.len());
        for (name, v) in attrs.iter() {
            let a = attribute(&format!("MessageAttributes.{name}"), v)?;
            let value = MessageAttributeValue::builder()
                .data_type(a.data_type.unwrap_or_default())
                .set_string_value(a.string_value)
                .set_binary_value(a.binary_value)
                .build()
                .map_err(|e| ExecError::runtime(e.to_string()))?;
            out.insert(name.to_string(), value);
        }
        req = req.set_message_attributes(Some(out));
    }
    let capture = HttpCapture::default();
    let out = req
        .customize()
        .interceptor(capture.clone())
        .send()
        .await
        .map_err(|e| from_sdk(Service::Sns, e, modeled))?;
    let mut result = Object::with_capacity(4);
    put(&mut result, "MessageId", out.message_id());
    put(&mut result, "SequenceNumber", out.sequence_number());
    capture.envelope(&mut result, out.request_id());
    Ok(Value::from(result))
}

/// The declared error shape of a Publish error (the SNS model's names).
fn modeled(e: &PublishError) -> Option<&'static str> {
    Some(match e {
        PublishError::AuthorizationErrorException(_) => "AuthorizationErrorException",
        PublishError::EndpointDisabledException(_) => "EndpointDisabledException",
        PublishError::InternalErrorException(_) => "InternalErrorException",
        PublishError::InvalidParameterException(_) => "InvalidParameterException",
        PublishError::InvalidParameterValueException(_) => "InvalidParameterValueException",
        PublishError::InvalidSecurityException(_) => "InvalidSecurityException",
        PublishError::KmsAccessDeniedException(_) => "KmsAccessDeniedException",
        PublishError::KmsDisabledException(_) => "KmsDisabledException",
        PublishError::KmsInvalidStateException(_) => "KmsInvalidStateException",
        PublishError::KmsNotFoundException(_) => "KmsNotFoundException",
        PublishError::KmsOptInRequired(_) => "KmsOptInRequired",
        PublishError::KmsThrottlingException(_) => "KmsThrottlingException",
        PublishError::NotFoundException(_) => "NotFoundException",
        PublishError::PlatformApplicationDisabledException(_) => {
            "PlatformApplicationDisabledException"
        }
        PublishError::ValidationException(_) => "ValidationException",
        _ => return None,
    })
}
