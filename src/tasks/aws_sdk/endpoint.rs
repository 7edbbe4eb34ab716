//! Where a service's calls go: the endpoint the AWS SDKs would use.
//!
//! In order: the endpoint set for the process ([`crate::tasks::AwsConfig`], e.g. a
//! local emulator); `AWS_ENDPOINT_URL_<SERVICE>` (the service id upper-cased,
//! spaces and dashes as `_`: `AWS_ENDPOINT_URL_SECRETS_MANAGER`,
//! `AWS_ENDPOINT_URL_DYNAMODB`); `AWS_ENDPOINT_URL`; else the service's
//! regional endpoint `https://<endpointPrefix>.<region>.amazonaws.com`
//! (`.amazonaws.com.cn` in China). The environment variables are ignored
//! when `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` is `true`.
//!
//! Sources: AWS SDKs and Tools reference guide, "Service-specific
//! endpoints" (`feature-ss-endpoints.html`); AWS General Reference,
//! "Service endpoints".

/// The variable naming `service_id`'s endpoint.
pub(crate) fn env_var(service_id: &str) -> String {
    let id: String = service_id
        .chars()
        .map(|c| {
            if c == ' ' || c == '-' {
                '_'
            } else {
                c.to_ascii_uppercase()
            }
        })
        .collect();
    format!("AWS_ENDPOINT_URL_{id}")
}

/// The endpoint configured for `service_id` (no trailing `/`): the one set
/// for the process (`configured`), else `AWS_ENDPOINT_URL_<SERVICE>`, else
/// `AWS_ENDPOINT_URL` (both ignored when
/// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` is `true`); `None` for AWS's own.
pub(crate) fn configured(
    configured: Option<&str>,
    service_id: &str,
    var: &dyn Fn(&str) -> Option<String>,
) -> Option<String> {
    if let Some(url) = configured {
        return Some(url.trim_end_matches('/').to_owned());
    }
    let ignore =
        var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if ignore {
        return None;
    }
    var(&env_var(service_id))
        .or_else(|| var("AWS_ENDPOINT_URL"))
        .map(|url| url.trim().trim_end_matches('/').to_owned())
}

/// The endpoint (no trailing `/`) and whether it is a configured one
/// (not AWS's regional endpoint).
pub(crate) fn resolve(
    configured_url: Option<&str>,
    service_id: &str,
    endpoint_prefix: &str,
    region: &str,
    var: &dyn Fn(&str) -> Option<String>,
) -> (String, bool) {
    if let Some(url) = configured(configured_url, service_id, var) {
        return (url, true);
    }
    let suffix = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    (
        format!("https://{endpoint_prefix}.{region}.{suffix}"),
        false,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence() {
        let env = |k: &str| match k {
            "AWS_ENDPOINT_URL_SECRETS_MANAGER" => Some("http://sm:1/".to_owned()),
            "AWS_ENDPOINT_URL" => Some("http://all:2".to_owned()),
            _ => None,
        };
        assert_eq!(
            env_var("Secrets Manager"),
            "AWS_ENDPOINT_URL_SECRETS_MANAGER"
        );
        assert_eq!(
            resolve(None, "Secrets Manager", "secretsmanager", "eu-west-1", &env),
            ("http://sm:1".to_owned(), true)
        );
        assert_eq!(
            resolve(None, "S3", "s3", "eu-west-1", &env),
            ("http://all:2".to_owned(), true)
        );
        assert_eq!(
            resolve(Some("http://x:3/"), "S3", "s3", "r", &env),
            ("http://x:3".to_owned(), true)
        );
        let none = |_: &str| None;
        assert_eq!(
            resolve(None, "SFN", "states", "eu-west-1", &none),
            ("https://states.eu-west-1.amazonaws.com".to_owned(), false)
        );
        assert_eq!(
            resolve(None, "SFN", "states", "cn-north-1", &none).0,
            "https://states.cn-north-1.amazonaws.com.cn"
        );
        let ignore = |k: &str| match k {
            "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS" => Some("true".to_owned()),
            k => env(k),
        };
        assert!(!resolve(None, "S3", "s3", "us-east-1", &ignore).1);
    }
}
