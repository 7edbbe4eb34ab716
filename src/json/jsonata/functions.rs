//! The functions Step Functions adds to JSONata: `$partition`, `$range`,
//! `$hash`, `$random([seed])`, `$uuid` and `$parse`; and `$eval`, which
//! Step Functions removes.
//!
//! Source: AWS Step Functions developer guide, "Transforming data with
//! JSONata", section "JSONata functions provided by Step Functions".

use jsonata_core::evaluator::{Evaluator, EvaluatorError, HostFnResult};
use jsonata_core::value::JValue;
use md5::Digest;
use rand::{Rng, SeedableRng};

use super::convert::to_jsonata;

/// The most items `$range` may produce (the same cap as `States.ArrayRange`).
pub(crate) const MAX_RANGE_ITEMS: usize = 1000;

/// A host function as the library calls it.
type HostFn = fn(&[JValue]) -> HostFnResult;

/// Step Functions' functions by name (without the `$`), with whether they
/// replace a JSONata built-in of the same name.
const FUNCTIONS: [(&str, HostFn, bool); 7] = [
    ("partition", partition, false),
    ("range", range, false),
    ("hash", hash, false),
    ("random", random, true),
    ("uuid", uuid, false),
    ("parse", parse, false),
    ("eval", eval, true),
];

/// The names of every function this module registers (without the `$`).
pub(crate) fn names() -> impl Iterator<Item = &'static str> {
    FUNCTIONS.iter().map(|(name, _, _)| *name)
}

/// Registers the functions in `wanted` (names without the `$`) on `ev`.
///
/// # Errors
/// The library refused a registration (a name clash it does not allow;
/// never the case for this fixed set, but reported rather than ignored).
pub(crate) fn register<'a>(
    ev: &mut Evaluator,
    wanted: impl IntoIterator<Item = &'a str>,
) -> Result<(), EvaluatorError> {
    for name in wanted {
        if let Some((name, f, overrides)) = FUNCTIONS.iter().find(|(n, _, _)| *n == name) {
            if *overrides {
                ev.register_fn_override(*name, *f)?;
            } else {
                ev.register_fn(*name, *f)?;
            }
        }
    }
    Ok(())
}

fn error(message: String) -> EvaluatorError {
    EvaluatorError::EvaluationError(message)
}

/// An argument that must be an integer (a number with no fraction).
fn integer(
    args: &[JValue],
    index: usize,
    function: &str,
    what: &str,
) -> Result<i64, EvaluatorError> {
    match args.get(index) {
        Some(JValue::Number(n)) if n.fract() == 0.0 && n.abs() < 9.0e15 => Ok(*n as i64),
        _ => Err(error(format!(
            "The {what} argument of ${function} must be an integer"
        ))),
    }
}

fn string<'a>(
    args: &'a [JValue],
    index: usize,
    function: &str,
    what: &str,
) -> Result<&'a str, EvaluatorError> {
    args.get(index).and_then(JValue::as_str).ok_or_else(|| {
        error(format!(
            "The {what} argument of ${function} must be a string"
        ))
    })
}

/// `$partition(array, size)`: the array cut into chunks of `size` items, the
/// last one possibly shorter. A non-array first argument is a one-item array.
fn partition(args: &[JValue]) -> HostFnResult {
    let items: Vec<JValue> = match args.first() {
        Some(JValue::Array(items)) => items.to_vec(),
        Some(JValue::Undefined) | None => {
            return Err(error(
                "The first argument of $partition must be an array".to_owned(),
            ))
        }
        Some(other) => vec![other.clone()],
    };
    let size = integer(args, 1, "partition", "second")?;
    let size = usize::try_from(size)
        .ok()
        .filter(|s| *s > 0)
        .ok_or_else(|| {
            error("The chunk size of $partition must be a positive integer".to_owned())
        })?;
    Ok(JValue::array(
        items
            .chunks(size)
            .map(|chunk| JValue::array(chunk.to_vec()))
            .collect(),
    ))
}

/// `$range(start, end, step)`: the integers from `start` towards `end`
/// (inclusive) by `step`. Like any JSONata sequence, a one-item result is
/// that item.
fn range(args: &[JValue]) -> HostFnResult {
    let start = integer(args, 0, "range", "first")?;
    let end = integer(args, 1, "range", "second")?;
    let step = integer(args, 2, "range", "third")?;
    if step == 0 {
        return Err(error("The step of $range must not be zero".to_owned()));
    }
    let mut items = Vec::new();
    let mut current = start;
    while (step > 0 && current <= end) || (step < 0 && current >= end) {
        if items.len() == MAX_RANGE_ITEMS {
            return Err(error(format!(
                "$range cannot produce more than {MAX_RANGE_ITEMS} items"
            )));
        }
        items.push(JValue::Number(current as f64));
        current += step;
    }
    Ok(JValue::sequence(items))
}

/// `$hash(data, algorithm)`: the lowercase hex digest of the string's UTF-8
/// bytes with MD5, SHA-1, SHA-256, SHA-384 or SHA-512.
fn hash(args: &[JValue]) -> HostFnResult {
    let data = string(args, 0, "hash", "first")?.as_bytes();
    let algorithm = string(args, 1, "hash", "second")?;
    let digest = match algorithm {
        "MD5" => hex::encode(md5::Md5::digest(data)),
        "SHA-1" => hex::encode(sha1::Sha1::digest(data)),
        "SHA-256" => hex::encode(sha2::Sha256::digest(data)),
        "SHA-384" => hex::encode(sha2::Sha384::digest(data)),
        "SHA-512" => hex::encode(sha2::Sha512::digest(data)),
        other => {
            return Err(error(format!(
                "The hashing algorithm '{other}' of $hash is not supported; use one of MD5, SHA-1, SHA-256, SHA-384, SHA-512"
            )))
        }
    };
    Ok(JValue::string(digest))
}

/// `$random([seed])`: a number in `[0, 1)`; the same integer seed always
/// gives the same number.
fn random(args: &[JValue]) -> HostFnResult {
    let value: f64 = match args.first() {
        None | Some(JValue::Undefined) => rand::rng().random(),
        Some(JValue::Number(n)) if n.is_finite() => {
            rand::rngs::StdRng::seed_from_u64(*n as i64 as u64).random()
        }
        Some(_) => return Err(error("The seed of $random must be a number".to_owned())),
    };
    Ok(JValue::Number(value))
}

/// `$uuid()`: a random version 4 UUID, lowercase.
fn uuid(_args: &[JValue]) -> HostFnResult {
    Ok(JValue::string(uuid::Uuid::new_v4().to_string()))
}

/// `$parse(jsonString)`: the JSON value the string holds.
fn parse(args: &[JValue]) -> HostFnResult {
    let text = string(args, 0, "parse", "first")?;
    let value = crate::json::parse(text)
        .map_err(|e| error(format!("The argument of $parse is not valid JSON: {e}")))?;
    Ok(to_jsonata(&value))
}

/// `$eval` is not available in Step Functions: calling it fails as calling
/// any unbound name does.
fn eval(_args: &[JValue]) -> HostFnResult {
    Err(error(
        "T1006: Attempted to invoke a non-function".to_owned(),
    ))
}
