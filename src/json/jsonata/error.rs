//! JSONata errors and the causes Step Functions reports for them.

use std::fmt;

use simd_json::StaticNode;

use crate::json::budget::Exceeded;
use crate::json::Value;

/// jsonata-js's message for the codes whose message has no inserts. The
/// library sometimes appends details to these (`T1006: Attempted to invoke a
/// non-function: $f`); AWS shows jsonata-js's text, so it wins.
fn canonical_message(code: &str) -> Option<&'static str> {
    Some(match code {
        "S0101" => "String literal must be terminated by a matching quote",
        "S0104" => "The escape sequence \\u must be followed by 4 hex digits",
        "S0105" => "Quoted property name must be terminated with a backquote (`)",
        "S0106" => "Comment has no closing tag",
        "S0207" => "Unexpected end of expression",
        "S0209" => "A predicate cannot follow a grouping expression in a step",
        "S0210" => "Each step can only have one grouping expression",
        "S0212" => "The left side of := must be a variable name (start with $)",
        "S0301" => "Empty regular expressions are not allowed",
        "S0302" => "No terminating / in regular expression",
        "D1004" => "Regular expression matches zero length string",
        "T1006" => "Attempted to invoke a non-function",
        "T1008" => "Attempted to partially apply a non-function",
        "T2003" => "The left side of the range operator (..) must evaluate to an integer",
        "T2004" => "The right side of the range operator (..) must evaluate to an integer",
        "T2006" => "The right side of the function application operator ~> must be a function",
        "T2008" => {
            "The expressions within an order-by clause must evaluate to numeric or string values"
        }
        "D3001" => "Attempting to invoke string function on Infinity or NaN",
        "D3010" => "Second argument of replace function cannot be an empty string",
        "D3011" => "Fourth argument of replace function must evaluate to a positive number",
        "D3012" => "Attempted to replace a matched string with a non-string value",
        "D3020" => "Third argument of split function must evaluate to a positive number",
        "D3040" => "Third argument of match function must evaluate to a positive number",
        "D3050" => {
            "The second argument of reduce function must be a function with at least two arguments"
        }
        "D3138" => {
            "The $single() function expected exactly 1 matching result.  Instead it matched more."
        }
        "D3139" => {
            "The $single() function expected exactly 1 matching result.  Instead it matched 0."
        }
        _ => return None,
    })
}

/// Which stage failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonataErrorKind {
    /// The text is not valid JSONata (at definition load).
    Syntax,
    /// Evaluation threw.
    Evaluation,
    /// Evaluation returned a function (or regex), which has no JSON form.
    UnsupportedResult,
    /// Evaluation ran into the execution's budget: its deadline, its stop,
    /// or the byte cap (see [`crate::json::budget`]).
    Limit(Exceeded),
}

/// A JSONata error: its code, when JSONata gives one, and its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonataError {
    /// Which stage failed.
    pub kind: JsonataErrorKind,
    /// The JSONata error code, e.g. `T1006` or `S0202`.
    pub code: Option<String>,
    /// The message, without the code, e.g. `Attempted to invoke a
    /// non-function`.
    pub message: String,
}

impl JsonataError {
    /// Splits a library message such as `T1006: Attempted to invoke a
    /// non-function` into code and message.
    pub(crate) fn from_message(kind: JsonataErrorKind, full: &str) -> JsonataError {
        match jsonata_core::evaluator::error_code_prefix(full) {
            Some(code) => JsonataError {
                kind,
                code: Some(code.to_owned()),
                message: canonical_message(code)
                    .unwrap_or_else(|| full.get(code.len() + 1..).unwrap_or("").trim_start())
                    .to_owned(),
            },
            None => JsonataError {
                kind,
                code: None,
                message: full.to_owned(),
            },
        }
    }

    /// An evaluation error from the library: a budget trip (U1003 stopped,
    /// U1004 deadline, U1005 more than `max_bytes` built) becomes
    /// [`JsonataErrorKind::Limit`], anything else an evaluation error.
    pub(crate) fn from_evaluation(full: &str, max_bytes: usize) -> JsonataError {
        let exceeded = match jsonata_core::evaluator::error_code_prefix(full) {
            Some("U1003") => Exceeded::Stopped,
            Some("U1004") => Exceeded::Deadline,
            Some("U1005") => Exceeded::Bytes(max_bytes),
            _ => return JsonataError::from_message(JsonataErrorKind::Evaluation, full),
        };
        JsonataError::limit(exceeded)
    }

    /// The evaluation ran into the execution's budget.
    pub(crate) fn limit(exceeded: Exceeded) -> JsonataError {
        JsonataError {
            kind: JsonataErrorKind::Limit(exceeded),
            code: None,
            message: exceeded.describe("the expression"),
        }
    }

    /// The library panicked; reported as an error, never propagated.
    pub(crate) fn panicked(kind: JsonataErrorKind) -> JsonataError {
        JsonataError {
            kind,
            code: None,
            message: "the JSONata evaluator failed unexpectedly on this expression".to_owned(),
        }
    }

    /// The result was a function.
    pub(crate) fn unsupported_result() -> JsonataError {
        JsonataError {
            kind: JsonataErrorKind::UnsupportedResult,
            code: None,
            message: "returned an unsupported result type".to_owned(),
        }
    }
}

/// `CODE: message`, or the message alone when there is no code: the form
/// AWS puts in a cause after "threw an error during evaluation.".
impl fmt::Display for JsonataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            Some(code) => write!(f, "{code}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for JsonataError {}

/// Why a field's expression produced no usable value; each variant is one
/// shape of AWS's `States.QueryEvaluationError` cause ([`cause_for`]).
#[derive(Debug, Clone, PartialEq)]
pub enum EvalFailure {
    /// Evaluation threw.
    Error(JsonataError),
    /// The result was `undefined`.
    Undefined,
    /// The result was a function.
    UnsupportedType,
    /// The result has the wrong JSON type for the field, e.g. a Map's
    /// `Items` that is not an array.
    UnexpectedType {
        /// The JSON type the field needs ([`json_type_name`] spelling).
        expected: &'static str,
        /// What the expression returned.
        value: Value,
    },
}

impl From<JsonataError> for EvalFailure {
    fn from(error: JsonataError) -> EvalFailure {
        if error.kind == JsonataErrorKind::UnsupportedResult {
            EvalFailure::UnsupportedType
        } else {
            EvalFailure::Error(error)
        }
    }
}

/// The JSON type name AWS uses in causes: `array`, `object`, `string`,
/// `number`, `boolean` or `null`.
pub fn json_type_name(value: &Value) -> &'static str {
    match value {
        Value::Static(StaticNode::Null) => "null",
        Value::Static(StaticNode::Bool(_)) => "boolean",
        Value::Static(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The cause of the `States.QueryEvaluationError` raised when the
/// expression `expr` (the trimmed text inside `{% %}`) of the field `field`
/// (e.g. `Output/result`, `Arguments`, `Items`) fails. The engine prefixes
/// it with "An error occurred while executing the state '<name>' (entered
/// at the event id #<n>). ". The shapes, as AWS writes them:
///
/// - `The JSONata expression '<expr>' specified for the field '<field>' threw an error during evaluation. T1006: Attempted to invoke a non-function`
/// - `… returned nothing (undefined).`
/// - `… returned an unsupported result type.`
/// - `… returned an unexpected result type. Expected 'array', but was 'string' for value: "string"`
pub fn cause_for(expr: &str, field: &str, err: &EvalFailure) -> String {
    let head = format!("The JSONata expression '{expr}' specified for the field '{field}' ");
    match err {
        EvalFailure::Error(e) => format!("{head}threw an error during evaluation. {e}"),
        EvalFailure::Undefined => format!("{head}returned nothing (undefined)."),
        EvalFailure::UnsupportedType => format!("{head}returned an unsupported result type."),
        EvalFailure::UnexpectedType { expected, value } => format!(
            "{head}returned an unexpected result type. Expected '{expected}', but was '{}' for value: {}",
            json_type_name(value),
            crate::json::to_string(value)
        ),
    }
}
