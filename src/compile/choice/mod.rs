//! Choice Rules (JSONPath mode): a `Variable` tested by one of 42 operators,
//! or `And` / `Or` / `Not` over nested rules, compiled once and evaluated
//! against a [`Scope`].
//!
//! Semantics (ASL spec "Choice Rules"; AWS guide `state-choice.html`;
//! reference §3 "Choice"; checked against the recorded
//! `v2.choice_operators.*` conformance cases):
//! - comparing values of different types gives false;
//! - `IsPresent` on a missing path gives false; any other operator on a
//!   missing `Variable` raises `States.Runtime`;
//! - strings compare by UTF-16 code unit, numbers as numbers (integers
//!   exactly), timestamps as instants (strict RFC 3339, see
//!   [`super::timestamp`]);
//! - `StringMatches`: `*` matches any run of characters, `\*` is a literal
//!   star, `\\` a literal backslash.

mod compile;
mod matcher;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::cmp::Ordering;

use chrono::{DateTime, FixedOffset};
use simd_json::StaticNode;

use super::timestamp::parse_timestamp;
use super::CompileError;
use crate::errors::ExecError;
use crate::json::path::{Path, Selected};
use crate::json::{Scope, Value};
pub use matcher::Pattern;

/// How deeply `And` / `Or` / `Not` may nest.
pub const MAX_DEPTH: usize = 64;

/// A compiled Choice Rule (its `Next`, if any, is kept by the caller).
#[derive(Debug, Clone)]
pub enum ChoiceRule {
    /// `And`: every rule matches (evaluated in order, short-circuit).
    And(Vec<ChoiceRule>),
    /// `Or`: some rule matches (in order, short-circuit).
    Or(Vec<ChoiceRule>),
    /// `Not`: the rule does not match.
    Not(Box<ChoiceRule>),
    /// `Variable` tested by an operator.
    Test {
        /// The `Variable` path (`$.x`, `$$.x`, `$var.x`).
        variable: Path,
        /// The operator and its operand.
        test: Test,
    },
}

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    /// `…Equals`.
    Equals,
    /// `…LessThan`.
    LessThan,
    /// `…GreaterThan`.
    GreaterThan,
    /// `…LessThanEquals`.
    LessThanEquals,
    /// `…GreaterThanEquals`.
    GreaterThanEquals,
}

impl Cmp {
    fn holds(self, ordering: Ordering) -> bool {
        match self {
            Cmp::Equals => ordering == Ordering::Equal,
            Cmp::LessThan => ordering == Ordering::Less,
            Cmp::GreaterThan => ordering == Ordering::Greater,
            Cmp::LessThanEquals => ordering != Ordering::Greater,
            Cmp::GreaterThanEquals => ordering != Ordering::Less,
        }
    }
}

/// An operand: a literal, or a path (the `…Path` operator forms).
#[derive(Debug, Clone)]
pub enum Operand<T> {
    /// Given in the rule.
    Literal(T),
    /// Read from the scope at evaluation.
    Path(Path),
}

/// A number as written: integers are compared exactly.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
}

impl Number {
    fn of(value: &Value) -> Option<Number> {
        match value {
            Value::Static(StaticNode::I64(i)) => Some(Number::Int(*i)),
            Value::Static(StaticNode::U64(u)) => Some(match i64::try_from(*u) {
                Ok(i) => Number::Int(i),
                Err(_) => Number::Float(*u as f64),
            }),
            Value::Static(StaticNode::F64(f)) => Some(Number::Float(*f)),
            _ => None,
        }
    }

    fn compare(self, other: Number) -> Option<Ordering> {
        match (self, other) {
            (Number::Int(a), Number::Int(b)) => Some(a.cmp(&b)),
            (a, b) => a.as_f64().partial_cmp(&b.as_f64()),
        }
    }

    fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        }
    }
}

/// The operator of a [`ChoiceRule::Test`].
#[derive(Debug, Clone)]
pub enum Test {
    /// `String{Equals,LessThan,…}[Path]`.
    String(Cmp, Operand<String>),
    /// `Numeric{Equals,LessThan,…}[Path]`.
    Numeric(Cmp, Operand<Number>),
    /// `Timestamp{Equals,LessThan,…}[Path]`.
    Timestamp(Cmp, Operand<DateTime<FixedOffset>>),
    /// `StringMatches`.
    StringMatches(Pattern),
    /// `BooleanEquals[Path]`.
    BooleanEquals(Operand<bool>),
    /// `IsNull`: matches when (value is null) == flag.
    IsNull(bool),
    /// `IsPresent`: matches when (the path selects something) == flag.
    IsPresent(bool),
    /// `IsNumeric`.
    IsNumeric(bool),
    /// `IsString`.
    IsString(bool),
    /// `IsBoolean`.
    IsBoolean(bool),
    /// `IsTimestamp`: a string that is a valid timestamp.
    IsTimestamp(bool),
}

impl ChoiceRule {
    /// Compiles one rule (top-level or nested); `Next`, `Comment`, `Assign`
    /// and `Output` are left to the caller.
    ///
    /// # Errors
    /// A [`CompileError`] naming what is wrong: not an object, no or several
    /// operators, an unknown field, a missing or invalid `Variable` or
    /// operand path, an operand of the wrong type (e.g. a non-timestamp for
    /// `TimestampEquals`), an invalid `StringMatches` pattern, an empty
    /// `And`/`Or`, nesting deeper than [`MAX_DEPTH`].
    pub fn compile(rule: &Value) -> Result<ChoiceRule, CompileError> {
        compile::rule(rule, 0)
    }

    /// Evaluates the rule.
    ///
    /// # Errors
    /// `States.Runtime` when the `Variable` (or an operand path) selects
    /// nothing, except for `IsPresent`.
    pub fn eval(&self, scope: &Scope<'_>) -> Result<bool, ExecError> {
        match self {
            ChoiceRule::And(rules) => {
                for rule in rules {
                    if !rule.eval(scope)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            ChoiceRule::Or(rules) => {
                for rule in rules {
                    if rule.eval(scope)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            ChoiceRule::Not(rule) => Ok(!rule.eval(scope)?),
            ChoiceRule::Test { variable, test } => {
                if let Test::IsPresent(flag) = test {
                    return Ok(select(variable, scope).is_ok() == *flag);
                }
                // A variable that selects one value (nearly every one) is
                // read where it is.
                if let Ok(Selected::One(value)) = variable.select(scope) {
                    return test.eval(value, scope);
                }
                let value = select(variable, scope)?;
                test.eval(&value, scope)
            }
        }
    }
}

/// Selects a path, borrowing a definite result.
fn select<'a>(path: &Path, scope: &Scope<'a>) -> Result<Cow<'a, Value>, ExecError> {
    match path.select(scope) {
        Ok(Selected::One(v)) => Ok(Cow::Borrowed(v)),
        Ok(many) => Ok(Cow::Owned(many.into_value())),
        Err(e) => Err(ExecError::runtime(e.to_string())),
    }
}

impl Test {
    fn eval(&self, value: &Value, scope: &Scope<'_>) -> Result<bool, ExecError> {
        Ok(match self {
            Test::String(cmp, operand) => {
                let Value::String(s) = value else {
                    return Ok(false);
                };
                // Equal strings are equal byte for byte, whatever the order
                // `compare_strings` gives the others.
                let holds = |other: &str| match cmp {
                    Cmp::Equals => crate::json::same_text(s, other),
                    _ => cmp.holds(crate::json::compare_strings(s, other)),
                };
                match operand {
                    Operand::Literal(lit) => holds(lit),
                    Operand::Path(p) => match select(p, scope)?.as_ref() {
                        Value::String(other) => holds(other),
                        _ => false,
                    },
                }
            }
            Test::Numeric(cmp, operand) => {
                let Some(n) = Number::of(value) else {
                    return Ok(false);
                };
                let other = match operand {
                    Operand::Literal(lit) => Some(*lit),
                    Operand::Path(p) => Number::of(select(p, scope)?.as_ref()),
                };
                other
                    .and_then(|o| n.compare(o))
                    .is_some_and(|ord| cmp.holds(ord))
            }
            Test::Timestamp(cmp, operand) => {
                let Some(t) = timestamp_of(value) else {
                    return Ok(false);
                };
                let other = match operand {
                    Operand::Literal(lit) => Some(*lit),
                    Operand::Path(p) => timestamp_of(select(p, scope)?.as_ref()),
                };
                other.is_some_and(|o| cmp.holds(t.cmp(&o)))
            }
            Test::StringMatches(pattern) => match value {
                Value::String(s) => pattern.matches(s),
                _ => false,
            },
            Test::BooleanEquals(operand) => {
                let Value::Static(StaticNode::Bool(b)) = value else {
                    return Ok(false);
                };
                match operand {
                    Operand::Literal(lit) => b == lit,
                    Operand::Path(p) => {
                        matches!(select(p, scope)?.as_ref(), Value::Static(StaticNode::Bool(o)) if o == b)
                    }
                }
            }
            Test::IsNull(flag) => matches!(value, Value::Static(StaticNode::Null)) == *flag,
            Test::IsPresent(flag) => *flag,
            Test::IsNumeric(flag) => Number::of(value).is_some() == *flag,
            Test::IsString(flag) => matches!(value, Value::String(_)) == *flag,
            Test::IsBoolean(flag) => matches!(value, Value::Static(StaticNode::Bool(_))) == *flag,
            Test::IsTimestamp(flag) => timestamp_of(value).is_some() == *flag,
        })
    }
}

fn timestamp_of(value: &Value) -> Option<DateTime<FixedOffset>> {
    match value {
        Value::String(s) => parse_timestamp(s),
        _ => None,
    }
}
