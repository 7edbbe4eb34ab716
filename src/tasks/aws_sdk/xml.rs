//! XML bodies of the `rest-xml`, `query` and `ec2` protocols: writing a
//! request payload and reading a response into the result shape.
//!
//! Source: Smithy's XML binding traits (`xmlName`, `xmlFlattened`,
//! `xmlAttribute`, `xmlNamespace`) as botocore's models encode them
//! (`locationName`, `flattened`, `xmlAttribute`, `xmlNamespace`); list items
//! are `<member>` unless named, `<item>` in EC2; maps are
//! `<entry><key/><value/></entry>`.

use simd_json::prelude::*;

use super::model::{MemberRef, ServiceModel, Shape};
use super::names;
use super::time;
use crate::json::{Object, Value};

/// Escapes text for an element or attribute.
fn escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

/// The namespace attribute of an `xmlNamespace` trait.
fn namespace(ns: Option<&serde_json::Value>) -> String {
    let Some(ns) = ns else { return String::new() };
    let uri = ns.get("uri").and_then(|u| u.as_str()).unwrap_or_default();
    match ns.get("prefix").and_then(|p| p.as_str()) {
        Some(p) => format!(" xmlns:{p}=\"{uri}\""),
        None if !uri.is_empty() => format!(" xmlns=\"{uri}\""),
        None => String::new(),
    }
}

/// Writes the request tree `v` of shape `r` as the element `name`.
pub(crate) fn write(
    model: &ServiceModel,
    r: &MemberRef,
    name: &str,
    v: &Value,
    root: bool,
) -> String {
    let mut out = String::new();
    element(model, r, name, v, root, &mut out);
    out
}

fn element(
    model: &ServiceModel,
    r: &MemberRef,
    name: &str,
    v: &Value,
    root: bool,
    out: &mut String,
) {
    let Some(shape) = model.shape(&r.shape) else {
        return;
    };
    let ns = if root {
        namespace(r.xml_namespace.as_ref().or(shape.xml_namespace.as_ref()))
    } else {
        namespace(r.xml_namespace.as_ref())
    };
    match shape.kind.as_str() {
        "structure" => {
            let Some(o) = v.as_object() else { return };
            out.push('<');
            out.push_str(name);
            out.push_str(&ns);
            for (m, mr) in &shape.members {
                if mr.xml_attribute {
                    if let Some(val) = o.get(m.as_str()) {
                        out.push(' ');
                        out.push_str(mr.wire_name(m));
                        out.push_str("=\"");
                        escape(&scalar(model, mr, val), out);
                        out.push('"');
                    }
                }
            }
            out.push('>');
            for (m, mr) in &shape.members {
                if mr.xml_attribute {
                    continue;
                }
                if let Some(val) = o.get(m.as_str()) {
                    member(model, mr, m, val, out);
                }
            }
            out.push_str("</");
            out.push_str(name);
            out.push('>');
        }
        "list" | "map" => {
            // A list or map written as a root element: its items inside.
            out.push('<');
            out.push_str(name);
            out.push_str(&ns);
            out.push('>');
            items(model, r, shape, name, v, false, out);
            out.push_str("</");
            out.push_str(name);
            out.push('>');
        }
        _ => {
            out.push('<');
            out.push_str(name);
            out.push_str(&ns);
            out.push('>');
            escape(&scalar(model, r, v), out);
            out.push_str("</");
            out.push_str(name);
            out.push('>');
        }
    }
}

/// One structure member: lists and maps flattened or wrapped.
fn member(model: &ServiceModel, mr: &MemberRef, m: &str, v: &Value, out: &mut String) {
    let Some(shape) = model.shape(&mr.shape) else {
        return;
    };
    let name = mr.wire_name(m);
    match shape.kind.as_str() {
        "list" | "map" if mr.flattened || shape.flattened => {
            items(model, mr, shape, name, v, true, out)
        }
        _ => element(model, mr, name, v, false, out),
    }
}

fn items(
    model: &ServiceModel,
    _r: &MemberRef,
    shape: &Shape,
    name: &str,
    v: &Value,
    flat: bool,
    out: &mut String,
) {
    if shape.kind == "list" {
        let (Some(list), Some(item)) = (v.as_array(), shape.member.as_ref()) else {
            return;
        };
        let item_name = if flat {
            name
        } else {
            item.location_name.as_deref().unwrap_or("member")
        };
        for x in list.iter() {
            element(model, item, item_name, x, false, out);
        }
    } else {
        let (Some(map), Some(k), Some(val)) =
            (v.as_object(), shape.key.as_ref(), shape.value.as_ref())
        else {
            return;
        };
        let entry = if flat { name } else { "entry" };
        for (key, x) in map.iter() {
            out.push('<');
            out.push_str(entry);
            out.push('>');
            element(
                model,
                k,
                k.location_name.as_deref().unwrap_or("key"),
                &Value::from(key.to_string()),
                false,
                out,
            );
            element(
                model,
                val,
                val.location_name.as_deref().unwrap_or("value"),
                x,
                false,
                out,
            );
            out.push_str("</");
            out.push_str(entry);
            out.push('>');
        }
    }
}

/// A scalar's text: timestamps ISO-8601 unless the model says otherwise,
/// booleans `true`/`false`, blobs base64.
pub(crate) fn scalar(model: &ServiceModel, r: &MemberRef, v: &Value) -> String {
    let shape = model.shape(&r.shape);
    if shape.is_some_and(|s| s.kind == "timestamp") {
        let format = r
            .timestamp_format
            .as_deref()
            .or(shape.and_then(|s| s.timestamp_format.as_deref()))
            .unwrap_or("iso8601");
        return time::wire_text(v.cast_f64().unwrap_or_default(), format);
    }
    match v.as_str() {
        Some(s) => s.to_owned(),
        None => crate::json::to_string(v),
    }
}

/// Reads the element `node` as shape `r` into the result tree (Step
/// Functions field names).
pub(crate) fn read(
    model: &ServiceModel,
    r: &MemberRef,
    node: roxmltree::Node<'_, '_>,
    ec2: bool,
) -> Value {
    let Some(shape) = model.shape(&r.shape) else {
        return Value::from(text(node));
    };
    match shape.kind.as_str() {
        "structure" => read_structure(model, shape, node, ec2),
        "list" => {
            let item = shape.member.as_ref();
            let name = item
                .and_then(|i| i.location_name.as_deref())
                .unwrap_or(if ec2 { "item" } else { "member" });
            let out: Vec<Value> = match item {
                Some(item) => node
                    .children()
                    .filter(|c| c.is_element() && c.tag_name().name() == name)
                    .map(|c| read(model, item, c, ec2))
                    .collect(),
                None => Vec::new(),
            };
            Value::Array(Box::new(out))
        }
        "map" => read_map(
            model,
            shape,
            node.children()
                .filter(|c| c.is_element() && c.tag_name().name() == "entry"),
            ec2,
        ),
        _ => read_scalar(model, r, shape, &text(node)),
    }
}

fn read_map<'a, 'i: 'a>(
    model: &ServiceModel,
    shape: &Shape,
    entries: impl Iterator<Item = roxmltree::Node<'a, 'i>>,
    ec2: bool,
) -> Value {
    let mut out = Object::new();
    let (Some(k), Some(v)) = (shape.key.as_ref(), shape.value.as_ref()) else {
        return Value::from(out);
    };
    let kn = k.location_name.as_deref().unwrap_or("key");
    let vn = v.location_name.as_deref().unwrap_or("value");
    for entry in entries {
        let key = entry
            .children()
            .find(|c| c.is_element() && c.tag_name().name() == kn);
        let val = entry
            .children()
            .find(|c| c.is_element() && c.tag_name().name() == vn);
        if let Some(key) = key {
            let value = val.map_or(Value::Static(simd_json::StaticNode::Null), |n| {
                read(model, v, n, ec2)
            });
            out.insert(text(key), value);
        }
    }
    Value::from(out)
}

fn read_structure(
    model: &ServiceModel,
    shape: &Shape,
    node: roxmltree::Node<'_, '_>,
    ec2: bool,
) -> Value {
    let mut out = Object::new();
    for (m, mr) in &shape.members {
        if mr.location.is_some() {
            continue;
        }
        let name = mr.wire_name(m);
        if mr.xml_attribute {
            let local = name.rsplit(':').next().unwrap_or(name);
            if let Some(a) = node.attributes().find(|a| a.name() == local) {
                if let Some(s) = model.shape(&mr.shape) {
                    out.insert(names::field(m), read_scalar(model, mr, s, a.value()));
                }
            }
            continue;
        }
        let Some(ms) = model.shape(&mr.shape) else {
            continue;
        };
        let flat = (mr.flattened || ms.flattened) && matches!(ms.kind.as_str(), "list" | "map");
        let value = if flat {
            let matching = node
                .children()
                .filter(|c| c.is_element() && c.tag_name().name() == name);
            if ms.kind == "list" {
                let Some(item) = ms.member.as_ref() else {
                    continue;
                };
                let items: Vec<Value> = matching.map(|c| read(model, item, c, ec2)).collect();
                if items.is_empty() {
                    continue;
                }
                Value::Array(Box::new(items))
            } else {
                let map = read_map(model, ms, matching, ec2);
                if map.as_object().is_some_and(|o| o.is_empty()) {
                    continue;
                }
                map
            }
        } else {
            match node
                .children()
                .find(|c| c.is_element() && c.tag_name().name() == name)
            {
                Some(child) => read(model, mr, child, ec2),
                None => continue,
            }
        };
        out.insert(names::field(m), value);
    }
    Value::from(out)
}

/// A scalar's result value from its text.
pub(crate) fn read_scalar(_model: &ServiceModel, _r: &MemberRef, shape: &Shape, t: &str) -> Value {
    match shape.kind.as_str() {
        "integer" | "long" | "short" | "byte" => t
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::from(t.to_owned())),
        "float" | "double" => t
            .trim()
            .parse::<f64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::from(t.to_owned())),
        "boolean" => Value::from(t.trim() == "true"),
        "timestamp" => match time::parse_text(t) {
            Some(s) => Value::from(time::result_text(s)),
            None => Value::from(t.to_owned()),
        },
        _ => Value::from(t.to_owned()),
    }
}

/// The text of an element (its text children concatenated).
pub(crate) fn text(node: roxmltree::Node<'_, '_>) -> String {
    node.children()
        .filter(|c| c.is_text())
        .filter_map(|c| c.text())
        .collect()
}

/// The first descendant element named `name` (any namespace).
pub(crate) fn find<'a, 'i>(
    node: roxmltree::Node<'a, 'i>,
    name: &str,
) -> Option<roxmltree::Node<'a, 'i>> {
    node.descendants()
        .find(|n| n.is_element() && n.tag_name().name() == name)
}
