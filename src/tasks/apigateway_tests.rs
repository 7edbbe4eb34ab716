//! The API Gateway integration against a small axum server on 127.0.0.1:0
//! standing in for the deployed API (the endpoint set with `Tasks::set_aws`).

use std::net::SocketAddr;
use std::sync::atomic::Ordering;

use axum::http::{HeaderMap as AxumHeaders, Method as AxumMethod, StatusCode, Uri};
use axum::response::IntoResponse;
use axum::Router;

use super::*;
use crate::errors::names;
use crate::tasks::{AwsConfig, Credentials, TaskCall, Tasks};

fn v(text: &str) -> Value {
    crate::json::parse(text).expect("test JSON")
}

fn field<'a>(value: &'a Value, key: &str) -> &'a Value {
    value
        .get(key)
        .unwrap_or_else(|| panic!("no {key} in {value:?}"))
}

/// Echoes the request as JSON, except for a few paths with fixed answers.
async fn api(
    method: AxumMethod,
    uri: Uri,
    headers: AxumHeaders,
    body: String,
) -> impl IntoResponse {
    let path = uri.path().to_owned();
    if path.ends_with("/missing") {
        return (
            StatusCode::FORBIDDEN,
            [("content-type", "application/json")],
            r#"{"message":"Missing Authentication Token"}"#.to_owned(),
        );
    }
    if path.ends_with("/boom") {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            [("content-type", "text/plain")],
            "internal failure".to_owned(),
        );
    }
    if path.ends_with("/text") {
        return (
            StatusCode::OK,
            [("content-type", "text/plain")],
            "plain words".to_owned(),
        );
    }
    if path.ends_with("/big") {
        return (
            StatusCode::OK,
            [("content-type", "text/plain")],
            "x".repeat(300 * 1024),
        );
    }
    let mut names = serde_json::Map::new();
    for (name, value) in &headers {
        let entry = names
            .entry(name.as_str().to_owned())
            .or_insert_with(|| serde_json::Value::Array(Vec::new()));
        if let serde_json::Value::Array(values) = entry {
            values.push(serde_json::Value::from(
                value.to_str().unwrap_or_default().to_owned(),
            ));
        }
    }
    let echo = serde_json::json!({
        "method": method.as_str(),
        "path": path,
        "query": uri.query().unwrap_or_default(),
        "headers": names,
        "body": body,
    });
    (
        StatusCode::OK,
        [("content-type", "application/json")],
        echo.to_string(),
    )
}

/// Starts the stand-in API; returns its address.
async fn server() -> SocketAddr {
    let app = Router::new().fallback(api);
    crate::test_support::serve_router(app).await
}

/// Tasks whose API Gateway calls go to `addr`, signing with test keys.
fn tasks(addr: SocketAddr) -> Tasks {
    let mut tasks = Tasks::default();
    tasks.set_aws(AwsConfig {
        endpoint_url: Some(format!("http://{addr}/")),
        region: None,
        credentials: Some(Credentials {
            access_key_id: "AKIDTEST".into(),
            secret_access_key: "secret".into(),
            session_token: None,
        }),
    });
    tasks
}

fn call(input: Value) -> TaskCall {
    crate::test_support::task_call("arn:aws:states:::apigateway:invoke", "Call", input)
}

/// Parameters calling `path` on the stage `prod` with `extra` fields.
fn params(method: &str, path: &str, extra: &str) -> Value {
    v(&format!(
        r#"{{"ApiEndpoint":"abc123.execute-api.us-west-2.amazonaws.com","Method":"{method}",
            "Stage":"prod","Path":"{path}"{extra}}}"#
    ))
}

#[tokio::test]
async fn get_with_stage_path_query_and_headers() {
    let addr = server().await;
    let out = tasks(addr)
        .invoke(call(params(
            "GET",
            "bills/2024",
            r#","QueryParameters":{"billId":["123","456"],"q":["a b"]},
               "Headers":{"x-tenant":["t1","t2"],"Accept":["application/json"]}"#,
        )))
        .await
        .expect("ok");
    assert_eq!(field(&out, "StatusCode"), &Value::from(200u64));
    assert_eq!(field(&out, "StatusText"), &Value::from("OK"));
    assert_eq!(
        field(field(&out, "Headers"), "content-type"),
        &v(r#"["application/json"]"#)
    );
    let echo = field(&out, "ResponseBody");
    assert_eq!(field(echo, "method"), &Value::from("GET"));
    assert_eq!(field(echo, "path"), &Value::from("/prod/bills/2024"));
    assert_eq!(
        field(echo, "query"),
        &Value::from("billId=123&billId=456&q=a%20b")
    );
    let headers = field(echo, "headers");
    assert_eq!(field(headers, "x-tenant"), &v(r#"["t1","t2"]"#));
    assert_eq!(field(headers, "accept"), &v(r#"["application/json"]"#));
    // NO_AUTH: not signed.
    assert!(headers.get("authorization").is_none(), "{headers:?}");
    assert_eq!(field(echo, "body"), &Value::from(""));
}

#[tokio::test]
async fn post_json_body_drops_nulls_unless_allowed() {
    let addr = server().await;
    let t = tasks(addr);
    let body = r#","RequestBody":{"pet":{"type":"turtle","name":null},"tags":[null,1]}"#;
    let out = t
        .invoke(call(params("POST", "pets", body)))
        .await
        .expect("ok");
    let echo = field(&out, "ResponseBody");
    assert_eq!(
        field(echo, "body"),
        &Value::from(r#"{"pet":{"type":"turtle"},"tags":[null,1]}"#)
    );
    assert_eq!(
        field(field(echo, "headers"), "content-type"),
        &v(r#"["application/json"]"#)
    );
    let allowed = format!(r#"{body},"AllowNullValues":true"#);
    let out = t
        .invoke(call(params("POST", "pets", &allowed)))
        .await
        .expect("ok");
    assert_eq!(
        field(field(&out, "ResponseBody"), "body"),
        &Value::from(r#"{"pet":{"type":"turtle","name":null},"tags":[null,1]}"#)
    );
}

#[tokio::test]
async fn null_query_and_header_values_are_left_out_by_default() {
    let addr = server().await;
    let extra = r#","QueryParameters":{"a":["1",null],"b":null},"Headers":{"x-n":null}"#;
    let out = tasks(addr)
        .invoke(call(params("GET", "x", extra)))
        .await
        .expect("ok");
    let echo = field(&out, "ResponseBody");
    assert_eq!(field(echo, "query"), &Value::from("a=1"));
    assert!(field(echo, "headers").get("x-n").is_none());
}

#[tokio::test]
async fn string_body_is_sent_as_is() {
    let addr = server().await;
    let out = tasks(addr)
        .invoke(call(params(
            "PUT",
            "raw",
            r#","RequestBody":"HelloWorld","Headers":{"Content-Type":["text/csv"]}"#,
        )))
        .await
        .expect("ok");
    let echo = field(&out, "ResponseBody");
    assert_eq!(field(echo, "method"), &Value::from("PUT"));
    assert_eq!(field(echo, "body"), &Value::from("HelloWorld"));
    assert_eq!(
        field(field(echo, "headers"), "content-type"),
        &v(r#"["text/csv"]"#)
    );
}

/// The first value of the echoed header `name`.
fn echoed_header(echo: &Value, name: &str) -> String {
    match field(field(echo, "headers"), name) {
        Value::Array(values) => values[0].as_str().unwrap_or_default().to_owned(),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn iam_role_signs_for_execute_api_in_the_endpoint_region() {
    let addr = server().await;
    for auth in ["IAM_ROLE", "RESOURCE_POLICY"] {
        let extra = format!(
            r#","AuthType":"{auth}","RequestBody":{{"a":1}},
               "QueryParameters":{{"b":["x y","z"],"a":["1"]}},"Headers":{{"x-tenant":"t"}}"#
        );
        let out = tasks(addr)
            .invoke(call(params("POST", "signed/a b", &extra)))
            .await
            .expect("ok");
        let echo = field(&out, "ResponseBody");
        let authorization = echoed_header(echo, "authorization");
        assert!(
            authorization.starts_with("AWS4-HMAC-SHA256 Credential=AKIDTEST/"),
            "{authorization}"
        );
        assert!(
            authorization.contains("/us-west-2/execute-api/aws4_request"),
            "{authorization}"
        );
        // The signature checks out against the request as received, by the
        // Lambda signer (an independent SigV4 implementation, checked
        // against AWS's test suite).
        let text = |k: &str| field(echo, k).as_str().unwrap_or_default().to_owned();
        let (path, query, body) = (text("path"), text("query"), text("body"));
        assert_eq!(path, "/prod/signed/a%20b");
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        let pairs: Vec<(String, String)> = query
            .split('&')
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (decode(k), decode(v))
            })
            .collect();
        assert!(pairs.contains(&("b".into(), "x y".into())), "{pairs:?}");
        let refs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let creds = Credentials {
            access_key_id: "AKIDTEST".into(),
            secret_access_key: "secret".into(),
            session_token: None,
        };
        let host = echoed_header(echo, "host");
        let request = crate::tasks::sigv4::Request {
            method: "POST",
            host: &host,
            path: &path,
            query: &refs,
            payload: body.as_bytes(),
        };
        let amz_date = echoed_header(echo, "x-amz-date");
        let expected =
            crate::tasks::sigv4::sign(&request, &creds, "us-west-2", "execute-api", &amz_date);
        assert_eq!(
            expected.last().map(|(_, v)| v.as_str()),
            Some(authorization.as_str())
        );
    }
}

#[tokio::test]
async fn non_2xx_is_api_gateway_status_with_the_body_as_cause() {
    let addr = server().await;
    let t = tasks(addr);
    let err = t
        .invoke(call(params("POST", "missing", "")))
        .await
        .unwrap_err();
    assert_eq!(err.error, "ApiGateway.403");
    assert_eq!(err.cause, r#"{"message":"Missing Authentication Token"}"#);
    let err = t.invoke(call(params("GET", "boom", ""))).await.unwrap_err();
    assert_eq!(err.error, "ApiGateway.500");
    assert_eq!(err.cause, "internal failure");
}

#[tokio::test]
async fn text_body_stays_text_and_a_big_one_exceeds_the_limit() {
    let addr = server().await;
    let t = tasks(addr);
    let out = t.invoke(call(params("GET", "text", ""))).await.expect("ok");
    assert_eq!(field(&out, "ResponseBody"), &Value::from("plain words"));
    let err = t.invoke(call(params("GET", "big", ""))).await.unwrap_err();
    assert_eq!(err.error, names::DATA_LIMIT_EXCEEDED);
}

#[tokio::test]
async fn no_answer_is_an_sdk_client_exception() {
    // Bind then drop: nothing listens on the port any more.
    let addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr")
    };
    let err = tasks(addr)
        .invoke(call(params("GET", "x", "")))
        .await
        .unwrap_err();
    assert_eq!(err.error, "ApiGateway.SdkClientException");
    assert!(
        err.cause.starts_with("Unable to execute HTTP request: "),
        "{}",
        err.cause
    );
}

#[tokio::test]
async fn forbidden_headers_and_bad_parameters_fail_without_a_call() {
    let (addr, hits) = crate::test_support::counting_listener().await;
    let t = tasks(addr);
    let endpoint = r#""ApiEndpoint":"abc.execute-api.us-east-1.amazonaws.com""#;
    for header in [
        "Authorization",
        "host",
        "X-Forwarded-For",
        "x-amz-date",
        "X-Amzn-Trace-Id",
        "Transfer-Encoding",
        "TE",
        "Www-Authenticate",
        "Content-MD5",
    ] {
        let p = v(&format!(
            r#"{{{endpoint},"Method":"GET","Headers":{{"{header}":["x"]}}}}"#
        ));
        let err = t.invoke(call(p)).await.unwrap_err();
        assert_eq!(err.error, names::RUNTIME, "{header}: {}", err.cause);
        assert!(err.cause.contains(header), "{}", err.cause);
    }
    for p in [
        r#"{"Method":"GET"}"#.to_owned(),
        format!(r#"{{{endpoint}}}"#),
        format!(r#"{{{endpoint},"Method":"FETCH"}}"#),
        format!(r#"{{{endpoint},"Method":"GET","AuthType":"IAM_AUTH"}}"#),
        format!(r#"{{{endpoint},"Method":"GET","AllowNullValues":"yes"}}"#),
        format!(r#"{{{endpoint},"Method":"GET","Stage":1}}"#),
        format!(r#"{{{endpoint},"Method":"GET","Headers":["a"]}}"#),
        format!(r#"{{{endpoint},"Method":"GET","QueryParameters":{{"a":[{{"b":1}}]}}}}"#),
        format!(r#"{{{endpoint},"Method":"GET","RequestBody":{{"a":1}}}}"#),
        format!(r#"{{{endpoint},"Method":"GET","Transform":{{}}}}"#),
        r#"{"ApiEndpoint":"https://abc.execute-api.us-east-1.amazonaws.com","Method":"GET"}"#
            .to_owned(),
        r#"{"ApiEndpoint":"example.com","Method":"GET"}"#.to_owned(),
        "[]".to_owned(),
    ] {
        let err = t.invoke(call(v(&p))).await.unwrap_err();
        assert_eq!(err.error, names::RUNTIME, "{p}: {}", err.cause);
    }
    assert_eq!(hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn signing_without_credentials_fails_clearly() {
    // Only meaningful where the environment gives no credentials either.
    if Credentials::from_env().is_some() {
        return;
    }
    let addr = server().await;
    let mut t = Tasks::default();
    t.set_aws(AwsConfig {
        endpoint_url: Some(format!("http://{addr}")),
        ..AwsConfig::default()
    });
    let err = t
        .invoke(call(params("GET", "x", r#","AuthType":"IAM_ROLE""#)))
        .await
        .unwrap_err();
    assert_eq!(err.error, "ApiGateway.SdkClientException");
    assert!(
        err.cause.starts_with("Unable to load AWS credentials"),
        "{}",
        err.cause
    );
}

#[tokio::test]
async fn an_empty_body_with_get_is_not_sent() {
    let addr = server().await;
    let out = tasks(addr)
        .invoke(call(params("GET", "bills", r#","RequestBody":{}"#)))
        .await
        .expect("ok");
    let echo = field(&out, "ResponseBody");
    assert_eq!(field(echo, "body"), &Value::from(""));
    assert!(field(echo, "headers").get("content-type").is_none());
}

#[test]
fn api_endpoints() {
    assert_eq!(
        parse_api_endpoint("abc123.execute-api.us-east-1.amazonaws.com"),
        Ok(ApiHost {
            id: "abc123",
            region: "us-east-1"
        })
    );
    assert_eq!(
        parse_api_endpoint("x1.execute-api.cn-north-1.amazonaws.com.cn").map(|h| h.region),
        Ok("cn-north-1")
    );
    for bad in [
        "",
        "abc.execute-api.amazonaws.com",
        "ABC.execute-api.us-east-1.amazonaws.com",
        "abc.execute-api.us-east-1.amazonaws.com/prod",
        "abc.execute-api.us-east-1.amazonaws.com:443",
        "abc.lambda.us-east-1.amazonaws.com",
        "https://abc.execute-api.us-east-1.amazonaws.com",
        ".execute-api.us-east-1.amazonaws.com",
    ] {
        assert!(parse_api_endpoint(bad).is_err(), "{bad}");
    }
}

#[test]
fn urls() {
    let u = |base: &str, stage, path| api_url(base, stage, path).expect("url").to_string();
    assert_eq!(
        u(
            "https://a.execute-api.r.amazonaws.com",
            Some("prod"),
            Some("/bills/add")
        ),
        "https://a.execute-api.r.amazonaws.com/prod/bills/add"
    );
    assert_eq!(
        u("http://127.0.0.1:9/base/", None, Some("a b")),
        "http://127.0.0.1:9/base/a%20b"
    );
    assert_eq!(u("http://127.0.0.1:9", None, None), "http://127.0.0.1:9/");
}

#[test]
fn resource_in_any_partition() {
    assert!(is_apigateway_invoke("arn:aws:states:::apigateway:invoke"));
    assert!(is_apigateway_invoke(
        "arn:aws-cn:states:::apigateway:invoke"
    ));
    assert!(!is_apigateway_invoke(
        "arn:aws:states:::apigateway:invoke.sync"
    ));
    assert!(!is_apigateway_invoke("arn:aws:states:::http:invoke"));
}
