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
    /// Its JSON form would take more than the byte cap: a JSONata value
    /// can share subtrees (`$a := [$a, $a]` doubles at no cost) that JSON
    /// must copy.
    TooLarge,
}

/// Approximate heap bytes of one converted value (its slot in an array or
/// object) besides its string contents.
const VALUE_BYTES: usize = 32;

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
/// The value is, or contains, a function or a regex; or its JSON form would
/// take more than `max_bytes` ([`Unsupported::TooLarge`]).
pub(crate) fn from_jsonata(value: &JValue, max_bytes: usize) -> Result<Option<Value>, Unsupported> {
    let mut budget = max_bytes;
    convert(value, &mut budget)
}

/// [`from_jsonata`], spending `budget` bytes as it builds.
fn convert(value: &JValue, budget: &mut usize) -> Result<Option<Value>, Unsupported> {
    let cost = VALUE_BYTES
        + match value {
            JValue::String(s) => s.len(),
            JValue::Array(items) => items.len() * VALUE_BYTES,
            JValue::Object(fields) => fields.len() * 2 * VALUE_BYTES,
            _ => 0,
        };
    *budget = budget.checked_sub(cost).ok_or(Unsupported::TooLarge)?;
    Ok(Some(match value {
        JValue::Undefined => return Ok(None),
        JValue::Null => Value::Static(StaticNode::Null),
        JValue::Bool(b) => Value::Static(StaticNode::Bool(*b)),
        JValue::Number(n) => number(*n),
        JValue::String(s) => Value::String(s.to_string()),
        JValue::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items.iter() {
                if let Some(v) = convert(item, budget)? {
                    out.push(v);
                }
            }
            Value::Array(Box::new(out))
        }
        JValue::Object(fields) => {
            let mut out = Object::with_capacity(fields.len());
            for (k, v) in fields.iter() {
                if let Some(v) = convert(v, budget)? {
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
