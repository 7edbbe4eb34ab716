//! The REST protocols (`rest-json`, `rest-xml`): members bound to the URI
//! (`{Label}`, greedy `{Key+}`), the query string, headers (and header maps
//! such as `x-amz-meta-*`), the status code, or the body; a `payload`
//! member is the whole body (a blob or string as is, a structure as JSON or
//! XML).
//!
//! Sources: Smithy HTTP binding traits (`httpLabel`, `httpQuery`,
//! `httpHeader`, `httpPrefixHeaders`, `httpPayload`, `httpResponseCode`)
//! and the "AWS restJson1" / "AWS restXml" protocol specifications.

use base64::Engine as _;
use simd_json::prelude::*;

use super::errors::ReadError;
use super::json;
use super::model::{MemberRef, Operation, ServiceModel, Shape};
use super::names;
use super::time;
use super::wire::{encode, WireRequest, WireResponse};
use super::xml;
use crate::errors::ExecError;
use crate::json::{Object, Value};

/// A value bound to the URI, query string or a header, as text.
fn text(model: &ServiceModel, r: &MemberRef, v: &Value, default_time: &str) -> String {
    let shape = model.shape(&r.shape);
    match shape.map(|s| s.kind.as_str()) {
        Some("timestamp") => {
            let f = r
                .timestamp_format
                .as_deref()
                .or(shape.and_then(|s| s.timestamp_format.as_deref()))
                .unwrap_or(default_time);
            time::wire_text(v.cast_f64().unwrap_or_default(), f)
        }
        _ if r.jsonvalue => base64::engine::general_purpose::STANDARD.encode(
            v.as_str()
                .map_or_else(|| crate::json::to_string(v), str::to_owned),
        ),
        _ => match v.as_str() {
            Some(s) => s.to_owned(),
            None => crate::json::to_string(v),
        },
    }
}

/// The request for `op` with request tree `input`; `xml` for `rest-xml`.
///
/// # Errors
/// `States.Runtime` when a URI label's member is missing.
pub(crate) fn request(
    model: &ServiceModel,
    api: &str,
    op: &Operation,
    input: &Value,
    xml_body: bool,
) -> Result<WireRequest, ExecError> {
    let empty = Object::new();
    let o = input.as_object().unwrap_or(&empty);
    let shape: Option<&Shape> = op.input.as_ref().and_then(|r| model.shape(&r.shape));
    let no_members = Vec::new();
    let members = shape.map_or(&no_members, |s| &s.members);
    let (uri, literal_query) = match op.http.request_uri.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (op.http.request_uri.as_str(), None),
    };
    let mut req = WireRequest {
        method: op.http.method.clone(),
        ..WireRequest::default()
    };
    // The path, labels replaced.
    let mut path = String::with_capacity(uri.len() + 32);
    let mut rest = uri;
    while let Some(start) = rest.find('{') {
        path.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('}') else {
            break;
        };
        let label = &rest[start + 1..start + end];
        let (label, greedy) = match label.strip_suffix('+') {
            Some(l) => (l, true),
            None => (label, false),
        };
        let member = members
            .iter()
            .find(|(m, r)| r.location.as_deref() == Some("uri") && r.wire_name(m) == label);
        let value = member.and_then(|(m, r)| o.get(m.as_str()).map(|v| (m, r, v)));
        let Some((m, r, v)) = value else {
            return Err(ExecError::runtime(format!(
                "The parameter {} is required by {api} (it is part of the request path)",
                names::field(member.map_or(label, |(m, _)| m.as_str()))
            )));
        };
        let t = text(model, r, v, "iso8601");
        if path == "/" && uri.starts_with("/{Bucket}") && m == "Bucket" {
            req.bucket = Some(t.clone());
        }
        path.push_str(&encode(&t, greedy));
        rest = &rest[start + end + 1..];
    }
    path.push_str(rest);
    req.path = if path.is_empty() {
        "/".to_owned()
    } else {
        path
    };
    if let Some(q) = literal_query {
        for part in q.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            req.query.push((k.to_owned(), v.to_owned()));
        }
    }
    let mut body_members = Object::new();
    let mut has_body_members = false;
    for (m, r) in members {
        let value = o.get(m.as_str());
        match r.location.as_deref() {
            Some("uri") | Some("statusCode") => {}
            Some("querystring") => {
                let Some(v) = value else { continue };
                let name = r.wire_name(m);
                match model.shape(&r.shape).map(|s| (s.kind.as_str(), s)) {
                    Some(("list", s)) => {
                        if let (Some(items), Some(item)) = (v.as_array(), s.member.as_ref()) {
                            for x in items.iter() {
                                req.query
                                    .push((name.to_owned(), text(model, item, x, "iso8601")));
                            }
                        }
                    }
                    Some(("map", s)) => {
                        if let (Some(map), Some(val)) = (v.as_object(), s.value.as_ref()) {
                            for (k, x) in map.iter() {
                                match x.as_array() {
                                    Some(xs) => {
                                        let item =
                                            model.shape(&val.shape).and_then(|s| s.member.clone());
                                        for y in xs.iter() {
                                            let t = match &item {
                                                Some(i) => text(model, i, y, "iso8601"),
                                                None => text(model, val, y, "iso8601"),
                                            };
                                            req.query.push((k.to_string(), t));
                                        }
                                    }
                                    None => req
                                        .query
                                        .push((k.to_string(), text(model, val, x, "iso8601"))),
                                }
                            }
                        }
                    }
                    _ => req
                        .query
                        .push((name.to_owned(), text(model, r, v, "iso8601"))),
                }
            }
            Some("header") => {
                let Some(v) = value else { continue };
                let t = match (
                    v.as_array(),
                    model.shape(&r.shape).and_then(|s| s.member.as_ref()),
                ) {
                    (Some(items), Some(item)) => items
                        .iter()
                        .map(|x| text(model, item, x, "rfc822"))
                        .collect::<Vec<_>>()
                        .join(","),
                    _ => text(model, r, v, "rfc822"),
                };
                req.headers.push((r.wire_name(m).to_ascii_lowercase(), t));
            }
            Some("headers") => {
                let Some(map) = value.and_then(|v| v.as_object()) else {
                    continue;
                };
                let prefix = r
                    .location_name
                    .as_deref()
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                for (k, x) in map.iter() {
                    let t = x
                        .as_str()
                        .map_or_else(|| crate::json::to_string(x), str::to_owned);
                    req.headers
                        .push((format!("{prefix}{}", k.to_ascii_lowercase()), t));
                }
            }
            _ => {
                if shape.and_then(|s| s.payload.as_deref()) == Some(m.as_str()) {
                    continue;
                }
                has_body_members = true;
                if let Some(v) = value {
                    body_members.insert(m.clone(), v.clone());
                }
            }
        }
    }
    // The body.
    let payload = shape.and_then(|s| {
        s.payload
            .as_deref()
            .and_then(|p| s.members.iter().find(|(m, _)| m == p))
    });
    if let Some((m, r)) = payload {
        if let Some(v) = o.get(m.as_str()) {
            let ps = model.shape(&r.shape);
            match ps.map(|s| s.kind.as_str()) {
                Some("blob") => {
                    req.body = base64::engine::general_purpose::STANDARD
                        .decode(v.as_str().unwrap_or_default())
                        .unwrap_or_default();
                }
                Some("string") => req.body = v.as_str().unwrap_or_default().as_bytes().to_vec(),
                Some("structure") | Some("list") | Some("map") if xml_body => {
                    let name = r
                        .location_name
                        .as_deref()
                        .or(ps.and_then(|s| s.location_name.as_deref()))
                        .unwrap_or(&r.shape);
                    let text = xml::write(model, r, name, v, true);
                    req.body = text.into_bytes();
                    req.headers
                        .push(("content-type".to_owned(), "application/xml".to_owned()));
                }
                _ => {
                    req.body = crate::json::to_string(&json::to_wire(model, r, v)).into_bytes();
                    req.headers
                        .push(("content-type".to_owned(), "application/json".to_owned()));
                }
            }
        }
    } else if has_body_members {
        let r = op.input.as_ref();
        if let Some(r) = r {
            if xml_body {
                if !body_members.is_empty() {
                    let name = r.location_name.as_deref().unwrap_or(&r.shape);
                    let text = xml::write(model, r, name, &Value::from(body_members), true);
                    req.body = text.into_bytes();
                    req.headers
                        .push(("content-type".to_owned(), "application/xml".to_owned()));
                }
            } else {
                let v = json::to_wire(model, r, &Value::from(body_members));
                req.body = crate::json::to_string(&v).into_bytes();
                req.headers
                    .push(("content-type".to_owned(), "application/json".to_owned()));
            }
        }
    }
    if op.needs_checksum() {
        use md5::Digest;
        let digest = md5::Md5::digest(&req.body);
        req.headers.push((
            "content-md5".to_owned(),
            base64::engine::general_purpose::STANDARD.encode(digest),
        ));
    }
    Ok(req)
}

/// The result of a successful REST response: header, status-code and
/// payload members, and the body's members.
pub(crate) fn response(
    model: &ServiceModel,
    op: &Operation,
    resp: &WireResponse,
    xml_body: bool,
) -> Result<Value, ReadError> {
    let mut out = Object::new();
    let Some(r) = op.output.as_ref() else {
        return Ok(Value::from(out));
    };
    let Some(shape) = model.shape(&r.shape) else {
        return Ok(Value::from(out));
    };
    for (m, mr) in &shape.members {
        let Some(ms) = model.shape(&mr.shape) else {
            continue;
        };
        match mr.location.as_deref() {
            Some("header") => {
                let Some(h) = resp.header(&mr.wire_name(m).to_ascii_lowercase()) else {
                    continue;
                };
                let v = if mr.jsonvalue {
                    base64::engine::general_purpose::STANDARD
                        .decode(h)
                        .ok()
                        .and_then(|b| crate::json::parse(&String::from_utf8_lossy(&b)).ok())
                        .unwrap_or_else(|| Value::from(h.to_owned()))
                } else if ms.kind == "list" {
                    Value::Array(Box::new(
                        h.split(',')
                            .map(|p| Value::from(p.trim().to_owned()))
                            .collect(),
                    ))
                } else {
                    xml::read_scalar(model, mr, ms, h)
                };
                out.insert(names::field(m), v);
            }
            Some("headers") => {
                let prefix = mr
                    .location_name
                    .as_deref()
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                let mut map = Object::new();
                for (k, v) in &resp.headers {
                    if let Some(rest) = k.strip_prefix(&prefix) {
                        map.insert(rest.to_owned(), Value::from(v.clone()));
                    }
                }
                out.insert(names::field(m), Value::from(map));
            }
            Some("statusCode") => {
                out.insert(names::field(m), Value::from(i64::from(resp.status)));
            }
            _ => {}
        }
    }
    let payload = shape
        .payload
        .as_deref()
        .and_then(|p| shape.members.iter().find(|(m, _)| m == p));
    if let Some((m, mr)) = payload {
        let ps = model.shape(&mr.shape);
        match ps.map(|s| s.kind.as_str()) {
            // A streaming or blob payload is the body's text (the recorded
            // `aws-sdk:s3:getObject` result has `"Body": "text data"`).
            Some("blob") | Some("string") => {
                out.insert(
                    names::field(m),
                    Value::from(String::from_utf8_lossy(&resp.body).into_owned()),
                );
            }
            _ if resp.body.is_empty() => {}
            _ => {
                let v = body(model, mr, &resp.body, xml_body)?;
                out.insert(names::field(m), v);
            }
        }
    } else if !resp.body.is_empty() {
        if let Some(o) = body(model, r, &resp.body, xml_body)?.as_object() {
            for (k, v) in o.iter() {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    Ok(Value::from(out))
}

/// A JSON or XML body read as shape `r`.
fn body(
    model: &ServiceModel,
    r: &MemberRef,
    bytes: &[u8],
    xml_body: bool,
) -> Result<Value, ReadError> {
    let text = std::str::from_utf8(bytes)?;
    if xml_body {
        let doc = roxmltree::Document::parse(text)?;
        Ok(xml::read(model, r, doc.root_element(), false))
    } else {
        let v = crate::json::parse(text)?;
        Ok(json::read(model, r, &v))
    }
}
