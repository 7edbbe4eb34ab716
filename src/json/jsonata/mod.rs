//! JSONata expressions, the query language of states with
//! `"QueryLanguage": "JSONata"`.
//!
//! A string field is an expression when it begins exactly with `{%` and ends
//! exactly with `%}` ([`is_expression`]); the text in between
//! ([`expression_text`]) is compiled once, when the definition is loaded
//! ([`Expression::compile`]), and evaluated against `$states` and the
//! workflow variables ([`Bindings`]) each time the state runs.
//!
//! Step Functions runs JSONata 2.0.6 with extra functions (`$partition`,
//! `$range`, `$hash`, `$random([seed])`, `$uuid`, `$parse`) and without
//! `$eval`. Every failure becomes
//! `States.QueryEvaluationError` with a cause built by [`cause_for`].
//!
//! The evaluator is the `jsonata-core` crate (it passes the 1686 cases of
//! the jsonata-js test suite); no type of it appears in this API.
//!
//! Source: AWS Step Functions developer guide, "Transforming data with
//! JSONata in Step Functions".

mod convert;
mod error;
mod functions;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;

use jsonata_core::ast::AstNode;
use jsonata_core::evaluator::{CancelToken, Context, Evaluator, EvaluatorOptions};
use jsonata_core::value::{JMap, JValue};
use simd_json::prelude::ValueObjectAccess;

pub use error::{cause_for, json_type_name, EvalFailure, JsonataError, JsonataErrorKind};

use crate::json::Value;

/// How long one evaluation may run, in milliseconds, before it fails with
/// `D1012` (a tail-recursive function can otherwise loop forever and hold
/// a worker thread). AWS documents no such limit; this is far above any
/// legitimate expression. The execution's own deadline and stop flag
/// ([`crate::json::budget`]) apply besides.
pub const EVALUATION_TIMEOUT_MS: u64 = 10_000;

/// A compiled JSONata expression: parsed once, evaluated many times without
/// re-parsing. `Send + Sync`, so a compiled definition can be shared by
/// every execution.
pub struct Expression {
    /// The source text (inside `{% %}`, trimmed), for error causes.
    text: Box<str>,
    /// The parsed syntax tree.
    ast: AstNode,
    /// Which members of `$states` the text reads ([`STATES_KEYS`] bits):
    /// only those are converted and bound.
    states_use: u8,
    /// Every other `$name` the text mentions: the only workflow variables
    /// worth converting and binding (JSONata has no dynamic variable lookup
    /// once `$eval` is gone).
    names: Box<[Box<str>]>,
    /// The Step Functions functions the text mentions, to register.
    functions: Box<[&'static str]>,
}

impl std::fmt::Debug for Expression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Expression").field(&self.text).finish()
    }
}

/// `$states`, borrowed in parts: `{input, result?, errorOutput?, context}`
/// (`result` only in the Output and Assign of Task, Parallel and Map;
/// `errorOutput` only in a Catch). Nothing is copied until an expression
/// reads a member, and then only that member is converted.
#[derive(Clone, Copy)]
pub struct States<'a> {
    /// `$states.input`.
    pub input: &'a Value,
    /// `$states.context`, the Context Object (in its parts: converted
    /// member by member only when an expression reads it).
    pub context: crate::json::Context<'a>,
    /// `$states.result`, where there is one.
    pub result: Option<&'a Value>,
    /// `$states.errorOutput`, inside a Catch.
    pub error_output: Option<&'a Value>,
}

impl<'a> States<'a> {
    /// The parts of an existing `$states`-shaped object (members it lacks
    /// are `null` for `input`/`context`, absent for the others).
    pub fn from_object(states: &'a Value) -> Self {
        States {
            input: states.get("input").unwrap_or(&crate::json::NULL),
            context: crate::json::Context::of(states.get("context").unwrap_or(&crate::json::NULL)),
            result: states.get("result"),
            error_output: states.get("errorOutput"),
        }
    }

    /// The member named `key` ([`STATES_KEYS`]) converted, if present.
    fn get(&self, key: &str) -> Option<JValue> {
        match key {
            "input" => Some(convert::to_jsonata(self.input)),
            "context" => Some(match self.context.as_one() {
                Some(one) => convert::to_jsonata(one),
                None => {
                    // The shared members, then this instance's (which win).
                    let members = [self.context.shared, self.context.own]
                        .into_iter()
                        .filter_map(|part| match part {
                            Value::Object(o) => Some(o),
                            _ => None,
                        })
                        .flat_map(|o| o.iter().map(|(k, v)| (k.clone(), convert::to_jsonata(v))))
                        .collect::<JMap>();
                    JValue::Object(Rc::new(members))
                }
            }),
            "result" => self.result.map(convert::to_jsonata),
            "errorOutput" => self.error_output.map(convert::to_jsonata),
            _ => None,
        }
    }
}

/// What an expression can see: `$states` and the workflow variables.
#[derive(Clone, Copy)]
pub struct Bindings<'a> {
    /// `$states`.
    pub states: States<'a>,
    /// The workflow variables in scope, an object from name to value, each
    /// bound as `$name`.
    pub variables: Option<&'a Value>,
}

impl Expression {
    /// Compiles the text of an expression (what is inside `{% %}`).
    ///
    /// # Errors
    /// The text is not valid JSONata: the error carries the JSONata code
    /// (e.g. `S0202`) when the parser gives one, and the parser's message.
    pub fn compile(text: &str) -> Result<Expression, JsonataError> {
        let ast = catch_unwind(|| jsonata_core::parser::parse(text))
            .map_err(|_| JsonataError::panicked(JsonataErrorKind::Syntax))?
            .map_err(|e| JsonataError::from_message(JsonataErrorKind::Syntax, &e.to_string()))?;
        let mut states_use = 0;
        let mut names: Vec<Box<str>> = Vec::new();
        let mut wanted: Vec<&'static str> = Vec::new();
        for (at, name) in dollar_names(text) {
            if name == "states" {
                states_use |= states_member(text.get(at + 1 + name.len()..).unwrap_or(""));
            } else if !names.iter().any(|n| &**n == name) {
                names.push(name.into());
            }
            if let Some(f) = functions::names().find(|f| *f == name) {
                if !wanted.contains(&f) {
                    wanted.push(f);
                }
            }
        }
        Ok(Expression {
            text: text.into(),
            ast,
            states_use,
            names: names.into_boxed_slice(),
            functions: wanted.into_boxed_slice(),
        })
    }

    /// The expression's source text, as given to [`Expression::compile`].
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Evaluates the expression. `Ok(None)` is JSONata's `undefined` (which
    /// Step Functions reports as "returned nothing (undefined)").
    ///
    /// # Errors
    /// The evaluation threw (the error carries JSONata's code, e.g. `T1006`,
    /// and message), or the result is a function, which has no JSON form
    /// ([`JsonataErrorKind::UnsupportedResult`]).
    pub fn evaluate(&self, bindings: &Bindings<'_>) -> Result<Option<Value>, JsonataError> {
        let mut context = Context::new();
        if self.states_use != 0 {
            let members = STATES_KEYS
                .iter()
                .enumerate()
                .filter(|(bit, _)| self.states_use & (1 << bit) != 0)
                .filter_map(|(_, key)| Some(((*key).to_owned(), bindings.states.get(key)?)))
                .collect::<JMap>();
            context.bind("states".to_owned(), JValue::Object(Rc::new(members)));
        }
        if let Some(vars) = bindings.variables {
            for name in self.names.iter() {
                if let Some(value) = vars.get(&**name) {
                    context.bind(name.to_string(), convert::to_jsonata(value));
                }
            }
        }
        // The execution's budget: its deadline and stop flag are polled
        // every 1,024 evaluation steps, also inside builtins, and every value
        // built is counted against the byte cap.
        let budget = crate::json::budget::current();
        let max_bytes = budget.as_ref().map_or(
            crate::json::budget::DEFAULT_MAX_BYTES,
            crate::json::budget::Budget::max_bytes,
        );
        let options = EvaluatorOptions {
            timeout_ms: Some(EVALUATION_TIMEOUT_MS),
            cancel: budget.as_ref().map(|b| CancelToken::from(b.stop_flag())),
            deadline: budget
                .as_ref()
                .and_then(crate::json::budget::Budget::deadline),
            max_bytes_built: Some(max_bytes),
            ..EvaluatorOptions::default()
        };
        let mut evaluator = Evaluator::with_options(context, options);
        functions::register(&mut evaluator, self.functions.iter().copied())
            .map_err(|e| JsonataError::from_message(JsonataErrorKind::Evaluation, e.message()))?;
        let result = catch_unwind(AssertUnwindSafe(|| {
            evaluator.evaluate(&self.ast, &JValue::Undefined)
        }))
        .map_err(|_| JsonataError::panicked(JsonataErrorKind::Evaluation))?
        .map_err(|e| JsonataError::from_evaluation(e.message(), max_bytes))?;
        convert::from_jsonata(&result, max_bytes).map_err(|e| match e {
            convert::Unsupported::Function => JsonataError::unsupported_result(),
            convert::Unsupported::TooLarge => {
                JsonataError::limit(crate::json::budget::Exceeded::Bytes(max_bytes))
            }
        })
    }

    /// Evaluates the expression and requires a value, the way every
    /// Step Functions field does.
    ///
    /// # Errors
    /// [`EvalFailure::Error`] when evaluation threw, [`EvalFailure::Undefined`]
    /// for `undefined`, [`EvalFailure::UnsupportedType`] for a function.
    pub fn evaluate_defined(&self, bindings: &Bindings<'_>) -> Result<Value, EvalFailure> {
        self.evaluate(bindings)?.ok_or(EvalFailure::Undefined)
    }
}

/// Whether a string field is a JSONata expression: it begins exactly with
/// `{%` and ends exactly with `%}` (no surrounding whitespace allowed).
pub fn is_expression(s: &str) -> bool {
    s.len() >= 4 && s.starts_with("{%") && s.ends_with("%}")
}

/// The text of an expression string, between `{%` and `%}`, trimmed; `None`
/// when `s` is not an expression.
pub fn expression_text(s: &str) -> Option<&str> {
    if !is_expression(s) {
        return None;
    }
    s.get(2..s.len() - 2).map(str::trim)
}

/// The members of `$states`, as bits of [`Expression::states_use`].
const STATES_KEYS: [&str; 4] = ["input", "context", "result", "errorOutput"];

/// Every [`STATES_KEYS`] bit.
const ALL_STATES: u8 = (1 << STATES_KEYS.len()) - 1;

/// The [`STATES_KEYS`] bits that one `$states` reads, given the text right
/// after it: one bit for `.input` and the like, all of them for anything
/// else (`$states` alone, `$states.*`, `$states . input`).
fn states_member(after: &str) -> u8 {
    for (bit, key) in STATES_KEYS.iter().enumerate() {
        if let Some(rest) = after.strip_prefix('.').and_then(|r| r.strip_prefix(key)) {
            if !rest.starts_with(|c: char| is_name_char(c)) {
                return 1 << bit;
            }
        }
    }
    ALL_STATES
}

/// Whether `c` continues a name, per jsonata-js's tokenizer: anything but
/// whitespace and operator characters.
fn is_name_char(c: char) -> bool {
    !(c.is_whitespace() || "'\"`.[]{}(),@#;:?+-*/%|=<>^&!~$".contains(c))
}

/// Every `$name` in the text with the byte offset of its `$`, in order,
/// with repeats: a lexical over-approximation of the variables and
/// functions an expression can reference (names inside string literals are
/// included, harmlessly).
fn dollar_names(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.match_indices('$').filter_map(move |(at, _)| {
        let rest = text.get(at + 1..)?;
        let end = rest.find(|c: char| !is_name_char(c)).unwrap_or(rest.len());
        rest.get(..end).filter(|n| !n.is_empty()).map(|n| (at, n))
    })
}

#[cfg(test)]
mod conformance_tests;
#[cfg(test)]
mod tests;
