//! The generic AWS SDK integration: `arn:aws:states:::aws-sdk:SERVICE:ACTION`
//! for any AWS service, driven by AWS's own service models rather than code
//! per service.
//!
//! A Task naming `aws-sdk:s3:getObject` is served by reading S3's model
//! ([`models`]: embedded, or added with `--aws-models DIR`), turning the
//! Task's parameters into the `GetObject` request ([`input`]: Step
//! Functions' PascalCase fields mapped to the model's members), writing it in
//! the service's protocol (`json` 1.0/1.1 [`json`], `rest-json` and
//! `rest-xml` [`rest`], `query` and `ec2` [`query`]), sending it to the
//! service's endpoint ([`endpoint`]) signed with SigV4 ([`sign`]), and
//! reading the response into the result Step Functions returns
//! ([`response`]) or the error it raises ([`errors`]).
//!
//! Credentials: the [`AwsConfig`]'s, else `AWS_ACCESS_KEY_ID` /
//! `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`, else (cargo feature `aws`,
//! calls to AWS itself) the AWS SDK's default chain (profile, web identity,
//! container and instance roles); with none the request goes unsigned (fine
//! for a local emulator). Region: the Resource's own
//! (`arn:aws:states:eu-west-1::aws-sdk:…`), else the configuration's, else
//! `AWS_REGION` / `AWS_DEFAULT_REGION`, else `us-east-1`.
//!
//! Only `.waitForTaskToken` combines with these Resources (the engine strips
//! it); `.sync` fails the Task, as AWS supports no other pattern for them.
//!
//! Sources: AWS guide `supported-services-awssdk.html`,
//! `connect-to-resource.html`; the Smithy AWS protocol specifications.

mod embedded;
pub(crate) mod endpoint;
mod errors;
mod input;
mod json;
mod model;
mod models;
mod names;
mod objects;
mod query;
mod response;
mod rest;
pub(crate) mod sign;
mod time;
mod wire;
mod xml;

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures::future::BoxFuture;

use crate::errors::{names as asl, ExecError, MAX_PAYLOAD_BYTES};
use crate::json::Value;
use crate::tasks::{AwsConfig, Credentials, TaskInput};
pub(crate) use errors::{Java1, Naming};
use models::{Models, Service};
pub(crate) use objects::ObjectBody;
use wire::{WireRequest, WireResponse};

/// The environment variable listing directories of extra service models
/// (separated like `PATH`), set by `--aws-models DIR`.
pub const AWS_MODELS_ENV: &str = "EXPRESSWAY_AWS_MODELS";

/// The largest response body read (bytes); the Task's result is held to
/// the 256 KiB payload quota afterwards.
const MAX_RESPONSE_BYTES: usize = 16 * MAX_PAYLOAD_BYTES;

/// How a call reads its parameters and writes its result.
///
/// Source: AWS guide `supported-services-awssdk.html` (the AWS SDK form);
/// `connect-sqs.html`, `connect-sns.html`, `connect-ddb.html`,
/// `connect-eventbridge.html` and AWS's recorded histories (the optimized
/// form, which Step Functions serves with the AWS SDK for Java 1.x).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    /// The AWS SDK integrations': an unknown field fails the Task, a blob
    /// takes the JSON text of its value, result fields are the Java 2.x
    /// getter names (`Md5OfMessageBody`).
    Sdk,
    /// The optimized SQS, SNS, DynamoDB and EventBridge integrations': a
    /// top-level field the API does not have is dropped, a blob given as a
    /// string is its base64 text (`{"B": "AQID"}`, SQS `BinaryValue`),
    /// result fields are the model's member names (`MD5OfMessageBody`).
    Optimized,
}

/// A successful call: the result and the HTTP response it came in.
#[derive(Debug)]
pub(crate) struct Reply {
    /// The Task's result.
    pub(crate) result: Value,
    /// The HTTP status.
    pub(crate) status: u16,
    /// The response headers (lower-case names), in received order.
    pub(crate) headers: Vec<(String, String)>,
    /// The request id: `x-amzn-RequestId`, `x-amz-request-id`, or the XML
    /// `ResponseMetadata` of a `query` response.
    pub(crate) request_id: Option<String>,
}

/// A parsed `aws-sdk` Resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SdkResource {
    /// The region the Resource names, if any.
    pub(crate) region: Option<String>,
    /// `s3`.
    pub(crate) service: String,
    /// `getObject`.
    pub(crate) action: String,
}

/// The `aws-sdk` Resource `resource` names
/// (`arn:PARTITION:states:[REGION]:[ACCOUNT]:aws-sdk:SERVICE:ACTION`).
pub(crate) fn parse(resource: &str) -> Option<SdkResource> {
    let mut parts = resource.splitn(8, ':');
    if parts.next()? != "arn" || parts.next()?.is_empty() || parts.next()? != "states" {
        return None;
    }
    let region = parts.next()?;
    let _account = parts.next()?;
    if parts.next()? != "aws-sdk" {
        return None;
    }
    let service = parts.next()?;
    let action = parts.next()?;
    if service.is_empty() || action.is_empty() {
        return None;
    }
    Some(SdkResource {
        region: (!region.is_empty()).then(|| region.to_owned()),
        service: service.to_owned(),
        action: action.to_owned(),
    })
}

/// The generic integration's state in [`crate::tasks::Tasks`]: the models,
/// the configuration and one pooled HTTP client. Cheap to clone.
#[derive(Clone, Default)]
pub(crate) struct AwsSdk {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    models: Arc<Models>,
    config: Option<AwsConfig>,
    http: OnceLock<Result<reqwest::Client, Arc<reqwest::Error>>>,
}

impl std::fmt::Debug for AwsSdk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsSdk")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl AwsSdk {
    /// The embedded models plus those in the directories of
    /// [`AWS_MODELS_ENV`] (an unreadable one is logged and skipped).
    pub(crate) fn from_env() -> Self {
        let dirs: Vec<PathBuf> = std::env::var_os(AWS_MODELS_ENV)
            .map(|v| std::env::split_paths(&v).collect())
            .unwrap_or_default();
        let models = Models::new(&dirs).unwrap_or_else(|e| {
            tracing::warn!("AWS service models: {e}; using the embedded set");
            Models::default_set()
        });
        AwsSdk {
            inner: Arc::new(Inner {
                models: Arc::new(models),
                ..Inner::default()
            }),
        }
    }

    /// The same models, calls sent as `config` says.
    pub(crate) fn with_config(&self, config: AwsConfig) -> Self {
        AwsSdk {
            inner: Arc::new(Inner {
                models: Arc::clone(&self.inner.models),
                config: Some(config),
                http: OnceLock::new(),
            }),
        }
    }

    /// The environment variable that overrides the endpoint of the service a
    /// Resource names `service` (`AWS_ENDPOINT_URL_EVENTBRIDGE` for `events`,
    /// `AWS_ENDPOINT_URL_SECRETS_MANAGER` for `secretsmanager`): built from
    /// the model's service id as the SDKs do, the same name a call reads.
    /// `None` when no model names that service.
    pub(crate) fn endpoint_var(&self, service: &str) -> Option<String> {
        let loaded = self.inner.models.service(service).ok()?;
        Some(endpoint::env_var(&loaded.model.metadata.service_id))
    }

    /// The explicit configuration, if any.
    pub(crate) fn config(&self) -> Option<&AwsConfig> {
        self.inner.config.as_ref()
    }

    /// Calls the API `resource` names with the Task's `input`.
    ///
    /// # Errors
    /// As the module docs say: `<Service>.<Error>` for a service error,
    /// `<Service>.SdkClientException` when no answer came,
    /// `States.Runtime` for parameters the model does not accept,
    /// `States.TaskFailed` for an unknown service or action,
    /// `States.DataLimitExceeded` for a result over 256 KiB.
    pub(crate) fn invoke(
        &self,
        resource: SdkResource,
        input: TaskInput,
        timeout: Option<Duration>,
    ) -> BoxFuture<'static, Result<Value, ExecError>> {
        let this = self.clone();
        Box::pin(async move { this.call(&resource, &input, timeout, Naming::Sdk).await })
    }

    /// Calls `resource`'s API with the request parameters `input`, naming
    /// service errors as `naming` says: the building block of the optimized
    /// integrations ([`crate::tasks::optimized`]).
    ///
    /// # Errors
    /// As [`AwsSdk::invoke`], with the error names of `naming`.
    pub(crate) async fn call(
        &self,
        res: &SdkResource,
        input: &Value,
        timeout: Option<Duration>,
        naming: Naming,
    ) -> Result<Value, ExecError> {
        self.call_as(res, input, timeout, naming, Form::Sdk)
            .await
            .map(|r| r.result)
    }

    /// Calls `resource`'s API with `input` read and its result written as
    /// `form` says; the result comes with the HTTP status and headers of the
    /// response (the optimized integrations' `SdkHttpMetadata`).
    ///
    /// # Errors
    /// As [`AwsSdk::invoke`], with the error names of `naming`.
    pub(crate) async fn call_as(
        &self,
        res: &SdkResource,
        input: &Value,
        timeout: Option<Duration>,
        naming: Naming,
        form: Form,
    ) -> Result<Reply, ExecError> {
        let api = format!("{}:{}", res.service, res.action);
        if res.action.contains('.') {
            return Err(ExecError::new(
                asl::TASK_FAILED,
                format!("the AWS SDK integration {api} supports no service integration pattern but .waitForTaskToken"),
            ));
        }
        let service = self
            .inner
            .models
            .service(&res.service)
            .map_err(|e| ExecError::new(asl::TASK_FAILED, e.to_string()))?;
        let model = &service.model;
        let Some((op_name, op)) = model.operation(&res.action) else {
            return Err(ExecError::new(
                asl::TASK_FAILED,
                format!(
                    "the AWS service {} has no API action '{}' (AWS SDK integration {api})",
                    res.service, res.action
                ),
            ));
        };
        let protocol = model.protocol();
        let streams = |r: &Option<model::MemberRef>| {
            r.as_ref()
                .and_then(|r| model.shape(&r.shape))
                .is_some_and(|s| {
                    s.members
                        .iter()
                        .any(|(_, m)| model.shape(&m.shape).is_some_and(|s| s.eventstream))
                })
        };
        if streams(&op.input) || streams(&op.output) {
            return Err(ExecError::new(
                asl::TASK_FAILED,
                format!("{api} streams events, which Step Functions does not support"),
            ));
        }
        let request = input::request(model, &api, op.input.as_ref(), input, form)?;
        let wire = match protocol {
            "json" => json::request(model, op_name, op, &request),
            "rest-json" => rest::request(model, &api, op, &request, false)?,
            "rest-xml" => rest::request(model, &api, op, &request, true)?,
            "query" => query::request(model, op_name, op.input.as_ref(), &request, false),
            "ec2" => query::request(model, op_name, op.input.as_ref(), &request, true),
            other => {
                return Err(ExecError::new(
                    asl::TASK_FAILED,
                    format!("{api}: the protocol '{other}' of this service is not supported"),
                ))
            }
        };
        let resp = self
            .send(&service, res, op, wire, timeout)
            .await
            .map_err(|e| naming.client(&service, e))?;
        if !(200..300).contains(&resp.status) {
            let f = errors::read(protocol, &resp);
            return Err(match naming {
                Naming::Sdk => errors::service_error(&service, resp.status, &f),
                Naming::Java1(j) => errors::java1_error(&service, j, resp.status, &f),
            });
        }
        let mut result = response::result(model, protocol, op, &resp).map_err(|e| {
            naming.client(
                &service,
                errors::client_error(
                    &service,
                    format!("the response of {api} could not be read: {e}"),
                ),
            )
        })?;
        if form == Form::Optimized {
            if let Some(out) = &op.output {
                result = names::to_model(model, out, result);
            }
        }
        if crate::json::to_string(&result).len() > MAX_PAYLOAD_BYTES {
            return Err(ExecError::new(
                asl::DATA_LIMIT_EXCEEDED,
                format!(
                    "The state/task '{api}' returned a result with a size exceeding the maximum \
                     number of bytes service limit."
                ),
            ));
        }
        let request_id = response::request_id(protocol, &resp);
        Ok(Reply {
            result,
            status: resp.status,
            headers: resp.headers,
            request_id,
        })
    }

    /// The credentials calls are signed with: the configuration's, else
    /// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`,
    /// else (cargo feature `aws`, and only when `custom_endpoint` is false:
    /// a call to AWS itself) the AWS SDK's default chain. `None`: unsigned.
    ///
    /// Boxed: its callers' futures are nested deep enough already for the
    /// compiler's layout queries (`recursion_limit`).
    pub(crate) fn credentials(&self, custom_endpoint: bool) -> BoxFuture<'_, Option<Credentials>> {
        let creds = self
            .inner
            .config
            .as_ref()
            .and_then(|c| c.credentials.clone())
            .or_else(Credentials::from_env);
        Box::pin(async move {
            #[cfg(feature = "aws")]
            let creds = match creds {
                None if !custom_endpoint => chain_credentials().await,
                c => c,
            };
            #[cfg(not(feature = "aws"))]
            let _ = custom_endpoint;
            creds
        })
    }

    fn http(&self) -> Result<&reqwest::Client, Arc<reqwest::Error>> {
        self.inner
            .http
            .get_or_init(|| {
                reqwest::Client::builder()
                    .connect_timeout(Duration::from_secs(10))
                    .pool_idle_timeout(Duration::from_secs(60))
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .map_err(Arc::new)
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Resolves the endpoint, signs and sends `req`; reads the whole
    /// response (up to [`MAX_RESPONSE_BYTES`]).
    async fn send(
        &self,
        service: &Service,
        res: &SdkResource,
        op: &model::Operation,
        req: WireRequest,
        timeout: Option<Duration>,
    ) -> Result<WireResponse, ExecError> {
        let resp = self.dispatch(service, res, op, req, timeout).await?;
        read_response(service, res, resp).await
    }

    /// Resolves the endpoint, signs and sends `req`; the response with its
    /// body still to read.
    async fn dispatch(
        &self,
        service: &Service,
        res: &SdkResource,
        op: &model::Operation,
        mut req: WireRequest,
        timeout: Option<Duration>,
    ) -> Result<reqwest::Response, ExecError> {
        let model = &service.model;
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let config = self.inner.config.as_ref();
        let region = res
            .region
            .clone()
            .or_else(|| config.and_then(|c| c.region.clone()))
            .or_else(|| var("AWS_REGION"))
            .or_else(|| var("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|| "us-east-1".to_owned());
        let (mut base, custom) = endpoint::resolve(
            config.and_then(|c| c.endpoint_url.as_deref()),
            &model.metadata.service_id,
            &model.metadata.endpoint_prefix,
            &region,
            &var,
        );
        let s3 = model.metadata.endpoint_prefix == "s3";
        if !custom {
            if let Some(prefix) = op
                .endpoint
                .as_ref()
                .map(|e| e.host_prefix.as_str())
                .filter(|p| !p.contains('{'))
            {
                base = base.replacen("https://", &format!("https://{prefix}"), 1);
            }
            // S3's virtual-hosted addressing for a DNS-compatible bucket.
            if let Some(bucket) = req.bucket.clone().filter(|b| s3 && dns_compatible(b)) {
                base = base.replacen("https://", &format!("https://{bucket}."), 1);
                let rest = req.path[1 + wire::encode(&bucket, false).len()..].to_owned();
                req.path = if rest.is_empty() {
                    "/".to_owned()
                } else {
                    rest
                };
            }
        }
        let mut url = format!("{base}{}", req.path);
        if !req.query.is_empty() {
            url.push('?');
            url.push_str(&wire::form(&req.query));
        }
        let creds = self.credentials(custom).await;
        let mut headers = req.headers;
        if let Some(creds) = &creds {
            let scope = sign::Scope {
                creds,
                region: &region,
                service: model.signing_name(),
                s3,
            };
            let signed =
                sign::headers(&scope, &req.method, &url, &headers, &req.body).map_err(|e| {
                    errors::client_error(service, format!("cannot sign the request: {e}"))
                })?;
            headers.extend(signed);
        }
        let client = self.http().map_err(|e| errors::client_error(service, e))?;
        let method = reqwest::Method::from_bytes(req.method.as_bytes())
            .map_err(|e| errors::client_error(service, e))?;
        let mut builder = client.request(method, &url).body(req.body);
        for (k, v) in &headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        if let Some(t) = timeout {
            builder = builder.timeout(t);
        }
        builder
            .send()
            .await
            .map_err(|e| errors::client_error(service, error_chain(&e)))
    }
}

/// Reads a whole response (up to [`MAX_RESPONSE_BYTES`]).
async fn read_response(
    service: &Service,
    res: &SdkResource,
    mut resp: reqwest::Response,
) -> Result<WireResponse, ExecError> {
    {
        let status = resp.status().as_u16();
        let headers: Vec<(String, String)> = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let mut body = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| errors::client_error(service, error_chain(&e)))?
        {
            if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(ExecError::new(
                    asl::DATA_LIMIT_EXCEEDED,
                    format!(
                        "The state/task '{}:{}' returned a result with a size exceeding the maximum \
                         number of bytes service limit.",
                        res.service, res.action
                    ),
                ));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(WireResponse {
            status,
            headers,
            body,
        })
    }
}

/// Credentials from the AWS SDK's default chain (profile, web identity,
/// container and instance roles), for calls to AWS itself when neither the
/// configuration nor the environment variables give any (cargo feature
/// `aws`, which brings `aws-config`). The chain caches and refreshes them.
#[cfg(feature = "aws")]
async fn chain_credentials() -> Option<Credentials> {
    use aws_credential_types::provider::ProvideCredentials as _;
    static CHAIN: tokio::sync::OnceCell<
        Option<aws_credential_types::provider::SharedCredentialsProvider>,
    > = tokio::sync::OnceCell::const_new();
    let provider = CHAIN
        .get_or_init(|| async {
            aws_config::defaults(aws_config::BehaviorVersion::latest())
                .load()
                .await
                .credentials_provider()
        })
        .await
        .as_ref()?;
    let c = provider.provide_credentials().await.ok()?;
    Some(Credentials {
        access_key_id: c.access_key_id().to_owned(),
        secret_access_key: c.secret_access_key().to_owned(),
        session_token: c.session_token().map(str::to_owned),
    })
}

/// An error and its sources, as one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

/// A bucket name S3 serves as a host name label.
fn dns_compatible(bucket: &str) -> bool {
    (3..=63).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !bucket.starts_with('-')
        && !bucket.ends_with('-')
}

#[cfg(test)]
mod tests;
