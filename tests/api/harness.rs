//! The one harness of the API tests: a real router on 127.0.0.1:0 and an
//! HTTP client speaking AWS JSON 1.0 (`x-amz-target`), with helpers to
//! call an operation and assert an error reply.

use serde_json::{json, Value as Json};

use expressway::api::{router, Config, Service};
use expressway::engine::Engine;
use expressway::tasks::Tasks;

pub(crate) const PASS: &str = r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#;
pub(crate) const ROLE: &str = "arn:aws:iam::123456789012:role/x";
pub(crate) const PREFIX: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:";

pub(crate) struct Harness {
    pub(crate) url: String,
    pub(crate) client: reqwest::Client,
}

pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) body: Json,
}

impl Harness {
    pub(crate) async fn start() -> Self {
        Self::start_with(Config::default()).await
    }

    pub(crate) async fn start_with(config: Config) -> Self {
        Self::start_engine(Engine::new(Tasks::new()), config).await
    }

    pub(crate) async fn start_engine(engine: Engine, config: Config) -> Self {
        let service = Service::new(engine, config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, router(service)).await });
        Harness {
            url: format!("http://{addr}/"),
            client: reqwest::Client::new(),
        }
    }

    pub(crate) async fn raw(&self, target: Option<&str>, body: impl Into<reqwest::Body>) -> Reply {
        let mut request = self
            .client
            .post(&self.url)
            .header("content-type", "application/x-amz-json-1.0")
            .body(body);
        if let Some(target) = target {
            request = request.header("x-amz-target", target);
        }
        let response = request.send().await.expect("send");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Json::String(text));
        Reply { status, body }
    }

    pub(crate) async fn call(&self, op: &str, body: Json) -> Reply {
        self.raw(Some(&format!("AWSStepFunctions.{op}")), body.to_string())
            .await
    }

    /// Calls `op`; the status and the body.
    pub(crate) async fn reply(&self, op: &str, body: Json) -> (u16, Json) {
        let reply = self.call(op, body).await;
        (reply.status, reply.body)
    }

    pub(crate) async fn ok(&self, op: &str, body: Json) -> Json {
        let reply = self.call(op, body).await;
        assert_eq!(reply.status, 200, "{op}: {}", reply.body);
        reply.body
    }

    pub(crate) async fn create(&self, name: &str, kind: &str) -> String {
        let body = self
            .ok(
                "CreateStateMachine",
                json!({"name": name, "definition": PASS, "roleArn": ROLE, "type": kind}),
            )
            .await;
        body["stateMachineArn"].as_str().expect("arn").to_owned()
    }

    /// Creates the state machine `name` of type `kind` with `definition`;
    /// its ARN.
    pub(crate) async fn create_with(&self, name: &str, kind: &str, definition: &Json) -> String {
        let created = self
            .ok(
                "CreateStateMachine",
                json!({"name": name, "definition": definition.to_string(),
                       "roleArn": ROLE, "type": kind}),
            )
            .await;
        created["stateMachineArn"].as_str().expect("arn").to_owned()
    }
}

/// Asserts an error reply: status, `__type` code (namespace stripped) and,
/// when given, the exact message.
pub(crate) fn assert_error(reply: &Reply, status: u16, code: &str, message: Option<&str>) {
    assert_eq!(reply.status, status, "{}", reply.body);
    let wire = reply.body["__type"].as_str().unwrap_or_default();
    assert_eq!(wire.rsplit('#').next(), Some(code), "{}", reply.body);
    if let Some(message) = message {
        assert_eq!(reply.body["message"], message);
    }
}
