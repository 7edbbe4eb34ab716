//! The harness of the API request decoder: requests run through the real
//! router ([`crate::api::router`]) in process, as `serve` would run them.

use axum::body::Body;
use axum::http::{HeaderValue, Request};
use tower::ServiceExt as _;

use crate::api::{router, Config, Service};
use crate::engine::Engine;
use crate::tasks::Tasks;

/// How many requests of one input are run; the rest are ignored.
pub const MAX_REQUESTS: usize = 8;

/// The most real (wall-clock) time one request may take, in ms; past it the
/// request is dropped (its execution with it) and the next one runs. Under
/// the paused clock a busy execution never lets tokio's clock reach its
/// deadline (time only advances while the runtime is idle), so an endless
/// Pass/Map/Choice loop, which `serve` ends with `States.Timeout` at the
/// Express limit, would otherwise outlive libFuzzer's per-input timeout.
pub const REQUEST_REAL_TIME_MS: u64 = 2_000;

/// The line separating requests in an [`api_requests`] input.
const SEPARATOR: &str = "\n~~~\n";

/// Runs each request of `data` through a fresh [`Service`] (no Lambda, HTTP
/// Tasks to loopback only, default [`Config`]) and its router: a request is
/// the `X-Amz-Target` value on its first line and the body after it,
/// requests are separated by a line `~~~` (at most [`MAX_REQUESTS`]). Bytes
/// that are not UTF-8 are kept in bodies.
///
/// Executions run on the caller's runtime; run it with a paused clock
/// (`tokio::runtime::Builder::start_paused`) so that Wait states and
/// timeouts take no real time.
///
/// # Panics
/// When the router answers a 5xx: no client input may cause one (the
/// router already turns a handler panic into a 500 `InternalFailure`).
pub async fn api_requests(data: &[u8]) {
    let service = Service::new(Engine::new(Tasks::default()), Config::default());
    let app = router(service);
    for request in split(data).take(MAX_REQUESTS) {
        let (target, body) = match request.iter().position(|b| *b == b'\n') {
            Some(at) => (&request[..at], &request[at + 1..]),
            None => (request, &[][..]),
        };
        let mut builder = Request::post("/").header("content-type", "application/x-amz-json-1.0");
        if let Ok(value) = HeaderValue::from_bytes(target) {
            builder = builder.header("x-amz-target", value);
        }
        let Ok(http) = builder.body(Body::from(body.to_vec())) else {
            continue;
        };
        let limit = std::time::Duration::from_millis(REQUEST_REAL_TIME_MS);
        let Some(Ok(response)) = within_real_time(app.clone().oneshot(http), limit).await else {
            continue;
        };
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap_or_default();
        assert!(
            !status.is_server_error(),
            "{} answered {status}: {}",
            String::from_utf8_lossy(target),
            String::from_utf8_lossy(&bytes)
        );
    }
}

/// `fut`'s output, or `None` once `limit` of real time has passed. The
/// engine yields to the runtime every few states
/// (`tokio::task::consume_budget`), so the check runs even while an
/// execution never waits.
async fn within_real_time<F: std::future::Future>(
    fut: F,
    limit: std::time::Duration,
) -> Option<F::Output> {
    let until = std::time::Instant::now() + limit;
    let mut fut = std::pin::pin!(fut);
    std::future::poll_fn(|cx| {
        if std::time::Instant::now() >= until {
            return std::task::Poll::Ready(None);
        }
        fut.as_mut().poll(cx).map(Some)
    })
    .await
}

/// The requests of an input, split at [`SEPARATOR`] lines.
fn split(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let sep = SEPARATOR.as_bytes();
    let mut rest = Some(data);
    std::iter::from_fn(move || {
        let current = rest?;
        match current.windows(sep.len()).position(|w| w == sep) {
            Some(at) => {
                rest = Some(&current[at + sep.len()..]);
                Some(&current[..at])
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}
