//! JSONata field templates: a JSON value (Arguments, Output, Assign,
//! ItemSelector, Items, Condition, …) whose strings may be whole `{% %}`
//! expressions at any depth. Every expression is compiled once, when the
//! definition is loaded; rendering evaluates only the expression slots and
//! clones the static skeleton around them.
//!
//! Source: AWS developer guide, "Transforming data with JSONata in Step
//! Functions"; reference §3 "JSONata mode".

use simd_json::prelude::*;
use simd_json::OwnedValue;

use super::CompileError;
use crate::errors::{names, ExecError};
use crate::json::jsonata::{
    cause_for, expression_text, Bindings, EvalFailure, Expression, JsonataError, JsonataErrorKind,
};
use crate::json::template::MAX_DEPTH;
use crate::json::{Object, Value};

/// A compiled JSONata field: a static skeleton with expression slots.
#[derive(Debug)]
pub struct JsonataTemplate {
    root: Node,
}

#[derive(Debug)]
enum Node {
    /// A subtree without any expression: rendered by one clone.
    Static(Value),
    /// An object with at least one expression somewhere below.
    Object(Vec<(String, Node)>),
    /// An array with at least one expression somewhere below.
    Array(Vec<Node>),
    /// A `{% … %}` string; `field` names it in causes (`Output/result`).
    Expr {
        /// The compiled expression.
        expr: Box<Expression>,
        /// The field path AWS names in error causes.
        field: Box<str>,
    },
}

impl JsonataTemplate {
    /// Compiles the value of the field `field` (`Output`, `Arguments`,
    /// `Assign`, `Items`, …).
    ///
    /// # Errors
    /// [`CompileError::BadExpression`] when an expression is not valid
    /// JSONata (the message carries the JSONata code and the field path),
    /// [`CompileError::TemplateTooDeep`] when the value nests deeper than
    /// [`MAX_DEPTH`].
    pub fn compile(value: &Value, field: &str) -> Result<JsonataTemplate, CompileError> {
        let mut path = field.to_owned();
        Ok(JsonataTemplate {
            root: compile_node(value, &mut path, 0)?,
        })
    }

    /// The fixed value, when the template has no expression.
    pub fn as_static(&self) -> Option<&Value> {
        match &self.root {
            Node::Static(v) => Some(v),
            _ => None,
        }
    }

    /// Renders the template: every expression evaluated against `bindings`.
    ///
    /// # Errors
    /// `States.QueryEvaluationError` (cause from [`cause_for`], without the
    /// state prefix) when an expression throws, returns `undefined` or a
    /// function; `States.Timeout` past the execution's deadline and
    /// `States.DataLimitExceeded` past its byte cap
    /// ([`crate::json::budget`]).
    pub fn render(&self, bindings: &Bindings<'_>) -> Result<Value, ExecError> {
        render_node(&self.root, bindings)
    }

    /// Renders the template and requires a value of the JSON type
    /// `expected` (`array`, `boolean`, …) as `check` tells.
    ///
    /// # Errors
    /// As [`render`](Self::render); also `States.QueryEvaluationError`
    /// "returned an unexpected result type" when `check` rejects the value
    /// of a whole-field expression (a literal of the wrong type is reported
    /// the same way, naming the field).
    pub fn render_typed(
        &self,
        bindings: &Bindings<'_>,
        field: &str,
        expected: &'static str,
        check: fn(&Value) -> bool,
    ) -> Result<Value, ExecError> {
        let value = self.render(bindings)?;
        if check(&value) {
            return Ok(value);
        }
        let text = match &self.root {
            Node::Expr { expr, .. } => expr.text().to_owned(),
            _ => crate::json::to_string(&value),
        };
        Err(query_error(cause_for(
            &text,
            field,
            &EvalFailure::UnexpectedType { expected, value },
        )))
    }
}

/// `States.QueryEvaluationError` with `cause`.
pub(crate) fn query_error(cause: String) -> ExecError {
    ExecError::new(names::QUERY_EVALUATION_ERROR, cause)
}

fn compile_node(value: &Value, path: &mut String, depth: usize) -> Result<Node, CompileError> {
    if depth > MAX_DEPTH {
        return Err(CompileError::TemplateTooDeep {
            path: path.clone(),
            max: MAX_DEPTH,
        });
    }
    match value {
        OwnedValue::String(s) => match expression_text(s) {
            Some(text) => {
                let expr = Expression::compile(text).map_err(|e| CompileError::BadExpression {
                    path: path.clone(),
                    message: e.to_string(),
                })?;
                Ok(Node::Expr {
                    expr: Box::new(expr),
                    field: path.as_str().into(),
                })
            }
            None => Ok(Node::Static(value.clone())),
        },
        OwnedValue::Object(o) => {
            let mut fields = Vec::with_capacity(o.len());
            let mut dynamic = false;
            for (k, v) in o.iter() {
                let len = path.len();
                path.push('/');
                path.push_str(k);
                let node = compile_node(v, path, depth + 1)?;
                path.truncate(len);
                dynamic |= !matches!(node, Node::Static(_));
                fields.push((k.clone(), node));
            }
            Ok(if dynamic {
                Node::Object(fields)
            } else {
                Node::Static(value.clone())
            })
        }
        OwnedValue::Array(a) => {
            let mut items = Vec::with_capacity(a.len());
            let mut dynamic = false;
            for (i, v) in a.iter().enumerate() {
                let len = path.len();
                path.push('/');
                path.push_str(&i.to_string());
                let node = compile_node(v, path, depth + 1)?;
                path.truncate(len);
                dynamic |= !matches!(node, Node::Static(_));
                items.push(node);
            }
            Ok(if dynamic {
                Node::Array(items)
            } else {
                Node::Static(value.clone())
            })
        }
        OwnedValue::Static(_) => Ok(Node::Static(value.clone())),
    }
}

fn render_node(node: &Node, b: &Bindings<'_>) -> Result<Value, ExecError> {
    match node {
        Node::Static(v) => Ok(v.clone()),
        Node::Expr { expr, field } => expr.evaluate_defined(b).map_err(|e| match &e {
            // The execution's deadline, stop or byte cap: its own error
            // (`States.Timeout`, `States.DataLimitExceeded`), not a query error.
            EvalFailure::Error(JsonataError {
                kind: JsonataErrorKind::Limit(exceeded),
                ..
            }) => ExecError::new(
                exceeded.error_name(),
                exceeded.describe(&format!(
                    "the JSONata expression '{}' specified for the field '{field}'",
                    expr.text()
                )),
            ),
            _ => query_error(cause_for(expr.text(), field, &e)),
        }),
        Node::Object(fields) => {
            let mut o = Object::with_capacity(fields.len());
            for (k, n) in fields {
                o.insert(k.clone(), render_node(n, b)?);
            }
            Ok(OwnedValue::Object(Box::new(o)))
        }
        Node::Array(items) => items
            .iter()
            .map(|n| render_node(n, b))
            .collect::<Result<Vec<_>, _>>()
            .map(|v| OwnedValue::Array(Box::new(v))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    fn bindings(states: &Value) -> Bindings<'_> {
        Bindings {
            states: crate::json::jsonata::States::from_object(states),
            variables: None,
        }
    }

    #[test]
    fn renders_nested_slots_and_keeps_literals() {
        let t = JsonataTemplate::compile(
            &parse(r#"{"a":"{% $states.input.x + 1 %}","b":["lit","{% 'y' %}"],"c":"$.x"}"#)
                .unwrap(),
            "Output",
        )
        .unwrap();
        let states = parse(r#"{"input":{"x":1}}"#).unwrap();
        let out = t.render(&bindings(&states)).unwrap();
        assert_eq!(out, parse(r#"{"a":2,"b":["lit","y"],"c":"$.x"}"#).unwrap());
    }

    #[test]
    fn undefined_names_the_nested_field() {
        let t = JsonataTemplate::compile(&parse(r#"{"r":"{% $nothing %}"}"#).unwrap(), "Output")
            .unwrap();
        let states = parse("{}").unwrap();
        let e = t.render(&bindings(&states)).unwrap_err();
        assert_eq!(e.error, names::QUERY_EVALUATION_ERROR);
        assert_eq!(e.cause, "The JSONata expression '$nothing' specified for the field 'Output/r' returned nothing (undefined).");
    }

    #[test]
    fn typed_render_reports_the_type() {
        let t = JsonataTemplate::compile(&parse(r#""{% 1 %}""#).unwrap(), "Items").unwrap();
        let states = parse("{}").unwrap();
        let e = t
            .render_typed(&bindings(&states), "Items", "array", |v| v.is_array())
            .unwrap_err();
        assert!(e
            .cause
            .ends_with("Expected 'array', but was 'number' for value: 1"));
    }

    #[test]
    fn syntax_errors_fail_compilation() {
        assert!(JsonataTemplate::compile(&parse(r#""{% ( %}""#).unwrap(), "Output").is_err());
    }
}
