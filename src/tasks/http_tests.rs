//! The HTTP Task against a small axum server on 127.0.0.1:0.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::extract::{Query, RawQuery};
use axum::http::{HeaderMap as AxumHeaders, StatusCode};
use axum::routing::{any, get, post};
use axum::Router;

use super::*;
use crate::tasks::{TaskCall, Tasks};

fn v(text: &str) -> Value {
    crate::json::parse(text).expect("test JSON")
}

/// Starts the test server; returns its address.
async fn server() -> SocketAddr {
    let app = Router::new()
        .route(
            "/items",
            get(|Query(q): Query<HashMap<String, String>>| async move {
                axum::Json(serde_json::json!({ "query": q }))
            }),
        )
        .route(
            "/raw",
            get(|RawQuery(q): RawQuery| async move { q.unwrap_or_default() }),
        )
        .route(
            "/echo",
            post(|headers: AxumHeaders, body: String| async move {
                let ct = headers
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let auth = headers
                    .get("x-api-key")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                axum::Json(serde_json::json!({ "contentType": ct, "body": body, "key": auth }))
            }),
        )
        .route(
            "/missing",
            any(|| async {
                (
                    StatusCode::NOT_FOUND,
                    axum::Json(serde_json::json!({"message": "nope"})),
                )
            }),
        )
        .route("/text", get(|| async { "plain words" }));
    crate::test_support::serve_router(app).await
}

fn call(input: Value) -> TaskCall {
    crate::test_support::task_call("arn:aws:states:::http:invoke", "Call", input)
}

fn field<'a>(value: &'a Value, key: &str) -> &'a Value {
    match value {
        Value::Object(o) => o
            .get(key)
            .unwrap_or_else(|| panic!("no {key} in {value:?}")),
        _ => panic!("not an object: {value:?}"),
    }
}

#[tokio::test]
async fn get_with_query_parameters() {
    let addr = server().await;
    let params = v(&format!(
        r#"{{"ApiEndpoint":"http://{addr}/items","Method":"GET",
            "Authentication":{{"ConnectionArn":"arn:aws:events:us-east-1:1:connection/x/y"}},
            "QueryParameters":{{"name":"a b&c","n":3}}}}"#
    ));
    let out = Tasks::default().invoke(call(params)).await.expect("ok");
    assert_eq!(field(&out, "StatusCode"), &Value::from(200u64));
    assert_eq!(field(&out, "StatusText"), &Value::from("OK"));
    assert_eq!(
        field(&out, "ResponseBody"),
        &v(r#"{"query":{"name":"a b&c","n":"3"}}"#)
    );
    let headers = field(&out, "Headers");
    assert_eq!(
        field(headers, "content-type"),
        &v(r#"["application/json"]"#)
    );
}

#[tokio::test]
async fn query_arrays_repeat_the_name() {
    let addr = server().await;
    let params = v(&format!(
        r#"{{"ApiEndpoint":"http://{addr}/raw?x=1","Method":"GET",
            "QueryParameters":{{"tag":["a","b"]}}}}"#
    ));
    let out = Tasks::default().invoke(call(params)).await.expect("ok");
    assert_eq!(field(&out, "ResponseBody"), &Value::from("x=1&tag=a&tag=b"));
}

#[tokio::test]
async fn post_json_body_and_headers() {
    let addr = server().await;
    let params = v(&format!(
        r#"{{"ApiEndpoint":"http://{addr}/echo","Method":"POST",
            "Headers":{{"x-api-key":"secret"}},
            "RequestBody":{{"order":{{"id":7,"items":[1,2]}}}}}}"#
    ));
    let out = Tasks::default().invoke(call(params)).await.expect("ok");
    let body = field(&out, "ResponseBody");
    assert_eq!(field(body, "contentType"), &Value::from("application/json"));
    assert_eq!(field(body, "key"), &Value::from("secret"));
    assert_eq!(
        field(body, "body"),
        &Value::from(r#"{"order":{"id":7,"items":[1,2]}}"#)
    );
}

/// The URL-encoded body for `format` (None: the default).
async fn url_encoded(addr: SocketAddr, format: Option<&str>) -> String {
    let options = format
        .map(|f| format!(r#","RequestEncodingOptions":{{"ArrayFormat":"{f}"}}"#))
        .unwrap_or_default();
    let params = v(&format!(
        r#"{{"ApiEndpoint":"http://{addr}/echo","Method":"POST",
            "Transform":{{"RequestBodyEncoding":"URL_ENCODED"{options}}},
            "RequestBody":{{"a":["x","y z"],"b":1,"c":{{"d":true}}}}}}"#
    ));
    let out = Tasks::default().invoke(call(params)).await.expect("ok");
    let body = field(&out, "ResponseBody");
    assert_eq!(
        field(body, "contentType"),
        &Value::from("application/x-www-form-urlencoded")
    );
    match field(body, "body") {
        Value::String(s) => s.clone(),
        other => panic!("body {other:?}"),
    }
}

#[tokio::test]
async fn url_encoded_bodies_by_array_format() {
    let addr = server().await;
    assert_eq!(
        url_encoded(addr, None).await,
        "a=x&a=y%20z&b=1&c%5Bd%5D=true"
    );
    assert_eq!(
        url_encoded(addr, Some("REPEAT")).await,
        "a=x&a=y%20z&b=1&c%5Bd%5D=true"
    );
    assert_eq!(
        url_encoded(addr, Some("BRACKETS")).await,
        "a%5B%5D=x&a%5B%5D=y%20z&b=1&c%5Bd%5D=true"
    );
    assert_eq!(
        url_encoded(addr, Some("INDICES")).await,
        "a%5B0%5D=x&a%5B1%5D=y%20z&b=1&c%5Bd%5D=true"
    );
    assert_eq!(
        url_encoded(addr, Some("COMMA")).await,
        "a=x%2Cy%20z&b=1&c%5Bd%5D=true"
    );
}

#[tokio::test]
async fn non_json_body_is_a_string() {
    let addr = server().await;
    let params = v(&format!(
        r#"{{"ApiEndpoint":"http://{addr}/text","Method":"GET"}}"#
    ));
    let out = Tasks::default().invoke(call(params)).await.expect("ok");
    assert_eq!(field(&out, "ResponseBody"), &Value::from("plain words"));
}

#[tokio::test]
async fn non_2xx_fails_with_the_status_code() {
    let addr = server().await;
    let params = v(&format!(
        r#"{{"ApiEndpoint":"http://{addr}/missing","Method":"DELETE"}}"#
    ));
    let err = Tasks::default().invoke(call(params)).await.unwrap_err();
    assert_eq!(err.error, "States.Http.StatusCode.404");
    let cause = v(&err.cause);
    assert_eq!(field(&cause, "StatusCode"), &Value::from(404u64));
    assert_eq!(field(&cause, "StatusText"), &Value::from("Not Found"));
    assert_eq!(field(&cause, "ResponseBody"), &v(r#"{"message":"nope"}"#));
}

#[tokio::test]
async fn a_host_not_allowed_is_refused_without_a_call() {
    // A listener that counts connections: a refused host must not reach it,
    // and 127.0.0.1 reached through another name must not either.
    let (addr, hits) = crate::test_support::counting_listener().await;
    let port = addr.port();
    let params = v(&format!(
        r#"{{"ApiEndpoint":"http://example.com:{port}/x","Method":"GET"}}"#
    ));
    let err = Tasks::default().invoke(call(params)).await.unwrap_err();
    assert_eq!(err.error, "States.Permissions");
    assert!(err.cause.contains("'example.com'"), "{}", err.cause);
    assert!(err.cause.contains(HTTP_ALLOWED_HOSTS_ENV), "{}", err.cause);
    assert_eq!(hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn connection_failure_is_http_socket() {
    // Bind then drop: nothing listens on the port any more.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let params = v(&format!(
        r#"{{"ApiEndpoint":"http://127.0.0.1:{port}/","Method":"GET"}}"#
    ));
    let err = Tasks::default().invoke(call(params)).await.unwrap_err();
    assert_eq!(err.error, HTTP_SOCKET);
}

#[tokio::test]
async fn ill_formed_parameters_are_runtime_errors() {
    let t = Tasks::default();
    for params in [
        r#"{"Method":"GET"}"#,
        r#"{"ApiEndpoint":"http://127.0.0.1/","Method":"FETCH"}"#,
        r#"{"ApiEndpoint":"ftp://127.0.0.1/","Method":"GET"}"#,
        r#"{"ApiEndpoint":"not a url","Method":"GET"}"#,
        r#"{"ApiEndpoint":"http://127.0.0.1/","Method":"GET","Headers":[1]}"#,
        r#"{"ApiEndpoint":"http://127.0.0.1/","Method":"POST","RequestBody":[1],
            "Transform":{"RequestBodyEncoding":"URL_ENCODED"}}"#,
        r#"{"ApiEndpoint":"http://127.0.0.1/","Method":"POST","RequestBody":{},
            "Transform":{"RequestBodyEncoding":"URL_ENCODED",
                         "RequestEncodingOptions":{"ArrayFormat":"PIPES"}}}"#,
        "[]",
    ] {
        let err = t.invoke(call(v(params))).await.unwrap_err();
        assert_eq!(err.error, names::RUNTIME, "{params}: {}", err.cause);
    }
}

#[test]
fn allow_list_matching() {
    let default = HttpConfig::default();
    assert!(default.allows("localhost"));
    assert!(default.allows("LOCALHOST"));
    assert!(default.allows("127.0.0.1"));
    assert!(default.allows("127.9.8.7"));
    assert!(default.allows("[::1]"));
    assert!(!default.allows("example.com"));
    assert!(!default.allows("10.0.0.1"));
    assert!(!default.allows("localhost.example.com"));

    let some = HttpConfig {
        allowed_hosts: parse_host_list(" api.example.com, *.svc.local ,,10.0.0.1"),
    };
    assert_eq!(some.allowed_hosts.len(), 3);
    assert!(some.allows("API.example.com"));
    assert!(some.allows("a.b.svc.local"));
    assert!(!some.allows("svc.local"));
    assert!(!some.allows("evilsvc.local"));
    assert!(some.allows("10.0.0.1"));
    assert!(!some.allows("example.com"));

    let any = HttpConfig {
        allowed_hosts: parse_host_list("*"),
    };
    assert!(any.allows("anything.example"));
}

#[test]
fn resource_in_any_partition() {
    assert!(is_http_invoke("arn:aws:states:::http:invoke"));
    assert!(is_http_invoke("arn:aws-cn:states:::http:invoke"));
    assert!(!is_http_invoke("arn:aws:states:::http:invoke.sync"));
    assert!(!is_http_invoke("arn:aws:states:::lambda:invoke"));
}

#[tokio::test]
async fn set_http_allowed_hosts_replaces_the_list() {
    let mut t = Tasks::default();
    t.set_http_allowed_hosts(["api.example.com"]);
    assert_eq!(t.http_config().allowed_hosts, vec!["api.example.com"]);
    assert!(t.http_config().allows("api.example.com"));
}

/// Runs `definition` on `input` with the default (loopback-only) resolver.
async fn run(definition: &str, input: &str) -> crate::engine::ExecutionOutcome {
    let machine = Arc::new(crate::compile::load(definition).expect("definition"));
    let engine = crate::engine::Engine::new(Tasks::default());
    let options = crate::engine::ExecutionOptions {
        execution_arn: "arn:aws:states:us-east-1:123456789012:express:M:e:1".into(),
        name: "e".into(),
        state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:M".into(),
        state_machine_name: "M".into(),
        role_arn: "arn:aws:iam::123456789012:role/r".into(),
        start_time: std::time::SystemTime::now(),
        test_case: None,
        redrive_count: None,
    };
    engine.execute(machine, v(input), options).await
}

#[tokio::test]
async fn in_a_state_machine_with_rendered_parameters_and_a_catch() {
    let addr = server().await;
    let definition = format!(
        r#"{{"StartAt":"Get","States":{{
            "Get":{{"Type":"Task","Resource":"arn:aws:states:::http:invoke",
                "Parameters":{{"ApiEndpoint.$":"$.url","Method":"GET",
                    "QueryParameters":{{"name.$":"$.who"}}}},
                "ResultSelector":{{"q.$":"$.ResponseBody.query.name","code.$":"$.StatusCode"}},
                "ResultPath":"$.got","Next":"Missing"}},
            "Missing":{{"Type":"Task","Resource":"arn:aws:states:::http:invoke",
                "Parameters":{{"ApiEndpoint":"http://{addr}/missing","Method":"GET"}},
                "Catch":[{{"ErrorEquals":["States.Http.StatusCode.404"],
                           "ResultPath":"$.err","Next":"Done"}}],
                "End":true}},
            "Done":{{"Type":"Pass","End":true}}}}}}"#
    );
    let input = format!(r#"{{"url":"http://{addr}/items","who":"ada"}}"#);
    let outcome = run(&definition, &input).await;
    assert_eq!(
        outcome.status,
        crate::engine::ExecutionStatus::Succeeded,
        "{:?} {:?}",
        outcome.error,
        outcome.cause
    );
    let output = outcome.output.expect("output");
    assert_eq!(field(&output, "got"), &v(r#"{"q":"ada","code":200}"#));
    let err = field(&output, "err");
    assert_eq!(
        field(err, "Error"),
        &Value::from("States.Http.StatusCode.404")
    );
}
