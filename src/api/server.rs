//! The HTTP edge: reads `X-Amz-Target` and the JSON body, runs the operation,
//! writes the JSON response, and turns a handler panic into a 500
//! `InternalFailure` instead of a dropped connection.
//!
//! `serve` answers through an [`Edge`]: a plain API request (`POST /`, no
//! SigV4 verification configured) goes straight to the API handler; every
//! other request (the console, `/metrics`, the probes, a signed API) goes
//! through the [`router`]. Both reach the same handler ([`api`]), so the
//! answers are the same; the straight path saves the routing, its futures
//! and a copy of the request's headers (callgrind: about 8,000
//! instructions of a StartSyncExecution's 113,600).

use std::panic::AssertUnwindSafe;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, Request};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures::FutureExt as _;
use http_body_util::{BodyExt as _, LengthLimitError, Limited};
use tower::ServiceExt as _;

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

/// What `serve` answers requests with ([`super::conn::serve`]): the
/// [`router`], and, when no SigV4 verification is configured, the API
/// handler itself for a `POST /` (which the router would give it).
#[derive(Clone)]
pub struct Edge {
    router: Router,
    /// The service a `POST /` goes to straight; `None` with SigV4 on.
    straight: Option<Service>,
}

impl std::fmt::Debug for Edge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Edge")
            .field("straight", &self.straight.is_some())
            .finish_non_exhaustive()
    }
}

impl From<Router> for Edge {
    /// An edge answering every request through `router`.
    fn from(router: Router) -> Self {
        Edge {
            router,
            straight: None,
        }
    }
}

/// The [`Edge`] of `service`: its [`router`], and `POST /` straight to the
/// API handler unless SigV4 verification is on.
pub fn edge(service: Service) -> Edge {
    let straight = service.config().sigv4.is_none().then(|| service.clone());
    Edge {
        router: router(service),
        straight,
    }
}

impl Edge {
    /// The answer to `request`.
    pub async fn answer<B>(&self, request: Request<B>) -> Response
    where
        B: HttpBody<Data = Bytes> + Send + 'static,
        B::Error: Into<axum::BoxError>,
    {
        match &self.straight {
            Some(service) if request.method() == Method::POST && request.uri().path() == "/" => {
                api(service, request).await
            }
            _ => match self.router.clone().oneshot(request.map(Body::new)).await {
                Ok(response) => response,
                Err(never) => match never {},
            },
        }
    }
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

/// The request body, whole (http-body-util's `Limited` and `collect`, as
/// axum's `Bytes` extractor reads it): [`ApiError::RequestTooLarge`] past
/// [`MAX_BODY_BYTES`] (a larger `Content-Length` is refused before any
/// byte is read), [`ApiError::Serialization`] when the body cannot be
/// read, with the extractor's message ("Failed to buffer the request body:
/// …"). Trailers are ignored; a body in one frame is kept without a copy.
async fn read_body<B>(body: B) -> Result<Bytes, ApiError>
where
    B: HttpBody<Data = Bytes>,
    B::Error: Into<axum::BoxError>,
{
    match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<LengthLimitError>() => Err(ApiError::RequestTooLarge(MAX_BODY_BYTES)),
        Err(e) => Err(ApiError::Serialization(format!(
            "Failed to buffer the request body: {e}"
        ))),
    }
}

async fn respond(
    service: &Service,
    headers: &HeaderMap,
    body: Result<Bytes, ApiError>,
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
    let body = body?;
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

/// The router's API handler.
async fn handle(State(service): State<Service>, request: axum::extract::Request) -> Response {
    api(&service, request).await
}

/// Answers an API request: its body read, the operation run, the answer
/// with its `Content-Type` and request id.
async fn api<B>(service: &Service, request: Request<B>) -> Response
where
    B: HttpBody<Data = Bytes>,
    B::Error: Into<axum::BoxError>,
{
    let (parts, body) = request.into_parts();
    let body = read_body(body).await;
    answer(service, &parts.headers, body).await
}

/// [`api`] once the body is read (one copy of this future for every body type).
async fn answer(service: &Service, headers: &HeaderMap, body: Result<Bytes, ApiError>) -> Response {
    let result = AssertUnwindSafe(respond(service, headers, body))
        .catch_unwind()
        .await;
    let mut response = match result {
        Ok(Ok(reply)) => Response::new(Body::from(reply.into_body())),
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

/// The straight path of [`Edge`] against the router it skips.
#[cfg(test)]
mod edge_tests {
    use super::*;
    use proptest::prelude::*;

    const PASS: &str = r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#;

    fn service() -> Service {
        let service = Service::new(
            crate::engine::Engine::new(crate::tasks::Tasks::new()),
            crate::api::Config::default(),
        );
        service
            .create_state_machine("p", PASS, crate::api::MachineType::Express)
            .expect("creates");
        service
    }

    /// A request whose body comes in `frames` (a streamed body when more than one).
    fn request(target: Option<&str>, frames: Vec<Vec<u8>>) -> Request<Body> {
        let mut r = Request::post("/").header("content-type", "application/x-amz-json-1.0");
        if let Some(t) = target {
            r = r.header("x-amz-target", t);
        }
        let body = if frames.len() == 1 {
            Body::from(frames.into_iter().next().unwrap_or_default())
        } else {
            Body::from_stream(futures::stream::iter(
                frames
                    .into_iter()
                    .map(|f| Ok::<_, std::io::Error>(Bytes::from(f))),
            ))
        };
        r.body(body).expect("request")
    }

    /// Status, headers but the request id, the `allow` the router's method
    /// fallback adds and the `content-length` it sets (hyper writes the
    /// same from the body's length when the header is absent), body;
    /// dates and ids masked.
    async fn seen(response: Response) -> (u16, Vec<(String, String)>, String) {
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .filter(|(n, _)| {
                *n != super::super::request_id::HEADER
                    && *n != header::ALLOW
                    && *n != header::CONTENT_LENGTH
            })
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or_default().to_owned()))
            .collect();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        let body = String::from_utf8_lossy(&body).into_owned();
        (status, headers, mask(&body))
    }

    /// `body` with what differs between two runs of one request (dates,
    /// execution names) replaced.
    fn mask(body: &str) -> String {
        let Ok(mut v) = serde_json::from_str::<serde_json::Value>(body) else {
            return body.to_owned();
        };
        if let Some(o) = v.as_object_mut() {
            for k in [
                "startDate",
                "stopDate",
                "executionArn",
                "name",
                "billingDetails",
            ] {
                if o.contains_key(k) {
                    o.insert(k.into(), serde_json::Value::Null);
                }
            }
        }
        v.to_string()
    }

    async fn both(
        target: Option<&str>,
        frames: Vec<Vec<u8>>,
    ) -> (
        (u16, Vec<(String, String)>, String),
        (u16, Vec<(String, String)>, String),
    ) {
        let service = service();
        let straight = edge(service.clone());
        assert!(straight.straight.is_some());
        let routed = Edge::from(router(service));
        let a = seen(straight.answer(request(target, frames.clone())).await).await;
        let b = seen(routed.answer(request(target, frames)).await).await;
        (a, b)
    }

    #[tokio::test]
    async fn the_straight_path_answers_as_the_router() {
        let start = br#"{"stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:p","input":"{\"a\":1}"}"#;
        let cases: Vec<(Option<&str>, Vec<Vec<u8>>)> = vec![
            (
                Some("AWSStepFunctions.StartSyncExecution"),
                vec![start.to_vec()],
            ),
            (
                Some("AWSStepFunctions.StartSyncExecution"),
                vec![start[..10].to_vec(), start[10..].to_vec()],
            ),
            (
                Some("AWSStepFunctions.ListStateMachines"),
                vec![b"{}".to_vec()],
            ),
            (Some("AWSStepFunctions.ListStateMachines"), vec![Vec::new()]),
            (Some("AWSStepFunctions.Nope"), vec![b"{}".to_vec()]),
            (None, vec![b"{}".to_vec()]),
            (
                Some("AWSStepFunctions.DescribeStateMachine"),
                vec![b"{x".to_vec()],
            ),
            // Past the limit in one frame, and in several.
            (
                Some("AWSStepFunctions.ListStateMachines"),
                vec![vec![b' '; MAX_BODY_BYTES + 1]],
            ),
            (
                Some("AWSStepFunctions.ListStateMachines"),
                vec![vec![b' '; MAX_BODY_BYTES / 2]; 3],
            ),
            // At the limit.
            (
                Some("AWSStepFunctions.ListStateMachines"),
                vec![vec![b' '; MAX_BODY_BYTES / 2]; 2],
            ),
        ];
        for (target, frames) in cases {
            let (a, b) = both(target, frames).await;
            assert_eq!(a, b, "{target:?}");
        }
    }

    #[tokio::test]
    async fn a_body_that_fails_to_read_is_a_serialization_error_as_through_the_router() {
        let failing = || {
            let frames: Vec<Result<Bytes, std::io::Error>> = vec![
                Ok(Bytes::from_static(b"{")),
                Err(std::io::Error::other("connection reset")),
            ];
            Request::post("/")
                .header("x-amz-target", "AWSStepFunctions.ListStateMachines")
                .body(Body::from_stream(futures::stream::iter(frames)))
                .expect("request")
        };
        let service = service();
        let a = seen(edge(service.clone()).answer(failing()).await).await;
        let b = seen(Edge::from(router(service)).answer(failing()).await).await;
        assert_eq!(a, b);
        assert_eq!(a.0, 400);
        assert!(
            a.2.contains("Failed to buffer the request body: connection reset"),
            "{}",
            a.2
        );
    }

    #[tokio::test]
    async fn other_paths_and_methods_and_signed_services_take_the_router() {
        let service = service();
        let e = edge(service.clone());
        let get = Request::get("/").body(Body::empty()).expect("request");
        assert_eq!(
            e.answer(get).await.status(),
            axum::http::StatusCode::SEE_OTHER
        );
        let health = Request::get("/healthz")
            .body(Body::empty())
            .expect("request");
        assert_eq!(e.answer(health).await.status(), axum::http::StatusCode::OK);
        let mut keys = crate::api::auth::SigV4Keys::default();
        keys.insert("AKID", "SECRET");
        let config = crate::api::Config {
            sigv4: Some(crate::api::auth::Verifier::new(keys)),
            ..crate::api::Config::default()
        };
        let signed = Service::new(
            crate::engine::Engine::new(crate::tasks::Tasks::new()),
            config,
        );
        let e = edge(signed);
        assert!(e.straight.is_none());
        let unsigned = request(
            Some("AWSStepFunctions.ListStateMachines"),
            vec![b"{}".to_vec()],
        );
        let (_, _, body) = seen(e.answer(unsigned).await).await;
        assert!(body.contains("MissingAuthenticationToken"), "{body}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Any target and body, cut into any frames: the same answer.
        #[test]
        fn any_request_is_answered_as_the_router_answers_it(
            op in prop::sample::select(vec![
                "StartSyncExecution", "StartExecution", "ListStateMachines",
                "DescribeStateMachine", "Nope", "",
            ]),
            body in prop::sample::select(vec![
                r#"{"stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:p","input":"{}"}"#.to_owned(),
                r#"{"stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:q"}"#.to_owned(),
                r#"{"stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:p","input":"[1"}"#.to_owned(),
                "{}".to_owned(), String::new(), "  ".to_owned(), "{\"a\":".to_owned(), "null".to_owned(),
            ]),
            cuts in prop::collection::vec(0usize..100, 0..3),
        ) {
            let bytes = body.as_bytes();
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(bytes.len())).collect();
            cuts.sort_unstable();
            let mut frames = Vec::new();
            let mut from = 0;
            for c in cuts.into_iter().chain([bytes.len()]) {
                frames.push(bytes[from..c].to_vec());
                from = c;
            }
            let target = format!("AWSStepFunctions.{op}");
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            let (a, b) = runtime.block_on(both(Some(&target), frames));
            prop_assert_eq!(a, b);
        }
    }
}
