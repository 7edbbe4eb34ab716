//! The one log set-up of every command: `tracing` events (a handler that
//! panicked, a cluster member that cannot reach Redis, a Task that would call
//! a public AWS endpoint, an SDK call that is retried) go to standard error.
//!
//! The level is `warn` unless `RUST_LOG` says otherwise, in the
//! `target=level` form of [`Targets`] (`RUST_LOG=info`,
//! `RUST_LOG=warn,expressway::cluster=debug`); span and field filters of
//! `tracing-subscriber`'s `EnvFilter` are not offered, which keeps a regular
//! expression engine out of the build.

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

/// The environment variable that sets the log filter.
pub const LOG_ENV: &str = "RUST_LOG";

/// The filter `RUST_LOG` asks for: `warn` when it is unset or empty; an
/// unreadable value is reported on standard error and `warn` is used.
pub fn filter_from(value: Option<&str>) -> Targets {
    let default = Targets::new().with_default(LevelFilter::WARN);
    match value.map(str::trim) {
        None | Some("") => default,
        Some(v) => v.parse().unwrap_or_else(|e| {
            eprintln!("expressway: {LOG_ENV}={v:?} is not a log filter ({e}); using warn");
            default
        }),
    }
}

/// Installs the standard-error logger once per process (a second call does
/// nothing), with the filter [`filter_from`] reads from `RUST_LOG`.
pub fn init() {
    let filter = filter_from(std::env::var(LOG_ENV).ok().as_deref());
    let _ = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(std::io::stderr),
        )
        .with(filter)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

    #[test]
    fn warn_unless_rust_log_says_otherwise() {
        let f = filter_from(None);
        assert!(f.would_enable("expressway::cluster", &Level::WARN));
        assert!(!f.would_enable("expressway::cluster", &Level::INFO));
        assert!(!filter_from(Some("  ")).would_enable("x", &Level::INFO));
    }

    #[test]
    fn rust_log_sets_levels_per_target() {
        let f = filter_from(Some("error,expressway::cluster=debug"));
        assert!(f.would_enable("expressway::cluster::reclaim", &Level::DEBUG));
        assert!(!f.would_enable("expressway::api", &Level::WARN));
        assert!(f.would_enable("expressway::api", &Level::ERROR));
    }

    #[test]
    fn an_unreadable_filter_falls_back_to_warn() {
        let f = filter_from(Some("expressway=loud"));
        assert!(f.would_enable("expressway", &Level::WARN));
        assert!(!f.would_enable("expressway", &Level::INFO));
    }
}
