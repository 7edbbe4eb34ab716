//! Execution log lines in the shape of Step Functions' CloudWatch Logs
//! events: one JSON object per history event with `id`, `type`, `details`,
//! `previous_event_id`, `event_timestamp` (milliseconds since the epoch),
//! `execution_arn` and `redrive_count`, all but `details` as strings.
//!
//! `details` holds the event's details with their keys in alphabetical
//! order, as AWS writes them; inputs and outputs (JSON text, as escaped
//! strings) only when `includeExecutionData` is true, each with
//! `{input,output}Details.truncated` (true when the escaped text was cut at
//! 248 KiB).
//!
//! Source: AWS guide `cw-logs.html` (log format, payload truncation),
//! `cloudwatch-log-level.html` (levels); events recorded on AWS.

use std::fmt::Write as _;
use std::time::SystemTime;

use crate::engine::observe::Event;
use crate::json::Value;

/// Longest escaped input or output kept in a log line, in bytes.
pub const MAX_DATA_BYTES: usize = 248 * 1024;

/// The fixed parts of every line of one execution.
#[derive(Debug, Clone)]
pub struct LineContext<'a> {
    /// The execution ARN.
    pub execution_arn: &'a str,
    /// The role ARN (ExecutionStarted).
    pub role_arn: &'a str,
    /// The region (TaskScheduled).
    pub region: &'a str,
    /// Whether inputs and outputs are logged.
    pub include_data: bool,
}

/// The history event type of an event (`None` for non-history events).
pub fn event_type(event: &Event<'_>, out: &mut String) -> bool {
    let name = match event {
        Event::ExecutionStarted { .. } => "ExecutionStarted",
        Event::ExecutionSucceeded { .. } => "ExecutionSucceeded",
        Event::ExecutionFailed { .. } => "ExecutionFailed",
        Event::ExecutionTimedOut { .. } => "ExecutionTimedOut",
        Event::ExecutionAborted => "ExecutionAborted",
        Event::StateEntered { state, .. } => {
            out.push_str(state.type_name);
            "StateEntered"
        }
        Event::StateExited { state, .. } => {
            out.push_str(state.type_name);
            "StateExited"
        }
        Event::StateFailed { .. } => return false,
        Event::TaskScheduled { .. } => "TaskScheduled",
        Event::TaskStarted { .. } => "TaskStarted",
        Event::TaskSucceeded { .. } => "TaskSucceeded",
        Event::TaskFailed { .. } => "TaskFailed",
        Event::TaskTimedOut { .. } => "TaskTimedOut",
        Event::ParallelStarted { .. } => "ParallelStateStarted",
        Event::ParallelSucceeded { .. } => "ParallelStateSucceeded",
        Event::ParallelFailed { .. } => "ParallelStateFailed",
        Event::MapStarted { .. } => "MapStateStarted",
        Event::MapIterationStarted { .. } => "MapIterationStarted",
        Event::MapSucceeded { .. } => "MapStateSucceeded",
        Event::MapFailed { .. } => "MapStateFailed",
    };
    out.push_str(name);
    true
}

/// Appends `s` as a JSON string.
pub fn push_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Builds `details` one key at a time, in the order given (alphabetical).
struct Details<'o> {
    out: &'o mut String,
    first: bool,
}

impl Details<'_> {
    fn key(&mut self, k: &str) -> &mut String {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        push_str(self.out, k);
        self.out.push(':');
        self.out
    }

    fn str(&mut self, k: &str, v: &str) {
        let out = self.key(k);
        push_str(out, v);
    }

    /// `k` as the JSON text of `v` (an escaped string) and `<k>Details`.
    fn data(&mut self, k: &str, v: &Value) {
        let text = crate::json::to_string(v);
        let out = self.key(k);
        let start = out.len();
        push_str(out, &text);
        let truncated = out.len() - start > MAX_DATA_BYTES;
        if truncated {
            let mut end = start + MAX_DATA_BYTES - 1;
            // Cut on a character boundary and outside an escape sequence.
            while !out.is_char_boundary(end)
                || out[start..end]
                    .bytes()
                    .rev()
                    .take_while(|&b| b == b'\\')
                    .count()
                    % 2
                    == 1
            {
                end -= 1;
            }
            out.truncate(end);
            out.push('"');
        }
        let _ = write!(
            self.key(&format!("{k}Details")),
            "{{\"truncated\":{truncated}}}"
        );
    }
}

/// Appends one log line (ending in `\n`) for event `id` to `out`; returns
/// false (and appends nothing) for a non-history event.
pub fn write_line(
    out: &mut String,
    ctx: &LineContext<'_>,
    id: u32,
    previous: u32,
    event: &Event<'_>,
    at: SystemTime,
) -> bool {
    let mark = out.len();
    let _ = write!(out, "{{\"id\":\"{id}\",\"type\":\"");
    if !event_type(event, out) {
        out.truncate(mark);
        return false;
    }
    out.push_str("\",\"details\":{");
    let mut d = Details { out, first: true };
    let data = ctx.include_data;
    match *event {
        Event::ExecutionStarted { input } => {
            if data {
                d.data("input", input);
            }
            d.str("roleArn", ctx.role_arn);
        }
        Event::ExecutionSucceeded { output } => {
            if data {
                d.data("output", output);
            }
        }
        Event::ExecutionFailed { error, cause } | Event::ExecutionTimedOut { error, cause } => {
            error_cause(&mut d, error, cause)
        }
        Event::ExecutionAborted => {}
        Event::StateEntered { state, input } => {
            if data {
                d.data("input", input);
            }
            d.str("name", state.name);
        }
        Event::StateExited { state, output, .. } => {
            d.str("name", state.name);
            if data {
                d.data("output", output);
            }
        }
        Event::StateFailed { .. } => {}
        Event::TaskScheduled {
            resource,
            parameters,
            timeout,
            ..
        } => {
            if data {
                let text = crate::json::to_string(parameters);
                d.str("parameters", &text);
            }
            d.str("region", ctx.region);
            resource_fields(&mut d, resource);
            if let Some(t) = timeout {
                let _ = write!(d.key("timeoutInSeconds"), "{}", t.as_secs());
            }
        }
        Event::TaskStarted { resource, .. } => resource_fields(&mut d, resource),
        Event::TaskSucceeded {
            resource, output, ..
        } => {
            if data {
                d.data("output", output);
            }
            resource_fields(&mut d, resource);
        }
        Event::TaskFailed {
            resource,
            error,
            cause,
            ..
        }
        | Event::TaskTimedOut {
            resource,
            error,
            cause,
            ..
        } => {
            if !cause.is_empty() {
                d.str("cause", cause);
            }
            if !error.is_empty() {
                d.str("error", error);
            }
            resource_fields(&mut d, resource);
        }
        Event::MapStarted { length, .. } => {
            let _ = write!(d.key("length"), "{length}");
        }
        Event::MapIterationStarted { state, index } => {
            let _ = write!(d.key("index"), "{index}");
            d.str("name", state.name);
        }
        Event::ParallelStarted { .. }
        | Event::ParallelSucceeded { .. }
        | Event::ParallelFailed { .. }
        | Event::MapSucceeded { .. }
        | Event::MapFailed { .. } => {}
    }
    let millis = at
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let _ = write!(
        out,
        "}},\"previous_event_id\":\"{previous}\",\"event_timestamp\":\"{millis}\",\"execution_arn\":"
    );
    push_str(out, ctx.execution_arn);
    out.push_str(",\"redrive_count\":\"0\"}\n");
    true
}

fn error_cause(d: &mut Details<'_>, error: &str, cause: &str) {
    if !cause.is_empty() {
        d.str("cause", cause);
    }
    if !error.is_empty() {
        d.str("error", error);
    }
}

/// `resource` and `resourceType` of a Task's Resource: for an optimised
/// integration `arn:aws:states:::SERVICE:ACTION` they are ACTION and
/// SERVICE (as AWS logs them); for another ARN the whole ARN and its service
/// (`lambda` for a function ARN); anything else (a local handler name) is
/// its own resource with type `handler`.
fn resource_fields(d: &mut Details<'_>, resource: &str) {
    let (name, kind) = split_resource(resource);
    d.str("resource", name);
    d.str("resourceType", kind);
}

/// See [`resource_fields`].
pub fn split_resource(resource: &str) -> (&str, &str) {
    if let Some(rest) = resource.strip_prefix("arn:aws:states:::") {
        if let Some((service, action)) = rest.split_once(':') {
            return (action, service);
        }
    }
    let mut parts = resource.splitn(4, ':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("arn"), Some(_), Some(service)) if !service.is_empty() => (resource, service),
        _ => (resource, "handler"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::observe::StateRef;

    fn ctx(include_data: bool) -> LineContext<'static> {
        LineContext {
            execution_arn: "arn:aws:states:us-east-1:1:express:M:e:1",
            role_arn: "arn:aws:iam::1:role/r",
            region: "us-east-1",
            include_data,
        }
    }

    fn line(include_data: bool, id: u32, prev: u32, e: &Event<'_>) -> serde_json::Value {
        let mut out = String::new();
        assert!(write_line(
            &mut out,
            &ctx(include_data),
            id,
            prev,
            e,
            SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(1_592_244_145_271)
        ));
        assert!(out.ends_with('\n') && out.matches('\n').count() == 1);
        serde_json::from_str(&out).expect("valid JSON")
    }

    #[test]
    fn lines_have_aws_fields_as_strings() {
        let input = crate::json::parse(r#"{"a":"x\"y"}"#).expect("json");
        let v = line(true, 1, 0, &Event::ExecutionStarted { input: &input });
        assert_eq!(
            v,
            serde_json::json!({
                "id": "1", "type": "ExecutionStarted",
                "details": {"input": "{\"a\":\"x\\\"y\"}", "inputDetails": {"truncated": false},
                            "roleArn": "arn:aws:iam::1:role/r"},
                "previous_event_id": "0", "event_timestamp": "1592244145271",
                "execution_arn": "arn:aws:states:us-east-1:1:express:M:e:1", "redrive_count": "0"
            })
        );
        let v = line(false, 1, 0, &Event::ExecutionStarted { input: &input });
        assert_eq!(
            v["details"],
            serde_json::json!({"roleArn": "arn:aws:iam::1:role/r"})
        );
        let state = StateRef {
            index: 0,
            name: "P",
            type_name: "Pass",
        };
        let v = line(
            false,
            3,
            2,
            &Event::StateExited {
                state,
                output: &input,
                duration: std::time::Duration::ZERO,
            },
        );
        assert_eq!(v["type"], "PassStateExited");
        assert_eq!(v["details"], serde_json::json!({"name": "P"}));
        let v = line(
            true,
            4,
            3,
            &Event::ExecutionFailed {
                error: "E",
                cause: "C",
            },
        );
        assert_eq!(
            v["details"],
            serde_json::json!({"cause": "C", "error": "E"})
        );
    }

    #[test]
    fn long_data_is_truncated_and_stays_valid() {
        let big = Value::String("\"".repeat(MAX_DATA_BYTES));
        let v = line(true, 1, 0, &Event::ExecutionStarted { input: &big });
        assert_eq!(v["details"]["inputDetails"]["truncated"], true);
        let text = v["details"]["input"].as_str().unwrap_or_default();
        assert!(text.len() < MAX_DATA_BYTES && text.len() > MAX_DATA_BYTES / 3);
    }

    #[test]
    fn resources_split_as_aws_logs_them() {
        assert_eq!(
            split_resource("arn:aws:states:::lambda:invoke"),
            ("invoke", "lambda")
        );
        assert_eq!(
            split_resource("arn:aws:lambda:us-east-1:1:function:f"),
            ("arn:aws:lambda:us-east-1:1:function:f", "lambda")
        );
        assert_eq!(split_resource("authorize"), ("authorize", "handler"));
        assert!(!write_line(
            &mut String::new(),
            &ctx(true),
            0,
            0,
            &Event::StateFailed {
                state: StateRef {
                    index: 0,
                    name: "x",
                    type_name: "Task"
                },
                error: "",
                cause: "",
                caught: false,
                duration: std::time::Duration::ZERO
            },
            SystemTime::now()
        ));
    }
}
