//! Typed wire structs of the two start operations, the hot path of the
//! API: the request is deserialised once from the body's bytes, its strings
//! borrowed where they carry no escape (the execution input, which always
//! does, is unescaped once and parsed once), and the response is serialised
//! once into the body (the output's JSON text escaped as it is written),
//! with no intermediate JSON tree.
//!
//! A body these structs do not accept (not an object, a field of the wrong
//! type, a repeated field) is left to the generic path
//! ([`super::dispatch`]), which answers with AWS's exact error messages.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::executions::{billed_ms, StartFields, BILLED_MEMORY_MB};
use crate::api::{epoch_seconds, ApiError, Service};
use crate::start::Completed;

/// A JSON string, borrowed from the body when it has no escape.
#[derive(Deserialize)]
struct Text<'a>(#[serde(borrow)] Cow<'a, str>);

/// The body of StartExecution / StartSyncExecution (unknown fields ignored).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StartBody<'a> {
    #[serde(borrow, default)]
    state_machine_arn: Option<Text<'a>>,
    #[serde(borrow, default)]
    name: Option<Text<'a>>,
    #[serde(borrow, default)]
    input: Option<Text<'a>>,
    #[serde(borrow, default)]
    trace_header: Option<Text<'a>>,
    #[serde(borrow, default)]
    included_data: Option<Text<'a>>,
}

/// The text of an optional string field.
fn text<'b>(t: &'b Option<Text<'_>>) -> Option<&'b str> {
    t.as_ref().map(|t| &*t.0)
}

impl StartBody<'_> {
    fn fields(&self) -> StartFields<'_> {
        StartFields {
            state_machine_arn: text(&self.state_machine_arn),
            name: text(&self.name),
            input: text(&self.input),
            trace_header: text(&self.trace_header),
            included_data: text(&self.included_data),
        }
    }
}

/// `{"included": bool}`.
#[derive(Serialize)]
struct Included {
    included: bool,
}

/// `billingDetails`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Billing {
    #[serde(rename = "billedMemoryUsedInMB")]
    billed_memory_used_in_mb: u64,
    billed_duration_in_milliseconds: u64,
}

/// The StartSyncExecution response (botocore `StartSyncExecutionOutput`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SyncReply<'a> {
    execution_arn: &'a str,
    state_machine_arn: &'a str,
    name: &'a str,
    start_date: f64,
    stop_date: f64,
    status: &'static str,
    input_details: Included,
    billing_details: Billing,
    #[serde(skip_serializing_if = "Option::is_none")]
    input: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    output: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    output_details: Option<Included>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cause: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    trace_header: Option<&'a str>,
}

impl<'a> SyncReply<'a> {
    /// The response for `done`, started with `fields`: with
    /// `includedData: METADATA_ONLY`, no input nor output.
    pub(crate) fn new(fields: &StartFields<'a>, done: &'a Completed) -> Self {
        let (options, outcome) = (&done.options, &done.outcome);
        let with_data = fields.included_data != Some("METADATA_ONLY");
        SyncReply {
            execution_arn: &options.execution_arn,
            state_machine_arn: &options.state_machine_arn,
            name: &options.name,
            start_date: epoch_seconds(options.start_time),
            stop_date: epoch_seconds(outcome.stop_time),
            status: outcome.status.as_str(),
            input_details: Included {
                included: with_data,
            },
            billing_details: Billing {
                billed_memory_used_in_mb: BILLED_MEMORY_MB,
                billed_duration_in_milliseconds: billed_ms(options.start_time, outcome.stop_time),
            },
            input: with_data.then(|| fields.input.unwrap_or("{}")),
            output: outcome
                .output
                .as_ref()
                .filter(|_| with_data)
                .map(crate::json::to_string),
            output_details: outcome.output.as_ref().map(|_| Included {
                included: with_data,
            }),
            error: outcome.error.as_deref(),
            cause: outcome.cause.as_deref(),
            trace_header: fields.trace_header,
        }
    }
}

/// The StartExecution response.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StartReply<'a> {
    execution_arn: &'a str,
    start_date: f64,
}

fn body<T: Serialize>(reply: &T) -> Result<String, ApiError> {
    serde_json::to_string(reply).map_err(|e| ApiError::InternalFailure(e.to_string()))
}

/// Answers `op` through the typed path when it is a start operation and
/// `body` deserialises; `None` leaves it to the generic path.
pub(crate) async fn answer(
    service: &Service,
    op: &str,
    body_bytes: &[u8],
) -> Option<Result<String, ApiError>> {
    let sync = match op {
        "StartSyncExecution" => true,
        "StartExecution" => false,
        _ => return None,
    };
    // A JSON array would deserialise into a struct too: objects only.
    let first = body_bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return None;
    }
    let wire: StartBody<'_> = serde_json::from_slice(body_bytes).ok()?;
    let fields = wire.fields();
    if let Err(e) = fields.check(sync) {
        return Some(Err(e));
    }
    let starter = service.starter();
    Some(if sync {
        match starter.start_sync(fields.request()).await {
            Ok(done) => body(&SyncReply::new(&fields, &done)),
            Err(e) => Err(e.into()),
        }
    } else {
        match starter.start(fields.request()).await {
            Ok(started) => body(&StartReply {
                execution_arn: &started.execution_arn,
                start_date: epoch_seconds(started.start_time),
            }),
            Err(e) => Err(e.into()),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_borrowed_unless_escaped() {
        let raw = br#"{"stateMachineArn":"arn:a","input":"{\"a\":1}","other":[1,{}]}"#;
        let wire: StartBody<'_> = serde_json::from_slice(raw).expect("typed");
        let arn = &wire.state_machine_arn.as_ref().expect("arn").0;
        assert!(matches!(arn, Cow::Borrowed("arn:a")));
        assert_eq!(wire.fields().input, Some(r#"{"a":1}"#));
        assert!(wire.name.is_none());
        let wrong = br#"{"stateMachineArn":1}"#;
        assert!(serde_json::from_slice::<StartBody<'_>>(wrong).is_err());
    }
}
