//! A successful response as the Task's result: the operation's output shape
//! with Step Functions' field names (see [`super::names`]), timestamps as
//! ISO-8601 text, blobs as base64 text, a streaming payload (S3 `Body`,
//! Lambda `Payload`) as its text; the response metadata (request id) is
//! left out, as the AWS-recorded SDK integration results show.
//!
//! `query` results are read inside `<OperationResult>` (the model's
//! `resultWrapper`); `ec2` results are the response element's children.

use super::errors::ReadError;
use super::model::{Operation, ServiceModel};
use super::wire::WireResponse;
use super::{json, rest, xml};
use crate::json::{Object, Value};

/// The result of `op` for a 2xx `resp` in `protocol`.
///
/// # Errors
/// The body is not the JSON or XML the protocol uses.
pub(crate) fn result(
    model: &ServiceModel,
    protocol: &str,
    op: &Operation,
    resp: &WireResponse,
) -> Result<Value, ReadError> {
    match protocol {
        "rest-json" => rest::response(model, op, resp, false),
        "rest-xml" => rest::response(model, op, resp, true),
        "json" => {
            let Some(r) = &op.output else {
                return Ok(Value::from(Object::new()));
            };
            if resp.body.iter().all(u8::is_ascii_whitespace) {
                return Ok(Value::from(Object::new()));
            }
            let text = std::str::from_utf8(&resp.body)?;
            let v = crate::json::parse(text)?;
            Ok(json::read(model, r, &v))
        }
        "query" | "ec2" => {
            let Some(r) = &op.output else {
                return Ok(Value::from(Object::new()));
            };
            let text = std::str::from_utf8(&resp.body)?;
            let doc = roxmltree::Document::parse(text)?;
            let root = doc.root_element();
            if protocol == "ec2" {
                return Ok(xml::read(model, r, root, true));
            }
            let node = match &r.result_wrapper {
                Some(w) => root
                    .children()
                    .find(|c| c.is_element() && c.tag_name().name() == w),
                None => Some(root),
            };
            Ok(match node {
                Some(n) => xml::read(model, r, n, false),
                None => Value::from(Object::new()),
            })
        }
        other => Err(ReadError::Protocol(other.to_owned())),
    }
}

/// The request id of `resp`: the `x-amzn-RequestId` (or S3's
/// `x-amz-request-id`) header, else the `<RequestId>` of a `query` or `ec2`
/// response's XML (`ResponseMetadata`).
pub(crate) fn request_id(protocol: &str, resp: &WireResponse) -> Option<String> {
    if let Some(id) = resp
        .header("x-amzn-requestid")
        .or_else(|| resp.header("x-amz-request-id"))
    {
        return Some(id.to_owned());
    }
    if !matches!(protocol, "query" | "ec2") {
        return None;
    }
    let text = std::str::from_utf8(&resp.body).ok()?;
    let doc = roxmltree::Document::parse(text).ok()?;
    let root = doc.root_element();
    xml::find(root, "RequestId")
        .or_else(|| xml::find(root, "requestId"))
        .map(xml::text)
        .filter(|s| !s.is_empty())
}
