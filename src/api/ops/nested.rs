//! Nested workflows: a Task that starts an execution of another state
//! machine of this service, in-process.
//!
//! Resources (the engine strips `.waitForTaskToken` first and waits for the
//! token itself):
//!
//! | Resource | Result |
//! |---|---|
//! | `arn:aws:states:::states:startExecution` | `{ExecutionArn, StartDate, SdkHttpMetadata, SdkResponseMetadata}` |
//! | `…:states:startExecution.sync` | the DescribeExecution shape in PascalCase, `Input`/`Output` as JSON text |
//! | `…:states:startExecution.sync:2` | the same, `Input`/`Output` parsed |
//! | `arn:aws:states:::aws-sdk:sfn:startExecution` | `{ExecutionArn, StartDate}` |
//! | `arn:aws:states:::aws-sdk:sfn:startSyncExecution` | the StartSyncExecution response in PascalCase |
//!
//! Parameters: `StateMachineArn`, `Input` (an object, or JSON text; `{}`
//! when absent), `Name`; `TraceHeader` for the SDK forms. The child sees
//! only its `Input`: to link it to its parent, pass
//! `"AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id"` inside
//! it, as the AWS guide says (AWS adds nothing to the child's input itself).
//!
//! A `.sync` child that does not succeed fails the Task with
//! `States.TaskFailed`, its cause the DescribeExecution shape as JSON text.
//! An API error (unknown machine, bad name, bad input) becomes
//! `StepFunctions.<Code>Exception` for the optimized integration and
//! `Sfn.<Code>Exception` for the SDK integration, with the Java SDK's cause
//! text. Optimized-integration dates are epoch milliseconds; SDK-integration
//! dates are ISO-8601 text.
//!
//! Sources: AWS guide `connect-stepfunctions.html`,
//! `concepts-nested-workflows.html`, `supported-services-awssdk.html`
//! (error names); the `startExecution` TaskSucceeded output recorded against
//! AWS in LocalStack's `test_sfn_task_service.snapshot.json`.

use std::time::{Instant, SystemTime};

use serde_json::{json, Map, Value as Json};

use super::executions::{prepare, record_outcome};
use super::Request;
use crate::api::registry::{ExecutionRecord, Progress};
use crate::api::{ApiError, Service};
use crate::engine::{ExecutionOutcome, ExecutionStatus};
use crate::errors::{names, ExecError};
use crate::json::Value;

/// Which Step Functions integration a Task Resource names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Integration {
    /// `states:startExecution` (request-response).
    Start,
    /// `states:startExecution.sync`: waits, Output as JSON text.
    Sync,
    /// `states:startExecution.sync:2`: waits, Output parsed.
    Sync2,
    /// `aws-sdk:sfn:startExecution`.
    SdkStart,
    /// `aws-sdk:sfn:startSyncExecution`.
    SdkStartSync,
}

impl Integration {
    /// The integration of `resource` (`arn:PARTITION:states:::…`), if any.
    pub(crate) fn parse(resource: &str) -> Option<Self> {
        let rest = resource.strip_prefix("arn:")?;
        let (partition, rest) = rest.split_once(':')?;
        if !partition.starts_with("aws") {
            return None;
        }
        match rest.strip_prefix("states:::")? {
            "states:startExecution" => Some(Integration::Start),
            "states:startExecution.sync" => Some(Integration::Sync),
            "states:startExecution.sync:2" => Some(Integration::Sync2),
            "aws-sdk:sfn:startExecution" => Some(Integration::SdkStart),
            "aws-sdk:sfn:startSyncExecution" => Some(Integration::SdkStartSync),
            _ => None,
        }
    }

    fn is_sdk(self) -> bool {
        matches!(self, Integration::SdkStart | Integration::SdkStartSync)
    }
}

/// Runs the Task: starts the child named by the Task's effective `input`
/// and shapes the result as AWS does (module docs).
///
/// # Errors
/// `States.TaskFailed` for a `.sync` child that did not succeed;
/// `StepFunctions.*Exception` / `Sfn.*Exception` for API errors;
/// `States.Runtime` when the parameters are not an object.
pub(crate) async fn run(
    service: &Service,
    integration: Integration,
    input: &Value,
) -> Result<Value, ExecError> {
    let params: Json = serde_json::from_str(&crate::json::to_string(input))
        .map_err(|e| ExecError::runtime(e.to_string()))?;
    let Some(params) = params.as_object() else {
        return Err(ExecError::runtime(
            "the parameters of a Step Functions Task must be an object",
        ));
    };
    let request = request(params, integration);
    let req = Request::new(&request).map_err(|e| api_error(integration, &e))?;
    let result = match integration {
        Integration::Start | Integration::SdkStart => {
            let reply =
                super::executions::start(service, &req).map_err(|e| api_error(integration, &e))?;
            let start = reply["startDate"].as_f64().unwrap_or_default();
            let mut out = json!({
                "ExecutionArn": reply["executionArn"],
                "StartDate": date(integration, start),
            });
            if integration == Integration::Start {
                sdk_metadata(&mut out);
            }
            out
        }
        Integration::SdkStartSync => {
            let reply = super::executions::start_sync(service, &req)
                .await
                .map_err(|e| api_error(integration, &e))?;
            pascal(integration, &reply)
        }
        Integration::Sync | Integration::Sync2 => {
            let described = run_to_end(service, &req)
                .await
                .map_err(|e| api_error(integration, &e))?;
            let mut out = pascal(integration, &described);
            if integration == Integration::Sync2 {
                for key in ["Input", "Output"] {
                    if let Some(parsed) =
                        out[key].as_str().and_then(|t| serde_json::from_str(t).ok())
                    {
                        out[key] = parsed;
                    }
                }
            }
            if described["status"] != "SUCCEEDED" {
                return Err(ExecError::new(names::TASK_FAILED, out.to_string()));
            }
            out
        }
    };
    crate::json::parse(&result.to_string()).map_err(|e| ExecError::runtime(e.to_string()))
}

/// The camelCase API request for the Task's PascalCase parameters.
fn request(params: &Map<String, Json>, integration: Integration) -> Json {
    let mut req = Map::new();
    if let Some(arn) = params.get("StateMachineArn") {
        req.insert("stateMachineArn".into(), arn.clone());
    }
    if let Some(name) = params.get("Name") {
        req.insert("name".into(), name.clone());
    }
    let input = match params.get("Input") {
        None | Some(Json::Null) => Json::String("{}".into()),
        Some(Json::String(text)) => Json::String(text.clone()),
        Some(other) => Json::String(other.to_string()),
    };
    req.insert("input".into(), input);
    if integration.is_sdk() {
        if let Some(trace) = params.get("TraceHeader") {
            req.insert("traceHeader".into(), trace.clone());
        }
    }
    Json::Object(req)
}

/// Starts the child like StartExecution (admitted, recorded for
/// DescribeExecution) and waits for its end; answers the DescribeExecution
/// shape. STANDARD and EXPRESS children alike.
async fn run_to_end(service: &Service, req: &Request<'_>) -> Result<Json, ApiError> {
    let start = prepare(service, req, false)?;
    let options = start.options.clone();
    let metrics = crate::metrics::executions(&options.state_machine_name);
    let Ok(_permit) = service
        .inner
        .admission
        .admit(&options.state_machine_name)
        .await
    else {
        metrics.throttled();
        return Err(ApiError::Throttling);
    };
    service.inner.executions.insert(ExecutionRecord {
        arn: options.execution_arn.clone(),
        state_machine_arn: options.state_machine_arn.clone(),
        name: options.name.clone(),
        input: start.input_text.to_owned(),
        start: options.start_time,
        progress: Progress::Running,
        abort: None,
    });
    metrics.started();
    let began = Instant::now();
    let run = service
        .inner
        .engine
        .execute(start.machine, start.input, start.options);
    let executions = &service.inner.executions;
    if let Some(status) = record_outcome(executions, &options.execution_arn, run).await {
        metrics.finished(status, began.elapsed());
    }
    let outcome = match executions.get(&options.execution_arn).map(|r| r.progress) {
        Some(Progress::Done(outcome)) => outcome,
        // Evicted from the record meanwhile: report it as lost.
        _ => ExecutionOutcome {
            status: ExecutionStatus::Failed,
            output: None,
            error: Some(names::RUNTIME.to_owned()),
            cause: Some("the execution record was evicted".to_owned()),
            stop_time: SystemTime::now(),
        },
    };
    let mut out = json!({
        "executionArn": options.execution_arn,
        "stateMachineArn": options.state_machine_arn,
        "name": options.name,
        "status": outcome.status.as_str(),
        "startDate": crate::api::epoch_seconds(options.start_time),
        "stopDate": crate::api::epoch_seconds(outcome.stop_time),
        "input": start.input_text,
        "inputDetails": {"included": true},
    });
    if let Some(output) = &outcome.output {
        out["output"] = Json::String(crate::json::to_string(output));
        out["outputDetails"] = json!({"included": true});
    }
    if let Some(error) = &outcome.error {
        out["error"] = Json::String(error.clone());
    }
    if let Some(cause) = &outcome.cause {
        out["cause"] = Json::String(cause.clone());
    }
    Ok(out)
}

/// A date as the integration shows it: epoch milliseconds (optimized) or
/// ISO-8601 with milliseconds (SDK). `seconds` is epoch seconds.
fn date(integration: Integration, seconds: f64) -> Json {
    let millis = (seconds * 1000.0).round() as i64;
    if integration.is_sdk() {
        match chrono::DateTime::<chrono::Utc>::from_timestamp_millis(millis) {
            Some(t) => Json::String(t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()),
            None => Json::Null,
        }
    } else {
        Json::from(millis)
    }
}

/// An API response in the PascalCase the integrations return, dates converted.
fn pascal(integration: Integration, v: &Json) -> Json {
    match v {
        Json::Object(map) => Json::Object(
            map.iter()
                .map(|(k, v)| {
                    let value = match (k.as_str(), v.as_f64()) {
                        ("startDate" | "stopDate", Some(s)) => date(integration, s),
                        _ => pascal(integration, v),
                    };
                    (upper_first(k), value)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

fn upper_first(k: &str) -> String {
    let mut chars = k.chars();
    match chars.next() {
        Some(c) => c.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// The HTTP metadata optimized integrations add to a response.
fn sdk_metadata(out: &mut Json) {
    let request_id = uuid::Uuid::new_v4().to_string();
    let length = out.to_string().len().to_string();
    let date = chrono::Utc::now()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    out["SdkHttpMetadata"] = json!({
        "AllHttpHeaders": {
            "x-amzn-RequestId": [request_id],
            "connection": ["keep-alive"],
            "Content-Length": [length],
            "Date": [date],
            "Content-Type": [crate::api::error::CONTENT_TYPE],
        },
        "HttpHeaders": {
            "connection": "keep-alive",
            "Content-Length": length,
            "Content-Type": crate::api::error::CONTENT_TYPE,
            "Date": date,
            "x-amzn-RequestId": request_id,
        },
        "HttpStatusCode": 200,
    });
    out["SdkResponseMetadata"] = json!({ "RequestId": request_id });
}

/// An API error as the Task's error: `StepFunctions.<Code>Exception`
/// (optimized) or `Sfn.<Code>Exception` (SDK), with the Java SDK's cause.
fn api_error(integration: Integration, e: &ApiError) -> ExecError {
    let code = e.code();
    let suffix = if code.ends_with("Exception") {
        ""
    } else {
        "Exception"
    };
    let request_id = uuid::Uuid::new_v4();
    let status = e.status().as_u16();
    if integration.is_sdk() {
        ExecError::new(
            format!("Sfn.{code}{suffix}"),
            format!(
                "{} (Service: Sfn, Status Code: {status}, Request ID: {request_id})",
                e.message()
            ),
        )
    } else {
        ExecError::new(
            format!("StepFunctions.{code}{suffix}"),
            format!(
                "{} (Service: AWSStepFunctions; Status Code: {status}; Error Code: {code}; Request ID: {request_id}; Proxy: null)",
                e.message()
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources() {
        let p = Integration::parse;
        assert_eq!(
            p("arn:aws:states:::states:startExecution"),
            Some(Integration::Start)
        );
        assert_eq!(
            p("arn:aws:states:::states:startExecution.sync"),
            Some(Integration::Sync)
        );
        assert_eq!(
            p("arn:aws:states:::states:startExecution.sync:2"),
            Some(Integration::Sync2)
        );
        assert_eq!(
            p("arn:aws:states:::aws-sdk:sfn:startExecution"),
            Some(Integration::SdkStart)
        );
        assert_eq!(
            p("arn:aws-cn:states:::aws-sdk:sfn:startSyncExecution"),
            Some(Integration::SdkStartSync)
        );
        assert_eq!(p("arn:aws:states:::lambda:invoke"), None);
        assert_eq!(p("arn:aws:states:::states:startExecution.sync:3"), None);
    }

    #[test]
    fn error_names() {
        let e = ApiError::StateMachineDoesNotExist("arn:x".into());
        let opt = api_error(Integration::Sync, &e);
        assert_eq!(opt.error, "StepFunctions.StateMachineDoesNotExistException");
        assert!(opt.cause.starts_with("State Machine Does Not Exist: 'arn:x' (Service: AWSStepFunctions; Status Code: 400; Error Code: StateMachineDoesNotExist; Request ID: "));
        let sdk = api_error(Integration::SdkStart, &e);
        assert_eq!(sdk.error, "Sfn.StateMachineDoesNotExistException");
        let v = api_error(Integration::Start, &ApiError::Validation("x".into()));
        assert_eq!(v.error, "StepFunctions.ValidationException");
    }

    #[test]
    fn dates() {
        assert_eq!(date(Integration::Sync, 1.5), json!(1500));
        assert_eq!(
            date(Integration::SdkStart, 1.5),
            json!("1970-01-01T00:00:01.500Z")
        );
    }
}
