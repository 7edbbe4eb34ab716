//! SigV4 verification: the AWS Signature Version 4 test suite's vectors
//! (credentials `AKIDEXAMPLE`, 2015-08-30T12:36:00Z, `us-east-1`, service
//! `service`), then every refusal.

use std::time::{Duration, SystemTime};

use axum::http::{HeaderMap, HeaderValue};

use super::*;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const DATE: &str = "20150830T123600Z";

/// 2015-08-30T12:36:00Z plus `secs`.
fn at(secs: i64) -> SystemTime {
    let base = SystemTime::UNIX_EPOCH + Duration::from_secs(1_440_938_160);
    if secs >= 0 {
        base + Duration::from_secs(secs.unsigned_abs())
    } else {
        base - Duration::from_secs(secs.unsigned_abs())
    }
}

fn suite_verifier() -> Verifier {
    let mut keys = SigV4Keys::default();
    keys.insert("AKIDEXAMPLE", SECRET);
    Verifier {
        service: "service",
        ..Verifier::new(keys)
    }
}

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.append(*k, HeaderValue::from_str(v).unwrap());
    }
    h
}

fn authorization(signed: &str, signature: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders={signed}, Signature={signature}"
    )
}

/// One vector: `get-vanilla`, `post-vanilla`, `get-vanilla-query-order-key-case`,
/// `post-x-www-form-urlencoded`.
struct Vector {
    method: &'static str,
    query: Option<&'static str>,
    content_type: Option<&'static str>,
    body: &'static [u8],
    signature: &'static str,
}

const VECTORS: [Vector; 4] = [
    Vector {
        method: "GET",
        query: None,
        content_type: None,
        body: b"",
        signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    },
    Vector {
        method: "POST",
        query: None,
        content_type: None,
        body: b"",
        signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
    },
    Vector {
        method: "GET",
        query: Some("Param2=value2&Param1=value1"),
        content_type: None,
        body: b"",
        signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
    },
    Vector {
        method: "POST",
        query: None,
        content_type: Some("application/x-www-form-urlencoded"),
        body: b"Param1=value1",
        signature: "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
    },
];

fn vector_request(v: &Vector, signature: &str) -> HeaderMap {
    let signed = if v.content_type.is_some() {
        "content-type;host;x-amz-date"
    } else {
        "host;x-amz-date"
    };
    let mut h = headers(&[
        ("host", "example.amazonaws.com"),
        ("x-amz-date", DATE),
        ("authorization", &authorization(signed, signature)),
    ]);
    if let Some(ct) = v.content_type {
        h.insert("content-type", HeaderValue::from_static(ct));
    }
    h
}

#[test]
fn aws_test_suite_vectors_verify() {
    let verifier = suite_verifier();
    for v in &VECTORS {
        let h = vector_request(v, v.signature);
        assert_eq!(
            verifier.verify(v.method, "/", v.query, &h, v.body, at(60)),
            Ok(()),
            "{}",
            v.signature
        );
    }
}

#[test]
fn any_change_breaks_the_signature() {
    let verifier = suite_verifier();
    let v = &VECTORS[3];
    let good = vector_request(v, v.signature);
    let bad = |e: Result<(), ApiError>| match e {
        Err(ApiError::InvalidSignature(m)) => {
            assert!(m.starts_with("The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method."), "{m}");
            assert!(
                m.contains("The Canonical String for this request should have been\n'"),
                "{m}"
            );
        }
        other => panic!("{other:?}"),
    };
    bad(verifier.verify(v.method, "/", v.query, &good, b"Param1=value2", at(0)));
    bad(verifier.verify("PUT", "/", v.query, &good, v.body, at(0)));
    bad(verifier.verify(v.method, "/x", v.query, &good, v.body, at(0)));
    bad(verifier.verify(v.method, "/", Some("a=b"), &good, v.body, at(0)));
    let mut other_host = good.clone();
    other_host.insert("host", HeaderValue::from_static("evil.example.com"));
    bad(verifier.verify(v.method, "/", v.query, &other_host, v.body, at(0)));
    let flipped = format!("0{}", &v.signature[1..]);
    bad(verifier.verify(
        v.method,
        "/",
        v.query,
        &vector_request(v, &flipped),
        v.body,
        at(0),
    ));
    // A wrong secret for the same access key.
    let mut keys = SigV4Keys::default();
    keys.insert("AKIDEXAMPLE", "not-the-secret");
    let wrong = Verifier {
        service: "service",
        ..Verifier::new(keys)
    };
    bad(wrong.verify(v.method, "/", v.query, &good, v.body, at(0)));
}

#[test]
fn missing_unknown_and_incomplete() {
    let verifier = suite_verifier();
    let no_auth = headers(&[("host", "h"), ("x-amz-date", DATE)]);
    assert_eq!(
        verifier.verify("POST", "/", None, &no_auth, b"", at(0)),
        Err(ApiError::MissingAuthenticationToken)
    );
    let unknown = headers(&[
        ("host", "example.amazonaws.com"),
        ("x-amz-date", DATE),
        (
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDOTHER/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=00",
        ),
    ]);
    let e = verifier
        .verify("POST", "/", None, &unknown, b"", at(0))
        .unwrap_err();
    assert_eq!(e, ApiError::UnrecognizedClient);
    assert_eq!(e.status(), axum::http::StatusCode::BAD_REQUEST);
    assert_eq!(
        e.body().to_string(),
        r#"{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"The security token included in the request is invalid."}"#
    );
    for (auth, needle) in [
        ("Bearer x", "requires 'Credential' parameter"),
        (
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, Signature=ab",
            "requires 'SignedHeaders' parameter",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830, SignedHeaders=host, Signature=ab",
            "Credential must have exactly 5 slash-delimited elements",
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=x-amz-date, Signature=ab",
            "'Host' or ':authority' must be a 'SignedHeader'",
        ),
    ] {
        let h = headers(&[("host", "h"), ("x-amz-date", DATE), ("authorization", auth)]);
        match verifier.verify("POST", "/", None, &h, b"", at(0)) {
            Err(ApiError::IncompleteSignature(m)) => assert!(m.contains(needle), "{m}"),
            other => panic!("{auth}: {other:?}"),
        }
    }
    let undated = headers(&[
        ("host", "h"),
        ("authorization", &authorization("host", "ab")),
    ]);
    match verifier.verify("POST", "/", None, &undated, b"", at(0)) {
        Err(ApiError::IncompleteSignature(m)) => {
            assert!(m.contains("'X-Amz-Date' or a 'Date'"), "{m}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn clock_skew_is_fifteen_minutes() {
    let verifier = suite_verifier();
    let v = &VECTORS[0];
    let h = vector_request(v, v.signature);
    assert_eq!(
        verifier.verify("GET", "/", None, &h, b"", at(15 * 60)),
        Ok(())
    );
    assert_eq!(
        verifier.verify("GET", "/", None, &h, b"", at(-15 * 60)),
        Ok(())
    );
    assert_eq!(
        verifier.verify("GET", "/", None, &h, b"", at(15 * 60 + 1)),
        Err(ApiError::InvalidSignature(
            "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z (20150830T125101Z - 15 min.)".into()
        ))
    );
    assert_eq!(
        verifier.verify("GET", "/", None, &h, b"", at(-15 * 60 - 1)),
        Err(ApiError::InvalidSignature(
            "Signature not yet current: 20150830T123600Z is still later than 20150830T123559Z (20150830T122059Z + 15 min.)".into()
        ))
    );
}

#[test]
fn scope_must_name_the_service_and_date() {
    let v = &VECTORS[0];
    let h = vector_request(v, v.signature);
    // The suite's request is scoped to `service`, not `states`.
    let mut keys = SigV4Keys::default();
    keys.insert("AKIDEXAMPLE", SECRET);
    match Verifier::new(keys).verify("GET", "/", None, &h, b"", at(0)) {
        Err(ApiError::InvalidSignature(m)) => {
            assert_eq!(
                m,
                "Credential should be scoped to correct service: 'states'."
            )
        }
        other => panic!("{other:?}"),
    }
    let mut other_day = h;
    other_day.insert("x-amz-date", HeaderValue::from_static("20150831T000000Z"));
    match suite_verifier().verify("GET", "/", None, &other_day, b"", at(11 * 3600 + 24 * 60)) {
        Err(ApiError::InvalidSignature(m)) => assert!(
            m.starts_with("Date in Credential scope does not match"),
            "{m}"
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn content_sha256_header_must_match_the_body() {
    let verifier = suite_verifier();
    let v = &VECTORS[1];
    let mut h = vector_request(v, v.signature);
    h.insert(
        "x-amz-content-sha256",
        HeaderValue::from_static("UNSIGNED-PAYLOAD"),
    );
    match verifier.verify("POST", "/", None, &h, b"", at(0)) {
        Err(ApiError::InvalidSignature(m)) => assert!(m.contains("x-amz-content-sha256"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn header_values_are_trimmed_and_joined() {
    let h = headers(&[
        ("host", "example.amazonaws.com"),
        ("my-header1", "  value1  "),
        ("my-header2", "\"a   b   c\""),
        ("my-header2", "second"),
    ]);
    let c = canonical_request(
        "GET",
        "/a b/%2F",
        Some("b=2&a=%7E+x&c"),
        &h,
        &["host", "my-header1", "my-header2"],
        "e3b0",
    );
    assert_eq!(
        c,
        "GET\n/a%20b/%252F\na=~%2Bx&b=2&c=\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\",second\n\nhost;my-header1;my-header2\ne3b0"
    );
}

#[test]
fn credential_lists_and_files() {
    let mut keys = SigV4Keys::default();
    keys.add_list(" AK1:s1 , AK2:s:2 ,").unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys.secrets["AK2"], "s:2");
    assert_eq!(
        keys.add_list("AK3"),
        Err(AuthConfigError::BadEntry("AK3:…".into()))
    );
    assert!(keys.add_list("AK3:").is_err());
    assert!(!format!("{keys:?}").contains("s1"), "secrets are not shown");
    let dir = std::env::temp_dir().join(format!("expressway-sigv4-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let json = dir.join("c.json");
    std::fs::write(
        &json,
        r#"{"admission":{},"sigv4":{"credentials":[{"access_key_id":"AKJ","secret_access_key":"sj"}]}}"#,
    )
    .unwrap();
    let toml = dir.join("c.toml");
    std::fs::write(
        &toml,
        "[[sigv4.credentials]]\naccess_key_id = \"AKT\"\nsecret_access_key = \"st\"\n",
    )
    .unwrap();
    let mut keys = SigV4Keys::default();
    keys.add_file(&json).unwrap();
    keys.add_file(&toml).unwrap();
    assert_eq!(
        (keys.secrets["AKJ"].as_str(), keys.secrets["AKT"].as_str()),
        ("sj", "st")
    );
    std::fs::write(
        &json,
        r#"{"sigv4":{"credentials":[{"access_key_id":"A"}]}}"#,
    )
    .unwrap();
    assert!(matches!(
        keys.add_file(&json),
        Err(AuthConfigError::File { .. })
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The middleware on the real router: unsigned and badly signed requests are
/// refused before any operation runs, `GET /metrics` stays open, a request
/// signed by the Lambda signer of [`crate::tasks`] passes.
#[tokio::test]
async fn router_refuses_unsigned_requests() {
    use tower::ServiceExt as _;
    let mut keys = SigV4Keys::default();
    keys.insert("AKID", "SECRET");
    let config = crate::api::Config {
        sigv4: Some(Verifier::new(keys)),
        ..crate::api::Config::default()
    };
    let service = crate::api::Service::new(crate::engine::Engine::new(Default::default()), config);
    let app = crate::api::router(service);
    let body = r#"{}"#;
    let call = |auth: Option<Vec<(&'static str, String)>>| {
        let mut req = axum::http::Request::post("/")
            .header("host", "127.0.0.1:8083")
            .header("x-amz-target", "AWSStepFunctions.ListStateMachines")
            .header("content-type", "application/x-amz-json-1.0");
        for (k, v) in auth.unwrap_or_default() {
            req = req.header(k, v);
        }
        req.body(axum::body::Body::from(body)).unwrap()
    };
    let read = |r: axum::response::Response| async move {
        let status = r.status();
        let bytes = axum::body::to_bytes(r.into_body(), usize::MAX)
            .await
            .unwrap();
        (
            status.as_u16(),
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    };
    let (status, text) = read(app.clone().oneshot(call(None)).await.unwrap()).await;
    assert_eq!(status, 400);
    assert!(
        text.contains("com.amazon.coral.service#MissingAuthenticationTokenException"),
        "{text}"
    );
    let sign = |secret: &str| {
        let creds = crate::tasks::Credentials {
            access_key_id: "AKID".into(),
            secret_access_key: secret.into(),
            session_token: None,
        };
        let req = crate::tasks::sigv4::Request {
            method: "POST",
            host: "127.0.0.1:8083",
            path: "/",
            query: &[],
            payload: body.as_bytes(),
        };
        let now = chrono::Utc::now().format(AMZ_DATE).to_string();
        crate::tasks::sigv4::sign(&req, &creds, "eu-west-1", SERVICE, &now)
    };
    let (status, text) = read(
        app.clone()
            .oneshot(call(Some(sign("SECRET"))))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, text.as_str()), (200, r#"{"stateMachines":[]}"#));
    let (status, text) = read(
        app.clone()
            .oneshot(call(Some(sign("WRONG"))))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    assert!(text.contains("InvalidSignatureException"), "{text}");
    let metrics = axum::http::Request::get(crate::api::METRICS_PATH)
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(app.oneshot(metrics).await.unwrap().status(), 200);
}
