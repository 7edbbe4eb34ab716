//! Differences from AWS pinned over the real API router ([`crate::harness`]): the
//! Context Object's `Execution.RedriveCount`, ValidateStateMachineDefinition's
//! WARNING for EXPRESS machines with `.sync` / `.waitForTaskToken` Tasks, and
//! the Step Functions Local mock-file walkthrough's HybridPath test case.

use std::time::Duration;

use crate::harness::Harness;
use expressway::api::Config;
use expressway::engine::Engine;
use expressway::tasks::Tasks;
use serde_json::{json, Value as Json};

/// A Pass state whose output is the Context Object's `Execution`.
fn context_machine() -> Json {
    json!({"StartAt": "P", "States": {"P": {"Type": "Pass",
        "Parameters": {"execution.$": "$$.Execution"}, "End": true}}})
}

/// AWS's recordings (conformance `v2.express.test_express_async` /
/// `test_express_sync` `test_query_runtime_memory`): an EXPRESS execution
/// started with StartExecution has `Execution.RedriveCount: 0`, one started
/// with StartSyncExecution has none. STANDARD executions have it too.
#[tokio::test]
async fn redrive_count_follows_how_the_execution_started() {
    let api = Harness::start().await;
    for kind in ["EXPRESS", "STANDARD"] {
        let arn = api
            .create_with(&format!("ctx_{kind}"), kind, &context_machine())
            .await;
        let started = api
            .ok("StartExecution", json!({"stateMachineArn": arn}))
            .await;
        let mut described = Json::Null;
        for _ in 0..200 {
            described = api
                .ok(
                    "DescribeExecution",
                    json!({"executionArn": started["executionArn"]}),
                )
                .await;
            if described["status"] != "RUNNING" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(described["status"], "SUCCEEDED", "{described}");
        let output: Json =
            serde_json::from_str(described["output"].as_str().unwrap_or("null")).expect("JSON");
        let execution = &output["execution"];
        assert_eq!(execution["RedriveCount"], json!(0), "{kind}: {execution}");
        let keys: Vec<&str> = execution
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "Id",
                "Input",
                "Name",
                "RoleArn",
                "StartTime",
                "RedriveCount"
            ],
            "{kind}"
        );
    }
    let arn = api
        .create_with("ctx_sync", "EXPRESS", &context_machine())
        .await;
    let done = api
        .ok("StartSyncExecution", json!({"stateMachineArn": arn}))
        .await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    let output: Json =
        serde_json::from_str(done["output"].as_str().unwrap_or("null")).expect("JSON");
    assert!(
        output["execution"].get("RedriveCount").is_none(),
        "{output}"
    );
    assert!(output["execution"].get("Id").is_some(), "{output}");
}

/// A machine with a callback Task and a `.sync` Task (inside a Parallel).
fn callback_machine() -> Json {
    json!({"StartAt": "Wait", "States": {
        "Wait": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                 "Parameters": {"FunctionName": "f", "Payload": {"token.$": "$$.Task.Token"}},
                 "Next": "Both"},
        "Both": {"Type": "Parallel", "End": true, "Branches": [
            {"StartAt": "Child", "States": {"Child": {"Type": "Task",
              "Resource": "arn:aws:states:::states:startExecution.sync:2",
              "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:c"},
              "End": true}}}]}}})
}

/// AWS refuses `.sync` / `.waitForTaskToken` in EXPRESS machines; expressway
/// runs them, and ValidateStateMachineDefinition says so as a WARNING
/// (`severity`, `code`, `message`, `location`), with the result still OK.
#[tokio::test]
async fn express_callback_and_sync_tasks_are_warnings() {
    let api = Harness::start().await;
    let definition = callback_machine().to_string();
    let express = api
        .ok(
            "ValidateStateMachineDefinition",
            json!({"definition": definition, "type": "EXPRESS", "severity": "WARNING"}),
        )
        .await;
    assert_eq!(express["result"], "OK", "{express}");
    assert_eq!(express["truncated"], false);
    let diags = express["diagnostics"].as_array().expect("list");
    let locations: Vec<&str> = diags
        .iter()
        .map(|d| d["location"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        locations,
        [
            "/States/Wait/Resource",
            "/States/Both/Branches[0]/States/Child/Resource"
        ],
        "{express}"
    );
    for d in diags {
        assert_eq!(d["severity"], "WARNING", "{d}");
        assert_eq!(d["code"], "INVALID_RESOURCE", "{d}");
        let message = d["message"].as_str().unwrap_or_default();
        assert!(message.contains("Express"), "{message}");
    }
    // The default severity (ERROR) hides warnings; STANDARD has none.
    let errors_only = api
        .ok(
            "ValidateStateMachineDefinition",
            json!({"definition": definition, "type": "EXPRESS"}),
        )
        .await;
    assert_eq!(
        errors_only,
        json!({"result": "OK", "diagnostics": [], "truncated": false})
    );
    let standard = api
        .ok(
            "ValidateStateMachineDefinition",
            json!({"definition": definition, "type": "STANDARD", "severity": "WARNING"}),
        )
        .await;
    assert_eq!(standard["diagnostics"], json!([]), "{standard}");
    // The machine is still created as EXPRESS (we run it on purpose).
    api.create_with("callbacks", "EXPRESS", &callback_machine())
        .await;
    // `expressway validate` (the library function) validates as EXPRESS.
    let cli = expressway::api::validate_definition(&definition);
    assert_eq!(cli["result"], "OK");
    assert_eq!(
        cli["diagnostics"].as_array().map(Vec::len),
        Some(2),
        "{cli}"
    );
}

/// The AWS guide's Step Functions Local walkthrough (`sfn-local-mock-cfg-file.html`,
/// `sfn-local-test-sm-exec.html`): `LambdaSQSIntegration` calls Lambda, then
/// SQS; its `HybridPath` test case mocks only `LambdaState`, so `SQSState`
/// resolves as without a test case ("If you don't specify mocked service
/// integration responses … Step Functions Local will invoke the AWS service
/// integration"). Here a registered handler stands in for SQS.
#[tokio::test]
async fn mock_walkthrough_hybrid_path_resolves_unmocked_states() {
    const SQS: &str = "arn:aws:states:::sqs:sendMessage";
    let mock = r#"{
      "StateMachines": {"LambdaSQSIntegration": {"TestCases": {
        "HappyPath": {"LambdaState": "MockedLambdaSuccess", "SQSState": "MockedSQSSuccess"},
        "HybridPath": {"LambdaState": "MockedLambdaSuccess"}}}},
      "MockedResponses": {
        "MockedLambdaSuccess": {"0": {"Return": {"StatusCode": 200,
          "Payload": {"StatusCode": 200, "body": "Hello from Lambda!"}}}},
        "MockedSQSSuccess": {"0": {"Return": {"MD5OfMessageBody": "mocked", "MessageId": "m-1"}}}}
    }"#;
    let mut tasks = Tasks::default();
    tasks.set_mock(Some(mock.parse().expect("mock file")));
    tasks.register_fn(SQS, |input: expressway::tasks::TaskInput| async move {
        // Stands in for SQS: answers with what it was sent.
        let mut reply = expressway::json::Object::new();
        reply.insert("MessageId".into(), expressway::json::Value::from("real"));
        reply.insert("Body".into(), std::sync::Arc::unwrap_or_clone(input));
        Ok(expressway::json::Value::from(reply))
    });
    let api = Harness::start_engine(Engine::new(tasks), Config::default()).await;
    let definition = json!({"StartAt": "LambdaState", "States": {
        "LambdaState": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "HelloWorldFunction", "Payload.$": "$"},
            "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 3,
                       "BackoffRate": 2.0}],
            "Next": "SQSState"},
        "SQSState": {"Type": "Task", "Resource": SQS,
            "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/myQueue",
                           "MessageBody.$": "$.Payload.body"},
            "End": true}}});
    let arn = api
        .create_with("LambdaSQSIntegration", "EXPRESS", &definition)
        .await;
    let hybrid = api
        .ok(
            "StartSyncExecution",
            json!({"stateMachineArn": format!("{arn}#HybridPath"), "input": "{}"}),
        )
        .await;
    assert_eq!(hybrid["status"], "SUCCEEDED", "{hybrid}");
    let output: Json = serde_json::from_str(hybrid["output"].as_str().unwrap_or("null")).unwrap();
    assert_eq!(output["MessageId"], "real", "{output}");
    assert_eq!(
        output["Body"],
        json!({"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/myQueue",
               "MessageBody": "Hello from Lambda!"}),
        "{output}"
    );
    let happy = api
        .ok(
            "StartSyncExecution",
            json!({"stateMachineArn": format!("{arn}#HappyPath"), "input": "{}"}),
        )
        .await;
    assert_eq!(happy["status"], "SUCCEEDED", "{happy}");
    assert_eq!(
        happy["output"],
        json!({"MD5OfMessageBody": "mocked", "MessageId": "m-1"}).to_string()
    );
}
