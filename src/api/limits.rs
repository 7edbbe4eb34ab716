//! The connection limits of `serve` ([`HttpLimits`]): how long a client may
//! take to send a request head, how long an idle keep-alive connection stays
//! open, and how many connections are open at once. Set by built-in
//! defaults, then the `http` section of the `--config` file, then the
//! `--http-*` flags ([`HttpFlags`]):
//!
//! ```toml
//! [http]
//! header_read_timeout_ms = 10000   # a request head must arrive within 10 s
//! idle_timeout_ms = 5000           # an idle keep-alive connection closes after 5 s
//! max_connections = 4096           # past it, new connections get 503 ServiceUnavailable
//! ```
//!
//! [`raise_fd_limit`] raises the process's file-descriptor soft limit to its
//! hard limit at start-up, and [`HttpLimits::effective`] keeps the connection
//! limit under it. The connections themselves are served by [`super::conn`].

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use crate::admission::Format;

/// File descriptors kept for everything but client connections (the
/// listening socket, execution-log files, HTTP Task and AWS clients, a
/// refused connection while it is answered).
pub const RESERVED_FDS: u64 = 256;

/// The connection limits of `serve`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// The longest a client may take to send a whole request head, counted
    /// from when the server starts waiting for it: when the connection is
    /// accepted, and after each response on a keep-alive connection
    /// ([`super::conn`]'s connection timer). Past it the connection is closed
    /// without an answer (slowloris). So an idle keep-alive connection also
    /// closes after at most this long.
    pub header_read_timeout: Duration,
    /// How long a keep-alive connection may stay idle (no request in
    /// flight, no byte received or sent) before the server closes it.
    /// Effective only below [`HttpLimits::header_read_timeout`].
    pub idle_timeout: Duration,
    /// The most client connections open at once, over all shards. One more
    /// is answered `503 ServiceUnavailable` with `Connection: close` (or,
    /// when [`super::conn::MAX_REFUSING`] refusals are already being
    /// answered, closed at once).
    pub max_connections: usize,
}

impl Default for HttpLimits {
    /// 10 s to send a request head, 5 s idle, 4,096 connections.
    fn default() -> Self {
        HttpLimits {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(5),
            max_connections: 4096,
        }
    }
}

/// Some fields of [`HttpLimits`], as the file's `http` section or the flags give them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct HttpFlags {
    /// Longest time a client may take to send a request head, in ms,
    /// counted from the connection's start or the previous response
    /// (default 10000); past it the connection is closed.
    #[arg(long = "http-header-read-timeout-ms")]
    pub header_read_timeout_ms: Option<u64>,
    /// Idle keep-alive connections are closed after this many ms without a
    /// request (default 5000; at most the header-read timeout in effect).
    #[arg(long = "http-idle-timeout-ms")]
    pub idle_timeout_ms: Option<u64>,
    /// Most client connections open at once (default 4096, and at most the
    /// file-descriptor limit minus 256); one more is answered 503
    /// ServiceUnavailable with Connection: close.
    #[arg(long = "http-max-connections")]
    pub max_connections: Option<usize>,
}

/// A configuration file, of which only the `http` section is read here.
#[derive(Debug, Default, Deserialize)]
struct File {
    #[serde(default)]
    http: HttpFlags,
}

/// A bad `http` section or flag.
#[derive(Debug, thiserror::Error)]
pub enum LimitsError {
    /// The configuration file cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: std::path::PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Bad syntax, an unknown field or a wrong type in the `http` section.
    #[error("{}: {source}", path.display())]
    Parse {
        /// The file.
        path: std::path::PathBuf,
        /// The parser's error.
        source: SyntaxError,
    },
    /// A value out of range: the setting (e.g. `http.max_connections`) is 0.
    #[error("{0} must be at least 1")]
    Invalid(&'static str),
}

/// Why a configuration text is not TOML/JSON of the expected shape.
#[derive(Debug, thiserror::Error)]
pub enum SyntaxError {
    /// TOML (a file ending in `.toml`).
    #[error(transparent)]
    Toml(#[from] toml::de::Error),
    /// JSON (any other file).
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

impl HttpLimits {
    /// The defaults, then the file's `http` section (TOML for `.toml`, JSON
    /// otherwise), then `flags`.
    ///
    /// # Errors
    /// [`LimitsError::Read`], [`LimitsError::Parse`] for the file;
    /// [`LimitsError::Invalid`] for a zero value.
    pub fn load(file: Option<&Path>, flags: &HttpFlags) -> Result<Self, LimitsError> {
        let section = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| LimitsError::Read {
                    path: path.to_owned(),
                    source,
                })?;
                Self::parse_section(&text, Format::of(path)).map_err(|source| {
                    LimitsError::Parse {
                        path: path.to_owned(),
                        source,
                    }
                })?
            }
            None => HttpFlags::default(),
        };
        HttpLimits::default().with(&section).with(flags).validated()
    }

    /// The `http` section of a configuration text (empty when absent).
    fn parse_section(text: &str, format: Format) -> Result<HttpFlags, SyntaxError> {
        let file: File = match format {
            Format::Toml => toml::from_str(text)?,
            Format::Json => serde_json::from_str(text)?,
        };
        Ok(file.http)
    }

    /// These limits with the fields `over` sets replaced.
    pub fn with(self, over: &HttpFlags) -> HttpLimits {
        HttpLimits {
            header_read_timeout: over
                .header_read_timeout_ms
                .map_or(self.header_read_timeout, Duration::from_millis),
            idle_timeout: over
                .idle_timeout_ms
                .map_or(self.idle_timeout, Duration::from_millis),
            max_connections: over.max_connections.unwrap_or(self.max_connections),
        }
    }

    /// These limits if every value is at least 1.
    ///
    /// # Errors
    /// [`LimitsError::Invalid`] naming the first zero value.
    pub fn validated(self) -> Result<Self, LimitsError> {
        let zero = if self.header_read_timeout.is_zero() {
            Some("http.header_read_timeout_ms")
        } else if self.idle_timeout.is_zero() {
            Some("http.idle_timeout_ms")
        } else if self.max_connections == 0 {
            Some("http.max_connections")
        } else {
            None
        };
        match zero {
            Some(name) => Err(LimitsError::Invalid(name)),
            None => Ok(self),
        }
    }

    /// These limits with `max_connections` lowered to fit in `fd_limit` file
    /// descriptors ([`RESERVED_FDS`] kept for the rest; at least 1).
    pub fn effective(self, fd_limit: u64) -> HttpLimits {
        let room = usize::try_from(fd_limit.saturating_sub(RESERVED_FDS)).unwrap_or(usize::MAX);
        HttpLimits {
            max_connections: self.max_connections.min(room).max(1),
            ..self
        }
    }
}

/// Raises the process's file-descriptor soft limit (`RLIMIT_NOFILE`) to its
/// hard limit and returns the soft limit in effect: one idle connection
/// costs one descriptor, and the usual soft limit of 1,024 is far below
/// what a server needs. Where the hard limit cannot be set (e.g. unlimited
/// on Linux), the soft limit stays as it was.
///
/// # Errors
/// The limit cannot be read.
pub fn raise_fd_limit() -> std::io::Result<u64> {
    use rlimit::Resource;
    if !Resource::NOFILE.is_supported() {
        return Ok(u64::MAX);
    }
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(soft) => Ok(soft),
        Err(_) => Resource::NOFILE.get().map(|(soft, _)| soft),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_flags_override_the_defaults() {
        let toml = "[other]\nx = 1\n[http]\nheader_read_timeout_ms = 700\nmax_connections = 9\n";
        let json =
            r#"{"admission": {}, "http": {"header_read_timeout_ms": 700, "max_connections": 9}}"#;
        for (text, format) in [(toml, Format::Toml), (json, Format::Json)] {
            let section = HttpLimits::parse_section(text, format).expect("parses");
            let limits = HttpLimits::default().with(&section);
            assert_eq!(limits.header_read_timeout, Duration::from_millis(700));
            assert_eq!(limits.idle_timeout, HttpLimits::default().idle_timeout);
            assert_eq!(limits.max_connections, 9);
            let flags = HttpFlags {
                max_connections: Some(3),
                idle_timeout_ms: Some(40),
                ..HttpFlags::default()
            };
            let limits = limits.with(&flags);
            assert_eq!(limits.max_connections, 3);
            assert_eq!(limits.idle_timeout, Duration::from_millis(40));
            assert_eq!(limits.header_read_timeout, Duration::from_millis(700));
        }
        assert!(matches!(
            HttpLimits::parse_section("[http]\nbogus = 1\n", Format::Toml),
            Err(SyntaxError::Toml(_))
        ));
        assert_eq!(
            HttpLimits::parse_section("{}", Format::Json).expect("parses"),
            HttpFlags::default()
        );
    }

    #[test]
    fn zero_values_are_refused() {
        let zero = HttpFlags {
            idle_timeout_ms: Some(0),
            ..HttpFlags::default()
        };
        let err = HttpLimits::load(None, &zero).expect_err("zero idle timeout");
        assert!(err.to_string().contains("idle_timeout_ms"), "{err}");
        assert!(HttpLimits::load(None, &HttpFlags::default()).is_ok());
    }

    #[test]
    fn the_connection_limit_fits_the_descriptor_limit() {
        let limits = HttpLimits::default();
        assert_eq!(limits.effective(1024).max_connections, 1024 - 256);
        assert_eq!(limits.effective(1 << 20).max_connections, 4096);
        assert_eq!(limits.effective(10).max_connections, 1);
    }

    #[test]
    fn the_soft_limit_is_raised_to_the_hard_limit() {
        let soft = raise_fd_limit().expect("reads the limit");
        let (now, hard) = rlimit::Resource::NOFILE.get().expect("reads the limit");
        assert_eq!(soft, now);
        // Raised unless the hard limit is unlimited (which Linux refuses as a soft limit).
        assert!(now == hard || hard == rlimit::INFINITY, "{now} < {hard}");
    }
}
