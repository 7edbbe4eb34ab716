//! AWS Signature Version 4 verification of API requests (`expressway serve
//! --verify-sigv4`), off by default.
//!
//! With it on, every API request must carry an `Authorization` header
//! `AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/states/aws4_request,
//! SignedHeaders=…, Signature=…` made with one of the configured access keys
//! ([`SigV4Keys`]), as the AWS SDKs and the AWS CLI send it. The verifier
//! rebuilds the canonical request (method, canonical URI, canonical query
//! string, the signed headers, the hex SHA-256 of the body; the
//! `X-Amz-Content-Sha256` header, when sent, must equal it), the String to
//! Sign and the signature, exactly as the signer does (AWS IAM user guide,
//! "Create a signed AWS API request", `reference_sigv-create-signed-request.html`;
//! the same code as [`crate::tasks`]' Lambda signer), and refuses the request as
//! AWS's JSON 1.0 services do, HTTP 400 with a `com.amazon.coral.service#…`
//! `__type`:
//!
//! | case | `__type` | message |
//! |---|---|---|
//! | no `Authorization` header | `MissingAuthenticationTokenException` | `Missing Authentication Token` |
//! | header without `Credential`, `SignedHeaders` or `Signature`, no `X-Amz-Date`/`Date`, `host` not signed | `IncompleteSignatureException` | what is missing |
//! | access key not configured | `UnrecognizedClientException` | `The security token included in the request is invalid.` |
//! | date more than 15 minutes from the server's clock | `InvalidSignatureException` | `Signature expired: <date> is now earlier than <now - 15 min> (<now> - 15 min.)` (or `not yet current`) |
//! | scope not `<date>/<region>/states/aws4_request` | `InvalidSignatureException` | `Credential should be scoped to …` |
//! | any other difference | `InvalidSignatureException` | `The request signature we calculated does not match the signature you provided. …` |
//!
//! `GET /metrics` stays open (Prometheus scrapers do not sign).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDateTime, Utc};
use sha2::{Digest, Sha256};

use super::error::ApiError;
use super::server::{MAX_BODY_BYTES, METRICS_PATH};
use crate::tasks::sigv4::{signature, string_to_sign, uri_encode};

/// The environment variable holding the accepted credentials:
/// `AKID:SECRET`, comma-separated for several.
pub const SIGV4_CREDENTIALS_ENV: &str = "EXPRESSWAY_SIGV4_CREDENTIALS";

/// How far a request's date may be from the server's clock (AWS: 15 minutes).
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(15 * 60);

/// The signing name of Step Functions, the service in the credential scope.
pub const SERVICE: &str = "states";

/// The `X-Amz-Date` format.
const AMZ_DATE: &str = "%Y%m%dT%H%M%SZ";

/// Why a credentials list or file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthConfigError {
    /// An entry of a list is not `AKID:SECRET` with both parts non-empty.
    #[error("credential '{0}' must be ACCESS_KEY_ID:SECRET_ACCESS_KEY")]
    BadEntry(String),
    /// The configuration file cannot be read or parsed.
    #[error("cannot read the sigv4 section of {path}: {reason}")]
    File {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
}

/// The access keys whose signatures are accepted: access key id → secret.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SigV4Keys {
    secrets: HashMap<String, String>,
}

impl std::fmt::Debug for SigV4Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut ids: Vec<&String> = self.secrets.keys().collect();
        ids.sort();
        f.debug_struct("SigV4Keys")
            .field("access_key_ids", &ids)
            .finish_non_exhaustive()
    }
}

/// The `sigv4` section of a configuration file.
#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Section {
    #[serde(default)]
    credentials: Vec<FileCredential>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FileCredential {
    access_key_id: String,
    secret_access_key: String,
}

#[derive(serde::Deserialize)]
struct File {
    #[serde(default)]
    sigv4: Section,
}

impl SigV4Keys {
    /// Accepts `access_key_id` signed with `secret_access_key` (replacing any
    /// secret it had).
    pub fn insert(
        &mut self,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
    ) {
        self.secrets
            .insert(access_key_id.into(), secret_access_key.into());
    }

    /// How many access keys are accepted.
    pub fn len(&self) -> usize {
        self.secrets.len()
    }

    /// Whether no access key is accepted.
    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// Adds the entries of `list`: `AKID:SECRET`, comma-separated (blanks
    /// ignored; the secret is everything after the first `:`).
    ///
    /// # Errors
    /// [`AuthConfigError::BadEntry`] for an entry without both parts.
    pub fn add_list(&mut self, list: &str) -> Result<(), AuthConfigError> {
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            match entry.split_once(':') {
                Some((id, secret)) if !id.is_empty() && !secret.is_empty() => {
                    self.insert(id, secret)
                }
                _ => {
                    let shown = entry.split(':').next().unwrap_or_default();
                    return Err(AuthConfigError::BadEntry(format!("{shown}:…")));
                }
            }
        }
        Ok(())
    }

    /// Adds the `sigv4.credentials` of a configuration file (TOML if it ends
    /// in `.toml`, JSON otherwise): `[{"access_key_id", "secret_access_key"}]`
    /// (`[[sigv4.credentials]]` tables in TOML). A file without the section
    /// adds nothing.
    ///
    /// # Errors
    /// [`AuthConfigError::File`] when the file cannot be read or the section
    /// is not of that shape.
    pub fn add_file(&mut self, path: &Path) -> Result<(), AuthConfigError> {
        let err = |reason: String| AuthConfigError::File {
            path: path.display().to_string(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let toml = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("toml"));
        let file: File = if toml {
            toml::from_str(&text).map_err(|e| err(e.to_string()))?
        } else {
            serde_json::from_str(&text).map_err(|e| err(e.to_string()))?
        };
        for c in file.sigv4.credentials {
            if c.access_key_id.is_empty() || c.secret_access_key.is_empty() {
                return Err(err(
                    "access_key_id and secret_access_key must not be empty".into()
                ));
            }
            self.insert(c.access_key_id, c.secret_access_key);
        }
        Ok(())
    }
}

/// Verifies requests' SigV4 signatures against [`SigV4Keys`].
#[derive(Debug, Clone)]
pub struct Verifier {
    keys: SigV4Keys,
    max_skew: Duration,
    /// The service in the credential scope ([`SERVICE`]; the AWS test
    /// suite's vectors use `service`).
    service: &'static str,
}

/// The parts of an `Authorization` header.
struct Authorization<'a> {
    access_key_id: &'a str,
    scope: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    terminator: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
}

impl Verifier {
    /// A verifier accepting `keys`, with AWS's 15-minute clock skew.
    pub fn new(keys: SigV4Keys) -> Self {
        Verifier {
            keys,
            max_skew: MAX_CLOCK_SKEW,
            service: SERVICE,
        }
    }

    /// Verifies one request: its method, path (as sent), raw query string,
    /// headers and body, at the server time `now`.
    ///
    /// # Errors
    /// The [`ApiError`] AWS answers (see the module table).
    pub fn verify(
        &self,
        method: &str,
        path: &str,
        query: Option<&str>,
        headers: &HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<(), ApiError> {
        let Some(header) = headers.get("authorization") else {
            return Err(ApiError::MissingAuthenticationToken);
        };
        let header = header.to_str().map_err(|_| {
            ApiError::IncompleteSignature("The Authorization header is not ASCII.".into())
        })?;
        let auth = parse_authorization(header)?;
        let amz_date = request_date(headers)?;
        let Some(secret) = self.keys.secrets.get(auth.access_key_id) else {
            return Err(ApiError::UnrecognizedClient);
        };
        self.check_skew(&amz_date, now)?;
        let date = amz_date.get(..8).unwrap_or_default();
        let mut scope_problems = String::new();
        if auth.region.is_empty() {
            scope_problems.push_str("Credential should be scoped to a valid region. ");
        }
        if auth.service != self.service {
            scope_problems.push_str(&format!(
                "Credential should be scoped to correct service: '{}'. ",
                self.service
            ));
        }
        if auth.terminator != "aws4_request" {
            scope_problems.push_str(&format!(
                "Credential should be scoped with a valid terminator: 'aws4_request', not '{}'. ",
                auth.terminator
            ));
        }
        if auth.date != date {
            scope_problems.push_str(&format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{date}', from '{amz_date}'. ",
                auth.date
            ));
        }
        if !scope_problems.is_empty() {
            return Err(ApiError::InvalidSignature(
                scope_problems.trim_end().to_owned(),
            ));
        }
        let signed: Vec<&str> = auth.signed_headers.split(';').collect();
        if !signed.contains(&"host") {
            return Err(ApiError::IncompleteSignature(
                "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".into(),
            ));
        }
        let payload = hex::encode(Sha256::digest(body));
        if let Some(sent) = headers.get("x-amz-content-sha256") {
            if sent.as_bytes() != payload.as_bytes() {
                return Err(ApiError::InvalidSignature(
                    "The provided 'x-amz-content-sha256' header does not match what was computed."
                        .into(),
                ));
            }
        }
        let canonical = canonical_request(method, path, query, headers, &signed, &payload);
        let to_sign = string_to_sign(&amz_date, auth.scope, &canonical);
        let expected = signature(secret, date, auth.region, self.service, &to_sign);
        if !constant_time_eq(expected.as_bytes(), auth.signature.as_bytes()) {
            return Err(ApiError::InvalidSignature(format!(
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'{canonical}'\n\nThe String-to-Sign should have been\n'{to_sign}'\n"
            )));
        }
        Ok(())
    }

    /// `Signature expired` / `not yet current` when `amz_date` is more than
    /// the allowed skew from `now`.
    fn check_skew(&self, amz_date: &str, now: SystemTime) -> Result<(), ApiError> {
        let signed = NaiveDateTime::parse_from_str(amz_date, AMZ_DATE)
            .map_err(|_| {
                ApiError::IncompleteSignature(format!(
                    "Date must be in ISO-8601 'basic format'. Got '{amz_date}'. See http://en.wikipedia.org/wiki/ISO_8601"
                ))
            })?
            .and_utc();
        let now: DateTime<Utc> = now.into();
        let skew = chrono::Duration::from_std(self.max_skew).unwrap_or(chrono::Duration::MAX);
        let minutes = self.max_skew.as_secs() / 60;
        let fmt = |t: DateTime<Utc>| t.format(AMZ_DATE).to_string();
        if signed < now - skew {
            return Err(ApiError::InvalidSignature(format!(
                "Signature expired: {amz_date} is now earlier than {} ({} - {minutes} min.)",
                fmt(now - skew),
                fmt(now)
            )));
        }
        if signed > now + skew {
            return Err(ApiError::InvalidSignature(format!(
                "Signature not yet current: {amz_date} is still later than {} ({} + {minutes} min.)",
                fmt(now + skew),
                fmt(now)
            )));
        }
        Ok(())
    }
}

/// Splits `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.
fn parse_authorization(header: &str) -> Result<Authorization<'_>, ApiError> {
    let Some(rest) = header.strip_prefix("AWS4-HMAC-SHA256 ") else {
        return Err(ApiError::IncompleteSignature(format!(
            "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization={header}"
        )));
    };
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for part in rest.split(',').map(str::trim) {
        if let Some((k, v)) = part.split_once('=') {
            match k {
                "Credential" => credential = Some(v),
                "SignedHeaders" => signed_headers = Some(v),
                "Signature" => signature = Some(v),
                _ => {}
            }
        }
    }
    let mut missing = String::new();
    for (name, v) in [
        ("Credential", credential),
        ("Signature", signature),
        ("SignedHeaders", signed_headers),
    ] {
        if v.is_none_or(str::is_empty) {
            missing.push_str(&format!(
                "Authorization header requires '{name}' parameter. "
            ));
        }
    }
    let (Some(credential), Some(signed_headers), Some(signature)) =
        (credential, signed_headers, signature)
    else {
        return Err(ApiError::IncompleteSignature(format!(
            "{missing}Authorization={header}"
        )));
    };
    if !missing.is_empty() {
        return Err(ApiError::IncompleteSignature(format!(
            "{missing}Authorization={header}"
        )));
    }
    let mut parts = credential.splitn(5, '/');
    let (Some(access_key_id), Some(date), Some(region), Some(service), Some(terminator)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(ApiError::IncompleteSignature(format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'"
        )));
    };
    let scope = &credential[access_key_id.len() + 1..];
    Ok(Authorization {
        access_key_id,
        scope,
        date,
        region,
        service,
        terminator,
        signed_headers,
        signature,
    })
}

/// The request's `X-Amz-Date`, else its `Date` (RFC 1123) in the same format.
fn request_date(headers: &HeaderMap) -> Result<String, ApiError> {
    if let Some(d) = headers.get("x-amz-date").and_then(|d| d.to_str().ok()) {
        return Ok(d.to_owned());
    }
    headers
        .get("date")
        .and_then(|d| d.to_str().ok())
        .and_then(|d| DateTime::parse_from_rfc2822(d).ok())
        .map(|d| d.with_timezone(&Utc).format(AMZ_DATE).to_string())
        .ok_or_else(|| {
            ApiError::IncompleteSignature(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
                    .into(),
            )
        })
}

/// The canonical request of the signing process.
fn canonical_request(
    method: &str,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    signed: &[&str],
    payload_hash: &str,
) -> String {
    let path = if path.is_empty() { "/" } else { path };
    let uri: Vec<String> = path.split('/').map(uri_encode).collect();
    let mut pairs: Vec<(String, String)> = query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                uri_encode(&percent_decode(k)),
                uri_encode(&percent_decode(v)),
            )
        })
        .collect();
    pairs.sort();
    let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut canonical_headers = String::new();
    for name in signed {
        let values: Vec<String> = headers
            .get_all(*name)
            .iter()
            .map(|v| collapse_spaces(&String::from_utf8_lossy(v.as_bytes())))
            .collect();
        canonical_headers.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    format!(
        "{method}\n{}\n{}\n{canonical_headers}\n{}\n{payload_hash}",
        uri.join("/"),
        query.join("&"),
        signed.join(";")
    )
}

/// Trims a header value and collapses runs of spaces to one.
fn collapse_spaces(v: &str) -> String {
    v.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Decodes `%XX` escapes (others kept as they are).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Compares two byte strings in time independent of where they differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The axum middleware: verifies every request but `GET /metrics`, then
/// passes it on with its body.
pub(crate) async fn layer(
    State(verifier): State<Arc<Verifier>>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() == axum::http::Method::GET && request.uri().path() == METRICS_PATH {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return with_request_id(ApiError::RequestTooLarge(MAX_BODY_BYTES).into_response());
    };
    if let Err(e) = verifier.verify(
        parts.method.as_str(),
        parts.uri.path(),
        parts.uri.query(),
        &parts.headers,
        &bytes,
        SystemTime::now(),
    ) {
        return with_request_id(e.into_response());
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// Adds an `x-amzn-RequestId`, as every API answer has.
fn with_request_id(response: Response) -> Response {
    super::request_id::with_request_id(response)
}

#[cfg(test)]
#[path = "auth_tests.rs"]
mod tests;
