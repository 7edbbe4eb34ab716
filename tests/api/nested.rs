//! Nested workflows on the real router: every `states:startExecution` and
//! `aws-sdk:sfn` form, their result shapes and error paths.

use std::time::Duration;

use serde_json::{json, Value as Json};

use crate::harness::{Harness, PREFIX, ROLE};

/// The child: echoes its input under `got`, or fails when `fail` is true.
const CHILD: &str = r#"{"StartAt":"C","States":{
  "C":{"Type":"Choice","Choices":[{"And":[{"Variable":"$.fail","IsPresent":true},
    {"Variable":"$.fail","BooleanEquals":true}],"Next":"F"}],"Default":"P"},
  "F":{"Type":"Fail","Error":"ChildError","Cause":"child failed"},
  "P":{"Type":"Pass","Parameters":{"got.$":"$"},"End":true}}}"#;

async fn create(h: &Harness, name: &str, definition: &str, kind: &str) -> String {
    let body = h
        .ok(
            "CreateStateMachine",
            json!({"name": name, "definition": definition, "roleArn": ROLE, "type": kind}),
        )
        .await;
    body["stateMachineArn"].as_str().expect("arn").to_owned()
}

/// A parent whose one Task uses `resource` with `params`, run to its end.
async fn run_parent(h: &Harness, name: &str, resource: &str, params: Json) -> Json {
    let def = json!({"StartAt": "Nest", "States": {"Nest": {
        "Type": "Task", "Resource": resource, "Parameters": params, "End": true}}});
    let arn = create(h, name, &def.to_string(), "EXPRESS").await;
    h.ok(
        "StartSyncExecution",
        json!({"stateMachineArn": arn, "input": "{\"x\":1}"}),
    )
    .await
}

fn output(reply: &Json) -> Json {
    assert_eq!(reply["status"], "SUCCEEDED", "{reply}");
    serde_json::from_str(reply["output"].as_str().expect("output")).expect("JSON")
}

#[tokio::test]
async fn start_execution_request_response() {
    let h = Harness::start().await;
    let child = create(&h, "child", CHILD, "STANDARD").await;
    let reply = run_parent(
        &h,
        "p-start",
        "arn:aws:states:::states:startExecution",
        json!({"StateMachineArn": child, "Name": "kid", "Input": {"k.$": "$.x"}}),
    )
    .await;
    let out = output(&reply);
    let exec = out["ExecutionArn"].as_str().expect("ExecutionArn");
    assert_eq!(
        exec,
        format!(
            "{}kid",
            child.replace(":stateMachine:", ":execution:") + ":"
        )
    );
    assert!(out["StartDate"].is_i64(), "{out}");
    assert_eq!(out["SdkHttpMetadata"]["HttpStatusCode"], 200);
    assert!(out["SdkResponseMetadata"]["RequestId"].is_string());
    // The child ran on its own and is recorded.
    let mut described = Json::Null;
    for _ in 0..100 {
        described = h
            .ok("DescribeExecution", json!({"executionArn": exec}))
            .await;
        if described["status"] != "RUNNING" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(described["output"], r#"{"got":{"k":1}}"#);
}

#[tokio::test]
async fn start_execution_sync_forms() {
    let h = Harness::start().await;
    let child = create(&h, "child", CHILD, "STANDARD").await;
    let params = json!({
        "StateMachineArn": child,
        "Input": {"AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id"},
    });
    let reply = run_parent(
        &h,
        "p-sync",
        "arn:aws:states:::states:startExecution.sync",
        params.clone(),
    )
    .await;
    let parent_exec = reply["executionArn"].as_str().expect("arn").to_owned();
    let out = output(&reply);
    assert_eq!(out["Status"], "SUCCEEDED");
    assert_eq!(out["StateMachineArn"], child.as_str());
    assert!(
        out["StartDate"].is_i64() && out["StopDate"].is_i64(),
        "{out}"
    );
    assert_eq!(out["InputDetails"], json!({"Included": true}));
    assert_eq!(out["OutputDetails"], json!({"Included": true}));
    let child_output: Json =
        serde_json::from_str(out["Output"].as_str().expect("text")).expect("JSON");
    assert_eq!(
        child_output,
        json!({"got": {"AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID": parent_exec}})
    );

    let reply = run_parent(
        &h,
        "p-sync2",
        "arn:aws:states:::states:startExecution.sync:2",
        params,
    )
    .await;
    let out = output(&reply);
    assert!(out["Output"]["got"]["AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"].is_string());
    assert!(out["Input"].is_object(), "{out}");

    // A string Input is passed as is; an EXPRESS child works too.
    let express = create(&h, "child-x", CHILD, "EXPRESS").await;
    let reply = run_parent(
        &h,
        "p-sync-x",
        "arn:aws:states:::states:startExecution.sync:2",
        json!({"StateMachineArn": express, "Input": "{\"s\":true}"}),
    )
    .await;
    assert_eq!(output(&reply)["Output"], json!({"got": {"s": true}}));
}

#[tokio::test]
async fn a_failed_sync_child_fails_the_task() {
    let h = Harness::start().await;
    let child = create(&h, "child", CHILD, "STANDARD").await;
    let reply = run_parent(
        &h,
        "p-fail",
        "arn:aws:states:::states:startExecution.sync",
        json!({"StateMachineArn": child, "Input": {"fail": true}}),
    )
    .await;
    assert_eq!(reply["status"], "FAILED");
    assert_eq!(reply["error"], "States.TaskFailed");
    let cause: Json =
        serde_json::from_str(reply["cause"].as_str().expect("cause")).expect("JSON cause");
    assert_eq!(cause["Status"], "FAILED");
    assert_eq!(cause["Error"], "ChildError");
    assert_eq!(cause["Cause"], "child failed");
    assert_eq!(cause["Input"], r#"{"fail":true}"#);
}

#[tokio::test]
async fn unknown_machines_are_service_errors() {
    let h = Harness::start().await;
    let missing = format!("{PREFIX}nope");
    let reply = run_parent(
        &h,
        "p-missing",
        "arn:aws:states:::states:startExecution.sync",
        json!({"StateMachineArn": missing}),
    )
    .await;
    assert_eq!(reply["status"], "FAILED");
    assert_eq!(
        reply["error"],
        "StepFunctions.StateMachineDoesNotExistException"
    );
    let cause = reply["cause"].as_str().expect("cause");
    assert!(
        cause.starts_with(&format!("State Machine Does Not Exist: '{missing}' (Service: AWSStepFunctions; Status Code: 400; Error Code: StateMachineDoesNotExist; Request ID: ")),
        "{cause}"
    );
    let reply = run_parent(
        &h,
        "p-missing-sdk",
        "arn:aws:states:::aws-sdk:sfn:startExecution",
        json!({"StateMachineArn": missing}),
    )
    .await;
    assert_eq!(reply["error"], "Sfn.StateMachineDoesNotExistException");
    // Caught like any Task error.
    let def = json!({"StartAt": "Nest", "States": {
        "Nest": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution",
                 "Parameters": {"StateMachineArn": missing},
                 "Catch": [{"ErrorEquals": ["StepFunctions.StateMachineDoesNotExistException"], "Next": "Ok"}],
                 "End": true},
        "Ok": {"Type": "Pass", "End": true}}});
    let arn = create(&h, "p-caught", &def.to_string(), "EXPRESS").await;
    let reply = h
        .ok("StartSyncExecution", json!({"stateMachineArn": arn}))
        .await;
    assert_eq!(reply["status"], "SUCCEEDED");
}

#[tokio::test]
async fn sdk_integrations() {
    let h = Harness::start().await;
    let express = create(&h, "child-x", CHILD, "EXPRESS").await;
    let reply = run_parent(
        &h,
        "p-sdk-sync",
        "arn:aws:states:::aws-sdk:sfn:startSyncExecution",
        json!({"StateMachineArn": express, "Input": "{\"fail\":true}", "Name": "n1"}),
    )
    .await;
    // The API call succeeded: a failed child is data, not a Task failure.
    let out = output(&reply);
    assert_eq!(out["Status"], "FAILED");
    assert_eq!(out["Error"], "ChildError");
    assert_eq!(out["Name"], "n1");
    assert!(
        out["StartDate"].as_str().is_some_and(|d| d.ends_with('Z')),
        "{out}"
    );
    assert_eq!(out["BillingDetails"]["BilledMemoryUsedInMB"], 64);
    assert_eq!(out["Input"], r#"{"fail":true}"#);

    let reply = run_parent(
        &h,
        "p-sdk-start",
        "arn:aws:states:::aws-sdk:sfn:startExecution",
        json!({"StateMachineArn": express}),
    )
    .await;
    let out = output(&reply);
    assert!(out["ExecutionArn"]
        .as_str()
        .is_some_and(|a| a.contains(":express:child-x:")));
    assert!(out["StartDate"].is_string());
    assert!(out.get("SdkHttpMetadata").is_none());

    // StartSyncExecution refuses a STANDARD machine.
    let standard = create(&h, "child-s", CHILD, "STANDARD").await;
    let reply = run_parent(
        &h,
        "p-sdk-std",
        "arn:aws:states:::aws-sdk:sfn:startSyncExecution",
        json!({"StateMachineArn": standard}),
    )
    .await;
    assert_eq!(reply["error"], "Sfn.StateMachineTypeNotSupportedException");
}
