//! The validation context (collected diagnostics, query language, state
//! names seen) and small typed accessors shared by every rule.

use std::collections::HashSet;

use simd_json::StaticNode;

use super::{Diagnostic, Severity};
use crate::json::{Object, Value};

/// `SCHEMA_VALIDATION_FAILED`: shape, type, range or unsupported field.
pub(super) const SCHEMA: &str = "SCHEMA_VALIDATION_FAILED";
/// A transition names no state of its scope, or a state is never reached.
pub(super) const MISSING_TARGET: &str = "MISSING_TRANSITION_TARGET";
/// A scope has no terminal state.
pub(super) const MISSING_END: &str = "MISSING_END_STATE";
/// Two states share a name somewhere in the machine.
pub(super) const DUPLICATE_NAME: &str = "DUPLICATE_STATE_NAME";

/// Deepest nesting of Parallel branches / Map processors accepted.
pub(super) const MAX_SCOPE_DEPTH: usize = 64;
/// Deepest nesting of `And`/`Or`/`Not` Choice Rules accepted.
pub(super) const MAX_RULE_DEPTH: usize = 64;
/// Deepest nesting of a Payload Template / Assign value walked.
pub(super) const MAX_TEMPLATE_DEPTH: usize = 256;

/// The query language a state is evaluated with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Lang {
    JsonPath,
    Jsonata,
}

impl Lang {
    pub(super) fn name(self) -> &'static str {
        match self {
            Lang::JsonPath => "JSONPath",
            Lang::Jsonata => "JSONata",
        }
    }
}

/// Everything the rules share while walking one definition.
pub(super) struct Ctx<'a> {
    pub(super) diags: Vec<Diagnostic>,
    /// The machine's top-level language (states inherit it, not their
    /// enclosing Map's or Parallel's).
    pub(super) top_lang: Lang,
    /// Every state name seen so far, across all scopes.
    pub(super) names: HashSet<&'a str>,
}

impl<'a> Ctx<'a> {
    pub(super) fn new() -> Self {
        Ctx {
            diags: Vec::new(),
            top_lang: Lang::JsonPath,
            names: HashSet::new(),
        }
    }

    /// Records an error diagnostic.
    pub(super) fn error(&mut self, code: &'static str, message: impl Into<String>, location: &str) {
        self.diags.push(Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            location: location.to_owned(),
        });
    }

    /// Records a `SCHEMA_VALIDATION_FAILED` error.
    pub(super) fn schema(&mut self, message: impl Into<String>, location: &str) {
        self.error(SCHEMA, message, location);
    }

    /// `The value for the field 'F' must be WHAT` at `loc/F`.
    pub(super) fn bad_value(&mut self, loc: &str, field: &str, what: &str) {
        self.schema(
            format!("The value for the field '{field}' must be {what}"),
            &child(loc, field),
        );
    }

    /// `These fields are required: [F]` at `loc`.
    pub(super) fn required(&mut self, loc: &str, field: &str) {
        self.schema(format!("These fields are required: [{field}]"), loc);
    }

    /// `There should only be one of the following fields: [..]` at `loc`
    /// when more than one of `fields` is present; returns how many are.
    pub(super) fn at_most_one(&mut self, obj: &Object, loc: &str, fields: &[&str]) -> usize {
        let n = fields.iter().filter(|f| obj.contains_key(**f)).count();
        if n > 1 {
            self.schema(
                format!(
                    "There should only be one of the following fields: [{}]",
                    fields.join(", ")
                ),
                loc,
            );
        }
        n
    }

    /// Requires a string field; reports type errors. Returns the string.
    pub(super) fn string<'b>(
        &mut self,
        obj: &'b Object,
        loc: &str,
        field: &str,
    ) -> Option<&'b str> {
        match obj.get(field) {
            None => None,
            Some(Value::String(s)) => Some(s.as_str()),
            Some(_) => {
                self.bad_value(loc, field, "a string");
                None
            }
        }
    }

    /// Checks an optional integer field lies in `min..=max`.
    pub(super) fn int_in(
        &mut self,
        obj: &Object,
        loc: &str,
        field: &str,
        min: i64,
        max: i64,
    ) -> Option<i64> {
        let v = obj.get(field)?;
        match int(v) {
            Some(n) if n >= min && n <= max => Some(n),
            _ => {
                let what = if max == i64::MAX {
                    format!("an integer greater than or equal to {min}")
                } else {
                    format!("an integer between {min} and {max}")
                };
                self.bad_value(loc, field, &what);
                None
            }
        }
    }
}

/// `loc/key`.
pub(super) fn child(loc: &str, key: &str) -> String {
    let mut s = String::with_capacity(loc.len() + 1 + key.len());
    s.push_str(loc);
    s.push('/');
    s.push_str(key);
    s
}

/// `loc[i]`.
pub(super) fn index(loc: &str, i: usize) -> String {
    format!("{loc}[{i}]")
}

/// The value as an integer, when it is a JSON integer (or a float with no
/// fractional part within `i64`).
pub(super) fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Static(StaticNode::I64(n)) => Some(*n),
        Value::Static(StaticNode::U64(n)) => Some(i64::try_from(*n).unwrap_or(i64::MAX)),
        _ => None,
    }
}

/// The value as a number.
pub(super) fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Static(StaticNode::I64(n)) => Some(*n as f64),
        Value::Static(StaticNode::U64(n)) => Some(*n as f64),
        Value::Static(StaticNode::F64(n)) => Some(*n),
        _ => None,
    }
}

/// Whether a string is a JSONata expression: `{%` … `%}` (whole string).
pub(super) fn is_jsonata(s: &str) -> bool {
    s.len() >= 4 && s.starts_with("{%") && s.ends_with("%}")
}

/// Whether the value is a JSONata expression string.
pub(super) fn is_jsonata_value(v: &Value) -> bool {
    matches!(v, Value::String(s) if is_jsonata(s))
}
