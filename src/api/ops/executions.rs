//! Execution operations: StartSyncExecution, StartExecution,
//! DescribeExecution, StopExecution, ListExecutions.
//!
//! Checks run in AWS's order: model constraints (required fields, name
//! length, input size), then the ARN, then the machine's existence and type,
//! then the name's characters, then the input's JSON.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use futures::FutureExt as _;
use serde_json::{json, Value as Json};

use super::{Page, Request};
use crate::api::error::{ApiError, Constraints};
use crate::api::registry::{ExecutionRecord, Executions, MachineType, Progress, Stopped};
use crate::api::{arn, epoch_seconds, names, Service};
use crate::compile::Machine;
use crate::engine::{ExecutionOptions, ExecutionOutcome, ExecutionStatus};
use crate::errors::{names as error_names, MAX_PAYLOAD_BYTES};
use crate::json::Value;

/// The longest `traceHeader` (model constraint).
const MAX_TRACE_HEADER: usize = 256;
/// The longest state machine ARN (model constraint, `#TestCase` included).
const MAX_ARN_LEN: usize = 256;
/// Memory billed for every Express execution, in MB (reference §2).
const BILLED_MEMORY_MB: u64 = 64;

/// A start request that passed every check.
pub(super) struct Start<'a> {
    pub(super) machine: Arc<Machine>,
    pub(super) kind: MachineType,
    pub(super) input: Value,
    pub(super) input_text: &'a str,
    pub(super) options: ExecutionOptions,
    pub(super) trace_header: Option<&'a str>,
    pub(super) metadata_only: bool,
}

/// The checks shared by both start operations, in AWS's order; `sync` refuses
/// STANDARD machines.
pub(super) fn prepare<'a>(
    service: &Service,
    req: &Request<'a>,
    sync: bool,
) -> Result<Start<'a>, ApiError> {
    let machine_arn = req.str("stateMachineArn")?;
    let name = req.str("name")?;
    let input = req.str("input")?;
    let trace_header = req.str("traceHeader")?;
    let included = req.str("includedData")?;
    let mut c = Constraints::default();
    c.required("stateMachineArn", machine_arn);
    c.length("stateMachineArn", machine_arn, 1, MAX_ARN_LEN);
    c.length("name", name, 1, names::MAX_NAME_LEN);
    c.sensitive_size("input", input, MAX_PAYLOAD_BYTES);
    c.length("traceHeader", trace_header, 0, MAX_TRACE_HEADER);
    if sync {
        c.one_of("includedData", included, &["ALL_DATA", "METADATA_ONLY"]);
    }
    c.finish()?;

    let target = arn::parse_state_machine(machine_arn.unwrap_or_default(), true)?;
    let sm = service
        .inner
        .machines
        .get(target.arn)
        .map(|sm| {
            (
                sm.machine.clone(),
                sm.kind,
                sm.name.clone(),
                sm.role_arn.clone(),
            )
        })
        .ok_or_else(|| ApiError::StateMachineDoesNotExist(target.arn.to_owned()))?;
    let (machine, kind, machine_name, role_arn) = sm;
    if sync && kind == MachineType::Standard {
        return Err(ApiError::StateMachineTypeNotSupported);
    }
    let name = match name {
        Some(n) => {
            names::check(n)?;
            n.to_owned()
        }
        None => uuid::Uuid::new_v4().to_string(),
    };
    let input_text = input.unwrap_or("{}");
    let input = crate::json::parse(input_text)
        .map_err(|e| ApiError::InvalidExecutionInput(e.to_string()))?;
    let execution_arn = match kind {
        MachineType::Express => arn::express_execution(target.arn, &name),
        MachineType::Standard => arn::standard_execution(target.arn, &name),
    };
    Ok(Start {
        machine,
        kind,
        input,
        input_text,
        options: ExecutionOptions {
            execution_arn,
            name,
            state_machine_arn: target.arn.to_owned(),
            state_machine_name: machine_name,
            role_arn,
            start_time: SystemTime::now(),
            test_case: target.test_case.map(str::to_owned),
            // AWS shows `RedriveCount: 0` for StartExecution, none for
            // StartSyncExecution.
            redrive_count: (!sync).then_some(0),
        },
        trace_header,
        metadata_only: included == Some("METADATA_ONLY"),
    })
}

/// Billed duration: rounded up to the next 100 ms, at least 100 ms (reference §2).
fn billed_ms(start: SystemTime, stop: SystemTime) -> u64 {
    let ms = stop
        .duration_since(start)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let ms = u64::try_from(ms).unwrap_or(u64::MAX);
    ms.div_ceil(100).saturating_mul(100).max(100)
}

/// Adds `output` or `error`/`cause` of an outcome to a response object.
fn put_outcome(out: &mut Json, outcome: &ExecutionOutcome, with_data: bool) {
    if let Some(output) = outcome.output.as_ref().filter(|_| with_data) {
        out["output"] = Json::String(crate::json::to_string(output));
        out["outputDetails"] = json!({"included": true});
    }
    if let Some(error) = &outcome.error {
        out["error"] = Json::String(error.clone());
    }
    if let Some(cause) = &outcome.cause {
        out["cause"] = Json::String(cause.clone());
    }
}

/// StartSyncExecution: waits for admission (at most the machine's
/// `max_wait_ms`; past it `ThrottlingException`), runs to the end and answers
/// with the outcome (a FAILED execution is still HTTP 200). `startDate` is
/// the instant of admission.
pub(crate) async fn start_sync(service: &Service, req: &Request<'_>) -> Result<Json, ApiError> {
    let mut start = prepare(service, req, true)?;
    let metrics = crate::metrics::executions(&start.options.state_machine_name);
    let admitted = service
        .inner
        .admission
        .admit(&start.options.state_machine_name)
        .await;
    let Ok(permit) = admitted else {
        metrics.throttled();
        return Err(ApiError::Throttling);
    };
    if !permit.waited().is_zero() {
        start.options.start_time = SystemTime::now();
    }
    metrics.started();
    let began = Instant::now();
    let options = start.options.clone();
    let outcome = service
        .inner
        .engine
        .execute(start.machine, start.input, start.options)
        .await;
    metrics.finished(outcome.status, began.elapsed());
    let with_data = !start.metadata_only;
    let mut out = json!({
        "executionArn": options.execution_arn,
        "stateMachineArn": options.state_machine_arn,
        "name": options.name,
        "startDate": epoch_seconds(options.start_time),
        "stopDate": epoch_seconds(outcome.stop_time),
        "status": outcome.status.as_str(),
        "inputDetails": {"included": with_data},
        "billingDetails": {
            "billedMemoryUsedInMB": BILLED_MEMORY_MB,
            "billedDurationInMilliseconds": billed_ms(options.start_time, outcome.stop_time),
        },
    });
    if with_data {
        out["input"] = Json::String(start.input_text.to_owned());
    }
    put_outcome(&mut out, &outcome, with_data);
    if outcome.output.is_some() && !with_data {
        out["outputDetails"] = json!({"included": false});
    }
    if let Some(trace) = start.trace_header {
        out["traceHeader"] = Json::String(trace.to_owned());
    }
    Ok(out)
}

/// The outcome recorded for an execution whose task panicked.
fn panicked(arn: &str) -> ExecutionOutcome {
    tracing::error!(execution_arn = arn, "execution panicked");
    ExecutionOutcome {
        status: ExecutionStatus::Failed,
        output: None,
        error: Some(error_names::RUNTIME.to_owned()),
        cause: Some("Internal error: the execution stopped unexpectedly".to_owned()),
        stop_time: SystemTime::now(),
    }
}

/// Awaits an execution and records its outcome; a panic is recorded as a
/// FAILED execution (`States.Runtime`) instead of being lost. Returns the
/// status recorded, or `None` when the execution was stopped meanwhile (its
/// ABORTED record stays).
pub(super) async fn record_outcome<F>(
    executions: &Executions,
    arn: &str,
    run: F,
) -> Option<ExecutionStatus>
where
    F: std::future::Future<Output = ExecutionOutcome>,
{
    let outcome = match AssertUnwindSafe(run).catch_unwind().await {
        Ok(outcome) => outcome,
        Err(_) => panicked(arn),
    };
    let status = outcome.status;
    executions.finish(arn, outcome).then_some(status)
}

/// StartExecution: takes a place in admission control (refused at once with
/// `ThrottlingException` when the buffer is full or the wait too long),
/// records the execution, runs it on a tokio task once admitted and answers
/// at once: an accepted start is never dropped. A panicking execution is recorded as FAILED (`States.Runtime`),
/// never lost. A STANDARD start repeating a running execution's name and
/// input returns that execution; other name reuse is `ExecutionAlreadyExists`.
pub(crate) fn start(service: &Service, req: &Request<'_>) -> Result<Json, ApiError> {
    let start = prepare(service, req, false)?;
    let execution_arn = start.options.execution_arn.clone();
    let start_time = start.options.start_time;
    if start.kind == MachineType::Standard {
        if let Some(existing) = service.inner.executions.get(&execution_arn) {
            return match existing.progress {
                Progress::Running if existing.input == start.input_text => Ok(json!({
                    "executionArn": existing.arn,
                    "startDate": epoch_seconds(existing.start),
                })),
                _ => Err(ApiError::ExecutionAlreadyExists(existing.arn)),
            };
        }
    }
    let metrics = crate::metrics::executions(&start.options.state_machine_name);
    let ticket = match service
        .inner
        .admission
        .reserve(&start.options.state_machine_name)
    {
        Ok(ticket) => ticket,
        Err(_) => {
            metrics.throttled();
            return Err(ApiError::Throttling);
        }
    };
    let (abort, abort_registration) = futures::future::AbortHandle::new_pair();
    service.inner.executions.insert(ExecutionRecord {
        arn: execution_arn.clone(),
        state_machine_arn: start.options.state_machine_arn.clone(),
        name: start.options.name.clone(),
        input: start.input_text.to_owned(),
        start: start_time,
        progress: Progress::Running,
        abort: Some(abort),
    });
    let service_ref = service.clone();
    let arn = execution_arn.clone();
    let Start {
        machine,
        input,
        options,
        ..
    } = start;
    let run = async move {
        ticket.wait().await;
        metrics.started();
        let began = Instant::now();
        let engine = service_ref.inner.engine.clone();
        let run = engine.execute(machine, input, options);
        if let Some(status) = record_outcome(&service_ref.inner.executions, &arn, run).await {
            metrics.finished(status, began.elapsed());
        }
    };
    // StopExecution aborts the task at its next await (a Wait, a Task's I/O).
    tokio::spawn(futures::future::Abortable::new(run, abort_registration));
    Ok(json!({
        "executionArn": execution_arn,
        "startDate": epoch_seconds(start_time),
    }))
}

/// DescribeExecution, for executions started with StartExecution and still
/// retained.
pub(crate) fn describe(service: &Service, req: &Request<'_>) -> Result<Json, ApiError> {
    let execution_arn = req.str("executionArn")?;
    let mut c = Constraints::default();
    c.required("executionArn", execution_arn);
    c.length("executionArn", execution_arn, 1, MAX_ARN_LEN);
    c.finish()?;
    let execution_arn = execution_arn.unwrap_or_default();
    arn::parse_execution(execution_arn)?;
    let record = service
        .inner
        .executions
        .get(execution_arn)
        .ok_or_else(|| ApiError::ExecutionDoesNotExist(execution_arn.to_owned()))?;
    let mut out = json!({
        "executionArn": record.arn,
        "stateMachineArn": record.state_machine_arn,
        "name": record.name,
        "startDate": epoch_seconds(record.start),
        "input": record.input,
        "inputDetails": {"included": true},
    });
    match &record.progress {
        Progress::Running => out["status"] = Json::String("RUNNING".into()),
        Progress::Done(outcome) => {
            out["status"] = Json::String(outcome.status.as_str().into());
            out["stopDate"] = json!(epoch_seconds(outcome.stop_time));
            put_outcome(&mut out, outcome, true);
        }
    }
    Ok(out)
}

/// The longest StopExecution `error` (model constraint `SensitiveError`).
const MAX_STOP_ERROR: usize = 256;
/// The longest StopExecution `cause` (model constraint `SensitiveCause`).
const MAX_STOP_CAUSE: usize = 32_768;

/// StopExecution, for executions started with StartExecution and still
/// retained: a running execution's task is aborted and it is recorded
/// ABORTED with the given `error` and `cause`. Answers `{"stopDate": now}`,
/// also for an execution that had already ended, which keeps its outcome (as
/// LocalStack does).
pub(crate) fn stop(service: &Service, req: &Request<'_>) -> Result<Json, ApiError> {
    let execution_arn = req.str("executionArn")?;
    let error = req.str("error")?;
    let cause = req.str("cause")?;
    let mut c = Constraints::default();
    c.required("executionArn", execution_arn);
    c.length("executionArn", execution_arn, 1, MAX_ARN_LEN);
    c.sensitive_length("error", error, MAX_STOP_ERROR);
    c.sensitive_length("cause", cause, MAX_STOP_CAUSE);
    c.finish()?;
    let execution_arn = execution_arn.unwrap_or_default();
    arn::parse_execution(execution_arn)?;
    let stop_time = SystemTime::now();
    let stopped = service
        .inner
        .executions
        .stop(
            execution_arn,
            error.map(str::to_owned),
            cause.map(str::to_owned),
            stop_time,
        )
        .ok_or_else(|| ApiError::ExecutionDoesNotExist(execution_arn.to_owned()))?;
    if let Stopped::Aborted(started) = stopped {
        // The machine name is the ARN's 7th field (`…:execution:SM:EXEC`,
        // `…:express:SM:EXEC:ID`).
        let machine = execution_arn.split(':').nth(6).unwrap_or_default();
        let elapsed = stop_time.duration_since(started).unwrap_or_default();
        crate::metrics::executions(machine).finished(ExecutionStatus::Aborted, elapsed);
    }
    Ok(json!({ "stopDate": epoch_seconds(stop_time) }))
}

/// The statuses `statusFilter` accepts (model enum).
const STATUSES: [&str; 6] = [
    "RUNNING",
    "SUCCEEDED",
    "FAILED",
    "TIMED_OUT",
    "ABORTED",
    "PENDING_REDRIVE",
];

/// ListExecutions: STANDARD machines only (EXPRESS gives
/// `StateMachineTypeNotSupported`, as on AWS); newest first, paginated.
pub(crate) fn list(service: &Service, req: &Request<'_>) -> Result<Json, ApiError> {
    let machine_arn = req.str("stateMachineArn")?;
    let status = req.str("statusFilter")?;
    let mut c = Constraints::default();
    c.one_of("statusFilter", status, &STATUSES);
    c.length("stateMachineArn", machine_arn, 1, MAX_ARN_LEN);
    c.finish()?;
    let Some(machine_arn) = machine_arn else {
        return Err(ApiError::Validation(
            "1 validation error detected: Must provide a StateMachine ARN or MapRun ARN".into(),
        ));
    };
    arn::parse_state_machine(machine_arn, false)?;
    let page = Page::read(req)?;
    let kind = service
        .inner
        .machines
        .get(machine_arn)
        .map(|sm| sm.kind)
        .ok_or_else(|| ApiError::StateMachineDoesNotExist(machine_arn.to_owned()))?;
    if kind == MachineType::Express {
        return Err(ApiError::StateMachineTypeNotSupported);
    }
    let items: Vec<Json> = service
        .inner
        .executions
        .of_machine(machine_arn)
        .into_iter()
        .filter_map(|r| {
            let (status_name, stop) = match &r.progress {
                Progress::Running => ("RUNNING", None),
                Progress::Done(o) => (o.status.as_str(), Some(o.stop_time)),
            };
            if status.is_some_and(|s| s != status_name) {
                return None;
            }
            let mut item = json!({
                "executionArn": r.arn,
                "stateMachineArn": r.state_machine_arn,
                "name": r.name,
                "status": status_name,
                "startDate": epoch_seconds(r.start),
            });
            if let Some(stop) = stop {
                item["stopDate"] = json!(epoch_seconds(stop));
            }
            Some(item)
        })
        .collect();
    let (items, next) = page.take(items);
    let mut out = json!({ "executions": items });
    if let Some(token) = next {
        out["nextToken"] = Json::String(token);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn billing_rounds_up_to_100_ms() {
        let t = SystemTime::UNIX_EPOCH;
        assert_eq!(billed_ms(t, t), 100);
        assert_eq!(billed_ms(t, t + Duration::from_millis(101)), 200);
        assert_eq!(billed_ms(t, t + Duration::from_millis(300)), 300);
    }

    #[tokio::test]
    async fn a_panicking_execution_is_recorded_as_failed() {
        let executions = Executions::new(10);
        executions.insert(ExecutionRecord {
            arn: "x".into(),
            state_machine_arn: "sm".into(),
            name: "n".into(),
            input: "{}".into(),
            start: SystemTime::now(),
            progress: Progress::Running,
            abort: None,
        });
        record_outcome(&executions, "x", async { panic!("boom") }).await;
        let Some(ExecutionRecord {
            progress: Progress::Done(outcome),
            ..
        }) = executions.get("x")
        else {
            panic!("not recorded")
        };
        assert_eq!(outcome.status, ExecutionStatus::Failed);
        assert_eq!(outcome.error.as_deref(), Some("States.Runtime"));
    }
}
