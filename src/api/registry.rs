//! What the service remembers: state machines by ARN, and a bounded record of
//! the executions started with `StartExecution`.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use std::time::SystemTime;

use dashmap::DashMap;
use futures::future::AbortHandle;

use crate::compile::Machine;
use crate::engine::{ExecutionOutcome, ExecutionStatus};

/// STANDARD or EXPRESS (`type` on the wire). Fixed at creation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MachineType {
    /// Standard workflows: `StartSyncExecution` is refused.
    Standard,
    /// Express workflows: `ListExecutions` is refused.
    Express,
}

impl MachineType {
    /// The wire names, in the model's order.
    pub const WIRE_NAMES: [&'static str; 2] = ["STANDARD", "EXPRESS"];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            MachineType::Standard => "STANDARD",
            MachineType::Express => "EXPRESS",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "STANDARD" => Some(MachineType::Standard),
            "EXPRESS" => Some(MachineType::Express),
            _ => None,
        }
    }
}

/// A state machine as created (and later updated).
#[derive(Debug, Clone)]
pub struct StateMachine {
    /// Its ARN (the registry key).
    pub arn: String,
    /// Its name.
    pub name: String,
    /// STANDARD or EXPRESS.
    pub kind: MachineType,
    /// The compiled definition; `machine.definition` is the text as given.
    pub machine: Arc<Machine>,
    /// The IAM role ARN (recorded, never assumed).
    pub role_arn: String,
    /// `loggingConfiguration`, normalised (`level` and `includeExecutionData` filled in).
    pub logging: serde_json::Value,
    /// `tracingConfiguration`, normalised (`enabled` filled in).
    pub tracing: serde_json::Value,
    /// Tags in insertion order (key, value).
    pub tags: Vec<(String, String)>,
    /// When it was created.
    pub created: SystemTime,
    /// The revision id of the last update, if any.
    pub revision_id: Option<String>,
}

/// The state machines by ARN, read without locks: a start loads the current
/// immutable map (an atomic pointer load, [`arc_swap`]) and takes an `Arc`
/// of its machine. Create, update, delete and tagging copy the map under a
/// writers' mutex and swap the copy in (O(machines) per write; writes are
/// control-plane calls, rare next to starts).
#[derive(Default)]
pub struct Machines {
    current: ArcSwap<HashMap<String, Arc<StateMachine>>>,
    writers: Mutex<()>,
}

impl Machines {
    /// The state machine with this ARN.
    pub fn get(&self, arn: &str) -> Option<Arc<StateMachine>> {
        self.current.load().get(arn).cloned()
    }

    /// Every state machine, as of now.
    pub fn snapshot(&self) -> Arc<HashMap<String, Arc<StateMachine>>> {
        self.current.load_full()
    }

    /// How many state machines exist.
    pub fn len(&self) -> usize {
        self.current.load().len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds `machine` unless one with its ARN exists.
    ///
    /// # Errors
    /// The existing machine, when there is one (the first of two racing
    /// creates wins).
    pub fn insert_new(
        &self,
        machine: StateMachine,
    ) -> Result<Arc<StateMachine>, Arc<StateMachine>> {
        let _w = self.writers.lock().unwrap_or_else(|e| e.into_inner());
        let map = self.current.load();
        if let Some(existing) = map.get(&machine.arn) {
            return Err(Arc::clone(existing));
        }
        let added = Arc::new(machine);
        let mut next = HashMap::clone(&map);
        next.insert(added.arn.clone(), Arc::clone(&added));
        self.current.store(Arc::new(next));
        Ok(added)
    }

    /// Changes the machine with this ARN by `change` (on a copy, swapped in
    /// when `change` returns `Ok`) and returns `change`'s result and the new
    /// machine; `None` when there is no such machine.
    ///
    /// # Errors
    /// `change`'s error; the machine is then left as it was.
    pub fn update<R, E>(
        &self,
        arn: &str,
        change: impl FnOnce(&mut StateMachine) -> Result<R, E>,
    ) -> Option<Result<(R, Arc<StateMachine>), E>> {
        let _w = self.writers.lock().unwrap_or_else(|e| e.into_inner());
        let map = self.current.load();
        let mut machine = StateMachine::clone(map.get(arn)?);
        let r = match change(&mut machine) {
            Ok(r) => r,
            Err(e) => return Some(Err(e)),
        };
        let changed = Arc::new(machine);
        let mut next = HashMap::clone(&map);
        next.insert(arn.to_owned(), Arc::clone(&changed));
        self.current.store(Arc::new(next));
        Some(Ok((r, changed)))
    }

    /// Removes the machine with this ARN.
    pub fn remove(&self, arn: &str) -> Option<Arc<StateMachine>> {
        let _w = self.writers.lock().unwrap_or_else(|e| e.into_inner());
        let map = self.current.load();
        let removed = map.get(arn).cloned()?;
        let mut next = HashMap::clone(&map);
        next.remove(arn);
        self.current.store(Arc::new(next));
        Some(removed)
    }
}

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
    /// Aborts the running execution's task (StopExecution); `None` once it
    /// ended, or for a record made without one.
    pub abort: Option<AbortHandle>,
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
        assert!(matches!(
            MachineType::parse("EXPRESS"),
            Some(MachineType::Express)
        ));
        assert_eq!(MachineType::parse("express"), None);
    }

    #[tokio::test]
    async fn stop_aborts_a_running_execution_once() {
        let ex = Executions::new(4);
        let (handle, reg) = AbortHandle::new_pair();
        let mut r = record("a");
        r.abort = Some(handle);
        ex.insert(r);
        let task = tokio::spawn(futures::future::Abortable::new(
            futures::future::pending::<()>(),
            reg,
        ));
        let now = SystemTime::now();
        let stopped = ex.stop("a", Some("E".into()), Some("C".into()), now);
        assert!(matches!(stopped, Some(Stopped::Aborted(_))));
        assert!(task.await.expect("joined").is_err(), "not aborted");
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

    fn machine(arn: &str, name: &str) -> StateMachine {
        let graph =
            crate::compile::load(r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#)
                .expect("definition");
        StateMachine {
            arn: arn.into(),
            name: name.into(),
            kind: MachineType::Express,
            machine: Arc::new(graph),
            role_arn: "role".into(),
            logging: serde_json::Value::Null,
            tracing: serde_json::Value::Null,
            tags: Vec::new(),
            created: SystemTime::now(),
            revision_id: None,
        }
    }

    #[test]
    fn machines_copy_on_write() {
        let m = Machines::default();
        assert!(m.is_empty());
        let first = m.insert_new(machine("a", "first")).expect("new");
        // The first create wins.
        let again = m.insert_new(machine("a", "second")).expect_err("exists");
        assert!(Arc::ptr_eq(&first, &again));
        let before = m.snapshot();
        let ((), changed) = m
            .update("a", |sm| {
                sm.tags.push(("k".into(), "v".into()));
                Ok::<(), ()>(())
            })
            .expect("exists")
            .expect("changed");
        assert_eq!(changed.tags.len(), 1);
        // A reader's snapshot is not changed under it.
        assert!(before["a"].tags.is_empty());
        assert_eq!(m.get("a").expect("a").tags.len(), 1);
        // A failed change leaves the machine as it was.
        let failed = m.update("a", |sm| {
            sm.tags.clear();
            Err::<(), _>("no")
        });
        assert_eq!(failed.map(|r| r.map(|_| ())), Some(Err("no")));
        assert_eq!(m.get("a").expect("a").tags.len(), 1);
        assert!(m.update("zzz", |_| Ok::<(), ()>(())).is_none());
        assert!(m.remove("a").is_some());
        assert!(m.get("a").is_none() && m.remove("a").is_none());
    }
}
