//! SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat over the real API
//! router (127.0.0.1:0), answering a `.waitForTaskToken` Task of a sync execution.

use std::sync::Arc;

use expressway::api::{router, Config, Service};
use expressway::engine::Engine;
use expressway::json::Value;
use expressway::tasks::Tasks;
use serde_json::{json, Value as Json};
use simd_json::prelude::*;
use tokio::sync::mpsc;

const ISSUER: &str = "arn:aws:lambda:us-east-1:123456789012:function:Issuer";

struct Api {
    url: String,
    client: reqwest::Client,
}

impl Api {
    async fn call(&self, op: &str, body: Json) -> (u16, Json) {
        let r = self
            .client
            .post(&self.url)
            .header("content-type", "application/x-amz-json-1.0")
            .header("x-amz-target", format!("AWSStepFunctions.{op}"))
            .body(body.to_string())
            .send()
            .await
            .expect("send");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Json::Null))
    }
}

async fn start() -> (Api, mpsc::UnboundedReceiver<String>) {
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
    let service = Service::new(Engine::new(tasks), Config::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, router(service)).await });
    let api = Api {
        url: format!("http://{addr}/"),
        client: reqwest::Client::new(),
    };
    let definition = json!({
        "StartAt": "Wait3DS",
        "States": {"Wait3DS": {
            "Type": "Task", "Resource": format!("{ISSUER}.waitForTaskToken"),
            "Parameters": {"token.$": "$$.Task.Token"}, "HeartbeatSeconds": 30, "TimeoutSeconds": 60,
            "ResultPath": "$.threeDS", "End": true}}
    });
    let (status, body) = api
        .call(
            "CreateStateMachine",
            json!({"name": "cb", "definition": definition.to_string(),
                   "roleArn": "arn:aws:iam::123456789012:role/x", "type": "EXPRESS"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    (api, rx)
}

fn start_sync(api: &Arc<Api>) -> tokio::task::JoinHandle<Json> {
    let api = api.clone();
    tokio::spawn(async move {
        api.call(
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
        .call("SendTaskHeartbeat", json!({"taskToken": token}))
        .await;
    assert_eq!((s, &b), (200, &json!({})));
    let (s, b) = api
        .call(
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
        .call(
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
        .call(
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
        let (s, b) = api.call(op, body).await;
        assert_eq!(s, 400, "{op}: {b}");
        assert!(
            b["__type"].as_str().unwrap_or_default().ends_with(code),
            "{op}: {b}"
        );
    }
}
