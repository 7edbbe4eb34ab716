//! TestState: runs one state's definition in isolation on the engine's own
//! step code ([`crate::engine::Engine::test_state`]) and reports its
//! output, error, next state and, at `inspectionLevel` DEBUG or TRACE, each
//! step of its data flow (`inspectionData`). This module only maps the wire.
//!
//! Every state type is tested: Pass, Task (resolved as in executions:
//! handlers, mock file, Lambda, HTTP, activities, nested executions),
//! Choice, Wait (never waits), Succeed, Fail, Parallel and Map (their
//! branches and iterations run in full), in JSONPath and JSONata. A
//! `mock` (`result` or `errorOutput`) replaces the Task, Parallel or Map
//! work. An error matched by a Retrier answers `RETRIABLE` (TestState never
//! retries), one matched by a Catcher `CAUGHT_ERROR` with the Catcher's
//! Next and output, else `FAILED`. `variables` (a JSON object as text) are
//! in scope. With `stateName`, `definition` is a whole state machine and
//! the named top-level state is tested.
//!
//! Source: API reference `API_TestState`, `API_InspectionData`,
//! `API_MockInput`; AWS guide `test-state-isolation.html`.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::{json, Map, Value as Json};

use super::Request;
use crate::api::error::{ApiError, Constraints};
use crate::api::Service;
use crate::compile::{Machine, StateId};
use crate::engine::{ErrorDetails, ExecutionOptions, Inspection, Mock, StateTest, TestStatus};
use crate::errors::ExecError;

/// The name the tested state takes in its one-state machine.
const TESTED: &str = "TestState";
/// Largest definition (model constraint).
const MAX_DEFINITION: usize = 1_048_576;

/// `TestState {definition, roleArn?, input?, inspectionLevel?, revealSecrets?,
/// variables?, mock?, stateName?}` → `{status, output?, error?, cause?,
/// nextState?, inspectionData?}`.
///
/// # Errors
/// ValidationException (constraints, a `stateName` not in the machine, bad
/// `variables` or `mock`), InvalidDefinition (not one valid state, or not a
/// valid machine with `stateName`), InvalidExecutionInput.
pub(crate) async fn test_state(service: &Service, req: &Request<'_>) -> Result<Json, ApiError> {
    let definition = req.str("definition")?;
    let input = req.str("input")?;
    let level = req.str("inspectionLevel")?;
    let variables = req.str("variables")?;
    let state_name = req.str("stateName")?;
    let mock = req.object("mock")?;
    req.bool("revealSecrets")?;
    let mut c = Constraints::default();
    c.required("definition", definition);
    c.sensitive_length("definition", definition, MAX_DEFINITION);
    c.length("roleArn", req.str("roleArn")?, 1, 256);
    c.sensitive_size("input", input, crate::errors::MAX_PAYLOAD_BYTES);
    c.one_of("inspectionLevel", level, &["INFO", "DEBUG", "TRACE"]);
    c.length("stateName", state_name, 1, 80);
    c.finish()?;
    let definition = definition.unwrap_or_default();
    let machine = match state_name {
        None => one_state_machine(definition)?,
        Some(name) => machine_from(definition, name)?,
    };
    let input = crate::json::parse(input.unwrap_or("{}"))
        .map_err(|e| ApiError::InvalidExecutionInput(e.to_string()))?;
    let variables = match variables {
        Some(text) => Some(
            crate::json::parse(text)
                .map_err(|e| ApiError::Validation(format!("variables is not JSON: {e}")))?,
        ),
        None => None,
    };
    let mock = mock.map(read_mock).transpose()?;
    let config = service.config();
    let machine_arn = crate::start::arn::state_machine(&config.region, &config.account, TESTED);
    let options = ExecutionOptions {
        execution_arn: crate::start::arn::express_execution(&machine_arn, "test"),
        name: "test".to_owned(),
        state_machine_arn: machine_arn,
        state_machine_name: TESTED.into(),
        role_arn: req.str("roleArn")?.unwrap_or_default().to_owned(),
        start_time: std::time::SystemTime::now(),
        test_case: None,
        redrive_count: None,
    };
    let outcome = service
        .engine()
        .test_state(StateTest {
            machine,
            input,
            variables,
            mock,
            options,
        })
        .await;
    let mut out = Map::new();
    out.insert("status".into(), outcome.status.as_str().into());
    if let Some(output) = &outcome.output {
        out.insert("output".into(), crate::json::to_string(output).into());
    }
    if let Some(ExecError { error, cause }) = &outcome.error {
        out.insert("error".into(), error.as_str().into());
        out.insert("cause".into(), cause.as_str().into());
    }
    if let (Some(next), true) = (&outcome.next_state, outcome.status != TestStatus::Failed) {
        out.insert("nextState".into(), next.as_ref().into());
    }
    if matches!(level, Some("DEBUG" | "TRACE")) {
        out.insert(
            "inspectionData".into(),
            inspection_data(&outcome.inspection),
        );
    }
    Ok(Json::Object(out))
}

/// `inspectionData` (`API_InspectionData`): the data-flow values as JSON
/// texts, a Map's evaluated settings as numbers, `errorDetails`.
fn inspection_data(inspection: &Inspection) -> Json {
    let mut data: Map<String, Json> = inspection
        .entries()
        .map(|(k, v)| (k.to_owned(), Json::String(crate::json::to_string(v))))
        .collect();
    if let Some(n) = inspection.max_concurrency {
        data.insert("maxConcurrency".into(), n.into());
    }
    if let Some(n) = inspection.tolerated_failure_count {
        data.insert("toleratedFailureCount".into(), n.into());
    }
    if let Some(p) = inspection.tolerated_failure_percentage {
        data.insert("toleratedFailurePercentage".into(), p.into());
    }
    match inspection.error_details {
        Some(ErrorDetails::Caught { catch_index }) => {
            data.insert("errorDetails".into(), json!({ "catchIndex": catch_index }));
        }
        Some(ErrorDetails::Retried {
            retry_index,
            backoff_seconds,
        }) => {
            data.insert(
                "errorDetails".into(),
                json!({
                    "retryIndex": retry_index,
                    "retryBackoffIntervalSeconds": backoff_seconds.round().clamp(0.0, i32::MAX as f64) as i32,
                }),
            );
        }
        None => {}
    }
    Json::Object(data)
}

/// `mock`: `{result}` (JSON text) or `{errorOutput: {error, cause}}`,
/// exactly one of them (`API_MockInput`; `fieldValidationMode` is accepted
/// and not applied).
fn read_mock(mock: &Map<String, Json>) -> Result<Mock, ApiError> {
    let invalid = |m: &str| ApiError::Validation(format!("mock: {m}"));
    match (mock.get("result"), mock.get("errorOutput")) {
        (Some(Json::String(text)), None) => crate::json::parse(text)
            .map(Mock::Result)
            .map_err(|e| invalid(&format!("result is not JSON: {e}"))),
        (None, Some(Json::Object(e))) => {
            let field = |k: &str| e.get(k).and_then(Json::as_str).unwrap_or_default();
            Ok(Mock::Error(ExecError::new(field("error"), field("cause"))))
        }
        (Some(_), Some(_)) => Err(invalid("give either result or errorOutput, not both")),
        _ => Err(invalid(
            "result must be a JSON text, or errorOutput an object {error, cause}",
        )),
    }
}

/// With `stateName`: `definition` is a whole machine and the top-level
/// state `name` is tested, as the start of a copy of its graph.
fn machine_from(definition: &str, name: &str) -> Result<Arc<Machine>, ApiError> {
    let mut machine =
        crate::compile::load(definition).map_err(|e| ApiError::InvalidDefinition(e.to_string()))?;
    let Some(id) = machine.graph.states.iter().position(|s| &*s.name == name) else {
        return Err(ApiError::Validation(format!(
            "stateName '{name}' is not a top-level state of the definition"
        )));
    };
    machine.graph.start = StateId(id as u32);
    Ok(Arc::new(machine))
}

/// Compiles `definition` (one state) as the only state of a machine; every
/// state it may go to becomes a Succeed stub, so the graph validates.
fn one_state_machine(definition: &str) -> Result<Arc<Machine>, ApiError> {
    let invalid =
        |m: String| ApiError::InvalidDefinition(format!("Invalid State Machine Definition: '{m}'"));
    let state: Json = serde_json::from_str(definition).map_err(|e| invalid(e.to_string()))?;
    let Some(fields) = state.as_object() else {
        return Err(invalid(
            "the definition must be one state, a JSON object".into(),
        ));
    };
    let mut targets = BTreeSet::new();
    let mut collect = |v: Option<&Json>| {
        if let Some(name) = v.and_then(Json::as_str) {
            targets.insert(name.to_owned());
        }
    };
    collect(fields.get("Next"));
    collect(fields.get("Default"));
    for list in ["Choices", "Catch"] {
        for item in fields
            .get(list)
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            collect(item.get("Next"));
        }
    }
    let mut states = Map::new();
    states.insert(TESTED.into(), state.clone());
    for name in targets.into_iter().filter(|n| n != TESTED) {
        states.insert(name, json!({"Type": "Succeed"}));
    }
    let machine = json!({"StartAt": TESTED, "States": states}).to_string();
    let compiled =
        crate::compile::load(&machine).map_err(|e| ApiError::InvalidDefinition(e.to_string()))?;
    Ok(Arc::new(compiled))
}
