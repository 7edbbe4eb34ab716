//! `loggingConfiguration` through the API: validation as AWS answers it,
//! what DescribeStateMachine returns, and the execution log it turns on.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value as Json};

use crate::harness::{assert_error, Harness, PASS, PREFIX, ROLE};
use expressway::api::Config;
use expressway::engine::Engine;
use expressway::tasks::Tasks;
use expressway::telemetry::{LogWriter, Telemetry, TelemetryConfig};

const GROUP: &str = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/states/x:*";

fn destination(arn: &str) -> Json {
    json!({"cloudWatchLogsLogGroup": {"logGroupArn": arn}})
}

const ONE_DESTINATION: &str =
    "Invalid Logging Configuration: Must specify exactly one Log Destination.";

#[tokio::test]
async fn invalid_logging_configurations_are_refused_as_aws_does() {
    let h = Harness::start().await;
    let cases = [
        (json!({"level": "ALL"}), ONE_DESTINATION),
        (json!({"level": "ERROR"}), ONE_DESTINATION),
        (
            json!({"level": "FATAL", "destinations": []}),
            ONE_DESTINATION,
        ),
        (
            json!({"level": "ALL", "destinations": [destination(GROUP), destination(GROUP)]}),
            ONE_DESTINATION,
        ),
        (
            json!({"level": "ALL", "destinations": [destination("arn:aws:logs:us-east-1:1:log-group:x")]}),
            "Invalid Logging Configuration: Log Destination not found.",
        ),
        (
            json!({"level": "ALL", "destinations": [{}]}),
            "Invalid Logging Configuration: Log Destination not found.",
        ),
    ];
    for (config, message) in cases {
        let reply = h
            .call(
                "CreateStateMachine",
                json!({"name": "x", "definition": PASS, "roleArn": ROLE, "loggingConfiguration": config}),
            )
            .await;
        assert_error(&reply, 400, "InvalidLoggingConfiguration", Some(message));
    }
    let reply = h
        .call(
            "CreateStateMachine",
            json!({"name": "x", "definition": PASS, "roleArn": ROLE, "loggingConfiguration": {"level": "VERBOSE"}}),
        )
        .await;
    assert_error(&reply, 400, "ValidationException", None);

    // UpdateStateMachine checks the same way and changes nothing on error.
    let arn = h.create("kept", "EXPRESS").await;
    let reply = h
        .call(
            "UpdateStateMachine",
            json!({"stateMachineArn": arn, "loggingConfiguration": {"level": "ALL"}}),
        )
        .await;
    assert_error(
        &reply,
        400,
        "InvalidLoggingConfiguration",
        Some(ONE_DESTINATION),
    );
    let d = h
        .ok("DescribeStateMachine", json!({"stateMachineArn": arn}))
        .await;
    assert_eq!(
        d["loggingConfiguration"],
        json!({"level": "OFF", "includeExecutionData": false})
    );
}

#[tokio::test]
async fn logging_configurations_are_stored_and_described() {
    let h = Harness::start().await;
    let cases = [
        (
            json!({}),
            json!({"level": "OFF", "includeExecutionData": false}),
        ),
        (
            json!({"destinations": []}),
            json!({"level": "OFF", "includeExecutionData": false, "destinations": []}),
        ),
        (
            json!({"level": "ERROR", "includeExecutionData": true, "destinations": [destination(GROUP)]}),
            json!({"level": "ERROR", "includeExecutionData": true, "destinations": [destination(GROUP)]}),
        ),
    ];
    for (i, (config, described)) in cases.into_iter().enumerate() {
        let name = format!("logged-{i}");
        h.ok(
            "CreateStateMachine",
            json!({"name": name, "definition": PASS, "roleArn": ROLE, "type": "EXPRESS", "loggingConfiguration": config}),
        )
        .await;
        let d = h
            .ok(
                "DescribeStateMachine",
                json!({"stateMachineArn": format!("{PREFIX}{name}")}),
            )
            .await;
        assert_eq!(d["loggingConfiguration"], described, "{name}");
    }
    let arn = format!("{PREFIX}logged-2");
    h.ok(
        "UpdateStateMachine",
        json!({"stateMachineArn": arn, "loggingConfiguration": {"level": "FATAL", "includeExecutionData": false, "destinations": [destination(GROUP)]}}),
    )
    .await;
    let d = h
        .ok("DescribeStateMachine", json!({"stateMachineArn": arn}))
        .await;
    assert_eq!(d["loggingConfiguration"]["level"], "FATAL");
    assert_eq!(d["loggingConfiguration"]["includeExecutionData"], false);
}

#[tokio::test]
async fn executions_of_a_logging_machine_write_its_events() {
    let path = std::env::temp_dir().join(format!("expressway-api-log-{}.log", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let writer = LogWriter::open(path.to_str().expect("utf8")).expect("log file");
    let telemetry = Arc::new(Telemetry::new(TelemetryConfig {
        state_metrics: false,
        log: Some(writer),
        sample: 1.0,
    }));
    let engine = Engine::new(Tasks::new()).with_observer(telemetry.clone());
    let h = Harness::start_engine(engine, Config::default()).await;
    h.ok(
        "CreateStateMachine",
        json!({"name": "logged", "definition": PASS, "roleArn": ROLE, "type": "EXPRESS",
               "loggingConfiguration": {"level": "ALL", "includeExecutionData": true, "destinations": [destination(GROUP)]}}),
    )
    .await;
    // A machine without logging writes nothing.
    let quiet = h.create("quiet", "EXPRESS").await;
    h.ok("StartSyncExecution", json!({"stateMachineArn": quiet}))
        .await;
    let arn = format!("{PREFIX}logged");
    let out = h
        .ok(
            "StartSyncExecution",
            json!({"stateMachineArn": arn, "input": "{\"k\":\"v\"}"}),
        )
        .await;
    assert!(telemetry.flush(Duration::from_secs(5)));
    let text = std::fs::read_to_string(&path).expect("log");
    let lines: Vec<Json> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    let types: Vec<&str> = lines.iter().filter_map(|l| l["type"].as_str()).collect();
    assert_eq!(
        types,
        [
            "ExecutionStarted",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
    for l in &lines {
        assert_eq!(l["execution_arn"], out["executionArn"]);
    }
    assert_eq!(lines[0]["details"]["input"], "{\"k\":\"v\"}");
    assert_eq!(lines[0]["details"]["roleArn"], ROLE);
    assert_eq!(lines[3]["details"]["output"], "{\"k\":\"v\"}");
    assert_eq!(lines[3]["previous_event_id"], "3");

    // FATAL: a successful execution adds nothing.
    h.ok(
        "UpdateStateMachine",
        json!({"stateMachineArn": arn, "loggingConfiguration": {"level": "FATAL", "destinations": [destination(GROUP)]}}),
    )
    .await;
    h.ok("StartSyncExecution", json!({"stateMachineArn": arn}))
        .await;
    assert!(telemetry.flush(Duration::from_secs(5)));
    let after = std::fs::read_to_string(&path).expect("log");
    let _ = std::fs::remove_file(&path);
    assert_eq!(after.lines().count(), 4, "{after}");
}
