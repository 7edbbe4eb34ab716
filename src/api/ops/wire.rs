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

use serde::{Deserialize, Serialize, Serializer};

use super::executions::{billed_ms, StartFields, BILLED_MEMORY_MB};
use crate::api::{epoch_seconds, ApiError, Service};
use crate::json::Value;
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

/// The StartSyncExecution response (botocore `StartSyncExecutionOutput`):
/// the members before `output`, `output`, and the members after it. As a
/// tree ([`serde_json::to_value`]: the generic path) it is one flat object;
/// as a body ([`SyncReply::body`]) `output` is written by hand between the
/// two serialised parts.
#[derive(Serialize)]
pub(crate) struct SyncReply<'a> {
    #[serde(flatten)]
    head: SyncHead<'a>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "output_text"
    )]
    output: Option<&'a Value>,
    #[serde(flatten)]
    tail: SyncTail<'a>,
}

/// The members of [`SyncReply`] before `output`.
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
    #[serde(skip_serializing_if = "Option::is_none")]
    input: Option<&'a str>,
}

/// The members of [`SyncReply`] after `output`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SyncTail<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    output_details: Option<Included>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cause: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    trace_header: Option<&'a str>,
}

/// `output` in a tree: the string holding the value's JSON text.
fn output_text<S: Serializer>(output: &Option<&Value>, s: S) -> Result<S::Ok, S::Error> {
    match output {
        Some(v) => s.serialize_str(&crate::json::to_string(v)),
        None => s.serialize_none(),
    }
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
                input: with_data.then(|| fields.input.unwrap_or("{}")),
            },
            output: outcome.output.as_ref().filter(|_| with_data),
            tail: SyncTail {
                output_details: outcome.output.as_ref().map(|_| Included {
                    included: with_data,
                }),
                error: outcome.error.as_deref(),
                cause: outcome.cause.as_deref(),
                trace_header: fields.trace_header,
            },
        }
    }

    /// The response body: the same bytes as serialising the tree, with the
    /// output's JSON text written and escaped once, straight into the body
    /// ([`crate::json::write_escaped`]), not made as a `String` first.
    ///
    /// # Errors
    /// [`ApiError::InternalFailure`] if serde_json fails (it does not for
    /// these types).
    fn body(&self) -> Result<Vec<u8>, ApiError> {
        let mut out = Vec::with_capacity(1024);
        let failed = |e: serde_json::Error| ApiError::InternalFailure(e.to_string());
        // `{head}`, its `}` taken off.
        serde_json::to_writer(&mut out, &self.head).map_err(failed)?;
        out.pop();
        if let Some(output) = self.output {
            out.extend_from_slice(br#","output":""#);
            crate::json::write_escaped(output, &mut out);
            out.push(b'"');
        }
        // `{tail}`: `{}` closes the object, else its `{` becomes a comma.
        let at = out.len();
        serde_json::to_writer(&mut out, &self.tail).map_err(failed)?;
        if out.len() - at == 2 {
            out.truncate(at);
            out.push(b'}');
        } else {
            out[at] = b',';
        }
        Ok(out)
    }
}

/// The StartExecution response.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StartReply<'a> {
    execution_arn: &'a str,
    start_date: f64,
}

fn body<T: Serialize>(reply: &T) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(reply).map_err(|e| ApiError::InternalFailure(e.to_string()))
}

/// Answers `op` through the typed path when it is a start operation and
/// `body` deserialises; `None` leaves it to the generic path.
pub(crate) async fn answer(
    service: &Service,
    op: &str,
    body_bytes: &[u8],
) -> Option<Result<Vec<u8>, ApiError>> {
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
            Ok(done) => SyncReply::new(&fields, &done).body(),
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

    /// The response as it was serialised before (one flat struct, `output`
    /// made as a `String` by `json::to_string`, then escaped by serde).
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Flat<'a> {
        execution_arn: &'a str,
        state_machine_arn: &'a str,
        name: &'a str,
        start_date: f64,
        stop_date: f64,
        status: &'static str,
        input_details: &'a Included,
        billing_details: &'a Billing,
        #[serde(skip_serializing_if = "Option::is_none")]
        input: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        output: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        output_details: &'a Option<Included>,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        cause: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        trace_header: Option<&'a str>,
    }

    fn flat<'a>(r: &'a SyncReply<'a>) -> Flat<'a> {
        let (h, t) = (&r.head, &r.tail);
        Flat {
            execution_arn: h.execution_arn,
            state_machine_arn: h.state_machine_arn,
            name: h.name,
            start_date: h.start_date,
            stop_date: h.stop_date,
            status: h.status,
            input_details: &h.input_details,
            billing_details: &h.billing_details,
            input: h.input,
            output: r.output.map(crate::json::to_string),
            output_details: &t.output_details,
            error: t.error,
            cause: t.cause,
            trace_header: t.trace_header,
        }
    }

    /// An output with what JSON text must escape: quotes, backslashes,
    /// every control character, DEL, non-ASCII of 2, 3 and 4 bytes (also
    /// past 32 bytes, where the serialiser's SIMD path splits its writes),
    /// numbers, and an object of more than 32 keys (halfbrown's map past
    /// its vector) in an order neither sorted nor hashed.
    fn awkward_output() -> Value {
        let controls: String = (0u8..0x20).map(char::from).collect();
        let long = format!(
            "{}\"é\\{}😀\n{}",
            "x".repeat(40),
            "日本".repeat(20),
            "y".repeat(33)
        );
        let mut object = crate::json::Object::new();
        let members: [(&str, Value); 7] = [
            ("q\"uote", Value::from("say \"hi\" \\ back\\slash /")),
            ("controls", Value::from(controls.as_str())),
            ("del\u{7f}", Value::from("\u{7f}\u{80}\u{2028}")),
            ("non-ascii", Value::from("é日本😀")),
            ("long", Value::from(long.as_str())),
            (
                "numbers",
                crate::json::parse("[0,-1,1.5,1e300,-2.5e-8,18446744073709551615]").unwrap(),
            ),
            (
                "nested",
                crate::json::parse(r#"{"a":[{"b":null,"c":true}],"d":"\u0000"}"#).unwrap(),
            ),
        ];
        for (k, v) in members {
            object.insert(k.to_owned(), v);
        }
        for i in (0..40).rev() {
            object.insert(format!("k{}", (i * 7) % 40), Value::from(i));
        }
        Value::Object(Box::new(object))
    }

    #[test]
    fn body_is_the_flat_serialisation_with_the_output_escaped_once() {
        let output = awkward_output();
        let text = crate::json::to_string(&output);
        assert!(
            text.find("\"k33\"").unwrap() < text.find("\"k26\"").unwrap(),
            "{text}"
        );
        let outputs = [
            Some(&output),
            Some(&crate::json::NULL),
            Some(&Value::from("\u{1}\"\\é")),
            None,
        ];
        for output in outputs {
            for tail in 0..4 {
                let reply = SyncReply {
                    head: SyncHead {
                        execution_arn: "arn:aws:states:us-east-1:1:express:m:n:u",
                        state_machine_arn: "arn:aws:states:us-east-1:1:stateMachine:m",
                        name: "n\"é",
                        start_date: 1_733_300_000.123,
                        stop_date: 1_733_300_000.125,
                        status: if tail == 2 { "FAILED" } else { "SUCCEEDED" },
                        input_details: Included { included: true },
                        billing_details: Billing {
                            billed_memory_used_in_mb: 64,
                            billed_duration_in_milliseconds: 100,
                        },
                        input: (tail != 3).then_some("{\"a\":\"\\u0001é\"}"),
                    },
                    output,
                    tail: SyncTail {
                        output_details: (tail != 2).then_some(Included {
                            included: output.is_some(),
                        }),
                        error: (tail == 2).then_some("States.Fail\"x"),
                        cause: (tail == 2).then_some("a\nb"),
                        trace_header: (tail == 1).then_some("Root=1-abc"),
                    },
                };
                let reply = SyncReply {
                    tail: if tail == 3 {
                        SyncTail {
                            output_details: None,
                            error: None,
                            cause: None,
                            trace_header: None,
                        }
                    } else {
                        reply.tail
                    },
                    ..reply
                };
                let expected = serde_json::to_vec(&flat(&reply)).unwrap();
                let body = reply.body().unwrap();
                assert_eq!(
                    String::from_utf8(body).unwrap(),
                    String::from_utf8(expected.clone()).unwrap()
                );
                // The tree (generic path) holds the same members in the same order.
                let tree = serde_json::to_vec(&serde_json::to_value(&reply).unwrap()).unwrap();
                let again: serde_json::Value = serde_json::from_slice(&expected).unwrap();
                assert_eq!(tree, serde_json::to_vec(&again).unwrap());
            }
        }
    }
}
