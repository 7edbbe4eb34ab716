//! Intrinsic Functions (JSONPath mode only): `States.Format('x {}', $.a)` and
//! the other 17 functions, parsed once into a call tree and evaluated against
//! a [`Scope`].
//!
//! Sources: AWS developer guide `intrinsic-functions.html`; ASL spec
//! Appendix B; summarised in `shared/reference/sfn-reference.md` §4.
//!
//! Every evaluation failure is a `States.IntrinsicFailure`
//! ([`crate::errors::names::INTRINSIC_FAILURE`]).

mod functions;
mod parse;

use std::borrow::Cow;

use super::path::{Path, Selected};
use super::{Scope, Value};
use crate::errors::names;
use crate::json::EvalError;

/// The most intrinsic calls one field may nest (the outer call counts).
pub const MAX_NESTING: usize = 10;

/// Why an intrinsic call text could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntrinsicError {
    /// The text is not a valid intrinsic function call.
    #[error("invalid intrinsic function call '{text}': {message}")]
    Syntax {
        /// The call text as written.
        text: String,
        /// What is wrong, and where (a byte offset).
        message: String,
    },
}

/// The 18 intrinsic functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    /// `States.Format(template, args…)`.
    Format,
    /// `States.StringToJson(string)`.
    StringToJson,
    /// `States.JsonToString(value)`.
    JsonToString,
    /// `States.Array(values…)`.
    Array,
    /// `States.ArrayPartition(array, size)`.
    ArrayPartition,
    /// `States.ArrayContains(array, value)`.
    ArrayContains,
    /// `States.ArrayRange(first, last, step)`.
    ArrayRange,
    /// `States.ArrayGetItem(array, index)`.
    ArrayGetItem,
    /// `States.ArrayLength(array)`.
    ArrayLength,
    /// `States.ArrayUnique(array)`.
    ArrayUnique,
    /// `States.Base64Encode(string)`.
    Base64Encode,
    /// `States.Base64Decode(string)`.
    Base64Decode,
    /// `States.Hash(data, algorithm)`.
    Hash,
    /// `States.JsonMerge(a, b, false)`.
    JsonMerge,
    /// `States.MathRandom(start, end[, seed])`.
    MathRandom,
    /// `States.MathAdd(a, b)`.
    MathAdd,
    /// `States.StringSplit(string, separators)`.
    StringSplit,
    /// `States.UUID()`.
    Uuid,
}

impl Function {
    const ALL: [Function; 18] = [
        Function::Format,
        Function::StringToJson,
        Function::JsonToString,
        Function::Array,
        Function::ArrayPartition,
        Function::ArrayContains,
        Function::ArrayRange,
        Function::ArrayGetItem,
        Function::ArrayLength,
        Function::ArrayUnique,
        Function::Base64Encode,
        Function::Base64Decode,
        Function::Hash,
        Function::JsonMerge,
        Function::MathRandom,
        Function::MathAdd,
        Function::StringSplit,
        Function::Uuid,
    ];

    /// The name after `States.`, e.g. `Format`.
    pub fn name(self) -> &'static str {
        match self {
            Function::Format => "Format",
            Function::StringToJson => "StringToJson",
            Function::JsonToString => "JsonToString",
            Function::Array => "Array",
            Function::ArrayPartition => "ArrayPartition",
            Function::ArrayContains => "ArrayContains",
            Function::ArrayRange => "ArrayRange",
            Function::ArrayGetItem => "ArrayGetItem",
            Function::ArrayLength => "ArrayLength",
            Function::ArrayUnique => "ArrayUnique",
            Function::Base64Encode => "Base64Encode",
            Function::Base64Decode => "Base64Decode",
            Function::Hash => "Hash",
            Function::JsonMerge => "JsonMerge",
            Function::MathRandom => "MathRandom",
            Function::MathAdd => "MathAdd",
            Function::StringSplit => "StringSplit",
            Function::Uuid => "UUID",
        }
    }

    /// Looks a function up by the name after `States.` (case-sensitive).
    pub fn from_name(name: &str) -> Option<Function> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// One argument of a call.
#[derive(Debug, Clone)]
pub enum Arg {
    /// A literal: `'string'` (escapes resolved), a number, `null`, `true`, `false`.
    Literal(Value),
    /// A path: `$…`, `$$…` or `$name…`.
    Path(Path),
    /// A nested call.
    Call(Box<Intrinsic>),
}

/// A piece of a `States.Format` template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Literal text.
    Text(String),
    /// An unescaped `{}`.
    Placeholder,
}

/// A parsed intrinsic call: the function and its arguments.
#[derive(Debug, Clone)]
pub struct Intrinsic {
    function: Function,
    args: Vec<Arg>,
    /// For `States.Format` with a literal template: the template pre-split,
    /// with `\{` and `\}` kept literal.
    format: Option<Vec<Piece>>,
}

/// Whether a `.$` field value is an intrinsic call rather than a path.
pub fn is_intrinsic(text: &str) -> bool {
    text.trim_start().starts_with(names::PREFIX)
}

impl Intrinsic {
    /// Parses call text such as `States.Format('Hello {}', $.name)`.
    ///
    /// # Errors
    /// [`IntrinsicError::Syntax`]: not a call, unknown function, bad argument
    /// (unterminated or dangling-escape string, invalid path or number),
    /// more than [`MAX_NESTING`] nested calls, or trailing text.
    pub fn parse(text: &str) -> Result<Intrinsic, IntrinsicError> {
        parse::parse(text)
    }

    /// The function called.
    pub fn function(&self) -> Function {
        self.function
    }

    /// The arguments as written.
    pub fn args(&self) -> &[Arg] {
        &self.args
    }

    /// Evaluates the call: arguments first (paths borrow from the scope),
    /// then the function.
    ///
    /// # Errors
    /// [`EvalError::IntrinsicFailure`] with a cause naming the function: a
    /// path argument selects nothing, wrong argument count or types, or the
    /// function's own failure (e.g. an index out of range); the engine
    /// raises it as `States.IntrinsicFailure`.
    ///
    /// Past the execution's deadline, its stop, or a result larger than the
    /// per-evaluation byte cap, [`EvalError::Limit`]
    /// ([`crate::json::budget`]).
    pub fn eval(&self, scope: &Scope<'_>) -> Result<Value, EvalError> {
        self.eval_inner(scope).map_err(|e| match e {
            functions::CallError::Invalid(cause) => EvalError::IntrinsicFailure(cause),
            functions::CallError::Limit(exceeded) => EvalError::Limit {
                exceeded,
                cause: exceeded.describe(&format!("{}{}", names::PREFIX, self.function.name())),
            },
        })
    }

    fn eval_inner(&self, scope: &Scope<'_>) -> Result<Value, functions::CallError> {
        let mut args: Vec<Cow<'_, Value>> = Vec::with_capacity(self.args.len());
        for arg in &self.args {
            args.push(match arg {
                Arg::Literal(value) => Cow::Borrowed(value),
                Arg::Path(path) => match path.select(scope) {
                    Ok(Selected::One(value)) => Cow::Borrowed(value),
                    Ok(many) => Cow::Owned(many.into_value()),
                    Err(e) => {
                        return Err(functions::CallError::Invalid(format!(
                            "Invalid arguments in States.{}: {e}",
                            self.function.name()
                        )))
                    }
                },
                Arg::Call(call) => Cow::Owned(call.eval_inner(scope)?),
            });
        }
        functions::call(self.function, &args, self.format.as_deref()).map_err(|e| match e {
            functions::CallError::Invalid(message) => functions::CallError::Invalid(format!(
                "Invalid arguments in States.{}: {message}",
                self.function.name()
            )),
            limit => limit,
        })
    }
}

#[cfg(test)]
mod tests;
