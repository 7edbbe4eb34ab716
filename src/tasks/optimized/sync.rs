//! Run a Job (`.sync`): start the job, then read its status until it ends.
//!
//! - Polling: Glue, which sends no EventBridge events, on AWS's schedule
//!   (every 60 s for the first 10 minutes, every 5 minutes after); the
//!   services AWS follows through EventBridge every 5 s. One interval for
//!   every job replaces both with [`POLL_INTERVAL_ENV`] or
//!   [`crate::tasks::Tasks::set_sync_poll_interval`] (tests use tens of ms).
//! - A job that ends in failure fails the Task with `States.TaskFailed` and
//!   the JSON of its last description as cause (AWS's behaviour, as the
//!   recorded Glue and Batch failures show).
//! - The Task's end before the job's (TimeoutSeconds, StopExecution, a
//!   failed poll): the job is stopped with the service's stop API, best
//!   effort, in the background. StopExecution is seen within 200 ms through
//!   the execution's stop flag ([`crate::json::budget`]).
//! - HeartbeatSeconds: the longest time without a successful status read;
//!   failed polls are retried until then, then `States.HeartbeatTimeout`.
//!
//! Sources: AWS guide `connect-to-resource.html` ("Run a Job (.sync)"),
//! AWS support on re:Post (Glue's polling schedule), the per-service pages'
//! IAM policies (the polling and stop APIs).

use std::time::{Duration, Instant};

use super::Api;
use crate::errors::{names, ExecError};
use crate::json::Value;

/// The environment variable setting one `.sync` polling interval
/// (milliseconds) for every job.
pub(crate) const POLL_INTERVAL_ENV: &str = "EXPRESSWAY_SYNC_POLL_MS";

/// How often a waiting `.sync` Task looks at its execution's stop flag.
const STOP_CHECK: Duration = Duration::from_millis(200);

/// What a status read says.
#[derive(Debug)]
pub(crate) enum Poll {
    /// Not ended yet.
    Running,
    /// Ended well: the Task's result.
    Succeeded(Value),
    /// Ended badly: the cause's JSON.
    Failed(Value),
}

/// How often AWS reads a job's status.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Interval {
    /// Glue: 60 s for 10 minutes, then 5 minutes.
    Glue,
    /// A service with EventBridge events: 5 s here.
    Events,
}

impl Interval {
    /// The wait before status read number `n` (from 0).
    fn delay(self, n: u32) -> Duration {
        match self {
            Interval::Glue if n < 10 => Duration::from_secs(60),
            Interval::Glue => Duration::from_secs(300),
            Interval::Events => Duration::from_secs(5),
        }
    }
}

/// A stop call: the API and its request from the start result and request.
pub(crate) type Stop = (&'static str, &'static str, fn(&Value, &Value) -> Value);

/// How `.sync` follows one kind of job.
#[derive(Debug)]
pub(crate) struct Job {
    /// The status API (model service, action).
    pub(crate) describe: (&'static str, &'static str),
    /// Its request, from the start call's result and request.
    pub(crate) describe_input: fn(&Value, &Value) -> Value,
    /// Reads a status.
    pub(crate) status: fn(&Value) -> Poll,
    /// Reshapes a final description (given the start result).
    pub(crate) finish: Option<fn(&Value, Value) -> Value>,
    /// Stops the job.
    pub(crate) stop: Option<Stop>,
    /// Adds what Step Functions adds to a `.sync` start request.
    pub(crate) prepare: Option<fn(&mut Value)>,
    /// The polling schedule.
    pub(crate) interval: Interval,
}

/// Starts the job with `request` and waits for its end.
///
/// # Errors
/// As [`super::Jobs::invoke`] says.
pub(crate) async fn run(
    api: &Api<'_>,
    job: &'static Job,
    request: Value,
    heartbeat: Option<Duration>,
    poll: Option<Duration>,
) -> Result<Value, ExecError> {
    let spec = api.spec;
    let started = api.request_response(request.clone()).await?;
    let mut guard = StopGuard {
        stop: job.stop.map(|(service, action, input)| StopCall {
            sdk: api.sdk.clone(),
            spec,
            region: api.region.clone(),
            service,
            action,
            input: input(&started, &request),
        }),
    };
    let describe = (job.describe_input)(&started, &request);
    // StopExecution sets the execution's stop flag; the engine ends the
    // execution at its next state, so the wait watches the flag itself.
    let stop = crate::json::budget::current();
    let mut last_read = Instant::now();
    let mut n = 0;
    loop {
        let wait = poll.unwrap_or_else(|| job.interval.delay(n));
        n = n.saturating_add(1);
        let until = tokio::time::Instant::now() + wait;
        loop {
            if stop.as_ref().is_some_and(|b| b.is_stopped()) {
                // The guard stops the job as it drops.
                return Err(ExecError::new(
                    names::TASK_FAILED,
                    format!(
                        "the execution was stopped while the {}:{} job ran",
                        spec.service, spec.action
                    ),
                ));
            }
            let now = tokio::time::Instant::now();
            if now >= until {
                break;
            }
            tokio::time::sleep((until - now).min(STOP_CHECK)).await;
        }
        match api.call(job.describe.0, job.describe.1, &describe).await {
            Ok(d) => {
                last_read = Instant::now();
                let finish = |v: Value| match job.finish {
                    Some(f) => f(&started, v),
                    None => v,
                };
                match (job.status)(&d) {
                    Poll::Running => {}
                    Poll::Succeeded(v) => {
                        guard.disarm();
                        return Ok(finish(v));
                    }
                    Poll::Failed(v) => {
                        guard.disarm();
                        return Err(ExecError::new(
                            names::TASK_FAILED,
                            crate::json::to_string(&finish(v)),
                        ));
                    }
                }
            }
            Err(e) => match heartbeat {
                Some(h) if last_read.elapsed() >= h => {
                    return Err(ExecError::new(
                        names::HEARTBEAT_TIMEOUT,
                        format!(
                            "no status of the {}:{} job was read for {} s: {}: {}",
                            spec.service,
                            spec.action,
                            h.as_secs(),
                            e.error,
                            e.cause
                        ),
                    ))
                }
                Some(_) => {
                    tracing::debug!(error = %e.error, "a .sync status read failed; retried");
                }
                None => return Err(e),
            },
        }
    }
}

/// The stop call of a started job.
struct StopCall {
    sdk: crate::tasks::aws_sdk::AwsSdk,
    spec: &'static super::table::Spec,
    region: Option<String>,
    service: &'static str,
    action: &'static str,
    input: Value,
}

/// Stops the job when dropped armed: the Task ended (timeout, StopExecution,
/// an error) before the job did.
struct StopGuard {
    stop: Option<StopCall>,
}

impl StopGuard {
    /// The job ended: nothing to stop.
    fn disarm(&mut self) {
        self.stop = None;
    }
}

impl Drop for StopGuard {
    fn drop(&mut self) {
        let Some(stop) = self.stop.take() else {
            return;
        };
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        handle.spawn(async move {
            let api = Api::new(
                &stop.sdk,
                stop.spec,
                stop.region.clone(),
                Some(Duration::from_secs(30)),
            );
            match api.call(stop.service, stop.action, &stop.input).await {
                Ok(_) => tracing::info!(
                    api = %format!("{}:{}", stop.service, stop.action),
                    "stopped the job of a .sync Task that ended first"
                ),
                Err(e) => tracing::warn!(
                    api = %format!("{}:{}", stop.service, stop.action),
                    error = %e.error,
                    cause = %e.cause,
                    "could not stop the job of a .sync Task that ended first"
                ),
            }
        });
    }
}
