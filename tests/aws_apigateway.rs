//! The API Gateway optimized integration (`arn:aws:states:::apigateway:invoke`
//! and `….waitForTaskToken`) run through the engine against a small axum
//! server standing in for the API behind the gateway: the request as the API
//! gets it (method, `/{Stage}/{Path}`, query, headers, body, the SigV4
//! `Authorization` for `execute-api` with `IAM_ROLE`), the result's shape,
//! `ApiGateway.<status>` errors caught by a Catcher, the callback pattern,
//! and `expressway run` reaching the server through
//! `AWS_ENDPOINT_URL_EXECUTE_API` and naming the resolver at start-up.

mod common;

use std::net::SocketAddr;
use std::process::Command;
use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::IntoResponse;
use axum::Router;
use expressway::engine::{Engine, ExecutionStatus};
use expressway::json::Value;
use expressway::tasks::{AwsConfig, Credentials, Tasks, EXECUTE_API_ENDPOINT_ENV};
use simd_json::prelude::*;
use tokio::sync::mpsc;

const BIN: &str = env!("CARGO_BIN_EXE_expressway");

/// What the stand-in API received, one request.
#[derive(Debug, Clone)]
struct Received {
    method: String,
    path: String,
    query: String,
    headers: HeaderMap,
    body: String,
}

/// The stand-in API: records every request; `/prod/fail/NNN` answers NNN,
/// anything else a JSON echo. A `tasktoken` header is passed on `tokens`.
#[derive(Clone)]
struct Api {
    received: Arc<Mutex<Vec<Received>>>,
    tokens: mpsc::UnboundedSender<String>,
}

async fn handle(
    axum::extract::State(api): axum::extract::State<Api>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> impl IntoResponse {
    let path = uri.path().to_owned();
    if let Some(token) = headers.get("tasktoken").and_then(|v| v.to_str().ok()) {
        let _ = api.tokens.send(token.to_owned());
    }
    api.received.lock().expect("lock").push(Received {
        method: method.as_str().to_owned(),
        path: path.clone(),
        query: uri.query().unwrap_or_default().to_owned(),
        headers,
        body: body.clone(),
    });
    if path == "/prod/text" {
        return (StatusCode::OK, "plain words".to_owned());
    }
    if let Some(code) = path.strip_prefix("/prod/fail/") {
        let status = code
            .parse::<u16>()
            .ok()
            .and_then(|c| StatusCode::from_u16(c).ok())
            .unwrap_or(StatusCode::BAD_REQUEST);
        return (status, format!(r#"{{"message":"failed with {code}"}}"#));
    }
    (
        StatusCode::OK,
        serde_json::json!({ "path": path, "body": body }).to_string(),
    )
}

/// Starts the stand-in API; its address, what it receives, the Task Tokens
/// it is sent.
async fn api() -> (
    SocketAddr,
    Arc<Mutex<Vec<Received>>>,
    mpsc::UnboundedReceiver<String>,
) {
    let (tx, rx) = mpsc::unbounded_channel();
    let state = Api {
        received: Arc::default(),
        tokens: tx,
    };
    let received = Arc::clone(&state.received);
    let app = Router::new().fallback(handle).with_state(state);
    (common::serve_router(app).await, received, rx)
}

/// Tasks whose API Gateway calls go to `addr`, signed with test keys.
fn tasks(addr: SocketAddr) -> Tasks {
    let mut tasks = Tasks::default();
    tasks.set_aws(AwsConfig {
        endpoint_url: Some(format!("http://{addr}")),
        region: Some("us-east-1".into()),
        credentials: Some(Credentials {
            access_key_id: "AKIDAPIGW".into(),
            secret_access_key: "secret".into(),
            session_token: None,
        }),
    });
    tasks
}

fn get<'a>(v: &'a Value, key: &str) -> &'a Value {
    v.get(key).unwrap_or_else(|| panic!("no {key} in {v:?}"))
}

#[tokio::test]
async fn invoke_sends_the_request_and_returns_the_response() {
    let (addr, received, _) = api().await;
    let definition = r#"{"StartAt":"AddBill","States":{"AddBill":{"Type":"Task",
        "Resource":"arn:aws:states:::apigateway:invoke",
        "Parameters":{"ApiEndpoint":"a1b2c3.execute-api.eu-west-1.amazonaws.com",
            "Method":"POST","Stage":"prod","Path.$":"$.path",
            "Headers":{"x-tenant":["acme"]},
            "QueryParameters":{"billId.$":"States.Array($.bill)","tag":["a","b c"]},
            "RequestBody":{"amount.$":"$.amount","note":null},
            "AuthType":"IAM_ROLE"},
        "ResultPath":"$.api","End":true}}}"#;
    let input = r#"{"path":"bills/add","bill":"b-7","amount":42}"#;
    let o = common::run_with(tasks(addr), definition, input).await;
    assert_eq!(o.status, ExecutionStatus::Succeeded, "{:?}", o.cause);
    let out = o.output.expect("output");
    let api = get(&out, "api");
    assert_eq!(get(api, "StatusCode"), &Value::from(200u64));
    assert_eq!(get(api, "StatusText"), &Value::from("OK"));
    assert!(
        matches!(get(get(api, "Headers"), "content-length"), Value::Array(v) if v.len() == 1),
        "{api:?}"
    );
    // The JSON body comes back parsed.
    let body = get(api, "ResponseBody");
    assert_eq!(get(body, "path"), &Value::from("/prod/bills/add"));
    assert_eq!(get(body, "body"), &Value::from(r#"{"amount":42}"#));

    let seen = received.lock().expect("lock").clone();
    assert_eq!(seen.len(), 1);
    let r = &seen[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/prod/bills/add");
    assert_eq!(r.query, "billId=b-7&tag=a&tag=b%20c");
    assert_eq!(r.body, r#"{"amount":42}"#);
    let header = |n: &str| {
        r.headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(header("x-tenant"), "acme");
    assert_eq!(header("content-type"), "application/json");
    let authorization = header("authorization");
    assert!(
        authorization.starts_with("AWS4-HMAC-SHA256 Credential=AKIDAPIGW/"),
        "{authorization}"
    );
    assert!(
        authorization.contains("/eu-west-1/execute-api/aws4_request"),
        "{authorization}"
    );
    assert!(!header("x-amz-date").is_empty());
}

#[tokio::test]
async fn no_auth_is_unsigned_and_a_string_response_stays_a_string() {
    let (addr, received, _) = api().await;
    let definition = r#"{"StartAt":"Get","States":{"Get":{"Type":"Task",
        "Resource":"arn:aws:states:::apigateway:invoke",
        "Parameters":{"ApiEndpoint":"a1b2c3.execute-api.us-east-1.amazonaws.com",
            "Method":"GET","Stage":"prod","Path":"text"},
        "ResultSelector":{"code.$":"$.StatusCode","body.$":"$.ResponseBody"},
        "End":true}}}"#;
    let o = common::run_with(tasks(addr), definition, "{}").await;
    assert_eq!(o.status, ExecutionStatus::Succeeded, "{:?}", o.cause);
    assert_eq!(
        expressway::json::to_string(&o.output.expect("output")),
        r#"{"code":200,"body":"plain words"}"#
    );
    let seen = received.lock().expect("lock").clone();
    assert_eq!(seen[0].method, "GET");
    assert!(seen[0].headers.get("authorization").is_none());
}

#[tokio::test]
async fn non_2xx_answers_are_caught_by_their_error_name() {
    let (addr, _, _) = api().await;
    let definition = r#"{"StartAt":"Call","States":{"Call":{"Type":"Task",
        "Resource":"arn:aws:states:::apigateway:invoke",
        "Parameters":{"ApiEndpoint":"a1b2c3.execute-api.us-east-1.amazonaws.com",
            "Method":"GET","Stage":"prod","Path.$":"$.path"},
        "Catch":[{"ErrorEquals":["ApiGateway.404"],"ResultPath":"$.err","Next":"NotFound"},
                 {"ErrorEquals":["ApiGateway.503"],"ResultPath":"$.err","Next":"Unavailable"}],
        "End":true},
        "NotFound":{"Type":"Pass","Result":"not found","ResultPath":"$.branch","End":true},
        "Unavailable":{"Type":"Pass","Result":"unavailable","ResultPath":"$.branch","End":true}}}"#;
    for (path, branch, code) in [
        ("fail/404", "not found", "404"),
        ("fail/503", "unavailable", "503"),
    ] {
        let input = format!(r#"{{"path":"{path}"}}"#);
        let o = common::run_with(tasks(addr), definition, &input).await;
        assert_eq!(o.status, ExecutionStatus::Succeeded, "{:?}", o.cause);
        let out = o.output.expect("output");
        assert_eq!(get(&out, "branch"), &Value::from(branch));
        let err = get(&out, "err");
        assert_eq!(
            get(err, "Error"),
            &Value::from(format!("ApiGateway.{code}"))
        );
        assert_eq!(
            get(err, "Cause"),
            &Value::from(format!(r#"{{"message":"failed with {code}"}}"#))
        );
    }
    // Not caught: the execution fails with the same error.
    let o = common::run_with(tasks(addr), definition, r#"{"path":"fail/500"}"#).await;
    assert_eq!(o.status, ExecutionStatus::Failed);
    assert_eq!(o.error.as_deref(), Some("ApiGateway.500"));
}

#[tokio::test]
async fn wait_for_task_token_sends_the_token_and_waits_for_it() {
    let (addr, received, mut tokens) = api().await;
    let engine = Engine::new(tasks(addr));
    let definition = r#"{"StartAt":"Approve","States":{"Approve":{"Type":"Task",
        "Resource":"arn:aws:states:::apigateway:invoke.waitForTaskToken",
        "Parameters":{"ApiEndpoint":"a1b2c3.execute-api.us-east-1.amazonaws.com",
            "Method":"POST","Stage":"prod","Path":"approvals",
            "Headers":{"TaskToken.$":"States.Array($$.Task.Token)"},
            "RequestBody":{"billId.$":"$.bill"},"AuthType":"NO_AUTH"},
        "ResultPath":"$.approval","End":true}}}"#;
    let machine = Arc::new(expressway::compile::load(definition).expect("definition loads"));
    let run = {
        let engine = engine.clone();
        tokio::spawn(async move {
            let input = expressway::json::parse(r#"{"bill":"b-9"}"#).expect("input");
            engine.execute(machine, input, common::options()).await
        })
    };
    let token = tokens.recv().await.expect("the API got the token");
    assert_eq!(engine.task_tokens().outstanding(), 1);
    let seen = received.lock().expect("lock").clone();
    assert_eq!(seen[0].body, r#"{"billId":"b-9"}"#);
    let answer = expressway::json::parse(r#"{"approved":true}"#).expect("answer");
    engine
        .task_tokens()
        .succeed(&token, answer)
        .expect("the token is outstanding");
    let o = run.await.expect("execution");
    assert_eq!(o.status, ExecutionStatus::Succeeded, "{:?}", o.cause);
    assert_eq!(
        expressway::json::to_string(&o.output.expect("output")),
        r#"{"bill":"b-9","approval":{"approved":true}}"#
    );
}

#[tokio::test]
async fn forbidden_header_fails_the_task_without_a_call() {
    let (addr, received, _) = api().await;
    let definition = r#"{"StartAt":"Call","States":{"Call":{"Type":"Task",
        "Resource":"arn:aws:states:::apigateway:invoke",
        "Parameters":{"ApiEndpoint":"a1b2c3.execute-api.us-east-1.amazonaws.com",
            "Method":"GET","Headers":{"X-Amz-Security-Token":["t"]}},
        "End":true}}}"#;
    let o = common::run_with(tasks(addr), definition, "{}").await;
    assert_eq!(o.status, ExecutionStatus::Failed);
    assert_eq!(o.error.as_deref(), Some("States.Runtime"));
    assert!(
        o.cause
            .as_deref()
            .unwrap_or_default()
            .contains("X-Amz-Security-Token"),
        "{:?}",
        o.cause
    );
    assert!(received.lock().expect("lock").is_empty());
}

/// `expressway run` reaches the stand-in API through
/// `AWS_ENDPOINT_URL_EXECUTE_API` and names the resolver at start-up.
#[tokio::test]
async fn the_endpoint_variable_points_run_at_a_local_api() {
    let (addr, received, _) = api().await;
    let dir = std::env::temp_dir().join(format!("expressway-apigw-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let definition = dir.join("bills.asl.json");
    std::fs::write(
        &definition,
        r#"{"StartAt":"List","States":{"List":{"Type":"Task",
            "Resource":"arn:aws:states:::apigateway:invoke",
            "Parameters":{"ApiEndpoint":"a1b2c3.execute-api.us-east-1.amazonaws.com",
                "Method":"GET","Stage":"prod","Path":"bills"},
            "OutputPath":"$.ResponseBody","End":true}}}"#,
    )
    .expect("definition");
    let input = dir.join("input.json");
    std::fs::write(&input, "{}").expect("input");
    let endpoint = format!("http://{addr}");
    let cwd = dir.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(BIN)
            .current_dir(&cwd)
            .arg("run")
            .arg(&definition)
            .arg("--input")
            .arg(&input)
            .env(EXECUTE_API_ENDPOINT_ENV, &endpoint)
            .env_remove("AWS_ENDPOINT_URL")
            .env_remove("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
            .env_remove("SFN_MOCK_CONFIG")
            .output()
            .expect("run")
    })
    .await
    .expect("join");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let result: serde_json::Value = serde_json::from_str(stdout.trim()).expect("run's JSON");
    assert_eq!(result["status"], "SUCCEEDED", "{stdout}");
    assert_eq!(result["output"]["path"], "/prod/bills", "{stdout}");
    assert!(
        stderr.contains(&format!("-> API Gateway integration at http://{addr}")),
        "{stderr}"
    );
    assert!(!stderr.contains("PUBLIC AWS"), "{stderr}");
    assert_eq!(received.lock().expect("lock").len(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}
