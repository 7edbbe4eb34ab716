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
use std::fmt::Write as _;

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

impl SyncReply<'_> {
    /// The response body: what `serde_json::to_string(self)` writes (a unit
    /// test holds them equal), with the execution's input and output texts
    /// escaped eight bytes at a time ([`push_json_string`]) instead of
    /// serde_json's byte-by-byte escaper, which cost 10 % of a request's
    /// instructions (callgrind, `loadtest/http_instructions.sh`).
    fn to_body(&self) -> String {
        let data = self.input.map_or(0, str::len) + self.output.as_ref().map_or(0, String::len);
        let mut out = String::with_capacity(512 + data + data / 4);
        let field = |out: &mut String, name: &str| {
            out.push_str(if out.is_empty() { "{\"" } else { ",\"" });
            out.push_str(name);
            out.push_str("\":");
        };
        let number = |out: &mut String, x: f64| match serde_json::Number::from_f64(x) {
            Some(n) => {
                let _ = write!(out, "{n}");
            }
            None => out.push_str("null"),
        };
        let included = |out: &mut String, yes: bool| {
            out.push_str(if yes {
                "{\"included\":true}"
            } else {
                "{\"included\":false}"
            });
        };
        field(&mut out, "executionArn");
        push_json_string(&mut out, self.execution_arn);
        field(&mut out, "stateMachineArn");
        push_json_string(&mut out, self.state_machine_arn);
        field(&mut out, "name");
        push_json_string(&mut out, self.name);
        field(&mut out, "startDate");
        number(&mut out, self.start_date);
        field(&mut out, "stopDate");
        number(&mut out, self.stop_date);
        field(&mut out, "status");
        push_json_string(&mut out, self.status);
        field(&mut out, "inputDetails");
        included(&mut out, self.input_details.included);
        field(&mut out, "billingDetails");
        let _ = write!(
            out,
            "{{\"billedMemoryUsedInMB\":{},\"billedDurationInMilliseconds\":{}}}",
            self.billing_details.billed_memory_used_in_mb,
            self.billing_details.billed_duration_in_milliseconds
        );
        let text = |out: &mut String, name: &str, value: Option<&str>| {
            if let Some(v) = value {
                field(out, name);
                push_json_string(out, v);
            }
        };
        text(&mut out, "input", self.input);
        text(&mut out, "output", self.output.as_deref());
        if let Some(details) = &self.output_details {
            field(&mut out, "outputDetails");
            included(&mut out, details.included);
        }
        text(&mut out, "error", self.error);
        text(&mut out, "cause", self.cause);
        text(&mut out, "traceHeader", self.trace_header);
        out.push('}');
        out
    }
}

/// Appends `s` as a JSON string (RFC 8259 §7, the escapes serde_json
/// writes: `\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`, `\u00XX` for the other
/// control characters). Runs of eight bytes with nothing to escape are
/// copied whole: a byte needs a look only when the eight-byte word has a
/// `"`, a `\\` or a byte below 0x20 (or a false alarm of the word test).
pub(crate) fn push_json_string(out: &mut String, s: &str) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    /// High bit set in each byte of `v` that is zero (and maybe in a byte
    /// above one that is: false alarms only, never a miss).
    fn zero_bytes(v: u64) -> u64 {
        v.wrapping_sub(ONES) & !v & HIGH
    }
    let bytes = s.as_bytes();
    out.push('"');
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        if let Some(word) = bytes.get(i..i + 8) {
            let mut w = [0u8; 8];
            w.copy_from_slice(word);
            let x = u64::from_le_bytes(w);
            let flagged = zero_bytes(x ^ (ONES * u64::from(b'"')))
                | zero_bytes(x ^ (ONES * u64::from(b'\\')))
                | (x.wrapping_sub(ONES * 0x20) & !x & HIGH);
            if flagged == 0 {
                i += 8;
                continue;
            }
        }
        let end = (i + 8).min(bytes.len());
        while i < end {
            let b = bytes[i];
            let escape = match b {
                b'"' => "\\\"",
                b'\\' => "\\\\",
                b'\n' => "\\n",
                b'\r' => "\\r",
                b'\t' => "\\t",
                0x08 => "\\b",
                0x0c => "\\f",
                0..=0x1f => "",
                _ => {
                    i += 1;
                    continue;
                }
            };
            // Escapes sit at ASCII bytes: `start..i` is on char boundaries.
            out.push_str(&s[start..i]);
            if escape.is_empty() {
                let _ = write!(out, "\\u{b:04x}");
            } else {
                out.push_str(escape);
            }
            i += 1;
            start = i;
        }
    }
    out.push_str(&s[start..]);
    out.push('"');
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
            Ok(done) => Ok(SyncReply::new(&fields, &done).to_body()),
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

    /// The eight-byte escaper writes what serde_json writes, for every
    /// character class at every offset of a word.
    #[test]
    fn json_strings_match_serde_json() {
        let mut cases: Vec<String> = vec![
            String::new(),
            "plain ascii text, longer than eight bytes".into(),
            "{\n  \"paymentId\": \"pay-1\",\n\t\"x\": \"a\\\\b\"\r\n}".into(),
            "é ü 漢字 🎉 \u{7f} \u{80} \u{ff}".into(),
            (0u8..0x20).map(char::from).collect(),
        ];
        for offset in 0..9 {
            for special in ['"', '\\', '\n', '\u{1}', '\u{1f}', 'é', ' ', '\u{7f}'] {
                let mut t = "a".repeat(offset);
                t.push(special);
                t.push_str("bcdefghijklmnop");
                cases.push(t);
            }
        }
        for case in cases {
            let mut out = String::new();
            push_json_string(&mut out, &case);
            assert_eq!(out, serde_json::to_string(&case).expect("json"), "{case:?}");
        }
    }

    /// The hand-written StartSyncExecution body is serde_json's.
    #[test]
    fn the_sync_body_is_what_serde_writes() {
        let reply = |input: Option<&'static str>,
                     output: Option<String>,
                     error: Option<&'static str>| SyncReply {
            execution_arn: "arn:aws:states:us-east-1:1:express:m:n:i",
            state_machine_arn: "arn:aws:states:us-east-1:1:stateMachine:m",
            name: "n\"q",
            start_date: 1_796_389_329.134,
            stop_date: 1.0,
            status: "SUCCEEDED",
            input_details: Included {
                included: input.is_some(),
            },
            billing_details: Billing {
                billed_memory_used_in_mb: 64,
                billed_duration_in_milliseconds: 100,
            },
            input,
            output_details: output.as_ref().map(|_| Included { included: true }),
            output,
            error,
            cause: error.map(|_| "a \"cause\"\n"),
            trace_header: error.map(|_| "Root=1-x"),
        };
        for r in [
            reply(
                Some("{\n \"a\": 1\n}"),
                Some("{\"a\":1,\"s\":\"x\\\"y\"}".into()),
                None,
            ),
            reply(None, None, None),
            reply(Some("{}"), None, Some("States.TaskFailed")),
        ] {
            assert_eq!(r.to_body(), serde_json::to_string(&r).expect("json"));
        }
    }
}
