//! The serialised size of a value, for the 262,144-byte payload limit.

use simd_json::{OwnedValue, StaticNode};

use crate::json::Value;

/// Whether `value` serialised as compact JSON is larger than `limit` bytes.
/// Stops walking as soon as the limit is passed.
pub(crate) fn exceeds(value: &Value, limit: usize) -> bool {
    let mut total = 0usize;
    let mut stack: Vec<&Value> = vec![value];
    while let Some(v) = stack.pop() {
        total += match v {
            OwnedValue::Static(StaticNode::Null) => 4,
            OwnedValue::Static(StaticNode::Bool(b)) => {
                if *b {
                    4
                } else {
                    5
                }
            }
            OwnedValue::Static(StaticNode::I64(n)) => n.to_string().len(),
            OwnedValue::Static(StaticNode::U64(n)) => n.to_string().len(),
            OwnedValue::Static(StaticNode::F64(_)) => 8,
            OwnedValue::String(s) => string_len(s),
            OwnedValue::Array(a) => {
                stack.extend(a.iter());
                2 + a.len().saturating_sub(1)
            }
            OwnedValue::Object(o) => {
                for (k, v) in o.iter() {
                    total += string_len(k) + 1;
                    stack.push(v);
                }
                2 + o.len().saturating_sub(1)
            }
        };
        if total > limit {
            return true;
        }
    }
    false
}

fn string_len(s: &str) -> usize {
    2 + s.len()
        + s.bytes()
            .filter(|b| *b == b'"' || *b == b'\\' || *b < 0x20)
            .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_like_serialisation() {
        let v = crate::json::parse(r#"{"a":[1,2,"x\"y"],"b":null,"c":true}"#).unwrap();
        let n = crate::json::to_string(&v).len();
        assert!(!exceeds(&v, n));
        assert!(exceeds(&v, n - 1));
    }
}
