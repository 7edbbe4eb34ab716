//! Turning a rule object into a [`ChoiceRule`].

use simd_json::prelude::*;
use simd_json::StaticNode;

use super::{ChoiceRule, Cmp, Number, Operand, Pattern, Test, MAX_DEPTH};
use crate::compile::timestamp::parse_timestamp;
use crate::compile::CompileError;
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

pub(super) fn rule(value: &Value, depth: usize) -> Result<ChoiceRule, CompileError> {
    if depth > MAX_DEPTH {
        return Err(CompileError::RulesTooDeep { max: MAX_DEPTH });
    }
    let Value::Object(map) = value else {
        return Err(CompileError::RuleNotObject);
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
            return Err(CompileError::UnknownField(key.to_owned()));
        }
        if let Some((first, _)) = operator {
            return Err(CompileError::TwoOperators {
                first: first.to_owned(),
                second: key.to_owned(),
            });
        }
        operator = Some((key, field));
    }
    let Some((op, operand)) = operator else {
        return Err(CompileError::NoOperator);
    };
    match op {
        "And" | "Or" => {
            if variable.is_some() {
                return Err(CompileError::CombinedWithVariable(op.to_owned()));
            }
            let Some(items) = operand.as_array() else {
                return Err(wrong_type(op, "an array of Choice Rules"));
            };
            if items.is_empty() {
                return Err(CompileError::NoRules(op.to_owned()));
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
                return Err(CompileError::CombinedWithVariable("Not".to_owned()));
            }
            Ok(ChoiceRule::Not(Box::new(rule(operand, depth + 1)?)))
        }
        _ => {
            let Some(variable) = variable else {
                return Err(CompileError::NoVariable(op.to_owned()));
            };
            let Some(text) = variable.as_str() else {
                return Err(wrong_type("Variable", "a string holding a path"));
            };
            let variable = Path::parse(text).map_err(|source| CompileError::BadPath {
                what: "'Variable'".to_owned(),
                source,
            })?;
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

fn operand_path(op: &str, value: &Value) -> Result<Path, CompileError> {
    let Some(text) = value.as_str() else {
        return Err(wrong_type(op, "a string holding a path"));
    };
    Path::parse(text).map_err(|source| CompileError::BadPath {
        what: format!("path in '{op}'"),
        source,
    })
}

fn flag(op: &str, value: &Value) -> Result<bool, CompileError> {
    value
        .as_bool()
        .ok_or_else(|| wrong_type(op, "true or false"))
}

fn test(op: &str, operand: &Value) -> Result<Test, CompileError> {
    match op {
        "StringMatches" => {
            let Some(text) = operand.as_str() else {
                return Err(wrong_type(op, "a string"));
            };
            return Pattern::parse(text).map(Test::StringMatches);
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
                .ok_or_else(|| wrong_type(op, "a string")),
            "Numeric" => match operand {
                Value::Static(StaticNode::Bool(_) | StaticNode::Null) => None,
                other => Number::of(other),
            }
            .map(|n| Test::Numeric(cmp, Operand::Literal(n)))
            .ok_or_else(|| wrong_type(op, "a number")),
            _ => operand
                .as_str()
                .and_then(parse_timestamp)
                .map(|t| Test::Timestamp(cmp, Operand::Literal(t)))
                .ok_or_else(|| {
                    wrong_type(op, "an RFC 3339 timestamp such as '2016-03-14T01:59:00Z'")
                }),
        };
    }
    Err(CompileError::UnknownOperator(op.to_owned()))
}

/// `field` holds a value of the wrong type.
fn wrong_type(field: &str, expected: &'static str) -> CompileError {
    CompileError::WrongType {
        field: field.to_owned(),
        expected,
    }
}
