//! The five local Task handlers of the anchor protocol
//! (`shared/anchors/README.md`, "Measuring expressway the same way",
//! step 3), registered by bare Lambda function name so that the plain
//! function ARNs of `payment.asl.json` resolve to them.
//!
//! This file is also compiled into the root crate's criterion benches
//! (`benches/payment.rs` includes it by `#[path]`), so it uses only the
//! `expressway` public API.

use std::time::Duration;

use expressway::json::{Object, Value};
use expressway::tasks::{handler, Tasks};
use expressway::ExecError;

/// The function names, in the order `--handler-latency-ms` assigns delays.
pub const FUNCTIONS: [&str; 5] = [
    "AuthorizePayment",
    "CapturePayment",
    "SendEmail",
    "SendWebhook",
    "SaveTransaction",
];

/// A field of an object value, if `v` is an object that has it.
fn field<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    match v {
        Value::Object(o) => expressway::json::member(o, key),
        _ => None,
    }
}

/// `prefix` + the string field `key` of `v` (empty when missing or not a
/// string).
fn prefixed(prefix: &str, v: &Value, key: &str) -> Value {
    let mut s = String::with_capacity(prefix.len() + 16);
    s.push_str(prefix);
    if let Some(Value::String(id)) = field(v, key) {
        s.push_str(id);
    }
    Value::String(s)
}

/// A copy of field `key` of `v`, `null` when missing.
fn copied(v: &Value, key: &str) -> Value {
    field(v, key).cloned().unwrap_or_else(|| Value::from(()))
}

/// Builds an object value from `key => value` pairs (distinct keys: the
/// protocol's fixed field names), each value made in place (no array of
/// pairs to move through a loop).
macro_rules! object {
    ($($k:literal => $v:expr),+ $(,)?) => {{
        let mut o = Object::with_capacity([$($k),+].len());
        $(o.insert_distinct($k.to_owned(), $v);)+
        Value::Object(Box::new(o))
    }};
}

/// What the handler called `name` returns for the Task input `i`, as the
/// protocol's table says, or `None` for an unknown name.
pub fn respond(name: &str, i: &Value) -> Option<Value> {
    Some(match name {
        "AuthorizePayment" => object! {
            "status" => Value::from("APPROVED"),
            "authCode" => prefixed("AUTH-", i, "paymentId"),
            "amount" => copied(i, "amount"),
        },
        "CapturePayment" => object! {
            "status" => Value::from("CAPTURED"),
            "captureId" => prefixed("CAP-", i, "paymentId"),
        },
        "SendEmail" => object! {
            "channel" => Value::from("email"),
            "sent" => Value::from(true),
            "to" => copied(i, "to"),
        },
        "SendWebhook" => object! {
            "channel" => Value::from("webhook"),
            "delivered" => Value::from(true),
            "merchantId" => copied(i, "merchantId"),
        },
        "SaveTransaction" => object! {
            "saved" => Value::from(true),
            "transactionId" => prefixed("TX-", i, "paymentId"),
        },
        _ => return None,
    })
}

/// A Task resolver with the five anchor handlers and nothing else (no mock
/// file, no Lambda: an unknown function fails the Task with
/// `States.TaskFailed`).
///
/// `latency` simulates remote work: handler `FUNCTIONS[k]` sleeps
/// `latency[k]` (the last entry repeats for the handlers past the end; an
/// empty slice means no sleep at all, the protocol's default).
pub fn anchor_tasks(latency: &[Duration]) -> Tasks {
    let mut tasks = Tasks::default();
    for (k, name) in FUNCTIONS.iter().enumerate() {
        let delay = latency.get(k).or(latency.last()).copied();
        let answer = move |input: &Value| {
            respond(name, input).ok_or_else(|| {
                ExecError::new("States.TaskFailed", format!("unknown function {name}"))
            })
        };
        // Without a delay the answer is made when the Task calls the
        // handler: its future holds only the answer, not a timer's state.
        let h = match delay.filter(|d| !d.is_zero()) {
            None => handler(move |input: expressway::tasks::TaskInput| {
                std::future::ready(answer(&input))
            }),
            Some(d) => handler(move |input: expressway::tasks::TaskInput| async move {
                tokio::time::sleep(d).await;
                answer(&input)
            }),
        };
        tasks.register_function(*name, h);
    }
    tasks
}
