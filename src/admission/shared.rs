//! [`SharedBuckets`]: admission buckets kept outside this process, so that
//! several instances share one limit (`serve --cluster`: the per-machine and
//! global buckets apply to the cluster as a whole, issue 13 item 4).
//!
//! The shared buckets follow the same GCRA schedule as the local ones
//! ([`super::bucket`]), in microseconds on the shared store's clock: one
//! call per start reserves a token in the machine's bucket and then in the
//! global one, atomically, and answers how long the start waits (or which
//! limit refuses it). The caller then sleeps that long: waiting starts are
//! admitted in FIFO order across the cluster, with no queue to keep.
//!
//! When the shared store cannot answer, the start falls back to this
//! process's own buckets (a synchronous start keeps running during an
//! outage of the cluster's Redis; an asynchronous one is refused by the
//! record that follows admission).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use super::config::{Limits, MAX_RATE, MIN_RATE};
use super::Throttled;

/// What a shared bucket answered for one start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SharedAnswer {
    /// Admitted after waiting this long (zero: a token was there).
    Admitted(Duration),
    /// Refused by a limit.
    Refused(Throttled),
    /// The shared store did not answer: use the local buckets.
    Unavailable,
}

/// The schedule parameters of one bucket, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// Emission interval `1 / rate`, µs (at least 1: a shared bucket admits
    /// at most 1,000,000 starts/s).
    pub interval_us: u64,
    /// `(burst - 1) * interval`, µs.
    pub tolerance_us: u64,
    /// `max_wait_ms`, µs.
    pub max_wait_us: u64,
    /// `max_queue`.
    pub max_queue: u64,
}

impl Schedule {
    /// The schedule of `limits`, clamped as the local buckets clamp them.
    pub fn of(limits: &Limits) -> Self {
        let rate = if limits.rate.is_nan() {
            MIN_RATE
        } else {
            limits.rate.clamp(MIN_RATE, MAX_RATE)
        };
        // In range: 1 ..= 1e9 µs.
        let interval_us = ((1e6 / rate).round() as u64).max(1);
        Schedule {
            interval_us,
            tolerance_us: interval_us.saturating_mul(u64::from(limits.burst.max(1) - 1)),
            max_wait_us: limits.max_wait_ms.saturating_mul(1_000),
            max_queue: u64::try_from(limits.max_queue).unwrap_or(u64::MAX),
        }
    }
}

/// A future answered by [`SharedBuckets::reserve`].
pub type SharedFuture = Pin<Box<dyn Future<Output = SharedAnswer> + Send + 'static>>;

/// Buckets shared by several instances (the cluster's Redis).
pub trait SharedBuckets: Send + Sync {
    /// Reserves one token for a start of `machine` in its bucket (`limits`)
    /// and then in the global one (`global`). `bounded`: a synchronous
    /// start, refused when its whole wait would pass its machine's
    /// `max_wait_ms`; an asynchronous one is refused only past each
    /// bucket's own `max_wait_ms` or `max_queue`. A refused start takes no
    /// token.
    fn reserve(
        &self,
        machine: &str,
        limits: Schedule,
        global: Schedule,
        bounded: bool,
    ) -> SharedFuture;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_are_in_microseconds_and_clamped() {
        let s = Schedule::of(&Limits {
            rate: 1_000.0,
            burst: 3,
            max_wait_ms: 2,
            max_queue: 7,
        });
        assert_eq!(
            s,
            Schedule {
                interval_us: 1_000,
                tolerance_us: 2_000,
                max_wait_us: 2_000,
                max_queue: 7
            }
        );
        let fast = Schedule::of(&Limits {
            rate: f64::INFINITY,
            burst: 0,
            max_wait_ms: 0,
            max_queue: 0,
        });
        assert_eq!((fast.interval_us, fast.tolerance_us), (1, 0));
    }
}
