//! Conversions between our [`Value`] (simd-json's owned value) and the
//! JSONata library's value type.
//!
//! JSONata numbers are IEEE doubles, as in JavaScript: integers in the input
//! become doubles, and a result double with no fractional part goes back to
//! an integer, so `1 + 1` is `2`, never `2.0` (AWS prints JSONata numbers
//! the way `JSON.stringify` does).

use std::rc::Rc;

use jsonata_core::value::{JMap, JValue};
use simd_json::StaticNode;

use crate::json::{Object, Value};

/// Why a JSONata value has no JSON form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unsupported {
    /// A function (lambda, built-in) or a regex: AWS reports "returned an
    /// unsupported result type".
    Function,
}

/// Converts a JSON value into a JSONata value (a deep copy: the library's
/// values are reference counted and cannot borrow ours).
pub(crate) fn to_jsonata(value: &Value) -> JValue {
    match value {
        Value::Static(StaticNode::Null) => JValue::Null,
        Value::Static(StaticNode::Bool(b)) => JValue::Bool(*b),
        Value::Static(StaticNode::I64(i)) => JValue::Number(*i as f64),
        Value::Static(StaticNode::U64(u)) => JValue::Number(*u as f64),
        Value::Static(StaticNode::F64(f)) => JValue::Number(*f),
        Value::String(s) => JValue::string(s.as_str()),
        Value::Array(items) => JValue::array(items.iter().map(to_jsonata).collect()),
        Value::Object(fields) => JValue::Object(Rc::new(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), to_jsonata(v)))
                .collect::<JMap>(),
        )),
    }
}

/// Converts a JSONata result into JSON.
///
/// Returns `Ok(None)` for `undefined`. Inside arrays and objects an
/// `undefined` member is dropped (JSONata never builds such members itself;
/// `JSON.stringify` would drop them too).
///
/// # Errors
/// The value is, or contains, a function or a regex.
pub(crate) fn from_jsonata(value: &JValue) -> Result<Option<Value>, Unsupported> {
    Ok(Some(match value {
        JValue::Undefined => return Ok(None),
        JValue::Null => Value::Static(StaticNode::Null),
        JValue::Bool(b) => Value::Static(StaticNode::Bool(*b)),
        JValue::Number(n) => number(*n),
        JValue::String(s) => Value::String(s.to_string()),
        JValue::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items.iter() {
                if let Some(v) = from_jsonata(item)? {
                    out.push(v);
                }
            }
            Value::Array(Box::new(out))
        }
        JValue::Object(fields) => {
            let mut out = Object::with_capacity(fields.len());
            for (k, v) in fields.iter() {
                if let Some(v) = from_jsonata(v)? {
                    out.insert(k.clone(), v);
                }
            }
            Value::Object(Box::new(out))
        }
        _ => return Err(Unsupported::Function),
    }))
}

/// The JSON form of a JSONata number: an integer when it is integral and
/// fits an `i64` (`-0` becomes `0`), a double otherwise. A non-finite number
/// (JSONata raises D1001 before making one) becomes `null`, as in
/// `JSON.stringify`.
pub(crate) fn number(n: f64) -> Value {
    // 2^63: the first double past i64::MAX.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if !n.is_finite() {
        Value::Static(StaticNode::Null)
    } else if n.fract() == 0.0 && n.abs() < LIMIT {
        Value::Static(StaticNode::I64(n as i64))
    } else {
        Value::Static(StaticNode::F64(n))
    }
}
