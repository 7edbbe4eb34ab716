//! [`ApiError`]: every error the API answers with, mapped to the wire in one
//! place ([`ApiError::into_response`]).
//!
//! The body is `{"__type": "<namespace>#<Code>", "message": "…"}` (awsJson1_0);
//! SDKs strip the `namespace#` prefix. Status is 400 for every modelled error
//! except `ResourceNotFound` (404), `ConflictException` (409) and
//! `ServiceQuotaExceededException` (402); `InternalFailure` is 500. Source: the
//! botocore service model `stepfunctions/2016-11-23/service-2.json` and
//! `shared/reference/sfn-reference.md` §1. The namespaces are the ones AWS sends:
//! `com.amazonaws.swf.service.v2.model` for modelled errors,
//! `com.amazon.coral.validate` for `ValidationException` and
//! `com.amazon.coral.service` for protocol errors.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// Namespace of the errors modelled by the Step Functions service.
const SFN_NAMESPACE: &str = "com.amazonaws.swf.service.v2.model";
/// Namespace of model-constraint violations.
const VALIDATE_NAMESPACE: &str = "com.amazon.coral.validate";
/// Namespace of protocol-level errors (unknown operation, bad body, internal).
const SERVICE_NAMESPACE: &str = "com.amazon.coral.service";
/// Namespace of `ThrottlingException` (unmodelled, reference §1).
const AVAILABILITY_NAMESPACE: &str = "com.amazon.coral.availability";

/// The content type of every response.
pub(crate) const CONTENT_TYPE: &str = "application/x-amz-json-1.0";

/// An error answered by the Step Functions API.
///
/// Each variant carries what its message needs; [`ApiError::message`] renders
/// AWS's text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// A request broke a model constraint; the full message, e.g. `1 validation
    /// error detected: Value 'x…' at 'name' failed to satisfy constraint: …`.
    #[error("{0}")]
    Validation(String),
    /// A malformed ARN; the reason inside `Invalid Arn: '…'`.
    #[error("Invalid Arn: '{0}'")]
    InvalidArn(String),
    /// A state machine or execution name with a forbidden character.
    #[error("Invalid Name: '{0}'")]
    InvalidName(String),
    /// A mock-file test case that does not exist; the full message.
    #[error("{0}")]
    InvalidMockTestCase(String),
    /// The definition failed to load; the `LoadError` message.
    #[error("{0}")]
    InvalidDefinition(String),
    /// The execution input is not JSON; the parser's complaint.
    #[error("Invalid State Machine Execution Input: '{0}'")]
    InvalidExecutionInput(String),
    /// A logging configuration AWS would refuse; the reason.
    #[error("Invalid Logging Configuration: {0}")]
    InvalidLoggingConfiguration(String),
    /// A pagination token that was not issued by this server.
    #[error("Invalid Token: 'Invalid token'")]
    InvalidToken,
    /// UpdateStateMachine without anything to update.
    #[error("Either the definition, the role ARN, the LoggingConfiguration, or the TracingConfiguration must be specified")]
    MissingRequiredParameter,
    /// A Task Token this runtime did not issue (not its shape).
    #[error("Invalid Token: 'Invalid token'")]
    InvalidTaskToken,
    /// No Task waits on this Task Token any more (answered, timed out, or
    /// its execution ended): "the task token has either expired or the task
    /// associated with the token has already been closed" (API reference).
    #[error("Task Timed Out: 'Provided task does not exist anymore'")]
    TaskTimedOut,
    /// SendTaskSuccess's `output` is not JSON; the parser's complaint.
    #[error("Invalid Output: '{0}'")]
    InvalidOutput(String),
    /// No state machine has this ARN.
    #[error("State Machine Does Not Exist: '{0}'")]
    StateMachineDoesNotExist(String),
    /// A machine with this name exists with a different definition, type,
    /// logging or tracing configuration; its ARN.
    #[error("State Machine Already Exists: '{0}'")]
    StateMachineAlreadyExists(String),
    /// The operation does not apply to this machine type (StartSyncExecution
    /// on STANDARD, ListExecutions on EXPRESS).
    #[error("This operation is not supported by this type of state machine")]
    StateMachineTypeNotSupported,
    /// No retained execution has this ARN.
    #[error("Execution Does Not Exist: '{0}'")]
    ExecutionDoesNotExist(String),
    /// A STANDARD execution with this name exists and is closed or has another input.
    #[error("Execution Already Exists: '{0}'")]
    ExecutionAlreadyExists(String),
    /// No activity has this ARN (activity operations).
    #[error("Activity Does Not Exist: '{0}'")]
    ActivityDoesNotExist(String),
    /// The account has the maximum number of activities; the name refused.
    #[error("Activity Limit Exceeded: '{0}'")]
    ActivityLimitExceeded(String),
    /// The tagged resource does not exist; its ARN.
    #[error("Resource not found: '{0}'")]
    ResourceNotFound(String),
    /// A version or alias change that conflicts with the current state
    /// (a version an alias routes to, another alias of that name, a stale
    /// `revisionId`); the message. HTTP 409.
    #[error("{0}")]
    Conflict(String),
    /// A per-machine quota (1,000 versions, 100 aliases) is reached; the
    /// message. HTTP 402.
    #[error("{0}")]
    ServiceQuotaExceeded(String),
    /// RedriveExecution of an execution that cannot be redriven; the message.
    #[error("{0}")]
    ExecutionNotRedrivable(String),
    /// More than 50 tags on one resource; its ARN.
    #[error("Too many tags on resource: '{0}'")]
    TooManyTags(String),
    /// `X-Amz-Target` names no operation this server knows.
    #[error("{0}")]
    UnknownOperation(String),
    /// The body is not a JSON object of the operation's shape.
    #[error("{0}")]
    Serialization(String),
    /// The request body is larger than the limit (bytes).
    #[error("Request size exceeds the limit of {0} bytes")]
    RequestTooLarge(usize),
    /// Admission control refused a start: more starts than the token buckets
    /// and their buffer allow (see [`crate::admission`]). HTTP 400.
    #[error("Rate exceeded")]
    Throttling,
    /// SigV4 verification is on and the request has no `Authorization` header.
    #[error("Missing Authentication Token")]
    MissingAuthenticationToken,
    /// SigV4 verification is on and the `Authorization` header lacks a part;
    /// the full message.
    #[error("{0}")]
    IncompleteSignature(String),
    /// SigV4 verification is on and the access key is not configured.
    #[error("The security token included in the request is invalid.")]
    UnrecognizedClient,
    /// SigV4 verification is on and the signature does not verify (or is
    /// out of the 15-minute clock skew); the full message.
    #[error("{0}")]
    InvalidSignature(String),
    /// A bug: a handler panicked or an invariant broke.
    #[error("{0}")]
    InternalFailure(String),
    /// The server cannot take the request now (more connections open than
    /// `serve --http-max-connections`, or a cluster's Redis unreachable);
    /// the full message. HTTP 503, AWS's common `ServiceUnavailable` error,
    /// which SDKs retry with back-off.
    #[error("{0}")]
    ServiceUnavailable(String),
}

/// The one mapping of the start path's errors to the wire.
impl From<crate::start::StartError> for ApiError {
    fn from(e: crate::start::StartError) -> Self {
        use crate::start::StartError as S;
        match e {
            S::InvalidArn(reason) => ApiError::InvalidArn(reason),
            S::InvalidName(name) => ApiError::InvalidName(name),
            S::InvalidExecutionInput(why) => ApiError::InvalidExecutionInput(why),
            S::InvalidDefinition(why) => ApiError::InvalidDefinition(why),
            S::StateMachineDoesNotExist(arn) => ApiError::StateMachineDoesNotExist(arn),
            S::StateMachineAlreadyExists(arn) => ApiError::StateMachineAlreadyExists(arn),
            S::StateMachineTypeNotSupported => ApiError::StateMachineTypeNotSupported,
            S::ExecutionDoesNotExist(arn) => ApiError::ExecutionDoesNotExist(arn),
            S::ExecutionAlreadyExists(arn) => ApiError::ExecutionAlreadyExists(arn),
            S::Throttled => ApiError::Throttling,
            S::ServiceUnavailable(why) => {
                ApiError::ServiceUnavailable(format!("Service Unavailable: {why}"))
            }
        }
    }
}

/// The mapping of the version and alias errors to the wire.
impl From<crate::start::VersionError> for ApiError {
    fn from(e: crate::start::VersionError) -> Self {
        use crate::start::VersionError as V;
        match e {
            V::StateMachineDoesNotExist(arn) => ApiError::StateMachineDoesNotExist(arn),
            V::ResourceNotFound(arn) => ApiError::ResourceNotFound(arn),
            V::Conflict(why) => ApiError::Conflict(why),
            V::Validation(why) => ApiError::Validation(why),
            V::QuotaExceeded(why) => ApiError::ServiceQuotaExceeded(why),
            V::ServiceUnavailable(why) => {
                ApiError::ServiceUnavailable(format!("Service Unavailable: {why}"))
            }
        }
    }
}

impl ApiError {
    /// The error code as SDKs see it (`__type` without its namespace), e.g.
    /// `StateMachineDoesNotExist`.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Validation(_) => "ValidationException",
            ApiError::InvalidArn(_) => "InvalidArn",
            ApiError::InvalidName(_) | ApiError::InvalidMockTestCase(_) => "InvalidName",
            ApiError::InvalidDefinition(_) => "InvalidDefinition",
            ApiError::InvalidExecutionInput(_) => "InvalidExecutionInput",
            ApiError::InvalidLoggingConfiguration(_) => "InvalidLoggingConfiguration",
            ApiError::InvalidToken | ApiError::InvalidTaskToken => "InvalidToken",
            ApiError::TaskTimedOut => "TaskTimedOut",
            ApiError::InvalidOutput(_) => "InvalidOutput",
            ApiError::MissingRequiredParameter => "MissingRequiredParameter",
            ApiError::StateMachineDoesNotExist(_) => "StateMachineDoesNotExist",
            ApiError::StateMachineAlreadyExists(_) => "StateMachineAlreadyExists",
            ApiError::StateMachineTypeNotSupported => "StateMachineTypeNotSupported",
            ApiError::ExecutionDoesNotExist(_) => "ExecutionDoesNotExist",
            ApiError::ExecutionAlreadyExists(_) => "ExecutionAlreadyExists",
            ApiError::ActivityDoesNotExist(_) => "ActivityDoesNotExist",
            ApiError::ActivityLimitExceeded(_) => "ActivityLimitExceeded",
            ApiError::ResourceNotFound(_) => "ResourceNotFound",
            ApiError::Conflict(_) => "ConflictException",
            ApiError::ServiceQuotaExceeded(_) => "ServiceQuotaExceededException",
            ApiError::ExecutionNotRedrivable(_) => "ExecutionNotRedrivable",
            ApiError::TooManyTags(_) => "TooManyTags",
            ApiError::UnknownOperation(_) => "UnknownOperationException",
            ApiError::Serialization(_) => "SerializationException",
            ApiError::RequestTooLarge(_) => "RequestEntityTooLargeException",
            ApiError::Throttling => "ThrottlingException",
            ApiError::ServiceUnavailable(_) => "ServiceUnavailable",
            ApiError::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            ApiError::IncompleteSignature(_) => "IncompleteSignatureException",
            ApiError::UnrecognizedClient => "UnrecognizedClientException",
            ApiError::InvalidSignature(_) => "InvalidSignatureException",
            ApiError::InternalFailure(_) => "InternalFailure",
        }
    }

    /// The wire `__type`: `namespace#Code`.
    pub fn wire_type(&self) -> String {
        let namespace = match self {
            ApiError::Validation(_) => VALIDATE_NAMESPACE,
            ApiError::UnknownOperation(_)
            | ApiError::Serialization(_)
            | ApiError::RequestTooLarge(_)
            | ApiError::MissingAuthenticationToken
            | ApiError::IncompleteSignature(_)
            | ApiError::UnrecognizedClient
            | ApiError::InvalidSignature(_)
            | ApiError::InternalFailure(_) => SERVICE_NAMESPACE,
            ApiError::Throttling | ApiError::ServiceUnavailable(_) => AVAILABILITY_NAMESPACE,
            _ => SFN_NAMESPACE,
        };
        format!("{namespace}#{}", self.code())
    }

    /// The HTTP status: 404 for `ResourceNotFound`, 409 for a conflict, 402
    /// for a quota, 413 for an oversized
    /// body, 500 for `InternalFailure`, 503 for `ServiceUnavailable`, 400 otherwise.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::ResourceNotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::ServiceQuotaExceeded(_) => StatusCode::PAYMENT_REQUIRED,
            ApiError::RequestTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::InternalFailure(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::ServiceUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// The human-readable message, in AWS's words.
    pub fn message(&self) -> String {
        self.to_string()
    }

    /// Whether the server closes the connection after this answer (then the
    /// response says `Connection: close`): an oversized body is not read to
    /// its end, and a server past its connection limit keeps none open.
    pub fn closes_connection(&self) -> bool {
        matches!(
            self,
            ApiError::RequestTooLarge(_) | ApiError::ServiceUnavailable(_)
        )
    }

    /// The JSON body: `__type`, `message`, and `resourceName` for the errors
    /// the model gives one.
    pub fn body(&self) -> serde_json::Value {
        let mut body = serde_json::json!({
            "__type": self.wire_type(),
            "message": self.message(),
        });
        if let (ApiError::ResourceNotFound(arn) | ApiError::TooManyTags(arn), Some(map)) =
            (self, body.as_object_mut())
        {
            map.insert(
                "resourceName".into(),
                serde_json::Value::String(arn.clone()),
            );
        }
        body
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status(), self.body().to_string()).into_response();
        let closes = self.closes_connection();
        let headers = response.headers_mut();
        headers.insert(
            axum::http::header::CONTENT_TYPE,
            HeaderValue::from_static(CONTENT_TYPE),
        );
        if closes {
            headers.insert("connection", HeaderValue::from_static("close"));
        }
        response
    }
}

/// Collects model-constraint violations and reports them as one
/// `ValidationException` (`N validation error(s) detected: a; b`), as AWS does.
#[derive(Debug, Default)]
pub(crate) struct Constraints {
    errors: Vec<String>,
}

/// Length in UTF-16 code units, as the service (Java) counts `length`,
/// from the UTF-8 bytes: the byte length of ASCII text, else one unit per
/// character (every byte but the continuation bytes, `0b10xx_xxxx`), two
/// for a supplementary character (led by a byte from 0xF0).
fn java_len(s: &str) -> usize {
    if s.is_ascii() {
        return s.len();
    }
    s.bytes()
        .map(|b| usize::from(b & 0xC0 != 0x80) + usize::from(b >= 0xF0))
        .sum()
}

impl Constraints {
    /// `field` is required: `Value null at 'field' … must not be null`.
    pub(crate) fn required<T>(&mut self, field: &str, value: Option<T>) {
        if value.is_none() {
            self.errors.push(format!(
                "Value null at '{field}' failed to satisfy constraint: Member must not be null"
            ));
        }
    }

    /// A string of `min..=max` characters; the value is quoted in the message.
    pub(crate) fn length(&mut self, field: &str, value: Option<&str>, min: usize, max: usize) {
        let Some(value) = value else { return };
        let len = java_len(value);
        if len < min {
            self.errors.push(format!(
                "Value '{value}' at '{field}' failed to satisfy constraint: Member must have length greater than or equal to {min}"
            ));
        } else if len > max {
            self.errors.push(format!(
                "Value '{value}' at '{field}' failed to satisfy constraint: Member must have length less than or equal to {max}"
            ));
        }
    }

    /// A sensitive string of at most `max` characters (its value is not echoed).
    pub(crate) fn sensitive_length(&mut self, field: &str, value: Option<&str>, max: usize) {
        if value.is_some_and(|v| java_len(v) > max) {
            self.errors.push(format!(
                "Value at '{field}' failed to satisfy constraint: Member must have length less than or equal to {max}"
            ));
        }
    }

    /// Sensitive data of at most `max` bytes in UTF-8 (execution input).
    pub(crate) fn sensitive_size(&mut self, field: &str, value: Option<&str>, max: usize) {
        if value.is_some_and(|v| v.len() > max) {
            self.errors.push(format!(
                "Value at '{field}' failed to satisfy constraint: Member must have size less than or equal to {max} bytes in UTF-8 encoding"
            ));
        }
    }

    /// An integer in `min..=max`.
    pub(crate) fn range(&mut self, field: &str, value: Option<i64>, min: i64, max: i64) {
        let Some(value) = value else { return };
        if value < min {
            self.errors.push(format!(
                "Value '{value}' at '{field}' failed to satisfy constraint: Member must have value greater than or equal to {min}"
            ));
        } else if value > max {
            self.errors.push(format!(
                "Value '{value}' at '{field}' failed to satisfy constraint: Member must have value less than or equal to {max}"
            ));
        }
    }

    /// One of the enum's values.
    pub(crate) fn one_of(&mut self, field: &str, value: Option<&str>, allowed: &[&str]) {
        if let Some(value) = value {
            if !allowed.contains(&value) {
                self.errors.push(format!(
                    "Value '{value}' at '{field}' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                    allowed.join(", ")
                ));
            }
        }
    }

    /// `Ok` when nothing was violated.
    ///
    /// # Errors
    /// [`ApiError::Validation`] listing every violation.
    pub(crate) fn finish(self) -> Result<(), ApiError> {
        match self.errors.len() {
            0 => Ok(()),
            1 => Err(ApiError::Validation(format!(
                "1 validation error detected: {}",
                self.errors.join("; ")
            ))),
            n => Err(ApiError::Validation(format!(
                "{n} validation errors detected: {}",
                self.errors.join("; ")
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_counted_in_utf16_code_units() {
        for s in [
            "",
            "a",
            "é",
            "注文",
            "😀",
            "a😀é\u{7f}\u{80}\u{7ff}\u{800}\u{ffff}\u{10000}\u{10ffff}",
        ] {
            assert_eq!(java_len(s), s.encode_utf16().count(), "{s}");
        }
    }

    #[test]
    fn wire_type_carries_the_namespace_and_status_follows_the_model() {
        let e = ApiError::StateMachineDoesNotExist("arn:x".into());
        assert_eq!(
            e.wire_type(),
            "com.amazonaws.swf.service.v2.model#StateMachineDoesNotExist"
        );
        assert_eq!(e.message(), "State Machine Does Not Exist: 'arn:x'");
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            ApiError::ResourceNotFound("a".into()).status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            ApiError::ResourceNotFound("a".into()).body()["resourceName"],
            "a"
        );
        assert_eq!(
            ApiError::Validation(String::new()).wire_type(),
            "com.amazon.coral.validate#ValidationException"
        );
        assert_eq!(
            ApiError::InternalFailure(String::new()).status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }

    #[test]
    fn an_unreachable_store_is_a_retryable_503() {
        let e = ApiError::from(crate::start::StartError::ServiceUnavailable(
            "Redis is unavailable".into(),
        ));
        assert_eq!(e.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            e.wire_type(),
            "com.amazon.coral.availability#ServiceUnavailable"
        );
        assert_eq!(e.message(), "Service Unavailable: Redis is unavailable");
    }

    #[test]
    fn constraints_count_errors_like_aws() {
        let mut c = Constraints::default();
        let long = "a".repeat(81);
        c.length("name", Some(&long), 1, 80);
        assert_eq!(
            c.finish(),
            Err(ApiError::Validation(format!("1 validation error detected: Value '{long}' at 'name' failed to satisfy constraint: Member must have length less than or equal to 80")))
        );
        let mut c = Constraints::default();
        c.required::<&str>("name", None);
        c.length("roleArn", Some(""), 1, 256);
        let Err(ApiError::Validation(m)) = c.finish() else {
            panic!("expected a validation error")
        };
        assert!(m.starts_with("2 validation errors detected: Value null at 'name'"));
        assert!(Constraints::default().finish().is_ok());
    }
}
