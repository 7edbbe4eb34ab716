//! What one request goes to: the library engine in-process, or
//! StartSyncExecution over HTTP (AWS JSON 1.0) through a pooled client.

use std::time::Duration;

use expressway::engine::ExecutionStatus;

use crate::report::Outcome;
use crate::template::InputTemplate;
use crate::workload::Workload;

/// The `X-Amz-Target` prefix of the Step Functions API.
const TARGET_PREFIX: &str = "AWSStepFunctions.";
/// The AWS JSON 1.0 content type.
const CONTENT_TYPE: &str = "application/x-amz-json-1.0";

/// A request target.
pub enum Target {
    /// The engine in-process.
    Inproc {
        /// The compiled definition, engine and base input.
        workload: Workload,
        /// When the input file has `{{n}}`, the input text is rendered and
        /// parsed per request; otherwise the base input's `paymentId` is set
        /// to `pay-<n>`.
        template: InputTemplate,
    },
    /// StartSyncExecution over HTTP.
    Http(HttpTarget),
}

/// Which start operation an [`HttpTarget`] sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StartOp {
    /// StartSyncExecution: the answer carries the execution's status.
    #[default]
    StartSync,
    /// StartExecution: the answer only says the start was accepted
    /// ([`Outcome::Succeeded`] = accepted); the execution runs on.
    Start,
}

impl StartOp {
    /// The operation name (`X-Amz-Target` suffix).
    pub fn name(self) -> &'static str {
        match self {
            StartOp::StartSync => "StartSyncExecution",
            StartOp::Start => "StartExecution",
        }
    }
}

/// StartSyncExecution (or StartExecution) over HTTP.
pub struct HttpTarget {
    client: reqwest::Client,
    /// The endpoint URL (`http://127.0.0.1:8083/`).
    pub url: String,
    /// The state machine ARN executions start on.
    pub arn: String,
    /// The input text per request.
    pub template: InputTemplate,
    /// The start operation sent ([`StartOp::StartSync`] unless changed).
    pub op: StartOp,
}

/// Maps an execution status to an outcome.
fn outcome_of(status: ExecutionStatus) -> Outcome {
    match status {
        ExecutionStatus::Succeeded => Outcome::Succeeded,
        ExecutionStatus::TimedOut => Outcome::TimedOut,
        ExecutionStatus::Failed | ExecutionStatus::Aborted => Outcome::Failed,
    }
}

impl Target {
    /// Sends request number `n` and waits for its outcome.
    pub async fn call(&self, n: u64) -> Outcome {
        match self {
            Target::Inproc { workload, template } => {
                let input = if template.is_varied() {
                    match expressway::json::parse(&template.render(n)) {
                        Ok(v) => v,
                        Err(_) => return Outcome::Error,
                    }
                } else {
                    workload.input(n)
                };
                outcome_of(workload.execute(n, input).await.status)
            }
            Target::Http(h) => h.call(n).await,
        }
    }
}

impl HttpTarget {
    /// A target posting to `url` for the state machine `arn`, with a
    /// keep-alive connection pool and a per-request `timeout`.
    ///
    /// # Errors
    /// The HTTP client cannot be built.
    pub fn new(
        url: &str,
        arn: &str,
        template: InputTemplate,
        timeout: Duration,
    ) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .pool_max_idle_per_host(4096)
            .tcp_nodelay(true)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(HttpTarget {
            client,
            url: url.to_owned(),
            arn: arn.to_owned(),
            template,
            op: StartOp::default(),
        })
    }

    /// Posts operation `op` with JSON `body`; returns the HTTP status and the
    /// response text.
    ///
    /// # Errors
    /// A connection error or timeout (`reqwest::Error::is_timeout`).
    pub async fn post(&self, op: &str, body: String) -> Result<(u16, String), reqwest::Error> {
        let resp = self
            .client
            .post(&self.url)
            .header("content-type", CONTENT_TYPE)
            .header("x-amz-target", format!("{TARGET_PREFIX}{op}"))
            .body(body)
            .send()
            .await?;
        let status = resp.status().as_u16();
        Ok((status, resp.text().await?))
    }

    /// CreateStateMachine (type EXPRESS) named `name`; returns its ARN, or
    /// the existing one's when it already exists with the same name.
    ///
    /// # Errors
    /// The request failed or the server rejected the definition.
    pub async fn create(&mut self, name: &str, definition: &str) -> Result<String, String> {
        let body = serde_json::json!({
            "name": name,
            "definition": definition,
            "roleArn": "arn:aws:iam::123456789012:role/expressway",
            "type": "EXPRESS",
        })
        .to_string();
        let (status, text) = self
            .post("CreateStateMachine", body)
            .await
            .map_err(|e| e.to_string())?;
        let v: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| format!("{e}: {text}"))?;
        if status == 200 {
            if let Some(arn) = v["stateMachineArn"].as_str() {
                self.arn = arn.to_owned();
                return Ok(self.arn.clone());
            }
        }
        Err(format!("CreateStateMachine: HTTP {status}: {text}"))
    }

    /// Sends start number `n` ([`HttpTarget::op`]).
    pub async fn call(&self, n: u64) -> Outcome {
        let body = serde_json::json!({
            "stateMachineArn": self.arn,
            "input": self.template.render(n),
        })
        .to_string();
        match self.post(self.op.name(), body).await {
            Ok((status, text)) if self.op == StartOp::Start => classify_start(status, &text),
            Ok((status, text)) => classify(status, &text),
            Err(e) if e.is_timeout() => Outcome::TimedOut,
            Err(_) => Outcome::Error,
        }
    }
}

/// The outcome of a StartSyncExecution answer with HTTP `status` and `body`.
pub fn classify(status: u16, body: &str) -> Outcome {
    if status == 429 || (status == 400 && body.contains("ThrottlingException")) {
        return Outcome::Throttled;
    }
    if status != 200 {
        return Outcome::Error;
    }
    // Only the status field is needed; avoid a full parse of a large output.
    let Ok(v) = serde_json::from_str::<serde_json::Value>(body) else {
        return Outcome::Error;
    };
    match v["status"].as_str() {
        Some("SUCCEEDED") => Outcome::Succeeded,
        Some("FAILED") | Some("ABORTED") => Outcome::Failed,
        Some("TIMED_OUT") => Outcome::TimedOut,
        _ => Outcome::Error,
    }
}

/// The outcome of a StartExecution answer: accepted (an `executionArn`) is
/// [`Outcome::Succeeded`].
pub fn classify_start(status: u16, body: &str) -> Outcome {
    if status == 429 || (status == 400 && body.contains("ThrottlingException")) {
        return Outcome::Throttled;
    }
    let accepted = status == 200
        && serde_json::from_str::<serde_json::Value>(body)
            .is_ok_and(|v| v["executionArn"].is_string());
    if accepted {
        Outcome::Succeeded
    } else {
        Outcome::Error
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_answers() {
        assert_eq!(
            classify(200, r#"{"status":"SUCCEEDED"}"#),
            Outcome::Succeeded
        );
        assert_eq!(classify(200, r#"{"status":"FAILED"}"#), Outcome::Failed);
        assert_eq!(
            classify(200, r#"{"status":"TIMED_OUT"}"#),
            Outcome::TimedOut
        );
        assert_eq!(
            classify(400, r#"{"__type":"ThrottlingException"}"#),
            Outcome::Throttled
        );
        assert_eq!(classify(429, ""), Outcome::Throttled);
        assert_eq!(classify(400, r#"{"__type":"InvalidArn"}"#), Outcome::Error);
        assert_eq!(classify(200, "not json"), Outcome::Error);
        assert_eq!(
            classify_start(200, r#"{"executionArn":"arn:x","startDate":1}"#),
            Outcome::Succeeded
        );
        assert_eq!(
            classify_start(
                400,
                r#"{"__type":"com.amazon.coral.availability#ThrottlingException"}"#
            ),
            Outcome::Throttled
        );
        assert_eq!(classify_start(200, "{}"), Outcome::Error);
    }
}
