//! S3 objects for the distributed Map's ItemReader and ResultWriter, through
//! the same model-driven client as `aws-sdk:s3:*` Tasks: GetObject with its
//! body streamed (never held whole), PutObject with a raw body, and any other
//! S3 API (ListObjectsV2) as a Task would call it.
//!
//! Sources: AWS guide `input-output-itemreader.html`,
//! `input-output-resultwriter.html`; S3's service model.

use std::sync::Arc;
use std::time::Duration;

use super::models::Service;
use super::{errors, input, read_response, rest, AwsSdk, SdkResource};
use crate::errors::{names as asl, ExecError};
use crate::json::{Object, Value};

/// The body of an object being read, chunk by chunk.
pub(crate) struct ObjectBody {
    resp: reqwest::Response,
    service: Arc<Service>,
}

impl std::fmt::Debug for ObjectBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectBody").finish_non_exhaustive()
    }
}

impl ObjectBody {
    /// The next chunk of the body, `None` at its end.
    ///
    /// # Errors
    /// `S3.SdkClientException` when the connection fails mid-body.
    pub(crate) async fn chunk(&mut self) -> Result<Option<Vec<u8>>, ExecError> {
        self.resp
            .chunk()
            .await
            .map(|c| c.map(|b| b.to_vec()))
            .map_err(|e| errors::client_error(&self.service, super::error_chain(&e)))
    }
}

fn s3(region: Option<&str>, action: &str) -> SdkResource {
    SdkResource {
        region: region.map(str::to_owned),
        service: "s3".into(),
        action: action.into(),
    }
}

impl AwsSdk {
    /// Calls the S3 API `action` (`listObjectsV2`…) with `params`, as an
    /// `aws-sdk:s3:<action>` Task would.
    ///
    /// # Errors
    /// As [`AwsSdk::invoke`].
    pub(crate) async fn s3_call(
        &self,
        region: Option<&str>,
        action: &str,
        params: &Value,
    ) -> Result<Value, ExecError> {
        self.call(&s3(region, action), params, None, errors::Naming::Sdk)
            .await
    }

    /// Starts reading the object `params` names (`Bucket`, `Key`,
    /// `VersionId`…): its body arrives through [`ObjectBody::chunk`].
    ///
    /// # Errors
    /// `S3.<Error>` for an S3 error (`S3.NoSuchKeyException`…),
    /// `S3.SdkClientException` when no answer came, `States.Runtime` for
    /// parameters GetObject does not take.
    pub(crate) async fn s3_get_stream(
        &self,
        region: Option<&str>,
        params: &Value,
        timeout: Option<Duration>,
    ) -> Result<ObjectBody, ExecError> {
        let res = s3(region, "getObject");
        let (service, resp) = self.s3_exchange(&res, params, None, timeout).await?;
        if !resp.status().is_success() {
            let status = resp.status().as_u16();
            let full = read_response(&service, &res, resp).await?;
            let f = errors::read("rest-xml", &full);
            return Err(errors::service_error(&service, status, &f));
        }
        Ok(ObjectBody { resp, service })
    }

    /// Writes `body` as the object `key` of `bucket`.
    ///
    /// # Errors
    /// As [`AwsSdk::s3_get_stream`].
    pub(crate) async fn s3_put(
        &self,
        region: Option<&str>,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
        content_type: &str,
    ) -> Result<(), ExecError> {
        let res = s3(region, "putObject");
        let mut params = Object::with_capacity(2);
        params.insert("Bucket".into(), Value::String(bucket.into()));
        params.insert("Key".into(), Value::String(key.into()));
        let params = Value::Object(Box::new(params));
        let (service, resp) = self
            .s3_exchange(&res, &params, Some((body, content_type)), None)
            .await?;
        let resp = read_response(&service, &res, resp).await?;
        if !(200..300).contains(&resp.status) {
            let f = errors::read("rest-xml", &resp);
            return Err(errors::service_error(&service, resp.status, &f));
        }
        Ok(())
    }

    /// Sends the S3 API `res` names with `params` (and a raw `body`, with
    /// its content type); the response with its body unread.
    async fn s3_exchange(
        &self,
        res: &SdkResource,
        params: &Value,
        body: Option<(Vec<u8>, &str)>,
        timeout: Option<Duration>,
    ) -> Result<(Arc<Service>, reqwest::Response), ExecError> {
        let api = format!("s3:{}", res.action);
        let service = self
            .inner
            .models
            .service("s3")
            .map_err(|e| ExecError::new(asl::TASK_FAILED, e.to_string()))?;
        let model = &service.model;
        let (_, op) = model.operation(&res.action).ok_or_else(|| {
            ExecError::new(asl::TASK_FAILED, format!("S3 has no API action {api}"))
        })?;
        let request = input::request(model, &api, op.input.as_ref(), params, super::Form::Sdk)?;
        let mut wire = rest::request(model, &api, op, &request, true)?;
        if let Some((bytes, content_type)) = body {
            wire.body = bytes;
            wire.headers.retain(|(k, _)| k != "content-type");
            wire.headers
                .push(("content-type".into(), content_type.to_owned()));
        }
        let resp = self.dispatch(&service, res, op, wire, timeout).await?;
        Ok((service, resp))
    }
}
