//! A bare HTTP/1.1 server (hyper, no routing, no parsing of the request body)
//! that answers every request with one fixed StartSyncExecution response: the
//! ceiling of the load generator plus the HTTP stack, to set the `http`
//! target's figures against.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// The fixed response body: a SUCCEEDED StartSyncExecution answer.
pub const BODY: &str = r#"{"executionArn":"arn:aws:states:us-east-1:123456789012:express:bare:exec:0","stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:bare","name":"exec","startDate":1.7E9,"stopDate":1.7E9,"status":"SUCCEEDED","input":"{}","inputDetails":{"included":true},"output":"{\"saved\":{\"saved\":true}}","outputDetails":{"included":true}}"#;

async fn answer(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    // Read the body so that keep-alive connections stay usable.
    let _ = req.into_body().collect().await;
    let mut resp = Response::new(Full::new(Bytes::from_static(BODY.as_bytes())));
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/x-amz-json-1.0"),
    );
    Ok(resp)
}

/// Binds `addr` (port 0 for any free port), serves in background tasks on the
/// current tokio runtime, and returns the bound address.
///
/// # Errors
/// The address cannot be bound.
pub async fn start(addr: SocketAddr) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service_fn(answer))
                    .await;
            });
        }
    });
    Ok(local)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn answers_the_fixed_body() {
        let addr = start(([127, 0, 0, 1], 0).into()).await.expect("binds");
        let text = reqwest::Client::new()
            .post(format!("http://{addr}/"))
            .body("{}")
            .send()
            .await
            .expect("sends")
            .text()
            .await
            .expect("body");
        assert_eq!(text, BODY);
        let v: serde_json::Value = serde_json::from_str(BODY).expect("valid json");
        assert_eq!(v["status"], "SUCCEEDED");
    }
}
