//! The one place where the json layer's [`EvalError`] becomes an ASL error:
//! the engine decides its name.
//!
//! Source: ASL spec "Errors"; reference §3 (`States.Runtime` for a Payload
//! Template path that selects nothing, as AWS records it).

use crate::errors::{names, ExecError};
use crate::json::budget::Exceeded;
use crate::json::EvalError;

impl From<EvalError> for ExecError {
    fn from(e: EvalError) -> Self {
        let error = match &e {
            EvalError::PathNotFound(_) => names::RUNTIME,
            EvalError::IntrinsicFailure(_) => names::INTRINSIC_FAILURE,
            EvalError::TooLarge(_) => names::DATA_LIMIT_EXCEEDED,
            EvalError::Limit { exceeded, .. } => match exceeded {
                Exceeded::Deadline => names::TIMEOUT,
                Exceeded::Bytes(_) => names::DATA_LIMIT_EXCEEDED,
                Exceeded::Stopped => names::RUNTIME,
            },
        };
        ExecError::new(error, e.to_string())
    }
}
