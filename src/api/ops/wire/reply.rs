//! The start operations' response bodies, written once into one buffer: the
//! reply's members by hand, in serde_json's order and form; the output's
//! JSON text written straight as the contents of its JSON string
//! ([`crate::json::write::text_as_string`]); the input echoed as the client
//! wrote it when that is how serde_json writes it. The `Serialize` impls
//! stay for the generic path's JSON tree ([`super::super::executions`]),
//! and the tests hold the body to them byte for byte.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Serialize, Serializer};

use crate::api::epoch_seconds;
use crate::api::ops::executions::{billed_ms, StartFields, BILLED_MEMORY_MB};
use crate::json::{self, write, Value};
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

/// An instant on the wire: epoch seconds with milliseconds, a JSON number
/// ([`epoch_seconds`]).
#[derive(Clone, Copy)]
struct Date(SystemTime);

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(epoch_seconds(self.0))
    }
}

impl Date {
    /// Appends the text serde_json writes for [`epoch_seconds`] of the
    /// instant (ryu's shortest digits of `millis as f64 / 1000.0`), from
    /// the integers: the seconds, `.`, then the milliseconds without their
    /// trailing zeros (`.0` for none): `1796420602.077`, `1796420602.07`,
    /// `1796420602.0`, `0.001`.
    ///
    /// The same text: below 2^35 seconds (the year 3058) a double's spacing
    /// is under 2^-17, so the double nearest `s.mmm` lies within 2^-18 of
    /// it, and no decimal with fewer digits (at least 0.001 away) nor
    /// another with as many rounds to it: the shortest digits that do are
    /// those of `s.mmm`, and ryu writes a number below 10^16 and at least
    /// 10^-5 without an exponent. Later instants take ryu itself.
    fn write(self, out: &mut String) {
        let (seconds, millis) = match self.0.duration_since(UNIX_EPOCH) {
            Ok(d) => (d.as_secs(), d.subsec_millis()),
            Err(_) => (0, 0),
        };
        if seconds >= 1 << 35 {
            write::float(out, epoch_seconds(self.0));
            return;
        }
        out.push_str(itoa::Buffer::new().format(seconds));
        out.push('.');
        let digits = [millis / 100, millis / 10 % 10, millis % 10];
        let shown = match millis {
            0 => 1,
            _ if millis % 100 == 0 => 1,
            _ if millis % 10 == 0 => 2,
            _ => 3,
        };
        for d in &digits[..shown] {
            out.push(char::from(b'0' + (*d as u8)));
        }
    }
}

/// The execution's output on the wire: a JSON string holding its JSON text.
struct OutputText<'a>(&'a Value);

impl Serialize for OutputText<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&json::to_string(self.0))
    }
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
    start_date: Date,
    stop_date: Date,
    status: &'static str,
    input_details: Included,
    billing_details: Billing,
}

/// The members of [`SyncReply`] after `input`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SyncTail<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    output: Option<OutputText<'a>>,
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
                start_date: Date(options.start_time),
                stop_date: Date(outcome.stop_time),
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
                    .map(OutputText),
                output_details: outcome.output.as_ref().map(|_| Included {
                    included: with_data,
                }),
                error: outcome.error.as_deref(),
                cause: outcome.cause.as_deref(),
                trace_header: fields.trace_header,
            },
        }
    }

    /// The response body: what `serde_json::to_string` writes for this
    /// reply, with the input written as `escaped` (its characters between
    /// the quotes, escaped as serde_json escapes them) when given, instead
    /// of escaped again.
    ///
    /// Written into one `String` sized once for the usual reply (the head,
    /// the input, and an output about as long as the input escaped twice):
    /// every piece is a `&str` or ASCII, so no UTF-8 check is needed.
    pub(super) fn body(&self, escaped: Option<&str>) -> String {
        let (head, tail) = (&self.head, &self.tail);
        let input = escaped.or(self.input).map_or(0, str::len);
        let texts = [head.execution_arn, head.state_machine_arn, head.name]
            .iter()
            .chain(&[tail.error, tail.cause, tail.trace_header].map(Option::unwrap_or_default))
            .map(|t| t.len())
            .sum::<usize>();
        let mut out = String::with_capacity(512 + texts + 3 * input);
        out.push_str("{\"executionArn\":");
        write::string(&mut out, head.execution_arn);
        out.push_str(",\"stateMachineArn\":");
        write::string(&mut out, head.state_machine_arn);
        out.push_str(",\"name\":");
        write::string(&mut out, head.name);
        out.push_str(",\"startDate\":");
        head.start_date.write(&mut out);
        out.push_str(",\"stopDate\":");
        head.stop_date.write(&mut out);
        out.push_str(",\"status\":");
        write::string(&mut out, head.status);
        out.push_str(",\"inputDetails\":");
        included(&mut out, head.input_details.included);
        out.push_str(",\"billingDetails\":{\"billedMemoryUsedInMB\":");
        let billing = &head.billing_details;
        out.push_str(itoa::Buffer::new().format(billing.billed_memory_used_in_mb));
        out.push_str(",\"billedDurationInMilliseconds\":");
        out.push_str(itoa::Buffer::new().format(billing.billed_duration_in_milliseconds));
        out.push('}');
        if let Some(input) = self.input {
            out.push_str(",\"input\":");
            match escaped {
                Some(escaped) => {
                    out.push('"');
                    out.push_str(escaped);
                    out.push('"');
                }
                None => write::string(&mut out, input),
            }
        }
        if let Some(OutputText(output)) = tail.output {
            out.push_str(",\"output\":");
            write::text_as_string(&mut out, output);
        }
        if let Some(details) = &tail.output_details {
            out.push_str(",\"outputDetails\":");
            included(&mut out, details.included);
        }
        for (name, text) in [
            (",\"error\":", tail.error),
            (",\"cause\":", tail.cause),
            (",\"traceHeader\":", tail.trace_header),
        ] {
            if let Some(text) = text {
                out.push_str(name);
                write::string(&mut out, text);
            }
        }
        out.push('}');
        out
    }
}

/// Appends `{"included":true}` or `{"included":false}`.
fn included(out: &mut String, included: bool) {
    out.push_str(if included {
        "{\"included\":true}"
    } else {
        "{\"included\":false}"
    });
}

/// The StartExecution response: `{"executionArn", "startDate"}`, as the
/// generic path's `executions::start` writes it.
pub(super) struct StartReply<'a> {
    pub(super) execution_arn: &'a str,
    pub(super) start_date: SystemTime,
}

impl StartReply<'_> {
    /// The response body: what serde_json writes for the reply's members.
    pub(super) fn body(&self) -> String {
        let mut out = String::with_capacity(64 + self.execution_arn.len());
        out.push_str("{\"executionArn\":");
        write::string(&mut out, self.execution_arn);
        out.push_str(",\"startDate\":");
        Date(self.start_date).write(&mut out);
        out.push('}');
        out
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use proptest::prelude::*;

    use super::*;
    use crate::json::write::tests::{text, value};

    fn at(millis: u64) -> Date {
        Date(UNIX_EPOCH + Duration::from_millis(millis))
    }

    fn reply<'a>(
        input: Option<&'a str>,
        output: Option<&'a Value>,
        error: Option<&'a str>,
    ) -> SyncReply<'a> {
        SyncReply {
            head: SyncHead {
                execution_arn: "arn:e",
                state_machine_arn: "arn:m",
                name: "n",
                start_date: at(1_500),
                stop_date: at(2_000),
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
                output: output.map(OutputText),
                output_details: output.map(|_| Included { included: true }),
                error,
                cause: error,
                trace_header: None,
            },
        }
    }

    /// The body, with the input as given or escaped again, is serde_json's
    /// serialisation of the whole reply, byte for byte.
    fn assert_is_serialisation(r: &SyncReply<'_>) {
        let whole = serde_json::to_string(r).expect("json");
        assert_eq!(r.body(None), whole);
        if let Some(input) = r.input {
            let escaped = serde_json::to_string(input).expect("json");
            assert_eq!(r.body(Some(&escaped[1..escaped.len() - 1])), whole);
        }
    }

    #[test]
    fn the_body_is_the_replys_serialisation() {
        let text = "{\n \"a\": \"\\\u{1}\u{7f}é\"}";
        let quoted = json::parse(r#"{"b":"\"q\""}"#).expect("json");
        let escapes = json::parse(r#"{"c":"a\\b\u0001\n","d":[1,-2,2.5,-0.0,{}]}"#).expect("json");
        let string = Value::from(text);
        for r in [
            reply(Some(text), Some(&quoted), None),
            reply(Some(text), Some(&string), Some("E")),
            reply(None, Some(&escapes), None),
            reply(Some(text), None, Some("E")),
            reply(Some(""), None, None),
            reply(None, None, None),
            reply(None, None, Some("E")),
        ] {
            assert_is_serialisation(&r);
        }
    }

    /// StartExecution's body is the generic path's JSON, byte for byte.
    #[test]
    fn the_start_body_is_the_generic_paths() {
        for (arn, millis) in [("arn:e", 1_796_420_602_070), ("a\"\\\u{1}é", 0)] {
            let reply = StartReply {
                execution_arn: arn,
                start_date: at(millis).0,
            };
            let generic = serde_json::json!({
                "executionArn": arn,
                "startDate": epoch_seconds(reply.start_date),
            });
            assert_eq!(reply.body(), generic.to_string());
        }
    }

    /// The dates' integer writer writes ryu's text for `epoch_seconds`.
    #[test]
    fn dates_are_written_as_serde_json_writes_epoch_seconds() {
        let far = (1u64 << 35) * 1000;
        for millis in [
            0,
            1,
            10,
            100,
            999,
            1_000,
            1_001,
            1_010,
            1_100,
            1_500,
            99_999,
            100_000,
            1_796_420_602_077,
            1_796_420_602_070,
            1_796_420_602_700,
            1_796_420_602_000,
            1_796_420_602_001,
            far - 1,
            far,
            far + 1,
            far + 7,
            far * 8 + 123,
            1 << 62,
        ] {
            let date = at(millis);
            let mut out = String::new();
            date.write(&mut out);
            let serde = serde_json::to_string(&epoch_seconds(date.0)).expect("json");
            assert_eq!(out, serde, "{millis}");
        }
        let mut out = String::new();
        Date(UNIX_EPOCH - Duration::from_secs(1)).write(&mut out);
        assert_eq!(out, "0.0");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        #[test]
        fn any_date_is_written_as_serde_json_writes_it(millis in prop_oneof![
            0u64..(1 << 35) * 1000,
            1_700_000_000_000u64..1_900_000_000_000,
            any::<u64>().prop_map(|m| m >> 2),
        ]) {
            let date = at(millis);
            let mut out = String::new();
            date.write(&mut out);
            prop_assert_eq!(out, serde_json::to_string(&epoch_seconds(date.0)).expect("json"));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any reply: names, ARNs and messages with any characters, any
        /// output document, any dates.
        #[test]
        fn any_body_is_the_replys_serialisation(
            strings in prop::collection::vec(text(), 6),
            input in prop::option::of(text()),
            output in prop::option::of(value()),
            error in any::<bool>(),
            trace in any::<bool>(),
            dates in (0u64..1 << 45, 0u64..1 << 45),
            billed in any::<u64>(),
        ) {
            let r = SyncReply {
                head: SyncHead {
                    execution_arn: &strings[0],
                    state_machine_arn: &strings[1],
                    name: &strings[2],
                    start_date: at(dates.0),
                    stop_date: at(dates.1),
                    status: "FAILED",
                    input_details: Included { included: input.is_some() },
                    billing_details: Billing {
                        billed_memory_used_in_mb: 64,
                        billed_duration_in_milliseconds: billed,
                    },
                },
                input: input.as_deref(),
                tail: SyncTail {
                    output: output.as_ref().map(OutputText),
                    output_details: output.as_ref().map(|_| Included { included: error }),
                    error: error.then_some(&*strings[3]),
                    cause: error.then_some(&*strings[4]),
                    trace_header: trace.then_some(&*strings[5]),
                },
            };
            assert_is_serialisation(&r);
        }
    }
}
