//! `arn:aws:states:::bedrock:invokeModel`: Bedrock Runtime InvokeModel with
//! the fields Step Functions adds (AWS guide `connect-bedrock.html`):
//!
//! - `Body`: the model's input, sent as its JSON text;
//! - `Input: {"S3Uri": "s3://bucket/key"}` instead of `Body`: the object's
//!   text is the body (read with S3 GetObject; JSON content only here, the
//!   body passing through the Task as JSON);
//! - `ContentType` and `Accept` default to `application/json` (Bedrock's
//!   documented default for `Accept`; sent explicitly).
//!
//! The result is `{"Body": …, "ContentType": …}`, `Body` parsed when the
//! content is JSON (the guide's example selects `$.Body.generation`).
//! `Output: {"S3Uri"}` (writing the response to S3) is not implemented: the
//! guide does not give the result's shape then; the Task fails with
//! `States.Runtime` saying so.

use futures::future::BoxFuture;
use simd_json::prelude::*;

use super::Api;
use crate::errors::ExecError;
use crate::json::{Object, Value};

/// Runs InvokeModel for `request` (see the module docs).
pub(crate) fn invoke_model<'a>(
    api: &'a Api<'a>,
    request: Value,
) -> BoxFuture<'a, Result<Value, ExecError>> {
    Box::pin(async move {
        let Some(fields) = request.as_object() else {
            return Err(ExecError::runtime(
                "the parameters of bedrock:invokeModel must be a JSON object",
            ));
        };
        if fields.contains_key("Output") {
            return Err(ExecError::runtime(
                "bedrock:invokeModel: the Output field (writing the response to S3) is not \
                 supported by expressway; read the result's Body instead",
            ));
        }
        let mut call = Object::with_capacity(fields.len() + 1);
        for (k, v) in fields.iter() {
            if k != "Input" {
                call.insert(k.clone(), v.clone());
            }
        }
        if let Some(input) = fields.get("Input") {
            if fields.contains_key("Body") {
                return Err(ExecError::runtime(
                    "bedrock:invokeModel takes Body or Input, not both",
                ));
            }
            let uri = input.get_str("S3Uri").unwrap_or_default();
            let Some((bucket, key)) = uri
                .strip_prefix("s3://")
                .and_then(|r| r.split_once('/'))
                .filter(|(b, k)| !b.is_empty() && !k.is_empty())
            else {
                return Err(ExecError::runtime(format!(
                    "bedrock:invokeModel: Input.S3Uri must be s3://bucket/key, not '{uri}'"
                )));
            };
            let object = api
                .call(
                    "s3",
                    "getObject",
                    &simd_json::json!({"Bucket": bucket, "Key": key}),
                )
                .await?;
            let text = object.get_str("Body").unwrap_or_default();
            let body = crate::json::parse(text).map_err(|e| {
                ExecError::runtime(format!(
                    "bedrock:invokeModel: the object {uri} is not JSON ({e}); only JSON input \
                     is supported"
                ))
            })?;
            call.insert("Body".into(), body);
            if let Some(ct) = object
                .get("ContentType")
                .filter(|_| !fields.contains_key("ContentType"))
            {
                call.insert("ContentType".into(), ct.clone());
            }
        }
        for field in ["ContentType", "Accept"] {
            if !call.contains_key(field) {
                call.insert(field.into(), Value::from("application/json"));
            }
        }
        let out = api
            .call(
                api.spec.sdk_service,
                api.spec.sdk_action,
                &Value::from(call),
            )
            .await?;
        let content_type = out.get_str("ContentType").unwrap_or("application/json");
        let text = out.get_str("Body").unwrap_or_default();
        let body = if content_type.contains("json") {
            crate::json::parse(text).unwrap_or_else(|_| Value::from(text))
        } else {
            Value::from(text)
        };
        let mut result = Object::with_capacity(2);
        result.insert("Body".into(), body);
        result.insert("ContentType".into(), Value::from(content_type));
        Ok(Value::from(result))
    })
}
