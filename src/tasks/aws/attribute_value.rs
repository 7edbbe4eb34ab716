//! DynamoDB AttributeValue JSON, both ways: `{"S":"x"}`, `{"N":"1"}`,
//! `{"B":"<base64>"}`, `{"SS":[…]}`, `{"NS":[…]}`, `{"BS":[…]}`,
//! `{"M":{…}}`, `{"L":[…]}`, `{"NULL":true}`, `{"BOOL":false}`.
//!
//! This is the shape Step Functions' DynamoDB integrations take in `Key`,
//! `Item` and `ExpressionAttributeValues` and give back in `Item` and
//! `Attributes` (AWS developer guide `connect-ddb.html`; DynamoDB API
//! reference `API_AttributeValue.html`). A number may be given as a JSON
//! number as well as a string; it is sent as its decimal text.

use std::collections::HashMap;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine as _;
use simd_json::prelude::*;

use super::params::invalid;
use crate::errors::ExecError;
use crate::json::{Object, Value};

/// DynamoDB's limit on nested documents (API reference, "Data types":
/// 32 levels).
const MAX_DEPTH: usize = 32;

/// An attribute map (`Item`, `Key`, `ExpressionAttributeValues`) from JSON.
///
/// # Errors
/// `States.Runtime` naming the field (`field.attr`) when a value is not
/// AttributeValue JSON.
pub(crate) fn to_item(
    field: &str,
    obj: &Object,
) -> Result<HashMap<String, AttributeValue>, ExecError> {
    obj.iter()
        .map(|(k, v)| Ok((k.to_string(), to_attribute(&format!("{field}.{k}"), v, 0)?)))
        .collect()
}

/// One AttributeValue from its JSON form.
///
/// # Errors
/// `States.Runtime` naming `field` when `value` is not an object with exactly
/// one known type key holding the right JSON type, or nests deeper than 32.
pub(crate) fn to_attribute(
    field: &str,
    value: &Value,
    depth: usize,
) -> Result<AttributeValue, ExecError> {
    const EXPECTED: &str =
        "an AttributeValue object with one of S, N, B, SS, NS, BS, M, L, NULL, BOOL";
    if depth > MAX_DEPTH {
        return Err(ExecError::runtime(format!(
            "The field \"{field}\" nests deeper than DynamoDB's {MAX_DEPTH} levels"
        )));
    }
    let Some(obj) = value.as_object().filter(|o| o.len() == 1) else {
        return Err(invalid(field, EXPECTED, value));
    };
    let Some((kind, inner)) = obj.iter().next() else {
        return Err(invalid(field, EXPECTED, value));
    };
    let field_kind = || format!("{field}.{kind}");
    let out = match kind.as_str() {
        "S" => inner.as_str().map(|s| AttributeValue::S(s.to_owned())),
        "N" => number(inner).map(AttributeValue::N),
        "B" => inner.as_str().and_then(blob).map(AttributeValue::B),
        "BOOL" => inner.as_bool().map(AttributeValue::Bool),
        "NULL" => inner.as_bool().map(AttributeValue::Null),
        "SS" => inner
            .as_array()
            .and_then(|a| a.iter().map(|v| v.as_str().map(str::to_owned)).collect())
            .map(AttributeValue::Ss),
        "NS" => inner
            .as_array()
            .and_then(|a| a.iter().map(number).collect())
            .map(AttributeValue::Ns),
        "BS" => inner
            .as_array()
            .and_then(|a| a.iter().map(|v| v.as_str().and_then(blob)).collect())
            .map(AttributeValue::Bs),
        "M" => match inner.as_object() {
            Some(m) => {
                let mut out = HashMap::with_capacity(m.len());
                for (k, v) in m.iter() {
                    out.insert(
                        k.to_string(),
                        to_attribute(&format!("{field}.M.{k}"), v, depth + 1)?,
                    );
                }
                Some(AttributeValue::M(out))
            }
            None => None,
        },
        "L" => match inner.as_array() {
            Some(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, v) in items.iter().enumerate() {
                    out.push(to_attribute(&format!("{field}.L[{i}]"), v, depth + 1)?);
                }
                Some(AttributeValue::L(out))
            }
            None => None,
        },
        _ => return Err(invalid(field, EXPECTED, value)),
    };
    out.ok_or_else(|| invalid(&field_kind(), type_of(kind), inner))
}

/// The JSON type each AttributeValue key holds, for error messages.
fn type_of(kind: &str) -> &'static str {
    match kind {
        "S" | "N" => "a string",
        "B" => "a base64 string",
        "BOOL" | "NULL" => "a boolean",
        "SS" | "NS" => "an array of strings",
        "BS" => "an array of base64 strings",
        "M" => "an object",
        _ => "an array",
    }
}

/// A number's decimal text, from a string or a JSON number.
fn number(v: &Value) -> Option<String> {
    match v.as_str() {
        Some(s) => Some(s.to_owned()),
        None if v.is_number() => Some(crate::json::to_string(v)),
        None => None,
    }
}

/// Standard base64 with padding, as AWS's JSON protocols carry binary.
fn blob(s: &str) -> Option<Blob> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .ok()
        .map(Blob::new)
}

/// An attribute map as JSON, keys sorted (DynamoDB returns no order).
pub(crate) fn from_item(item: &HashMap<String, AttributeValue>) -> Value {
    let mut keys: Vec<&String> = item.keys().collect();
    keys.sort_unstable();
    let mut out = Object::with_capacity(keys.len());
    for k in keys {
        if let Some(v) = item.get(k) {
            out.insert(k.clone(), from_attribute(v));
        }
    }
    Value::from(out)
}

/// One AttributeValue as JSON.
pub(crate) fn from_attribute(value: &AttributeValue) -> Value {
    let b64 = |b: &Blob| Value::from(base64::engine::general_purpose::STANDARD.encode(b.as_ref()));
    let strings = |v: &[String]| {
        Value::from(
            v.iter()
                .map(|s| Value::from(s.as_str()))
                .collect::<Vec<_>>(),
        )
    };
    let (kind, inner) = match value {
        AttributeValue::S(s) => ("S", Value::from(s.as_str())),
        AttributeValue::N(n) => ("N", Value::from(n.as_str())),
        AttributeValue::B(b) => ("B", b64(b)),
        AttributeValue::Bool(b) => ("BOOL", Value::from(*b)),
        AttributeValue::Null(b) => ("NULL", Value::from(*b)),
        AttributeValue::Ss(v) => ("SS", strings(v)),
        AttributeValue::Ns(v) => ("NS", strings(v)),
        AttributeValue::Bs(v) => ("BS", Value::from(v.iter().map(b64).collect::<Vec<_>>())),
        AttributeValue::M(m) => ("M", from_item(m)),
        AttributeValue::L(l) => (
            "L",
            Value::from(l.iter().map(from_attribute).collect::<Vec<_>>()),
        ),
        _ => return Value::from(Object::new()),
    };
    let mut out = Object::with_capacity(1);
    out.insert(kind.into(), inner);
    Value::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errors::names;

    fn v(s: &str) -> Value {
        crate::json::parse(s).unwrap()
    }

    #[test]
    fn every_type_round_trips() {
        let json = r#"{"b":{"B":"AQID"},"bool":{"BOOL":true},"bs":{"BS":["AQ=="]},"l":{"L":[{"S":"x"},{"N":"2"}]},"m":{"M":{"inner":{"NULL":true}}},"n":{"N":"1.5"},"ns":{"NS":["1","2"]},"s":{"S":"hello"},"ss":{"SS":["a","b"]}}"#;
        let item = to_item("Item", v(json).as_object().unwrap()).unwrap();
        assert_eq!(
            item.get("b"),
            Some(&AttributeValue::B(Blob::new(vec![1, 2, 3])))
        );
        assert_eq!(item.get("n"), Some(&AttributeValue::N("1.5".into())));
        assert_eq!(crate::json::to_string(&from_item(&item)), json);
    }

    #[test]
    fn json_numbers_become_number_text() {
        let a = to_attribute("K", &v(r#"{"N":42}"#), 0).unwrap();
        assert_eq!(a, AttributeValue::N("42".into()));
        let a = to_attribute("K", &v(r#"{"NS":[1,"2.5"]}"#), 0).unwrap();
        assert_eq!(a, AttributeValue::Ns(vec!["1".into(), "2.5".into()]));
    }

    #[test]
    fn invalid_values_name_the_field() {
        for (json, field) in [
            (r#"{"S":1}"#, "\"Key.id.S\""),
            (r#"{"X":"a"}"#, "\"Key.id\""),
            (r#"{"S":"a","N":"1"}"#, "\"Key.id\""),
            (r#""plain""#, "\"Key.id\""),
            (r#"{"B":"not base64!"}"#, "\"Key.id.B\""),
            (r#"{"M":{"a":{"BOOL":"yes"}}}"#, "\"Key.id.M.a.BOOL\""),
        ] {
            let e = to_attribute("Key.id", &v(json), 0).unwrap_err();
            assert_eq!(e.error, names::RUNTIME);
            assert!(e.cause.contains(field), "{json}: {}", e.cause);
        }
    }

    #[test]
    fn nesting_is_bounded() {
        let mut json = String::from(r#"{"S":"x"}"#);
        for _ in 0..40 {
            json = format!(r#"{{"L":[{json}]}}"#);
        }
        let e = to_attribute("Item.deep", &v(&json), 0).unwrap_err();
        assert!(e.cause.contains("32 levels"), "{}", e.cause);
    }
}
