//! Syntactic checks of the strings ASL gives meaning to: Paths, Reference
//! Paths, Intrinsic Function calls, and the `.$` keys of Payload Templates
//! and `Assign` blocks.
//!
//! These checks only decide whether AWS would accept the text at
//! CreateStateMachine; `json::path` parses it for evaluation.

use super::check::{child, index, is_jsonata, Ctx, Lang, MAX_TEMPLATE_DEPTH};
use crate::errors::names;
use crate::json::Value;

/// The 18 Intrinsic Functions (reference §4), without the `States.` prefix.
pub(super) const INTRINSICS: [&str; 18] = [
    "Format",
    "StringToJson",
    "JsonToString",
    "Array",
    "ArrayPartition",
    "ArrayContains",
    "ArrayRange",
    "ArrayGetItem",
    "ArrayLength",
    "ArrayUnique",
    "Base64Encode",
    "Base64Decode",
    "Hash",
    "JsonMerge",
    "MathRandom",
    "MathAdd",
    "StringSplit",
    "UUID",
];

/// Most nested Intrinsic Function calls in one field.
const MAX_INTRINSIC_NESTING: usize = 10;

/// What a path may be.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum PathKind {
    /// A Reference Path: one node, only `.name`, `['name']`, `[n]`.
    Reference,
    /// A JSONPath (Jayway): wildcards, slices, filters, descent allowed.
    Any,
}

/// Whether `text` is a path: `$…` (input), `$$…` (context, if allowed) or
/// `$name…` (variable, if allowed), followed by valid segments.
pub(super) fn is_path(text: &str, kind: PathKind, context: bool, variable: bool) -> bool {
    let b = text.as_bytes();
    let mut i = match b {
        [b'$', b'$', ..] => {
            if !context {
                return false;
            }
            2
        }
        [b'$', c, ..] if c.is_ascii_alphabetic() || *c == b'_' => {
            if !variable {
                return false;
            }
            let mut j = 1;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                j += 1;
            }
            j
        }
        [b'$', ..] => 1,
        _ => return false,
    };
    while i < b.len() {
        match b[i] {
            b'.' => {
                i += 1;
                if b.get(i) == Some(&b'.') {
                    if kind == PathKind::Reference {
                        return false;
                    }
                    i += 1;
                }
                // Jayway accepts a dot before a bracket (`$.[0]`, `$.a.[0].b`,
                // `$..[0]`): the bracket follows.
                if b.get(i) == Some(&b'[') {
                    continue;
                }
                let start = i;
                while i < b.len() && !matches!(b[i], b'.' | b'[' | b']') {
                    if kind == PathKind::Reference && matches!(b[i], b'*' | b'@' | b'?' | b',') {
                        return false;
                    }
                    i += 1;
                }
                if i == start {
                    return false;
                }
            }
            b'[' => match bracket_end(b, i) {
                Some(end) => {
                    let inner = &text[i + 1..end];
                    if !bracket_ok(inner, kind) {
                        return false;
                    }
                    i = end + 1;
                }
                None => return false,
            },
            _ => return false,
        }
    }
    true
}

/// Index of the `]` closing the bracket opened at `open`, skipping quoted text
/// and nested brackets (filters).
fn bracket_end(b: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    let mut i = open;
    while i < b.len() {
        let c = b[i];
        if let Some(q) = quote {
            if c == b'\\' {
                i += 1;
            } else if c == q {
                quote = None;
            }
        } else {
            match c {
                b'\'' | b'"' => quote = Some(c),
                b'[' => depth += 1,
                b']' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(i);
                    }
                }
                _ => {}
            }
        }
        i += 1;
    }
    None
}

/// Whether the inside of a bracket is acceptable for this kind of path.
fn bracket_ok(inner: &str, kind: PathKind) -> bool {
    let t = inner.trim();
    if t.is_empty() {
        return false;
    }
    let quoted = |s: &str| {
        s.len() >= 2
            && ((s.starts_with('\'') && s.ends_with('\''))
                || (s.starts_with('"') && s.ends_with('"')))
    };
    if quoted(t) || t.bytes().all(|c| c.is_ascii_digit()) {
        return true;
    }
    match kind {
        PathKind::Reference => false,
        PathKind::Any => {
            t == "*"
                || t.starts_with('?')
                || t.starts_with('(')
                || t.bytes().all(|c| {
                    c.is_ascii_digit() || matches!(c, b'-' | b':' | b',' | b' ' | b'\'' | b'"')
                })
                || t.split(',').all(|p| quoted(p.trim()))
        }
    }
}

/// Whether `text` is an Intrinsic Function call `States.Name(args)` whose
/// every nested call names one of the 18 functions, with balanced
/// parentheses outside quoted strings, a closing `)` at the end, and at most
/// ten levels of nesting. Returns the problem when it is not.
pub(super) fn intrinsic_error(text: &str) -> Option<String> {
    let t = text.trim();
    if !t.starts_with(names::PREFIX) {
        return Some("an intrinsic function call must start with 'States.'".to_owned());
    }
    let b = t.as_bytes();
    let mut depth = 0usize;
    let mut max_depth = 0usize;
    let mut in_quote = false;
    let mut closed_at = None;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if in_quote {
            match c {
                b'\\' => {
                    if i + 1 >= b.len() {
                        return Some("dangling escape character".to_owned());
                    }
                    i += 1;
                }
                b'\'' => in_quote = false,
                _ => {}
            }
        } else {
            match c {
                b'\'' => in_quote = true,
                b'(' => {
                    let name = call_name(&t[..i]);
                    match name.strip_prefix(names::PREFIX) {
                        Some(f) if INTRINSICS.contains(&f) => {}
                        _ => return Some(format!("unknown intrinsic function '{name}'")),
                    }
                    depth += 1;
                    max_depth = max_depth.max(depth);
                }
                b')' => {
                    if depth == 0 {
                        return Some("unbalanced parentheses".to_owned());
                    }
                    depth -= 1;
                    if depth == 0 && closed_at.is_none() {
                        closed_at = Some(i);
                    }
                }
                _ => {}
            }
        }
        i += 1;
    }
    if in_quote || depth != 0 {
        return Some("unterminated intrinsic function call".to_owned());
    }
    if closed_at != Some(b.len() - 1) {
        return Some("unexpected text after the intrinsic function call".to_owned());
    }
    if max_depth > MAX_INTRINSIC_NESTING {
        return Some("more than 10 nested intrinsic function calls".to_owned());
    }
    None
}

/// The dotted name just before a `(`: `States.Format` in `… States.Format(`.
fn call_name(before: &str) -> &str {
    // The name starts after the last character that cannot be part of it;
    // that character may be several bytes long (`States.é(`).
    let start = before
        .char_indices()
        .rev()
        .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '.' || c == '_'))
        .map_or(0, |(p, c)| p + c.len_utf8());
    before.get(start..).unwrap_or_default()
}

/// Whether a `.$` value is acceptable: a path over the input, the context or
/// a variable, or an Intrinsic Function call.
pub(super) fn is_dynamic_value(text: &str) -> bool {
    if text.starts_with('$') {
        is_path(text, PathKind::Any, true, true)
    } else {
        intrinsic_error(text).is_none()
    }
}

impl<'a> Ctx<'a> {
    /// Checks an optional path field: a string path of `kind` (or `null` when
    /// `nullable`). Context (`$$`) and variables are allowed unless the path
    /// is a ResultPath (`result_path`).
    pub(super) fn path_field(
        &mut self,
        obj: &crate::json::Object,
        loc: &str,
        field: &str,
        kind: PathKind,
        nullable: bool,
    ) {
        let Some(v) = obj.get(field) else { return };
        let result_path = field == "ResultPath";
        match v {
            Value::Static(simd_json::StaticNode::Null) if nullable => {}
            Value::String(s) if is_path(s, kind, !result_path, !result_path) => {
                // Each segment of a ResultPath nests the document one level.
                let max = crate::json::MAX_DEPTH;
                if result_path
                    && crate::json::path::Path::parse(s).is_ok_and(|p| p.segments().len() > max)
                {
                    self.bad_value(loc, field, &format!("a path at most {max} levels deep"));
                }
            }
            _ => self.bad_value(loc, field, "a valid JSONPath"),
        }
    }

    /// Checks a Reference Path field that may also hold an Intrinsic
    /// Function (Fail's `ErrorPath` / `CausePath`).
    pub(super) fn path_or_intrinsic_field(
        &mut self,
        obj: &crate::json::Object,
        loc: &str,
        field: &str,
    ) {
        let Some(v) = obj.get(field) else { return };
        match v {
            Value::String(s) if is_dynamic_value(s) => {}
            _ => self.bad_value(
                loc,
                field,
                "a valid JSONPath or a valid intrinsic function call",
            ),
        }
    }

    /// Walks a JSONPath-mode Payload Template (Parameters, ResultSelector,
    /// ItemSelector, Credentials …): every key ending in `.$` must hold a
    /// path or an Intrinsic Function call.
    pub(super) fn template(&mut self, v: &Value, loc: &str, depth: usize) {
        if depth > MAX_TEMPLATE_DEPTH {
            self.schema("The value is nested too deeply", loc);
            return;
        }
        match v {
            Value::Object(o) => {
                for (k, item) in o.iter() {
                    let here = child(loc, k);
                    if k.ends_with(".$") {
                        match item {
                            Value::String(s) if is_dynamic_value(s) => {}
                            _ => self.schema(
                                format!(
                                    "The value for the field '{k}' must be a valid JSONPath or a valid intrinsic function call"
                                ),
                                &here,
                            ),
                        }
                    } else {
                        self.template(item, &here, depth + 1);
                    }
                }
            }
            Value::Array(a) => {
                for (i, item) in a.iter().enumerate() {
                    self.template(item, &index(loc, i), depth + 1);
                }
            }
            _ => {}
        }
    }

    /// Walks a JSONata-mode value (Arguments, Output, Assign values): only
    /// its nesting depth is bounded; `{% %}` strings are expressions.
    pub(super) fn jsonata_value(&mut self, v: &Value, loc: &str, depth: usize) {
        if depth > MAX_TEMPLATE_DEPTH {
            self.schema("The value is nested too deeply", loc);
            return;
        }
        match v {
            Value::Object(o) => {
                for (k, item) in o.iter() {
                    self.jsonata_value(item, &child(loc, k), depth + 1);
                }
            }
            Value::Array(a) => {
                for (i, item) in a.iter().enumerate() {
                    self.jsonata_value(item, &index(loc, i), depth + 1);
                }
            }
            Value::String(s) if s.starts_with("{%") && !is_jsonata(s) => {
                self.schema("The JSONata expression must end with '%}'", loc);
            }
            _ => {}
        }
    }

    /// Checks an `Assign` block at `loc/Assign` (if present): an object whose
    /// keys name variables (no `.` except a final `.$` in JSONPath mode).
    pub(super) fn assign(&mut self, obj: &crate::json::Object, loc: &str, lang: Lang) {
        let Some(v) = obj.get("Assign") else { return };
        let here = child(loc, "Assign");
        let Value::Object(o) = v else {
            self.bad_value(loc, "Assign", "an object");
            return;
        };
        for (k, item) in o.iter() {
            let key_loc = child(&here, k);
            let (name, dynamic) = match (lang, k.strip_suffix(".$")) {
                (Lang::JsonPath, Some(n)) => (n, true),
                _ => (k.as_str(), false),
            };
            if !is_variable_name(name) {
                self.schema(format!("The variable name '{k}' is not valid"), &key_loc);
                continue;
            }
            match lang {
                Lang::JsonPath if dynamic => match item {
                    Value::String(s) if is_dynamic_value(s) => {}
                    _ => self.schema(
                        format!(
                            "The value for the field '{k}' must be a valid JSONPath or a valid intrinsic function call"
                        ),
                        &key_loc,
                    ),
                },
                Lang::JsonPath => self.template(item, &key_loc, 1),
                Lang::Jsonata => self.jsonata_value(item, &key_loc, 1),
            }
        }
    }
}

/// A variable name: non-empty, a letter or `_` first, then letters, digits,
/// `_` (so no `.`, no spaces, no `$`).
fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_alphanumeric() || c == '_')
}
