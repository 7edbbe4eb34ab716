//! The serialised size of a value, for the 262,144-byte payload limit.
//!
//! Checked on every Task input and result, so the common case (a document
//! far below the limit) is one allocation-free walk that counts raw bytes:
//! only a document near the limit is serialised to get its exact size.

use simd_json::{OwnedValue, StaticNode};

use crate::json::Value;

/// Deeper documents skip the fast bounds and take the exact path.
const MAX_FAST_DEPTH: usize = 64;

/// Lower and upper bounds of a value's compact JSON size in bytes.
#[derive(Default)]
struct Bounds {
    /// Every byte that is surely there (strings unescaped, floats as 1 byte).
    low: usize,
    /// The most it can be (each string byte escaped as `\u00XX`, floats as 24 bytes).
    high: usize,
}

fn digits(mut n: u64) -> usize {
    let mut d = 1;
    while n >= 10 {
        n /= 10;
        d += 1;
    }
    d
}

fn add_string(b: &mut Bounds, s: &str) {
    b.low += 2 + s.len();
    b.high += 2 + 6 * s.len();
}

/// Adds `v`'s bounds to `b`; false when the value is too deep to walk here.
fn walk(v: &Value, b: &mut Bounds, depth: usize) -> bool {
    if depth > MAX_FAST_DEPTH {
        return false;
    }
    match v {
        OwnedValue::Static(StaticNode::Null) => {
            b.low += 4;
            b.high += 4;
        }
        OwnedValue::Static(StaticNode::Bool(t)) => {
            let n = if *t { 4 } else { 5 };
            b.low += n;
            b.high += n;
        }
        OwnedValue::Static(StaticNode::I64(n)) => {
            let n = digits(n.unsigned_abs()) + usize::from(*n < 0);
            b.low += n;
            b.high += n;
        }
        OwnedValue::Static(StaticNode::U64(n)) => {
            let n = digits(*n);
            b.low += n;
            b.high += n;
        }
        OwnedValue::Static(StaticNode::F64(_)) => {
            b.low += 1;
            b.high += 24;
        }
        OwnedValue::String(s) => add_string(b, s),
        OwnedValue::Array(a) => {
            let n = 2 + a.len().saturating_sub(1);
            b.low += n;
            b.high += n;
            for x in a.iter() {
                if !walk(x, b, depth + 1) {
                    return false;
                }
            }
        }
        OwnedValue::Object(o) => {
            let n = 2 + o.len().saturating_sub(1) + o.len();
            b.low += n;
            b.high += n;
            for (k, x) in o.iter() {
                add_string(b, k);
                if !walk(x, b, depth + 1) {
                    return false;
                }
            }
        }
    }
    true
}

/// Whether `value` serialised as compact JSON is larger than `limit` bytes.
pub(crate) fn exceeds(value: &Value, limit: usize) -> bool {
    let mut b = Bounds::default();
    if walk(value, &mut b, 0) {
        if b.high <= limit {
            return false;
        }
        if b.low > limit {
            return true;
        }
    }
    crate::json::to_string(value).len() > limit
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) {
        let v = crate::json::parse(text).unwrap();
        let n = crate::json::to_string(&v).len();
        assert!(!exceeds(&v, n), "{text}");
        assert!(exceeds(&v, n - 1), "{text}");
    }

    #[test]
    fn exact_at_the_limit() {
        check(r#"{"a":[1,2,"x\"y"],"b":null,"c":true}"#);
        check(r#"[-12345,18446744073709551615,1.5e300,"\u0001\\"]"#);
        check(r#"{"k":{"l":[[[[{}]]]]}}"#);
    }

    #[test]
    fn fast_answers_far_from_the_limit() {
        let v = crate::json::parse(r#"{"a":"small"}"#).unwrap();
        assert!(!exceeds(&v, 262_144));
        let big = Value::from("x".repeat(300_000));
        assert!(exceeds(&big, 262_144));
    }

    #[test]
    fn deep_documents_take_the_exact_path() {
        let mut v = Value::from(1);
        for _ in 0..200 {
            v = OwnedValue::Array(Box::new(vec![v]));
        }
        let n = crate::json::to_string(&v).len();
        assert!(!exceeds(&v, n));
        assert!(exceeds(&v, n - 1));
    }
}
