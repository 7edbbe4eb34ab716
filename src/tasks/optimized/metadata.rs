//! The `SdkHttpMetadata` / `SdkResponseMetadata` envelope that optimized
//! integrations add to a service's result, as AWS's recorded histories show:
//!
//! ```json
//! {"MessageId": "…", "MD5OfMessageBody": "…",
//!  "SdkHttpMetadata": {"AllHttpHeaders": {"Content-Type": ["application/x-amz-json-1.0"], …},
//!                      "HttpHeaders": {"Content-Type": "application/x-amz-json-1.0", …},
//!                      "HttpStatusCode": 200},
//!  "SdkResponseMetadata": {"RequestId": "…"}}
//! ```
//!
//! The status and headers are the generic client's ([`Reply`]); names are
//! given AWS's usual capitalisation (`Content-Length`, `x-amzn-RequestId`)
//! since HTTP/1 header names reach us lower-cased.
//!
//! Sources: AWS guide `connect-sqs.html`, `connect-sns.html`,
//! `connect-ddb.html`, `connect-eventbridge.html` (the example outputs);
//! AWS-recorded histories in LocalStack's Step Functions snapshots.

use crate::json::{Object, Value};
use crate::tasks::aws_sdk::Reply;

/// Adds `SdkHttpMetadata` and `SdkResponseMetadata` from `reply` to
/// `result`.
pub(crate) fn envelope(result: &mut Object, reply: &Reply) {
    let headers: Vec<(String, &str)> = reply
        .headers
        .iter()
        .map(|(k, v)| (canonical(k), v.as_str()))
        .collect();
    let mut all = Object::with_capacity(headers.len());
    let mut flat = Object::with_capacity(headers.len());
    for (k, v) in &headers {
        match all.get_mut(k.as_str()) {
            Some(Value::Array(list)) => list.push(Value::from(*v)),
            _ => {
                all.insert(k.clone(), Value::from(vec![Value::from(*v)]));
            }
        }
        match flat.get_mut(k.as_str()) {
            Some(Value::String(prev)) => {
                prev.push(',');
                prev.push_str(v);
            }
            _ => {
                flat.insert(k.clone(), Value::from(*v));
            }
        }
    }
    let mut http = Object::with_capacity(3);
    http.insert("AllHttpHeaders".into(), Value::from(all));
    http.insert("HttpHeaders".into(), Value::from(flat));
    http.insert("HttpStatusCode".into(), Value::from(reply.status));
    let mut meta = Object::with_capacity(1);
    meta.insert(
        "RequestId".into(),
        Value::from(reply.request_id.clone().unwrap_or_default()),
    );
    result.insert("SdkHttpMetadata".into(), Value::from(http));
    result.insert("SdkResponseMetadata".into(), Value::from(meta));
}

/// AWS's capitalisation of a lower-cased header name: `x-amzn-RequestId`,
/// `x-amz-…` as is, otherwise each `-`-separated word capitalised
/// (`Content-Type`, `Date`).
fn canonical(name: &str) -> String {
    if name.eq_ignore_ascii_case("x-amzn-requestid") {
        return "x-amzn-RequestId".to_owned();
    }
    if name.starts_with("x-amz") {
        return name.to_owned();
    }
    let mut out = String::with_capacity(name.len());
    let mut upper = true;
    for c in name.chars() {
        if upper {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        upper = c == '-';
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_as_aws_writes_them() {
        assert_eq!(canonical("content-type"), "Content-Type");
        assert_eq!(canonical("date"), "Date");
        assert_eq!(canonical("x-amzn-requestid"), "x-amzn-RequestId");
        assert_eq!(canonical("x-amz-crc32"), "x-amz-crc32");
    }

    #[test]
    fn envelope_lists_and_joins_headers() {
        let reply = Reply {
            result: Value::from(Object::new()),
            status: 200,
            headers: vec![
                ("x-amzn-requestid".into(), "r-1".into()),
                ("set-cookie".into(), "a".into()),
                ("set-cookie".into(), "b".into()),
            ],
            request_id: Some("r-1".into()),
        };
        let mut out = Object::new();
        envelope(&mut out, &reply);
        assert_eq!(
            crate::json::to_string(&Value::from(out)),
            r#"{"SdkHttpMetadata":{"AllHttpHeaders":{"x-amzn-RequestId":["r-1"],"Set-Cookie":["a","b"]},"HttpHeaders":{"x-amzn-RequestId":"r-1","Set-Cookie":"a,b"},"HttpStatusCode":200},"SdkResponseMetadata":{"RequestId":"r-1"}}"#
        );
    }
}
