//! [`StartError`]: why a start (or a look-up of a started execution) was
//! refused. The API maps it to the wire with one `From` (`crate::api::ApiError`);
//! consumers report it as the unit's failure; the CLI prints it.
//!
//! Each variant is one of the errors AWS's StartExecution / StartSyncExecution /
//! DescribeExecution / StopExecution / CreateStateMachine answer (botocore
//! model `stepfunctions/2016-11-23/service-2.json`, reference §1); the
//! message texts are AWS's.

/// Why a start was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StartError {
    /// A malformed ARN; the reason, e.g. `Invalid ARN prefix: x`.
    #[error("Invalid Arn: '{0}'")]
    InvalidArn(String),
    /// A state machine or execution name with a forbidden character.
    #[error("Invalid Name: '{0}'")]
    InvalidName(String),
    /// The execution input is not JSON; the parser's complaint.
    #[error("Invalid State Machine Execution Input: '{0}'")]
    InvalidExecutionInput(String),
    /// The definition failed to load; the `LoadError` message.
    #[error("{0}")]
    InvalidDefinition(String),
    /// No state machine has this ARN.
    #[error("State Machine Does Not Exist: '{0}'")]
    StateMachineDoesNotExist(String),
    /// A machine with this name exists with a different definition, type,
    /// logging or tracing configuration; its ARN.
    #[error("State Machine Already Exists: '{0}'")]
    StateMachineAlreadyExists(String),
    /// The operation does not apply to this machine type (a synchronous
    /// start of a STANDARD machine, ListExecutions of an EXPRESS one).
    #[error("This operation is not supported by this type of state machine")]
    StateMachineTypeNotSupported,
    /// No retained execution has this ARN.
    #[error("Execution Does Not Exist: '{0}'")]
    ExecutionDoesNotExist(String),
    /// A STANDARD execution with this name exists and is closed or has
    /// another input; its ARN.
    #[error("Execution Already Exists: '{0}'")]
    ExecutionAlreadyExists(String),
    /// Admission control refused the start: more starts than the token
    /// buckets and their buffer allow ([`crate::admission`]).
    #[error("Rate exceeded")]
    Throttled,
    /// The store behind the start path cannot record the start or the
    /// change durably right now (a cluster whose Redis is unreachable): the
    /// request was not accepted, the client may retry. The reason.
    #[error("Service Unavailable: {0}")]
    ServiceUnavailable(String),
}

impl StartError {
    /// The error code AWS answers with (the API's `__type` without its
    /// namespace), e.g. `StateMachineDoesNotExist`.
    pub fn code(&self) -> &'static str {
        match self {
            StartError::InvalidArn(_) => "InvalidArn",
            StartError::InvalidName(_) => "InvalidName",
            StartError::InvalidExecutionInput(_) => "InvalidExecutionInput",
            StartError::InvalidDefinition(_) => "InvalidDefinition",
            StartError::StateMachineDoesNotExist(_) => "StateMachineDoesNotExist",
            StartError::StateMachineAlreadyExists(_) => "StateMachineAlreadyExists",
            StartError::StateMachineTypeNotSupported => "StateMachineTypeNotSupported",
            StartError::ExecutionDoesNotExist(_) => "ExecutionDoesNotExist",
            StartError::ExecutionAlreadyExists(_) => "ExecutionAlreadyExists",
            StartError::Throttled => "ThrottlingException",
            StartError::ServiceUnavailable(_) => "ServiceUnavailable",
        }
    }
}
