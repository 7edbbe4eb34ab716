//! AWS Signature Version 4 for the Lambda Invoke request: a small
//! implementation over `sha2` (HMAC-SHA256 built in, RFC 2104).
//!
//! Source: AWS IAM user guide, "Create a signed AWS API request"
//! (`reference_sigv-create-signed-request.html`).

use sha2::{Digest, Sha256};

/// AWS credentials for signing.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// `AWS_ACCESS_KEY_ID`.
    pub access_key_id: String,
    /// `AWS_SECRET_ACCESS_KEY`.
    pub secret_access_key: String,
    /// `AWS_SESSION_TOKEN`, sent as `X-Amz-Security-Token`.
    pub session_token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// The credentials in `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`
    /// (+ `AWS_SESSION_TOKEN`), when both are set and non-empty.
    pub fn from_env() -> Option<Self> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Some(Credentials {
            access_key_id: var("AWS_ACCESS_KEY_ID")?,
            secret_access_key: var("AWS_SECRET_ACCESS_KEY")?,
            session_token: var("AWS_SESSION_TOKEN"),
        })
    }
}

/// The request to sign. `canonical_uri` is the path exactly as sent
/// (already percent-encoded once); it is encoded again per segment, as SigV4
/// requires for every service but S3. `query` is the pairs, unencoded.
pub(crate) struct Request<'a> {
    pub(crate) method: &'a str,
    pub(crate) host: &'a str,
    pub(crate) path: &'a str,
    pub(crate) query: &'a [(&'a str, &'a str)],
    pub(crate) payload: &'a [u8],
}

/// Signs `req` at `amz_date` (`YYYYMMDDTHHMMSSZ`); returns the headers to add:
/// `x-amz-date`, optionally `x-amz-security-token`, and `authorization`.
pub(crate) fn sign(
    req: &Request<'_>,
    creds: &Credentials,
    region: &str,
    service: &str,
    amz_date: &str,
) -> Vec<(&'static str, String)> {
    let date = amz_date.get(..8).unwrap_or(amz_date);
    let mut headers: Vec<(&str, &str)> = vec![("host", req.host), ("x-amz-date", amz_date)];
    if let Some(token) = &creds.session_token {
        headers.push(("x-amz-security-token", token));
    }
    headers.sort_by(|a, b| a.0.cmp(b.0));
    let signed_headers = headers.iter().map(|h| h.0).collect::<Vec<_>>().join(";");
    let canonical_headers: String = headers
        .iter()
        .map(|(k, v)| format!("{k}:{}\n", v.trim()))
        .collect();
    let canonical_uri = req
        .path
        .split('/')
        .map(uri_encode)
        .collect::<Vec<_>>()
        .join("/");
    let mut query: Vec<(String, String)> = req
        .query
        .iter()
        .map(|(k, v)| (uri_encode(k), uri_encode(v)))
        .collect();
    query.sort();
    let canonical_query = query
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let canonical_request = format!(
        "{}\n{canonical_uri}\n{canonical_query}\n{canonical_headers}\n{signed_headers}\n{}",
        req.method,
        hex::encode(Sha256::digest(req.payload))
    );
    let scope = format!("{date}/{region}/{service}/aws4_request");
    let string_to_sign = string_to_sign(amz_date, &scope, &canonical_request);
    let signature = signature(
        &creds.secret_access_key,
        date,
        region,
        service,
        &string_to_sign,
    );
    let mut out = vec![("x-amz-date", amz_date.to_owned())];
    if let Some(token) = &creds.session_token {
        out.push(("x-amz-security-token", token.clone()));
    }
    out.push((
        "authorization",
        format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, \
             Signature={signature}",
            creds.access_key_id
        ),
    ));
    out
}

/// The String to Sign: `AWS4-HMAC-SHA256`, the request's `amz_date`
/// (`YYYYMMDDTHHMMSSZ`), the credential `scope`
/// (`DATE/REGION/SERVICE/aws4_request`) and the hex SHA-256 of the canonical
/// request, one per line.
pub(crate) fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    )
}

/// The hex signature of `string_to_sign` with the key derived from `secret`
/// for `date` (`YYYYMMDD`), `region` and `service`.
pub(crate) fn signature(
    secret: &str,
    date: &str,
    region: &str,
    service: &str,
    string_to_sign: &str,
) -> String {
    let k_date = hmac_sha256(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, service.as_bytes());
    let k_signing = hmac_sha256(&k_service, b"aws4_request");
    hex::encode(hmac_sha256(&k_signing, string_to_sign.as_bytes()))
}

/// SigV4 URI encoding: every byte but `A-Za-z0-9-_.~` as `%XX` (upper case).
pub(crate) fn uri_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// HMAC-SHA256 (RFC 2104, block size 64).
fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    inner.update(data);
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_rfc4231_case2() {
        assert_eq!(
            hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn hmac_long_key_rfc4231_case6() {
        assert_eq!(
            hex::encode(hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    /// `get-vanilla` from the AWS SigV4 test suite.
    #[test]
    fn aws_test_suite_get_vanilla() {
        let creds = Credentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            session_token: None,
        };
        let req = Request {
            method: "GET",
            host: "example.amazonaws.com",
            path: "/",
            query: &[],
            payload: b"",
        };
        let headers = sign(&req, &creds, "us-east-1", "service", "20150830T123600Z");
        let auth = &headers.last().unwrap().1;
        assert_eq!(
            auth,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=host;x-amz-date, \
             Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
    }

    #[test]
    fn encoding() {
        assert_eq!(uri_encode("arn:aws:x$LATEST"), "arn%3Aaws%3Ax%24LATEST");
        assert_eq!(uri_encode("a b~_.-"), "a%20b~_.-");
        assert_eq!(uri_encode("é"), "%C3%A9");
    }

    #[test]
    fn session_token_is_signed() {
        let creds = Credentials {
            access_key_id: "AK".into(),
            secret_access_key: "SK".into(),
            session_token: Some("TOKEN".into()),
        };
        let req = Request {
            method: "POST",
            host: "h",
            path: "/a",
            query: &[("Qualifier", "1")],
            payload: b"{}",
        };
        let h = sign(&req, &creds, "r", "lambda", "20240101T000000Z");
        assert_eq!(h[1], ("x-amz-security-token", "TOKEN".to_owned()));
        assert!(h[2]
            .1
            .contains("SignedHeaders=host;x-amz-date;x-amz-security-token"));
    }
}
