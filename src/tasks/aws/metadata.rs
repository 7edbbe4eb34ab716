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
//! The headers are read from the HTTP response by an interceptor on the
//! operation; names are given AWS's usual capitalisation (`Content-Length`,
//! `x-amzn-RequestId`) since HTTP/1 header names reach us lower-cased.

use std::sync::{Arc, Mutex};

use aws_sdk_sqs::config::interceptors::BeforeDeserializationInterceptorContextRef;
use aws_sdk_sqs::config::{ConfigBag, Intercept, RuntimeComponents};

use crate::json::{Object, Value};

/// The status and headers of the last HTTP response of one operation.
#[derive(Debug, Clone, Default)]
pub(crate) struct HttpCapture(Arc<Mutex<Option<Captured>>>);

/// What [`HttpCapture`] saw.
#[derive(Debug, Default)]
struct Captured {
    status: u16,
    headers: Vec<(String, String)>,
}

impl Intercept for HttpCapture {
    fn name(&self) -> &'static str {
        "expressway.SdkHttpMetadata"
    }

    fn read_before_deserialization(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let response = context.response();
        let captured = Captured {
            status: response.status().as_u16(),
            headers: response
                .headers()
                .iter()
                .map(|(k, v)| (canonical(k), v.to_owned()))
                .collect(),
        };
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(captured);
        Ok(())
    }
}

impl HttpCapture {
    /// Adds `SdkHttpMetadata` and `SdkResponseMetadata` to `result`.
    pub(crate) fn envelope(&self, result: &mut Object, request_id: Option<&str>) {
        let captured = self
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .unwrap_or_default();
        let mut all = Object::with_capacity(captured.headers.len());
        let mut flat = Object::with_capacity(captured.headers.len());
        for (k, v) in &captured.headers {
            match all.get_mut(k.as_str()) {
                Some(Value::Array(list)) => list.push(Value::from(v.as_str())),
                _ => {
                    all.insert(k.clone(), Value::from(vec![Value::from(v.as_str())]));
                }
            }
            match flat.get_mut(k.as_str()) {
                Some(Value::String(prev)) => {
                    prev.push(',');
                    prev.push_str(v);
                }
                _ => {
                    flat.insert(k.clone(), Value::from(v.as_str()));
                }
            }
        }
        let request_id = request_id
            .map(str::to_owned)
            .or_else(|| {
                captured
                    .headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("x-amzn-requestid"))
                    .map(|(_, v)| v.clone())
            })
            .unwrap_or_default();
        let mut http = Object::with_capacity(3);
        http.insert("AllHttpHeaders".into(), Value::from(all));
        http.insert("HttpHeaders".into(), Value::from(flat));
        http.insert("HttpStatusCode".into(), Value::from(captured.status));
        let mut meta = Object::with_capacity(1);
        meta.insert("RequestId".into(), Value::from(request_id));
        result.insert("SdkHttpMetadata".into(), Value::from(http));
        result.insert("SdkResponseMetadata".into(), Value::from(meta));
    }
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
        let capture = HttpCapture::default();
        *capture.0.lock().unwrap() = Some(Captured {
            status: 200,
            headers: vec![
                ("x-amzn-RequestId".into(), "r-1".into()),
                ("Set-Cookie".into(), "a".into()),
                ("Set-Cookie".into(), "b".into()),
            ],
        });
        let mut out = Object::new();
        capture.envelope(&mut out, None);
        assert_eq!(
            crate::json::to_string(&Value::from(out)),
            r#"{"SdkHttpMetadata":{"AllHttpHeaders":{"x-amzn-RequestId":["r-1"],"Set-Cookie":["a","b"]},"HttpHeaders":{"x-amzn-RequestId":"r-1","Set-Cookie":"a,b"},"HttpStatusCode":200},"SdkResponseMetadata":{"RequestId":"r-1"}}"#
        );
    }
}
