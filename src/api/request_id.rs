//! The `x-amzn-RequestId` of every API answer: a random (version 4) UUID,
//! as AWS sends, drawn from the thread's generator (`rand::rng`:
//! ChaCha, seeded from the OS once per thread) instead of one `getrandom`
//! system call per request (`uuid::Uuid::new_v4`), which cost about 2 % of
//! the server's time under load.

use axum::http::{HeaderName, HeaderValue};
use axum::response::Response;

/// The header's name (lower case, as HTTP/1.1 sends it here), built once:
/// a name given as `&str` is parsed again at every insert.
pub(crate) const HEADER: HeaderName = HeaderName::from_static("x-amzn-requestid");

/// A new request id.
pub(crate) fn new() -> HeaderValue {
    let id = uuid::Builder::from_random_bytes(rand::random::<[u8; 16]>()).into_uuid();
    let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
    HeaderValue::from_str(id.hyphenated().encode_lower(&mut text))
        .unwrap_or_else(|_| HeaderValue::from_static("00000000-0000-4000-8000-000000000000"))
}

/// `response` with a new request id.
pub(crate) fn with_request_id(mut response: Response) -> Response {
    response.headers_mut().insert(HEADER, new());
    response
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_version_4_uuids_and_differ() {
        let a = super::new();
        let b = super::new();
        assert_ne!(a, b);
        let id = uuid::Uuid::parse_str(a.to_str().expect("ascii")).expect("a UUID");
        assert_eq!(id.get_version_num(), 4);
        assert_eq!(a.len(), 36);
    }
}
