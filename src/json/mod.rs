//! JSON values and everything evaluated over them: Reference Paths and
//! JSONPath ([`path`]), Intrinsic Functions ([`intrinsic`]), Payload Templates
//! ([`template`]).
//!
//! The document type is simd-json's owned value. Paths evaluate by borrowing
//! from it; only what a template or a path result must own is cloned.

pub mod budget;
mod error;
pub mod intrinsic;
pub mod jsonata;
mod member;
pub mod path;
pub(crate) mod size;
pub(crate) mod special;
pub mod template;
pub(crate) mod write;

pub use error::EvalError;
pub(crate) use member::{index_of, same_name as same_text, set};
pub use member::{member, member_mut};

/// A JSON value: simd-json's owned value. Objects keep the insertion order of
/// their keys at every size, as AWS's do (up to 32 keys a `Vec`, then an
/// `IndexMap`: the vendored halfbrown, vendor/halfbrown/VENDORED.md).
pub type Value = simd_json::OwnedValue;

/// A JSON object.
pub type Object = simd_json::owned::Object;

/// The most members an [`Object`] keeps in a vector, searched in order
/// (`halfbrown`'s default `VEC_LIMIT_UPPER`); past them it is a map.
pub(crate) const VECTOR_MAP_MEMBERS: usize = 32;

use simd_json::prelude::*;

/// `null`, to borrow where a value is absent.
pub static NULL: Value = Value::Static(simd_json::StaticNode::Null);

/// Compares strings by UTF-16 code unit, as Java's `compareTo` does: the
/// order AWS uses for string comparisons (Choice Rules, path filters).
///
/// UTF-8 bytes order strings by code point, which is also their UTF-16
/// order unless a supplementary character (four UTF-8 bytes, led by 0xF0 or
/// above; two UTF-16 surrogates, 0xD800 to 0xDFFF) meets one of U+E000 to
/// U+FFFF: strings without one are compared as bytes, the others unit by
/// unit.
pub fn compare_strings(a: &str, b: &str) -> std::cmp::Ordering {
    let supplementary = |s: &str| s.bytes().any(|byte| byte >= 0xF0);
    if !supplementary(a) && !supplementary(b) {
        return a.cmp(b);
    }
    a.encode_utf16().cmp(b.encode_utf16())
}

/// What an expression can see while it is evaluated: the state's (effective)
/// input `$`, the Context Object `$$`, and the workflow variables `$name`.
#[derive(Clone, Copy)]
pub struct Scope<'a> {
    /// The value `$` refers to.
    pub input: &'a Value,
    /// The Context Object, the value `$$` refers to.
    pub context: Context<'a>,
    /// Workflow variables by name (an object), when the state can see any.
    pub variables: Option<&'a Value>,
}

/// The deepest nesting of arrays and objects a document may have: 1,000
/// levels (`[[1]]` is 2 levels deep).
///
/// Enforced where a state's data is made: parsing ([`parse`]: execution
/// input, HTTP Task results, `States.StringToJson`), Pass results, Task
/// inputs and results, ResultPath, the outputs of JSONata states, Map and
/// Parallel results, workflow variables, the execution output. A Payload
/// Template or Intrinsic Function result inside a state can exceed it only
/// by the template's own nesting (at most 256 levels, checked by
/// validation) until one of those checks sees it. A deeper
/// execution input is refused like any invalid input
/// (`InvalidExecutionInput`); a deeper value made while running fails the
/// execution with `States.DataLimitExceeded`, whose cause names the state
/// and this limit.
///
/// AWS documents no nesting limit for Step Functions; 1,000 is the default
/// of Jackson's `StreamReadConstraints.maxNestingDepth`, the JSON library
/// of AWS's Java services. Every walk over a document is either iterative
/// or bounded by this limit (plus the nesting of the definition's own
/// Payload Templates), so no document can overflow a stack.
pub const MAX_DEPTH: usize = 1_000;

/// The Context Object (`$$`) as expressions read it, in two parts so that a
/// Map iteration or Parallel branch never copies what the whole execution
/// shares: `shared` holds the members fixed for the execution (`Execution`,
/// with the execution input, and `StateMachine`), `own` those of one graph
/// instance (`State`, `Map`, `Task`). Both are objects (or `null`); a member
/// of `own` hides one of the same name in `shared`.
///
/// Source: AWS guide `input-output-contextobject.html`.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    /// The members of this graph instance, read first.
    pub own: &'a Value,
    /// The members shared by the whole execution.
    pub shared: &'a Value,
}

impl<'a> Context<'a> {
    /// A Context Object held whole in one value.
    pub fn of(value: &'a Value) -> Self {
        Context {
            own: value,
            shared: &NULL,
        }
    }

    /// The member `key` (`Execution`, `State`, …), where it lives.
    pub fn member(&self, key: &str) -> Option<&'a Value> {
        let get = |v: &'a Value| match v {
            Value::Object(o) => o.get(key),
            _ => None,
        };
        get(self.own).or_else(|| get(self.shared))
    }

    /// The whole object when it lives in one value (one part is not an object).
    pub fn as_one(&self) -> Option<&'a Value> {
        match (self.own, self.shared) {
            (own, Value::Object(_)) if !own.is_object() => Some(self.shared),
            (own, _) => (!self.shared.is_object()).then_some(own),
        }
    }

    /// A copy of the whole object: the shared members, then this instance's.
    pub fn to_value(&self) -> Value {
        if let Some(one) = self.as_one() {
            return one.clone();
        }
        let mut o = Object::new();
        for part in [self.shared, self.own] {
            if let Value::Object(members) = part {
                for (k, v) in members.iter() {
                    o.insert(k.clone(), v.clone());
                }
            }
        }
        Value::Object(Box::new(o))
    }
}

/// Parses JSON text into a [`Value`], at most [`MAX_DEPTH`] levels deep.
///
/// # Errors
/// The text is not valid JSON, or nests deeper than [`MAX_DEPTH`]; the
/// message says where.
pub fn parse(text: &str) -> Result<Value, simd_json::Error> {
    let mut bytes = text.as_bytes().to_vec();
    // simd-json's own bound (it counts a scalar inside the deepest
    // container as a level) keeps its parser's recursion short; ours is
    // exact. Its buffers are the thread's, kept between parses of texts
    // up to `KEEP_BUFFERS` bytes (they grow to the largest of them).
    const KEEP_BUFFERS: usize = 64 * 1024;
    let mut buffers = BUFFERS
        .take()
        .unwrap_or_else(|| simd_json::Buffers::with_max_depth(bytes.len(), MAX_DEPTH + 2));
    let parsed = simd_json::owned::to_value_with_buffers(&mut bytes, &mut buffers);
    if bytes.len() <= KEEP_BUFFERS {
        BUFFERS.set(Some(buffers));
    }
    let value = parsed?;
    // A document nested deeper than `MAX_DEPTH` opens and closes more than
    // `MAX_DEPTH` arrays or objects: a shorter text cannot be one.
    if bytes.len() > 2 * MAX_DEPTH && size::deeper_than(&value, MAX_DEPTH) {
        dismantle(value);
        return Err(simd_json::Error::generic(
            simd_json::ErrorType::DepthLimitExceeded,
        ));
    }
    Ok(value)
}

thread_local! {
    /// simd-json's buffers for [`parse`] on this thread (bounded to
    /// `MAX_DEPTH + 2` levels), taken while a parse runs.
    static BUFFERS: std::cell::Cell<Option<simd_json::Buffers>> = const {
        std::cell::Cell::new(None)
    };
}

/// Drops a value of any depth without recursion (simd-json's own drop
/// recurses once per level).
pub fn dismantle(value: Value) {
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(mut a) => stack.append(&mut a),
            Value::Object(o) => stack.extend((*o).into_iter().map(|(_, v)| v)),
            _ => {}
        }
    }
}

/// Serialises a value to compact JSON text: the bytes simd-json's generator
/// (`Value::encode`) and the serde path (`simd_json::to_string`) write, by
/// [`write`] (property-tested against the generator).
pub fn to_string(value: &Value) -> String {
    write::to_string(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(levels: usize) -> String {
        format!("{}{}", "[".repeat(levels), "]".repeat(levels))
    }

    /// The generator writes what the serde path writes, byte for byte.
    #[test]
    fn to_string_writes_what_serde_writes() {
        let text = r#"{"s":"q\"b\\c\u0001\n\t/é😀\u007f","n":[0,-1,18446744073709551615,-9223372036854775808,250.0,1.5e300,-2.5e-8,0.1],"o":{"":{},"a":[],"b":[null,true,false]}}"#;
        let value = parse(text).expect("valid");
        let serde = simd_json::to_string(&value).expect("serialisable");
        assert_eq!(to_string(&value), serde);
        assert_eq!(parse(&to_string(&value)).expect("valid"), value);
    }

    /// The thread's buffers, reused by every parse, keep each parse's
    /// answer and its depth bound, for texts of any size and parses that
    /// fail.
    #[test]
    fn reused_buffers_keep_every_answer() {
        let big = format!("[{}1]", "1,".repeat(40_000));
        let deep = nested(MAX_DEPTH + 1);
        for _ in 0..3 {
            for text in [r#"{"a":[1,"x"]}"#, "[1,", &big, "{}", &deep, "\"s\""] {
                let fresh = simd_json::owned::to_value_with_buffers(
                    &mut text.as_bytes().to_vec(),
                    &mut simd_json::Buffers::with_max_depth(text.len(), MAX_DEPTH + 2),
                );
                match parse(text) {
                    Ok(v) => assert_eq!(Some(v), fresh.ok()),
                    Err(_) => assert!(fresh.is_err() || text == deep),
                }
            }
        }
        assert!(parse(&nested(MAX_DEPTH)).is_ok());
    }

    #[test]
    fn parse_allows_max_depth_levels() {
        assert!(parse(&nested(MAX_DEPTH)).is_ok());
        assert!(parse(&nested(MAX_DEPTH + 1)).is_err());
        let objects = format!("{}1{}", r#"{"a":"#.repeat(MAX_DEPTH), "}".repeat(MAX_DEPTH));
        assert!(parse(&objects).is_ok());
        let objects = format!(
            "{}1{}",
            r#"{"a":"#.repeat(MAX_DEPTH + 1),
            "}".repeat(MAX_DEPTH + 1)
        );
        assert!(parse(&objects).is_err());
    }

    /// The byte comparison agrees with UTF-16's order, and supplementary
    /// characters sort below U+E000..U+FFFF as Java sorts them.
    #[test]
    fn strings_compare_by_utf16_code_unit() {
        let words = [
            "",
            "a",
            "ab",
            "b",
            "APPROVED",
            "APPROVEd",
            "é",
            "e\u{301}",
            "\u{7ff}",
            "\u{800}",
            "\u{d7ff}",
            "\u{e000}",
            "\u{ffff}",
            "\u{10000}",
            "\u{1f600}",
            "a\u{10000}",
            "a\u{ffff}",
        ];
        for a in words {
            for b in words {
                assert_eq!(
                    compare_strings(a, b),
                    a.encode_utf16().cmp(b.encode_utf16()),
                    "{a:?} vs {b:?}"
                );
            }
        }
        assert_eq!(
            compare_strings("\u{10000}", "\u{ffff}"),
            std::cmp::Ordering::Less
        );
    }

    #[test]
    fn dismantle_drops_any_depth() {
        let mut v = Value::from(1);
        for _ in 0..300_000 {
            v = Value::Array(Box::new(vec![v]));
        }
        dismantle(v);
    }

    #[test]
    fn context_reads_members_where_they_live() {
        let shared = parse(r#"{"Execution":{"Id":"x"},"StateMachine":{"Name":"m"}}"#).unwrap();
        let own = parse(r#"{"State":{"Name":"s"}}"#).unwrap();
        let ctx = Context {
            own: &own,
            shared: &shared,
        };
        assert!(std::ptr::eq(
            ctx.member("Execution").unwrap(),
            shared.get("Execution").unwrap()
        ));
        assert!(ctx.member("State").is_some() && ctx.member("Map").is_none());
        assert!(ctx.as_one().is_none());
        assert_eq!(
            to_string(&ctx.to_value()),
            r#"{"Execution":{"Id":"x"},"StateMachine":{"Name":"m"},"State":{"Name":"s"}}"#
        );
        assert!(std::ptr::eq(Context::of(&own).as_one().unwrap(), &own));
    }
}
