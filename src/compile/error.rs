//! Why part of a definition does not compile: the compile layer's error,
//! turned into a [`crate::asl::Diagnostic`] (and so an `InvalidDefinition`)
//! by the builder. Messages are lower-case and say what to fix.
//!
//! Source: ASL spec "Choice Rules", "JSONata"; AWS guide
//! `amazon-states-language-choice-state.html`.

use crate::json::path::PathError;

/// What is wrong with a Choice Rule, a `StringMatches` pattern or a JSONata
/// Payload Template.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompileError {
    /// Choice Rules nested deeper than the limit (`max` levels).
    #[error("Choice Rules nest deeper than {max} levels")]
    RulesTooDeep {
        /// The most levels allowed.
        max: usize,
    },
    /// A Choice Rule that is not an object.
    #[error("a Choice Rule must be an object")]
    RuleNotObject,
    /// A field a Choice Rule cannot carry.
    #[error("unknown field '{0}' in a Choice Rule")]
    UnknownField(String),
    /// Two comparison operators in one rule.
    #[error("a Choice Rule must have exactly one operator, found '{first}' and '{second}'")]
    TwoOperators {
        /// The first operator.
        first: String,
        /// The second.
        second: String,
    },
    /// A rule with no operator.
    #[error("a Choice Rule must have a comparison operator or And/Or/Not")]
    NoOperator,
    /// `And`, `Or` or `Not` beside a `Variable`.
    #[error("'{0}' cannot be combined with 'Variable'")]
    CombinedWithVariable(String),
    /// `And` or `Or` with an empty list.
    #[error("'{0}' must hold at least one Choice Rule")]
    NoRules(String),
    /// A comparison operator without a `Variable`.
    #[error("the operator '{0}' needs a 'Variable'")]
    NoVariable(String),
    /// A field whose value has the wrong type.
    #[error("'{field}' must be {expected}")]
    WrongType {
        /// The field (`Variable`, an operator).
        field: String,
        /// What it must be, e.g. `a number`.
        expected: &'static str,
    },
    /// A `Variable` or operand path that does not parse.
    #[error("invalid {what}: {source}")]
    BadPath {
        /// `'Variable'` or `path in 'Op'`.
        what: String,
        /// Why it does not parse.
        source: PathError,
    },
    /// A `StringMatches` pattern ending in a lone backslash.
    #[error("invalid 'StringMatches' pattern: a dangling '\\' ends the pattern")]
    DanglingEscape,
    /// An operator name ASL does not define.
    #[error("unknown operator '{0}'")]
    UnknownOperator(String),
    /// A JSONata Payload Template nested deeper than the limit.
    #[error("'{path}' nests deeper than {max} levels")]
    TemplateTooDeep {
        /// Where, e.g. `Output.a.b`.
        path: String,
        /// The most levels allowed.
        max: usize,
    },
    /// A `{% … %}` expression that does not parse.
    #[error("Invalid JSONata expression in '{path}': {message}")]
    BadExpression {
        /// Where, e.g. `Output.a`.
        path: String,
        /// The JSONata parser's message.
        message: String,
    },
}
