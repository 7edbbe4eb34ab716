//! The bounded record of executions started with `StartExecution` (and the
//! nested `.sync` integrations): what DescribeExecution, StopExecution and
//! ListExecutions read.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use dashmap::DashMap;
use futures::future::AbortHandle;

use super::registry::StateMachine;
use crate::engine::{ExecutionOutcome, ExecutionStatus, StopHandle};

/// How far an execution started with `StartExecution` has got.
#[derive(Debug, Clone)]
pub enum Progress {
    /// Still running.
    Running,
    /// Ended.
    Done(ExecutionOutcome),
}

/// One execution started with `StartExecution`.
#[derive(Debug, Clone)]
pub struct ExecutionRecord {
    /// Its ARN.
    pub arn: String,
    /// The state machine's ARN.
    pub state_machine_arn: String,
    /// The execution name.
    pub name: String,
    /// The input text as given.
    pub input: String,
    /// When it started.
    pub start: SystemTime,
    /// Running or its outcome.
    pub progress: Progress,
    /// Aborts the running execution (StopExecution); `None` once it
    /// ended, or for a record made without one.
    pub abort: Option<Abort>,
    /// What it ran: the state machine snapshot and the version or alias it
    /// was started through (DescribeExecution, DescribeStateMachineForExecution);
    /// `None` for a record read back from a store that does not keep it.
    pub origin: Option<Arc<Origin>>,
}

/// What an execution ran, as resolved when it started
/// (AWS guide `execution-alias-version-associate.html`).
#[derive(Debug, Clone)]
pub struct Origin {
    /// The state machine as it ran (a version's snapshot, or the current
    /// machine at the start).
    pub machine: Arc<StateMachine>,
    /// The version it ran, when started through a version or an alias.
    pub version_arn: Option<String>,
    /// The alias it was started through, if any.
    pub alias_arn: Option<String>,
}

/// How StopExecution ends a running execution: its stop flag, which a
/// CPU-bound evaluation polls (a task abort only takes effect at the next
/// await), and its task.
#[derive(Debug, Clone)]
pub struct Abort {
    /// The execution's stop flag ([`crate::engine::Engine::execute_stoppable`]).
    pub stop: StopHandle,
    /// The task awaiting the execution.
    pub task: AbortHandle,
}

impl Abort {
    /// Stops the execution and aborts its task.
    pub fn abort(&self) {
        self.stop.stop();
        self.task.abort();
    }
}

/// What [`Executions::stop`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stopped {
    /// The execution was running: it is now ABORTED; this is its start.
    Aborted(SystemTime),
    /// The execution had already ended; nothing changed.
    AlreadyEnded,
}

/// The executions started with `StartExecution`, the newest `capacity` kept
/// (an expressway extension: AWS keeps no Express execution for
/// `DescribeExecution`). Running executions count against the bound too; an
/// evicted running execution still runs to its end, only its record is gone.
#[derive(Debug)]
pub struct Executions {
    records: DashMap<String, ExecutionRecord>,
    order: Mutex<VecDeque<String>>,
    capacity: usize,
}

impl Executions {
    /// A record keeping at most `capacity` executions (at least 1).
    pub fn new(capacity: usize) -> Self {
        Executions {
            records: DashMap::new(),
            order: Mutex::new(VecDeque::new()),
            capacity: capacity.max(1),
        }
    }

    /// Records a new execution, evicting the oldest beyond the capacity.
    pub fn insert(&self, record: ExecutionRecord) {
        let arn = record.arn.clone();
        let evicted: Vec<String> = {
            let mut order = self.order.lock().unwrap_or_else(|p| p.into_inner());
            order.push_back(arn.clone());
            let excess = order.len().saturating_sub(self.capacity);
            order.drain(..excess).collect()
        };
        self.records.insert(arn, record);
        for old in evicted {
            self.records.remove(&old);
        }
    }

    /// Stores the outcome of the execution `arn` if it is still retained and
    /// running (a stopped execution keeps ABORTED). Returns whether it was
    /// stored.
    pub fn finish(&self, arn: &str, outcome: ExecutionOutcome) -> bool {
        match self.records.get_mut(arn) {
            Some(mut record) if matches!(record.progress, Progress::Running) => {
                record.progress = Progress::Done(outcome);
                record.abort = None;
                true
            }
            _ => false,
        }
    }

    /// Stops the execution `arn` (StopExecution): a running one is recorded
    /// ABORTED with `error`/`cause`, stopped at `stop_time`, and its task is
    /// aborted; an ended one is left as it is. `None` when `arn` is not
    /// retained.
    pub fn stop(
        &self,
        arn: &str,
        error: Option<String>,
        cause: Option<String>,
        stop_time: SystemTime,
    ) -> Option<Stopped> {
        let mut record = self.records.get_mut(arn)?;
        if !matches!(record.progress, Progress::Running) {
            return Some(Stopped::AlreadyEnded);
        }
        record.progress = Progress::Done(ExecutionOutcome {
            status: ExecutionStatus::Aborted,
            output: None,
            error,
            cause,
            stop_time,
        });
        if let Some(handle) = record.abort.take() {
            handle.abort();
        }
        Some(Stopped::Aborted(record.start))
    }

    /// Whether the execution `arn` is retained.
    pub fn contains(&self, arn: &str) -> bool {
        self.records.contains_key(arn)
    }

    /// A copy of the record of `arn`.
    pub fn get(&self, arn: &str) -> Option<ExecutionRecord> {
        self.records.get(arn).map(|r| r.clone())
    }

    /// Copies of the records of one state machine, newest first.
    pub fn of_machine(&self, state_machine_arn: &str) -> Vec<ExecutionRecord> {
        let mut list: Vec<ExecutionRecord> = self
            .records
            .iter()
            .filter(|r| r.state_machine_arn == state_machine_arn)
            .map(|r| r.clone())
            .collect();
        list.sort_by(|a, b| b.start.cmp(&a.start).then_with(|| b.arn.cmp(&a.arn)));
        list
    }

    /// How many records are held.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether no record is held.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(arn: &str) -> ExecutionRecord {
        ExecutionRecord {
            arn: arn.into(),
            state_machine_arn: "sm".into(),
            name: "n".into(),
            input: "{}".into(),
            start: SystemTime::now(),
            progress: Progress::Running,
            abort: None,
            origin: None,
        }
    }

    #[test]
    fn keeps_only_the_newest() {
        let ex = Executions::new(2);
        ex.insert(record("a"));
        ex.insert(record("b"));
        ex.insert(record("c"));
        assert_eq!(ex.len(), 2);
        assert!(ex.get("a").is_none());
        assert!(ex.get("c").is_some());
        assert_eq!(ex.of_machine("sm").len(), 2);
    }

    #[tokio::test]
    async fn stop_aborts_a_running_execution_once() {
        let ex = Executions::new(4);
        let (handle, reg) = AbortHandle::new_pair();
        let mut r = record("a");
        let stop = StopHandle::new();
        r.abort = Some(Abort {
            stop: stop.clone(),
            task: handle,
        });
        ex.insert(r);
        let task = tokio::spawn(futures::future::Abortable::new(
            futures::future::pending::<()>(),
            reg,
        ));
        let now = SystemTime::now();
        let stopped = ex.stop("a", Some("E".into()), Some("C".into()), now);
        assert!(matches!(stopped, Some(Stopped::Aborted(_))));
        assert!(task.await.expect("joined").is_err(), "not aborted");
        assert!(stop.is_stopped(), "the stop flag was not set");
        let Some(Progress::Done(o)) = ex.get("a").map(|r| r.progress) else {
            panic!("not done")
        };
        assert_eq!(o.status, ExecutionStatus::Aborted);
        assert_eq!(
            (o.error.as_deref(), o.cause.as_deref()),
            (Some("E"), Some("C"))
        );
        // A late outcome does not overwrite ABORTED; a second stop changes nothing.
        let late = ExecutionOutcome {
            status: ExecutionStatus::Succeeded,
            output: None,
            error: None,
            cause: None,
            stop_time: now,
        };
        assert!(!ex.finish("a", late));
        assert_eq!(ex.stop("a", None, None, now), Some(Stopped::AlreadyEnded));
        assert_eq!(ex.stop("zzz", None, None, now), None);
    }
}
