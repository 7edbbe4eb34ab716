//! Lambda over its Invoke REST API
//! (`POST /2015-03-31/functions/{FunctionName}/invocations`), and the three
//! shapes Step Functions gives its result: a plain function ARN Resource,
//! `arn:aws:states:::lambda:invoke` and `arn:aws:states:::aws-sdk:lambda:invoke`.
//!
//! Sources: AWS Lambda API reference `API_Invoke.html`; AWS developer guide
//! `connect-lambda.html`, `concepts-error-handling.html`; reference §6 and
//! `conformance/README.md` "Lambda cases".

use std::borrow::Cow;
use std::sync::OnceLock;
use std::time::Duration;

use base64::Engine as _;

use super::sigv4::{self, Credentials};
use crate::errors::{names, ExecError, MAX_PAYLOAD_BYTES};
use crate::json::{Object, Value};

/// Where and how to call Lambda.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LambdaConfig {
    /// Base URL without trailing `/`, e.g. `http://127.0.0.1:9001` or
    /// `https://lambda.us-east-1.amazonaws.com`.
    pub endpoint: String,
    /// The signing region.
    pub region: String,
    /// Credentials to sign with (SigV4); `None` sends unsigned requests (fine
    /// for a local emulator, which ignores signatures).
    pub credentials: Option<Credentials>,
}

impl LambdaConfig {
    /// Lambda as the standard SDK variables describe it: endpoint
    /// `AWS_ENDPOINT_URL_LAMBDA`, else `AWS_ENDPOINT_URL`, else
    /// `https://lambda.{region}.amazonaws.com`; region `AWS_REGION`, else
    /// `AWS_DEFAULT_REGION`, else `us-east-1`; credentials from
    /// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`.
    ///
    /// `None` when neither an endpoint nor credentials are configured (Lambda
    /// is then not used at all).
    pub fn from_env() -> Option<Self> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let region = var("AWS_REGION")
            .or_else(|| var("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|| "us-east-1".to_owned());
        let endpoint = var("AWS_ENDPOINT_URL_LAMBDA").or_else(|| var("AWS_ENDPOINT_URL"));
        let credentials = Credentials::from_env();
        if endpoint.is_none() && credentials.is_none() {
            return None;
        }
        let endpoint = endpoint.unwrap_or_else(|| format!("https://lambda.{region}.amazonaws.com"));
        Some(LambdaConfig {
            endpoint: endpoint.trim().trim_end_matches('/').to_owned(),
            region,
            credentials,
        })
    }

    /// An unsigned configuration for a local endpoint (an emulator).
    pub fn local(endpoint: impl Into<String>) -> Self {
        let endpoint: String = endpoint.into();
        LambdaConfig {
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            region: "us-east-1".to_owned(),
            credentials: None,
        }
    }
}

/// Which Step Functions service integration shapes the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Integration {
    /// `arn:aws:states:::lambda:invoke`: the invoke envelope, FunctionError fails.
    LambdaInvoke,
    /// `arn:aws:states:::aws-sdk:lambda:invoke`: SDK response, Payload a string.
    SdkInvoke,
}

/// A Lambda Invoke client: the configuration and one pooled HTTP client,
/// created on first use.
#[derive(Debug)]
pub struct LambdaClient {
    config: LambdaConfig,
    http: OnceLock<Result<reqwest::Client, reqwest::Error>>,
}

/// One Invoke request.
struct Invoke<'a> {
    function_name: &'a str,
    qualifier: Option<&'a str>,
    invocation_type: Option<&'a str>,
    log_type: Option<&'a str>,
    client_context: Option<Cow<'a, str>>,
    payload: Vec<u8>,
    timeout: Option<Duration>,
}

/// A 2xx Invoke response: status, headers (canonical names, received order),
/// raw body.
struct Response {
    status: u16,
    headers: Vec<(Cow<'static, str>, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, canonical: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(canonical))
            .map(|(_, v)| v.as_str())
    }
}

impl LambdaClient {
    /// A client for `config`. No connection is made until the first call.
    pub fn new(config: LambdaConfig) -> Self {
        LambdaClient {
            config,
            http: OnceLock::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &LambdaConfig {
        &self.config
    }

    /// Invokes the function of a plain function ARN Resource
    /// (`arn:aws:lambda:R:A:function:NAME[:QUAL]`) with `input` as payload; the
    /// result is only the function's output (JSON, or a string if the body is
    /// not JSON).
    ///
    /// # Errors
    /// A function error: its `errorType` (or `Lambda.Unknown`), cause the
    /// payload as received. `States.DataLimitExceeded` for a body over 256 KiB.
    /// Lambda API errors as `Lambda.<Exception>`.
    pub async fn invoke_function_arn(
        &self,
        resource: &str,
        input: &Value,
        timeout: Option<Duration>,
    ) -> Result<Value, ExecError> {
        let resp = self
            .send(Invoke {
                function_name: resource,
                qualifier: None,
                invocation_type: None,
                log_type: None,
                client_context: None,
                payload: crate::json::to_string(input).into_bytes(),
                timeout,
            })
            .await?;
        check_size(&resp, resource)?;
        if resp.header("X-Amz-Function-Error").is_some() {
            let text = String::from_utf8_lossy(&resp.body).into_owned();
            let error = error_type(&text);
            return Err(ExecError::new(error, text));
        }
        Ok(parse_payload(&resp.body))
    }

    /// Invokes through a service integration with the rendered `Parameters`
    /// (`FunctionName`, `Payload`, `InvocationType`, `Qualifier`,
    /// `ClientContext`, `LogType`).
    ///
    /// # Errors
    /// `States.Runtime` for a missing or non-string `FunctionName` (or another
    /// ill-typed parameter); for `lambda:invoke` a function error as its
    /// `errorType` (or `Lambda.Unknown`) with the payload re-serialised
    /// compactly as cause; `States.DataLimitExceeded` for a body over 256 KiB;
    /// Lambda API errors as `Lambda.<Exception>`.
    pub(crate) async fn invoke_service(
        &self,
        integration: Integration,
        params: &Value,
        timeout: Option<Duration>,
    ) -> Result<Value, ExecError> {
        let obj = match params {
            Value::Object(o) => o,
            _ => {
                return Err(ExecError::runtime(
                    "the Parameters of a Lambda Invoke task must be an object",
                ))
            }
        };
        let function_name = str_param(obj, "FunctionName")?.ok_or_else(|| {
            ExecError::runtime("the Lambda Invoke parameter 'FunctionName' is required")
        })?;
        // A string Payload is sent as its raw text and a null or absent one as
        // an empty body, as the AWS recordings show ("\"HelloWorld\"" in,
        // "HelloWorld" echoed back; null in, {} echoed back).
        let payload = match obj.get("Payload") {
            None => Vec::new(),
            Some(Value::Static(simd_json::StaticNode::Null)) => Vec::new(),
            Some(Value::String(s)) => s.as_bytes().to_vec(),
            Some(v) => crate::json::to_string(v).into_bytes(),
        };
        let client_context = match obj.get("ClientContext") {
            None => None,
            Some(Value::String(s)) => Some(Cow::Borrowed(s.as_str())),
            Some(v) => Some(Cow::Owned(
                base64::engine::general_purpose::STANDARD.encode(crate::json::to_string(v)),
            )),
        };
        let resp = self
            .send(Invoke {
                function_name,
                qualifier: str_param(obj, "Qualifier")?,
                invocation_type: str_param(obj, "InvocationType")?,
                log_type: str_param(obj, "LogType")?,
                client_context,
                payload,
                timeout,
            })
            .await?;
        check_size(&resp, "lambda")?;
        match integration {
            Integration::LambdaInvoke => {
                if resp.header("X-Amz-Function-Error").is_some() {
                    let text = String::from_utf8_lossy(&resp.body);
                    let error = error_type(&text);
                    return Err(ExecError::new(error, compact(&text)));
                }
                Ok(invoke_envelope(&resp))
            }
            Integration::SdkInvoke => Ok(sdk_response(&resp)),
        }
    }

    fn http(&self) -> Result<&reqwest::Client, ExecError> {
        let client = self.http.get_or_init(|| {
            reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(10))
                .pool_idle_timeout(Duration::from_secs(60))
                .build()
        });
        client.as_ref().map_err(|e| {
            ExecError::new(
                "Lambda.SdkClientException",
                format!("Unable to create the HTTP client: {e}"),
            )
        })
    }

    /// Sends one Invoke; a non-2xx answer becomes `Lambda.<Exception>`.
    async fn send(&self, inv: Invoke<'_>) -> Result<Response, ExecError> {
        let sdk_error = |msg: String| ExecError::new("Lambda.SdkClientException", msg);
        let encoded_name = sigv4::uri_encode(inv.function_name);
        let path = format!("/2015-03-31/functions/{encoded_name}/invocations");
        let mut url = format!("{}{path}", self.config.endpoint);
        if let Some(q) = inv.qualifier {
            url.push_str("?Qualifier=");
            url.push_str(&sigv4::uri_encode(q));
        }
        let url = reqwest::Url::parse(&url)
            .map_err(|e| sdk_error(format!("Invalid Lambda endpoint URL '{url}': {e}")))?;
        let mut req = self.http()?.post(url.clone());
        if let Some(t) = inv.invocation_type {
            req = req.header("X-Amz-Invocation-Type", t);
        }
        if let Some(t) = inv.log_type {
            req = req.header("X-Amz-Log-Type", t);
        }
        if let Some(c) = &inv.client_context {
            req = req.header("X-Amz-Client-Context", c.as_ref());
        }
        if let Some(t) = inv.timeout {
            req = req.timeout(t);
        }
        if let Some(creds) = &self.config.credentials {
            let host = match (url.host_str(), url.port()) {
                (Some(h), Some(p)) => format!("{h}:{p}"),
                (Some(h), None) => h.to_owned(),
                (None, _) => String::new(),
            };
            let query: Vec<(&str, &str)> = inv
                .qualifier
                .map(|q| ("Qualifier", q))
                .into_iter()
                .collect();
            let amz_date = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
            let signed = sigv4::sign(
                &sigv4::Request {
                    method: "POST",
                    host: &host,
                    path: &path,
                    query: &query,
                    payload: &inv.payload,
                },
                creds,
                &self.config.region,
                "lambda",
                &amz_date,
            );
            for (k, v) in signed {
                req = req.header(k, v);
            }
        }
        let resp = req.body(inv.payload).send().await.map_err(|e| {
            if e.is_timeout() {
                ExecError::new(names::TIMEOUT, "")
            } else {
                sdk_error(format!("Unable to execute HTTP request: {e}"))
            }
        })?;
        let status = resp.status().as_u16();
        let headers: Vec<(Cow<'static, str>, String)> = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    canonical_header(k.as_str()),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = resp
            .bytes()
            .await
            .map_err(|e| sdk_error(format!("Unable to read the Lambda response: {e}")))?;
        let resp = Response {
            status,
            headers,
            body: Vec::from(body),
        };
        if (200..300).contains(&status) {
            Ok(resp)
        } else {
            Err(api_error(&resp))
        }
    }
}

/// `Lambda.<Exception>` for a non-2xx answer, with the Java SDK's cause text.
fn api_error(resp: &Response) -> ExecError {
    let doc: Option<serde_json::Value> = serde_json::from_slice(&resp.body).ok();
    let field = |k: &str| {
        doc.as_ref()
            .and_then(|d| d.get(k))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    let code = resp
        .header("x-amzn-ErrorType")
        .map(|t| t.split(':').next().unwrap_or(t).to_owned())
        .or_else(|| field("__type").map(|t| t.rsplit('#').next().unwrap_or(&t).to_owned()))
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "AWSLambdaException".to_owned());
    let message = field("Message")
        .or_else(|| field("message"))
        .unwrap_or_else(|| String::from_utf8_lossy(&resp.body).into_owned());
    let request_id = resp.header("x-amzn-RequestId").unwrap_or("null");
    ExecError::new(
        format!("Lambda.{code}"),
        format!(
            "{message} (Service: AWSLambda; Status Code: {}; Error Code: {code}; Request ID: \
             {request_id}; Proxy: null)",
            resp.status
        ),
    )
}

/// `States.DataLimitExceeded` when the raw body exceeds 256 KiB; `task` is
/// what the cause names (`lambda`, or the function ARN).
fn check_size(resp: &Response, task: &str) -> Result<(), ExecError> {
    if resp.body.len() > MAX_PAYLOAD_BYTES {
        return Err(ExecError::new(
            names::DATA_LIMIT_EXCEEDED,
            format!(
                "The state/task '{task}' returned a result with a size exceeding the maximum \
                 number of bytes service limit."
            ),
        ));
    }
    Ok(())
}

/// The error name of a function error payload: its non-empty `errorType`, else
/// `Lambda.Unknown`.
fn error_type(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|d| d.get("errorType")?.as_str().map(str::to_owned))
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "Lambda.Unknown".to_owned())
}

/// Compact JSON text with key order kept; the text itself when not JSON.
fn compact(text: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(doc) => serde_json::to_string(&doc).unwrap_or_else(|_| text.to_owned()),
        Err(_) => text.to_owned(),
    }
}

/// The body as JSON when it is valid JSON, else as a string.
fn parse_payload(body: &[u8]) -> Value {
    let mut buf = body.to_vec();
    match simd_json::to_owned_value(&mut buf) {
        Ok(v) => v,
        Err(_) => Value::from(String::from_utf8_lossy(body).into_owned()),
    }
}

fn str_param<'a>(obj: &'a Object, key: &str) -> Result<Option<&'a str>, ExecError> {
    match obj.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(ExecError::runtime(format!(
            "the Lambda Invoke parameter '{key}' must be a string"
        ))),
    }
}

/// The `lambda:invoke` result: `{ExecutedVersion, LogResult?, Payload,
/// SdkHttpMetadata{AllHttpHeaders, HttpHeaders, HttpStatusCode},
/// SdkResponseMetadata{RequestId}, StatusCode}`.
fn invoke_envelope(resp: &Response) -> Value {
    let mut all = Object::with_capacity(resp.headers.len());
    for (k, v) in &resp.headers {
        match all.get_mut(k.as_ref()) {
            Some(Value::Array(list)) => list.push(Value::from(v.as_str())),
            _ => {
                all.insert(k.to_string(), Value::from(vec![Value::from(v.as_str())]));
            }
        }
    }
    let mut sorted: Vec<&(Cow<'static, str>, String)> = resp.headers.iter().collect();
    sorted.sort_by_key(|(k, _)| k.to_ascii_lowercase());
    let mut flat = Object::with_capacity(sorted.len());
    for (k, v) in sorted {
        match flat.get_mut(k.as_ref()) {
            Some(Value::String(prev)) => {
                prev.push(',');
                prev.push_str(v);
            }
            _ => {
                flat.insert(k.to_string(), Value::from(v.as_str()));
            }
        }
    }
    let mut http = Object::with_capacity(3);
    http.insert("AllHttpHeaders".into(), Value::from(all));
    http.insert("HttpHeaders".into(), Value::from(flat));
    http.insert("HttpStatusCode".into(), Value::from(resp.status));
    let mut meta = Object::with_capacity(1);
    meta.insert(
        "RequestId".into(),
        Value::from(resp.header("x-amzn-RequestId").unwrap_or_default()),
    );
    let mut out = Object::with_capacity(6);
    if let Some(v) = resp.header("X-Amz-Executed-Version") {
        out.insert("ExecutedVersion".into(), Value::from(v));
    }
    if let Some(v) = resp.header("X-Amz-Log-Result") {
        out.insert("LogResult".into(), Value::from(v));
    }
    out.insert("Payload".into(), parse_payload(&resp.body));
    out.insert("SdkHttpMetadata".into(), Value::from(http));
    out.insert("SdkResponseMetadata".into(), Value::from(meta));
    out.insert("StatusCode".into(), Value::from(resp.status));
    Value::from(out)
}

/// The `aws-sdk:lambda:invoke` result: `{ExecutedVersion, FunctionError?,
/// LogResult?, Payload (string), StatusCode}`.
fn sdk_response(resp: &Response) -> Value {
    let mut out = Object::with_capacity(5);
    if let Some(v) = resp.header("X-Amz-Executed-Version") {
        out.insert("ExecutedVersion".into(), Value::from(v));
    }
    if let Some(v) = resp.header("X-Amz-Function-Error") {
        out.insert("FunctionError".into(), Value::from(v));
    }
    if let Some(v) = resp.header("X-Amz-Log-Result") {
        out.insert("LogResult".into(), Value::from(v));
    }
    out.insert(
        "Payload".into(),
        Value::from(String::from_utf8_lossy(&resp.body).into_owned()),
    );
    out.insert("StatusCode".into(), Value::from(resp.status));
    Value::from(out)
}

/// The header name as Lambda spells it (HTTP/1 clients see it lower-cased).
fn canonical_header(lower: &str) -> Cow<'static, str> {
    const KNOWN: &[&str] = &[
        "Connection",
        "Content-Length",
        "Content-Type",
        "Date",
        "X-Amz-Executed-Version",
        "X-Amz-Function-Error",
        "X-Amz-Log-Result",
        "x-amzn-Remapped-Content-Length",
        "x-amzn-RequestId",
        "X-Amzn-Trace-Id",
        "x-amzn-ErrorType",
    ];
    if let Some(k) = KNOWN.iter().find(|k| k.eq_ignore_ascii_case(lower)) {
        return Cow::Borrowed(k);
    }
    let mut out = String::with_capacity(lower.len());
    let mut upper = true;
    for c in lower.chars() {
        out.push(if upper { c.to_ascii_uppercase() } else { c });
        upper = c == '-';
    }
    Cow::Owned(out)
}

#[cfg(test)]
#[path = "lambda_tests.rs"]
mod tests;
