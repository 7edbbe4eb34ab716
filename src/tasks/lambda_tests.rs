//! Lambda Invoke against an in-test HTTP server that answers as
//! `conformance/lambda_emulator.py` (and AWS) do.

use std::sync::{Arc, Mutex};

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response as AxumResponse};
use axum::routing::post;
use axum::Router;

use super::*;
use crate::tasks::{TaskCall, Tasks};

const RAISE_BODY: &str = "{\"errorMessage\": \"Some exception was raised.\", \"errorType\": \
    \"Exception\", \"requestId\": \"11111111-2222-3333-4444-555555555555\", \"stackTrace\": \
    [\"  File \\\"/var/task/handler.py\\\", line 2, in handler\\n    raise Exception(\\\"Some \
    exception was raised.\\\")\\n\"]}";

/// What the server saw of one request.
#[derive(Debug, Clone, Default)]
struct Seen {
    function: String,
    query: Option<String>,
    invocation_type: Option<String>,
    log_type: Option<String>,
    client_context: Option<String>,
    authorization: Option<String>,
    body: Vec<u8>,
}

type Log = Arc<Mutex<Vec<Seen>>>;

fn header(h: &HeaderMap, k: &str) -> Option<String> {
    h.get(k).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

async fn invoke(
    State(log): State<Log>,
    Path(function): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> AxumResponse {
    let seen = Seen {
        function: function.clone(),
        query,
        invocation_type: header(&headers, "x-amz-invocation-type"),
        log_type: header(&headers, "x-amz-log-type"),
        client_context: header(&headers, "x-amz-client-context"),
        authorization: header(&headers, "authorization"),
        body: body.to_vec(),
    };
    log.lock().unwrap().push(seen.clone());
    let name = match function.split_once("function:") {
        Some((_, rest)) => rest.split(':').next().unwrap_or(rest).to_owned(),
        None => function.split(':').next().unwrap_or_default().to_owned(),
    };
    let rid = "req-0001";
    let ok = [
        ("X-Amz-Executed-Version", "$LATEST"),
        ("x-amzn-Remapped-Content-Length", "0"),
        ("x-amzn-RequestId", rid),
        ("X-Amzn-Trace-Id", "Root=1-abc"),
        ("Content-Type", "application/json"),
    ];
    let with = |extra: &[(&'static str, &'static str)], body: Vec<u8>| {
        let mut h = HeaderMap::new();
        for (k, v) in ok.iter().chain(extra) {
            h.insert(*k, v.parse().unwrap());
        }
        (StatusCode::OK, h, body).into_response()
    };
    if seen.invocation_type.as_deref() == Some("Event") {
        return (StatusCode::ACCEPTED, [("x-amzn-RequestId", rid)]).into_response();
    }
    match name.as_str() {
        "echo" => {
            let body = if seen.body.is_empty() {
                b"{}".to_vec()
            } else {
                seen.body
            };
            if seen.log_type.as_deref() == Some("Tail") {
                with(&[("X-Amz-Log-Result", "U1RBUlQ=")], body)
            } else {
                with(&[], body)
            }
        }
        "raise" => with(
            &[("X-Amz-Function-Error", "Unhandled")],
            RAISE_BODY.as_bytes().to_vec(),
        ),
        "crash" => with(
            &[("X-Amz-Function-Error", "Unhandled")],
            br#"{"errorMessage":"RequestId: x Error: Runtime exited"}"#.to_vec(),
        ),
        "bytes" => with(&[], br#""HelloWorld!""#.to_vec()),
        "notjson" => with(&[], b"hello world".to_vec()),
        "large" => with(&[], vec![b'a'; 257 * 1024]),
        "slow" => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            with(&[], b"{}".to_vec())
        }
        _ => {
            let msg = format!(
                r#"{{"Message":"Function not found: arn:aws:lambda:us-east-1:111111111111:function:{name}:$LATEST","Type":"User"}}"#
            );
            (
                StatusCode::NOT_FOUND,
                [
                    ("x-amzn-RequestId", rid),
                    ("x-amzn-ErrorType", "ResourceNotFoundException"),
                    ("Content-Type", "application/json"),
                ],
                msg,
            )
                .into_response()
        }
    }
}

/// Starts the server on 127.0.0.1:0; returns its base URL and request log.
async fn server() -> (String, Log) {
    let log: Log = Arc::default();
    let app = Router::new()
        .route("/2015-03-31/functions/{function}/invocations", post(invoke))
        .with_state(Arc::clone(&log));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.ok();
    });
    (format!("http://{addr}"), log)
}

async fn tasks() -> (Tasks, Log) {
    let (url, log) = server().await;
    let mut t = Tasks::default();
    t.set_lambda(Some(LambdaConfig::local(url)));
    (t, log)
}

fn v(text: &str) -> Value {
    crate::json::parse(text).expect("test JSON")
}

fn call(resource: &str, input: Value) -> TaskCall {
    crate::test_support::task_call(resource, "Invoke", input)
}

fn arn(name: &str) -> String {
    format!("arn:aws:lambda:us-east-1:111111111111:function:{name}")
}

fn get<'a>(v: &'a Value, key: &str) -> &'a Value {
    match v {
        Value::Object(o) => o
            .get(key)
            .unwrap_or_else(|| panic!("no key {key} in {v:?}")),
        _ => panic!("not an object: {v:?}"),
    }
}

#[tokio::test]
async fn function_arn_returns_only_the_output() {
    let (t, log) = tasks().await;
    let out = t.invoke(call(&arn("echo"), v(r#"{"a":[1,2]}"#))).await;
    assert_eq!(out, Ok(v(r#"{"a":[1,2]}"#)));
    let seen = log.lock().unwrap()[0].clone();
    assert_eq!(seen.function, arn("echo"));
    assert_eq!(seen.body, br#"{"a":[1,2]}"#);
    assert_eq!(seen.authorization, None);
    // JSON text bodies are JSON; other bodies are strings.
    let out = t.invoke(call(&arn("bytes"), v("null"))).await;
    assert_eq!(out, Ok(Value::from("HelloWorld!")));
    let out = t.invoke(call(&arn("notjson"), v("null"))).await;
    assert_eq!(out, Ok(Value::from("hello world")));
    // A qualified ARN is sent whole.
    let q = format!("{}:$LATEST", arn("echo"));
    assert_eq!(t.invoke(call(&q, v("7"))).await, Ok(v("7")));
    assert_eq!(log.lock().unwrap()[3].function, q);
}

#[tokio::test]
async fn function_error_cause_as_received_for_function_arn() {
    let (t, _) = tasks().await;
    let err = t.invoke(call(&arn("raise"), v("{}"))).await.unwrap_err();
    assert_eq!(err, ExecError::new("Exception", RAISE_BODY));
    let err = t.invoke(call(&arn("crash"), v("{}"))).await.unwrap_err();
    assert_eq!(err.error, "Lambda.Unknown");
}

#[tokio::test]
async fn lambda_invoke_envelope() {
    let (t, log) = tasks().await;
    let params = v(
        r#"{"FunctionName":"echo","Payload":{"x":"é"},"Qualifier":"$LATEST",
        "LogType":"Tail","ClientContext":"e30=","InvocationType":"RequestResponse"}"#,
    );
    let out = t
        .invoke(call("arn:aws:states:::lambda:invoke", params))
        .await
        .unwrap();
    assert_eq!(get(&out, "Payload"), &v(r#"{"x":"é"}"#));
    assert_eq!(get(&out, "StatusCode"), &Value::from(200u16));
    assert_eq!(get(&out, "ExecutedVersion"), &Value::from("$LATEST"));
    assert_eq!(get(&out, "LogResult"), &Value::from("U1RBUlQ="));
    assert_eq!(
        get(get(&out, "SdkResponseMetadata"), "RequestId"),
        &Value::from("req-0001")
    );
    let http = get(&out, "SdkHttpMetadata");
    assert_eq!(get(http, "HttpStatusCode"), &Value::from(200u16));
    let all = get(http, "AllHttpHeaders");
    assert_eq!(get(all, "X-Amz-Executed-Version"), &v(r#"["$LATEST"]"#));
    assert_eq!(get(all, "x-amzn-RequestId"), &v(r#"["req-0001"]"#));
    assert_eq!(get(all, "x-amzn-Remapped-Content-Length"), &v(r#"["0"]"#));
    let flat = get(http, "HttpHeaders");
    assert_eq!(get(flat, "Content-Type"), &Value::from("application/json"));
    assert_eq!(get(flat, "X-Amzn-Trace-Id"), &Value::from("Root=1-abc"));
    // HttpHeaders are sorted case-insensitively, as the Java SDK's map is.
    if let Value::Object(o) = flat {
        let keys: Vec<String> = o.keys().map(|k| k.to_ascii_lowercase()).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
    }
    let seen = log.lock().unwrap()[0].clone();
    assert_eq!(seen.function, "echo");
    assert_eq!(seen.query.as_deref(), Some("Qualifier=%24LATEST"));
    assert_eq!(seen.log_type.as_deref(), Some("Tail"));
    assert_eq!(seen.client_context.as_deref(), Some("e30="));
    assert_eq!(seen.invocation_type.as_deref(), Some("RequestResponse"));
    assert_eq!(String::from_utf8(seen.body).unwrap(), r#"{"x":"é"}"#);
}

#[tokio::test]
async fn lambda_invoke_payload_shapes() {
    let (t, log) = tasks().await;
    let li = "arn:aws:states:::lambda:invoke";
    let out = t
        .invoke(call(li, v(r#"{"FunctionName":"bytes"}"#)))
        .await
        .unwrap();
    assert_eq!(get(&out, "Payload"), &Value::from("HelloWorld!"));
    // A string Payload is sent as its raw text (AWS: "\"HelloWorld\"" in,
    // "HelloWorld" echoed back), a null one as an empty body.
    t.invoke(call(li, v(r#"{"FunctionName":"echo","Payload":"hi"}"#)))
        .await
        .unwrap();
    assert_eq!(log.lock().unwrap()[1].body, b"hi");
    t.invoke(call(li, v(r#"{"FunctionName":"echo","Payload":null}"#)))
        .await
        .unwrap();
    assert_eq!(log.lock().unwrap()[2].body, b"");
    // Event: 202, empty payload.
    let out = t
        .invoke(call(
            li,
            v(r#"{"FunctionName":"echo","InvocationType":"Event"}"#),
        ))
        .await
        .unwrap();
    assert_eq!(get(&out, "StatusCode"), &Value::from(202u16));
    assert_eq!(get(&out, "Payload"), &Value::from(""));
}

#[tokio::test]
async fn lambda_invoke_function_error_is_compacted() {
    let (t, _) = tasks().await;
    let err = t
        .invoke(call(
            "arn:aws:states:::lambda:invoke",
            v(r#"{"FunctionName":"raise","Payload":{}}"#),
        ))
        .await
        .unwrap_err();
    assert_eq!(err.error, "Exception");
    assert_eq!(
        err.cause,
        "{\"errorMessage\":\"Some exception was raised.\",\"errorType\":\"Exception\",\
         \"requestId\":\"11111111-2222-3333-4444-555555555555\",\"stackTrace\":[\"  File \
         \\\"/var/task/handler.py\\\", line 2, in handler\\n    raise Exception(\\\"Some \
         exception was raised.\\\")\\n\"]}"
    );
}

#[tokio::test]
async fn not_found_maps_to_lambda_exception() {
    let (t, _) = tasks().await;
    let err = t
        .invoke(call(
            "arn:aws:states:::lambda:invoke",
            v(r#"{"FunctionName":"no_such_fn"}"#),
        ))
        .await
        .unwrap_err();
    assert_eq!(err.error, "Lambda.ResourceNotFoundException");
    assert_eq!(
        err.cause,
        "Function not found: arn:aws:lambda:us-east-1:111111111111:function:no_such_fn:$LATEST \
         (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; \
         Request ID: req-0001; Proxy: null)"
    );
    let err = t
        .invoke(call(&arn("no_such_fn"), v("{}")))
        .await
        .unwrap_err();
    assert_eq!(err.error, "Lambda.ResourceNotFoundException");
}

#[tokio::test]
async fn oversize_body_is_data_limit_exceeded() {
    let (t, _) = tasks().await;
    let err = t
        .invoke(call(
            "arn:aws:states:::lambda:invoke",
            v(r#"{"FunctionName":"large"}"#),
        ))
        .await
        .unwrap_err();
    assert_eq!(err.error, names::DATA_LIMIT_EXCEEDED);
    assert_eq!(
        err.cause,
        "The state/task 'lambda' returned a result with a size exceeding the maximum number \
         of bytes service limit."
    );
    let err = t.invoke(call(&arn("large"), v("{}"))).await.unwrap_err();
    assert_eq!(err.error, names::DATA_LIMIT_EXCEEDED);
    assert_eq!(
        err.cause,
        format!(
            "The state/task '{}' returned a result with a size exceeding the maximum number \
             of bytes service limit.",
            arn("large")
        )
    );
}

#[tokio::test]
async fn sdk_invoke_keeps_payload_string_and_function_error() {
    let (t, log) = tasks().await;
    let sdk = "arn:aws:states:::aws-sdk:lambda:invoke";
    let out = t
        .invoke(call(sdk, v(r#"{"FunctionName":"raise"}"#)))
        .await
        .unwrap();
    assert_eq!(get(&out, "FunctionError"), &Value::from("Unhandled"));
    assert_eq!(get(&out, "Payload"), &Value::from(RAISE_BODY));
    assert_eq!(get(&out, "StatusCode"), &Value::from(200u16));
    let out = t
        .invoke(call(
            sdk,
            v(r#"{"FunctionName":"echo","Payload":"{\"a\":1}"}"#),
        ))
        .await
        .unwrap();
    assert_eq!(get(&out, "Payload"), &Value::from(r#"{"a":1}"#));
    assert_eq!(log.lock().unwrap()[1].body, br#"{"a":1}"#);
}

#[tokio::test]
async fn bad_parameters_fail_clearly() {
    let (t, _) = tasks().await;
    let li = "arn:aws:states:::lambda:invoke";
    let err = t
        .invoke(call(li, v(r#"{"Payload":{}}"#)))
        .await
        .unwrap_err();
    assert_eq!(err.error, names::RUNTIME);
    assert!(err.cause.contains("FunctionName"), "{}", err.cause);
    let err = t
        .invoke(call(li, v(r#"{"FunctionName":1}"#)))
        .await
        .unwrap_err();
    assert!(err.cause.contains("must be a string"), "{}", err.cause);
    let err = t.invoke(call(li, v("[]"))).await.unwrap_err();
    assert_eq!(err.error, names::RUNTIME);
}

#[tokio::test]
async fn signed_when_credentials_are_given() {
    let (url, log) = server().await;
    let mut t = Tasks::default();
    t.set_lambda(Some(LambdaConfig {
        endpoint: url,
        region: "eu-west-1".into(),
        credentials: Some(Credentials {
            access_key_id: "AKID".into(),
            secret_access_key: "secret".into(),
            session_token: None,
        }),
    }));
    assert_eq!(t.invoke(call(&arn("echo"), v("1"))).await, Ok(v("1")));
    let auth = log.lock().unwrap()[0].authorization.clone().unwrap();
    assert!(
        auth.starts_with("AWS4-HMAC-SHA256 Credential=AKID/"),
        "{auth}"
    );
    assert!(auth.contains("/eu-west-1/lambda/aws4_request"), "{auth}");
}

#[tokio::test]
async fn transport_errors_and_timeouts() {
    // A port nobody listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let mut t = Tasks::default();
    t.set_lambda(Some(LambdaConfig::local(format!("http://{addr}"))));
    let err = t.invoke(call(&arn("echo"), v("1"))).await.unwrap_err();
    assert_eq!(err.error, "Lambda.SdkClientException");

    let (t, _) = tasks().await;
    let mut c = call(&arn("slow"), v("1"));
    c.timeout = Some(Duration::from_millis(100));
    let err = t.invoke(c).await.unwrap_err();
    assert_eq!(err, ExecError::new(names::TIMEOUT, ""));
}

#[test]
fn header_names_are_canonical() {
    assert_eq!(canonical_header("x-amzn-requestid"), "x-amzn-RequestId");
    assert_eq!(
        canonical_header("x-amz-executed-version"),
        "X-Amz-Executed-Version"
    );
    assert_eq!(canonical_header("x-custom-thing"), "X-Custom-Thing");
}
