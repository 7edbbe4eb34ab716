//! The 18 intrinsic functions over evaluated arguments. Each returns the
//! result value or a message (the caller turns it into
//! `States.IntrinsicFailure`).
//!
//! Numbers follow AWS (Java): integers stay integers, rounding is
//! `Math.round` (half up, `floor(x + 0.5)`), floats print like
//! `Double.toString`.

use std::borrow::Cow;
use std::fmt::Write as _;

use base64::Engine as _;
use rand::{Rng as _, SeedableRng as _};
use sha2::Digest as _;
use simd_json::StaticNode;

use super::{Function, Piece};
use crate::json::budget::Exceeded;
use crate::json::{Object, Value};

/// Most characters Base64Encode, Base64Decode and Hash accept.
pub(super) const MAX_INPUT_CHARS: usize = 10_000;
/// Most items ArrayRange may produce.
pub(super) const MAX_RANGE_ITEMS: i128 = 1000;

type Args<'a, 'v> = &'a [Cow<'v, Value>];

/// Why a call failed.
#[derive(Debug)]
pub(super) enum CallError {
    /// Bad arguments or the function's own failure: the message (the caller
    /// raises `States.IntrinsicFailure`).
    Invalid(String),
    /// The execution's budget ([`crate::json::budget`]): its deadline, its
    /// stop, or a result larger than the per-evaluation byte cap.
    Limit(Exceeded),
}

impl From<String> for CallError {
    fn from(message: String) -> CallError {
        CallError::Invalid(message)
    }
}

impl From<Exceeded> for CallError {
    fn from(exceeded: Exceeded) -> CallError {
        CallError::Limit(exceeded)
    }
}

/// Calls `function` with evaluated arguments. `format` is the pre-split
/// template when Format's template is a literal.
///
/// Fails with [`CallError::Limit`] when the execution was stopped or is past
/// its deadline, and before building a result larger than the byte cap
/// (Array, Format, JsonMerge, StringSplit, ArrayPartition, JsonToString,
/// StringToJson copy or multiply their arguments).
pub(super) fn call(
    function: Function,
    args: Args<'_, '_>,
    format: Option<&[Piece]>,
) -> Result<Value, CallError> {
    let max_bytes = crate::json::budget::check_current()?;
    if copies_arguments(function) {
        let mut total: usize = 0;
        for a in args {
            total = total.saturating_add(approx_bytes(a, max_bytes.saturating_sub(total)));
            if total > max_bytes {
                return Err(CallError::Limit(Exceeded::Bytes(max_bytes)));
            }
        }
    }
    call_checked(function, args, format, max_bytes)
}

/// The functions whose result can be as large as all their arguments
/// together (or, for StringSplit, several times its string).
fn copies_arguments(function: Function) -> bool {
    matches!(
        function,
        Function::Array
            | Function::Format
            | Function::JsonMerge
            | Function::StringSplit
            | Function::ArrayPartition
            | Function::JsonToString
            | Function::StringToJson
    )
}

/// About how many bytes `value` takes in memory (its JSON text is
/// smaller), counting at most up to `cap` (past it, some number above
/// `cap`). Iterative: safe for any depth.
pub(crate) fn approx_bytes(value: &Value, cap: usize) -> usize {
    /// The size of one value slot.
    const SLOT: usize = std::mem::size_of::<Value>();
    let mut total = 0usize;
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        total = total.saturating_add(SLOT);
        match v {
            Value::String(s) => total = total.saturating_add(s.len()),
            Value::Array(items) => stack.extend(items.iter()),
            Value::Object(fields) => {
                for (k, v) in fields.iter() {
                    total = total.saturating_add(k.len() + SLOT);
                    stack.push(v);
                }
            }
            Value::Static(_) => {}
        }
        if total > cap {
            break;
        }
    }
    total
}

/// [`call`] once the budget checks passed.
fn call_checked(
    function: Function,
    args: Args<'_, '_>,
    format: Option<&[Piece]>,
    max_bytes: usize,
) -> Result<Value, CallError> {
    match function {
        Function::Format => Ok(format_fn(args, format)?),
        Function::StringToJson => {
            arity(args, 1, 1)?;
            let text = string_arg(args, 0)?;
            if text.trim().is_empty() {
                return Ok(Value::from(()));
            }
            Ok(crate::json::parse(text)
                .map_err(|e| format!("the string is not valid JSON ({e})"))?)
        }
        Function::JsonToString => {
            arity(args, 1, 1)?;
            Ok(Value::from(crate::json::to_string(arg(args, 0)?)))
        }
        Function::Array => Ok(Value::Array(Box::new(
            args.iter().map(|a| a.as_ref().clone()).collect(),
        ))),
        Function::ArrayPartition => {
            arity(args, 2, 2)?;
            let items = array_arg(args, 0)?;
            let size = int_arg(args, 1)?;
            if size < 1 {
                return Err(format!("the chunk size must be at least 1, got {size}").into());
            }
            let size = usize::try_from(size).unwrap_or(usize::MAX);
            Ok(Value::Array(Box::new(
                items
                    .chunks(size)
                    .map(|c| Value::Array(Box::new(c.to_vec())))
                    .collect(),
            )))
        }
        Function::ArrayContains => {
            arity(args, 2, 2)?;
            let items = array_arg(args, 0)?;
            let needle = arg(args, 1)?;
            Ok(Value::from(items.iter().any(|v| v == needle)))
        }
        Function::ArrayRange => Ok(array_range(args)?),
        Function::ArrayGetItem => {
            arity(args, 2, 2)?;
            let items = array_arg(args, 0)?;
            let index = int_arg(args, 1)?;
            Ok(usize::try_from(index)
                .ok()
                .and_then(|i| items.get(i))
                .cloned()
                .ok_or_else(|| {
                    format!(
                        "index {index} is out of bounds for an array of length {}",
                        items.len()
                    )
                })?)
        }
        Function::ArrayLength => {
            arity(args, 1, 1)?;
            Ok(Value::from(array_arg(args, 0)?.len() as u64))
        }
        Function::ArrayUnique => {
            arity(args, 1, 1)?;
            let items = array_arg(args, 0)?;
            Ok(Value::Array(Box::new(unique(items))))
        }
        Function::Base64Encode => {
            arity(args, 1, 1)?;
            let text = limited_string_arg(args, 0)?;
            Ok(Value::from(
                base64::engine::general_purpose::STANDARD.encode(text),
            ))
        }
        Function::Base64Decode => {
            arity(args, 1, 1)?;
            let text = limited_string_arg(args, 0)?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|e| format!("the string is not valid base64 ({e})"))?;
            Ok(String::from_utf8(bytes)
                .map(Value::from)
                .map_err(|_| "the decoded data is not valid UTF-8".to_owned())?)
        }
        Function::Hash => Ok(hash(args)?),
        Function::JsonMerge => {
            arity(args, 3, 3)?;
            let (Value::Object(a), Value::Object(b)) = (arg(args, 0)?, arg(args, 1)?) else {
                return Err("the first two arguments must be JSON objects"
                    .to_owned()
                    .into());
            };
            if arg(args, 2)? != &Value::from(false) {
                return Err(
                    "the deep merge flag must be false (deep merge is not supported)"
                        .to_owned()
                        .into(),
                );
            }
            let mut merged: Object = a.as_ref().clone();
            for (k, v) in b.iter() {
                merged.insert(k.clone(), v.clone());
            }
            Ok(Value::Object(Box::new(merged)))
        }
        Function::MathRandom => {
            arity(args, 2, 3)?;
            let start = int_arg(args, 0)?;
            let end = int_arg(args, 1)?;
            if start >= end {
                return Err(format!("the start {start} must be less than the end {end}").into());
            }
            let n = if args.len() == 3 {
                let seed = int_arg(args, 2)?;
                rand::rngs::StdRng::seed_from_u64(seed as u64).random_range(start..end)
            } else {
                rand::rng().random_range(start..end)
            };
            Ok(Value::from(n))
        }
        Function::MathAdd => {
            arity(args, 2, 2)?;
            let a = int32_arg(args, 0)?;
            let b = int32_arg(args, 1)?;
            Ok(Value::from(a + b))
        }
        Function::StringSplit => {
            arity(args, 2, 2)?;
            let text = string_arg(args, 0)?;
            let separators = string_arg(args, 1)?;
            // Each piece (at least one character) takes a value slot: at
            // most one per two characters of the text.
            let most = (text.len() / 2 + 1).saturating_mul(std::mem::size_of::<Value>() + 24);
            if text.len().saturating_add(most) > max_bytes {
                return Err(CallError::Limit(Exceeded::Bytes(max_bytes)));
            }
            Ok(Value::Array(Box::new(
                text.split(|c: char| separators.contains(c))
                    .filter(|piece| !piece.is_empty())
                    .map(Value::from)
                    .collect(),
            )))
        }
        Function::Uuid => {
            arity(args, 0, 0)?;
            Ok(Value::from(uuid::Uuid::new_v4().to_string()))
        }
    }
}

/// The items of `items` without repeats, first occurrences in order: in
/// linear time (items are bucketed by a hash consistent with JSON
/// equality, then compared within their bucket).
fn unique(items: &[Value]) -> Vec<Value> {
    let mut kept: Vec<Value> = Vec::new();
    let mut buckets: std::collections::HashMap<u64, Vec<usize>> =
        std::collections::HashMap::with_capacity(items.len());
    for item in items {
        let bucket = buckets.entry(equality_hash(item)).or_default();
        if !bucket.iter().any(|&i| kept[i] == *item) {
            bucket.push(kept.len());
            kept.push(item.clone());
        }
    }
    kept
}

/// A hash under which equal JSON values hash alike: numbers by their value
/// as a double (so `1` and `1.0` share a bucket; equality decides), objects
/// whatever their member order. Iterative over arrays; recursive over
/// object members (as deep as the value, which the engine bounds).
fn equality_hash(value: &Value) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Static(StaticNode::Null) => 0u8.hash(&mut h),
            Value::Static(StaticNode::Bool(b)) => (1u8, *b).hash(&mut h),
            Value::Static(_) => {
                let n = number(v).unwrap_or(0.0);
                let n = if n == 0.0 { 0.0 } else { n };
                (2u8, n.to_bits()).hash(&mut h);
            }
            Value::String(s) => (3u8, s.as_str()).hash(&mut h),
            Value::Array(items) => {
                (4u8, items.len()).hash(&mut h);
                stack.extend(items.iter());
            }
            Value::Object(fields) => {
                // Order-free: a sum of the members' own hashes.
                let sum = fields.iter().fold(0u64, |sum, (k, v)| {
                    let mut m = std::collections::hash_map::DefaultHasher::new();
                    k.hash(&mut m);
                    equality_hash(v).hash(&mut m);
                    sum.wrapping_add(m.finish())
                });
                (5u8, fields.len(), sum).hash(&mut h);
            }
        }
    }
    h.finish()
}

fn arity(args: Args<'_, '_>, min: usize, max: usize) -> Result<(), CallError> {
    if args.len() < min || args.len() > max {
        let expected = if min == max {
            format!("{min}")
        } else {
            format!("{min} to {max}")
        };
        return Err(CallError::Invalid(format!(
            "expected {expected} arguments, got {}",
            args.len()
        )));
    }
    Ok(())
}

fn arg<'a>(args: Args<'a, '_>, i: usize) -> Result<&'a Value, CallError> {
    args.get(i)
        .map(AsRef::as_ref)
        .ok_or_else(|| CallError::Invalid(format!("missing argument {}", i + 1)))
}

fn string_arg<'a>(args: Args<'a, '_>, i: usize) -> Result<&'a str, CallError> {
    match arg(args, i)? {
        Value::String(s) => Ok(s),
        other => Err(CallError::Invalid(format!(
            "argument {} must be a string, got {}",
            i + 1,
            type_name(other)
        ))),
    }
}

fn limited_string_arg<'a>(args: Args<'a, '_>, i: usize) -> Result<&'a str, CallError> {
    let s = string_arg(args, i)?;
    if s.chars().count() > MAX_INPUT_CHARS {
        return Err(CallError::Invalid(format!(
            "argument {} is longer than {MAX_INPUT_CHARS} characters",
            i + 1
        )));
    }
    Ok(s)
}

fn array_arg<'a>(args: Args<'a, '_>, i: usize) -> Result<&'a [Value], CallError> {
    match arg(args, i)? {
        Value::Array(a) => Ok(a),
        other => Err(CallError::Invalid(format!(
            "argument {} must be an array, got {}",
            i + 1,
            type_name(other)
        ))),
    }
}

/// A number as f64, if the value is one.
pub(crate) fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Static(StaticNode::I64(i)) => Some(*i as f64),
        Value::Static(StaticNode::U64(u)) => Some(*u as f64),
        Value::Static(StaticNode::F64(f)) => Some(*f),
        _ => None,
    }
}

/// Java's `Math.round`: half up.
fn java_round(f: f64) -> f64 {
    (f + 0.5).floor()
}

/// A number argument rounded to an integer.
fn int_arg(args: Args<'_, '_>, i: usize) -> Result<i64, CallError> {
    let value = arg(args, i)?;
    match value {
        Value::Static(StaticNode::I64(n)) => Ok(*n),
        Value::Static(StaticNode::U64(n)) => i64::try_from(*n)
            .map_err(|_| CallError::Invalid(format!("argument {} is out of range", i + 1))),
        _ => match number(value) {
            Some(f) if f.is_finite() && java_round(f).abs() < 9.2e18 => Ok(java_round(f) as i64),
            Some(_) => Err(CallError::Invalid(format!(
                "argument {} is out of range",
                i + 1
            ))),
            None => Err(CallError::Invalid(format!(
                "argument {} must be a number, got {}",
                i + 1,
                type_name(value)
            ))),
        },
    }
}

fn int32_arg(args: Args<'_, '_>, i: usize) -> Result<i64, CallError> {
    let n = int_arg(args, i)?;
    if i32::try_from(n).is_err() {
        return Err(CallError::Invalid(format!(
            "argument {} ({n}) is outside the 32-bit integer range",
            i + 1
        )));
    }
    Ok(n)
}

fn array_range(args: Args<'_, '_>) -> Result<Value, CallError> {
    arity(args, 3, 3)?;
    let first = i128::from(int_arg(args, 0)?);
    let last = i128::from(int_arg(args, 1)?);
    let step = i128::from(int_arg(args, 2)?);
    if step == 0 {
        return Err(CallError::Invalid("the step must not be 0".to_owned()));
    }
    let count = if (last - first) * step.signum() < 0 {
        0
    } else {
        (last - first) / step + 1
    };
    if count > MAX_RANGE_ITEMS {
        return Err(CallError::Invalid(format!(
            "the range has {count} items, more than {MAX_RANGE_ITEMS}"
        )));
    }
    Ok(Value::Array(Box::new(
        (0..count)
            .map(|k| Value::from((first + k * step) as i64))
            .collect(),
    )))
}

fn hash(args: Args<'_, '_>) -> Result<Value, CallError> {
    arity(args, 2, 2)?;
    let data = limited_string_arg(args, 0)?.as_bytes();
    let digest = match string_arg(args, 1)? {
        "MD5" => hex::encode(md5::Md5::digest(data)),
        "SHA-1" => hex::encode(sha1::Sha1::digest(data)),
        "SHA-256" => hex::encode(sha2::Sha256::digest(data)),
        "SHA-384" => hex::encode(sha2::Sha384::digest(data)),
        "SHA-512" => hex::encode(sha2::Sha512::digest(data)),
        other => {
            return Err(CallError::Invalid(format!(
                "unsupported hash algorithm '{other}' (expected MD5, SHA-1, SHA-256, SHA-384 or SHA-512)"
            )))
        }
    };
    Ok(Value::from(digest))
}

fn format_fn(args: Args<'_, '_>, pieces: Option<&[Piece]>) -> Result<Value, CallError> {
    let owned;
    let pieces = match pieces {
        Some(p) => p,
        None => {
            owned = split_template(string_arg(args, 0)?);
            &owned
        }
    };
    let values = args.get(1..).unwrap_or(&[]);
    let placeholders = pieces.iter().filter(|p| **p == Piece::Placeholder).count();
    if placeholders != values.len() {
        return Err(CallError::Invalid(format!(
            "the template has {placeholders} placeholders but {} arguments were given",
            values.len()
        )));
    }
    let mut out = String::new();
    let mut next = values.iter();
    for piece in pieces {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Placeholder => {
                if let Some(v) = next.next() {
                    java_display(&mut out, v);
                }
            }
        }
    }
    Ok(Value::from(out))
}

/// Splits a runtime (path-supplied) template: every `{}` is a placeholder.
fn split_template(text: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("{}") {
        if i > 0 {
            pieces.push(Piece::Text(rest.get(..i).unwrap_or("").to_owned()));
        }
        pieces.push(Piece::Placeholder);
        rest = rest.get(i + 2..).unwrap_or("");
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest.to_owned()));
    }
    pieces
}

/// Writes a value as AWS's Format shows it (Java `toString`): strings bare,
/// objects as `{k=v, …}`, arrays as `[a, …]`.
pub(crate) fn java_display(out: &mut String, value: &Value) {
    match value {
        Value::String(s) => out.push_str(s),
        Value::Static(StaticNode::F64(f)) => out.push_str(&java_double(*f)),
        Value::Static(StaticNode::I64(i)) => {
            let _ = write!(out, "{i}");
        }
        Value::Static(StaticNode::U64(u)) => {
            let _ = write!(out, "{u}");
        }
        Value::Static(StaticNode::Bool(b)) => {
            let _ = write!(out, "{b}");
        }
        Value::Static(StaticNode::Null) => out.push_str("null"),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                java_display(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(k);
                out.push('=');
                java_display(out, v);
            }
            out.push('}');
        }
    }
}

/// Java's `Double.toString`: `1.0`, `1.1`, `1.0E7`, `1.5E-5`.
pub(crate) fn java_double(f: f64) -> String {
    if !f.is_finite() {
        return if f.is_nan() {
            "NaN".to_owned()
        } else if f > 0.0 {
            "Infinity".to_owned()
        } else {
            "-Infinity".to_owned()
        };
    }
    let abs = f.abs();
    if abs == 0.0 || (1e-3..1e7).contains(&abs) {
        let s = format!("{f}");
        if s.contains('.') {
            s
        } else {
            format!("{s}.0")
        }
    } else {
        let s = format!("{f:e}");
        let (mantissa, exponent) = s.split_once('e').unwrap_or((&s, "0"));
        if mantissa.contains('.') {
            format!("{mantissa}E{exponent}")
        } else {
            format!("{mantissa}.0E{exponent}")
        }
    }
}

/// A short JSON type name for messages.
pub(crate) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::String(_) => "a string",
        Value::Static(StaticNode::Null) => "null",
        Value::Static(StaticNode::Bool(_)) => "a boolean",
        Value::Static(_) => "a number",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
