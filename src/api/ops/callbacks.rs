//! SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat: answering the Task
//! Tokens of `.waitForTaskToken` Tasks (see [`crate::engine::tokens`]).
//!
//! Source: the Step Functions API reference for the three operations; model
//! constraints from botocore's `stepfunctions` service model (taskToken 1–1024,
//! output ≤ 262,144 bytes, error ≤ 256, cause ≤ 32,768 characters).

use serde_json::{json, Value as Json};

use super::Request;
use crate::api::error::{ApiError, Constraints};
use crate::api::Service;
use crate::engine::tokens::{Callback, TokenError, MAX_TOKEN_LENGTH};
use crate::errors::MAX_PAYLOAD_BYTES;

const MAX_ERROR_LEN: usize = 256;
const MAX_CAUSE_LEN: usize = 32_768;

impl From<TokenError> for ApiError {
    fn from(e: TokenError) -> Self {
        match e {
            TokenError::InvalidToken => ApiError::InvalidTaskToken,
            TokenError::TaskTimedOut => ApiError::TaskTimedOut,
        }
    }
}

fn token<'a>(req: &Request<'a>, c: &mut Constraints) -> Result<Option<&'a str>, ApiError> {
    let token = req.str("taskToken")?;
    c.required("taskToken", token);
    c.sensitive_length("taskToken", token, MAX_TOKEN_LENGTH);
    Ok(token)
}

/// `SendTaskSuccess {taskToken, output}` → `{}`.
///
/// # Errors
/// ValidationException, InvalidOutput (output not JSON), InvalidToken,
/// TaskTimedOut (the token is spent, or its Task timed out).
pub(crate) async fn success(service: &Service, req: &Request<'_>) -> Result<Json, ApiError> {
    let mut c = Constraints::default();
    let token = token(req, &mut c)?;
    let output = req.str("output")?;
    c.required("output", output);
    c.sensitive_size("output", output, MAX_PAYLOAD_BYTES);
    c.finish()?;
    let output = crate::json::parse(output.unwrap_or_default())
        .map_err(|e| ApiError::InvalidOutput(e.to_string()))?;
    service
        .engine()
        .task_tokens()
        .deliver(token.unwrap_or_default(), Callback::Success(output))
        .await?;
    Ok(json!({}))
}

/// `SendTaskFailure {taskToken, error?, cause?}` → `{}`.
///
/// # Errors
/// ValidationException, InvalidToken, TaskTimedOut.
pub(crate) async fn failure(service: &Service, req: &Request<'_>) -> Result<Json, ApiError> {
    let mut c = Constraints::default();
    let token = token(req, &mut c)?;
    let error = req.str("error")?;
    let cause = req.str("cause")?;
    c.sensitive_length("error", error, MAX_ERROR_LEN);
    c.sensitive_length("cause", cause, MAX_CAUSE_LEN);
    c.finish()?;
    let callback = Callback::Failure(
        error.unwrap_or_default().to_owned(),
        cause.unwrap_or_default().to_owned(),
    );
    service
        .engine()
        .task_tokens()
        .deliver(token.unwrap_or_default(), callback)
        .await?;
    Ok(json!({}))
}

/// `SendTaskHeartbeat {taskToken}` → `{}`.
///
/// # Errors
/// ValidationException, InvalidToken, TaskTimedOut.
pub(crate) async fn heartbeat(service: &Service, req: &Request<'_>) -> Result<Json, ApiError> {
    let mut c = Constraints::default();
    let token = token(req, &mut c)?;
    c.finish()?;
    service
        .engine()
        .task_tokens()
        .deliver(token.unwrap_or_default(), Callback::Heartbeat)
        .await?;
    Ok(json!({}))
}
