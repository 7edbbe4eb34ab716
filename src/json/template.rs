//! Payload Templates (stub until the template branch lands).
use super::{Scope, Value};
use crate::errors::ExecError;

/// A compiled Payload Template.
#[derive(Debug, Clone)]
pub struct Template(Value);
/// Why a template could not be compiled.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct TemplateError(String);

impl Template {
    /// Compiles a template.
    ///
    /// # Errors
    /// Never in this stub.
    pub fn compile(value: &Value) -> Result<Template, TemplateError> {
        Ok(Template(value.clone()))
    }
    /// Renders the template.
    ///
    /// # Errors
    /// Never in this stub.
    pub fn render(&self, _scope: &Scope) -> Result<Value, ExecError> {
        Ok(self.0.clone())
    }
}
