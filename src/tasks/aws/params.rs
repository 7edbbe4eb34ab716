//! Reading a Task's effective input as an AWS API request: the PascalCase
//! fields AWS names, each with the JSON type the API expects.
//!
//! Step Functions passes the fields the optimized integration supports and
//! drops the rest (AWS's recorded histories show an unsupported
//! `MessageSystemAttribute` left out of an `sqs:sendMessage` call); the AWS
//! SDK integration accepts only the API's own fields, and AWS rejects any
//! other when it validates the definition ("The field … is not supported by
//! Step Functions"). Here that check happens when the Task runs.

use std::borrow::Cow;
use std::collections::HashMap;

use simd_json::prelude::*;

use crate::errors::{names, ExecError};
use crate::json::{Object, Value};

/// The effective input of one integration Task, read field by field.
pub(crate) struct Params<'a> {
    obj: &'a Object,
}

impl<'a> Params<'a> {
    /// Reads `input`, which must be an object (fields the integration does
    /// not read are dropped, as the optimized integrations do).
    ///
    /// # Errors
    /// `States.Runtime` when `input` is not an object.
    pub(crate) fn new(input: &'a Value, api: &str) -> Result<Self, ExecError> {
        let Some(obj) = input.as_object() else {
            return Err(ExecError::runtime(format!(
                "The parameters of {api} must be a JSON object, but were: {}",
                crate::json::to_string(input)
            )));
        };
        Ok(Params { obj })
    }

    /// The raw value of `key`, when present and not `null`.
    pub(crate) fn get(&self, key: &str) -> Option<&'a Value> {
        self.obj.get(key).filter(|v| !v.is_null())
    }

    /// A string field.
    ///
    /// # Errors
    /// `States.Runtime` when present but not a string.
    pub(crate) fn str(&self, key: &str) -> Result<Option<&'a str>, ExecError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_str()
                .map(Some)
                .ok_or_else(|| invalid(key, "a string", v)),
        }
    }

    /// A string field that Step Functions serializes as JSON text when it is
    /// given any other JSON value (SQS `MessageBody`, SNS `Message`,
    /// EventBridge `Detail`).
    pub(crate) fn text(&self, key: &str) -> Option<Cow<'a, str>> {
        self.get(key).map(json_text)
    }

    /// An integer field (`DelaySeconds`).
    ///
    /// # Errors
    /// `States.Runtime` when present but not an integer in `i32`.
    pub(crate) fn i32(&self, key: &str) -> Result<Option<i32>, ExecError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_i64()
                .and_then(|n| i32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| invalid(key, "an integer", v)),
        }
    }

    /// A boolean field.
    ///
    /// # Errors
    /// `States.Runtime` when present but not a boolean.
    pub(crate) fn bool(&self, key: &str) -> Result<Option<bool>, ExecError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_bool()
                .map(Some)
                .ok_or_else(|| invalid(key, "a boolean", v)),
        }
    }

    /// An object field.
    ///
    /// # Errors
    /// `States.Runtime` when present but not an object.
    pub(crate) fn object(&self, key: &str) -> Result<Option<&'a Object>, ExecError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_object()
                .map(Some)
                .ok_or_else(|| invalid(key, "an object", v)),
        }
    }

    /// An array field.
    ///
    /// # Errors
    /// `States.Runtime` when present but not an array.
    pub(crate) fn array(&self, key: &str) -> Result<Option<&'a [Value]>, ExecError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_array()
                .map(|a| Some(a.as_slice()))
                .ok_or_else(|| invalid(key, "an array", v)),
        }
    }

    /// An array of strings (`AttributesToGet`, `Resources`).
    ///
    /// # Errors
    /// `States.Runtime` when present but not an array of strings.
    pub(crate) fn strings(&self, key: &str) -> Result<Option<Vec<String>>, ExecError> {
        match self.array(key)? {
            None => Ok(None),
            Some(items) => strings(key, items).map(Some),
        }
    }

    /// An object of strings (`ExpressionAttributeNames`).
    ///
    /// # Errors
    /// `States.Runtime` when present but not an object of strings.
    pub(crate) fn string_map(
        &self,
        key: &str,
    ) -> Result<Option<HashMap<String, String>>, ExecError> {
        let Some(obj) = self.object(key)? else {
            return Ok(None);
        };
        obj.iter()
            .map(|(k, v)| match v.as_str() {
                Some(s) => Ok((k.to_string(), s.to_owned())),
                None => Err(invalid(&format!("{key}.{k}"), "a string", v)),
            })
            .collect::<Result<HashMap<_, _>, _>>()
            .map(Some)
    }
}

/// `value` as a string: itself when it is one, else its compact JSON text.
pub(crate) fn json_text(value: &Value) -> Cow<'_, str> {
    match value.as_str() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(crate::json::to_string(value)),
    }
}

/// Each item of `items` as a string.
///
/// # Errors
/// `States.Runtime` naming `key` when an item is not a string.
pub(crate) fn strings(key: &str, items: &[Value]) -> Result<Vec<String>, ExecError> {
    items
        .iter()
        .map(|v| {
            v.as_str()
                .map(str::to_owned)
                .ok_or_else(|| invalid(key, "an array of strings", v))
        })
        .collect()
}

/// The error for a field of the wrong JSON type: `States.Runtime` (the
/// request cannot be built; retrying cannot help).
pub(crate) fn invalid(key: &str, expected: &str, got: &Value) -> ExecError {
    ExecError::new(
        names::RUNTIME,
        format!(
            "The field \"{key}\" must be {expected}, but was: {}",
            crate::json::to_string(got)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Value {
        crate::json::parse(s).unwrap()
    }

    #[test]
    fn typed_fields_and_extra_fields_dropped() {
        let input = v(r#"{"QueueUrl":"q","DelaySeconds":5,"MessageBody":{"a":1},"Extra":true}"#);
        let p = Params::new(&input, "sqs:sendMessage").unwrap();
        assert_eq!(p.str("QueueUrl").unwrap(), Some("q"));
        assert_eq!(p.i32("DelaySeconds").unwrap(), Some(5));
        assert_eq!(p.text("MessageBody").as_deref(), Some(r#"{"a":1}"#));
        let e = p.str("DelaySeconds").unwrap_err();
        assert_eq!(e.error, names::RUNTIME);
        assert!(
            e.cause.contains("\"DelaySeconds\" must be a string"),
            "{}",
            e.cause
        );
        assert!(Params::new(&v("[1]"), "x").is_err());
    }
}
