//! JSON bodies: the `json` protocol (awsJson1_0 / awsJson1_1) and the bodies
//! of `rest-json`.
//!
//! Request: `POST /`, `X-Amz-Target: <targetPrefix>.<Operation>`,
//! `Content-Type: application/x-amz-json-<jsonVersion>`, the members under
//! their wire names; blobs base64, timestamps epoch seconds unless the model
//! says otherwise.
//!
//! Sources: Smithy "AWS JSON 1.0/1.1 protocol" and "AWS restJson1 protocol"
//! specifications.

use simd_json::prelude::*;

use super::model::{MemberRef, Operation, ServiceModel};
use super::names;
use super::time;
use super::wire::WireRequest;
use crate::json::{Object, Value};

/// The `json` protocol request for `op` (`name`) with request tree `input`.
pub(crate) fn request(
    model: &ServiceModel,
    name: &str,
    op: &Operation,
    input: &Value,
) -> WireRequest {
    let body = match &op.input {
        Some(r) => to_wire(model, r, input),
        None => Value::from(Object::new()),
    };
    let version = model.metadata.json_version.as_deref().unwrap_or("1.0");
    let target = match &model.metadata.target_prefix {
        Some(p) => format!("{p}.{name}"),
        None => name.to_owned(),
    };
    let mut headers = vec![
        (
            "content-type".to_owned(),
            format!("application/x-amz-json-{version}"),
        ),
        ("x-amz-target".to_owned(), target),
    ];
    if model.metadata.aws_query_compatible.is_some() {
        headers.push(("x-amzn-query-mode".to_owned(), "true".to_owned()));
    }
    WireRequest {
        method: "POST".to_owned(),
        path: "/".to_owned(),
        headers,
        body: crate::json::to_string(&body).into_bytes(),
        ..WireRequest::default()
    }
}

/// The request tree `v` of shape `r` as JSON on the wire.
pub(crate) fn to_wire(model: &ServiceModel, r: &MemberRef, v: &Value) -> Value {
    let Some(shape) = model.shape(&r.shape) else {
        return v.clone();
    };
    if shape.document {
        return v.clone();
    }
    match shape.kind.as_str() {
        "structure" => {
            let Some(o) = v.as_object() else {
                return v.clone();
            };
            let mut out = Object::with_capacity(o.len());
            for (m, mr) in &shape.members {
                if mr.location.is_some() {
                    continue;
                }
                if let Some(x) = o.get(m.as_str()) {
                    out.insert(mr.wire_name(m).to_owned(), to_wire(model, mr, x));
                }
            }
            Value::from(out)
        }
        "list" => match (v.as_array(), &shape.member) {
            (Some(a), Some(item)) => Value::Array(Box::new(
                a.iter().map(|x| to_wire(model, item, x)).collect(),
            )),
            _ => v.clone(),
        },
        "map" => match (v.as_object(), &shape.value) {
            (Some(o), Some(val)) => {
                let mut out = Object::with_capacity(o.len());
                for (k, x) in o.iter() {
                    out.insert(k.clone(), to_wire(model, val, x));
                }
                Value::from(out)
            }
            _ => v.clone(),
        },
        "timestamp" => {
            let secs = v.cast_f64().unwrap_or_default();
            match r
                .timestamp_format
                .as_deref()
                .or(shape.timestamp_format.as_deref())
            {
                Some(f @ ("iso8601" | "rfc822")) => Value::from(time::wire_text(secs, f)),
                _ => Value::from(secs),
            }
        }
        _ => v.clone(),
    }
}

/// A JSON response value of shape `r` as the result tree: Step Functions
/// field names, timestamps as ISO-8601 text, blobs as base64 text.
pub(crate) fn read(model: &ServiceModel, r: &MemberRef, v: &Value) -> Value {
    let Some(shape) = model.shape(&r.shape) else {
        return v.clone();
    };
    if shape.document {
        return v.clone();
    }
    match shape.kind.as_str() {
        "structure" => {
            let Some(o) = v.as_object() else {
                return v.clone();
            };
            let mut out = Object::with_capacity(o.len());
            for (m, mr) in &shape.members {
                if mr.location.is_some() {
                    continue;
                }
                if let Some(x) = o.get(mr.wire_name(m)) {
                    if x.is_null() {
                        continue;
                    }
                    out.insert(names::field(m), read(model, mr, x));
                }
            }
            Value::from(out)
        }
        "list" => match (v.as_array(), &shape.member) {
            (Some(a), Some(item)) => {
                Value::Array(Box::new(a.iter().map(|x| read(model, item, x)).collect()))
            }
            _ => v.clone(),
        },
        "map" => match (v.as_object(), &shape.value) {
            (Some(o), Some(val)) => {
                let mut out = Object::with_capacity(o.len());
                for (k, x) in o.iter() {
                    out.insert(k.clone(), read(model, val, x));
                }
                Value::from(out)
            }
            _ => v.clone(),
        },
        "timestamp" => {
            let secs = v
                .cast_f64()
                .or_else(|| v.as_str().and_then(time::parse_text));
            match secs {
                Some(s) => Value::from(time::result_text(s)),
                None => v.clone(),
            }
        }
        _ => v.clone(),
    }
}
