//! SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat over the real API
//! router ([`crate::harness`]), answering a `.waitForTaskToken` Task of a sync execution.

use std::sync::Arc;

use crate::harness::Harness;
use expressway::api::Config;
use expressway::engine::Engine;
use expressway::json::Value;
use expressway::tasks::Tasks;
use serde_json::{json, Value as Json};
use simd_json::prelude::*;
use tokio::sync::mpsc;

const ISSUER: &str = "arn:aws:lambda:us-east-1:123456789012:function:Issuer";

async fn start() -> (Harness, mpsc::UnboundedReceiver<String>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let mut tasks = Tasks::new();
    tasks.register(
        ISSUER,
        Arc::new(move |input: expressway::tasks::TaskInput| {
            let tx = tx.clone();
            Box::pin(async move {
                let _ = tx.send(input.get_str("token").unwrap_or_default().to_owned());
                Ok(Value::from("sent"))
            })
        }),
    );
    let api = Harness::start_engine(Engine::new(tasks), Config::default()).await;
    let definition = json!({
        "StartAt": "Wait3DS",
        "States": {"Wait3DS": {
            "Type": "Task", "Resource": format!("{ISSUER}.waitForTaskToken"),
            "Parameters": {"token.$": "$$.Task.Token"}, "HeartbeatSeconds": 30, "TimeoutSeconds": 60,
            "ResultPath": "$.threeDS", "End": true}}
    });
    let (status, body) = api
        .reply(
            "CreateStateMachine",
            json!({"name": "cb", "definition": definition.to_string(),
                   "roleArn": "arn:aws:iam::123456789012:role/x", "type": "EXPRESS"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    (api, rx)
}

fn start_sync(api: &Arc<Harness>) -> tokio::task::JoinHandle<Json> {
    let api = api.clone();
    tokio::spawn(async move {
        api.reply(
            "StartSyncExecution",
            json!({"stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:cb",
                   "input": "{\"paymentId\":\"p-9\"}"}),
        )
        .await
        .1
    })
}

#[tokio::test]
async fn send_task_success_answers_a_sync_execution() {
    let (api, mut tokens) = start().await;
    let api = Arc::new(api);
    let run = start_sync(&api);
    let token = tokens.recv().await.expect("token");
    let (s, b) = api
        .reply("SendTaskHeartbeat", json!({"taskToken": token}))
        .await;
    assert_eq!((s, &b), (200, &json!({})));
    let (s, b) = api
        .reply(
            "SendTaskSuccess",
            json!({"taskToken": token, "output": "{\"status\":\"AUTHENTICATED\"}"}),
        )
        .await;
    assert_eq!((s, &b), (200, &json!({})));
    let result = run.await.expect("join");
    assert_eq!(result["status"], "SUCCEEDED", "{result}");
    let output: Json = serde_json::from_str(result["output"].as_str().unwrap()).unwrap();
    assert_eq!(
        output,
        json!({"paymentId": "p-9", "threeDS": {"status": "AUTHENTICATED"}})
    );
    // The token is spent.
    let (s, b) = api
        .reply(
            "SendTaskSuccess",
            json!({"taskToken": token, "output": "{}"}),
        )
        .await;
    assert_eq!(s, 400);
    assert!(
        b["__type"].as_str().unwrap().ends_with("TaskTimedOut"),
        "{b}"
    );
}

#[tokio::test]
async fn send_task_failure_fails_the_execution() {
    let (api, mut tokens) = start().await;
    let api = Arc::new(api);
    let run = start_sync(&api);
    let token = tokens.recv().await.expect("token");
    let (s, _) = api
        .reply(
            "SendTaskFailure",
            json!({"taskToken": token, "error": "CardAuthFailed", "cause": "no"}),
        )
        .await;
    assert_eq!(s, 200);
    let result = run.await.expect("join");
    assert_eq!(
        (result["status"].as_str(), result["error"].as_str()),
        (Some("FAILED"), Some("CardAuthFailed"))
    );
}

#[tokio::test]
async fn bad_tokens_and_outputs_get_aws_errors() {
    let (api, _tokens) = start().await;
    let cases = [
        (
            "SendTaskSuccess",
            json!({"taskToken": "nope", "output": "{}"}),
            "InvalidToken",
        ),
        (
            "SendTaskSuccess",
            json!({"taskToken": "nope", "output": "not json"}),
            "InvalidOutput",
        ),
        (
            "SendTaskSuccess",
            json!({"taskToken": "nope"}),
            "ValidationException",
        ),
        (
            "SendTaskHeartbeat",
            json!({"taskToken": "x".repeat(1025)}),
            "ValidationException",
        ),
        (
            "SendTaskFailure",
            json!({"taskToken": "nope"}),
            "InvalidToken",
        ),
        (
            "SendTaskFailure",
            json!({"taskToken": "0".repeat(64)}),
            "TaskTimedOut",
        ),
    ];
    for (op, body, code) in cases {
        let (s, b) = api.reply(op, body).await;
        assert_eq!(s, 400, "{op}: {b}");
        assert!(
            b["__type"].as_str().unwrap_or_default().ends_with(code),
            "{op}: {b}"
        );
    }
}
