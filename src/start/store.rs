//! [`StartStore`]: what the start path keeps between calls (the state
//! machine registry and the execution records), behind a small trait so
//! that another implementation can take over without touching the callers.
//!
//! # Overview
//!
//! [`MemoryStore`] (the default) keeps everything in this process: the
//! registry as an arc-swapped immutable map ([`Machines`]), the records as a
//! bounded map ([`Executions`]). The cluster's store
//! ([`crate::cluster::RedisStore`], `serve --cluster`) implements the same
//! trait: the registry in a Redis hash shared by every node (with a local
//! arc-swapped cache kept current by pub/sub, so a start still reads
//! without a round trip), the records of asynchronous starts in Redis, each
//! start pending in a stream's consumer group until its end
//! ([`StartStore::accept_execution`]). Cluster-wide admission plugs in
//! beside it ([`crate::admission::Admission::share`]).
//!
//! Every method is cheap for the in-memory store. The ones a remote store
//! makes slow are either asynchronous (the registry writes, StopExecution's
//! [`StartStore::stop`], ListExecutions' [`StartStore::executions_of`],
//! [`StartStore::accept_execution`], [`StartStore::fetch_execution`]: the
//! caller awaits them, its thread keeps serving) or off the start's hot
//! path (`finish` queues the end); a StartSyncExecution only calls
//! [`StartStore::fetch_machine`] (answered from the local copy unless the
//! machine is not in it yet) and [`StartStore::machine`].

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::SystemTime;

use crate::engine::ExecutionOutcome;

use super::error::StartError;
use super::records::{ExecutionRecord, Executions, Stopped};
use super::registry::{Machines, StateMachine};

/// What the asynchronous methods of a [`StartStore`] answer: a boxed future
/// (the trait is used as `dyn StartStore`), `'static` so that it can be
/// awaited on any runtime.
pub type StoreFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// What the registry writes and the other remote reads of a [`StartStore`]
/// answer: a boxed future that may borrow the store and the arguments
/// (awaited by the caller while it holds them).
pub type StoreCall<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A [`StoreCall`] already answered (the in-memory store's).
fn ready<'a, T: Send + 'a>(value: T) -> StoreCall<'a, T> {
    Box::pin(std::future::ready(value))
}

/// The registry and the execution records of a [`super::Starter`].
///
/// Implementations are shared between threads (`Send + Sync`) and must keep
/// these promises, which the API's answers rely on:
/// - [`StartStore::insert_machine`] is first-writer-wins: of two racing
///   creates of one ARN, one gets `Ok`, the other `Err(existing)`;
/// - a reader never sees a half-updated [`StateMachine`] (updates are
///   copy-on-write);
/// - [`StartStore::finish`] never overwrites a stopped (ABORTED) record.
pub trait StartStore: Send + Sync + 'static {
    /// The state machine with this ARN (no `#TestCase` suffix), as this
    /// process knows it now (a remote store answers from its local copy,
    /// without a round trip).
    fn machine(&self, arn: &str) -> Option<Arc<StateMachine>>;

    /// The state machine with this ARN, read from a remote store when the
    /// local copy does not have it yet (created on another instance a
    /// moment ago), without blocking the caller's thread; afterwards
    /// [`StartStore::machine`] answers it too. The default:
    /// [`StartStore::machine`].
    fn fetch_machine<'a>(&'a self, arn: &'a str) -> StoreCall<'a, Option<Arc<StateMachine>>> {
        ready(self.machine(arn))
    }

    /// Every state machine, in no particular order.
    fn machines(&self) -> Vec<Arc<StateMachine>>;

    /// How many state machines exist.
    fn machine_count(&self) -> usize;

    /// Adds `machine` unless one with its ARN exists; answers `Ok(added)`,
    /// or `Err(existing)` when there is one. Asynchronous: a remote store
    /// answers when the write is acknowledged, without blocking the
    /// caller's thread.
    fn insert_machine(
        &self,
        machine: StateMachine,
    ) -> StoreCall<'_, Result<Arc<StateMachine>, Arc<StateMachine>>>;

    /// Changes the machine `arn` on a copy: `change` returns `false` to
    /// leave it as it was. `None` when there is no such machine; `Some(None)`
    /// when `change` refused; else the new machine.
    /// Asynchronous, as [`StartStore::insert_machine`].
    fn update_machine<'a>(
        &'a self,
        arn: &'a str,
        change: &'a mut (dyn FnMut(&mut StateMachine) -> bool + Send),
    ) -> StoreCall<'a, Option<Option<Arc<StateMachine>>>>;

    /// Removes the machine `arn`, returning it. Asynchronous, as
    /// [`StartStore::insert_machine`].
    fn remove_machine<'a>(&'a self, arn: &'a str) -> StoreCall<'a, Option<Arc<StateMachine>>>;

    /// Records a new execution (the store may forget the oldest ones).
    fn insert_execution(&self, record: ExecutionRecord);

    /// Records a new asynchronous start durably before StartExecution
    /// answers; `deadline` is how long it may run (its machine's
    /// TimeoutSeconds, at most 5 minutes), after which a cluster store may
    /// run it again elsewhere if its runner died. The default records it
    /// with [`StartStore::insert_execution`].
    ///
    /// # Errors
    /// [`StartError::ServiceUnavailable`] when it cannot be recorded: the
    /// start is then refused, never accepted and lost.
    ///
    /// Asynchronous: a remote store answers when the write is acknowledged,
    /// without blocking the caller's thread (a serving shard) meanwhile.
    fn accept_execution(
        &self,
        record: ExecutionRecord,
        deadline: std::time::Duration,
    ) -> StoreFuture<Result<(), StartError>> {
        let _ = deadline;
        self.insert_execution(record);
        Box::pin(std::future::ready(Ok(())))
    }

    /// Whether the registry can take a write now (CreateStateMachine asks
    /// first). The default: always.
    ///
    /// # Errors
    /// [`StartError::ServiceUnavailable`] when a remote store is known to be
    /// unreachable.
    fn check_available(&self) -> Result<(), StartError> {
        Ok(())
    }

    /// Why the registry is not complete yet, if it is not: a cluster store
    /// that has not read the shared registry since start-up (its Redis
    /// unreachable) answers the reason, which `/readyz` reports. The
    /// default: `None` (complete).
    fn not_ready(&self) -> Option<String> {
        None
    }

    /// Stores the outcome of the execution `arn` if it is still retained
    /// and running; whether it was stored.
    fn finish(&self, arn: &str, outcome: ExecutionOutcome) -> bool;

    /// Stops the execution `arn`: a running one is recorded ABORTED with
    /// `error`/`cause` at `stop_time` and its task aborted. `None` when
    /// `arn` is not retained. Asynchronous, as
    /// [`StartStore::insert_machine`].
    fn stop<'a>(
        &'a self,
        arn: &'a str,
        error: Option<String>,
        cause: Option<String>,
        stop_time: SystemTime,
    ) -> StoreCall<'a, Option<Stopped>>;

    /// A copy of the record of `arn`.
    fn execution(&self, arn: &str) -> Option<ExecutionRecord>;

    /// A copy of the record of `arn`, read without blocking the caller's
    /// thread on a remote store (DescribeExecution). The default:
    /// [`StartStore::execution`].
    fn fetch_execution(&self, arn: &str) -> StoreFuture<Option<ExecutionRecord>> {
        Box::pin(std::future::ready(self.execution(arn)))
    }

    /// Whether the execution `arn` is retained (without copying its record).
    fn contains_execution(&self, arn: &str) -> bool {
        self.execution(arn).is_some()
    }

    /// [`StartStore::contains_execution`] without blocking the caller's
    /// thread on a remote store (the console's lists). The default:
    /// [`StartStore::contains_execution`].
    fn fetch_contains_execution<'a>(&'a self, arn: &'a str) -> StoreCall<'a, bool> {
        ready(self.contains_execution(arn))
    }

    /// Copies of the records of one state machine, newest first.
    /// Asynchronous, as [`StartStore::insert_machine`].
    fn executions_of<'a>(
        &'a self,
        state_machine_arn: &'a str,
    ) -> StoreCall<'a, Vec<ExecutionRecord>>;
}

impl std::fmt::Debug for dyn StartStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StartStore")
            .field("machines", &self.machine_count())
            .finish()
    }
}

/// The in-memory [`StartStore`]: this process's registry and records.
pub struct MemoryStore {
    machines: Machines,
    executions: Executions,
}

impl MemoryStore {
    /// A store retaining at most `execution_retention` execution records
    /// (at least 1; the oldest are forgotten first).
    pub fn new(execution_retention: usize) -> Self {
        MemoryStore {
            machines: Machines::default(),
            executions: Executions::new(execution_retention),
        }
    }
}

impl StartStore for MemoryStore {
    fn machine(&self, arn: &str) -> Option<Arc<StateMachine>> {
        self.machines.get(arn)
    }

    fn machines(&self) -> Vec<Arc<StateMachine>> {
        self.machines.snapshot().values().cloned().collect()
    }

    fn machine_count(&self) -> usize {
        self.machines.len()
    }

    fn insert_machine(
        &self,
        machine: StateMachine,
    ) -> StoreCall<'_, Result<Arc<StateMachine>, Arc<StateMachine>>> {
        ready(self.machines.insert_new(machine))
    }

    fn update_machine<'a>(
        &'a self,
        arn: &'a str,
        change: &'a mut (dyn FnMut(&mut StateMachine) -> bool + Send),
    ) -> StoreCall<'a, Option<Option<Arc<StateMachine>>>> {
        let changed = self
            .machines
            .update(arn, |sm| if change(sm) { Ok(()) } else { Err(()) })
            .map(|changed| changed.ok().map(|((), sm)| sm));
        ready(changed)
    }

    fn remove_machine<'a>(&'a self, arn: &'a str) -> StoreCall<'a, Option<Arc<StateMachine>>> {
        ready(self.machines.remove(arn))
    }

    fn insert_execution(&self, record: ExecutionRecord) {
        self.executions.insert(record);
    }

    fn finish(&self, arn: &str, outcome: ExecutionOutcome) -> bool {
        self.executions.finish(arn, outcome)
    }

    fn stop<'a>(
        &'a self,
        arn: &'a str,
        error: Option<String>,
        cause: Option<String>,
        stop_time: SystemTime,
    ) -> StoreCall<'a, Option<Stopped>> {
        ready(self.executions.stop(arn, error, cause, stop_time))
    }

    fn execution(&self, arn: &str) -> Option<ExecutionRecord> {
        self.executions.get(arn)
    }

    fn contains_execution(&self, arn: &str) -> bool {
        self.executions.contains(arn)
    }

    fn executions_of<'a>(
        &'a self,
        state_machine_arn: &'a str,
    ) -> StoreCall<'a, Vec<ExecutionRecord>> {
        ready(self.executions.of_machine(state_machine_arn))
    }
}
