//! Retry and Catch: a Task, Parallel or Map state's attempts under its
//! Retriers (backoff, jitter, MaxAttempts), then its Catchers.
//!
//! Source: ASL spec "Errors" (Retrying after error, Fallback states).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::{context, error_output, size, too_deep, Entry, Frame, Run};
use crate::compile::{Jitter, Kind, State, Transition};
use crate::engine::observe::Event;
use crate::errors::ExecError;
use crate::json::{Value, MAX_DEPTH};

impl<'a> Run<'a> {
    /// Task, Parallel and Map: one attempt after another under the state's
    /// Retriers, then its Catchers.
    pub(in crate::engine) async fn handled(
        &'a self,
        st: &'a State,
        raw: Value,
        frame: &mut Frame,
        at: &Entry<'_>,
    ) -> Result<(Value, Transition), ExecError> {
        // Per-Retrier attempt counts, allocated on the first error only.
        let mut counts: Vec<u32> = Vec::new();
        let mut retry_count = 0u32;
        // Shared with a Task's handler, which gets the document itself (not
        // a copy) when the Task has no InputPath or Parameters; taken back
        // below once the handler has let go of it.
        let raw = Arc::new(raw);
        loop {
            let attempt = match &st.kind {
                Kind::Task {
                    resource, timeout, ..
                } => {
                    self.task(st, resource, timeout.as_ref(), &raw, frame, at)
                        .await
                }
                Kind::Parallel { branches } => self.parallel(st, branches, &raw, frame, at).await,
                Kind::Map(spec) => self.map(st, spec, &raw, frame, at).await,
                _ => Err(ExecError::runtime("unreachable state kind")),
            };
            let result = attempt.and_then(|r| self.finish_attempt(st, &raw, r, frame, at));
            match result {
                Ok((result, assigned)) => {
                    let out = if st.jsonata {
                        if size::deeper_than(&result, MAX_DEPTH) {
                            return Err(too_deep(at, "output"));
                        }
                        result
                    } else {
                        let raw = Arc::unwrap_or_clone(raw);
                        let out = self.result_path(&st.result_path, raw, result, None, at)?;
                        self.io(&st.output_path, out, frame, at)?
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
                    if let Some(c) = st
                        .handling
                        .catch
                        .as_slice()
                        .iter()
                        .find(|c| c.matcher.matches(&e.error))
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
                        let error_output = error_output(e);
                        if st.jsonata {
                            let out = self.jcatch(c, &raw, error_output, frame, at)?;
                            return Ok((out, Transition::Next(c.next)));
                        }
                        let assigned =
                            self.assign_values(c.assign.as_ref(), &error_output, None, frame, at)?;
                        let raw = Arc::unwrap_or_clone(raw);
                        let out =
                            self.result_path(&c.result_path, raw, error_output, Some(1), at)?;
                        frame.commit(assigned).map_err(|e| Self::locate(at, e))?;
                        return Ok((out, Transition::Next(c.next)));
                    }
                    return Err(e);
                }
            }
        }
    }
}
