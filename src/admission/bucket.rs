//! One token bucket, kept as a GCRA schedule (Generic Cell Rate Algorithm):
//! instead of a token count it keeps the *theoretical arrival time* `tat`,
//! the instant at which the bucket would be full again. A start reserved at
//! `now` is admitted at `max(now, tat - tolerance)` and pushes `tat` one
//! emission interval (`1 / rate`) further. This is a token bucket of size
//! `burst` refilled continuously at `rate`, and because every reservation
//! lands after the previous one, waiting starts are admitted in FIFO order
//! with no queue data structure: each start sleeps until its own instant.
//!
//! Times are nanoseconds since the [`super::Admission`]'s origin.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use super::config::{Limits, MAX_RATE, MIN_RATE};

/// Why a start was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// It would have waited longer than `max_wait_ms`.
    MaxWait,
    /// `max_queue` starts were already waiting.
    MaxQueue,
}

/// A token bucket with its FIFO buffer's bookkeeping.
#[derive(Debug)]
pub(crate) struct Bucket {
    /// Emission interval `1 / rate`, in ns (at least 1).
    interval: u64,
    /// How far ahead of `now` `tat` may be with a start still admitted at
    /// once: `(burst - 1) * interval`, in ns.
    tolerance: u64,
    /// `burst`, for the token gauge.
    burst: u32,
    /// `max_wait_ms` in ns.
    max_wait: u64,
    /// `max_queue`.
    max_queue: usize,
    /// Theoretical arrival time, in ns.
    tat: Mutex<u64>,
    /// Starts holding a reservation in the future (the buffer depth).
    waiting: AtomicUsize,
}

impl Bucket {
    /// A full bucket with these limits (out-of-range values are clamped:
    /// rate into [`MIN_RATE`]..=[`MAX_RATE`], burst at least 1).
    pub(crate) fn new(limits: &Limits) -> Self {
        let rate = if limits.rate.is_nan() {
            MIN_RATE
        } else {
            limits.rate.clamp(MIN_RATE, MAX_RATE)
        };
        // In range: 1 ..= 1e12 ns.
        let interval = ((1e9 / rate).round() as u64).max(1);
        let burst = limits.burst.max(1);
        Bucket {
            interval,
            tolerance: interval.saturating_mul(u64::from(burst - 1)),
            burst,
            max_wait: limits.max_wait_ms.saturating_mul(1_000_000),
            max_queue: limits.max_queue,
            tat: Mutex::new(0),
            waiting: AtomicUsize::new(0),
        }
    }

    /// The longest wait allowed, in ns.
    pub(crate) fn max_wait(&self) -> u64 {
        self.max_wait
    }

    /// Reserves one token at `now`: the instant (ns) the start is admitted,
    /// `now` itself when a token is there. A start that must wait counts in
    /// the buffer depth until [`Bucket::leave`]. With `limit` set, a start
    /// that would wait longer than `limit` ns, or find `max_queue` starts
    /// waiting, is refused and takes no token.
    ///
    /// # Errors
    /// The [`Refusal`], only with `limit` set.
    pub(crate) fn reserve(&self, now: u64, limit: Option<u64>) -> Result<u64, Refusal> {
        let mut tat = self.tat.lock().unwrap_or_else(PoisonError::into_inner);
        let at = now.max(tat.saturating_sub(self.tolerance));
        if at > now {
            if let Some(limit) = limit {
                if at - now > limit {
                    return Err(Refusal::MaxWait);
                }
                if self.waiting.load(Ordering::Relaxed) >= self.max_queue {
                    return Err(Refusal::MaxQueue);
                }
            }
            self.waiting.fetch_add(1, Ordering::Relaxed);
        }
        *tat = (*tat).max(at).saturating_add(self.interval);
        Ok(at)
    }

    /// How long a start reserved at `now` would wait, in ns, and whether the
    /// buffer is full; takes nothing.
    pub(crate) fn peek(&self, now: u64) -> (u64, bool) {
        let tat = *self.tat.lock().unwrap_or_else(PoisonError::into_inner);
        let wait = tat.saturating_sub(self.tolerance).saturating_sub(now);
        let full = wait > 0 && self.waiting.load(Ordering::Relaxed) >= self.max_queue;
        (wait, full)
    }

    /// A waiting start was admitted or gave up: the buffer is one shorter.
    pub(crate) fn leave(&self) {
        // Never below 0: only called once per start counted by `reserve`.
        let _ = self
            .waiting
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
    }

    /// Starts waiting for this bucket now.
    pub(crate) fn depth(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// Tokens in the bucket at `now`: `burst` when idle, 0 when starts are
    /// waiting (fractional while refilling).
    pub(crate) fn tokens(&self, now: u64) -> f64 {
        let tat = *self.tat.lock().unwrap_or_else(PoisonError::into_inner);
        let debt = tat.saturating_sub(now) as f64 / self.interval as f64;
        (f64::from(self.burst) - debt).max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket(rate: f64, burst: u32, max_wait_ms: u64, max_queue: usize) -> Bucket {
        Bucket::new(&Limits {
            rate,
            burst,
            max_wait_ms,
            max_queue,
        })
    }

    #[test]
    fn a_burst_is_admitted_at_once_then_one_per_interval() {
        let b = bucket(10.0, 3, 1_000, 100);
        assert_eq!(b.tokens(0), 3.0);
        for _ in 0..3 {
            assert_eq!(b.reserve(0, Some(b.max_wait())), Ok(0));
        }
        assert_eq!(b.tokens(0), 0.0);
        assert_eq!(b.reserve(0, Some(b.max_wait())), Ok(100_000_000));
        assert_eq!(b.reserve(0, Some(b.max_wait())), Ok(200_000_000));
        assert_eq!(b.depth(), 2);
        b.leave();
        b.leave();
        b.leave();
        assert_eq!(b.depth(), 0);
        // Refills continuously: after 1 s, full again.
        assert_eq!(b.tokens(1_300_000_000), 3.0);
        assert_eq!(b.reserve(1_300_000_000, None), Ok(1_300_000_000));
    }

    #[test]
    fn limits_refuse_without_taking_a_token() {
        let b = bucket(1.0, 1, 10_000, 1);
        assert_eq!(b.reserve(0, Some(b.max_wait())), Ok(0));
        assert_eq!(b.reserve(0, Some(b.max_wait())), Ok(1_000_000_000));
        // Queue of 1 is full.
        assert_eq!(b.reserve(0, Some(b.max_wait())), Err(Refusal::MaxQueue));
        assert_eq!(b.peek(0), (2_000_000_000, true));
        b.leave();
        // Would wait 2 s > 1.5 s; nothing taken.
        assert_eq!(b.reserve(0, Some(1_500_000_000)), Err(Refusal::MaxWait));
        assert_eq!(b.peek(0), (2_000_000_000, false));
        // Without a limit (an accepted async start) it always reserves.
        assert_eq!(b.reserve(0, None), Ok(2_000_000_000));
        assert_eq!(b.depth(), 1);
    }

    #[test]
    fn out_of_range_limits_are_clamped() {
        let b = bucket(f64::NAN, 0, 0, 0);
        assert_eq!(b.burst, 1);
        assert_eq!(b.interval, 1_000_000_000_000);
        let b = bucket(f64::INFINITY, 1, u64::MAX, 0);
        assert_eq!(b.interval, 1);
        assert_eq!(b.max_wait(), u64::MAX);
    }
}
