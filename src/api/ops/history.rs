//! Operations on one retained execution's past: GetExecutionHistory,
//! DescribeStateMachineForExecution and RedriveExecution.
//!
//! **GetExecutionHistory** answers from the console's record
//! ([`crate::console::history::Recorder`]): the observer events of each
//! execution started with StartExecution, kept once as Step Functions'
//! execution log lines ([`crate::telemetry::log`]) and numbered as AWS
//! numbers history events. Each line becomes a `HistoryEvent`
//! (`timestamp`, `type`, `id`, `previousEventId` and the details structure
//! botocore names after the type: `executionStartedEventDetails`,
//! `stateEnteredEventDetails`, `taskScheduledEventDetails`, …). An
//! execution whose events were not kept (the recorder's sample under load,
//! or its bounds) answers the two events its record holds: ExecutionStarted
//! and, once it ended, its closing event.
//!
//! AWS answers these operations for STANDARD executions only; expressway
//! serves them for every execution it retains (StartExecution, EXPRESS
//! included). Sources: API reference `API_GetExecutionHistory.html`,
//! `API_DescribeStateMachineForExecution.html`, `API_RedriveExecution.html`.

use serde_json::{json, Map, Value as Json};

use super::{Page, Request};
use crate::api::error::{ApiError, Constraints};
use crate::api::{epoch_seconds, Service};
use crate::console::history::Recorded;
use crate::start::{ExecutionRecord, Progress};

/// The longest execution ARN (model constraint).
const MAX_ARN_LEN: usize = 256;

/// Reads `executionArn` and answers its retained record.
async fn record(service: &Service, req: &Request<'_>) -> Result<ExecutionRecord, ApiError> {
    let execution_arn = req.str("executionArn")?;
    let mut c = Constraints::default();
    c.required("executionArn", execution_arn);
    c.length("executionArn", execution_arn, 1, MAX_ARN_LEN);
    c.finish()?;
    Ok(service
        .starter()
        .describe(execution_arn.unwrap_or_default())
        .await?)
}

/// The details member of a history event type (`None`: the type has none).
fn details_key(kind: &str) -> Option<String> {
    if kind.ends_with("StateEntered") {
        return Some("stateEnteredEventDetails".into());
    }
    if kind.ends_with("StateExited") {
        return Some("stateExitedEventDetails".into());
    }
    match kind {
        "ParallelStateStarted"
        | "ParallelStateSucceeded"
        | "ParallelStateFailed"
        | "ParallelStateAborted"
        | "MapStateSucceeded"
        | "MapStateFailed"
        | "MapStateAborted" => None,
        _ => {
            let mut chars = kind.chars();
            let first = chars.next()?.to_ascii_lowercase();
            Some(format!("{first}{}EventDetails", chars.as_str()))
        }
    }
}

/// The execution-data members (left out with `includeExecutionData: false`).
const DATA_KEYS: [&str; 5] = [
    "input",
    "inputDetails",
    "output",
    "outputDetails",
    "parameters",
];

/// One history event from a recorded execution log line, or `None` for a
/// line that does not parse (never written by the recorder).
fn event_of(line: &str, at_us: u64, with_data: bool) -> Option<Json> {
    let parsed: Json = serde_json::from_str(line).ok()?;
    let kind = parsed["type"].as_str()?;
    let id: u64 = parsed["id"].as_str()?.parse().ok()?;
    let previous: u64 = parsed["previous_event_id"].as_str()?.parse().ok()?;
    #[allow(clippy::cast_precision_loss)] // µs since 1970 fit in f64's 53 bits
    let mut event = json!({
        "timestamp": at_us as f64 / 1e6,
        "type": kind,
        "id": id,
        "previousEventId": previous,
    });
    if let (Some(key), Some(details)) = (details_key(kind), parsed["details"].as_object()) {
        let mut details: Map<String, Json> = details.clone();
        if !with_data {
            for k in DATA_KEYS {
                details.remove(k);
            }
        }
        event[key] = Json::Object(details);
    }
    Some(event)
}

/// The two events an execution's record holds, when its trace was not kept.
fn events_of_record(record: &ExecutionRecord, with_data: bool) -> Vec<Json> {
    let role = record
        .origin
        .as_ref()
        .map(|o| o.machine.role_arn.clone())
        .unwrap_or_default();
    let mut started = json!({"roleArn": role});
    if with_data {
        started["input"] = Json::String(record.input.clone());
        started["inputDetails"] = json!({"truncated": false});
    }
    let mut events = vec![json!({
        "timestamp": epoch_seconds(record.start),
        "type": "ExecutionStarted",
        "id": 1,
        "previousEventId": 0,
        "executionStartedEventDetails": started,
    })];
    if let Progress::Done(outcome) = &record.progress {
        let kind = match outcome.status.as_str() {
            "SUCCEEDED" => "ExecutionSucceeded",
            "TIMED_OUT" => "ExecutionTimedOut",
            "ABORTED" => "ExecutionAborted",
            _ => "ExecutionFailed",
        };
        let mut details = Map::new();
        if let Some(output) = outcome.output.as_ref().filter(|_| with_data) {
            details.insert(
                "output".into(),
                Json::String(crate::json::to_string(output)),
            );
            details.insert("outputDetails".into(), json!({"truncated": false}));
        }
        if let Some(e) = &outcome.error {
            details.insert("error".into(), Json::String(e.clone()));
        }
        if let Some(c) = &outcome.cause {
            details.insert("cause".into(), Json::String(c.clone()));
        }
        let mut event = json!({
            "timestamp": epoch_seconds(outcome.stop_time),
            "type": kind,
            "id": 2,
            "previousEventId": 1,
        });
        if let Some(key) = details_key(kind) {
            event[key] = Json::Object(details);
        }
        events.push(event);
    }
    events
}

/// GetExecutionHistory: oldest first (`reverseOrder`: newest first),
/// paginated (`maxResults` 0–1000, 0 = 100); `includeExecutionData`
/// (default true) keeps inputs, outputs and Task parameters.
pub(crate) async fn get_history(service: &Service, req: &Request<'_>) -> Result<Json, ApiError> {
    let reverse = req.bool("reverseOrder")?.unwrap_or(false);
    let with_data = req.bool("includeExecutionData")?.unwrap_or(true);
    let page = Page::read(req)?;
    let record = record(service, req).await?;
    let trace = service.console().recorder().get(&record.arn);
    let mut events: Vec<Json> = match trace {
        Some(trace) => trace
            .snapshot()
            .events
            .iter()
            .filter_map(|e| match e {
                Recorded::History { line, at_us, .. } => event_of(line, *at_us, with_data),
                Recorded::StateFailed { .. } => None,
            })
            .collect(),
        None => events_of_record(&record, with_data),
    };
    if let (Some(origin), Some(first)) = (&record.origin, events.first_mut()) {
        let details = &mut first["executionStartedEventDetails"];
        if details.is_object() {
            if let Some(v) = &origin.version_arn {
                details["stateMachineVersionArn"] = Json::String(v.clone());
            }
            if let Some(a) = &origin.alias_arn {
                details["stateMachineAliasArn"] = Json::String(a.clone());
            }
        }
    }
    if reverse {
        events.reverse();
    }
    let (events, next) = page.take(events);
    let mut out = json!({ "events": events });
    if let Some(token) = next {
        out["nextToken"] = Json::String(token);
    }
    Ok(out)
}

/// DescribeStateMachineForExecution: the state machine as the execution ran
/// it (a version's ARN when it was started through a version or alias).
pub(crate) async fn describe_machine(
    service: &Service,
    req: &Request<'_>,
) -> Result<Json, ApiError> {
    let included = req.str("includedData")?;
    let mut c = Constraints::default();
    c.one_of("includedData", included, &["ALL_DATA", "METADATA_ONLY"]);
    c.finish()?;
    let record = record(service, req).await?;
    let (machine, arn) = match &record.origin {
        Some(origin) => (
            std::sync::Arc::clone(&origin.machine),
            origin
                .version_arn
                .clone()
                .unwrap_or_else(|| origin.machine.arn.clone()),
        ),
        None => {
            let machine = service
                .starter()
                .state_machine(&record.state_machine_arn)
                .ok_or_else(|| ApiError::ExecutionDoesNotExist(record.arn.clone()))?;
            let arn = machine.arn.clone();
            (machine, arn)
        }
    };
    let mut out = json!({
        "stateMachineArn": arn,
        "name": machine.name,
        "definition": machine.machine.definition,
        "roleArn": machine.role_arn,
        "updateDate": epoch_seconds(machine.created),
        "loggingConfiguration": machine.logging,
        "tracingConfiguration": machine.tracing,
    });
    if let Some(id) = &machine.revision_id {
        out["revisionId"] = Json::String(id.clone());
    }
    Ok(out)
}

/// RedriveExecution. AWS redrives STANDARD executions only: an EXPRESS
/// execution ARN answers `InvalidArn` (`Resource type not valid in this
/// context: express`). A retained STANDARD execution answers
/// `ExecutionNotRedrivable`: a running or succeeded one with AWS's
/// reasons; a failed, timed-out or aborted one because expressway keeps no
/// per-state results to continue from (a redrive resumes at the failed
/// state without re-running the succeeded ones, AWS guide
/// `redrive-executions.html`).
pub(crate) async fn redrive(service: &Service, req: &Request<'_>) -> Result<Json, ApiError> {
    let execution_arn = req.str("executionArn")?;
    let token = req.str("clientToken")?;
    let mut c = Constraints::default();
    c.required("executionArn", execution_arn);
    c.length("executionArn", execution_arn, 1, MAX_ARN_LEN);
    c.length("clientToken", token, 1, 64);
    c.finish()?;
    let execution_arn = execution_arn.unwrap_or_default();
    crate::start::arn::parse_execution(execution_arn)?;
    if execution_arn.split(':').nth(5) == Some("express") {
        return Err(ApiError::InvalidArn(
            "Resource type not valid in this context: express".into(),
        ));
    }
    let record = service.starter().describe(execution_arn).await?;
    let reason = match &record.progress {
        Progress::Running => "Execution is RUNNING and cannot be redriven".to_owned(),
        Progress::Done(o) if o.status.as_str() == "SUCCEEDED" => {
            "Execution is SUCCEEDED and cannot be redriven".to_owned()
        }
        Progress::Done(o) => format!(
            "Execution is {} and cannot be redriven: expressway keeps no per-state results to redrive from",
            o.status.as_str()
        ),
    };
    Err(ApiError::ExecutionNotRedrivable(reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_members_follow_botocore_names() {
        assert_eq!(
            details_key("ExecutionStarted").as_deref(),
            Some("executionStartedEventDetails")
        );
        assert_eq!(
            details_key("PassStateEntered").as_deref(),
            Some("stateEnteredEventDetails")
        );
        assert_eq!(
            details_key("TaskStateExited").as_deref(),
            Some("stateExitedEventDetails")
        );
        assert_eq!(
            details_key("TaskScheduled").as_deref(),
            Some("taskScheduledEventDetails")
        );
        assert_eq!(
            details_key("MapIterationStarted").as_deref(),
            Some("mapIterationStartedEventDetails")
        );
        assert_eq!(details_key("ParallelStateStarted"), None);
    }

    #[test]
    fn log_lines_become_history_events() {
        let line = r#"{"id":"3","type":"TaskScheduled","details":{"parameters":"{}","region":"us-east-1","resource":"invoke","resourceType":"lambda"},"previous_event_id":"2","event_timestamp":"1","execution_arn":"a","redrive_count":"0"}"#;
        let event = event_of(line, 1_500_000, true).expect("event");
        assert_eq!(event["id"], 3);
        assert_eq!(event["previousEventId"], 2);
        assert_eq!(event["timestamp"], 1.5);
        assert_eq!(event["taskScheduledEventDetails"]["resourceType"], "lambda");
        let without = event_of(line, 0, false).expect("event");
        assert!(without["taskScheduledEventDetails"]
            .get("parameters")
            .is_none());
    }
}
