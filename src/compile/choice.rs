//! Choice Rules (stub until the choice branch lands).
use crate::errors::ExecError;
use crate::json::{Scope, Value};

/// A compiled Choice Rule.
#[derive(Debug, Clone)]
pub struct ChoiceRule;

impl ChoiceRule {
    /// Compiles a rule.
    ///
    /// # Errors
    /// Never in this stub.
    pub fn compile(_rule: &Value) -> Result<ChoiceRule, String> {
        Ok(ChoiceRule)
    }
    /// Evaluates the rule.
    ///
    /// # Errors
    /// Never in this stub.
    pub fn eval(&self, _scope: &Scope) -> Result<bool, ExecError> {
        Ok(false)
    }
}
