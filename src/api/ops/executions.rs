//! Execution operations: StartSyncExecution, StartExecution,
//! DescribeExecution, StopExecution, ListExecutions.
//!
//! Checks run in AWS's order: model constraints (required fields, name
//! length, input size), then the ARN, then the machine's existence and type,
//! then the name's characters, then the input's JSON.

use std::time::SystemTime;

use serde_json::{json, Value as Json};

use super::{Page, Request};
use crate::api::error::{ApiError, Constraints};
use crate::api::{epoch_seconds, Service};
use crate::engine::ExecutionOutcome;
use crate::errors::MAX_PAYLOAD_BYTES;
use crate::start::{arn, names, Completed, Progress, StartInput, StartRequest};

/// The longest `traceHeader` (model constraint).
const MAX_TRACE_HEADER: usize = 256;
/// The longest state machine ARN (model constraint, `#TestCase` included).
const MAX_ARN_LEN: usize = 256;
/// Memory billed for every Express execution, in MB (reference §2).
pub(super) const BILLED_MEMORY_MB: u64 = 64;

/// The fields of a start request (StartExecution, StartSyncExecution, and
/// the nested-execution integrations' parameters), before the start path's
/// checks.
pub(crate) struct StartFields<'a> {
    pub(crate) state_machine_arn: Option<&'a str>,
    pub(crate) name: Option<&'a str>,
    pub(crate) input: Option<&'a str>,
    pub(crate) trace_header: Option<&'a str>,
    pub(crate) included_data: Option<&'a str>,
}

impl<'a> StartFields<'a> {
    /// Reads the fields of a request body.
    pub(crate) fn read(req: &Request<'a>) -> Result<Self, ApiError> {
        Ok(StartFields {
            state_machine_arn: req.str("stateMachineArn")?,
            name: req.str("name")?,
            input: req.str("input")?,
            trace_header: req.str("traceHeader")?,
            included_data: req.str("includedData")?,
        })
    }

    /// The model constraints (required fields, lengths, input size), checked
    /// before anything else; `sync` also checks `includedData`.
    pub(crate) fn check(&self, sync: bool) -> Result<(), ApiError> {
        let mut c = Constraints::default();
        c.required("stateMachineArn", self.state_machine_arn);
        c.length("stateMachineArn", self.state_machine_arn, 1, MAX_ARN_LEN);
        c.length("name", self.name, 1, names::MAX_NAME_LEN);
        c.sensitive_size("input", self.input, MAX_PAYLOAD_BYTES);
        c.length("traceHeader", self.trace_header, 0, MAX_TRACE_HEADER);
        if sync {
            c.one_of(
                "includedData",
                self.included_data,
                &["ALL_DATA", "METADATA_ONLY"],
            );
        }
        c.finish()
    }

    /// The start path's request for these fields (input `{}` when absent).
    pub(crate) fn request(&self) -> StartRequest<'a> {
        StartRequest {
            state_machine_arn: self.state_machine_arn.unwrap_or_default(),
            name: self.name,
            input: StartInput::Text(self.input.unwrap_or("{}")),
        }
    }
}

/// Billed duration: rounded up to the next 100 ms, at least 100 ms (reference §2).
pub(super) fn billed_ms(start: SystemTime, stop: SystemTime) -> u64 {
    let ms = stop
        .duration_since(start)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let ms = u64::try_from(ms).unwrap_or(u64::MAX);
    ms.div_ceil(100).saturating_mul(100).max(100)
}

/// Adds `output` or `error`/`cause` of an outcome to a response object.
pub(crate) fn put_outcome(out: &mut Json, outcome: &ExecutionOutcome, with_data: bool) {
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

/// The StartSyncExecution response for a completed execution, as a JSON
/// tree (the generic path and the nested-execution integration; the HTTP
/// hot path serialises [`super::wire::SyncReply`] straight into the body).
pub(crate) fn sync_response(fields: &StartFields<'_>, done: &Completed) -> Json {
    serde_json::to_value(super::wire::SyncReply::new(fields, done)).unwrap_or(Json::Null)
}

/// StartSyncExecution: waits for admission (at most the machine's
/// `max_wait_ms`; past it `ThrottlingException`), runs to the end and answers
/// with the outcome (a FAILED execution is still HTTP 200). `startDate` is
/// the instant of admission.
pub(crate) async fn start_sync(service: &Service, req: &Request<'_>) -> Result<Json, ApiError> {
    let fields = StartFields::read(req)?;
    fields.check(true)?;
    let done = service.starter().start_sync(fields.request()).await?;
    Ok(sync_response(&fields, &done))
}

/// StartExecution: see [`crate::start::Starter::start`]; answers
/// `{executionArn, startDate}` at once.
pub(crate) async fn start(service: &Service, req: &Request<'_>) -> Result<Json, ApiError> {
    let fields = StartFields::read(req)?;
    fields.check(false)?;
    let started = service.starter().start(fields.request()).await?;
    Ok(json!({
        "executionArn": started.execution_arn,
        "startDate": epoch_seconds(started.start_time),
    }))
}

/// DescribeExecution, for executions started with StartExecution and still
/// retained.
pub(crate) async fn describe(service: &Service, req: &Request<'_>) -> Result<Json, ApiError> {
    let execution_arn = req.str("executionArn")?;
    let mut c = Constraints::default();
    c.required("executionArn", execution_arn);
    c.length("executionArn", execution_arn, 1, MAX_ARN_LEN);
    c.finish()?;
    let record = service
        .starter()
        .describe(execution_arn.unwrap_or_default())
        .await?;
    let mut out = json!({
        "executionArn": record.arn,
        "stateMachineArn": record.state_machine_arn,
        "name": record.name,
        "startDate": epoch_seconds(record.start),
        "input": record.input,
        "inputDetails": {"included": true},
    });
    if let Some(origin) = &record.origin {
        if let Some(v) = &origin.version_arn {
            out["stateMachineVersionArn"] = Json::String(v.clone());
        }
        if let Some(a) = &origin.alias_arn {
            out["stateMachineAliasArn"] = Json::String(a.clone());
        }
    }
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
pub(crate) async fn stop(service: &Service, req: &Request<'_>) -> Result<Json, ApiError> {
    let execution_arn = req.str("executionArn")?;
    let error = req.str("error")?;
    let cause = req.str("cause")?;
    let mut c = Constraints::default();
    c.required("executionArn", execution_arn);
    c.length("executionArn", execution_arn, 1, MAX_ARN_LEN);
    c.sensitive_length("error", error, MAX_STOP_ERROR);
    c.sensitive_length("cause", cause, MAX_STOP_CAUSE);
    c.finish()?;
    let stop_time = service
        .starter()
        .stop(execution_arn.unwrap_or_default(), error, cause)
        .await?;
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
pub(crate) async fn list(service: &Service, req: &Request<'_>) -> Result<Json, ApiError> {
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
    let items: Vec<Json> = service
        .starter()
        .list(machine_arn)
        .await?
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
}
