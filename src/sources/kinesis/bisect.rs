//! Failed batches: retried, then split in half until the record that fails
//! (the poison record) is alone, as a Lambda Kinesis event source mapping
//! does with `MaximumRetryAttempts` and `BisectBatchOnFunctionError`
//! (AWS Lambda developer guide, "Using Lambda with Kinesis Data Streams",
//! error handling).
//!
//! A batch of `n` records runs up to `1 + retries` times; if it never
//! succeeds and holds more than one record, each half runs the same way,
//! left half first (so records keep their shard order), and so on. A single
//! record that never succeeds is a *poison* record: its last outcome is
//! handed back for the on-failure destination. Every record ends in exactly
//! one [`Part`], in order.

use std::future::Future;
use std::ops::Range;

use crate::engine::{ExecutionOutcome, ExecutionStatus};

/// Consecutive records of a batch and how their last execution ended.
#[derive(Debug, Clone)]
pub struct Part {
    /// The records (indices into the batch).
    pub range: Range<usize>,
    /// The last execution's outcome: `SUCCEEDED`, or the failure of a
    /// record (or of a batch when it was not split) that exhausted its retries.
    pub outcome: ExecutionOutcome,
    /// Executions run for these records as this part (1 + retries used).
    pub attempts: u32,
}

impl Part {
    /// Whether the records succeeded.
    pub fn succeeded(&self) -> bool {
        self.outcome.status == ExecutionStatus::Succeeded
    }
}

/// Runs `0..len` with `run` (one execution of the given records; `None`
/// when it could not start because the consumer is stopping), retrying a
/// failure `retries` times and, when `split`, halving failed batches down
/// to single records.
///
/// Returns `None` when a run returned `None` (nothing settled: the batch
/// runs again after a restart); otherwise parts covering `0..len` in order.
pub async fn run_bisecting<F, Fut>(
    len: usize,
    retries: u32,
    split: bool,
    mut run: F,
) -> Option<Vec<Part>>
where
    F: FnMut(Range<usize>) -> Fut,
    Fut: Future<Output = Option<ExecutionOutcome>>,
{
    let mut parts = Vec::new();
    if len == 0 {
        return Some(parts);
    }
    // Ranges still to run, the next one last.
    let mut todo: Vec<Range<usize>> = Vec::with_capacity(8);
    todo.push(0..len);
    while let Some(range) = todo.pop() {
        let mut attempts = 0;
        let outcome = loop {
            attempts += 1;
            let outcome = run(range.clone()).await?;
            if outcome.status == ExecutionStatus::Succeeded || attempts > retries {
                break outcome;
            }
        };
        if outcome.status != ExecutionStatus::Succeeded && split && range.len() > 1 {
            let mid = range.start + range.len() / 2;
            todo.push(mid..range.end);
            todo.push(range.start..mid);
            continue;
        }
        parts.push(Part {
            range,
            outcome,
            attempts,
        });
    }
    Some(parts)
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::time::SystemTime;

    use super::*;

    fn outcome(ok: bool) -> ExecutionOutcome {
        ExecutionOutcome {
            status: if ok {
                ExecutionStatus::Succeeded
            } else {
                ExecutionStatus::Failed
            },
            output: None,
            error: (!ok).then(|| "Poison".to_owned()),
            cause: None,
            stop_time: SystemTime::now(),
        }
    }

    fn block_on<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
            .block_on(f)
    }

    /// Parts as (range, succeeded, attempts).
    type Parts = Vec<(Range<usize>, bool, u32)>;

    /// Runs with `poison` failing; returns the parts and the calls.
    fn bisect(
        len: usize,
        retries: u32,
        split: bool,
        poison: &[usize],
    ) -> (Parts, Vec<Range<usize>>) {
        let calls = RefCell::new(Vec::new());
        let parts = block_on(run_bisecting(len, retries, split, |r: Range<usize>| {
            calls.borrow_mut().push(r.clone());
            let ok = !poison.iter().any(|p| r.contains(p));
            async move { Some(outcome(ok)) }
        }))
        .expect("not stopped");
        let parts = parts
            .into_iter()
            .map(|p| (p.range.clone(), p.succeeded(), p.attempts))
            .collect();
        (parts, calls.into_inner())
    }

    #[test]
    fn a_poison_record_is_isolated_by_halving() {
        let (parts, calls) = bisect(8, 1, true, &[5]);
        assert_eq!(
            parts,
            vec![
                (0..4, true, 1),
                (4..5, true, 1),
                (5..6, false, 2),
                (6..8, true, 1),
            ]
        );
        assert_eq!(
            calls,
            vec![
                0..8,
                0..8,
                0..4,
                4..8,
                4..8,
                4..6,
                4..6,
                4..5,
                5..6,
                5..6,
                6..8
            ]
        );
    }

    #[test]
    fn two_poison_records_and_odd_sizes() {
        let (parts, _) = bisect(7, 0, true, &[0, 6]);
        let failed: Vec<Range<usize>> =
            parts.iter().filter(|p| !p.1).map(|p| p.0.clone()).collect();
        assert_eq!(failed, vec![0..1, 6..7]);
        // Parts cover every record once, in order.
        let covered: Vec<usize> = parts.iter().flat_map(|p| p.0.clone()).collect();
        assert_eq!(covered, (0..7).collect::<Vec<_>>());
    }

    #[test]
    fn success_needs_one_run_and_no_split_keeps_the_batch() {
        let (parts, calls) = bisect(5, 3, true, &[]);
        assert_eq!(parts, vec![(0..5, true, 1)]);
        assert_eq!(calls.len(), 1);
        let (parts, calls) = bisect(5, 2, false, &[3]);
        assert_eq!(parts, vec![(0..5, false, 3)]);
        assert_eq!(calls.len(), 3);
        let (parts, _) = bisect(0, 2, true, &[]);
        assert!(parts.is_empty());
    }

    #[test]
    fn a_stop_settles_nothing() {
        let n = RefCell::new(0);
        let parts = block_on(run_bisecting(4, 1, true, |_r| {
            *n.borrow_mut() += 1;
            let go = *n.borrow() < 3;
            async move { go.then(|| outcome(false)) }
        }));
        assert!(parts.is_none());
    }
}
