//! A Task's invocation: TimeoutSeconds(Path), HeartbeatSeconds(Path), the
//! `.waitForTaskToken` callback, the payload limit on its input and result.
//!
//! Source: ASL spec "Task State"; AWS guide `connect-to-resource.html`.

use std::time::Duration;

use super::{context, display_plain, oversized_result, size, Entry, Frame, Run};
use crate::compile::{IoPath, Kind, Seconds, State};
use crate::engine::observe::Event;
use crate::errors::{names, ExecError, MAX_PAYLOAD_BYTES};
use crate::json::path::Selected;
use crate::json::size::Bound;
use crate::json::Scope;
use crate::json::Value;
use crate::tasks::TaskCall;
use simd_json::prelude::*;

impl<'a> Run<'a> {
    /// The seconds of `TimeoutSeconds[Path]` (`field` = `"TimeoutSeconds"`)
    /// or `HeartbeatSeconds[Path]` (`"HeartbeatSeconds"`).
    ///
    /// # Errors
    /// `States.Runtime` naming `field`: a path selecting nothing fails with
    /// the path error itself, as AWS words it (`Invalid path '$.t' : No
    /// results for path: $['t']`); a value that is not a positive integer.
    /// `States.QueryEvaluationError` for a JSONata value that is not one.
    pub(in crate::engine) fn seconds(
        &self,
        field: &str,
        s: &Seconds,
        raw: &Value,
        frame: &Frame,
        at: &Entry<'_>,
    ) -> Result<u64, ExecError> {
        let scope = Scope {
            input: raw,
            context: frame.ctx(),
            variables: frame.vars(),
        };
        match s {
            Seconds::Fixed(n) => Ok(*n),
            Seconds::Jsonata(t) => {
                let n = self.jnumber(t, field, raw, frame, at)?;
                if n >= 1.0 && n.fract() == 0.0 {
                    Ok(n as u64)
                } else {
                    Err(Self::located(
                        at,
                        names::QUERY_EVALUATION_ERROR,
                        format!("The {field} field must be a positive integer, but was: {n}"),
                    ))
                }
            }
            Seconds::Path(p) => match p.select(&scope).map(Selected::into_value) {
                Ok(v) => match v.as_u64() {
                    Some(n) if n > 0 => Ok(n),
                    _ => Err(Self::located(
                        at,
                        names::RUNTIME,
                        format!("The {field}Path parameter does not reference a positive integer: {} == {}", p.text(), display_plain(&v)),
                    )),
                },
                Err(e) => Err(Self::located(at, names::RUNTIME, e)),
            },
        }
    }

    /// One attempt of the Task state `st` (whose kind is a Task) on its
    /// input `raw`, within `raw_bound` if known (updated when the input is
    /// measured here); its result, with the bound of its size.
    pub(in crate::engine) async fn task(
        &'a self,
        st: &'a State,
        raw: &std::sync::Arc<Value>,
        raw_bound: &mut Option<Bound>,
        frame: &Frame,
        at: &Entry<'_>,
    ) -> Result<(Value, Option<Bound>), ExecError> {
        let Kind::Task {
            resource, timeout, ..
        } = &st.kind
        else {
            return Err(ExecError::runtime("unreachable state kind"));
        };
        let timeout = match timeout {
            Some(s) => Some(Duration::from_secs(self.seconds(
                "TimeoutSeconds",
                s,
                raw,
                frame,
                at,
            )?)),
            None => None,
        };
        // `.waitForTaskToken`: issue the token before the arguments are built,
        // so `$$.Task.Token` resolves in them.
        let compiled = resource;
        let resource = std::sync::Arc::clone(compiled.target());
        let waiter = compiled.is_callback().then(|| self.tokens.issue());
        let token_frame;
        let frame = match &waiter {
            Some(w) => {
                let mut f = frame.clone();
                if let Some(ctx) = f.ctx_mut() {
                    context::task_token(ctx, w.token());
                }
                token_frame = f;
                &token_frame
            }
            None => frame,
        };
        let heartbeat = match &st.kind {
            Kind::Task {
                heartbeat: Some(s), ..
            } => Some(Duration::from_secs(self.seconds(
                "HeartbeatSeconds",
                s,
                raw,
                frame,
                at,
            )?)),
            _ => None,
        };
        let input = self.task_input(st, raw, frame, at)?;
        // The state's input itself, known to be within the limits, needs no walk.
        let whole = std::sync::Arc::ptr_eq(&input, raw);
        let known = match (whole, *raw_bound) {
            (true, bound) => bound.is_some_and(|b| b.within(MAX_PAYLOAD_BYTES)),
            // Parameters copying parts of an input within a bound are
            // within what the template derives from it.
            (false, Some(bound)) => {
                !st.jsonata
                    && matches!(st.input_path, IoPath::Identity)
                    && st
                        .parameters
                        .as_ref()
                        .and_then(|t| t.bound_from(bound))
                        .is_some_and(|b| b.within(MAX_PAYLOAD_BYTES))
            }
            (false, None) => false,
        };
        if !known {
            let measure = size::measure(&input);
            if whole {
                // Kept for the checks after this state (and its retries).
                *raw_bound = Some(measure.bound());
            }
            if measure.too_deep(0) {
                return Err(super::too_deep(at, "input"));
            }
            if measure.exceeds(&input, MAX_PAYLOAD_BYTES) {
                return Err(ExecError::new(
                    names::DATA_LIMIT_EXCEEDED,
                    format!("The state/task '{}' has an input with a size exceeding the maximum number of bytes service limit.", st.name),
                ));
            }
        }
        let invocation = match &self.options.test_case {
            Some(_) => {
                let mut counts = self.invocations.lock().unwrap_or_else(|p| p.into_inner());
                let n = counts.entry(st.name.clone()).or_insert(0);
                *n += 1;
                *n - 1
            }
            None => 0,
        };
        let scheduled = self.add_events(2); // TaskScheduled, TaskStarted
        let observed = self.obs().map(|o| {
            let (state, name) = (at.state(), &*resource);
            o.event(
                scheduled,
                &Event::TaskScheduled {
                    state,
                    resource: name,
                    parameters: &input,
                    timeout,
                },
            );
            o.event(
                scheduled + 1,
                &Event::TaskStarted {
                    state,
                    resource: name,
                },
            );
            (std::time::Instant::now(), resource.clone())
        });
        let call = TaskCall {
            resource,
            input,
            state_name: st.name.clone(),
            state_machine_name: self.state_machine_name.clone(),
            test_case: self.test_case.clone(),
            invocation,
            timeout,
            heartbeat,
        };
        // A mock-file test case answers a callback Task it mocks directly: its
        // mocked response is the Task's result (Step Functions Local's
        // behaviour). States it does not mock wait for their callback.
        let mocked = self.tasks.is_mocked(&call);
        // The Task's time limit counts from the call.
        let limit = timeout.map(|d| (tokio::time::Instant::now(), d));
        let mut invoked = self.tasks.invoke_resolved(call, compiled.function());
        // A handler that answers on its first poll needs no timer: that
        // common case stays out of a boxed future. A call still pending, or
        // a callback Task, continues in one (`pending_attempt`): its timer
        // and callback wait would otherwise set the size of every state's
        // future (and of the boxed graph futures that hold them).
        let first = match waiter {
            None => futures::poll!(&mut invoked),
            Some(_) => std::task::Poll::Pending,
        };
        let (result, timed_out) = match first {
            std::task::Poll::Ready(r) => (r, false),
            std::task::Poll::Pending => {
                let attempt = pending_attempt(invoked, waiter, mocked, heartbeat, limit);
                Box::pin(attempt).await
            }
        };
        let id = self.add_events(1); // TaskSucceeded / TaskFailed / TaskTimedOut
        if let (Some(o), Some((started, resource))) = (self.obs(), observed) {
            let (state, resource, duration) = (at.state(), &*resource, started.elapsed());
            let event = match &result {
                Ok(output) => Event::TaskSucceeded {
                    state,
                    resource,
                    output,
                    duration,
                },
                Err(e) if timed_out => Event::TaskTimedOut {
                    state,
                    resource,
                    error: &e.error,
                    cause: &e.cause,
                    duration,
                },
                Err(e) => Event::TaskFailed {
                    state,
                    resource,
                    error: &e.error,
                    cause: &e.cause,
                    duration,
                },
            };
            o.event(id, &event);
        }
        // AWS cites the state in every States.Runtime cause, a resolver's too.
        let result = result.map_err(|e| match e.error.as_str() {
            names::RUNTIME => Self::locate(at, e),
            _ => e,
        })?;
        let measure = size::measure(&result);
        if measure.exceeds(&result, MAX_PAYLOAD_BYTES) {
            return Err(oversized_result(&st.name));
        }
        if measure.too_deep(0) {
            return Err(super::too_deep(at, "result"));
        }
        Ok((result, Some(measure.bound())))
    }
}

/// The rest of a Task attempt whose call did not answer on its first poll
/// (`invoked` may have been polled once), or that waits for its callback
/// (`waiter`, with its `heartbeat`; a mock-file test case answers a callback
/// Task it mocks directly, `mocked`): under its time limit (`limit`: when the
/// call was made, and the `TimeoutSeconds`). Its result, and whether the
/// time limit ended it. A call that is ready when polled wins over an
/// elapsed time limit.
async fn pending_attempt<F: std::future::Future<Output = Result<Value, ExecError>>>(
    invoked: F,
    waiter: Option<crate::engine::tokens::Waiter>,
    mocked: bool,
    heartbeat: Option<Duration>,
    limit: Option<(tokio::time::Instant, Duration)>,
) -> (Result<Value, ExecError>, bool) {
    let fut = async move {
        // The integration's own result only says the token was handed over;
        // the Task's result is the callback's.
        match waiter {
            None => invoked.await,
            Some(_) if mocked => invoked.await,
            Some(w) => {
                invoked.await?;
                w.wait(heartbeat).await
            }
        }
    };
    let deadline = limit.and_then(|(start, d)| start.checked_add(d));
    match deadline {
        Some(deadline) => match tokio::time::timeout_at(deadline, fut).await {
            Ok(r) => (r, false),
            Err(_) => (Err(ExecError::new(names::TIMEOUT, "")), true),
        },
        // No limit, or one past what the clock can hold: no limit in practice.
        None => (fut.await, false),
    }
}
