//! The evaluation budget of one execution: its deadline, its stop flag and
//! the most bytes one evaluation (a JSONata expression, an Intrinsic
//! Function) may build.
//!
//! JSONata and Intrinsic Function evaluations are synchronous and can be
//! CPU-bound; a tokio timeout or task abort only takes effect at the
//! execution's next `.await`, which never comes inside them. So the engine
//! gives each execution a [`Budget`] and runs its body inside [`scope`]; the
//! evaluators read it with [`current`] and stop by themselves (JSONata polls
//! it every 1,024 evaluation steps, see `vendor/jsonata-core/VENDORED.md`):
//!
//! - past the deadline (the state machine's `TimeoutSeconds`, at most the
//!   Express limit of 5 minutes) the evaluation fails with `States.Timeout`;
//! - once [`Budget::stop`] is called (StopExecution, or the caller of a
//!   synchronous execution went away) it fails at once (the execution is
//!   being dropped anyway, its outcome is not reported);
//! - building more than [`Budget::max_bytes`] (default
//!   [`DEFAULT_MAX_BYTES`], 256 MiB) fails it with `States.DataLimitExceeded`.
//!
//! Source: AWS Step Functions developer guide, "Handling errors in Step
//! Functions workflows" (`States.Timeout`, `States.DataLimitExceeded`) and
//! "Step Functions service quotas" (Express execution duration: 5 minutes).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use crate::errors::names;

/// The default most bytes of values one evaluation may build: 256 MiB.
/// (AWS documents no such figure; its payload quota is 256 KiB per state
/// input and output, checked after evaluation.)
pub const DEFAULT_MAX_BYTES: usize = 256 * 1024 * 1024;

/// The budget of one execution. Cheap to clone (shared).
#[derive(Clone, Debug)]
pub struct Budget {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// When the execution must end, if it has a time limit.
    deadline: Option<Instant>,
    /// Set by [`Budget::stop`].
    stop: Arc<AtomicBool>,
    /// The most bytes one evaluation may build.
    max_bytes: usize,
}

/// Which limit an evaluation ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exceeded {
    /// The execution was stopped (StopExecution, or its caller went away).
    Stopped,
    /// The execution's deadline passed.
    Deadline,
    /// The evaluation built more than this many bytes.
    Bytes(usize),
}

impl Exceeded {
    /// The ASL error name: `States.Timeout` for the deadline,
    /// `States.DataLimitExceeded` for bytes, `States.Runtime` for a stop.
    pub fn error_name(self) -> &'static str {
        match self {
            Exceeded::Deadline => names::TIMEOUT,
            Exceeded::Bytes(_) => names::DATA_LIMIT_EXCEEDED,
            Exceeded::Stopped => names::RUNTIME,
        }
    }

    /// What happened, naming the limit (the engine prefixes the state).
    pub fn describe(self, what: &str) -> String {
        match self {
            Exceeded::Deadline => format!(
                "The execution ran past its time limit (TimeoutSeconds, at most 300 seconds for an Express execution) while evaluating {what}."
            ),
            Exceeded::Bytes(limit) => format!(
                "Evaluating {what} built more than {limit} bytes of values, the per-evaluation memory limit."
            ),
            Exceeded::Stopped => format!("The execution was stopped while evaluating {what}."),
        }
    }
}

impl Budget {
    /// A budget with an optional `deadline` and a cap of `max_bytes` bytes
    /// built per evaluation.
    pub fn new(deadline: Option<Instant>, max_bytes: usize) -> Budget {
        Budget::with_stop_flag(deadline, max_bytes, Arc::default())
    }

    /// A budget whose stop flag is `stop`, shared with its owner: storing
    /// `true` in it is [`Budget::stop`].
    pub fn with_stop_flag(
        deadline: Option<Instant>,
        max_bytes: usize,
        stop: Arc<AtomicBool>,
    ) -> Budget {
        Budget {
            inner: Arc::new(Inner {
                deadline,
                stop,
                max_bytes,
            }),
        }
    }

    /// Stops every evaluation under this budget, now and later: each fails
    /// within 1,024 evaluation steps. Cannot be undone.
    pub fn stop(&self) {
        self.inner.stop.store(true, Ordering::Relaxed);
    }

    /// Whether [`Budget::stop`] was called.
    pub fn is_stopped(&self) -> bool {
        self.inner.stop.load(Ordering::Relaxed)
    }

    /// The deadline, if any.
    pub fn deadline(&self) -> Option<Instant> {
        self.inner.deadline
    }

    /// Whether the deadline has passed.
    pub fn deadline_passed(&self) -> bool {
        self.inner.deadline.is_some_and(|d| Instant::now() >= d)
    }

    /// The most bytes one evaluation may build.
    pub fn max_bytes(&self) -> usize {
        self.inner.max_bytes
    }

    /// The stop flag, shared with the JSONata evaluator.
    pub(crate) fn stop_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.inner.stop)
    }

    /// Fails when the execution was stopped or its deadline has passed.
    ///
    /// # Errors
    /// [`Exceeded::Stopped`] or [`Exceeded::Deadline`].
    pub fn check_time(&self) -> Result<(), Exceeded> {
        if self.is_stopped() {
            Err(Exceeded::Stopped)
        } else if self.deadline_passed() {
            Err(Exceeded::Deadline)
        } else {
            Ok(())
        }
    }

    /// Fails when a result of `bytes` bytes would be more than the
    /// per-evaluation cap.
    ///
    /// # Errors
    /// [`Exceeded::Bytes`].
    pub fn check_bytes(&self, bytes: usize) -> Result<(), Exceeded> {
        if bytes > self.inner.max_bytes {
            Err(Exceeded::Bytes(self.inner.max_bytes))
        } else {
            Ok(())
        }
    }
}

tokio::task_local! {
    /// The budget of the execution whose future is being polled.
    static CURRENT: Budget;
}

/// Runs `fut` with `budget` as the [`current`] one (it is visible whenever
/// `fut` is polled, including in the sub-futures it polls: Parallel
/// branches, Map iterations).
pub async fn scope<F: std::future::Future>(budget: Budget, fut: F) -> F::Output {
    CURRENT.scope(budget, fut).await
}

/// Runs `f` with `budget` as the [`current`] one (for synchronous callers
/// and tests).
pub fn sync_scope<R>(budget: Budget, f: impl FnOnce() -> R) -> R {
    CURRENT.sync_scope(budget, f)
}

/// The budget of the execution being evaluated, if any (none outside an
/// execution, e.g. in TestState's direct evaluation or unit tests: then only
/// the [`DEFAULT_MAX_BYTES`] cap applies).
pub fn current() -> Option<Budget> {
    CURRENT.try_with(Budget::clone).ok()
}

/// Checks the current budget's stop flag and deadline (none outside an
/// execution) and answers the per-evaluation byte cap in force, without
/// cloning the budget: the check an Intrinsic Function call makes.
///
/// # Errors
/// The execution was stopped or is past its deadline.
pub fn check_current() -> Result<usize, Exceeded> {
    CURRENT
        .try_with(|b| b.check_time().map(|()| b.max_bytes()))
        .unwrap_or(Ok(DEFAULT_MAX_BYTES))
}

/// The per-evaluation byte cap in force: the current budget's, else
/// [`DEFAULT_MAX_BYTES`].
pub fn current_max_bytes() -> usize {
    CURRENT
        .try_with(Budget::max_bytes)
        .unwrap_or(DEFAULT_MAX_BYTES)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn stop_and_deadline_are_seen() {
        let b = Budget::new(Some(Instant::now() + Duration::from_secs(60)), 10);
        assert_eq!(b.check_time(), Ok(()));
        let shared = b.clone();
        shared.stop();
        assert_eq!(b.check_time(), Err(Exceeded::Stopped));
        let late = Budget::new(Some(Instant::now()), 10);
        assert_eq!(late.check_time(), Err(Exceeded::Deadline));
        assert_eq!(late.check_bytes(11), Err(Exceeded::Bytes(10)));
        assert_eq!(Exceeded::Deadline.error_name(), names::TIMEOUT);
    }

    #[test]
    fn current_is_scoped() {
        assert!(current().is_none());
        assert_eq!(current_max_bytes(), DEFAULT_MAX_BYTES);
        let seen = sync_scope(Budget::new(None, 42), current_max_bytes);
        assert_eq!(seen, 42);
        assert!(current().is_none());
    }
}
