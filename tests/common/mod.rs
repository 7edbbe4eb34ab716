//! Helpers for the integration tests: run a definition on an input in process.
#![allow(dead_code, unreachable_pub)]

pub mod acs;
#[cfg(feature = "aws")]
pub mod consumer;
pub mod moto;
pub mod payment;
pub mod redis;

use std::sync::Arc;
use std::time::SystemTime;

use expressway::engine::{Engine, ExecutionOptions, ExecutionOutcome};
use expressway::tasks::Tasks;

/// Serves `app` on a free loopback port in a background task; its address.
pub async fn serve_router(app: axum::Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a loopback port");
    let addr = listener.local_addr().expect("its address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}

/// Options for a test execution.
pub fn options() -> ExecutionOptions {
    ExecutionOptions {
        execution_arn: "arn:aws:states:us-east-1:123456789012:express:test:exec:00000000-0000-4000-8000-000000000000".into(),
        name: "exec".into(),
        state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:test".into(),
        state_machine_name: "test".into(),
        role_arn: "arn:aws:iam::123456789012:role/x".into(),
        start_time: SystemTime::now(),
        test_case: None,
        redrive_count: None,
    }
}

/// Runs `definition` on `input` with `tasks`.
pub async fn run_with(tasks: Tasks, definition: &str, input: &str) -> ExecutionOutcome {
    let machine = Arc::new(expressway::compile::load(definition).expect("definition loads"));
    let input = expressway::json::parse(input).expect("input parses");
    Engine::new(tasks).execute(machine, input, options()).await
}

/// Runs `definition` on `input` with no Task handlers; returns the output
/// as compact JSON, or `error: cause`.
pub async fn run(definition: &str, input: &str) -> String {
    summary(run_with(Tasks::new(), definition, input).await)
}

/// `SUCCEEDED <output>` or `<STATUS> <error>: <cause>`.
pub fn summary(o: ExecutionOutcome) -> String {
    match o.output {
        Some(v) => expressway::json::to_string(&v),
        None => format!(
            "{} {}: {}",
            o.status.as_str(),
            o.error.unwrap_or_default(),
            o.cause.unwrap_or_default()
        ),
    }
}

/// The keys of the JSON object `v`, sorted (panics if `v` is no object).
pub fn sorted_keys(v: &simd_json::OwnedValue) -> Vec<String> {
    use simd_json::prelude::*;
    let mut k: Vec<String> = v
        .as_object()
        .expect("an object")
        .keys()
        .map(|k| k.to_string())
        .collect();
    k.sort();
    k
}
