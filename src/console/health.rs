//! `GET /healthz` (liveness) and `GET /readyz` (readiness), as Kubernetes
//! probes expect (Kubernetes docs, "Configure Liveness, Readiness and
//! Startup Probes"): 200 means yes, 503 no, with a JSON body saying why.
//!
//! * Live: the process answers HTTP. Nothing else is checked: a liveness
//!   failure restarts the container, which would not cure an overload.
//! * Ready: at least one state machine is loaded (`serve` creates the
//!   definitions before it listens; a server with none has nothing to run),
//!   and admission is not saturated: the global buffer is not full
//!   (`depth < max_queue`), so a start would be buffered rather than
//!   throttled at once. State machines whose own buffer is full are listed
//!   but do not make the server unready (the others still run). With
//!   `--cluster`, the shared registry must also have been read once (an
//!   instance started before its Redis listens at once but is not ready
//!   until then: it would not know the machines created elsewhere).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use crate::api::Service;

/// The liveness path.
pub const HEALTHZ_PATH: &str = "/healthz";
/// The readiness path.
pub const READYZ_PATH: &str = "/readyz";

/// The probes' router.
pub fn router(service: Service) -> Router {
    Router::new()
        .route(HEALTHZ_PATH, get(healthz))
        .route(READYZ_PATH, get(readyz))
        .with_state(service)
}

async fn healthz() -> Response {
    (StatusCode::OK, Json(json!({"status": "ok"}))).into_response()
}

/// The readiness verdict and its reasons.
pub fn readiness(service: &Service) -> (bool, serde_json::Value) {
    let machines = service.state_machines();
    let admission = service.admission();
    let global = admission.state(None);
    let max_queue = admission.config().global.max_queue;
    let saturated = global.depth >= max_queue;
    let mut names: Vec<&str> = machines.iter().map(|m| m.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let full: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| admission.state(Some(n)).depth >= admission.config().limits_of(n).max_queue)
        .collect();
    let registry = service.starter().store().not_ready();
    let ready = !machines.is_empty() && !saturated && registry.is_none();
    let mut reasons = Vec::new();
    if machines.is_empty() {
        reasons.push("no state machine is loaded");
    }
    if saturated {
        reasons.push("the admission buffer is full");
    }
    if let Some(why) = registry.as_deref() {
        reasons.push(why);
    }
    (
        ready,
        json!({
            "status": if ready { "ready" } else { "not ready" },
            "reasons": reasons,
            "stateMachines": machines.len(),
            "admission": {
                "depth": global.depth,
                "maxQueue": max_queue,
                "saturated": saturated,
                "saturatedStateMachines": full,
            },
        }),
    )
}

async fn readyz(State(service): State<Service>) -> Response {
    let (ready, body) = readiness(&service);
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}
