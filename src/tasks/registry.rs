//! Handlers registered by the embedding program: wrapping closures into
//! [`Handler`]s, finding the bare function name of a Lambda ARN, and calling a
//! handler so that a panic fails the Task instead of the process.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::BoxFuture;

use super::{Handler, TaskInput};
use crate::errors::{names, ExecError};
use crate::json::Value;

/// Handlers by name (a Resource ARN or a Lambda function name), hashed
/// with foldhash (hashbrown's own hash) and a fixed seed: looked up on every
/// Task call with a short key, where the default SipHash took more than the
/// rest of the lookup (foldhash reads eight bytes at a time; the FNV-1a used
/// before, one multiplication a byte, took a few instructions more per
/// call). The keys are the embedding program's registrations, not client
/// input, so a fixed seed exposes nothing.
pub(crate) type NameMap<V> = std::collections::HashMap<String, V, foldhash::fast::FixedState>;

/// Wraps an async closure into a [`Handler`].
///
/// The closure receives the Task's effective input and returns its result or
/// the [`ExecError`] that fails the Task (its `error` is what Retriers and
/// Catchers match).
pub fn handler<F, Fut>(f: F) -> Handler
where
    F: Fn(TaskInput) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Value, ExecError>> + Send + 'static,
{
    Arc::new(move |input| Box::pin(f(input)) as BoxFuture<'static, _>)
}

/// The bare function name of a plain Lambda function ARN,
/// `arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`, or `None`
/// when `resource` is not one.
///
/// Source: AWS developer guide `connect-lambda.html` (legacy Resource form);
/// reference §6 "Other resource forms".
pub fn lambda_function_name(resource: &str) -> Option<&str> {
    // One pass over the bytes (this runs for every Task call): the offsets
    // of the first seven colons, and whether there are more.
    let bytes = resource.as_bytes();
    let mut colons = [0usize; 7];
    let mut n = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b':' {
            if n == colons.len() {
                return None;
            }
            colons[n] = i;
            n += 1;
        }
    }
    // arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
    if n < 6 {
        return None;
    }
    let field = |k: usize| -> &str {
        let start = if k == 0 { 0 } else { colons[k - 1] + 1 };
        let end = if k < n { colons[k] } else { bytes.len() };
        &resource[start..end]
    };
    let name = field(6);
    if field(0) != "arn" || field(2) != "lambda" || field(5) != "function" || name.is_empty() {
        return None;
    }
    Some(name)
}

/// Calls `handler` with `input`, turning a panic (while building the future or
/// while polling it) into `States.TaskFailed` naming `resource` and the panic
/// message.
pub(crate) fn call_guarded(handler: &Handler, resource: Arc<str>, input: TaskInput) -> Invocation {
    match std::panic::catch_unwind(AssertUnwindSafe(|| handler(input))) {
        Ok(fut) => Invocation::Guarded { fut, resource },
        Err(payload) => {
            let err = panic_error(&resource, payload.as_ref());
            Invocation::Boxed(Box::pin(async move { Err(err) }))
        }
    }
}

/// A Task invocation in progress: a registered handler's future, polled so
/// that a panic fails the Task (`States.TaskFailed`) instead of the process,
/// or any other resolver's future. The handler's future is already boxed by
/// [`handler`]; keeping it in this enum instead of boxing a guard around it
/// spares an allocation per Task call.
pub(crate) enum Invocation {
    /// A registered handler's future, and the resource a panic names.
    Guarded {
        /// The handler's future.
        fut: BoxFuture<'static, Result<Value, ExecError>>,
        /// The Task's resource, for the panic's cause.
        resource: Arc<str>,
    },
    /// Any other resolver's future (mocks, Lambda, HTTP, AWS integrations).
    Boxed(BoxFuture<'static, Result<Value, ExecError>>),
}

impl Invocation {
    /// This invocation as a boxed future (a [`Invocation::Boxed`] as it is).
    pub(crate) fn boxed(self) -> BoxFuture<'static, Result<Value, ExecError>> {
        match self {
            Invocation::Boxed(fut) => fut,
            guarded => Box::pin(guarded),
        }
    }
}

impl From<BoxFuture<'static, Result<Value, ExecError>>> for Invocation {
    fn from(fut: BoxFuture<'static, Result<Value, ExecError>>) -> Self {
        Invocation::Boxed(fut)
    }
}

impl Future for Invocation {
    type Output = Result<Value, ExecError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut() {
            Invocation::Boxed(fut) => fut.as_mut().poll(cx),
            Invocation::Guarded { fut, resource } => {
                match std::panic::catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(cx))) {
                    Ok(poll) => poll,
                    Err(payload) => Poll::Ready(Err(panic_error(resource, payload.as_ref()))),
                }
            }
        }
    }
}

/// `States.TaskFailed` for a handler that panicked.
fn panic_error(resource: &str, payload: &(dyn Any + Send)) -> ExecError {
    let msg = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(non-string panic payload)");
    tracing::error!(resource, panic = msg, "task handler panicked");
    ExecError::new(
        names::TASK_FAILED,
        format!("the handler for resource '{resource}' panicked: {msg}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Value {
        crate::json::parse(text).expect("test JSON")
    }

    #[test]
    fn function_names() {
        let f = lambda_function_name;
        assert_eq!(
            f("arn:aws:lambda:us-east-1:111111111111:function:my-fn"),
            Some("my-fn")
        );
        assert_eq!(
            f("arn:aws:lambda:us-east-1:111111111111:function:my-fn:prod"),
            Some("my-fn")
        );
        assert_eq!(
            f("arn:aws-cn:lambda:cn-north-1:111111111111:function:x:$LATEST"),
            Some("x")
        );
        assert_eq!(f("arn:aws:states:::lambda:invoke"), None);
        assert_eq!(f("arn:aws:lambda:us-east-1:1:layer:x"), None);
        assert_eq!(f("arn:aws:lambda:us-east-1:1:function:"), None);
        assert_eq!(f("arn:aws:lambda:us-east-1:1:function:a:b:c"), None);
        assert_eq!(f("lambda"), None);
    }

    #[tokio::test]
    async fn closure_handler_runs() {
        let h = handler(|input: TaskInput| async move { Ok(Arc::unwrap_or_clone(input)) });
        let out = call_guarded(&h, "r".into(), v(r#"{"a":1}"#).into()).await;
        assert_eq!(out, Ok(v(r#"{"a":1}"#)));
    }

    #[tokio::test]
    async fn handler_error_is_kept() {
        let h = handler(|_| async { Err(ExecError::new("PaymentDeclined", "no funds")) });
        let out = call_guarded(&h, "r".into(), v("{}").into()).await;
        assert_eq!(out, Err(ExecError::new("PaymentDeclined", "no funds")));
    }

    #[tokio::test]
    async fn panic_in_future_is_task_failed() {
        let h = handler(|_| async {
            if true {
                panic!("boom");
            }
            Ok(Value::from(1))
        });
        let err = call_guarded(&h, "arn:x".into(), v("{}").into())
            .await
            .unwrap_err();
        assert_eq!(err.error, names::TASK_FAILED);
        assert!(err.cause.contains("boom"), "{}", err.cause);
        assert!(err.cause.contains("arn:x"), "{}", err.cause);
    }

    #[tokio::test]
    async fn panic_while_building_future_is_task_failed() {
        let h: Handler = Arc::new(|_| panic!("{}", String::from("sync boom")));
        let err = call_guarded(&h, "arn:y".into(), v("{}").into())
            .await
            .unwrap_err();
        assert_eq!(err.error, names::TASK_FAILED);
        assert!(err.cause.contains("sync boom"), "{}", err.cause);
    }
}
