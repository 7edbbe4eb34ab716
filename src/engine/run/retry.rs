//! Retry and Catch: a Task, Parallel or Map state's attempts under its
//! Retriers (backoff, jitter, MaxAttempts), then its Catchers.
//!
//! Source: ASL spec "Errors" (Retrying after error, Fallback states).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::dataflow::after_result_path;
use super::inspect::Step;
use super::{context, error_output, size, too_deep, Doc, Entry, Frame, Run};
use crate::compile::{IoPath, Jitter, Kind, ResultPath, State, Transition};
use crate::engine::observe::Event;
use crate::errors::ExecError;
use crate::json::Value;
use crate::json::MAX_DEPTH;

impl<'a> Run<'a> {
    /// Task, Parallel and Map: one attempt after another under the state's
    /// Retriers, then its Catchers.
    pub(in crate::engine) async fn handled(
        &'a self,
        st: &'a State,
        raw: Doc,
        frame: &mut Frame,
        at: &Entry<'_>,
    ) -> Result<(Doc, Transition), ExecError> {
        // Per-Retrier attempt counts, allocated on the first error only.
        let mut counts: Vec<u32> = Vec::new();
        let mut retry_count = 0u32;
        // Shared with a Task's handler, which gets the document itself (not
        // a copy) when the Task has no InputPath or Parameters; taken back
        // below once the handler has let go of it.
        let mut in_bound = raw.bound;
        let raw = raw.into_shared();
        loop {
            // A state test's mock replaces the attempt.
            let mocked = self.inspect.and_then(|i| i.mocked(at));
            let attempt = match (mocked, &st.kind) {
                // The input is still processed: its errors and steps count.
                (Some(mocked), Kind::Map(_)) => self
                    .io_ref(&st.input_path, &raw, frame, at)
                    .and_then(|eff| {
                        if !st.jsonata {
                            self.note(at, Step::AfterInputPath, &eff);
                        }
                        mocked
                    })
                    .map(|v| (v, None)),
                (Some(mocked), _) => self
                    .arguments(st, &raw, frame, at)
                    .and(mocked)
                    .map(|v| (v, None)),
                (None, Kind::Task { .. }) => self.task(st, &raw, &mut in_bound, frame, at).await,
                // A Parallel's future (its branches' boxed graph futures
                // joined) is no larger than a Task's. A Map runs boxed: its
                // future (streams of iterations, the distributed Map's
                // writer) is far larger, and every state's future would be
                // as large, and copied as often, as the largest of them.
                (None, Kind::Parallel { branches }) => {
                    self.parallel(st, branches, &raw, in_bound, frame, at).await
                }
                (None, Kind::Map(spec)) => Box::pin(self.map(st, spec, &raw, frame, at))
                    .await
                    .map(|v| (v, None)),
                _ => Err(ExecError::runtime("unreachable state kind")),
            };
            let result = attempt.and_then(|(r, bound)| {
                // ResultSelector and JSONata's Output build a new value.
                let bound = bound.filter(|_| !st.jsonata && st.result_selector.is_none());
                let (r, assigned) = self.finish_attempt(st, &raw, r, frame, at)?;
                Ok((r, assigned, bound))
            });
            match result {
                Ok((result, assigned, result_bound)) => {
                    let out = if st.jsonata {
                        if size::deeper_than(&result, MAX_DEPTH) {
                            return Err(too_deep(at, "output"));
                        }
                        Doc::new(result)
                    } else {
                        let raw = take_unless_replaced(raw, &st.result_path);
                        let depth = result_bound.map(|b| b.depth());
                        let out = self.result_path(&st.result_path, raw, result, depth, at)?;
                        let bound = after_result_path(in_bound, result_bound, &st.result_path)
                            .filter(|_| matches!(st.output_path, IoPath::Identity));
                        Doc::bounded(self.io(&st.output_path, out, frame, at)?, bound)
                    };
                    frame.commit(assigned).map_err(|e| Self::locate(at, e))?;
                    return Ok((out, st.transition));
                }
                Err(e) => {
                    if let Some(i) = st
                        .handling
                        .retry
                        .as_slice()
                        .iter()
                        .position(|r| r.matcher.matches(&e.error))
                    {
                        let r = &st.handling.retry[i];
                        if counts.is_empty() {
                            counts.resize(st.handling.retry.len(), 0);
                        }
                        if counts[i] < r.max_attempts {
                            let mut delay = r.delay_seconds(counts[i]);
                            // A state test never retries: it ends RETRIABLE.
                            if self.inspect.is_some_and(|t| t.retriable(at, i, delay)) {
                                return Err(e);
                            }
                            if r.jitter == Jitter::Full {
                                delay *= rand::random::<f64>();
                            }
                            counts[i] += 1;
                            retry_count += 1;
                            tokio::time::sleep(Duration::from_secs_f64(delay.clamp(0.0, 1e9)))
                                .await;
                            if let Some(ctx) = frame.ctx_mut() {
                                context::enter_state(
                                    ctx,
                                    &st.name,
                                    SystemTime::now(),
                                    Some(retry_count),
                                );
                            }
                            continue;
                        }
                    }
                    if let Some((ci, c)) = st
                        .handling
                        .catch
                        .as_slice()
                        .iter()
                        .enumerate()
                        .find(|(_, c)| c.matcher.matches(&e.error))
                    {
                        if let (Some(o), Some(entered)) = (self.obs(), at.entered) {
                            o.event(
                                0,
                                &Event::StateFailed {
                                    state: at.state(),
                                    error: &e.error,
                                    cause: &e.cause,
                                    caught: true,
                                    duration: entered.elapsed(),
                                },
                            );
                        }
                        if let Some(i) = self.inspect {
                            i.caught(at, ci, &e);
                        }
                        let error_output = error_output(e);
                        if st.jsonata {
                            let out = self.jcatch(c, &raw, error_output, frame, at)?;
                            return Ok((Doc::new(out), Transition::Next(c.next)));
                        }
                        let assigned =
                            self.assign_values(c.assign.as_ref(), &error_output, None, frame, at)?;
                        let raw = take_unless_replaced(raw, &c.result_path);
                        let out =
                            self.result_path(&c.result_path, raw, error_output, Some(1), at)?;
                        frame.commit(assigned).map_err(|e| Self::locate(at, e))?;
                        return Ok((Doc::new(out), Transition::Next(c.next)));
                    }
                    return Err(e);
                }
            }
        }
    }
}

/// The state's input for ResultPath to merge into: taken back from the
/// handler or the branches that shared it (a copy only if one still holds
/// it), or not at all when the result replaces it. Always inlined: a
/// call returns the document through memory.
#[inline(always)]
fn take_unless_replaced(raw: Arc<Value>, rp: &ResultPath) -> Value {
    match rp {
        ResultPath::Replace => Value::default(),
        _ => Arc::unwrap_or_clone(raw),
    }
}
