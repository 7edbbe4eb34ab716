//! Checks against the conformance cases recorded on AWS
//! (`shared/conformance/cases`, found by `test_support::shared_dir`).

use super::*;
use crate::json::parse;

/// Every case folder with its definition, input and expected outcome.
fn cases() -> Vec<(String, Value, Value, Value)> {
    let dirs = std::fs::read_dir(crate::test_support::shared_dir().join("conformance/cases"))
        .expect("conformance cases");
    let mut out = Vec::new();
    for dir in dirs.flatten() {
        let path = dir.path();
        let read = |name: &str| {
            std::fs::read_to_string(path.join(name))
                .ok()
                .and_then(|text| parse(&text).ok())
        };
        if let (Some(def), Some(input), Some(expected)) = (
            read("definition.json"),
            read("input.json"),
            read("expected.json"),
        ) {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            out.push((name.unwrap_or_default(), def, input, expected));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Every string in `value` that is a JSONata expression.
fn collect<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::String(s) if is_expression(s) => out.push(s),
        Value::Array(items) => items.iter().for_each(|v| collect(v, out)),
        Value::Object(fields) => fields.values().for_each(|v| collect(v, out)),
        _ => {}
    }
}

#[test]
fn every_conformance_expression_compiles() {
    let cases = cases();
    let mut total = 0;
    let mut failures = Vec::new();
    for (name, def, _, _) in &cases {
        let mut exprs = Vec::new();
        collect(def, &mut exprs);
        for s in exprs {
            total += 1;
            let text = expression_text(s).unwrap_or_default();
            if let Err(e) = Expression::compile(text) {
                failures.push(format!("{name}: {text:?}: {e}"));
            }
        }
    }
    assert!(total > 100, "only {total} expressions found");
    assert!(
        failures.is_empty(),
        "{} of {total} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The expression text of a one-state machine whose Pass state's `Output`
/// is an expression.
fn single_pass_output(def: &Value) -> Option<&str> {
    let states = def.get("States")?.as_object()?;
    if states.len() != 1 {
        return None;
    }
    let state = states.values().next()?;
    if state.get("Type")?.as_str()? != "Pass" {
        return None;
    }
    state.get("Output")?.as_str().and_then(expression_text)
}

/// One-state Pass machines whose `Output` is an expression over the input:
/// the evaluator alone must reproduce AWS's output or cause.
#[test]
fn single_pass_outputs_match_aws() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for (name, def, input, expected) in cases() {
        let Some(text) = single_pass_output(&def) else {
            continue;
        };
        // Non-deterministic or context-dependent results cannot be compared.
        if ["$states.context", "$now", "$millis", "$uuid", "$random("]
            .iter()
            .any(|s| text.contains(s))
        {
            continue;
        }
        let Ok(expr) = Expression::compile(text) else {
            failures.push(format!("{name}: does not compile"));
            continue;
        };
        let mut states = Object::with_capacity(2);
        states.insert("input".to_owned(), input);
        states.insert("context".to_owned(), Value::Object(Box::default()));
        let states = Value::Object(Box::new(states));
        let got = expr.evaluate_defined(&Bindings {
            states: States::from_object(&states),
            variables: None,
        });
        checked += 1;
        let status = expected.get("status").and_then(Value::as_str).unwrap_or("");
        match (status, got) {
            ("SUCCEEDED", Ok(v)) => {
                if expected.get("output") != Some(&v) {
                    failures.push(format!(
                        "{name}: got {} expected {:?}",
                        crate::json::to_string(&v),
                        expected.get("output").map(crate::json::to_string)
                    ));
                }
            }
            ("FAILED", Err(e)) => {
                let cause = cause_for(text, "Output", &e);
                let want = expected.get("cause").and_then(Value::as_str).unwrap_or("");
                if !want.ends_with(&cause) {
                    failures.push(format!("{name}: cause {cause:?} expected {want:?}"));
                }
            }
            (status, got) => failures.push(format!("{name}: {status} but got {got:?}")),
        }
    }
    assert!(checked > 20, "only {checked} cases checked");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

use crate::json::Object;
use simd_json::prelude::{ValueAsObject, ValueAsScalar, ValueObjectAccess};
