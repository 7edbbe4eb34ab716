//! A tiny Access Control Server for the payment example's 3-D Secure
//! challenge: it accepts the Wait3DSCallback HTTP Task's POST on
//! `127.0.0.1:<free port>/challenge` and hands each request body (which
//! carries the Task Token) to the test, which answers through the engine's
//! Task Tokens or the API.

use axum::routing::post;
use axum::{Json, Router};
use tokio::sync::mpsc;

/// A running ACS; dropped with the test's runtime.
pub struct Acs {
    /// The challenge URL to put in the card's `acsUrl`.
    pub url: String,
    /// The bodies of the challenge requests, in arrival order.
    pub requests: mpsc::UnboundedReceiver<serde_json::Value>,
}

impl Acs {
    /// Starts the ACS on a free loopback port.
    pub async fn start() -> Acs {
        let (tx, requests) = mpsc::unbounded_channel();
        let app = Router::new().route(
            "/challenge",
            post(move |Json(body): Json<serde_json::Value>| {
                let tx = tx.clone();
                async move {
                    let _ = tx.send(body);
                    Json(serde_json::json!({"challenge": "started"}))
                }
            }),
        );
        let url = format!("http://{}/challenge", super::serve_router(app).await);
        Acs { url, requests }
    }

    /// The next challenge request's Task Token (and the whole body).
    pub async fn next(&mut self) -> (String, serde_json::Value) {
        let body = tokio::time::timeout(std::time::Duration::from_secs(10), self.requests.recv())
            .await
            .expect("the ACS got a challenge within 10 s")
            .expect("the ACS is running");
        let token = body["taskToken"].as_str().expect("taskToken").to_owned();
        (token, body)
    }
}
