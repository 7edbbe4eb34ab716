//! The Context Object (`$$`): Execution, StateMachine, State, Map.Item.
//!
//! Source: AWS guide `input-output-contextobject.html`; reference §3
//! "Context object". `Execution.RedriveCount` is shown when the execution
//! options carry one (StartExecution, EXPRESS or STANDARD), as AWS records
//! it; StartSyncExecution's context has none.

use std::time::SystemTime;

use chrono::{DateTime, SecondsFormat, Utc};
use simd_json::{OwnedValue, StaticNode};

use super::ExecutionOptions;
use crate::json::{Object, Value};

/// Formats a time as the Context Object does: ISO-8601, milliseconds, `Z`.
pub(crate) fn iso_millis(t: SystemTime) -> String {
    DateTime::<Utc>::from(t).to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn obj(entries: Vec<(&str, Value)>) -> Value {
    let mut o = Object::with_capacity(entries.len());
    for (k, v) in entries {
        o.insert(k.to_owned(), v);
    }
    OwnedValue::Object(Box::new(o))
}

fn s(v: &str) -> Value {
    OwnedValue::String(v.to_owned())
}

/// The parts of the Context Object fixed for the whole execution.
pub(crate) fn base(options: &ExecutionOptions, input: &Value) -> Value {
    let mut execution = vec![
        ("Id", s(&options.execution_arn)),
        ("Input", input.clone()),
        ("Name", s(&options.name)),
        ("RoleArn", s(&options.role_arn)),
        ("StartTime", s(&iso_millis(options.start_time))),
    ];
    if let Some(n) = options.redrive_count {
        execution.push((
            "RedriveCount",
            OwnedValue::Static(StaticNode::U64(n.into())),
        ));
    }
    obj(vec![
        ("Execution", obj(execution)),
        (
            "StateMachine",
            obj(vec![
                ("Id", s(&options.state_machine_arn)),
                ("Name", s(&options.state_machine_name)),
            ]),
        ),
    ])
}

/// Sets `State.{EnteredTime, Name[, RetryCount]}` on a context. AWS shows
/// `RetryCount` only on states that can retry (Task, Parallel, Map).
pub(crate) fn enter_state(
    ctx: &mut Value,
    name: &str,
    entered: SystemTime,
    retry_count: Option<u32>,
) {
    if let OwnedValue::Object(o) = ctx {
        let mut fields = vec![("EnteredTime", s(&iso_millis(entered))), ("Name", s(name))];
        if let Some(n) = retry_count {
            fields.push(("RetryCount", OwnedValue::Static(StaticNode::U64(n as u64))));
        }
        o.insert("State".to_owned(), obj(fields));
    }
}

/// Sets `Task.Token` on a context (callback Tasks only).
pub(crate) fn task_token(ctx: &mut Value, token: &str) {
    if let OwnedValue::Object(o) = ctx {
        o.insert("Task".to_owned(), obj(vec![("Token", s(token))]));
    }
}

/// Sets `Map.Item.{Index, Value}` on a context.
pub(crate) fn map_item(ctx: &mut Value, index: usize, value: &Value) {
    if let OwnedValue::Object(o) = ctx {
        o.insert(
            "Map".to_owned(),
            obj(vec![(
                "Item",
                obj(vec![
                    ("Index", OwnedValue::Static(StaticNode::U64(index as u64))),
                    ("Value", value.clone()),
                ]),
            )]),
        );
    }
}
