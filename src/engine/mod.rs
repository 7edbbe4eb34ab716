//! Executions: stepping states over a compiled [`Machine`], Retry and Catch,
//! timers, Parallel and Map, the Context Object.

mod budget;
mod context;
mod eval_error;
mod fanout;
mod jsonata;
pub mod map_run;
pub mod observe;
mod run;
pub mod shards;
use crate::json::size;
pub mod tokens;
mod variables;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

pub use budget::DEFAULT_MEMORY_BUDGET_BYTES;
pub use run::inspect::{
    ErrorDetails, Inspection, Mock, StateTest, TestOutcome, TestStatus, MAX_TEST_DURATION,
};
use std::time::SystemTime;

use crate::compile::Machine;
use crate::errors::names;
use crate::json::Value;
use crate::tasks::Tasks;
use shards::Shards;

/// The outcome of an execution whose shard stopped under it (the runtime
/// is shutting down).
fn lost() -> ExecutionOutcome {
    ExecutionOutcome {
        status: ExecutionStatus::Failed,
        output: None,
        error: Some(names::RUNTIME.to_owned()),
        cause: Some("Internal error: the execution's shard stopped".to_owned()),
        stop_time: SystemTime::now(),
    }
}

/// How an execution ended (StartSyncExecution's `status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecutionStatus {
    /// Reached a Succeed state or an End.
    Succeeded,
    /// An error was not caught, or a Fail state was reached.
    Failed,
    /// The execution ran past its TimeoutSeconds or the 5-minute Express limit.
    TimedOut,
    /// Stopped by StopExecution.
    Aborted,
}

impl ExecutionStatus {
    /// The wire name: `SUCCEEDED`, `FAILED`, `TIMED_OUT`, `ABORTED`.
    pub fn as_str(self) -> &'static str {
        match self {
            ExecutionStatus::Succeeded => "SUCCEEDED",
            ExecutionStatus::Failed => "FAILED",
            ExecutionStatus::TimedOut => "TIMED_OUT",
            ExecutionStatus::Aborted => "ABORTED",
        }
    }
}

/// Identity of one execution, as the Context Object shows it.
#[derive(Debug, Clone)]
pub struct ExecutionOptions {
    /// The execution ARN (`arn:aws:states:R:A:express:SM:EXEC:<uuid>`).
    pub execution_arn: String,
    /// The execution name.
    pub name: String,
    /// The state machine ARN.
    pub state_machine_arn: String,
    /// The state machine name (shared: every Task call of the execution
    /// carries it).
    pub state_machine_name: Arc<str>,
    /// The state machine's role ARN.
    pub role_arn: String,
    /// When the execution started.
    pub start_time: SystemTime,
    /// The mock-file test case (`…:stateMachine:SM#Case`), if any.
    pub test_case: Option<String>,
    /// `Execution.RedriveCount` of the Context Object, or `None` to leave it
    /// out. AWS's recordings show `RedriveCount: 0` for executions started
    /// with StartExecution, EXPRESS as well as STANDARD, and none for
    /// StartSyncExecution (conformance cases `v2.express.test_express_async`
    /// / `test_express_sync` `test_query_runtime_memory`).
    pub redrive_count: Option<u32>,
}

/// The result of an execution.
#[derive(Debug, Clone)]
pub struct ExecutionOutcome {
    /// How it ended.
    pub status: ExecutionStatus,
    /// The output document, when it succeeded.
    pub output: Option<Value>,
    /// The error name, when it failed or timed out.
    pub error: Option<String>,
    /// The cause, when it failed or timed out.
    pub cause: Option<String>,
    /// When it stopped.
    pub stop_time: SystemTime,
}

/// Stops one running execution from any thread, even while it is inside a
/// CPU-bound JSONata or Intrinsic Function evaluation (which no task abort
/// can interrupt): the evaluation polls the flag every 1,024 steps and
/// fails, and the execution ends at its next state. Clones share the flag.
/// See [`crate::json::budget`].
#[derive(Clone, Debug, Default)]
pub struct StopHandle(Arc<AtomicBool>);

impl StopHandle {
    /// A handle that has not been stopped.
    pub fn new() -> Self {
        StopHandle::default()
    }

    /// Stops the execution. Cannot be undone.
    pub fn stop(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether [`StopHandle::stop`] was called.
    pub fn is_stopped(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Stops the execution when the caller's future is dropped before the
/// outcome arrived (StopExecution aborted it, or a synchronous caller went
/// away), so an evaluation busy on a shard stops too.
struct StopOnDrop(Option<StopHandle>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        if let Some(stop) = self.0.take() {
            stop.stop();
        }
    }
}

/// Runs executions.
#[derive(Clone)]
pub struct Engine {
    tasks: Arc<Tasks>,
    tokens: Arc<tokens::TaskTokens>,
    /// Where executions run; `None`: on the caller's task.
    shards: Option<Arc<Shards>>,
    observer: Option<Arc<dyn observe::Observer>>,
    /// Each execution's memory budget in bytes ([`Engine::with_memory_budget`]).
    memory_budget: usize,
    /// The most bytes one JSONata or Intrinsic Function evaluation may
    /// build ([`crate::json::budget`]).
    max_evaluation_bytes: usize,
    /// The Map Runs of its executions' distributed Maps.
    map_runs: Arc<map_run::records::MapRuns>,
}

impl Engine {
    /// An engine that resolves Task resources with `tasks`, with no observer,
    /// and runs each execution on the caller's task (see [`Engine::with_shards`]).
    pub fn new(tasks: Tasks) -> Self {
        Engine {
            tasks: Arc::new(tasks),
            tokens: Arc::default(),
            shards: None,
            observer: None,
            memory_budget: DEFAULT_MEMORY_BUDGET_BYTES,
            max_evaluation_bytes: crate::json::budget::DEFAULT_MAX_BYTES,
            map_runs: Arc::default(),
        }
    }

    /// The Map Runs this engine retains (DescribeMapRun, ListMapRuns,
    /// UpdateMapRun).
    pub fn map_runs(&self) -> &map_run::records::MapRuns {
        &self.map_runs
    }

    /// This engine with each execution allowed `bytes` of values in flight
    /// in its Map iterations and Parallel branches (default
    /// [`DEFAULT_MEMORY_BUDGET_BYTES`], 256 MiB); past it the state fails
    /// with `States.DataLimitExceeded`. See the `budget` module docs for
    /// what is counted.
    pub fn with_memory_budget(mut self, bytes: usize) -> Self {
        self.memory_budget = bytes;
        self
    }

    /// This engine with at most `bytes` bytes of values built by any one
    /// JSONata or Intrinsic Function evaluation (default
    /// [`crate::json::budget::DEFAULT_MAX_BYTES`], 256 MiB); past it the
    /// evaluation fails with `States.DataLimitExceeded`.
    pub fn with_max_evaluation_bytes(mut self, bytes: usize) -> Self {
        self.max_evaluation_bytes = bytes;
        self
    }

    /// This engine with `observer` watching its executions (metrics,
    /// execution logs; see [`observe`]).
    pub fn with_observer(mut self, observer: Arc<dyn observe::Observer>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// The observer watching this engine's executions, if any.
    pub fn observer(&self) -> Option<&Arc<dyn observe::Observer>> {
        self.observer.as_ref()
    }

    /// Tells the observer (if any) that a state machine was created or
    /// updated with this `logging` configuration.
    pub fn register_machine(
        &self,
        machine: &Arc<Machine>,
        state_machine_name: &str,
        logging: &observe::LogSettings,
    ) {
        if let Some(o) = &self.observer {
            o.register(machine, state_machine_name, logging);
        }
    }

    /// Tells the observer (if any) that a state machine was deleted.
    pub fn unregister_machine(&self, machine: &Arc<Machine>) {
        if let Some(o) = &self.observer {
            o.unregister(machine);
        }
    }

    /// Runs executions on `shards` (see [`shards`]): the caller's future
    /// only waits for the outcome.
    pub fn with_shards(mut self, shards: Arc<Shards>) -> Self {
        self.shards = Some(shards);
        self
    }

    /// The shards executions run on, if any.
    pub fn shards(&self) -> Option<&Arc<Shards>> {
        self.shards.as_ref()
    }

    /// Runs one execution of `machine` on `input` to its end: on a shard when
    /// the engine has them, else on the caller's task. Dropping the future
    /// cancels the execution.
    ///
    /// The execution is bounded by the machine's TimeoutSeconds and the
    /// 5-minute Express limit; past it the status is `TIMED_OUT` with error
    /// `States.Timeout`, also when the limit passes inside a CPU-bound
    /// JSONata or Intrinsic Function evaluation. Never panics on any input.
    pub async fn execute(
        &self,
        machine: Arc<Machine>,
        input: Value,
        options: ExecutionOptions,
    ) -> ExecutionOutcome {
        self.execute_stoppable(machine, input, options, StopHandle::new())
            .await
    }

    /// [`Engine::execute`], stopped by `stop` (StopExecution) even inside a
    /// CPU-bound evaluation. Dropping the future stops it as well.
    pub async fn execute_stoppable(
        &self,
        machine: Arc<Machine>,
        input: Value,
        options: ExecutionOptions,
        stop: StopHandle,
    ) -> ExecutionOutcome {
        let observer = self.observer.clone();
        let max_bytes = self.max_evaluation_bytes;
        let memory_budget = self.memory_budget;
        let map_runs = Arc::clone(&self.map_runs);
        let mut on_drop = StopOnDrop(Some(stop.clone()));
        let outcome = match &self.shards {
            None => {
                run::execute(
                    &self.tasks,
                    &self.tokens,
                    observer.as_ref(),
                    &machine,
                    input,
                    &options,
                    run::Limits {
                        stop,
                        max_bytes,
                        memory_budget,
                        map_runs,
                    },
                )
                .await
            }
            Some(shards) => {
                let (tasks, tokens) = (Arc::clone(&self.tasks), Arc::clone(&self.tokens));
                let job = Box::pin(async move {
                    run::execute(
                        &tasks,
                        &tokens,
                        observer.as_ref(),
                        &machine,
                        input,
                        &options,
                        run::Limits {
                            stop,
                            max_bytes,
                            memory_budget,
                            map_runs,
                        },
                    )
                    .await
                });
                shards.run(job, lost).await
            }
        };
        on_drop.0 = None;
        outcome
    }

    /// The Task Tokens its `.waitForTaskToken` Tasks wait on (answered by
    /// SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat).
    pub fn task_tokens(&self) -> &tokens::TaskTokens {
        &self.tokens
    }

    /// The Task Tokens, shared: for resolvers that issue tokens themselves
    /// (activity Tasks hand theirs to the worker that polls).
    pub fn task_tokens_shared(&self) -> Arc<tokens::TaskTokens> {
        Arc::clone(&self.tokens)
    }

    /// The Task resolver this engine uses.
    pub fn tasks(&self) -> &Tasks {
        &self.tasks
    }
}
