//! JSON values and everything evaluated over them: Reference Paths and
//! JSONPath ([`path`]), Intrinsic Functions ([`intrinsic`]), Payload Templates
//! ([`template`]).
//!
//! The document type is simd-json's owned value. Paths evaluate by borrowing
//! from it; only what a template or a path result must own is cloned.

pub mod budget;
pub mod intrinsic;
pub mod jsonata;
pub mod path;
pub mod template;

/// A JSON value: simd-json's owned value (objects keep insertion order up to
/// 32 keys).
pub type Value = simd_json::OwnedValue;

/// A JSON object.
pub type Object = simd_json::owned::Object;

/// `null`, to borrow where a value is absent.
pub static NULL: Value = Value::Static(simd_json::StaticNode::Null);

/// Compares strings by UTF-16 code unit, as Java's `compareTo` does: the
/// order AWS uses for string comparisons (Choice Rules, path filters).
pub fn compare_strings(a: &str, b: &str) -> std::cmp::Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// What an expression can see while it is evaluated: the state's (effective)
/// input `$`, the Context Object `$$`, and the workflow variables `$name`.
#[derive(Clone, Copy)]
pub struct Scope<'a> {
    /// The value `$` refers to.
    pub input: &'a Value,
    /// The Context Object, the value `$$` refers to.
    pub context: &'a Value,
    /// Workflow variables by name (an object), when the state can see any.
    pub variables: Option<&'a Value>,
}

/// Parses JSON text into a [`Value`].
///
/// # Errors
/// The text is not valid JSON; the message says where.
pub fn parse(text: &str) -> Result<Value, simd_json::Error> {
    let mut bytes = text.as_bytes().to_vec();
    simd_json::to_owned_value(&mut bytes)
}

/// Serialises a value to compact JSON text.
pub fn to_string(value: &Value) -> String {
    simd_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}
