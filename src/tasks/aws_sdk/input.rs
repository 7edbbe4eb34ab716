//! A Task's parameters as an API request: field names mapped to the model's
//! members, values checked against their shapes.
//!
//! Step Functions rules (AWS guide `supported-services-awssdk.html` and the
//! AWS-recorded histories of LocalStack's SDK integration tests):
//! - fields are written in PascalCase (the Java getter names, see
//!   [`super::names::field`]); the model's own member name is accepted too,
//!   and any other field fails the Task with `States.Runtime` (AWS rejects it
//!   when the definition is created);
//! - a `null` field is left out;
//! - a string member given another JSON value gets its JSON text
//!   (`"Input": {"key": "value"}` for `sfn:startExecution`);
//! - a blob member gets the JSON text of its value as bytes: a string is
//!   quoted (`"Body": "text data"` stores `"text data"`, with quotes, in S3),
//!   an object, array, number or boolean is its compact JSON;
//! - a timestamp member takes epoch seconds or ISO-8601 text;
//! - a member the SDKs fill with an idempotency token gets a UUID when
//!   absent.
//!
//! The optimized form ([`Form::Optimized`]) differs in two points: a
//! top-level field the API does not have is dropped (AWS's recorded
//! histories show an unsupported `MessageSystemAttribute` left out of an
//! `sqs:sendMessage` call), and a blob given as a string is its base64 text
//! (DynamoDB `{"B": "AQID"}`, SQS `BinaryValue`, as `connect-ddb.html`
//! writes them).
//!
//! The request tree uses member names as keys; blobs are held as base64 text
//! and timestamps as epoch seconds until a protocol writes them.

use base64::Engine as _;
use simd_json::prelude::*;

use super::model::{MemberRef, ServiceModel, Shape};
use super::names;
use super::time;
use super::Form;
use crate::errors::ExecError;
use crate::json::{Object, Value};

/// Reads `input` as the request of `api` (`s3:putObject`), whose input shape
/// is `input_ref` (`None`: the operation takes no input).
///
/// # Errors
/// `States.Runtime` for input that is not an object, an unknown field or a
/// value of the wrong JSON type.
pub(crate) fn request(
    model: &ServiceModel,
    api: &str,
    input_ref: Option<&MemberRef>,
    input: &Value,
    form: Form,
) -> Result<Value, ExecError> {
    let Some(obj) = input.as_object() else {
        return Err(ExecError::runtime(format!(
            "The parameters of {api} must be a JSON object, but were: {}",
            crate::json::to_string(input)
        )));
    };
    let Some(r) = input_ref else {
        if let Some(k) = obj.keys().next() {
            return Err(ExecError::runtime(format!(
                "The field \"{k}\" is not supported by Step Functions (API {api} takes no parameters)"
            )));
        }
        return Ok(Value::from(Object::new()));
    };
    let reader = Reader { model, api, form };
    reader.value(r, input, "")
}

struct Reader<'a> {
    model: &'a ServiceModel,
    api: &'a str,
    form: Form,
}

impl Reader<'_> {
    fn shape(&self, name: &str) -> Result<&Shape, ExecError> {
        self.model.shape(name).ok_or_else(|| {
            ExecError::runtime(format!("the model of {} lacks shape {name}", self.api))
        })
    }

    fn invalid(&self, path: &str, expected: &str, v: &Value) -> ExecError {
        ExecError::runtime(format!(
            "Invalid value for parameter {} of {}: expected {expected}, got {}",
            if path.is_empty() {
                "(the parameters)"
            } else {
                path
            },
            self.api,
            crate::json::to_string(v)
        ))
    }

    fn value(&self, r: &MemberRef, v: &Value, path: &str) -> Result<Value, ExecError> {
        let shape = self.shape(&r.shape)?;
        if shape.document {
            return Ok(v.clone());
        }
        match shape.kind.as_str() {
            "structure" => self.structure(shape, v, path),
            "list" => {
                let Some(items) = v.as_array() else {
                    return Err(self.invalid(path, "an array", v));
                };
                let member = shape
                    .member
                    .as_ref()
                    .ok_or_else(|| self.invalid(path, "a list", v))?;
                let out = items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| self.value(member, item, &format!("{path}[{i}]")))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Value::Array(Box::new(out)))
            }
            "map" => {
                let Some(o) = v.as_object() else {
                    return Err(self.invalid(path, "an object", v));
                };
                let value = shape
                    .value
                    .as_ref()
                    .ok_or_else(|| self.invalid(path, "a map", v))?;
                let mut out = Object::with_capacity(o.len());
                for (k, item) in o.iter() {
                    if item.is_null() {
                        continue;
                    }
                    out.insert(k.clone(), self.value(value, item, &format!("{path}.{k}"))?);
                }
                Ok(Value::from(out))
            }
            "string" => Ok(match v.as_str() {
                Some(_) => v.clone(),
                None => Value::from(crate::json::to_string(v)),
            }),
            "integer" | "long" | "short" | "byte" => match (v.as_i64(), v.cast_f64()) {
                (Some(n), _) => Ok(Value::from(n)),
                (None, Some(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => {
                    Ok(Value::from(f as i64))
                }
                _ => Err(self.invalid(path, "an integer", v)),
            },
            "float" | "double" => v
                .cast_f64()
                .map(Value::from)
                .ok_or_else(|| self.invalid(path, "a number", v)),
            "boolean" => v
                .as_bool()
                .map(Value::from)
                .ok_or_else(|| self.invalid(path, "a boolean", v)),
            "timestamp" => match (v.cast_f64(), v.as_str()) {
                (Some(n), _) => Ok(Value::from(n)),
                (None, Some(s)) => time::parse_text(s).map(Value::from).ok_or_else(|| {
                    self.invalid(path, "a timestamp (epoch seconds or ISO-8601)", v)
                }),
                _ => Err(self.invalid(path, "a timestamp (epoch seconds or ISO-8601)", v)),
            },
            "blob" if self.form == Form::Optimized && v.is_str() => {
                let text = v.as_str().unwrap_or_default();
                base64::engine::general_purpose::STANDARD
                    .decode(text)
                    .map(|_| v.clone())
                    .map_err(|_| self.invalid(path, "a base64 string", v))
            }
            "blob" => {
                let text = crate::json::to_string(v);
                Ok(Value::from(
                    base64::engine::general_purpose::STANDARD.encode(text.as_bytes()),
                ))
            }
            other => Err(ExecError::runtime(format!(
                "parameter {path} of {} has the unsupported type {other}",
                self.api
            ))),
        }
    }

    fn structure(&self, shape: &Shape, v: &Value, path: &str) -> Result<Value, ExecError> {
        let Some(o) = v.as_object() else {
            return Err(self.invalid(path, "an object", v));
        };
        let mut out = Object::with_capacity(o.len());
        for (k, item) in o.iter() {
            if item.is_null() {
                continue;
            }
            let Some((name, member)) = find_member(shape, k) else {
                if self.form == Form::Optimized && path.is_empty() {
                    continue;
                }
                let fields: Vec<String> =
                    shape.members.iter().map(|(m, _)| names::field(m)).collect();
                return Err(ExecError::runtime(format!(
                    "The field \"{k}\"{} is not supported by Step Functions (API {}; fields: {})",
                    if path.is_empty() {
                        String::new()
                    } else {
                        format!(" in {path}")
                    },
                    self.api,
                    fields.join(", ")
                )));
            };
            let child = if path.is_empty() {
                k.to_string()
            } else {
                format!("{path}.{k}")
            };
            out.insert(name.into(), self.value(member, item, &child)?);
        }
        for (name, member) in &shape.members {
            if member.idempotency_token && !out.contains_key(name.as_str()) {
                out.insert(name.clone(), Value::from(uuid::Uuid::new_v4().to_string()));
            }
        }
        Ok(Value::from(out))
    }
}

/// The member a field `key` names: the model's name, the Step Functions
/// (Java getter) name, or either compared loosely.
pub(crate) fn find_member<'s>(shape: &'s Shape, key: &str) -> Option<(&'s str, &'s MemberRef)> {
    let exact = shape
        .members
        .iter()
        .find(|(m, _)| m == key || names::field(m) == key);
    let found = exact.or_else(|| {
        let k = names::loose(key);
        shape.members.iter().find(|(m, _)| names::loose(m) == k)
    });
    found.map(|(m, r)| (m.as_str(), r))
}
