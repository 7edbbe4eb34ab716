//! The `query` (awsQuery) and `ec2` (ec2Query) protocols' requests: a form
//! body `Action=<Operation>&Version=<apiVersion>&…` with nested members as
//! dotted keys.
//!
//! `query`: structure members `Name.Sub`, lists `Name.member.N` (flattened:
//! `Name.N`), maps `Name.entry.N.key` / `.value` (flattened: `Name.N.key`).
//! `ec2`: every list is flattened (`Filter.1.Name`), and a member's key is
//! its `queryName`, else its `locationName` capitalised, else its name: so
//! the Step Functions field `Filters` is sent as `Filter.N` (the guide's
//! "plural version of the parameter name").
//!
//! Sources: Smithy "AWS query protocol" and "AWS EC2 query protocol"
//! specifications; AWS guide `supported-services-awssdk.html`.

use simd_json::prelude::*;

use super::model::{MemberRef, ServiceModel};
use super::wire::{form, WireRequest};
use super::xml;
use crate::json::Value;

/// The request for `op` with request tree `input`.
pub(crate) fn request(
    model: &ServiceModel,
    name: &str,
    input_ref: Option<&MemberRef>,
    input: &Value,
    ec2: bool,
) -> WireRequest {
    let mut pairs = vec![
        ("Action".to_owned(), name.to_owned()),
        ("Version".to_owned(), model.metadata.api_version.clone()),
    ];
    if let Some(r) = input_ref {
        serialize(model, r, input, "", ec2, &mut pairs);
    }
    WireRequest {
        method: "POST".to_owned(),
        path: "/".to_owned(),
        headers: vec![(
            "content-type".to_owned(),
            "application/x-www-form-urlencoded; charset=utf-8".to_owned(),
        )],
        body: form(&pairs).into_bytes(),
        ..WireRequest::default()
    }
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn serialize(
    model: &ServiceModel,
    r: &MemberRef,
    v: &Value,
    prefix: &str,
    ec2: bool,
    out: &mut Vec<(String, String)>,
) {
    let Some(shape) = model.shape(&r.shape) else {
        return;
    };
    match shape.kind.as_str() {
        "structure" => {
            let Some(o) = v.as_object() else { return };
            for (m, mr) in &shape.members {
                let Some(x) = o.get(m.as_str()) else { continue };
                let key = if ec2 {
                    mr.query_name
                        .clone()
                        .or_else(|| mr.location_name.as_deref().map(capitalize))
                        .unwrap_or_else(|| m.clone())
                } else {
                    mr.wire_name(m).to_owned()
                };
                // A flattened list named by its member's locationName.
                let flat_list = !ec2
                    && (mr.flattened || model.shape(&mr.shape).is_some_and(|s| s.flattened))
                    && model.shape(&mr.shape).is_some_and(|s| s.kind == "list");
                let key = match model.shape(&mr.shape).and_then(|s| s.member.as_ref()) {
                    Some(item) if flat_list => item.location_name.clone().unwrap_or(key),
                    _ => key,
                };
                serialize_member(model, mr, x, &join(prefix, &key), ec2, flat_list, out);
            }
        }
        _ => serialize_member(model, r, v, prefix, ec2, false, out),
    }
}

fn serialize_member(
    model: &ServiceModel,
    r: &MemberRef,
    v: &Value,
    prefix: &str,
    ec2: bool,
    flat: bool,
    out: &mut Vec<(String, String)>,
) {
    let Some(shape) = model.shape(&r.shape) else {
        return;
    };
    match shape.kind.as_str() {
        "structure" => serialize(model, r, v, prefix, ec2, out),
        "list" => {
            let (Some(items), Some(item)) = (v.as_array(), shape.member.as_ref()) else {
                return;
            };
            if items.is_empty() {
                if !ec2 {
                    out.push((prefix.to_owned(), String::new()));
                }
                return;
            }
            let flat = ec2 || flat || shape.flattened;
            for (i, x) in items.iter().enumerate() {
                let key = if flat {
                    format!("{prefix}.{}", i + 1)
                } else {
                    let m = item.location_name.as_deref().unwrap_or("member");
                    format!("{prefix}.{m}.{}", i + 1)
                };
                serialize_member(model, item, x, &key, ec2, false, out);
            }
        }
        "map" => {
            let (Some(map), Some(k), Some(val)) =
                (v.as_object(), shape.key.as_ref(), shape.value.as_ref())
            else {
                return;
            };
            let kn = k.location_name.as_deref().unwrap_or("key");
            let vn = val.location_name.as_deref().unwrap_or("value");
            for (i, (key, x)) in map.iter().enumerate() {
                let base = if shape.flattened || r.flattened {
                    format!("{prefix}.{}", i + 1)
                } else {
                    format!("{prefix}.entry.{}", i + 1)
                };
                out.push((format!("{base}.{kn}"), key.to_string()));
                serialize_member(model, val, x, &format!("{base}.{vn}"), ec2, false, out);
            }
        }
        _ => out.push((prefix.to_owned(), xml::scalar(model, r, v))),
    }
}
