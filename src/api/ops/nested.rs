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

use serde_json::{json, Value as Json};
use simd_json::prelude::*;

use super::executions::{put_outcome, sync_response, StartFields};
use crate::api::{epoch_seconds, ApiError, Service};
use crate::engine::ExecutionOptions;
use crate::engine::ExecutionOutcome;
use crate::errors::{names, ExecError};
use crate::json::Value;
use crate::start::{StartInput, StartRequest};

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
/// through the start path and shapes the result as AWS does (module docs).
/// An object `Input` reaches the child as the value it is (no text round
/// trip); text `Input` is parsed as StartExecution's `input` is.
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
    let Value::Object(params) = input else {
        return Err(ExecError::runtime(
            "the parameters of a Step Functions Task must be an object",
        ));
    };
    let text = |key: &str| -> Result<Option<String>, ApiError> {
        match params.get(key).filter(|v| !v.is_null()) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.to_string())),
            Some(_) => Err(ApiError::Serialization(format!(
                "Unexpected value type for field '{}': expected a string",
                lower_first(key)
            ))),
        }
    };
    let fail = |e: ApiError| api_error(integration, &e);
    let arn = text("StateMachineArn").map_err(fail)?;
    let name = text("Name").map_err(fail)?;
    let trace = if integration.is_sdk() {
        text("TraceHeader").map_err(fail)?
    } else {
        None
    };
    // `Input`: JSON text as given, any other value as the document itself;
    // the model's size constraint applies to its text either way.
    let (input_text, input_value) = match params.get("Input").filter(|v| !v.is_null()) {
        None => ("{}".to_owned(), None),
        Some(Value::String(t)) => (t.to_string(), None),
        Some(other) => (crate::json::to_string(other), Some(other.clone())),
    };
    let fields = StartFields {
        state_machine_arn: arn.as_deref(),
        name: name.as_deref(),
        input: Some(&input_text),
        trace_header: trace.as_deref(),
        included_data: None,
    };
    fields.check(false).map_err(fail)?;
    let request = StartRequest {
        input: match input_value {
            Some(v) => StartInput::Value(v),
            None => StartInput::Text(&input_text),
        },
        ..fields.request()
    };
    let starter = service.starter();
    let result = match integration {
        Integration::Start | Integration::SdkStart => {
            let started = starter.start(request).await.map_err(|e| fail(e.into()))?;
            let mut out = json!({
                "ExecutionArn": started.execution_arn,
                "StartDate": date(integration, epoch_seconds(started.start_time)),
            });
            if integration == Integration::Start {
                sdk_metadata(&mut out);
            }
            out
        }
        Integration::SdkStartSync => {
            let done = starter
                .start_sync(request)
                .await
                .map_err(|e| fail(e.into()))?;
            pascal(integration, &sync_response(&fields, &done))
        }
        Integration::Sync | Integration::Sync2 => {
            // Like StartExecution (admitted, recorded for
            // DescribeExecution), then waits for the end; STANDARD and
            // EXPRESS children alike.
            let started = starter.start(request).await.map_err(|e| fail(e.into()))?;
            let options = ExecutionOptions {
                execution_arn: started.execution_arn.clone(),
                name: started.name.clone(),
                state_machine_arn: started.state_machine_arn.clone(),
                state_machine_name: "".into(),
                role_arn: String::new(),
                start_time: started.start_time,
                test_case: None,
                redrive_count: Some(0),
            };
            let outcome = started.outcome().await;
            let described = described(&options, &input_text, &outcome);
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

/// The DescribeExecution shape of an ended child.
fn described(options: &ExecutionOptions, input: &str, outcome: &ExecutionOutcome) -> Json {
    let mut out = json!({
        "executionArn": options.execution_arn,
        "stateMachineArn": options.state_machine_arn,
        "name": options.name,
        "status": outcome.status.as_str(),
        "startDate": epoch_seconds(options.start_time),
        "stopDate": epoch_seconds(outcome.stop_time),
        "input": input,
        "inputDetails": {"included": true},
    });
    put_outcome(&mut out, outcome, true);
    out
}

fn lower_first(k: &str) -> String {
    let mut chars = k.chars();
    match chars.next() {
        Some(c) => c.to_ascii_lowercase().to_string() + chars.as_str(),
        None => String::new(),
    }
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
