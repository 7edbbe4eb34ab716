//! TestState: runs one state's definition in isolation and reports its
//! output, error, next state and, at `inspectionLevel` DEBUG or TRACE, each
//! step of the JSONPath data flow (`inspectionData`).
//!
//! Supported: Pass, Task (resolved as in executions: handlers, mock-free
//! Lambda, HTTP, activities, nested executions), Choice, Wait (never waits),
//! Succeed, Fail, in JSONPath. A Task error matched by a Retrier answers
//! `RETRIABLE` (TestState never retries), one matched by a Catcher
//! `CAUGHT_ERROR` with the Catcher's Next and output, else `FAILED`.
//! `variables` (a JSON object as text) are visible to `$var` paths.
//! Not supported here: Parallel, Map and JSONata states (ValidationException).
//!
//! Source: API reference `API_TestState`, `API_InspectionData`; AWS guide
//! `test-state-isolation.html`.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value as Json};
use simd_json::prelude::*;

use super::Request;
use crate::api::error::{ApiError, Constraints};
use crate::api::Service;
use crate::compile::{Graph, IoPath, Kind, ResultPath, Seconds, State, StringSource, Transition};
use crate::errors::{names, ExecError};
use crate::json::path::Selected;
use crate::json::{Object, Scope, Value};
use crate::tasks::TaskCall;

/// The name the tested state takes in its one-state machine.
const TESTED: &str = "TestState";
/// Largest definition (model constraint).
const MAX_DEFINITION: usize = 1_048_576;

/// `TestState {definition, roleArn?, input?, inspectionLevel?, revealSecrets?,
/// variables?}` → `{status, output?, error?, cause?, nextState?, inspectionData?}`.
///
/// # Errors
/// ValidationException (constraints, unsupported state types),
/// InvalidDefinition (not one valid state), InvalidExecutionInput.
pub(crate) async fn test_state(service: &Service, req: &Request<'_>) -> Result<Json, ApiError> {
    let definition = req.str("definition")?;
    let input = req.str("input")?;
    let level = req.str("inspectionLevel")?;
    let variables = req.str("variables")?;
    req.bool("revealSecrets")?;
    let mut c = Constraints::default();
    c.required("definition", definition);
    c.sensitive_length("definition", definition, MAX_DEFINITION);
    c.length("roleArn", req.str("roleArn")?, 1, 256);
    c.sensitive_size("input", input, crate::errors::MAX_PAYLOAD_BYTES);
    c.one_of("inspectionLevel", level, &["INFO", "DEBUG", "TRACE"]);
    c.finish()?;
    let graph = one_state_machine(definition.unwrap_or_default())?;
    let st = graph.state(graph.start);
    if st.jsonata || matches!(st.kind, Kind::Parallel { .. } | Kind::Map(_)) {
        return Err(ApiError::Validation(format!(
            "TestState here supports JSONPath Pass, Task, Choice, Wait, Succeed and Fail states, not {}{}",
            if st.jsonata { "JSONata " } else { "" },
            st.type_name
        )));
    }
    let input_text = input.unwrap_or("{}");
    let raw = crate::json::parse(input_text)
        .map_err(|e| ApiError::InvalidExecutionInput(e.to_string()))?;
    let vars = match variables {
        Some(text) => Some(
            crate::json::parse(text)
                .map_err(|e| ApiError::Validation(format!("variables is not JSON: {e}")))?,
        ),
        None => None,
    };
    let mut t = Tested {
        graph: &graph,
        st,
        context: Value::from(Object::new()),
        vars,
        inspection: Map::new(),
    };
    t.note("input", &raw);
    let outcome = t.run(service, raw).await;
    let mut out = match outcome {
        Ok((output, next)) => {
            let mut o = json!({"status": "SUCCEEDED", "output": crate::json::to_string(&output)});
            if let Some(next) = next {
                o["nextState"] = Json::String(next);
            }
            o
        }
        Err(Ended::Failed(e)) => json!({"status": "FAILED", "error": e.error, "cause": e.cause}),
        Err(Ended::Retriable(e)) => {
            json!({"status": "RETRIABLE", "error": e.error, "cause": e.cause})
        }
        Err(Ended::Caught(e, output, next)) => json!({
            "status": "CAUGHT_ERROR", "error": e.error, "cause": e.cause,
            "output": crate::json::to_string(&output), "nextState": next,
        }),
    };
    if matches!(level, Some("DEBUG" | "TRACE")) {
        out["inspectionData"] = Json::Object(t.inspection);
    }
    Ok(out)
}

/// Compiles `definition` (one state) as the only state of a machine; every
/// state it may go to becomes a Succeed stub, so the graph validates.
fn one_state_machine(definition: &str) -> Result<Graph, ApiError> {
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
    Ok(compiled.graph)
}

/// How the state ended when it did not succeed.
enum Ended {
    Failed(ExecError),
    Retriable(ExecError),
    Caught(ExecError, Value, String),
}

impl From<ExecError> for Ended {
    fn from(e: ExecError) -> Self {
        Ended::Failed(e)
    }
}

struct Tested<'g> {
    graph: &'g Graph,
    st: &'g State,
    context: Value,
    vars: Option<Value>,
    inspection: Map<String, Json>,
}

impl Tested<'_> {
    fn note(&mut self, key: &str, v: &Value) {
        self.inspection
            .insert(key.into(), Json::String(crate::json::to_string(v)));
    }

    fn scope<'a>(&'a self, input: &'a Value) -> Scope<'a> {
        Scope {
            input,
            context: crate::json::Context::of(&self.context),
            variables: self.vars.as_ref(),
        }
    }

    fn io(&self, path: &IoPath, v: Value) -> Result<Value, ExecError> {
        match path {
            IoPath::Identity => Ok(v),
            IoPath::Empty => Ok(Value::from(Object::new())),
            IoPath::Path(p) => p
                .select(&self.scope(&v))
                .map(Selected::into_value)
                .map_err(|e| self.located(names::RUNTIME, e)),
        }
    }

    fn located(&self, error: &str, message: impl std::fmt::Display) -> ExecError {
        ExecError::new(
            error,
            format!("An error occurred while executing the state '{}' (entered at the event id #2). {message}", self.st.name),
        )
    }

    fn next_name(&self, t: Transition) -> Option<String> {
        match t {
            Transition::Next(id) => Some(self.graph.state(id).name.to_string()),
            Transition::End => None,
        }
    }

    /// InputPath and Parameters, noted.
    fn effective(&mut self, raw: &Value) -> Result<Value, ExecError> {
        let after_input = self.io(&self.st.input_path, raw.clone())?;
        self.note("afterInputPath", &after_input);
        let after_params = match &self.st.parameters {
            Some(t) => t.render(&self.scope(&after_input))?,
            None => after_input,
        };
        self.note("afterParameters", &after_params);
        Ok(after_params)
    }

    fn result_path(&self, rp: &ResultPath, raw: Value, result: Value) -> Result<Value, ExecError> {
        match rp {
            ResultPath::Replace => Ok(result),
            ResultPath::Discard => Ok(raw),
            ResultPath::Path(p) => p
                .assign(raw, result)
                .map_err(|e| self.located(names::RESULT_PATH_MATCH_FAILURE, e)),
        }
    }

    fn string(&self, src: &StringSource, raw: &Value) -> Result<String, ExecError> {
        let v = match src {
            StringSource::None | StringSource::Jsonata(_) => return Ok(String::new()),
            StringSource::Fixed(s) => return Ok(s.to_string()),
            StringSource::Intrinsic(i) => i.eval(&self.scope(raw))?,
            StringSource::Path(p) => p
                .select(&self.scope(raw))
                .map(Selected::into_value)
                .map_err(|e| self.located(names::RUNTIME, e))?,
        };
        v.as_str()
            .map(str::to_owned)
            .ok_or_else(|| self.located(names::RUNTIME, "the path did not resolve to a string"))
    }

    async fn run(
        &mut self,
        service: &Service,
        raw: Value,
    ) -> Result<(Value, Option<String>), Ended> {
        let st = self.st;
        match &st.kind {
            Kind::Pass { result } => {
                let effective = self.effective(&raw)?;
                let result = result.clone().unwrap_or(effective);
                self.note("result", &result);
                let merged = self.result_path(&st.result_path, raw, result)?;
                self.note("afterResultPath", &merged);
                Ok((
                    self.io(&st.output_path, merged)?,
                    self.next_name(st.transition),
                ))
            }
            Kind::Choice { choices, default } => {
                let eff = self.io(&st.input_path, raw)?;
                self.note("afterInputPath", &eff);
                let mut next = None;
                for branch in choices {
                    if let crate::compile::Condition::Path(rule) = &branch.condition {
                        if rule.eval(&self.scope(&eff))? {
                            next = Some(branch.next);
                            break;
                        }
                    }
                }
                let Some(next) = next.or(*default) else {
                    let e = self.located(
                        names::NO_CHOICE_MATCHED,
                        "No Choice Rule matched and there is no Default.",
                    );
                    return Err(e.into());
                };
                let name = self.next_name(Transition::Next(next));
                Ok((self.io(&st.output_path, eff)?, name))
            }
            Kind::Wait(_) | Kind::Succeed => {
                let eff = self.io(&st.input_path, raw)?;
                self.note("afterInputPath", &eff);
                let next = match st.kind {
                    Kind::Succeed => None,
                    _ => self.next_name(st.transition),
                };
                Ok((self.io(&st.output_path, eff)?, next))
            }
            Kind::Fail { error, cause } => {
                let error = self.string(error, &raw)?;
                let cause = self.string(cause, &raw)?;
                Err(Ended::Failed(ExecError::new(error, cause)))
            }
            Kind::Task {
                resource,
                timeout,
                heartbeat,
            } => {
                let effective = self.effective(&raw)?;
                let fixed = |s: &Option<Seconds>| match s {
                    Some(Seconds::Fixed(n)) => Some(std::time::Duration::from_secs(*n)),
                    _ => None,
                };
                let call = TaskCall {
                    resource: resource.clone(),
                    input: effective.into(),
                    state_name: st.name.clone(),
                    state_machine_name: TESTED.into(),
                    test_case: None,
                    invocation: 0,
                    timeout: fixed(timeout),
                    heartbeat: fixed(heartbeat),
                };
                let invoked = service.engine().tasks().invoke(call);
                let attempt = match call_timeout(timeout) {
                    Some(d) => tokio::time::timeout(d, invoked)
                        .await
                        .unwrap_or_else(|_| Err(ExecError::new(names::TIMEOUT, ""))),
                    None => invoked.await,
                };
                let result = match attempt {
                    Ok(r) => r,
                    Err(e) => return Err(self.handle(e, raw)?),
                };
                self.note("result", &result);
                let selected = match &st.result_selector {
                    Some(t) => t.render(&self.scope(&result))?,
                    None => result,
                };
                self.note("afterResultSelector", &selected);
                let merged = self.result_path(&st.result_path, raw, selected)?;
                self.note("afterResultPath", &merged);
                Ok((
                    self.io(&st.output_path, merged)?,
                    self.next_name(st.transition),
                ))
            }
            Kind::Parallel { .. } | Kind::Map(_) => {
                Err(Ended::Failed(ExecError::runtime("unsupported state type")))
            }
        }
    }

    /// A Task error under the state's Retriers and Catchers.
    fn handle(&mut self, e: ExecError, raw: Value) -> Result<Ended, ExecError> {
        let h = &self.st.handling;
        if h.retry
            .iter()
            .any(|r| r.matcher.matches(&e.error) && r.max_attempts > 0)
        {
            return Ok(Ended::Retriable(e));
        }
        let Some(c) = h.catch.iter().find(|c| c.matcher.matches(&e.error)) else {
            return Ok(Ended::Failed(e));
        };
        let mut error_output = Object::new();
        error_output.insert("Error".into(), Value::from(e.error.as_str()));
        error_output.insert("Cause".into(), Value::from(e.cause.as_str()));
        let out = self.result_path(&c.result_path, raw, Value::from(error_output))?;
        self.note("afterResultPath", &out);
        let next = self.graph.state(c.next).name.to_string();
        Ok(Ended::Caught(e, out, next))
    }
}

/// TimeoutSeconds when fixed (TimeoutSecondsPath is not evaluated here).
fn call_timeout(timeout: &Option<Seconds>) -> Option<std::time::Duration> {
    match timeout {
        Some(Seconds::Fixed(n)) => Some(std::time::Duration::from_secs(*n)),
        _ => None,
    }
}
