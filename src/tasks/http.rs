//! The HTTP Task, `arn:aws:states:::http:invoke`: calls an HTTP(S) API with
//! the Task's rendered `Parameters` and returns the response.
//!
//! Parameters (AWS developer guide, "Call HTTPS APIs in Step Functions
//! workflows", `call-https-apis.html`):
//!
//! - `ApiEndpoint` (required): the URL; `QueryParameters` are appended to it.
//! - `Method` (required): `GET`, `POST`, `PUT`, `DELETE`, `PATCH`, `OPTIONS`
//!   or `HEAD`.
//! - `Headers`: an object of header names to values.
//! - `QueryParameters`: an object of names to values (an array repeats the name).
//! - `RequestBody`: JSON (sent as `application/json`) or a string (sent as is).
//! - `Transform.RequestBodyEncoding`: `NONE` (default) or `URL_ENCODED`, which
//!   sends an object body as `application/x-www-form-urlencoded`, arrays as
//!   `Transform.RequestEncodingOptions.ArrayFormat` says: `BRACKETS`
//!   (`a[]=1&a[]=2`), `COMMA` (`a=1,2`), `INDICES` (`a[0]=1&a[1]=2`) or
//!   `REPEAT` (`a=1&a=2`, the default); nested objects as `a[b]=1`.
//! - `Authentication.ConnectionArn`: accepted and ignored (there are no
//!   EventBridge connections here; put credentials in `Headers`).
//!
//! The result is `{"Headers": {name: [values]}, "ResponseBody": <JSON, or the
//! text when it is not JSON>, "StatusCode": 200, "StatusText": "OK"}`.
//!
//! Errors: a non-2xx status fails the Task with `States.Http.StatusCode.NNN`,
//! cause the same result object as JSON text; a request over 60 s, or one that
//! cannot connect, with `States.Http.Socket` (reference §2, §3). Redirects are
//! not followed (a 3xx is returned as a failure like any non-2xx).
//!
//! **Allow-list** (an expressway safeguard, not an AWS feature): only hosts in
//! [`HttpConfig::allowed_hosts`] may be called; by default only loopback
//! (`localhost`, `127.0.0.0/8`, `::1`). A call to another host fails with
//! `States.Permissions` naming the host, without any network traffic, as AWS
//! fails a call its IAM policy does not allow.

use std::net::IpAddr;
use std::sync::OnceLock;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE};
use reqwest::{Method, Url};

use crate::errors::{names, ExecError, MAX_PAYLOAD_BYTES};
use crate::json::{Object, Value};

/// The environment variable listing the hosts HTTP Tasks may call,
/// comma-separated (`*` allows any host).
pub const HTTP_ALLOWED_HOSTS_ENV: &str = "EXPRESSWAY_HTTP_ALLOWED_HOSTS";

/// The longest an HTTP Task's request may take (reference §2).
pub const HTTP_TIMEOUT: Duration = Duration::from_secs(60);

/// `States.Http.Socket`: the request timed out or could not be made.
pub const HTTP_SOCKET: &str = names::HTTP_SOCKET;

/// Which hosts HTTP Tasks may reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// Allowed hosts: exact names or IP literals (case-insensitive),
    /// `*.example.com` for any subdomain, `*` for any host. Loopback
    /// (`localhost`, `127.0.0.0/8`, `::1`) is always allowed.
    pub allowed_hosts: Vec<String>,
}

impl Default for HttpConfig {
    /// Loopback only.
    fn default() -> Self {
        HttpConfig {
            allowed_hosts: Vec::new(),
        }
    }
}

impl HttpConfig {
    /// Loopback plus the hosts in [`HTTP_ALLOWED_HOSTS_ENV`], if set.
    pub fn from_env() -> Self {
        let list = std::env::var(HTTP_ALLOWED_HOSTS_ENV).unwrap_or_default();
        HttpConfig {
            allowed_hosts: parse_host_list(&list),
        }
    }

    /// Whether `host` (as in a URL: a name, an IPv4 literal or a bracketed
    /// IPv6 literal) may be called.
    pub fn allows(&self, host: &str) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.eq_ignore_ascii_case("localhost")
            || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
        {
            return true;
        }
        self.allowed_hosts.iter().any(|pattern| {
            let pattern = pattern.trim_start_matches('[').trim_end_matches(']');
            if pattern == "*" {
                return true;
            }
            if let Some(suffix) = pattern.strip_prefix("*.") {
                let Some(cut) = host.len().checked_sub(suffix.len() + 1) else {
                    return false;
                };
                return host.get(cut..).is_some_and(|tail| {
                    tail.starts_with('.') && tail[1..].eq_ignore_ascii_case(suffix)
                });
            }
            pattern.eq_ignore_ascii_case(host)
        })
    }
}

/// Splits a comma-separated host list, trimming blanks.
fn parse_host_list(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Whether `resource` is the HTTP Task ARN in any partition
/// (`arn:PARTITION:states:::http:invoke`).
pub(crate) fn is_http_invoke(resource: &str) -> bool {
    resource
        .strip_prefix("arn:")
        .and_then(|rest| rest.split_once(':'))
        .is_some_and(|(_, rest)| rest == "states:::http:invoke")
}

/// The HTTP Task client: the allow-list and one pooled HTTP client, created
/// on first use.
#[derive(Debug, Default)]
pub struct HttpClient {
    config: HttpConfig,
    http: OnceLock<Result<reqwest::Client, reqwest::Error>>,
}

/// `Transform.RequestEncodingOptions.ArrayFormat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ArrayFormat {
    Brackets,
    Comma,
    Indices,
    Repeat,
}

/// The deepest nesting a URL-encoded body may have.
const MAX_FORM_DEPTH: usize = 32;

impl HttpClient {
    /// A client allowing the hosts of `config`.
    pub fn new(config: HttpConfig) -> Self {
        HttpClient {
            config,
            http: OnceLock::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &HttpConfig {
        &self.config
    }

    /// The pooled HTTP client (60 s per request, redirects not followed),
    /// built on first use; shared with the API Gateway integration.
    ///
    /// # Errors
    /// The client could not be built (no TLS roots).
    pub(super) fn client(&self) -> Result<&reqwest::Client, &reqwest::Error> {
        self.http
            .get_or_init(|| {
                reqwest::Client::builder()
                    .timeout(HTTP_TIMEOUT)
                    .connect_timeout(Duration::from_secs(10))
                    .pool_idle_timeout(Duration::from_secs(60))
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
            })
            .as_ref()
    }

    fn http(&self) -> Result<&reqwest::Client, ExecError> {
        self.client()
            .map_err(|e| ExecError::new(HTTP_SOCKET, format!("cannot build the HTTP client: {e}")))
    }

    /// Calls the API the rendered `Parameters` describe.
    ///
    /// # Errors
    /// `States.Runtime` for ill-formed parameters (missing `ApiEndpoint` or
    /// `Method`, an unknown method or encoding, a non-object `Headers`…);
    /// `States.Permissions` for a host not allowed; `States.Http.Socket` for a
    /// timeout (60 s) or a connection failure; `States.DataLimitExceeded` for
    /// a response body over 256 KiB; `States.Http.StatusCode.NNN` for a
    /// non-2xx response.
    pub async fn invoke(&self, params: &Value) -> Result<Value, ExecError> {
        let Value::Object(obj) = params else {
            return Err(ExecError::runtime(
                "the Parameters of an HTTP Task must be an object",
            ));
        };
        let endpoint = required_str(obj, "ApiEndpoint", WHAT)?;
        let method = parse_method(required_str(obj, "Method", WHAT)?, WHAT)?;
        let mut url = Url::parse(endpoint).map_err(|e| {
            ExecError::runtime(format!(
                "the HTTP Task's ApiEndpoint '{endpoint}' is not a URL: {e}"
            ))
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(ExecError::runtime(format!(
                "the HTTP Task's ApiEndpoint '{endpoint}' must be an http or https URL"
            )));
        }
        let host = url.host_str().unwrap_or_default().to_owned();
        if !self.config.allows(&host) {
            return Err(ExecError::new(
                names::PERMISSIONS,
                format!(
                    "HTTP Task: host '{host}' is not in the allowed hosts (only loopback by \
                     default; set {HTTP_ALLOWED_HOSTS_ENV} or Tasks::set_http_allowed_hosts)"
                ),
            ));
        }
        if let Some(query) = obj.get("QueryParameters") {
            append_query(&mut url, query)?;
        }
        let headers = build_headers(obj.get("Headers"))?;
        let (body, content_type) = build_body(obj)?;

        let mut request = self.http()?.request(method, url);
        if let Some(body) = body {
            if let Some(ct) = content_type.filter(|_| !headers.contains_key(CONTENT_TYPE)) {
                request = request.header(CONTENT_TYPE, ct);
            }
            request = request.body(body);
        }
        let response = request
            .headers(headers)
            .send()
            .await
            .map_err(socket_error)?;
        let answer = Answer::read(response, socket_error).await?;
        let status = answer.status;
        let result = answer.into_result();
        if status.is_success() {
            Ok(result)
        } else {
            Err(ExecError::new(
                names::http_status_code(status.as_u16()),
                crate::json::to_string(&result),
            ))
        }
    }
}

/// How the HTTP Task names itself in its errors.
const WHAT: &str = "HTTP Task";

/// A required string parameter of the `what` Task (`HTTP Task`).
pub(super) fn required_str<'a>(
    obj: &'a Object,
    key: &str,
    what: &str,
) -> Result<&'a str, ExecError> {
    match obj.get(key) {
        Some(Value::String(s)) => Ok(s.as_str()),
        Some(_) => Err(ExecError::runtime(format!(
            "the {what} parameter '{key}' must be a string"
        ))),
        None => Err(ExecError::runtime(format!(
            "the {what} parameter '{key}' is required"
        ))),
    }
}

/// The methods the HTTP Task and the API Gateway integration support
/// (`what` names the Task in the error).
pub(super) fn parse_method(method: &str, what: &str) -> Result<Method, ExecError> {
    Ok(match method {
        "GET" => Method::GET,
        "POST" => Method::POST,
        "PUT" => Method::PUT,
        "DELETE" => Method::DELETE,
        "PATCH" => Method::PATCH,
        "OPTIONS" => Method::OPTIONS,
        "HEAD" => Method::HEAD,
        other => {
            return Err(ExecError::runtime(format!(
                "the {what} Method '{other}' is not one of GET, POST, PUT, DELETE, PATCH, \
                 OPTIONS, HEAD"
            )))
        }
    })
}

/// The text of a scalar parameter value (strings as is, others as JSON).
pub(super) fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => crate::json::to_string(other),
    }
}

/// Appends `QueryParameters` (an object; array values repeat the name).
fn append_query(url: &mut Url, query: &Value) -> Result<(), ExecError> {
    let Value::Object(params) = query else {
        return Err(ExecError::runtime(
            "the HTTP Task parameter 'QueryParameters' must be an object",
        ));
    };
    if params.is_empty() {
        return Ok(());
    }
    let mut pairs = url.query_pairs_mut();
    for (name, value) in params.iter() {
        match value {
            Value::Array(items) => {
                for item in items.iter() {
                    pairs.append_pair(name, &scalar_text(item));
                }
            }
            other => {
                pairs.append_pair(name, &scalar_text(other));
            }
        }
    }
    Ok(())
}

/// The request headers from `Headers` (an object of names to values).
fn build_headers(headers: Option<&Value>) -> Result<HeaderMap, ExecError> {
    let mut map = HeaderMap::new();
    let Some(headers) = headers else {
        return Ok(map);
    };
    let Value::Object(headers) = headers else {
        return Err(ExecError::runtime(
            "the HTTP Task parameter 'Headers' must be an object",
        ));
    };
    for (name, value) in headers.iter() {
        let (header, value) = header(name, &scalar_text(value), WHAT)?;
        map.append(header, value);
    }
    Ok(map)
}

/// One request header of the `what` Task, checked.
pub(super) fn header(
    name: &str,
    text: &str,
    what: &str,
) -> Result<(HeaderName, HeaderValue), ExecError> {
    let header = HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| ExecError::runtime(format!("the {what} header name '{name}' is not valid")))?;
    let value = HeaderValue::from_str(text).map_err(|_| {
        ExecError::runtime(format!(
            "the value of the {what} header '{name}' is not valid"
        ))
    })?;
    Ok((header, value))
}

/// The request body and its default content type, from `RequestBody` and
/// `Transform`.
fn build_body(obj: &Object) -> Result<(Option<Vec<u8>>, Option<&'static str>), ExecError> {
    let transform = match obj.get("Transform") {
        None => None,
        Some(Value::Object(t)) => Some(&**t),
        Some(_) => {
            return Err(ExecError::runtime(
                "the HTTP Task parameter 'Transform' must be an object",
            ))
        }
    };
    let encoding = match transform.and_then(|t| t.get("RequestBodyEncoding")) {
        None => "NONE",
        Some(Value::String(s)) => s.as_str(),
        Some(_) => {
            return Err(ExecError::runtime(
                "the HTTP Task's RequestBodyEncoding must be a string",
            ))
        }
    };
    let url_encoded = match encoding {
        "NONE" => false,
        "URL_ENCODED" => true,
        other => {
            return Err(ExecError::runtime(format!(
                "the HTTP Task's RequestBodyEncoding '{other}' is not NONE or URL_ENCODED"
            )))
        }
    };
    let Some(body) = obj.get("RequestBody") else {
        return Ok((None, None));
    };
    if url_encoded {
        let format = array_format(transform)?;
        let Value::Object(fields) = body else {
            return Err(ExecError::runtime(
                "a URL_ENCODED HTTP Task RequestBody must be an object",
            ));
        };
        let mut out = Vec::new();
        for (name, value) in fields.iter() {
            encode_field(&mut out, name, value, format, 0)?;
        }
        let text = out.join("&");
        return Ok((
            Some(text.into_bytes()),
            Some("application/x-www-form-urlencoded"),
        ));
    }
    let (bytes, content_type) = plain_body(body);
    Ok((Some(bytes), Some(content_type)))
}

/// A `RequestBody` sent as is: a string as its text (`text/plain`), any
/// other JSON value as JSON (`application/json`); with its content type.
pub(super) fn plain_body(body: &Value) -> (Vec<u8>, &'static str) {
    match body {
        Value::String(s) => (s.as_bytes().to_vec(), "text/plain; charset=utf-8"),
        other => (
            crate::json::to_string(other).into_bytes(),
            "application/json",
        ),
    }
}

/// `Transform.RequestEncodingOptions.ArrayFormat` (default `REPEAT`).
fn array_format(transform: Option<&Object>) -> Result<ArrayFormat, ExecError> {
    let options = match transform.and_then(|t| t.get("RequestEncodingOptions")) {
        None => return Ok(ArrayFormat::Repeat),
        Some(Value::Object(o)) => o,
        Some(_) => {
            return Err(ExecError::runtime(
                "the HTTP Task's RequestEncodingOptions must be an object",
            ))
        }
    };
    match options.get("ArrayFormat") {
        None => Ok(ArrayFormat::Repeat),
        Some(Value::String(s)) => match s.as_str() {
            "BRACKETS" => Ok(ArrayFormat::Brackets),
            "COMMA" => Ok(ArrayFormat::Comma),
            "INDICES" => Ok(ArrayFormat::Indices),
            "REPEAT" => Ok(ArrayFormat::Repeat),
            other => Err(ExecError::runtime(format!(
                "the HTTP Task's ArrayFormat '{other}' is not one of BRACKETS, COMMA, INDICES, \
                 REPEAT"
            ))),
        },
        Some(_) => Err(ExecError::runtime(
            "the HTTP Task's ArrayFormat must be a string",
        )),
    }
}

/// Percent-encodes `text` for a form body: everything but `A-Z a-z 0-9 - . _ ~`.
fn form_escape(text: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
}

/// Pushes `key=value` (both escaped; `key` is already escaped).
fn push_pair(out: &mut Vec<String>, key: &str, value: &str) {
    let mut pair = String::with_capacity(key.len() + value.len() + 1);
    pair.push_str(key);
    pair.push('=');
    form_escape(value, &mut pair);
    out.push(pair);
}

/// Encodes one body field named `name` (unescaped) into `out`.
fn encode_field(
    out: &mut Vec<String>,
    name: &str,
    value: &Value,
    format: ArrayFormat,
    depth: usize,
) -> Result<(), ExecError> {
    let mut key = String::with_capacity(name.len());
    form_escape(name, &mut key);
    encode_value(out, &key, value, format, depth)
}

/// Encodes `value` under the already-escaped `key`.
fn encode_value(
    out: &mut Vec<String>,
    key: &str,
    value: &Value,
    format: ArrayFormat,
    depth: usize,
) -> Result<(), ExecError> {
    if depth > MAX_FORM_DEPTH {
        return Err(ExecError::runtime(
            "a URL_ENCODED HTTP Task RequestBody is nested too deeply",
        ));
    }
    match value {
        Value::Object(fields) => {
            for (name, v) in fields.iter() {
                let mut sub = format!("{key}%5B");
                form_escape(name, &mut sub);
                sub.push_str("%5D");
                encode_value(out, &sub, v, format, depth + 1)?;
            }
        }
        Value::Array(items) => match format {
            ArrayFormat::Comma => {
                let joined: Vec<String> = items.iter().map(scalar_text).collect();
                push_pair(out, key, &joined.join(","));
            }
            ArrayFormat::Repeat => {
                for item in items.iter() {
                    encode_value(out, key, item, format, depth + 1)?;
                }
            }
            ArrayFormat::Brackets => {
                let sub = format!("{key}%5B%5D");
                for item in items.iter() {
                    encode_value(out, &sub, item, format, depth + 1)?;
                }
            }
            ArrayFormat::Indices => {
                for (i, item) in items.iter().enumerate() {
                    let sub = format!("{key}%5B{i}%5D");
                    encode_value(out, &sub, item, format, depth + 1)?;
                }
            }
        },
        other => push_pair(out, key, &scalar_text(other)),
    }
    Ok(())
}

/// `States.Http.Socket` for a failed request.
fn socket_error(e: reqwest::Error) -> ExecError {
    let what = if e.is_timeout() {
        format!(
            "the HTTP request timed out after {} seconds",
            HTTP_TIMEOUT.as_secs()
        )
    } else {
        format!("the HTTP request failed: {e}")
    };
    ExecError::new(HTTP_SOCKET, what)
}

/// A response read whole: what the HTTP Task and the API Gateway
/// integration make their result of.
pub(super) struct Answer {
    /// The status.
    pub(super) status: reqwest::StatusCode,
    /// The headers, `{name: [values]}` in received order (names lower-case).
    pub(super) headers: Object,
    /// The body as text (invalid UTF-8 replaced).
    pub(super) body: String,
}

impl Answer {
    /// Reads `response` whole; `transport` names a failure while reading.
    ///
    /// # Errors
    /// `States.DataLimitExceeded` for a body over 256 KiB; `transport`'s
    /// error when the body cannot be read.
    pub(super) async fn read(
        mut response: reqwest::Response,
        transport: fn(reqwest::Error) -> ExecError,
    ) -> Result<Self, ExecError> {
        let status = response.status();
        let mut headers = Object::new();
        for (name, value) in response.headers() {
            let text = String::from_utf8_lossy(value.as_bytes()).into_owned();
            match headers.get_mut(name.as_str()) {
                Some(Value::Array(values)) => values.push(Value::from(text)),
                _ => {
                    headers.insert(
                        name.as_str().to_owned(),
                        Value::from(vec![Value::from(text)]),
                    );
                }
            }
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if body.len() + chunk.len() > MAX_PAYLOAD_BYTES {
                return Err(ExecError::new(
                    names::DATA_LIMIT_EXCEEDED,
                    format!(
                        "the HTTP response body exceeds the limit of {MAX_PAYLOAD_BYTES} bytes"
                    ),
                ));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    }

    /// `{"Headers": {name: [values]}, "ResponseBody": <the body parsed when
    /// it is JSON, else its text>, "StatusCode": 200, "StatusText": "OK"}`.
    pub(super) fn into_result(self) -> Value {
        let response_body =
            crate::json::parse(&self.body).unwrap_or_else(|_| Value::from(self.body));
        let mut result = Object::new();
        result.insert("Headers".into(), Value::from(self.headers));
        result.insert("ResponseBody".into(), response_body);
        result.insert(
            "StatusCode".into(),
            Value::from(u64::from(self.status.as_u16())),
        );
        result.insert(
            "StatusText".into(),
            Value::from(self.status.canonical_reason().unwrap_or_default()),
        );
        Value::from(result)
    }
}

#[cfg(test)]
#[path = "http_tests.rs"]
mod tests;
