//! One execution as the console shows it: its recorded history events, the
//! path it took through the graph (per state: outcome, input, output,
//! error, cause, timing) and the Task Tokens it waits on.
//!
//! A state's outcome: `succeeded` (exited), `caught` (failed, and a Catcher
//! took the error), `failed` (failed, not caught), `running` (entered, not
//! yet left). A state entered several times (a loop, Map iterations) shows
//! its last visit's data, its number of visits, and the worst outcome
//! (failed, then running, then caught, then succeeded).
//!
//! A Task Token is shown while a `.waitForTaskToken` Task has scheduled its
//! attempt and no result came back: it is the 64-hex-digit string of that
//! attempt's parameters (where `$$.Task.Token` put it; the shape of the
//! tokens [`crate::engine::tokens`] issues).

use std::collections::{HashMap, HashSet};

use serde_json::{json, Map, Value as Json};

use super::history::{Recorded, TraceSnapshot};

/// Length of a Task Token this runtime issues (two UUIDs in hex).
const TOKEN_HEX_DIGITS: usize = 64;

#[derive(Debug, Default)]
struct Visit {
    entered_us: Option<u64>,
    exited_us: Option<u64>,
    input: Option<Json>,
    output: Option<Json>,
    error: Option<String>,
    cause: Option<String>,
    outcome: &'static str,
    /// Task Tokens of a scheduled attempt that has no result yet.
    tokens: Vec<String>,
}

#[derive(Debug, Default)]
struct StateView {
    kind: String,
    visits: Vec<Visit>,
    /// Task attempts that failed (error names), retried or not.
    attempt_errors: Vec<String>,
}

impl StateView {
    fn open(&mut self) -> Option<&mut Visit> {
        self.visits
            .iter_mut()
            .rev()
            .find(|v| v.outcome == "running")
    }
}

fn rank(outcome: &str) -> u8 {
    match outcome {
        "failed" => 3,
        "running" => 2,
        "caught" => 1,
        _ => 0,
    }
}

/// The `details` JSON payload text of a log line field (`"input"`,
/// `"output"`, `"parameters"`) as JSON, or the text itself when it was cut.
fn payload(details: &Json, key: &str) -> Option<Json> {
    let text = details.get(key)?.as_str()?;
    Some(serde_json::from_str(text).unwrap_or_else(|_| Json::String(text.to_owned())))
}

/// Every 64-hex-digit string in `value`.
fn tokens_in(value: &Json, out: &mut Vec<String>) {
    match value {
        Json::String(s)
            if s.len() == TOKEN_HEX_DIGITS && s.bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            out.push(s.clone());
        }
        Json::Array(a) => a.iter().for_each(|v| tokens_in(v, out)),
        Json::Object(o) => o.values().for_each(|v| tokens_in(v, out)),
        _ => {}
    }
}

/// The states of `definition` whose Resource waits for a Task Token.
pub(crate) fn token_states(definition: &str) -> HashSet<String> {
    fn walk(scope: &Json, out: &mut HashSet<String>) {
        let Some(states) = scope.get("States").and_then(Json::as_object) else {
            return;
        };
        for (name, st) in states {
            let resource = st.get("Resource").and_then(Json::as_str).unwrap_or("");
            if resource.ends_with(".waitForTaskToken") {
                out.insert(name.clone());
            }
            for branch in st
                .get("Branches")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
            {
                walk(branch, out);
            }
            for key in ["ItemProcessor", "Iterator"] {
                if let Some(p) = st.get(key) {
                    walk(p, out);
                }
            }
        }
    }
    let mut out = HashSet::new();
    if let Ok(def) = serde_json::from_str::<Json>(definition) {
        walk(&def, &mut out);
    }
    out
}

/// The events, the path and the waiting Task Tokens of one execution.
/// `start_us` is its start (µs since the epoch); `running` whether it still
/// runs (a Task Token is only shown then); `waits` the states whose
/// Resource waits for a token ([`token_states`]).
pub(crate) fn view(
    trace: &TraceSnapshot,
    start_us: u64,
    running: bool,
    waits: &HashSet<String>,
) -> Json {
    let mut events = Vec::with_capacity(trace.events.len());
    let mut order: Vec<String> = Vec::new();
    let mut states: HashMap<String, StateView> = HashMap::new();
    let rel = |us: u64| us.saturating_sub(start_us);
    for recorded in &trace.events {
        match recorded {
            Recorded::History { line, state, at_us } => {
                let Ok(mut event) = serde_json::from_str::<Json>(line) else {
                    continue;
                };
                let kind = event["type"].as_str().unwrap_or_default().to_owned();
                let at = *at_us;
                if let (Some(name), Some(obj)) = (state, event.as_object_mut()) {
                    obj.insert("state".into(), Json::String(name.to_string()));
                }
                let details = event["details"].clone();
                events.push(event);
                let Some(name) = state.as_deref() else {
                    continue;
                };
                if !states.contains_key(name) {
                    order.push(name.to_owned());
                }
                let sv = states.entry(name.to_owned()).or_default();
                if let Some(t) = kind.strip_suffix("StateEntered") {
                    sv.kind = t.to_owned();
                    sv.visits.push(Visit {
                        entered_us: Some(rel(at)),
                        input: payload(&details, "input"),
                        outcome: "running",
                        ..Visit::default()
                    });
                } else if kind.ends_with("StateExited") {
                    if let Some(v) = sv.open() {
                        v.exited_us = Some(rel(at));
                        v.output = payload(&details, "output");
                        v.outcome = if v.error.is_some() {
                            "caught"
                        } else {
                            "succeeded"
                        };
                        v.tokens.clear();
                    }
                } else if kind == "TaskScheduled" && waits.contains(name) {
                    if let Some(v) = sv.open() {
                        v.tokens.clear();
                        if let Some(p) = payload(&details, "parameters") {
                            tokens_in(&p, &mut v.tokens);
                        }
                    }
                } else if matches!(
                    kind.as_str(),
                    "TaskSucceeded" | "TaskFailed" | "TaskTimedOut"
                ) {
                    if kind != "TaskSucceeded" {
                        let error = details["error"].as_str().unwrap_or_default();
                        sv.attempt_errors.push(error.to_owned());
                    }
                    if let Some(v) = sv.open() {
                        v.tokens.clear();
                    }
                }
            }
            Recorded::StateFailed {
                state,
                error,
                cause,
                caught,
                at_us,
            } => {
                events.push(json!({
                    "type": "StateFailed",
                    "state": state,
                    "details": {"error": error, "cause": cause, "caught": caught},
                    "event_timestamp": (at_us / 1000).to_string(),
                }));
                if !states.contains_key(state.as_str()) {
                    order.push(state.clone());
                }
                let sv = states.entry(state.clone()).or_default();
                if let Some(v) = sv.open() {
                    v.error = Some(error.clone());
                    v.cause = Some(cause.clone());
                    v.tokens.clear();
                    if !caught {
                        v.exited_us = Some(rel(*at_us));
                        v.outcome = "failed";
                    }
                }
            }
        }
    }
    let mut path = Vec::with_capacity(order.len());
    let mut tokens = Vec::new();
    for name in &order {
        let Some(sv) = states.get(name) else { continue };
        let Some(last) = sv.visits.last() else {
            continue;
        };
        let outcome = sv
            .visits
            .iter()
            .map(|v| v.outcome)
            .max_by_key(|o| rank(o))
            .unwrap_or("succeeded");
        // A still-running state of an execution that ended was cut short
        // (the execution failed, timed out or was stopped elsewhere).
        let outcome = if outcome == "running" && !running {
            "aborted"
        } else {
            outcome
        };
        let mut item = Map::new();
        item.insert("name".into(), json!(name));
        item.insert("type".into(), json!(sv.kind));
        item.insert("outcome".into(), json!(outcome));
        item.insert("visits".into(), json!(sv.visits.len()));
        let ms = |us: u64| us as f64 / 1000.0;
        item.insert("enteredMs".into(), json!(last.entered_us.map(ms)));
        item.insert("exitedMs".into(), json!(last.exited_us.map(ms)));
        item.insert(
            "durationMs".into(),
            json!(last
                .entered_us
                .zip(last.exited_us)
                .map(|(a, b)| ms(b.saturating_sub(a)))),
        );
        item.insert("input".into(), last.input.clone().unwrap_or(Json::Null));
        item.insert("output".into(), last.output.clone().unwrap_or(Json::Null));
        item.insert("error".into(), json!(last.error));
        item.insert("cause".into(), json!(last.cause));
        item.insert("attemptErrors".into(), json!(sv.attempt_errors));
        path.push(Json::Object(item));
        if running {
            for v in &sv.visits {
                for t in &v.tokens {
                    tokens.push(json!({"state": name, "taskToken": t}));
                }
            }
        }
    }
    json!({
        "events": events,
        "droppedEvents": trace.dropped,
        "path": path,
        "taskTokens": tokens,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(id: u32, kind: &str, details: Json, at: u64) -> String {
        json!({"id": id.to_string(), "type": kind, "details": details,
               "previous_event_id": "0", "event_timestamp": at.to_string()})
        .to_string()
    }

    fn history(id: u32, kind: &str, state: Option<&str>, details: Json, at: u64) -> Recorded {
        Recorded::History {
            line: line(id, kind, details, at),
            state: state.map(Box::from),
            at_us: at * 1000,
        }
    }

    #[test]
    fn the_path_has_outcomes_data_and_timing() {
        let token = "ab".repeat(32);
        let events = vec![
            history(1, "ExecutionStarted", None, json!({"input": "{}"}), 1000),
            history(
                2,
                "TaskStateEntered",
                Some("A"),
                json!({"name": "A", "input": "{\"x\":1}"}),
                1001,
            ),
            history(
                3,
                "TaskScheduled",
                Some("A"),
                json!({"parameters": "{}"}),
                1001,
            ),
            history(4, "TaskFailed", Some("A"), json!({"error": "Boom"}), 1002),
            Recorded::StateFailed {
                state: "A".into(),
                error: "Boom".into(),
                cause: "it broke".into(),
                caught: true,
                at_us: 1_002_000,
            },
            history(
                5,
                "TaskStateExited",
                Some("A"),
                json!({"name": "A", "output": "{\"y\":2}"}),
                1005,
            ),
            history(
                6,
                "TaskStateEntered",
                Some("W"),
                json!({"name": "W", "input": "{}"}),
                1006,
            ),
            history(
                7,
                "TaskScheduled",
                Some("W"),
                json!({"parameters": json!({"Body": {"taskToken": &token}}).to_string()}),
                1006,
            ),
        ];
        let trace = TraceSnapshot {
            events,
            dropped: 0,
            status: None,
        };
        let waits: HashSet<String> = ["W".to_owned()].into();
        let v = view(&trace, 1_000_000, true, &waits);
        let path = v["path"].as_array().expect("path");
        assert_eq!(path.len(), 2);
        assert_eq!(path[0]["name"], "A");
        assert_eq!(path[0]["outcome"], "caught");
        assert_eq!(path[0]["input"], json!({"x": 1}));
        assert_eq!(path[0]["output"], json!({"y": 2}));
        assert_eq!(path[0]["error"], "Boom");
        assert_eq!(path[0]["cause"], "it broke");
        assert_eq!(path[0]["enteredMs"], 1.0);
        assert_eq!(path[0]["durationMs"], 4.0);
        assert_eq!(path[0]["attemptErrors"], json!(["Boom"]));
        assert_eq!(path[1]["outcome"], "running");
        assert_eq!(v["taskTokens"], json!([{"state": "W", "taskToken": token}]));
        assert_eq!(v["events"].as_array().map(Vec::len), Some(8));
        assert_eq!(v["events"][2]["state"], "A");
        // Once the execution ended, no token is offered and W was cut short.
        let ended = view(&trace, 1_000_000, false, &waits);
        assert_eq!(ended["taskTokens"], json!([]));
        assert_eq!(ended["path"][1]["outcome"], "aborted");
        // A state that is not a callback Task never shows a token.
        let none = view(&trace, 1_000_000, true, &HashSet::new());
        assert_eq!(none["taskTokens"], json!([]));
    }

    #[test]
    fn an_uncaught_failure_fails_the_state() {
        let trace = TraceSnapshot {
            events: vec![
                history(2, "FailStateEntered", Some("F"), json!({"name": "F"}), 5),
                Recorded::StateFailed {
                    state: "F".into(),
                    error: "E".into(),
                    cause: "".into(),
                    caught: false,
                    at_us: 6_000,
                },
            ],
            dropped: 0,
            status: Some("FAILED"),
        };
        let v = view(&trace, 0, false, &HashSet::new());
        assert_eq!(v["path"][0]["outcome"], "failed");
        assert_eq!(v["path"][0]["durationMs"], 1.0);
    }

    #[test]
    fn callback_states_are_found_in_branches() {
        let def = r#"{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
            {"StartAt":"W","States":{"W":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","End":true}}}]}}}"#;
        assert_eq!(token_states(def), ["W".to_owned()].into());
        assert!(token_states("nonsense").is_empty());
    }
}
