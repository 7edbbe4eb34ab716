//! The harnesses of the definition and expression stages: load + validate +
//! compile, Reference Paths / JSONPath, Intrinsic Functions, JSONata and
//! Payload Templates.

use std::sync::OnceLock;

use crate::json::jsonata::{Bindings, Expression, JsonataError, States};
use crate::json::path::Path;
use crate::json::template::Template;
use crate::json::{intrinsic::Intrinsic, Scope, Value};

/// Splits `text` at its first newline: (expression, input document text).
fn split_first_line(text: &str) -> (&str, &str) {
    text.split_once('\n').unwrap_or((text, ""))
}

/// The input document: the JSON text parsed, or the text itself as a JSON
/// string when it is not JSON (an empty text is `{}`).
fn document(text: &str) -> Value {
    if text.trim().is_empty() {
        return Value::from(crate::json::Object::default());
    }
    crate::json::parse(text).unwrap_or_else(|_| Value::from(text))
}

/// A Context Object of AWS's shape around `input` (`$$.Execution.Input`).
fn context(input: &Value) -> Value {
    static BASE: OnceLock<Value> = OnceLock::new();
    let mut ctx = BASE
        .get_or_init(|| {
            crate::json::parse(
                r#"{"Execution":{"Id":"arn:aws:states:us-east-1:123456789012:express:fuzz:e:1",
                "Name":"e","RoleArn":"arn:aws:iam::123456789012:role/fuzz",
                "StartTime":"2026-12-03T00:00:00.000Z","RedriveCount":0},
                "State":{"EnteredTime":"2026-12-03T00:00:00.000Z","Name":"S","RetryCount":0},
                "StateMachine":{"Id":"arn:aws:states:us-east-1:123456789012:stateMachine:fuzz",
                "Name":"fuzz"},"Map":{"Item":{"Index":0,"Value":{"a":1}}}}"#,
            )
            .unwrap_or_else(|_| Value::from(crate::json::Object::default()))
        })
        .clone();
    if let Value::Object(o) = &mut ctx {
        if let Some(Value::Object(e)) = o.get_mut("Execution") {
            e.insert("Input".into(), input.clone());
        }
    }
    ctx
}

/// Runs `f` on the (expression, input, Context Object) of `data`, when
/// `data` is UTF-8. Workflow variables are the input's fields.
fn with_scope(data: &[u8], f: impl FnOnce(&str, &Scope<'_>)) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (expression, rest) = split_first_line(text);
    let input = document(rest);
    let ctx = context(&input);
    let scope = Scope {
        input: &input,
        context: crate::json::Context::of(&ctx),
        variables: Some(&input),
    };
    f(expression, &scope);
}

/// Definition load + validate + compile: the text goes through
/// [`crate::compile::load`] (parse, validate, compile) and through
/// ValidateStateMachineDefinition's diagnostics
/// ([`crate::api::validate_definition`]); error messages are rendered.
pub fn definition(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = crate::compile::load(text) {
        let _ = e.to_string();
    }
    let _ = crate::api::validate_definition(text);
}

/// Path parse + evaluate: the first line parsed as a JSONPath and as a
/// Reference Path, selected from the input (or `$$` / variables), its
/// normalised form rendered, and assigned into the input as a ResultPath.
pub fn path(data: &[u8]) {
    with_scope(data, |text, scope| {
        let _ = Path::parse_reference(text);
        let Ok(path) = Path::parse(text) else {
            return;
        };
        let _ = path.normalized();
        if let Ok(selected) = path.select(scope) {
            let _ = selected.into_value();
        }
        if let Ok(result) = path.assign(scope.input.clone(), scope.context.to_value()) {
            let _ = crate::json::to_string(&result);
        }
    });
}

/// Intrinsic Function parse + evaluate: the first line parsed as a call and
/// evaluated over the input.
pub fn intrinsic(data: &[u8]) {
    with_scope(data, |text, scope| {
        if let Ok(call) = Intrinsic::parse(text) {
            let _ = call.eval(scope);
        }
    });
}

/// Payload Template compile + render: the first line is the template (JSON,
/// `.$` keys interpreted), rendered over the input.
pub fn template(data: &[u8]) {
    with_scope(data, |text, scope| {
        let Ok(value) = crate::json::parse(text) else {
            return;
        };
        if let Ok(template) = Template::compile(&value) {
            let _ = template.render(scope);
        }
    });
}

/// JSONata compile + evaluate: the first line compiled as an expression and
/// evaluated with `$states.input` the input, `$states.context` the Context
/// Object and the input's fields as variables, under
/// [`evaluate_jsonata_under_budget`].
pub fn jsonata(data: &[u8]) {
    with_scope(data, |text, scope| {
        let Ok(expression) = Expression::compile(text) else {
            return;
        };
        let bindings = Bindings {
            states: States {
                input: scope.input,
                context: scope.context,
                result: None,
                error_output: None,
            },
            variables: scope.variables,
        };
        if let Ok(Some(value)) = evaluate_jsonata_under_budget(&expression, &bindings) {
            let _ = crate::json::to_string(&value);
        }
    });
}

/// How long one fuzzed JSONata evaluation may run, in ms: the engine's
/// budget ([`crate::json::budget`]) with a deadline short enough for
/// libFuzzer's per-input timeout.
pub const FUZZ_EVALUATION_DEADLINE_MS: u64 = 2_000;

/// The most bytes one fuzzed JSONata evaluation may build (64 MiB, under
/// libFuzzer's default 2 GB RSS limit).
pub const FUZZ_EVALUATION_MAX_BYTES: usize = 64 * 1024 * 1024;

/// Evaluates a JSONata expression under the evaluation budget the engine
/// uses ([`crate::json::budget`]: a deadline and a byte cap checked inside
/// the evaluator), with [`FUZZ_EVALUATION_DEADLINE_MS`] and
/// [`FUZZ_EVALUATION_MAX_BYTES`]. The one place the fuzzing harnesses
/// choose a budget.
///
/// # Errors
/// What [`Expression::evaluate`] returns; past the budget, the evaluator's
/// budget error.
pub fn evaluate_jsonata_under_budget(
    expression: &Expression,
    bindings: &Bindings<'_>,
) -> Result<Option<Value>, JsonataError> {
    let deadline =
        std::time::Instant::now() + std::time::Duration::from_millis(FUZZ_EVALUATION_DEADLINE_MS);
    let budget = crate::json::budget::Budget::new(Some(deadline), FUZZ_EVALUATION_MAX_BYTES);
    crate::json::budget::sync_scope(budget, || expression.evaluate(bindings))
}
