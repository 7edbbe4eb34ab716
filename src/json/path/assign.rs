//! ResultPath: placing a value into a document at a Reference Path, in place.

use simd_json::StaticNode;

use super::{normalize, Path, PathError, Root, Segment};
use crate::json::{index_of, member_mut, set, Value};

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
                if index_of(o, k).is_none() {
                    o.insert_distinct(k.clone(), Value::Object(Box::default()));
                }
                match member_mut(o, k) {
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
        (Segment::Child(k), Value::Object(o)) => set(o, k, value),
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

#[cfg(test)]
mod tests {
    use simd_json::json;

    use crate::json::path::{Path, PathError};
    use crate::json::Value;

    fn assign(path: &str, target: Value, value: Value) -> Result<Value, PathError> {
        Path::parse(path)?.assign(target, value)
    }

    /// `sets!(name, path, target, value, expected)`.
    macro_rules! sets {
        ($name:ident, $path:expr, $target:tt, $value:tt, $exp:tt) => {
            #[test]
            fn $name() {
                assert_eq!(
                    assign($path, json!($target), json!($value)),
                    Ok(json!($exp))
                );
            }
        };
    }
    /// `rejects!(name, path, target, message)`: a NotFound with this Display.
    macro_rules! rejects {
        ($name:ident, $path:expr, $target:tt, $msg:expr) => {
            #[test]
            fn $name() {
                let r = assign($path, json!($target), json!(1));
                assert!(matches!(r, Err(PathError::NotFound { .. })), "{r:?}");
                assert_eq!(r.map_err(|e| e.to_string()), Err($msg.to_owned()));
            }
        };
    }

    sets!(root_replaces, "$", {"a": 1}, "x", "x");
    sets!(new_key, "$.r", {"a": 1}, {"x": 1}, {"a": 1, "r": {"x": 1}});
    sets!(replace_key, "$.a", {"a": 1}, 2, {"a": 2});
    sets!(creates_parents, "$.a.b.c", {"k": 0}, true, {"k": 0, "a": {"b": {"c": true}}});
    sets!(into_existing, "$.a.b", {"a": {"x": 1}}, 2, {"a": {"x": 1, "b": 2}});
    sets!(bracket_key, "$['a b']", {}, 1, {"a b": 1});
    sets!(array_element, "$.a[1]", {"a": [0, 0]}, 5, {"a": [0, 5]});
    sets!(array_negative, "$.a[-1].k", {"a": [{}, {}]}, 5, {"a": [{}, {"k": 5}]});
    sets!(root_into_scalar_input, "$", 3, [1], [1]);

    rejects!(parent_is_string, "$.a.b", {"a": "s"},
        "Invalid path '$.a.b' : Unable to apply ResultPath: $['a'] is not an object (found a string)");
    rejects!(
        root_is_array,
        "$.a",
        [1],
        "Invalid path '$.a' : Unable to apply ResultPath: $ is not an object (found an array)"
    );
    rejects!(index_out_of_range, "$.a[3]", {"a": [1]},
        "Invalid path '$.a[3]' : Unable to apply ResultPath: $['a'] has no index 3");
    rejects!(index_into_object, "$.a[0]", {"a": {}},
        "Invalid path '$.a[0]' : Unable to apply ResultPath: $['a'] is not an array (found an object)");
    rejects!(parent_is_null, "$.a.b", {"a": null},
        "Invalid path '$.a.b' : Unable to apply ResultPath: $['a'] is not an object (found null)");

    #[test]
    fn context_and_variables_cannot_be_assigned() {
        for p in ["$$.a", "$$", "$v.a"] {
            assert!(
                matches!(
                    assign(p, json!({}), json!(1)),
                    Err(PathError::Syntax { .. })
                ),
                "{p}"
            );
        }
    }

    #[test]
    fn indefinite_paths_cannot_be_assigned() {
        for p in ["$.a[*]", "$..a", "$.a[0:1]"] {
            assert!(
                matches!(
                    assign(p, json!({"a": [1]}), json!(1)),
                    Err(PathError::Syntax { .. })
                ),
                "{p}"
            );
        }
    }
}
