//! ResultPath: placing a value into a document at a Reference Path, in place.

use simd_json::StaticNode;

use super::{normalize, Path, PathError, Root, Segment};
use crate::json::{Object, Value};

/// Places `value` at `path` inside `target` (see [`Path::assign`]).
pub(super) fn assign(path: &Path, mut target: Value, value: Value) -> Result<Value, PathError> {
    let syntax = |message: &str| PathError::Syntax {
        path: path.text().to_owned(),
        message: message.to_owned(),
    };
    match path.root() {
        Root::Input => {}
        Root::Context => return Err(syntax("a ResultPath cannot start with '$$'")),
        Root::Variable(_) => return Err(syntax("a ResultPath cannot start with a variable")),
    }
    if !path.is_reference() {
        return Err(syntax("a ResultPath must be a reference path"));
    }
    let segs = path.segments();
    let Some((last, parents)) = segs.split_last() else {
        return Ok(value);
    };
    let fail = |i: usize, what: &str| PathError::NotFound {
        path: path.text().to_owned(),
        message: format!(
            "Unable to apply ResultPath: {} {what}",
            normalize(segs.get(..i).unwrap_or(&[]))
        ),
    };
    let mut cur = &mut target;
    for (i, seg) in parents.iter().enumerate() {
        cur = match (seg, cur) {
            (Segment::Child(k), Value::Object(o)) => {
                if !o.contains_key(k.as_str()) {
                    o.insert(k.clone(), Value::Object(Box::new(Object::default())));
                }
                match o.get_mut(k.as_str()) {
                    Some(v) => v,
                    None => return Err(fail(i + 1, "could not be created")),
                }
            }
            (Segment::Index(n), Value::Array(a)) => {
                let len = a.len();
                match index(*n, len).and_then(|j| a.get_mut(j)) {
                    Some(v) => v,
                    None => return Err(fail(i, &format!("has no index {n}"))),
                }
            }
            (Segment::Child(_), other) => return Err(fail(i, &not_a(other, "an object"))),
            (_, other) => return Err(fail(i, &not_a(other, "an array"))),
        };
    }
    let at = parents.len();
    match (last, cur) {
        (Segment::Child(k), Value::Object(o)) => {
            o.insert(k.clone(), value);
        }
        (Segment::Index(n), Value::Array(a)) => {
            let len = a.len();
            match index(*n, len).and_then(|j| a.get_mut(j)) {
                Some(slot) => *slot = value,
                None => return Err(fail(at, &format!("has no index {n}"))),
            }
        }
        (Segment::Child(_), other) => return Err(fail(at, &not_a(other, "an object"))),
        (_, other) => return Err(fail(at, &not_a(other, "an array"))),
    }
    Ok(target)
}

/// `is not an object (found a string)`.
fn not_a(v: &Value, wanted: &str) -> String {
    let found = match v {
        Value::Static(StaticNode::Null) => "null",
        Value::Static(StaticNode::Bool(_)) => "a boolean",
        Value::Static(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    };
    format!("is not {wanted} (found {found})")
}

/// An index (negative from the end) into an array of `len`.
fn index(i: i64, len: usize) -> Option<usize> {
    if i >= 0 {
        usize::try_from(i).ok().filter(|j| *j < len)
    } else {
        usize::try_from(i.unsigned_abs())
            .ok()
            .filter(|b| *b <= len)
            .map(|b| len - b)
    }
}
