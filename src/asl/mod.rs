//! Loading and validating an ASL definition (the only layer that sees ASL
//! text). A definition that fails validation is reported as AWS reports an
//! `InvalidDefinition`: a code such as `SCHEMA_VALIDATION_FAILED` and the JSON
//! pointer of the offending field.

mod check;
mod choice;
pub(crate) mod distributed;
mod express;
mod machine;
mod retry;
mod states;
mod syntax;
#[cfg(test)]
mod tests;

pub use express::express_warnings;

use crate::json::Value;

/// How serious a [`Diagnostic`] is (ValidateStateMachineDefinition's `severity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The definition cannot be created.
    Error,
    /// The definition can be created, but something is likely wrong.
    Warning,
}

/// One problem found in a definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// AWS's code, e.g. `SCHEMA_VALIDATION_FAILED`, `MISSING_TRANSITION_TARGET`.
    pub code: &'static str,
    /// What is wrong, in AWS's words where known.
    pub message: String,
    /// JSON pointer of the offending field, e.g. `/States/Charge/Next`.
    pub location: String,
}

/// Why a definition could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    /// The text is not JSON (`INVALID_JSON_DESCRIPTION`).
    #[error("Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: {0}'")]
    InvalidJson(String),
    /// The JSON is not a valid state machine: at least one error diagnostic.
    #[error("{}", invalid_message(.0))]
    Invalid(Vec<Diagnostic>),
}

fn invalid_message(diags: &[Diagnostic]) -> String {
    let parts: Vec<String> = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| {
            if d.location.is_empty() {
                format!("{}: {}", d.code, d.message)
            } else {
                format!("{}: {} at {}", d.code, d.message, d.location)
            }
        })
        .collect();
    format!("Invalid State Machine Definition: '{}'", parts.join(", "))
}

/// Parses and validates a definition.
///
/// # Errors
/// [`LoadError::InvalidJson`] when the text is not JSON, [`LoadError::Invalid`]
/// with every error found otherwise.
pub fn load(text: &str) -> Result<Value, LoadError> {
    let value = crate::json::parse(text).map_err(|e| LoadError::InvalidJson(e.to_string()))?;
    let diags = validate(&value);
    if diags.iter().any(|d| d.severity == Severity::Error) {
        return Err(LoadError::Invalid(diags));
    }
    Ok(value)
}

/// Checks a parsed definition against every rule of the ASL specification
/// that AWS enforces at CreateStateMachine, returning all problems found
/// (empty when valid), in document order.
///
/// Locations are written as AWS writes them: object keys joined by `/`, array
/// indices as `[n]` (e.g. `/States/C/Choices[0]/Next`); diagnostics about the
/// whole machine (`MISSING_END_STATE`) have an empty location.
///
/// Codes: `SCHEMA_VALIDATION_FAILED` (shape, types, ranges, unsupported
/// fields), `MISSING_TRANSITION_TARGET` (a `Next`/`Default`/`StartAt` naming
/// no state of its scope, or a state nothing reaches), `MISSING_END_STATE`
/// (a scope with no terminal state), `DUPLICATE_STATE_NAME`.
///
/// Sources: the ASL specification (states-language.net), the AWS developer
/// guide state pages, and AWS's measured diagnostics (reference §3).
pub fn validate(definition: &Value) -> Vec<Diagnostic> {
    machine::validate(definition)
}
