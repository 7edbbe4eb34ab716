//! The memory budget of one execution: the values it holds in flight in
//! Map iterations and Parallel branches, counted as they are made, so that
//! one execution (a wide or nested Map whose results pile up) cannot take
//! the memory every other execution on the server needs.
//!
//! What is counted: the input of every running Map iteration (Parallel
//! branches share the Parallel's input: nothing is copied for them), and
//! every result the iterations and branches returned until the state that
//! collects them ends; each at its in-memory estimate ([`Measure::memory_bytes`]),
//! from the walk that measures it for the payload and depth limits. Past
//! the budget the state fails with `States.DataLimitExceeded` (reference
//! §2; the budget itself is ours: AWS documents none, its Express limits
//! are the 256 KiB payload and the 40 concurrent inline iterations).

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::errors::{names, ExecError};
use crate::json::size::Measure;

/// The default memory budget of one execution: 256 MiB.
pub const DEFAULT_MEMORY_BUDGET_BYTES: usize = 256 * 1024 * 1024;

/// An execution's budget and what it holds now.
#[derive(Debug)]
pub(crate) struct Budget {
    limit: usize,
    used: AtomicUsize,
}

/// Bytes held against a [`Budget`]; given back when dropped.
#[derive(Debug)]
pub(crate) struct Charge<'b> {
    budget: &'b Budget,
    bytes: usize,
}

impl Budget {
    /// A budget of `limit` bytes, nothing held.
    pub(crate) fn new(limit: usize) -> Self {
        Budget {
            limit,
            used: AtomicUsize::new(0),
        }
    }

    /// Holds `measure`'s estimate until the charge is dropped.
    ///
    /// # Errors
    /// `States.DataLimitExceeded` naming `state` and the limit when the
    /// execution would hold more than its budget (nothing is held then).
    pub(crate) fn charge(&self, measure: &Measure, state: &str) -> Result<Charge<'_>, ExecError> {
        let bytes = measure.memory_bytes();
        let before = self.used.fetch_add(bytes, Ordering::Relaxed);
        if before.saturating_add(bytes) > self.limit {
            self.used.fetch_sub(bytes, Ordering::Relaxed);
            return Err(ExecError::new(
                names::DATA_LIMIT_EXCEEDED,
                format!(
                    "The state '{state}' needs more than the execution's memory budget of {} bytes for the values of its iterations or branches.",
                    self.limit
                ),
            ));
        }
        Ok(Charge {
            budget: self,
            bytes,
        })
    }

    /// Bytes held now.
    #[cfg(test)]
    pub(crate) fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }
}

impl Drop for Charge<'_> {
    fn drop(&mut self) {
        self.budget.used.fetch_sub(self.bytes, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::size::measure;

    #[test]
    fn charges_are_given_back_and_the_limit_holds() {
        let v = crate::json::parse(r#"{"a":"xxxxxxxxxx","b":[1,2,3]}"#).unwrap();
        let m = measure(&v);
        let one = m.memory_bytes();
        let budget = Budget::new(2 * one);
        let a = budget.charge(&m, "S").unwrap();
        let b = budget.charge(&m, "S").unwrap();
        assert_eq!(budget.used(), 2 * one);
        let e = budget.charge(&m, "S").unwrap_err();
        assert_eq!(e.error, names::DATA_LIMIT_EXCEEDED);
        assert!(
            e.cause.contains("'S'") && e.cause.contains(&(2 * one).to_string()),
            "{}",
            e.cause
        );
        assert_eq!(budget.used(), 2 * one);
        drop(a);
        drop(b);
        assert_eq!(budget.used(), 0);
    }
}
