//! Intrinsic Functions (stub until the intrinsic branch lands).
use super::{Scope, Value};
use crate::errors::ExecError;

/// A parsed Intrinsic Function call.
#[derive(Debug, Clone)]
pub struct Intrinsic;

impl Intrinsic {
    /// Parses a call.
    ///
    /// # Errors
    /// Always in this stub.
    pub fn parse(text: &str) -> Result<Intrinsic, String> {
        Err(format!("intrinsic not supported: {text}"))
    }
    /// Evaluates the call.
    ///
    /// # Errors
    /// Never in this stub.
    pub fn eval(&self, _scope: &Scope) -> Result<Value, ExecError> {
        Ok(Value::Static(simd_json::StaticNode::Null))
    }
}
