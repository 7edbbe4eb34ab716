//! The console's HTTP routes: the page (one HTML document for every console
//! path), the embedded assets, and the JSON the page reads.
//!
//! | `GET` | answer |
//! |---|---|
//! | `/console/api/state-machines` | `{"stateMachines": [{name, stateMachineArn, type, creationDate, states}]}` |
//! | `/console/api/state-machines/{name}` | `{name, stateMachineArn, type, definition, graph}` ([`super::graph`]) |
//! | `/console/api/state-machines/{name}/live` | `{time, machine, states, admission}` ([`super::live`]) |
//! | `/console/api/state-machines/{name}/executions?status=S&limit=N` | `{"executions": [{executionArn, name, status, startDate, stopDate}]}`, newest first |
//! | `/console/api/executions/{arn}` | the execution with `events`, `path`, `taskTokens` ([`super::execution`]) |
//!
//! Times are milliseconds since the epoch. An unknown machine or execution
//! is 404 `{"message"}`; a bad query 400; never a 500.

use std::sync::Arc;
use std::time::SystemTime;

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value as Json_};

use super::history::{epoch_ms, epoch_us, Trace};
use super::{assets, execution, graph, live};
use crate::api::{Service, StateMachine};
use crate::start::Progress;

/// Most executions one list answer holds.
pub const MAX_LIST: usize = 1_000;
/// Executions one list answer holds unless `limit` says otherwise.
pub const DEFAULT_LIST: usize = 100;
/// The statuses `status=` accepts.
const STATUSES: [&str; 5] = ["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"];

/// The console's router (state applied).
pub fn router(service: Service) -> Router {
    Router::new()
        .route("/console", get(page))
        .route("/console/", get(page))
        .route("/console/state-machines/{name}", get(page))
        .route("/console/assets/{file}", get(asset))
        .route("/console/api/state-machines", get(machines))
        .route("/console/api/state-machines/{name}", get(machine))
        .route("/console/api/state-machines/{name}/live", get(machine_live))
        .route(
            "/console/api/state-machines/{name}/executions",
            get(executions),
        )
        .route("/console/api/executions/{arn}", get(execution_detail))
        .with_state(service)
}

fn not_found(what: String) -> Response {
    (StatusCode::NOT_FOUND, Json(json!({ "message": what }))).into_response()
}

fn bad_request(what: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "message": what }))).into_response()
}

async fn page() -> Response {
    let mut r = Html(assets::PAGE).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, "no-cache".parse().expect("header"));
    r
}

async fn asset(Path(file): Path<String>) -> Response {
    match assets::find(&file) {
        Some(a) => (
            [
                (header::CONTENT_TYPE, a.content_type),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            a.body,
        )
            .into_response(),
        None => not_found(format!("No console asset named {file}")),
    }
}

/// The state machine named `name`: the one in the configured region if
/// several regions hold that name, else the first by ARN.
fn find_machine(service: &Service, name: &str) -> Option<Arc<StateMachine>> {
    let all = service.state_machines();
    let region = format!(":{}:", service.config().region);
    let mut found: Vec<&Arc<StateMachine>> = all.iter().filter(|m| m.name == name).collect();
    found.sort_by(|a, b| {
        (!a.arn.contains(&region), &a.arn).cmp(&(!b.arn.contains(&region), &b.arn))
    });
    found.first().map(|m| Arc::clone(m))
}

fn machine_summary(m: &StateMachine) -> Json_ {
    json!({
        "name": m.name,
        "stateMachineArn": m.arn,
        "type": m.kind.as_str(),
        "creationDate": epoch_ms(m.created),
        "states": crate::engine::observe::StateIndex::new(&m.machine).len(),
    })
}

async fn machines(State(service): State<Service>) -> Response {
    let all = service.state_machines();
    let mut list: Vec<&Arc<StateMachine>> = all.iter().collect();
    list.sort_by(|a, b| (&a.name, &a.arn).cmp(&(&b.name, &b.arn)));
    let list: Vec<Json_> = list.iter().map(|m| machine_summary(m)).collect();
    Json(json!({
        "stateMachines": list,
        "layout": format!("dagre {}", assets::DAGRE_VERSION),
    }))
    .into_response()
}

async fn machine(State(service): State<Service>, Path(name): Path<String>) -> Response {
    let Some(m) = find_machine(&service, &name) else {
        return not_found(format!("No state machine named {name}"));
    };
    let drawing = match graph::draw(&m.machine.definition) {
        Ok(d) => serde_json::to_value(d).unwrap_or(Json_::Null),
        Err(e) => return bad_request(format!("The definition cannot be drawn: {e}")),
    };
    let mut out = machine_summary(&m);
    out["definition"] = Json_::String(m.machine.definition.clone());
    out["graph"] = drawing;
    Json(out).into_response()
}

async fn machine_live(State(service): State<Service>, Path(name): Path<String>) -> Response {
    let Some(m) = find_machine(&service, &name) else {
        return not_found(format!("No state machine named {name}"));
    };
    let samples = live::parse(&crate::metrics::render());
    let numbers = live::of_machine(&samples, &m.name);
    let admission = service.admission();
    let own = admission.state(Some(&m.name));
    let global = admission.state(None);
    let mut out = serde_json::to_value(numbers).unwrap_or(Json_::Null);
    out["time"] = json!(epoch_ms(SystemTime::now()));
    out["admission"] = json!({
        "depth": own.depth,
        "maxQueue": admission.config().limits_of(&m.name).max_queue,
        "tokens": own.tokens,
        "globalDepth": global.depth,
        "globalMaxQueue": admission.config().global.max_queue,
    });
    out["taskTokensOutstanding"] = json!(service.engine().task_tokens().outstanding());
    Json(out).into_response()
}

/// `?status=&limit=` of the execution list.
#[derive(Debug, Deserialize)]
struct ListQuery {
    status: Option<String>,
    limit: Option<usize>,
}

/// The status and stop time of a retained execution: its trace's once it
/// ended (the terminal event is the outcome the API records too), else the
/// record's (running, or stopped by StopExecution, which aborts the
/// execution without a terminal event). `None` once it is no longer
/// retained. Only running executions cost a copy of their record. Read
/// without blocking the serving thread (a cluster's records are in Redis).
async fn status_of(service: &Service, trace: &Trace) -> Option<(String, Option<u64>)> {
    if let Some((status, stopped)) = trace.ended() {
        return service
            .fetch_has_execution(&trace.arn)
            .await
            .then(|| (status.to_owned(), Some(epoch_ms(stopped))));
    }
    match service.fetch_execution(&trace.arn).await?.progress {
        Progress::Running => Some(("RUNNING".to_owned(), None)),
        Progress::Done(o) => Some((o.status.as_str().to_owned(), Some(epoch_ms(o.stop_time)))),
    }
}

async fn executions(
    State(service): State<Service>,
    Path(name): Path<String>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(query)) = query else {
        return bad_request("limit must be a number".into());
    };
    if let Some(s) = query.status.as_deref().filter(|s| !s.is_empty()) {
        if !STATUSES.contains(&s) {
            return bad_request(format!("status must be one of {}", STATUSES.join(", ")));
        }
    }
    let Some(m) = find_machine(&service, &name) else {
        return not_found(format!("No state machine named {name}"));
    };
    let limit = query.limit.unwrap_or(DEFAULT_LIST).clamp(1, MAX_LIST);
    let wanted = query.status.filter(|s| !s.is_empty());
    let mut list = Vec::new();
    for trace in service.console().recorder().of_machine(&m.name) {
        let Some((status, stop)) = status_of(&service, &trace).await else {
            continue; // no longer retained
        };
        if wanted.as_deref().is_some_and(|w| w != status) {
            continue;
        }
        list.push(json!({
            "executionArn": trace.arn,
            "name": trace.name,
            "status": status,
            "startDate": epoch_ms(trace.start),
            "stopDate": stop,
        }));
        if list.len() >= limit {
            break;
        }
    }
    Json(json!({ "executions": list })).into_response()
}

async fn execution_detail(State(service): State<Service>, Path(arn): Path<String>) -> Response {
    let record = service.fetch_execution(&arn).await;
    let trace = service.console().recorder().get(&arn);
    if record.is_none() && trace.is_none() {
        return not_found(format!("Execution Does Not Exist: '{arn}'"));
    }
    let machine = record
        .as_ref()
        .and_then(|r| service.state_machine(&r.state_machine_arn))
        .or_else(|| {
            trace
                .as_ref()
                .and_then(|t| find_machine(&service, &t.machine))
        });
    let waits = machine
        .as_ref()
        .map(|m| execution::token_states(&m.machine.definition))
        .unwrap_or_default();
    let mut out = json!({"executionArn": arn});
    let mut running = false;
    if let Some(r) = &record {
        out["name"] = json!(r.name);
        out["stateMachineArn"] = json!(r.state_machine_arn);
        out["startDate"] = json!(epoch_ms(r.start));
        out["input"] = json!(r.input);
        match &r.progress {
            Progress::Running => {
                running = true;
                out["status"] = json!("RUNNING");
            }
            Progress::Done(o) => {
                out["status"] = json!(o.status.as_str());
                out["stopDate"] = json!(epoch_ms(o.stop_time));
                if let Some(output) = &o.output {
                    out["output"] = json!(crate::json::to_string(output));
                }
                out["error"] = json!(o.error);
                out["cause"] = json!(o.cause);
            }
        }
    }
    if let Some(m) = &machine {
        out["stateMachineName"] = json!(m.name);
    }
    match &trace {
        Some(t) => {
            let snap = t.snapshot();
            if record.is_none() {
                out["name"] = json!(t.name);
                out["startDate"] = json!(epoch_ms(t.start));
                out["status"] = json!(snap.status.unwrap_or("RUNNING"));
                running = snap.status.is_none();
            }
            let view = execution::view(&snap, epoch_us(t.start), running, &waits);
            if let (Some(o), Json_::Object(v)) = (out.as_object_mut(), view) {
                o.extend(v);
            }
            out["traced"] = json!(true);
        }
        None => {
            out["traced"] = json!(false);
            out["events"] = json!([]);
            out["path"] = json!([]);
            out["taskTokens"] = json!([]);
        }
    }
    Json(out).into_response()
}
