//! Why an evaluation over values failed: the json layer's error. It says
//! what went wrong, not which ASL error it is: the engine decides the ASL
//! error name when it turns an [`EvalError`] into an
//! [`crate::errors::ExecError`] (`crate::engine`'s `From` impl, one place).

use super::budget::Exceeded;

/// What failed while rendering a Payload Template or evaluating an
/// Intrinsic Function. Displays as the cause AWS gives.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    /// A Payload Template's `.$` path selected nothing (AWS raises
    /// `States.Runtime` here).
    #[error("{0}")]
    PathNotFound(String),
    /// An Intrinsic Function failed: bad arguments, a path argument that
    /// selects nothing, or the function's own failure.
    #[error("{0}")]
    IntrinsicFailure(String),
    /// The output being built passed the payload limit.
    #[error("{0}")]
    TooLarge(String),
    /// The execution's evaluation budget ([`crate::json::budget`]): its
    /// deadline, its stop, or the per-evaluation byte cap.
    #[error("{cause}")]
    Limit {
        /// Which limit.
        exceeded: Exceeded,
        /// What was being evaluated, in AWS's wording.
        cause: String,
    },
}
