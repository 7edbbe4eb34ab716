//! The ASL error an execution raises, and the predefined `States.*` error names.
//!
//! Source: the ASL specification, "Errors", and the AWS developer guide page
//! `concepts-error-handling.html`; summarised in `shared/reference/sfn-reference.md` §3.

use std::fmt;

/// An error raised inside an execution, as ASL sees it: an error name (matched
/// by Retriers and Catchers through `ErrorEquals`) and a human-readable cause.
///
/// This is what a failed execution reports as `error` and `cause` in
/// `StartSyncExecution`'s response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecError {
    /// The error name, e.g. `States.TaskFailed` or a custom `PaymentDeclined`.
    pub error: String,
    /// The cause: free text, often a JSON document (Lambda errors).
    pub cause: String,
}

impl ExecError {
    /// Builds an error from its name and cause.
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Self {
        ExecError {
            error: error.into(),
            cause: cause.into(),
        }
    }

    /// `States.Runtime`: an error that cannot be processed; never retried or caught.
    pub fn runtime(cause: impl Into<String>) -> Self {
        Self::new(names::RUNTIME, cause)
    }
}

impl fmt::Display for ExecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error, self.cause)
    }
}

impl std::error::Error for ExecError {}

/// The predefined error names (ASL spec, "Errors"; reference §3 table).
pub mod names {
    /// Wildcard matching every error name except `States.Runtime` and `States.DataLimitExceeded`.
    pub const ALL: &str = "States.ALL";
    /// A task failed; as a matcher, every error except `States.Timeout`.
    pub const TASK_FAILED: &str = "States.TaskFailed";
    /// A Task ran past TimeoutSeconds, or the execution ran past its time limit.
    pub const TIMEOUT: &str = "States.Timeout";
    /// A heartbeat was missed.
    pub const HEARTBEAT_TIMEOUT: &str = "States.HeartbeatTimeout";
    /// A state's input or output exceeded 262,144 bytes. Terminal.
    pub const DATA_LIMIT_EXCEEDED: &str = "States.DataLimitExceeded";
    /// An error that cannot be processed. Never retried or caught.
    pub const RUNTIME: &str = "States.Runtime";
    /// An Intrinsic Function failed.
    pub const INTRINSIC_FAILURE: &str = "States.IntrinsicFailure";
    /// A `.$` path in a Payload Template failed.
    pub const PARAMETER_PATH_FAILURE: &str = "States.ParameterPathFailure";
    /// ResultPath could not be applied to the state's input.
    pub const RESULT_PATH_MATCH_FAILURE: &str = "States.ResultPathMatchFailure";
    /// No Choice Rule matched and there is no Default.
    pub const NO_CHOICE_MATCHED: &str = "States.NoChoiceMatched";
    /// Missing permission.
    pub const PERMISSIONS: &str = "States.Permissions";
    /// A Parallel branch failed.
    pub const BRANCH_FAILED: &str = "States.BranchFailed";
    /// A Map state exceeded its tolerated failure threshold.
    pub const EXCEED_TOLERATED_FAILURE_THRESHOLD: &str = "States.ExceedToleratedFailureThreshold";
    /// A distributed Map's ItemReader could not read its items.
    pub const ITEM_READER_FAILED: &str = "States.ItemReaderFailed";
    /// A distributed Map's ResultWriter could not write the results.
    pub const RESULT_WRITER_FAILED: &str = "States.ResultWriterFailed";
    /// A JSONata evaluation failed.
    pub const QUERY_EVALUATION_ERROR: &str = "States.QueryEvaluationError";
    /// An HTTP Task could not reach its endpoint (DNS, connection, TLS, timeout).
    pub const HTTP_SOCKET: &str = "States.Http.Socket";
    /// The prefix of an HTTP Task's error for a non-2xx answer:
    /// `States.Http.StatusCode.NNN` with the three-digit status.
    pub const HTTP_STATUS_CODE_PREFIX: &str = "States.Http.StatusCode.";
    /// The prefix reserved by the service: every predefined error name and
    /// every Intrinsic Function (`States.Format`, …) starts with it.
    pub const PREFIX: &str = "States.";

    /// Every predefined error name that may appear in `ErrorEquals` or a Fail
    /// state's `Error` (`States.Http.StatusCode.NNN` is matched apart, see
    /// [`is_predefined`]).
    pub const PREDEFINED: [&str; 17] = [
        ALL,
        TASK_FAILED,
        TIMEOUT,
        HEARTBEAT_TIMEOUT,
        DATA_LIMIT_EXCEEDED,
        RUNTIME,
        INTRINSIC_FAILURE,
        PARAMETER_PATH_FAILURE,
        RESULT_PATH_MATCH_FAILURE,
        NO_CHOICE_MATCHED,
        PERMISSIONS,
        BRANCH_FAILED,
        EXCEED_TOLERATED_FAILURE_THRESHOLD,
        QUERY_EVALUATION_ERROR,
        ITEM_READER_FAILED,
        RESULT_WRITER_FAILED,
        HTTP_SOCKET,
    ];

    /// Whether `name` is a predefined error name: one of [`PREDEFINED`] or
    /// `States.Http.StatusCode.` followed by three digits.
    pub fn is_predefined(name: &str) -> bool {
        PREDEFINED.contains(&name)
            || name
                .strip_prefix(HTTP_STATUS_CODE_PREFIX)
                .is_some_and(|code| code.len() == 3 && code.bytes().all(|c| c.is_ascii_digit()))
    }

    /// The error an HTTP Task raises for a non-2xx `status`:
    /// `States.Http.StatusCode.NNN`.
    pub fn http_status_code(status: u16) -> String {
        format!("{HTTP_STATUS_CODE_PREFIX}{status}")
    }
}

/// The Express payload limit in bytes (UTF-8): 256 KiB (reference §2).
pub const MAX_PAYLOAD_BYTES: usize = 262_144;
