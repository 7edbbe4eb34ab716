//! SigV4 signing of a request through the `aws-sigv4` crate.
//!
//! S3 is signed as its SDKs do: the path encoded once, not normalised, and
//! the payload hash sent as `x-amz-content-sha256`.
//!
//! Source: AWS IAM user guide, "Signature Version 4 for API requests".

use std::time::SystemTime;

use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings,
    UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;

use crate::tasks::Credentials;

/// Who signs, for which service and region.
pub(crate) struct Scope<'a> {
    /// The credentials.
    pub(crate) creds: &'a Credentials,
    /// The signing region.
    pub(crate) region: &'a str,
    /// The signing name (`s3`, `states`).
    pub(crate) service: &'a str,
    /// Sign as S3 does.
    pub(crate) s3: bool,
}

/// The headers that sign a request to `url` (`method`, `headers`, `body`)
/// in `scope`.
///
/// # Errors
/// The request cannot be signed (an invalid header value or URL).
pub(crate) fn headers(
    scope: &Scope<'_>,
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<Vec<(String, String)>, String> {
    let Scope {
        creds,
        region,
        service,
        s3,
    } = *scope;
    let identity: Identity = aws_credential_types::Credentials::new(
        creds.access_key_id.clone(),
        creds.secret_access_key.clone(),
        creds.session_token.clone(),
        None,
        "expressway",
    )
    .into();
    let mut settings = SigningSettings::default();
    if s3 {
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    }
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(SystemTime::now())
        .settings(settings)
        .build()
        .map_err(|e| e.to_string())?
        .into();
    let signable = SignableRequest::new(
        method,
        url,
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::Bytes(body),
    )
    .map_err(|e| e.to_string())?;
    let (instructions, _) = sign(signable, &params)
        .map_err(|e| e.to_string())?
        .into_parts();
    Ok(instructions
        .headers()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_with_the_credential_scope() {
        let creds = Credentials {
            access_key_id: "AKID".into(),
            secret_access_key: "SECRET".into(),
            session_token: Some("TOKEN".into()),
        };
        let scope = Scope {
            creds: &creds,
            region: "eu-west-1",
            service: "s3",
            s3: true,
        };
        let h = headers(
            &scope,
            "GET",
            "https://b.s3.eu-west-1.amazonaws.com/k%20y",
            &[],
            b"",
        )
        .unwrap();
        let get = |n: &str| h.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        let auth = get("authorization").unwrap();
        assert!(
            auth.starts_with("AWS4-HMAC-SHA256 Credential=AKID/"),
            "{auth}"
        );
        assert!(auth.contains("/eu-west-1/s3/aws4_request"), "{auth}");
        assert_eq!(get("x-amz-security-token"), Some("TOKEN"));
        assert!(get("x-amz-content-sha256").is_some());
        assert!(get("x-amz-date").is_some());
    }
}
