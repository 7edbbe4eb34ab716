//! [`ClusterError`]: why the cluster store could not reach or use Redis.
//! The start layer sees it as [`crate::start::StartError::ServiceUnavailable`].

/// Why a cluster operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClusterError {
    /// The `--cluster` URL is not a `redis://HOST:PORT[/DB]` URL; the reason.
    #[error("invalid cluster URL: {0}")]
    Url(String),
    /// Redis is unreachable or answered with an error; the client's message.
    #[error("Redis is unavailable: {0}")]
    Unavailable(String),
    /// Redis holds something this version cannot read (a corrupt record);
    /// what and why.
    #[error("unreadable cluster record {0}")]
    Corrupt(String),
}

impl From<redis::RedisError> for ClusterError {
    fn from(e: redis::RedisError) -> Self {
        ClusterError::Unavailable(e.to_string())
    }
}

impl From<ClusterError> for crate::start::StartError {
    fn from(e: ClusterError) -> Self {
        crate::start::StartError::ServiceUnavailable(e.to_string())
    }
}
