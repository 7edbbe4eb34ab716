//! Turning a rule object into a [`ChoiceRule`].

use simd_json::prelude::*;
use simd_json::StaticNode;

use super::{ChoiceRule, Cmp, Number, Operand, Pattern, Test, MAX_DEPTH};
use crate::compile::timestamp::parse_timestamp;
use crate::json::path::Path;
use crate::json::Value;

/// Fields a rule may carry that are not the rule's concern.
const IGNORED: [&str; 4] = ["Next", "Comment", "Assign", "Output"];

const CMPS: [(&str, Cmp); 5] = [
    ("Equals", Cmp::Equals),
    ("LessThan", Cmp::LessThan),
    ("GreaterThan", Cmp::GreaterThan),
    ("LessThanEquals", Cmp::LessThanEquals),
    ("GreaterThanEquals", Cmp::GreaterThanEquals),
];

pub(super) fn rule(value: &Value, depth: usize) -> Result<ChoiceRule, String> {
    if depth > MAX_DEPTH {
        return Err(format!("Choice Rules nest deeper than {MAX_DEPTH} levels"));
    }
    let Value::Object(map) = value else {
        return Err("a Choice Rule must be an object".to_owned());
    };
    let mut variable = None;
    let mut operator: Option<(&str, &Value)> = None;
    for (key, field) in map.iter() {
        let key = key.as_str();
        if IGNORED.contains(&key) {
            continue;
        }
        if key == "Variable" {
            variable = Some(field);
            continue;
        }
        if !is_operator(key) {
            return Err(format!("unknown field '{key}' in a Choice Rule"));
        }
        if let Some((first, _)) = operator {
            return Err(format!(
                "a Choice Rule must have exactly one operator, found '{first}' and '{key}'"
            ));
        }
        operator = Some((key, field));
    }
    let Some((op, operand)) = operator else {
        return Err("a Choice Rule must have a comparison operator or And/Or/Not".to_owned());
    };
    match op {
        "And" | "Or" => {
            if variable.is_some() {
                return Err(format!("'{op}' cannot be combined with 'Variable'"));
            }
            let Some(items) = operand.as_array() else {
                return Err(format!("'{op}' must be an array of Choice Rules"));
            };
            if items.is_empty() {
                return Err(format!("'{op}' must hold at least one Choice Rule"));
            }
            let rules = items
                .iter()
                .map(|r| rule(r, depth + 1))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(if op == "And" {
                ChoiceRule::And(rules)
            } else {
                ChoiceRule::Or(rules)
            })
        }
        "Not" => {
            if variable.is_some() {
                return Err("'Not' cannot be combined with 'Variable'".to_owned());
            }
            Ok(ChoiceRule::Not(Box::new(rule(operand, depth + 1)?)))
        }
        _ => {
            let Some(variable) = variable else {
                return Err(format!("the operator '{op}' needs a 'Variable'"));
            };
            let Some(text) = variable.as_str() else {
                return Err("'Variable' must be a string holding a path".to_owned());
            };
            let variable = Path::parse(text).map_err(|e| format!("invalid 'Variable': {e}"))?;
            Ok(ChoiceRule::Test {
                variable,
                test: test(op, operand)?,
            })
        }
    }
}

fn is_operator(key: &str) -> bool {
    if matches!(
        key,
        "And"
            | "Or"
            | "Not"
            | "StringMatches"
            | "BooleanEquals"
            | "BooleanEqualsPath"
            | "IsNull"
            | "IsPresent"
            | "IsNumeric"
            | "IsString"
            | "IsBoolean"
            | "IsTimestamp"
    ) {
        return true;
    }
    ["String", "Numeric", "Timestamp"].iter().any(|family| {
        key.strip_prefix(family).is_some_and(|rest| {
            let rest = rest.strip_suffix("Path").unwrap_or(rest);
            CMPS.iter().any(|(name, _)| *name == rest)
        })
    })
}

fn operand_path(op: &str, value: &Value) -> Result<Path, String> {
    let Some(text) = value.as_str() else {
        return Err(format!("'{op}' must be a string holding a path"));
    };
    Path::parse(text).map_err(|e| format!("invalid path in '{op}': {e}"))
}

fn flag(op: &str, value: &Value) -> Result<bool, String> {
    value
        .as_bool()
        .ok_or_else(|| format!("'{op}' must be true or false"))
}

fn test(op: &str, operand: &Value) -> Result<Test, String> {
    match op {
        "StringMatches" => {
            let Some(text) = operand.as_str() else {
                return Err("'StringMatches' must be a string".to_owned());
            };
            return Pattern::parse(text)
                .map(Test::StringMatches)
                .map_err(|e| format!("invalid 'StringMatches' pattern: {e}"));
        }
        "BooleanEquals" => return Ok(Test::BooleanEquals(Operand::Literal(flag(op, operand)?))),
        "BooleanEqualsPath" => {
            return Ok(Test::BooleanEquals(Operand::Path(operand_path(
                op, operand,
            )?)))
        }
        "IsNull" => return Ok(Test::IsNull(flag(op, operand)?)),
        "IsPresent" => return Ok(Test::IsPresent(flag(op, operand)?)),
        "IsNumeric" => return Ok(Test::IsNumeric(flag(op, operand)?)),
        "IsString" => return Ok(Test::IsString(flag(op, operand)?)),
        "IsBoolean" => return Ok(Test::IsBoolean(flag(op, operand)?)),
        "IsTimestamp" => return Ok(Test::IsTimestamp(flag(op, operand)?)),
        _ => {}
    }
    let (base, is_path) = match op.strip_suffix("Path") {
        Some(base) => (base, true),
        None => (op, false),
    };
    for (family, tail) in [
        ("String", base.strip_prefix("String")),
        ("Numeric", base.strip_prefix("Numeric")),
        ("Timestamp", base.strip_prefix("Timestamp")),
    ] {
        let Some(tail) = tail else { continue };
        let Some(&(_, cmp)) = CMPS.iter().find(|(name, _)| *name == tail) else {
            continue;
        };
        if is_path {
            let path = operand_path(op, operand)?;
            return Ok(match family {
                "String" => Test::String(cmp, Operand::Path(path)),
                "Numeric" => Test::Numeric(cmp, Operand::Path(path)),
                _ => Test::Timestamp(cmp, Operand::Path(path)),
            });
        }
        return match family {
            "String" => operand
                .as_str()
                .map(|s| Test::String(cmp, Operand::Literal(s.to_owned())))
                .ok_or_else(|| format!("'{op}' must be a string")),
            "Numeric" => match operand {
                Value::Static(StaticNode::Bool(_) | StaticNode::Null) => None,
                other => Number::of(other),
            }
            .map(|n| Test::Numeric(cmp, Operand::Literal(n)))
            .ok_or_else(|| format!("'{op}' must be a number")),
            _ => operand
                .as_str()
                .and_then(parse_timestamp)
                .map(|t| Test::Timestamp(cmp, Operand::Literal(t)))
                .ok_or_else(|| {
                    format!("'{op}' must be an RFC 3339 timestamp such as '2016-03-14T01:59:00Z'")
                }),
        };
    }
    Err(format!("unknown operator '{op}'"))
}
