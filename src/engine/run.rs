//! Stepping one execution through its state graph: the JSONPath pipeline
//! (InputPath → Parameters → ResultSelector → ResultPath → OutputPath),
//! Retry and Catch, Parallel and Map, Wait, Task timeouts. This file holds
//! the execution's run and its state loop; a state's work by type is in
//! `step`, its data flow in `dataflow`, Retriers and Catchers in `retry`,
//! Tasks in `task`, Wait in `wait`.
//!
//! Source: ASL spec "Input and Output Processing", "Errors"; reference §3.

mod dataflow;
pub(super) mod inspect;
mod retry;
mod step;
mod task;
mod timer;
mod wait;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use futures::future::BoxFuture;
use futures::FutureExt;
use simd_json::OwnedValue;

use self::inspect::{Inspector, Step};
use super::budget::Budget;
use super::observe::{Event, ExecutionObserver, Observer, StateRef};
use super::variables::Frame;
use super::{context, size, ExecutionOptions, ExecutionOutcome, ExecutionStatus};
use crate::compile::{Graph, Kind, Machine, State, Transition};
use crate::errors::{names, ExecError, MAX_PAYLOAD_BYTES};
use crate::json::size::Bound;
use crate::json::{Object, Value, MAX_DEPTH};
use crate::tasks::Tasks;

/// One execution in progress.
pub(super) struct Run<'a> {
    tasks: &'a Tasks,
    tokens: &'a std::sync::Arc<super::tokens::TaskTokens>,
    options: &'a ExecutionOptions,
    /// History event counter (ExecutionStarted is event 1), so causes can
    /// cite "entered at the event id #N" as AWS does.
    events: AtomicU32,
    /// Per-state invocation counts, for the mock file's response keys.
    invocations: Mutex<HashMap<std::sync::Arc<str>, u32>>,
    /// The state machine's name and the mock test case, shared by every Task call.
    state_machine_name: std::sync::Arc<str>,
    test_case: Option<std::sync::Arc<str>>,
    /// The observer of this execution, if it is watched.
    obs: Option<Arc<dyn ExecutionObserver>>,
    /// What its Map iterations and Parallel branches may hold at once
    /// (shared with its distributed Maps' child executions).
    pub(super) budget: &'a Budget,
    /// The engine's Map Runs (distributed Maps).
    map_runs: Arc<super::map_run::records::MapRuns>,
    /// The inspector of a state test (TestState), else `None`.
    inspect: Option<&'a Inspector>,
}

/// A state's input document: owned, or shared without a copy (every
/// Parallel branch starts on the Parallel's effective input; a Task's
/// handler reads the state's input itself when the Task selects all of it),
/// with what is known of its size.
pub(super) struct Doc {
    held: Held,
    /// A bound of its size and depth, when it was measured or built from
    /// measured parts ([`Bound`]): then the payload and depth checks of the
    /// document itself (a Task's input, the execution's output) need no walk.
    pub(super) bound: Option<Bound>,
}

enum Held {
    /// Held by this state alone.
    Owned(Value),
    /// Shared with other readers; copied only if this state must change it
    /// while they still hold it.
    Shared(Arc<Value>),
}

impl Doc {
    /// A document of unknown size.
    pub(super) fn new(value: Value) -> Self {
        Doc {
            held: Held::Owned(value),
            bound: None,
        }
    }

    /// A document within `bound`, if known.
    pub(super) fn bounded(value: Value, bound: Option<Bound>) -> Self {
        Doc {
            held: Held::Owned(value),
            bound,
        }
    }

    /// A shared document within `bound`, if known.
    pub(super) fn shared(value: Arc<Value>, bound: Option<Bound>) -> Self {
        Doc {
            held: Held::Shared(value),
            bound,
        }
    }

    /// The document to change: a copy only when it is still shared.
    #[inline]
    pub(super) fn into_owned(self) -> Value {
        match self.held {
            Held::Owned(v) => v,
            Held::Shared(a) => Arc::unwrap_or_clone(a),
        }
    }

    /// The document to share.
    #[inline]
    pub(super) fn into_shared(self) -> Arc<Value> {
        match self.held {
            Held::Owned(v) => Arc::new(v),
            Held::Shared(a) => a,
        }
    }
}

impl std::ops::Deref for Doc {
    type Target = Value;

    #[inline]
    fn deref(&self) -> &Value {
        match &self.held {
            Held::Owned(v) => v,
            Held::Shared(a) => a,
        }
    }
}

/// Where a state was entered: for error causes and observer events.
pub(super) struct Entry<'s> {
    pub(super) name: &'s str,
    pub(super) event: u32,
    /// The state's flat index ([`super::observe::StateIndex`]).
    pub(super) index: u32,
    /// Its AWS type name.
    pub(super) type_name: &'static str,
    /// When it was entered, if the execution is observed.
    pub(super) entered: Option<Instant>,
}

impl Entry<'_> {
    /// The state as observer events name it.
    pub(super) fn state(&self) -> StateRef<'_> {
        StateRef {
            index: self.index,
            name: self.name,
            type_name: self.type_name,
        }
    }
}

/// Reports `ExecutionAborted` when an observed execution is dropped before
/// it ended (StopExecution aborts its task).
struct AbortGuard<'r> {
    obs: Option<&'r Arc<dyn ExecutionObserver>>,
    events: &'r AtomicU32,
}

impl Drop for AbortGuard<'_> {
    fn drop(&mut self) {
        if let Some(o) = self.obs.take() {
            let id = self.events.fetch_add(1, Ordering::Relaxed) + 1;
            o.event(id, &Event::ExecutionAborted);
        }
    }
}

/// What bounds an execution's evaluations besides its time limit.
pub(super) struct Limits {
    /// Its stop flag (StopExecution).
    pub(super) stop: super::StopHandle,
    /// The most bytes one evaluation may build.
    pub(super) max_bytes: usize,
    /// The bytes its Map iterations and Parallel branches may hold in
    /// flight (the `budget` module).
    pub(super) memory_budget: usize,
    /// Where its distributed Maps record their Map Runs.
    pub(super) map_runs: Arc<super::map_run::records::MapRuns>,
}

pub(super) async fn execute(
    tasks: &Tasks,
    tokens: &std::sync::Arc<super::tokens::TaskTokens>,
    observer: Option<&Arc<dyn Observer>>,
    machine: &Arc<Machine>,
    input: Value,
    options: &ExecutionOptions,
    limits: Limits,
) -> ExecutionOutcome {
    let obs = match observer {
        Some(o) => o.execution(machine, options),
        None => None,
    };
    if let Some(o) = &obs {
        o.event(1, &Event::ExecutionStarted { input: &input });
    }
    let memory = Budget::new(limits.memory_budget);
    let run = Run {
        tasks,
        tokens,
        options,
        events: AtomicU32::new(1),
        invocations: Mutex::new(HashMap::new()),
        state_machine_name: Arc::clone(&options.state_machine_name),
        test_case: options.test_case.as_deref().map(Into::into),
        obs,
        budget: &memory,
        map_runs: limits.map_runs,
        inspect: None,
    };
    let mut guard = AbortGuard {
        obs: run.obs.as_ref(),
        events: &run.events,
    };
    let frame = Frame::new(
        machine
            .uses_context
            .then(|| context::ContextObject::new(options, &input)),
    );
    // The deadline and stop flag reach evaluations that never await
    // (JSONata, Intrinsic Functions) through the budget; the timeout below
    // ends the execution at its next await.
    let budget = crate::json::budget::Budget::with_stop_flag(
        Some(Instant::now() + machine.timeout),
        limits.max_bytes,
        std::sync::Arc::clone(&limits.stop.0),
    );
    let body = crate::json::budget::scope(
        budget.clone(),
        std::panic::AssertUnwindSafe(run.graph(&machine.graph, 0, Doc::new(input), frame))
            .catch_unwind(),
    );
    let result = timer::timeout(machine.timeout, body).await;
    // An evaluation cut by the deadline fails with States.Timeout; when
    // nothing caught it, the execution timed out.
    let cut = match &result {
        Ok(Ok(Err(e))) if e.error == names::TIMEOUT && budget.deadline_passed() => {
            Some(e.cause.clone())
        }
        _ => None,
    };
    let stop_time = SystemTime::now();
    guard.obs = None;
    let outcome = match cut {
        _ if limits.stop.is_stopped() => ExecutionOutcome {
            status: ExecutionStatus::Aborted,
            output: None,
            error: None,
            cause: None,
            stop_time,
        },
        Some(cause) => timed_out(cause, stop_time),
        None => outcome(result, stop_time),
    };
    if let Some(o) = &run.obs {
        let id = run.next_event();
        let (error, cause) = (
            outcome.error.as_deref().unwrap_or_default(),
            outcome.cause.as_deref().unwrap_or_default(),
        );
        match (&outcome.status, &outcome.output) {
            (ExecutionStatus::Succeeded, Some(output)) => {
                o.event(id, &Event::ExecutionSucceeded { output })
            }
            (ExecutionStatus::TimedOut, _) => {
                o.event(id, &Event::ExecutionTimedOut { error, cause })
            }
            (ExecutionStatus::Aborted, _) => o.event(id, &Event::ExecutionAborted),
            _ => o.event(id, &Event::ExecutionFailed { error, cause }),
        }
    }
    outcome
}

/// What an execution's body gives when run under its time limit and
/// `catch_unwind`.
type BodyResult = Result<
    Result<Result<Doc, ExecError>, Box<dyn std::any::Any + Send>>,
    tokio::time::error::Elapsed,
>;

/// The outcome of an execution's body, run under its time limit.
fn outcome(result: BodyResult, stop_time: SystemTime) -> ExecutionOutcome {
    let failed = |e: ExecError| ExecutionOutcome {
        status: ExecutionStatus::Failed,
        output: None,
        error: (!e.error.is_empty()).then_some(e.error),
        cause: (!e.cause.is_empty()).then_some(e.cause),
        stop_time,
    };
    match result {
        // A bound within the limits proves the output within them.
        Ok(Ok(Ok(doc))) if doc.bound.is_some_and(|b| b.within(MAX_PAYLOAD_BYTES)) => {
            ExecutionOutcome {
                status: ExecutionStatus::Succeeded,
                output: Some(doc.into_owned()),
                error: None,
                cause: None,
                stop_time,
            }
        }
        Ok(Ok(Ok(doc))) => {
            let output = doc.into_owned();
            let measure = size::measure(&output);
            if measure.exceeds(&output, MAX_PAYLOAD_BYTES) {
                return failed(ExecError::new(
                    names::DATA_LIMIT_EXCEEDED,
                    "The execution output exceeds the maximum number of bytes service limit.",
                ));
            }
            if measure.too_deep(0) {
                return failed(ExecError::new(
                    names::DATA_LIMIT_EXCEEDED,
                    format!("The execution output nests deeper than the maximum depth of {MAX_DEPTH} levels."),
                ));
            }
            ExecutionOutcome {
                status: ExecutionStatus::Succeeded,
                output: Some(output),
                error: None,
                cause: None,
                stop_time,
            }
        }
        Ok(Ok(Err(e))) => failed(e),
        Ok(Err(_panic)) => failed(ExecError::runtime(
            "internal error while running the execution",
        )),
        Err(_elapsed) => timed_out(
            "The execution ran past its time limit.".to_owned(),
            stop_time,
        ),
    }
}

/// The outcome of an execution that ran past its time limit.
fn timed_out(cause: String, stop_time: SystemTime) -> ExecutionOutcome {
    ExecutionOutcome {
        status: ExecutionStatus::TimedOut,
        output: None,
        error: Some(names::TIMEOUT.to_owned()),
        cause: Some(cause),
        stop_time,
    }
}

impl<'a> Run<'a> {
    /// The run of a distributed Map's child execution `options`: its own
    /// history numbering and no observer, the same resolvers, mock test
    /// case, memory budget and Map Runs as this one.
    pub(super) fn child<'c>(&'c self, options: &'c ExecutionOptions) -> Run<'c> {
        Run {
            tasks: self.tasks,
            tokens: self.tokens,
            options,
            events: AtomicU32::new(1),
            invocations: Mutex::new(HashMap::new()),
            state_machine_name: Arc::clone(&self.state_machine_name),
            test_case: self.test_case.clone(),
            obs: None,
            budget: self.budget,
            map_runs: Arc::clone(&self.map_runs),
            inspect: None,
        }
    }

    /// The identity of this execution.
    pub(super) fn execution(&self) -> &ExecutionOptions {
        self.options
    }

    /// The Task resolvers.
    pub(super) fn tasks_ref(&self) -> &Tasks {
        self.tasks
    }

    /// The engine's Map Runs.
    pub(super) fn map_runs(&self) -> &super::map_run::records::MapRuns {
        &self.map_runs
    }

    fn next_event(&self) -> u32 {
        self.events.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Numbers `n` history events; returns the id of the first.
    pub(super) fn add_events(&self, n: u32) -> u32 {
        self.events.fetch_add(n, Ordering::Relaxed) + 1
    }

    /// Reports the value of a data-flow step to a state test's inspector.
    #[inline]
    pub(super) fn note(&self, at: &Entry<'_>, step: Step, v: &Value) {
        if let Some(i) = self.inspect {
            i.note(at, step, v);
        }
    }

    /// The state test's inspector, if this run tests a state.
    #[inline]
    pub(super) fn inspector(&self) -> Option<&Inspector> {
        self.inspect
    }

    /// The observer of this execution, if it is watched.
    #[inline]
    pub(super) fn obs(&self) -> Option<&dyn ExecutionObserver> {
        self.obs.as_deref()
    }

    /// The flat index base of child graph `branch` of the state `at`.
    pub(super) fn child_base(&self, at: &Entry<'_>, branch: usize) -> u32 {
        match self.obs() {
            Some(o) => o.states().child_base(at.index, branch),
            None => 0,
        }
    }

    /// An error raised by the runtime while evaluating a state, with AWS's cause prefix.
    pub(super) fn located(
        at: &Entry<'_>,
        error: &str,
        message: impl std::fmt::Display,
    ) -> ExecError {
        ExecError::new(
            error,
            format!(
                "An error occurred while executing the state '{}' (entered at the event id #{}). {}",
                at.name, at.event, message
            ),
        )
    }

    /// Adds the cause prefix to an evaluation error that lacks it; a json
    /// layer error gets its ASL name here (`eval_error`).
    pub(super) fn locate(at: &Entry<'_>, e: impl Into<ExecError>) -> ExecError {
        let e = e.into();
        if e.cause
            .starts_with("An error occurred while executing the state")
        {
            e
        } else {
            Self::located(at, &e.error, e.cause)
        }
    }

    /// Runs `graph` (whose states' flat indexes start at `base`) on `input`.
    pub(super) fn graph(
        &'a self,
        graph: &'a Graph,
        base: u32,
        input: Doc,
        mut frame: Frame,
    ) -> BoxFuture<'a, Result<Doc, ExecError>> {
        Box::pin(async move {
            let mut id = graph.start;
            let mut doc = input;
            let mut states = 0u32;
            // When the last state exited, if the execution is observed: the
            // next state's entry time (one clock read per edge).
            let mut edge = None;
            loop {
                // Pass and Choice states never await: spend the task's
                // cooperative budget (which yields to the scheduler when it
                // runs out) so a looping definition cannot starve its own
                // timeout or other executions. One unit every
                // `STATES_PER_BUDGET_UNIT` states: each spend reads the
                // runtime's thread-local context.
                if states % STATES_PER_BUDGET_UNIT == 0 {
                    tokio::task::consume_budget().await;
                }
                states = states.wrapping_add(1);
                let state = graph.state(id);
                // `Run::state` written out: its future nested in this one
                // would add its own copy of the arguments to every
                // execution's and branch's boxed future.
                let at = self.enter(state, base + id.0, &doc, &mut frame, edge);
                let result = if runs_handled(state) {
                    self.handled(state, doc, &mut frame, &at).await
                } else if awaits(state) {
                    self.step_awaiting(state, doc, &mut frame, &at).await
                } else {
                    self.step(state, doc, &mut frame, &at)
                };
                edge = self.exit(&at, &result);
                let (out, next) = result?;
                match next {
                    Transition::End => return Ok(out),
                    Transition::Next(n) => {
                        id = n;
                        doc = out;
                    }
                }
            }
        })
    }

    /// One state, from its entry to its exit: the observer sees it enter,
    /// exit (the exit event is numbered here) or fail. The graph loop runs
    /// the same steps written out.
    async fn state(
        &'a self,
        st: &'a State,
        index: u32,
        raw: Doc,
        frame: &mut Frame,
    ) -> Result<(Doc, Transition), ExecError> {
        let at = self.enter(st, index, &raw, frame, None);
        let result = if runs_handled(st) {
            self.handled(st, raw, frame, &at).await
        } else if awaits(st) {
            self.step_awaiting(st, raw, frame, &at).await
        } else {
            self.step(st, raw, frame, &at)
        };
        self.exit(&at, &result);
        result
    }

    /// A state's entry on `raw`: numbered, seen by the observer, and in the
    /// Context Object. `edge`: when the previous state of the graph exited
    /// ([`Run::exit`]), taken as this state's entry time instead of a clock
    /// read. Inlined in the graph loop, the observer's part not.
    #[inline]
    fn enter(
        &self,
        st: &'a State,
        index: u32,
        raw: &Doc,
        frame: &mut Frame,
        edge: Option<Instant>,
    ) -> Entry<'a> {
        let at = Entry {
            name: &st.name,
            event: self.next_event(),
            index,
            type_name: st.type_name,
            entered: None,
        };
        if let Some(ctx) = frame.ctx_mut() {
            let retry_count = runs_handled(st).then_some(0);
            context::enter_state(ctx, &st.name, SystemTime::now(), retry_count);
        }
        match self.obs() {
            None => at,
            Some(o) => Self::entered(o, at, raw, edge),
        }
    }

    /// The observer's part of [`Run::enter`].
    fn entered<'s>(
        o: &dyn ExecutionObserver,
        at: Entry<'s>,
        raw: &Doc,
        edge: Option<Instant>,
    ) -> Entry<'s> {
        o.event(
            at.event,
            &Event::StateEntered {
                state: at.state(),
                input: raw,
            },
        );
        Entry {
            entered: Some(edge.unwrap_or_else(Instant::now)),
            ..at
        }
    }

    /// A state's exit with `result`: its exit event numbered, and the
    /// observer told of its exit or failure. Returns when it exited, if the
    /// execution is observed (the next state's entry time). Inlined in the
    /// graph loop, the observer's part not.
    #[inline]
    fn exit(
        &self,
        at: &Entry<'_>,
        result: &Result<(Doc, Transition), ExecError>,
    ) -> Option<Instant> {
        match (self.obs(), at.entered) {
            (Some(o), Some(entered)) => Some(self.exited(o, at, entered, result)),
            _ => {
                if result.is_ok() {
                    self.add_events(1);
                }
                None
            }
        }
    }

    /// The observer's part of [`Run::exit`].
    fn exited(
        &self,
        o: &dyn ExecutionObserver,
        at: &Entry<'_>,
        entered: Instant,
        result: &Result<(Doc, Transition), ExecError>,
    ) -> Instant {
        let now = Instant::now();
        let duration = now.saturating_duration_since(entered);
        match result {
            Ok((output, _)) => {
                let id = self.add_events(1);
                o.event(
                    id,
                    &Event::StateExited {
                        state: at.state(),
                        output,
                        duration,
                    },
                );
            }
            // A caught failure was reported by `handled`.
            Err(e) => o.event(
                0,
                &Event::StateFailed {
                    state: at.state(),
                    error: &e.error,
                    cause: &e.cause,
                    caught: false,
                    duration,
                },
            ),
        }
        now
    }
}

/// Whether state `st` runs under Retry and Catch ([`Run::handled`]): a
/// Task, Parallel or Map; the other states run in [`Run::step`] or
/// [`Run::step_awaiting`].
fn runs_handled(st: &State) -> bool {
    matches!(
        st.kind,
        Kind::Task { .. } | Kind::Parallel { .. } | Kind::Map(_)
    )
}

/// Whether state `st`, not a Task, Parallel or Map, awaits in its work
/// ([`Run::step_awaiting`]): a Wait, or any JSONata state.
fn awaits(st: &State) -> bool {
    st.jsonata || matches!(st.kind, Kind::Wait(_))
}

/// States a graph runs per unit of tokio's cooperative budget (128 units
/// a task poll): a looping definition yields at least every 512 states.
const STATES_PER_BUDGET_UNIT: u32 = 4;

/// The Error Output a Catcher receives (and a tolerated Map iteration
/// leaves in the results): `{"Error": …, "Cause": …}`.
pub(super) fn error_output(e: ExecError) -> Value {
    let mut o = Object::with_capacity(2);
    o.insert("Error".to_owned(), OwnedValue::String(e.error));
    o.insert("Cause".to_owned(), OwnedValue::String(e.cause));
    OwnedValue::Object(Box::new(o))
}

/// `States.DataLimitExceeded` for a state whose result is over 262,144 bytes.
pub(super) fn oversized_result(state: &str) -> ExecError {
    ExecError::new(
        names::DATA_LIMIT_EXCEEDED,
        format!("The state/task '{state}' returned a result with a size exceeding the maximum number of bytes service limit."),
    )
}

/// `States.DataLimitExceeded` for a value `what` made nesting deeper than
/// [`MAX_DEPTH`] (reference §2; the limit is ours, see [`MAX_DEPTH`]).
pub(super) fn too_deep(at: &Entry<'_>, what: &str) -> ExecError {
    Run::located(
        at,
        names::DATA_LIMIT_EXCEEDED,
        format!(
            "The {what} of the state '{}' nests deeper than the maximum depth of {MAX_DEPTH} levels.",
            at.name
        ),
    )
}

/// A value as AWS prints it inside messages: strings without quotes.
pub(super) fn display_plain(v: &Value) -> String {
    match v {
        OwnedValue::String(s) => s.clone(),
        other => crate::json::to_string(other),
    }
}
