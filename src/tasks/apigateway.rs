//! The optimized API Gateway integration, `arn:aws:states:::apigateway:invoke`
//! (and `…:invoke.waitForTaskToken`, whose token the engine handles): calls
//! an API deployed in Amazon API Gateway with the Task's rendered
//! `Parameters` and returns the response.
//!
//! Parameters (AWS developer guide, "Call API Gateway with Step Functions",
//! `connect-api-gateway.html`):
//!
//! - `ApiEndpoint` (required): the API's host name,
//!   `<API ID>.execute-api.<region>.amazonaws.com` (`.amazonaws.com.cn` in
//!   China); the API ID is lower-case letters and digits. The region is the
//!   one requests are signed for.
//! - `Method` (required): `GET`, `POST`, `PUT`, `DELETE`, `PATCH`, `HEAD` or
//!   `OPTIONS`.
//! - `Stage`: the stage the API is deployed to (omitted for an HTTP API's
//!   `$default` stage); `Path`: the path after it. The URL called is
//!   `https://{ApiEndpoint}/{Stage}/{Path}`.
//! - `Headers`, `QueryParameters`: objects of names to lists of values (a
//!   single value is taken as a list of one); a query name repeats per
//!   value. Header names the guide forbids fail the Task: anything starting
//!   with `X-Forwarded`, `X-Amz` or `X-Amzn`, and `Authorization`,
//!   `Connection`, `Content-md5`, `Expect`, `Host`, `Max-Forwards`,
//!   `Proxy-Authenticate`, `Server`, `TE`, `Transfer-Encoding`, `Trailer`,
//!   `Upgrade`, `Via`, `Www-Authenticate` (any case).
//! - `RequestBody`: JSON (sent as `application/json`) or a string (sent as
//!   is), for `PATCH`, `POST` and `PUT` only; an empty one (`{}`, `""`) with
//!   another method is not sent (the guide's own GET example has `{}`), a
//!   non-empty one fails the Task.
//! - `AllowNullValues` (default `false`): unless `true`, `null` members of
//!   the request body (at any depth) and `null` header and query values are
//!   not sent; with `true` they are (`null` in JSON, the text `null` in a
//!   header or query value).
//! - `AuthType`: `NO_AUTH` (the default), `IAM_ROLE` or `RESOURCE_POLICY`;
//!   the last two sign the request with SigV4 for the service `execute-api`
//!   in the endpoint's region (signed headers `host`, `x-amz-date` and, with
//!   a session token, `x-amz-security-token`), with the AWS integrations' credentials
//!   ([`crate::tasks::aws_sdk`]: `Tasks::set_aws`, `AWS_ACCESS_KEY_ID`…).
//!   There are no IAM roles or resource policies here: both are plain
//!   signed calls, which the API's own authorizer checks.
//!
//! The result is `{"Headers": {name: [values]}, "ResponseBody": <JSON when
//! the body is JSON, else its text>, "StatusCode": 200, "StatusText":
//! "OK"}`, as the HTTP Task's (header names lower-case, as HTTP/2 and the
//! `http` crate carry them; AWS keeps the received case).
//!
//! Errors (the guide's "Error handling"): a status other than 2xx fails the
//! Task with `ApiGateway.<status>` (`ApiGateway.403`), cause the response
//! body as text (AWS's recorded `{"message":"Missing Authentication Token"}`);
//! a call that gets no answer (connection refused, no such host, over 60 s)
//! with `ApiGateway.<Exception>`, here `ApiGateway.SdkClientException` (the
//! AWS SDK for Java's name for a call without an answer, which the guide
//! leaves open), cause `Unable to execute HTTP request: …`; a response body
//! over 256 KiB with `States.DataLimitExceeded` (the Task result's quota;
//! the request is a Task's parameters, so within it already); ill-formed
//! parameters with `States.Runtime`.
//!
//! The endpoint: [`EXECUTE_API_ENDPOINT_ENV`] (`AWS_ENDPOINT_URL_EXECUTE_API`)
//! or `AWS_ENDPOINT_URL`, or `Tasks::set_aws`'s endpoint, replaces
//! `https://{ApiEndpoint}` (a local server standing in for the API gets
//! `/{Stage}/{Path}`). The AWS SDKs define no variable for `execute-api`
//! (their "Identifiers for service-specific endpoints" table lists the API
//! Gateway control planes only: `AWS_ENDPOINT_URL_API_GATEWAY`,
//! `…_APIGATEWAYV2`, `…_APIGATEWAYMANAGEMENTAPI`), so the name is the SDKs'
//! rule applied to `execute-api`, the signing name and endpoint prefix of
//! deployed APIs.
//!
//! Sources: AWS guide `connect-api-gateway.html`; LocalStack's recorded AWS
//! histories of `apigateway:invoke` (the result shape, `ApiGateway.403` and
//! its cause, string bodies sent as is).

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, CONTENT_TYPE};
use reqwest::{Method, Url};
use simd_json::prelude::*;

use super::aws_sdk::{endpoint, sign, AwsSdk};
use super::http::{self, Answer, HttpClient, HTTP_TIMEOUT};
use super::sigv4::uri_encode;
use super::Credentials;
use crate::errors::ExecError;
use crate::json::{Object, Value};

/// The environment variable whose URL replaces `https://{ApiEndpoint}`
/// (else `AWS_ENDPOINT_URL`).
pub const EXECUTE_API_ENDPOINT_ENV: &str = "AWS_ENDPOINT_URL_EXECUTE_API";

/// The signing name and endpoint prefix of deployed APIs.
const EXECUTE_API: &str = "execute-api";

/// How the integration names itself in its errors.
const WHAT: &str = "API Gateway Task";

/// The prefix of the integration's error names (`ApiGateway.404`).
const ERROR_PREFIX: &str = "ApiGateway";

/// The parameters AWS accepts.
const FIELDS: [&str; 9] = [
    "ApiEndpoint",
    "Method",
    "Headers",
    "Stage",
    "Path",
    "QueryParameters",
    "RequestBody",
    "AllowNullValues",
    "AuthType",
];

/// Header names the guide forbids (compared without regard to case).
const FORBIDDEN_HEADERS: [&str; 14] = [
    "authorization",
    "connection",
    "content-md5",
    "expect",
    "host",
    "max-forwards",
    "proxy-authenticate",
    "server",
    "te",
    "transfer-encoding",
    "trailer",
    "upgrade",
    "via",
    "www-authenticate",
];

/// Header name prefixes the guide forbids (`X-Amzn` is within `X-Amz`).
const FORBIDDEN_PREFIXES: [&str; 2] = ["x-forwarded", "x-amz"];

/// Whether `resource` is the API Gateway integration in any partition
/// (`arn:PARTITION:states:::apigateway:invoke`).
pub(crate) fn is_apigateway_invoke(resource: &str) -> bool {
    resource
        .strip_prefix("arn:")
        .and_then(|rest| rest.split_once(':'))
        .is_some_and(|(_, rest)| rest == "states:::apigateway:invoke")
}

/// The endpoint configured to replace `https://{ApiEndpoint}`, if any:
/// `aws`'s explicit one, else [`EXECUTE_API_ENDPOINT_ENV`], else
/// `AWS_ENDPOINT_URL`.
pub(crate) fn configured_endpoint(aws: &AwsSdk) -> Option<String> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    endpoint::configured(
        aws.config().and_then(|c| c.endpoint_url.as_deref()),
        EXECUTE_API,
        &var,
    )
}

/// `AuthType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AuthType {
    /// Unsigned.
    NoAuth,
    /// Signed with SigV4 (`IAM_ROLE`, `RESOURCE_POLICY`).
    Signed,
}

/// `ApiEndpoint` taken apart.
#[derive(Debug, PartialEq, Eq)]
struct ApiHost<'a> {
    /// The API ID.
    id: &'a str,
    /// The region.
    region: &'a str,
}

/// Reads `ApiEndpoint`: `<API ID>.execute-api.<region>.amazonaws.com[.cn]`.
fn parse_api_endpoint(endpoint: &str) -> Result<ApiHost<'_>, ExecError> {
    let bad = || {
        ExecError::runtime(format!(
            "the {WHAT}'s ApiEndpoint '{endpoint}' is not an API Gateway host name \
             '<API ID>.execute-api.<region>.amazonaws.com' (no scheme, port or path)"
        ))
    };
    let (id, rest) = endpoint.split_once('.').ok_or_else(bad)?;
    let rest = rest.strip_prefix("execute-api.").ok_or_else(bad)?;
    let region = rest
        .strip_suffix(".amazonaws.com")
        .or_else(|| rest.strip_suffix(".amazonaws.com.cn"))
        .ok_or_else(bad)?;
    let id_ok = !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let region_ok = !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if id_ok && region_ok {
        Ok(ApiHost { id, region })
    } else {
        Err(bad())
    }
}

/// An optional string parameter.
fn optional_str<'a>(obj: &'a Object, key: &str) -> Result<Option<&'a str>, ExecError> {
    match obj.get(key) {
        None => Ok(None),
        Some(v) if v.is_null() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(ExecError::runtime(format!(
            "the {WHAT} parameter '{key}' must be a string"
        ))),
    }
}

/// `AuthType` (default `NO_AUTH`).
fn auth_type(obj: &Object) -> Result<AuthType, ExecError> {
    match optional_str(obj, "AuthType")? {
        None | Some("NO_AUTH") => Ok(AuthType::NoAuth),
        Some("IAM_ROLE" | "RESOURCE_POLICY") => Ok(AuthType::Signed),
        Some(other) => Err(ExecError::runtime(format!(
            "the {WHAT}'s AuthType '{other}' is not one of NO_AUTH, IAM_ROLE, RESOURCE_POLICY"
        ))),
    }
}

/// `AllowNullValues` (default `false`).
fn allow_nulls(obj: &Object) -> Result<bool, ExecError> {
    match obj.get("AllowNullValues").map(|v| (v, v.as_bool())) {
        None => Ok(false),
        Some((_, Some(b))) => Ok(b),
        Some((_, None)) => Err(ExecError::runtime(format!(
            "the {WHAT} parameter 'AllowNullValues' must be a boolean"
        ))),
    }
}

/// `value` without its `null` object members, at any depth (array items
/// are kept, so positions keep their meaning).
fn without_null_members(value: &Value) -> Value {
    match value {
        Value::Object(members) => {
            let mut out = Object::with_capacity(members.len());
            for (k, v) in members.iter().filter(|(_, v)| !v.is_null()) {
                out.insert(k.clone(), without_null_members(v));
            }
            Value::from(out)
        }
        Value::Array(items) => Value::from(
            items
                .iter()
                .map(without_null_members)
                .collect::<Vec<Value>>(),
        ),
        other => other.clone(),
    }
}

/// The `(name, value text)` pairs of `Headers` or `QueryParameters` (`key`):
/// an object of names to lists of values or single values; `null` values
/// left out unless `allow_nulls`.
fn pairs(obj: &Object, key: &str, allow_nulls: bool) -> Result<Vec<(String, String)>, ExecError> {
    let members = match obj.get(key) {
        None => return Ok(Vec::new()),
        Some(Value::Object(members)) => members,
        Some(_) => {
            return Err(ExecError::runtime(format!(
                "the {WHAT} parameter '{key}' must be an object of names to lists of values"
            )))
        }
    };
    let mut out = Vec::with_capacity(members.len());
    for (name, value) in members.iter() {
        let values: &[Value] = match value {
            Value::Array(items) => items,
            single => std::slice::from_ref(single),
        };
        for v in values.iter().filter(|v| allow_nulls || !v.is_null()) {
            if matches!(v, Value::Array(_) | Value::Object(_)) {
                return Err(ExecError::runtime(format!(
                    "the {WHAT} parameter '{key}': the values of '{name}' must be strings, \
                     numbers or booleans"
                )));
            }
            out.push((name.clone(), http::scalar_text(v)));
        }
    }
    Ok(out)
}

/// Fails for a header name the guide forbids.
fn check_header_name(name: &str) -> Result<(), ExecError> {
    let lower = name.to_ascii_lowercase();
    if FORBIDDEN_HEADERS.contains(&lower.as_str())
        || FORBIDDEN_PREFIXES.iter().any(|p| lower.starts_with(p))
    {
        return Err(ExecError::runtime(format!(
            "the {WHAT}'s Headers contain '{name}', which Step Functions does not permit \
             (X-Forwarded*, X-Amz*, Authorization, Connection, Content-md5, Expect, Host, \
             Max-Forwards, Proxy-Authenticate, Server, TE, Transfer-Encoding, Trailer, \
             Upgrade, Via, Www-Authenticate)"
        )));
    }
    Ok(())
}

/// Whether `body` carries nothing (`{}`, `[]`, `""`).
fn is_empty_body(body: &Value) -> bool {
    match body {
        Value::Object(o) => o.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::String(s) => s.is_empty(),
        other => other.is_null(),
    }
}

/// The body to send and its content type, from `RequestBody`.
fn request_body(
    obj: &Object,
    method: &Method,
    allow_nulls: bool,
) -> Result<Option<(Vec<u8>, &'static str)>, ExecError> {
    let body = match obj.get("RequestBody") {
        None => return Ok(None),
        Some(b) if b.is_null() && !allow_nulls => return Ok(None),
        Some(b) if allow_nulls => b.clone(),
        Some(b) => without_null_members(b),
    };
    if !matches!(*method, Method::PATCH | Method::POST | Method::PUT) {
        if is_empty_body(&body) {
            return Ok(None);
        }
        return Err(ExecError::runtime(format!(
            "the {WHAT}'s RequestBody is only supported for the PATCH, POST and PUT methods, \
             not {method}"
        )));
    }
    Ok(Some(http::plain_body(&body)))
}

/// A call that got no answer: `ApiGateway.SdkClientException`.
fn client_error(description: impl std::fmt::Display) -> ExecError {
    ExecError::new(
        format!("{ERROR_PREFIX}.SdkClientException"),
        format!("Unable to execute HTTP request: {description}"),
    )
}

/// A transport failure while sending or reading.
fn transport_error(e: reqwest::Error) -> ExecError {
    if e.is_timeout() {
        return client_error("the request timed out");
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    client_error(text)
}

/// The URL called: `base` (`https://{ApiEndpoint}` or the configured
/// endpoint), then `/{Stage}/{Path}`, then the query.
fn api_url(base: &str, stage: Option<&str>, path: Option<&str>) -> Result<Url, ExecError> {
    let mut url = Url::parse(base).map_err(|e| {
        ExecError::runtime(format!(
            "the API Gateway endpoint '{base}' is not a URL ({EXECUTE_API_ENDPOINT_ENV}, \
             AWS_ENDPOINT_URL or Tasks::set_aws): {e}"
        ))
    })?;
    let mut full = url.path().trim_end_matches('/').to_owned();
    for part in [stage, path].into_iter().flatten() {
        let part = part.trim_matches('/');
        if !part.is_empty() {
            full.push('/');
            full.push_str(part);
        }
    }
    if full.is_empty() {
        full.push('/');
    }
    url.set_path(&full);
    Ok(url)
}

/// Adds the SigV4 headers for `execute-api` in `region` to `headers`: the
/// signed ones are `host` and `x-amz-date` (and the session token).
fn sign_request(
    headers: &mut HeaderMap,
    creds: &Credentials,
    region: &str,
    method: &Method,
    url: &Url,
    body: &[u8],
) -> Result<(), ExecError> {
    let scope = sign::Scope {
        creds,
        region,
        service: EXECUTE_API,
        s3: false,
    };
    let signed = sign::headers(&scope, method.as_str(), url.as_str(), &[], body)
        .map_err(|e| client_error(format!("cannot sign the request: {e}")))?;
    for (name, value) in signed {
        let (name, value) = http::header(&name, &value, WHAT)?;
        headers.insert(name, value);
    }
    Ok(())
}

/// Calls the API the rendered `Parameters` describe, through `client`'s
/// pooled connections, signed with `aws`'s credentials when `AuthType`
/// asks; `timeout` (the Task's TimeoutSeconds) bounds the call besides the
/// 60 s of every call.
///
/// # Errors
/// As the module docs say: `ApiGateway.<status>` for a non-2xx response,
/// `ApiGateway.SdkClientException` for no answer or no credentials to sign
/// with, `States.DataLimitExceeded` for a body over 256 KiB,
/// `States.Runtime` for ill-formed parameters.
pub(crate) async fn invoke(
    client: &HttpClient,
    aws: &AwsSdk,
    params: &Value,
    timeout: Option<Duration>,
) -> Result<Value, ExecError> {
    let Value::Object(obj) = params else {
        return Err(ExecError::runtime(format!(
            "the Parameters of an {WHAT} must be an object"
        )));
    };
    if let Some(field) = obj.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(ExecError::runtime(format!(
            "the {WHAT} parameter '{field}' is not supported (supported: {})",
            FIELDS.join(", ")
        )));
    }
    let api = parse_api_endpoint(http::required_str(obj, "ApiEndpoint", WHAT)?)?;
    let method = http::parse_method(http::required_str(obj, "Method", WHAT)?, WHAT)?;
    let auth = auth_type(obj)?;
    let allow_nulls = allow_nulls(obj)?;

    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    let (base, custom) = endpoint::resolve(
        aws.config().and_then(|c| c.endpoint_url.as_deref()),
        EXECUTE_API,
        &format!("{}.{EXECUTE_API}", api.id),
        api.region,
        &var,
    );
    let mut url = api_url(
        &base,
        optional_str(obj, "Stage")?,
        optional_str(obj, "Path")?,
    )?;
    let query = pairs(obj, "QueryParameters", allow_nulls)?;
    if !query.is_empty() {
        // SigV4's encoding (a space as `%20`, not a form's `+`), so that the
        // query sent is the one signed.
        let text: Vec<String> = query
            .iter()
            .map(|(name, value)| format!("{}={}", uri_encode(name), uri_encode(value)))
            .collect();
        url.set_query(Some(&text.join("&")));
    }
    let mut headers = HeaderMap::new();
    for (name, value) in pairs(obj, "Headers", allow_nulls)? {
        check_header_name(&name)?;
        let (name, value) = http::header(&name, &value, WHAT)?;
        headers.append(name, value);
    }
    let body = request_body(obj, &method, allow_nulls)?;
    if let Some((_, content_type)) = &body {
        if !headers.contains_key(CONTENT_TYPE) {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        }
    }
    let body = body.map(|(bytes, _)| bytes).unwrap_or_default();

    if auth == AuthType::Signed {
        let creds = aws.credentials(custom).await.ok_or_else(|| {
            ExecError::new(
                format!("{ERROR_PREFIX}.SdkClientException"),
                "Unable to load AWS credentials to sign the request (AuthType IAM_ROLE or \
                 RESOURCE_POLICY): set them with Tasks::set_aws or AWS_ACCESS_KEY_ID and \
                 AWS_SECRET_ACCESS_KEY",
            )
        })?;
        sign_request(&mut headers, &creds, api.region, &method, &url, &body)?;
    }

    let http = client
        .client()
        .map_err(|e| client_error(format!("cannot build the HTTP client: {e}")))?;
    let mut request = http.request(method, url).headers(headers).body(body);
    if let Some(t) = timeout.filter(|t| *t < HTTP_TIMEOUT) {
        request = request.timeout(t);
    }
    let response = request.send().await.map_err(transport_error)?;
    let answer = Answer::read(response, transport_error).await?;
    if answer.status.is_success() {
        Ok(answer.into_result())
    } else {
        Err(ExecError::new(
            format!("{ERROR_PREFIX}.{}", answer.status.as_u16()),
            answer.body,
        ))
    }
}

#[cfg(test)]
#[path = "apigateway_tests.rs"]
mod tests;
