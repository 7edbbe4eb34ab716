//! The start operations' response bodies, serialised once (the output's JSON
//! text escaped as it is written, the input echoed as the client wrote it
//! when that is how serde_json writes it).

use serde::Serialize;

use super::escape;
use crate::api::ops::executions::{billed_ms, StartFields, BILLED_MEMORY_MB};
use crate::api::{epoch_seconds, ApiError};
use crate::start::Completed;

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

/// The StartSyncExecution response (botocore `StartSyncExecutionOutput`):
/// its members before `input`, `input`, and its members after it.
#[derive(Serialize)]
pub(crate) struct SyncReply<'a> {
    #[serde(flatten)]
    head: SyncHead<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    input: Option<&'a str>,
    #[serde(flatten)]
    tail: SyncTail<'a>,
}

/// The members of [`SyncReply`] before `input`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SyncHead<'a> {
    execution_arn: &'a str,
    state_machine_arn: &'a str,
    name: &'a str,
    start_date: f64,
    stop_date: f64,
    status: &'static str,
    input_details: Included,
    billing_details: Billing,
}

/// The members of [`SyncReply`] after `input`: `output` (written by
/// [`escape::write_str`] in [`SyncReply::body`]), then the rest.
#[derive(Serialize)]
struct SyncTail<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    output: Option<String>,
    #[serde(flatten)]
    rest: SyncRest<'a>,
}

/// The members of [`SyncReply`] after `output`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SyncRest<'a> {
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
            head: SyncHead {
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
                    billed_duration_in_milliseconds: billed_ms(
                        options.start_time,
                        outcome.stop_time,
                    ),
                },
            },
            input: with_data.then(|| fields.input.unwrap_or("{}")),
            tail: SyncTail {
                output: outcome
                    .output
                    .as_ref()
                    .filter(|_| with_data)
                    .map(crate::json::to_string),
                rest: SyncRest {
                    output_details: outcome.output.as_ref().map(|_| Included {
                        included: with_data,
                    }),
                    error: outcome.error.as_deref(),
                    cause: outcome.cause.as_deref(),
                    trace_header: fields.trace_header,
                },
            },
        }
    }

    /// The response body: what `serde_json::to_string` writes, with the
    /// input written as `escaped` (its characters between the quotes,
    /// escaped as serde_json escapes them) when given, instead of escaped
    /// again, and the input otherwise and the output's JSON text escaped by
    /// [`escape::write_str`].
    pub(super) fn body(&self, escaped: Option<&str>) -> Result<String, ApiError> {
        let failed = |e: serde_json::Error| ApiError::InternalFailure(e.to_string());
        // The head's members and the tail's are a few hundred bytes; the input
        // and output texts, with room for their escapes, the rest.
        let texts = escaped.or(self.input).map_or(0, str::len)
            + self
                .tail
                .output
                .as_deref()
                .map_or(0, |o| o.len() + o.len() / 4);
        let mut out = Vec::with_capacity(512 + texts + texts / 8);
        serde_json::to_writer(&mut out, &self.head).map_err(failed)?;
        out.pop(); // the head's `}`: the object goes on
        if let Some(input) = self.input {
            out.extend_from_slice(b",\"input\":");
            match escaped {
                Some(escaped) => {
                    out.push(b'"');
                    out.extend_from_slice(escaped.as_bytes());
                    out.push(b'"');
                }
                None => escape::write_str(&mut out, input),
            }
        }
        if let Some(output) = &self.tail.output {
            out.extend_from_slice(b",\"output\":");
            escape::write_str(&mut out, output);
        }
        let at = out.len();
        serde_json::to_writer(&mut out, &self.tail.rest).map_err(failed)?;
        // The tail's `{…}` joins the object: its `{` becomes `,`, and an
        // empty tail (`{}`) only closes it.
        if out.len() - at > 2 {
            out[at] = b',';
        } else {
            out.truncate(at);
            out.push(b'}');
        }
        String::from_utf8(out).map_err(|e| ApiError::InternalFailure(e.to_string()))
    }
}

/// The StartExecution response.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct StartReply<'a> {
    pub(super) execution_arn: &'a str,
    pub(super) start_date: f64,
}

pub(super) fn body<T: Serialize>(reply: &T) -> Result<String, ApiError> {
    serde_json::to_string(reply).map_err(|e| ApiError::InternalFailure(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply<'a>(
        input: Option<&'a str>,
        output: Option<&str>,
        error: Option<&'a str>,
    ) -> SyncReply<'a> {
        SyncReply {
            head: SyncHead {
                execution_arn: "arn:e",
                state_machine_arn: "arn:m",
                name: "n",
                start_date: 1.5,
                stop_date: 2.0,
                status: "SUCCEEDED",
                input_details: Included {
                    included: input.is_some(),
                },
                billing_details: Billing {
                    billed_memory_used_in_mb: 64,
                    billed_duration_in_milliseconds: 100,
                },
            },
            input,
            tail: SyncTail {
                output: output.map(str::to_owned),
                rest: SyncRest {
                    output_details: output.map(|_| Included { included: true }),
                    error,
                    cause: error,
                    trace_header: None,
                },
            },
        }
    }

    /// The body written in parts, with the input as written or escaped
    /// again, is serde_json's serialisation of the whole reply, byte for byte.
    #[test]
    fn the_body_is_the_replys_serialisation() {
        let text = "{\n \"a\": \"\\\u{1}\u{7f}é\"}";
        let escaped = serde_json::to_string(text).expect("json");
        let escaped = &escaped[1..escaped.len() - 1];
        for r in [
            reply(Some(text), Some(r#"{"b":"\"q\""}"#), None),
            reply(Some(text), Some(text), Some("E")),
            reply(None, Some(r#"{"c":"a\\b\u0001\n"}"#), None),
            reply(Some(text), None, Some("E")),
            reply(Some(""), None, None),
            reply(None, None, None),
            reply(None, None, Some("E")),
        ] {
            let whole = serde_json::to_string(&r).expect("json");
            assert_eq!(r.body(None).expect("body"), whole);
            if r.input == Some(text) {
                assert_eq!(r.body(Some(escaped)).expect("body"), whole);
            }
        }
    }
}
