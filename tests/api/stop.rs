//! StopExecution on the real router.

use serde_json::json;

use crate::harness::{assert_error, Harness, ROLE};

/// A machine that waits 30 s: running long enough to be stopped.
const WAIT_30: &str = r#"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":30,"End":true}}}"#;

async fn create_waiting(h: &Harness, name: &str, kind: &str) -> String {
    let body = h
        .ok(
            "CreateStateMachine",
            json!({"name": name, "definition": WAIT_30, "roleArn": ROLE, "type": kind}),
        )
        .await;
    body["stateMachineArn"].as_str().expect("arn").to_owned()
}

#[tokio::test]
async fn stop_a_running_execution() {
    let h = Harness::start().await;
    for (kind, machine) in [("STANDARD", "stopstd"), ("EXPRESS", "stopexp")] {
        let arn = create_waiting(&h, machine, kind).await;
        let started = h
            .ok("StartExecution", json!({"stateMachineArn": arn}))
            .await;
        let exec = started["executionArn"].as_str().expect("arn").to_owned();
        let described = h
            .ok("DescribeExecution", json!({"executionArn": exec}))
            .await;
        assert_eq!(described["status"], "RUNNING");
        let began = std::time::Instant::now();
        let stopped = h
            .ok(
                "StopExecution",
                json!({"executionArn": exec, "error": "Operator", "cause": "by hand"}),
            )
            .await;
        assert!(stopped["stopDate"].is_f64(), "{stopped}");
        assert_eq!(stopped.as_object().map(|o| o.len()), Some(1));
        let described = h
            .ok("DescribeExecution", json!({"executionArn": exec}))
            .await;
        assert_eq!(described["status"], "ABORTED", "{described}");
        assert_eq!(described["error"], "Operator");
        assert_eq!(described["cause"], "by hand");
        assert_eq!(described["stopDate"], stopped["stopDate"]);
        assert!(described.get("output").is_none());
        assert!(began.elapsed() < std::time::Duration::from_secs(5));

        // Stopping again answers with a stopDate and changes nothing.
        let again = h
            .ok(
                "StopExecution",
                json!({"executionArn": exec, "error": "Other"}),
            )
            .await;
        assert!(again["stopDate"].is_f64());
        let described = h
            .ok("DescribeExecution", json!({"executionArn": exec}))
            .await;
        assert_eq!(described["status"], "ABORTED");
        assert_eq!(described["error"], "Operator");
    }
    // The aborted executions are counted.
    let text = expressway::metrics::render();
    for machine in ["stopstd", "stopexp"] {
        let line = format!("expressway_executions_aborted_total{{state_machine=\"{machine}\"}} 1");
        assert!(text.contains(&line), "{line} missing:\n{text}");
    }
    let listed = h
        .ok(
            "ListExecutions",
            json!({"stateMachineArn": format!("{}stopstd", crate::harness::PREFIX), "statusFilter": "ABORTED"}),
        )
        .await;
    assert_eq!(listed["executions"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn stop_without_error_or_cause() {
    let h = Harness::start().await;
    let arn = create_waiting(&h, "stopplain", "STANDARD").await;
    let started = h
        .ok("StartExecution", json!({"stateMachineArn": arn}))
        .await;
    let exec = started["executionArn"].as_str().expect("arn").to_owned();
    h.ok("StopExecution", json!({"executionArn": exec})).await;
    let described = h
        .ok("DescribeExecution", json!({"executionArn": exec}))
        .await;
    assert_eq!(described["status"], "ABORTED");
    assert!(described.get("error").is_none());
    assert!(described.get("cause").is_none());
}

#[tokio::test]
async fn stop_a_finished_execution_keeps_its_outcome() {
    let h = Harness::start().await;
    let arn = h.create("stopdone", "STANDARD").await;
    let started = h
        .ok("StartExecution", json!({"stateMachineArn": arn}))
        .await;
    let exec = started["executionArn"].as_str().expect("arn").to_owned();
    let mut status = String::new();
    for _ in 0..100 {
        let d = h
            .ok("DescribeExecution", json!({"executionArn": exec}))
            .await;
        status = d["status"].as_str().unwrap_or_default().to_owned();
        if status != "RUNNING" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(status, "SUCCEEDED");
    let stopped = h
        .ok("StopExecution", json!({"executionArn": exec, "error": "E"}))
        .await;
    assert!(stopped["stopDate"].is_f64());
    let d = h
        .ok("DescribeExecution", json!({"executionArn": exec}))
        .await;
    assert_eq!(d["status"], "SUCCEEDED");
    assert!(d.get("error").is_none());
}

#[tokio::test]
async fn stop_execution_errors() {
    let h = Harness::start().await;
    let missing = "arn:aws:states:us-east-1:123456789012:execution:pay:missing";
    let reply = h
        .call("StopExecution", json!({"executionArn": missing}))
        .await;
    assert_error(
        &reply,
        400,
        "ExecutionDoesNotExist",
        Some(&format!("Execution Does Not Exist: '{missing}'")),
    );
    let reply = h
        .call("StopExecution", json!({"executionArn": "not-an-arn"}))
        .await;
    assert_error(&reply, 400, "InvalidArn", None);
    let reply = h
        .call(
            "StopExecution",
            json!({"executionArn": format!("{}pay", crate::harness::PREFIX)}),
        )
        .await;
    assert_error(
        &reply,
        400,
        "InvalidArn",
        Some("Invalid Arn: 'Resource type not valid in this context: statemachine'"),
    );
    let reply = h.call("StopExecution", json!({})).await;
    assert_error(&reply, 400, "ValidationException", None);
    let reply = h
        .call(
            "StopExecution",
            json!({"executionArn": missing, "error": "e".repeat(257)}),
        )
        .await;
    assert_error(
        &reply,
        400,
        "ValidationException",
        Some("1 validation error detected: Value at 'error' failed to satisfy constraint: Member must have length less than or equal to 256"),
    );
    let reply = h
        .call(
            "StopExecution",
            json!({"executionArn": missing, "cause": "c".repeat(32_769)}),
        )
        .await;
    assert_error(&reply, 400, "ValidationException", None);
    // At the limits the request is valid (and the execution unknown).
    let reply = h
        .call(
            "StopExecution",
            json!({"executionArn": missing, "error": "e".repeat(256), "cause": "c".repeat(32_768)}),
        )
        .await;
    assert_error(&reply, 400, "ExecutionDoesNotExist", None);
}

/// Issue 11, reproducer 2: StopExecution of an execution busy in a JSONata
/// loop that never ends answers at once, the execution is ABORTED, and the
/// shard it pinned (the only one) runs the next execution.
#[tokio::test]
async fn stop_frees_a_shard_pinned_by_a_busy_expression() {
    let shards = std::sync::Arc::new(expressway::engine::shards::Shards::start(1).expect("shards"));
    let engine =
        expressway::engine::Engine::new(expressway::tasks::Tasks::new()).with_shards(shards);
    let h = Harness::start_engine(engine, expressway::api::Config::default()).await;
    let forever = json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Spin",
        "States": {"Spin": {"Type": "Pass", "Output": "{% ($f := function($i){ $f($i + 1) }; $f(0)) %}", "End": true}}
    });
    let spin = h
        .ok(
            "CreateStateMachine",
            json!({"name": "spin", "definition": forever.to_string(), "roleArn": ROLE, "type": "EXPRESS"}),
        )
        .await["stateMachineArn"]
        .as_str()
        .expect("arn")
        .to_owned();
    let pass = h.create("after-spin", "EXPRESS").await;
    let started = h
        .ok("StartExecution", json!({"stateMachineArn": spin}))
        .await;
    let exec = started["executionArn"].as_str().expect("arn").to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let began = std::time::Instant::now();
    h.ok("StopExecution", json!({"executionArn": exec})).await;
    let described = h
        .ok("DescribeExecution", json!({"executionArn": exec}))
        .await;
    assert_eq!(described["status"], "ABORTED");
    let out = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        h.ok(
            "StartSyncExecution",
            json!({"stateMachineArn": pass, "input": "{\"n\":1}"}),
        ),
    )
    .await
    .expect("the shard is free again");
    assert_eq!(out["status"], "SUCCEEDED");
    assert!(began.elapsed() < std::time::Duration::from_secs(10));
}
