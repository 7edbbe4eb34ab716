//! Retriers and Catchers with their error names resolved into matchers.
//!
//! Source: ASL spec "Retrying after an error", "Fallback states"; AWS guide
//! `concepts-error-handling.html`.

use super::{JsonataTemplate, Payload, ResultPath, StateId};
use crate::errors::names;

/// An `ErrorEquals` list.
#[derive(Debug, Clone)]
pub struct ErrorMatcher {
    names: Vec<Box<str>>,
}

impl ErrorMatcher {
    /// A matcher for these error names.
    pub fn new(names: Vec<Box<str>>) -> Self {
        ErrorMatcher { names }
    }

    /// Whether `error` is matched.
    ///
    /// `States.Runtime` is never matched; `States.ALL` matches everything else
    /// (a Task's `States.DataLimitExceeded` included, as the AWS recordings
    /// show); `States.TaskFailed` matches everything `States.ALL` does except
    /// `States.Timeout`.
    pub fn matches(&self, error: &str) -> bool {
        if error == names::RUNTIME {
            return false;
        }
        self.names.iter().any(|n| {
            let n = &**n;
            n == error || n == names::ALL || (n == names::TASK_FAILED && error != names::TIMEOUT)
        })
    }
}

/// `JitterStrategy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jitter {
    /// `NONE` (default): the computed delay.
    None,
    /// `FULL`: uniform in `[0, delay]`.
    Full,
}

/// One Retrier.
#[derive(Debug, Clone)]
pub struct Retrier {
    /// ErrorEquals.
    pub matcher: ErrorMatcher,
    /// IntervalSeconds (default 1).
    pub interval_seconds: f64,
    /// MaxAttempts (default 3; 0 = never).
    pub max_attempts: u32,
    /// BackoffRate (default 2.0).
    pub backoff_rate: f64,
    /// MaxDelaySeconds, capping the delay.
    pub max_delay_seconds: Option<f64>,
    /// JitterStrategy.
    pub jitter: Jitter,
}

impl Retrier {
    /// The delay in seconds before retry number `attempt` (0-based), before
    /// jitter: `min(IntervalSeconds × BackoffRate^attempt, MaxDelaySeconds)`.
    pub fn delay_seconds(&self, attempt: u32) -> f64 {
        let d = self.interval_seconds * self.backoff_rate.powi(attempt.min(1_000) as i32);
        match self.max_delay_seconds {
            Some(max) => d.min(max),
            None => d,
        }
    }
}

/// One Catcher.
#[derive(Debug)]
pub struct Catcher {
    /// ErrorEquals.
    pub matcher: ErrorMatcher,
    /// Next.
    pub next: StateId,
    /// ResultPath (default `$`).
    pub result_path: ResultPath,
    /// JSONata `Output` (default: the `{Error, Cause}` object).
    pub output: Option<JsonataTemplate>,
    /// `Assign`, replacing the state's own.
    pub assign: Option<Payload>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(names: &[&str]) -> ErrorMatcher {
        ErrorMatcher::new(names.iter().map(|s| (*s).into()).collect())
    }

    #[test]
    fn matching_rules() {
        assert!(m(&["States.ALL"]).matches("Custom"));
        assert!(m(&["States.ALL"]).matches("States.Timeout"));
        assert!(!m(&["States.ALL"]).matches("States.Runtime"));
        assert!(m(&["States.ALL"]).matches("States.DataLimitExceeded"));
        assert!(m(&["States.TaskFailed"]).matches("Lambda.Unknown"));
        assert!(!m(&["States.TaskFailed"]).matches("States.Timeout"));
        assert!(m(&["A", "B"]).matches("B"));
        assert!(!m(&["A"]).matches("B"));
        assert!(!m(&["States.Runtime"]).matches("States.Runtime"));
    }

    #[test]
    fn delays() {
        let r = Retrier {
            matcher: m(&["X"]),
            interval_seconds: 1.0,
            max_attempts: 3,
            backoff_rate: 2.0,
            max_delay_seconds: Some(3.0),
            jitter: Jitter::None,
        };
        assert_eq!(r.delay_seconds(0), 1.0);
        assert_eq!(r.delay_seconds(1), 2.0);
        assert_eq!(r.delay_seconds(2), 3.0);
        assert_eq!(r.delay_seconds(50_000), 3.0);
    }
}
