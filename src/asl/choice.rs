//! Choice states: `Choices` (non-empty), `Default`, and Choice Rules — in
//! JSONPath mode `Variable` plus exactly one of the 42 operators (or `And`,
//! `Or`, `Not`), in JSONata mode a `Condition`; only top-level rules carry
//! `Next`, `Assign` and `Output`.

use simd_json::StaticNode;

use super::check::{child, index, is_jsonata_value, Ctx, Lang, MAX_RULE_DEPTH};
use super::machine::{StateInfo, Transition};
use super::states::is_timestamp;
use super::syntax::{is_path, PathKind};
use crate::json::{Object, Value};

/// The type of a comparison operator's operand.
#[derive(Clone, Copy)]
enum Operand {
    String,
    /// `StringMatches`: a string pattern without a dangling `\`.
    Pattern,
    Number,
    Boolean,
    Timestamp,
    /// `Is*` type tests.
    Test,
    /// A `…Path` operator: a path (input, context or variable).
    Path,
}

/// The comparison operators and their operand types.
fn operator(name: &str) -> Option<Operand> {
    if name.ends_with("Path")
        && [
            "StringEquals",
            "StringLessThan",
            "StringGreaterThan",
            "StringLessThanEquals",
            "StringGreaterThanEquals",
            "NumericEquals",
            "NumericLessThan",
            "NumericGreaterThan",
            "NumericLessThanEquals",
            "NumericGreaterThanEquals",
            "TimestampEquals",
            "TimestampLessThan",
            "TimestampGreaterThan",
            "TimestampLessThanEquals",
            "TimestampGreaterThanEquals",
            "BooleanEquals",
        ]
        .contains(&name.trim_end_matches("Path"))
    {
        return Some(Operand::Path);
    }
    Some(match name {
        "StringMatches" => Operand::Pattern,
        "BooleanEquals" => Operand::Boolean,
        "IsNull" | "IsPresent" | "IsNumeric" | "IsString" | "IsBoolean" | "IsTimestamp" => {
            Operand::Test
        }
        _ => {
            let rest = [
                "Equals",
                "LessThan",
                "GreaterThan",
                "LessThanEquals",
                "GreaterThanEquals",
            ];
            if let Some(op) = name.strip_prefix("String").filter(|r| rest.contains(r)) {
                let _ = op;
                Operand::String
            } else if name
                .strip_prefix("Numeric")
                .is_some_and(|r| rest.contains(&r))
            {
                Operand::Number
            } else if name
                .strip_prefix("Timestamp")
                .is_some_and(|r| rest.contains(&r))
            {
                Operand::Timestamp
            } else {
                return None;
            }
        }
    })
}

/// Validates a Choice state's `Choices` and `Default`.
pub(super) fn choice<'a>(
    cx: &mut Ctx<'a>,
    st: &'a Object,
    loc: &str,
    lang: Lang,
    info: &mut StateInfo<'a>,
) {
    if let Some(d) = cx.string(st, loc, "Default") {
        info.transitions.push(Transition {
            target: d,
            location: child(loc, "Default"),
        });
    }
    let choices = match st.get("Choices") {
        None => {
            cx.required(loc, "Choices");
            return;
        }
        Some(Value::Array(a)) => a,
        Some(_) => {
            cx.bad_value(loc, "Choices", "an array");
            return;
        }
    };
    let here = child(loc, "Choices");
    if choices.is_empty() {
        cx.schema("Value cannot be empty", &here);
    }
    for (i, rule) in choices.iter().enumerate() {
        let rloc = index(&here, i);
        let Value::Object(r) = rule else {
            cx.schema("The Choice Rule must be an object", &rloc);
            continue;
        };
        match r.get("Next") {
            None => cx.required(&rloc, "Next"),
            Some(Value::String(n)) => info.transitions.push(Transition {
                target: n.as_str(),
                location: child(&rloc, "Next"),
            }),
            Some(_) => cx.bad_value(&rloc, "Next", "a string"),
        }
        cx.assign(r, &rloc, lang);
        if let Some(o) = r.get("Output") {
            if lang == Lang::Jsonata {
                cx.jsonata_value(o, &child(&rloc, "Output"), 1);
            }
        }
        rule_body(cx, r, &rloc, lang, true, 0);
    }
}

/// One rule (top-level when `top`): its fields, operator and operands.
fn rule_body(cx: &mut Ctx<'_>, r: &Object, loc: &str, lang: Lang, top: bool, depth: usize) {
    if depth > MAX_RULE_DEPTH {
        cx.schema(
            format!("Choice Rules may be nested at most {MAX_RULE_DEPTH} levels deep"),
            loc,
        );
        return;
    }
    if lang == Lang::Jsonata {
        for key in r.keys() {
            let k = key.as_str();
            let ok = k == "Condition"
                || k == "Comment"
                || (top && matches!(k, "Next" | "Assign" | "Output"));
            if !ok {
                cx.schema(format!("Field '{k}' is not supported"), loc);
            }
        }
        match r.get("Condition") {
            None => cx.required(loc, "Condition"),
            Some(Value::Static(StaticNode::Bool(_))) => {}
            Some(v) if is_jsonata_value(v) => {}
            Some(_) => cx.bad_value(loc, "Condition", "a JSONata expression or a boolean"),
        }
        return;
    }
    let mut ops: Vec<&str> = Vec::with_capacity(1);
    for key in r.keys() {
        let k = key.as_str();
        let known = matches!(k, "And" | "Or" | "Not" | "Variable" | "Comment")
            || (top && matches!(k, "Next" | "Assign"))
            || operator(k).is_some();
        if !known {
            cx.schema(format!("Field '{k}' is not supported"), loc);
        }
        if matches!(k, "And" | "Or" | "Not") || operator(k).is_some() {
            ops.push(k);
        }
    }
    if ops.len() != 1 {
        cx.schema(
            "This object should have only one of the following fields: [And, Or, Not, Variable with a comparison operator]",
            loc,
        );
    }
    let boolean = r.contains_key("And") || r.contains_key("Or") || r.contains_key("Not");
    match r.get("Variable") {
        None if !boolean => cx.required(loc, "Variable"),
        None => {}
        Some(Value::String(v)) if !boolean => {
            if !is_path(v, PathKind::Any, true, true) {
                cx.bad_value(loc, "Variable", "a valid JSONPath");
            }
        }
        Some(Value::String(_)) => cx.schema("Field 'Variable' is not supported", loc),
        Some(_) => cx.bad_value(loc, "Variable", "a string"),
    }
    for op in ops {
        let Some(v) = r.get(op) else { continue };
        match op {
            "And" | "Or" => match v {
                Value::Array(a) => {
                    let aloc = child(loc, op);
                    if a.is_empty() {
                        cx.schema("Value cannot be empty", &aloc);
                    }
                    for (i, sub) in a.iter().enumerate() {
                        nested(cx, sub, &index(&aloc, i), lang, depth);
                    }
                }
                _ => cx.bad_value(loc, op, "an array"),
            },
            "Not" => nested(cx, v, &child(loc, "Not"), lang, depth),
            _ => operand(cx, loc, op, v),
        }
    }
}

/// A nested rule (inside `And`, `Or`, `Not`): an object without `Next`.
fn nested(cx: &mut Ctx<'_>, v: &Value, loc: &str, lang: Lang, depth: usize) {
    match v {
        Value::Object(o) => rule_body(cx, o, loc, lang, false, depth + 1),
        _ => cx.schema("The Choice Rule must be an object", loc),
    }
}

/// Checks a comparison operator's operand type.
fn operand(cx: &mut Ctx<'_>, loc: &str, op: &str, v: &Value) {
    let Some(kind) = operator(op) else { return };
    let ok = match (kind, v) {
        (Operand::String, Value::String(_)) => true,
        (Operand::Pattern, Value::String(s)) => !dangling_escape(s),
        (Operand::Number, Value::Static(n)) => {
            matches!(
                n,
                StaticNode::I64(_) | StaticNode::U64(_) | StaticNode::F64(_)
            )
        }
        (Operand::Boolean | Operand::Test, Value::Static(StaticNode::Bool(_))) => true,
        (Operand::Timestamp, Value::String(s)) => is_timestamp(s),
        (Operand::Path, Value::String(s)) => is_path(s, PathKind::Any, true, true),
        _ => false,
    };
    if !ok {
        let what = match kind {
            Operand::String => "a string",
            Operand::Pattern => "a string pattern",
            Operand::Number => "a number",
            Operand::Boolean | Operand::Test => "a boolean",
            Operand::Timestamp => "a valid timestamp",
            Operand::Path => "a valid JSONPath",
        };
        cx.bad_value(loc, op, what);
    }
}

/// Whether a `StringMatches` pattern ends in an unpaired `\`.
fn dangling_escape(s: &str) -> bool {
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.next().is_none() {
            return true;
        }
    }
    false
}
