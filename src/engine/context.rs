//! The Context Object (`$$`): Execution, StateMachine, State, Map.Item.
//!
//! Source: AWS guide `input-output-contextobject.html`; reference §3
//! "Context object". `Execution.RedriveCount` is shown when the execution
//! options carry one (StartExecution, EXPRESS or STANDARD), as AWS records
//! it; StartSyncExecution's context has none.

use std::sync::Arc;
use std::time::SystemTime;

use chrono::{DateTime, SecondsFormat, Utc};
use simd_json::{OwnedValue, StaticNode};

use super::ExecutionOptions;
use crate::json::{Context, Object, Value};

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

/// The Context Object of one graph instance (the top level, a Parallel
/// branch, a Map iteration): the members fixed for the whole execution,
/// shared by every instance (never copied per branch or item), and this
/// instance's own small members.
#[derive(Clone)]
pub(crate) struct ContextObject {
    /// `Execution` (with the execution input) and `StateMachine`.
    shared: Arc<Value>,
    /// `State`, `Map`, `Task`: an object.
    own: Value,
}

impl ContextObject {
    /// The Context Object of an execution, before its first state.
    pub(crate) fn new(options: &ExecutionOptions, input: &Value) -> Self {
        ContextObject {
            shared: Arc::new(base(options, input)),
            own: OwnedValue::Object(Box::default()),
        }
    }

    /// The object as expressions read it.
    pub(crate) fn view(&self) -> Context<'_> {
        Context {
            own: &self.own,
            shared: &self.shared,
        }
    }

    fn set(&mut self, key: &str, value: Value) {
        if let OwnedValue::Object(o) = &mut self.own {
            o.insert(key.to_owned(), value);
        }
    }
}

/// The parts of the Context Object fixed for the whole execution.
fn base(options: &ExecutionOptions, input: &Value) -> Value {
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
    ctx: &mut ContextObject,
    name: &str,
    entered: SystemTime,
    retry_count: Option<u32>,
) {
    let mut fields = vec![("EnteredTime", s(&iso_millis(entered))), ("Name", s(name))];
    if let Some(n) = retry_count {
        fields.push(("RetryCount", OwnedValue::Static(StaticNode::U64(n as u64))));
    }
    ctx.set("State", obj(fields));
}

/// Sets `Task.Token` on a context (callback Tasks only).
pub(crate) fn task_token(ctx: &mut ContextObject, token: &str) {
    ctx.set("Task", obj(vec![("Token", s(token))]));
}

/// Sets `Map.Item.{Index, Value}` on a context.
pub(crate) fn map_item(ctx: &mut ContextObject, index: usize, value: &Value) {
    ctx.set(
        "Map",
        obj(vec![(
            "Item",
            obj(vec![
                ("Index", OwnedValue::Static(StaticNode::U64(index as u64))),
                ("Value", value.clone()),
            ]),
        )]),
    );
}
