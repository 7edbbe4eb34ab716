//! One HTTP exchange with a service, protocol-neutral: what a serializer
//! builds and what the response parsers read.

/// A request before its endpoint and signature are added.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct WireRequest {
    /// `GET`, `POST`…
    pub(crate) method: String,
    /// The path as sent (percent-encoded), starting with `/`.
    pub(crate) path: String,
    /// Query parameters, not encoded.
    pub(crate) query: Vec<(String, String)>,
    /// Headers (lower-case names).
    pub(crate) headers: Vec<(String, String)>,
    /// The body.
    pub(crate) body: Vec<u8>,
    /// The S3 bucket the path starts with, for virtual-hosted addressing.
    pub(crate) bucket: Option<String>,
}

/// A response as received.
#[derive(Debug, Default)]
pub(crate) struct WireResponse {
    /// The HTTP status.
    pub(crate) status: u16,
    /// Headers (lower-case names), in received order.
    pub(crate) headers: Vec<(String, String)>,
    /// The body.
    pub(crate) body: Vec<u8>,
}

impl WireResponse {
    /// The first header `name` (lower case).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// RFC 3986 percent-encoding of everything but the unreserved characters
/// (`A-Za-z0-9-_.~`), and `/` too when `keep_slash`.
pub(crate) fn encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (keep_slash && b == b'/')
        {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `k=v&…`, each part encoded.
pub(crate) fn form(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k, false), encode(v, false)))
        .collect::<Vec<_>>()
        .join("&")
}
