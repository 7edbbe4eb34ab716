//! The HTTP edge: reads `X-Amz-Target` and the JSON body, runs the operation,
//! writes the JSON response, and turns a handler panic into a 500
//! `InternalFailure` instead of a dropped connection.

use std::panic::AssertUnwindSafe;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures::FutureExt as _;

use super::error::{ApiError, CONTENT_TYPE};
use super::{ops, Service};

/// The largest request body accepted, in bytes: a 1,048,576-character
/// definition plus JSON string escaping and the other fields. Larger bodies
/// are refused with 413 `RequestEntityTooLarge`.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// The `X-Amz-Target` prefix of every operation.
const TARGET_PREFIX: &str = "AWSStepFunctions.";

/// The header naming the operation, built once (a `&str` name is parsed at
/// every lookup).
const X_AMZ_TARGET: HeaderName = HeaderName::from_static("x-amz-target");

/// The path of the Prometheus metrics (`GET`).
pub const METRICS_PATH: &str = "/metrics";

/// The router serving the API on any path (`POST /` in practice; the
/// `sync-` host prefix is not required), and `GET /metrics`: every
/// [`crate::metrics`] metric in Prometheus text format 0.0.4; the web
/// console ([`crate::console`]: `GET /` redirects a browser to `/console`)
/// and the `/healthz` / `/readyz` probes.
///
/// With [`super::Config::sigv4`] set, every request but `GET /metrics` and
/// the probes must carry a valid SigV4 signature ([`super::auth`]).
pub fn router(service: Service) -> Router {
    let verifier = service.config().sigv4.clone();
    let router = Router::new()
        .route(METRICS_PATH, get(metrics).fallback(handle))
        .route("/", get(crate::console::redirect).fallback(handle)) // console: a browser's GET /
        .fallback(handle)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(service.clone())
        .merge(crate::console::router(service.clone())); // console: /console…
    let router = match verifier {
        Some(v) => router.layer(axum::middleware::from_fn_with_state(
            std::sync::Arc::new(v),
            super::auth::layer,
        )),
        None => router,
    };
    router.merge(crate::console::probes(service)) // console: /healthz, /readyz (never signed)
}

/// The region named by a SigV4 `Authorization` header
/// (`Credential=AKID/DATE/REGION/states/aws4_request`), if any.
fn signed_region(headers: &HeaderMap) -> Option<&str> {
    let auth = headers.get("authorization")?.to_str().ok()?;
    let scope = auth.split("Credential=").nth(1)?;
    let scope = scope.split([',', ' ']).next()?;
    let mut parts = scope.split('/');
    let region = parts.nth(2)?;
    let valid = !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    valid.then_some(region)
}

async fn respond(
    service: &Service,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<ops::Reply, ApiError> {
    let target = headers
        .get(X_AMZ_TARGET)
        .and_then(|t| t.to_str().ok())
        .unwrap_or_default();
    let Some(op) = target.strip_prefix(TARGET_PREFIX) else {
        return Err(ApiError::UnknownOperation(format!(
            "Operation '{target}' is not supported."
        )));
    };
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::RequestTooLarge(MAX_BODY_BYTES)
        } else {
            ApiError::Serialization(e.body_text())
        }
    })?;
    // The start operations: typed, no JSON tree (ops::wire).
    if let Some(reply) = ops::wire::answer(service, op, &body).await {
        return reply.map(ops::Reply::Body);
    }
    let body: serde_json::Value = if body.iter().all(u8::is_ascii_whitespace) {
        serde_json::Value::Object(serde_json::Map::new())
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError::Serialization(e.to_string()))?
    };
    let region = signed_region(headers).unwrap_or(&service.inner.config.region);
    // Boxed: the future of every other operation is large, and an unboxed
    // one would make every request's future as large, copied at each move
    // (callgrind: 12,900 of memcpy's instructions per StartSyncExecution).
    Box::pin(ops::dispatch(service, op, &body, region))
        .await
        .map(ops::Reply::Json)
}

/// `GET /metrics`: refreshes the admission gauges and renders.
async fn metrics(State(service): State<Service>) -> Response {
    service.admission().publish_gauges();
    let mut response = crate::metrics::render().into_response();
    response.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

async fn handle(
    State(service): State<Service>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let result = AssertUnwindSafe(respond(&service, &headers, body))
        .catch_unwind()
        .await;
    let mut response = match result {
        Ok(Ok(reply)) => (StatusCode::OK, reply.into_body()).into_response(),
        Ok(Err(e)) => e.into_response(),
        Err(_) => {
            tracing::error!("request handler panicked");
            ApiError::InternalFailure("An internal error occurred.".into()).into_response()
        }
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    headers.insert(super::request_id::HEADER, super::request_id::new());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_comes_from_the_signature_scope() {
        let mut h = HeaderMap::new();
        assert_eq!(signed_region(&h), None);
        h.insert(
            "authorization",
            HeaderValue::from_static(
                "AWS4-HMAC-SHA256 Credential=test/20240101/eu-west-1/states/aws4_request, SignedHeaders=host, Signature=x",
            ),
        );
        assert_eq!(signed_region(&h), Some("eu-west-1"));
        h.insert("authorization", HeaderValue::from_static("Credential=a/b"));
        assert_eq!(signed_region(&h), None);
    }

    /// A handler that panics answers 500 InternalFailure and the server
    /// serves the next request (the `TestPanic` operation exists in test
    /// builds of the library only, so this test stays beside the router).
    #[tokio::test]
    async fn a_handler_panic_is_a_500_and_the_server_lives_on() {
        use tower::ServiceExt;
        let service = crate::api::Service::new(
            crate::engine::Engine::new(crate::tasks::Tasks::new()),
            crate::api::Config::default(),
        );
        let app = router(service);
        let call = |op: &str| {
            axum::http::Request::post("/")
                .header("x-amz-target", format!("AWSStepFunctions.{op}"))
                .header("content-type", "application/x-amz-json-1.0")
                .body(axum::body::Body::from("{}"))
                .expect("request")
        };
        let r = app
            .clone()
            .oneshot(call("TestPanic"))
            .await
            .expect("answer");
        assert_eq!(r.status(), 500);
        let body = axum::body::to_bytes(r.into_body(), usize::MAX)
            .await
            .expect("body");
        assert!(String::from_utf8_lossy(&body).contains("InternalFailure"));
        let r = app
            .oneshot(call("ListStateMachines"))
            .await
            .expect("answer");
        assert_eq!(r.status(), 200);
    }
}
