//! Stepping one execution through its state graph: the JSONPath pipeline
//! (InputPath → Parameters → ResultSelector → ResultPath → OutputPath),
//! Retry and Catch, Parallel and Map, Wait, Task timeouts.
//!
//! Source: ASL spec "Input and Output Processing", "Errors"; reference §3.

pub(super) mod inspect;
mod task;
mod wait;

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use futures::future::BoxFuture;
use futures::FutureExt;
use simd_json::OwnedValue;

use self::inspect::{Inspector, Step};
use super::budget::Budget;
use super::jsonata::states_object;
use super::observe::{Event, ExecutionObserver, Observer, StateRef};
use super::variables::Frame;
use super::{context, size, ExecutionOptions, ExecutionOutcome, ExecutionStatus};
use crate::compile::{
    Condition, Graph, IoPath, Jitter, Kind, Machine, ResultPath, State, StringSource, Transition,
};
use crate::errors::{names, ExecError, MAX_PAYLOAD_BYTES};
use crate::json::path::{Path, Selected};
use crate::json::template::Template;
use crate::json::{Object, Scope, Value, MAX_DEPTH};
use crate::tasks::Tasks;

fn empty_object() -> Value {
    OwnedValue::Object(Box::default())
}

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
    pub(super) budget: Arc<Budget>,
    /// The engine's Map Runs (distributed Maps).
    map_runs: Arc<super::map_run::records::MapRuns>,
    /// The inspector of a state test (TestState), else `None`.
    inspect: Option<&'a Inspector>,
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
    let run = Run {
        tasks,
        tokens,
        options,
        events: AtomicU32::new(1),
        invocations: Mutex::new(HashMap::new()),
        state_machine_name: options.state_machine_name.as_str().into(),
        test_case: options.test_case.as_deref().map(Into::into),
        obs,
        budget: Arc::new(Budget::new(limits.memory_budget)),
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
        std::panic::AssertUnwindSafe(run.graph(&machine.graph, 0, input, frame)).catch_unwind(),
    );
    let result = tokio::time::timeout(machine.timeout, body).await;
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
    Result<Result<Value, ExecError>, Box<dyn std::any::Any + Send>>,
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
        Ok(Ok(Ok(output))) => {
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
            budget: Arc::clone(&self.budget),
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
        input: Value,
        mut frame: Frame,
    ) -> BoxFuture<'a, Result<Value, ExecError>> {
        Box::pin(async move {
            let mut id = graph.start;
            let mut doc = input;
            loop {
                // Pass and Choice states never await: give the scheduler a
                // chance once per state so a looping definition cannot starve
                // its own timeout or other executions.
                tokio::task::consume_budget().await;
                let state = graph.state(id);
                let (out, next) = self.state(state, base + id.0, doc, &mut frame).await?;
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
    /// exit (the exit event is numbered here) or fail.
    async fn state(
        &'a self,
        st: &'a State,
        index: u32,
        raw: Value,
        frame: &mut Frame,
    ) -> Result<(Value, Transition), ExecError> {
        let at = Entry {
            name: &st.name,
            event: self.next_event(),
            index,
            type_name: st.type_name,
            entered: None,
        };
        let Some(o) = self.obs() else {
            let result = self.step(st, raw, frame, &at).await;
            if result.is_ok() {
                self.add_events(1);
            }
            return result;
        };
        o.event(
            at.event,
            &Event::StateEntered {
                state: at.state(),
                input: &raw,
            },
        );
        let entered = Instant::now();
        let at = Entry {
            entered: Some(entered),
            ..at
        };
        let result = self.step(st, raw, frame, &at).await;
        match &result {
            Ok((output, _)) => {
                let id = self.add_events(1);
                o.event(
                    id,
                    &Event::StateExited {
                        state: at.state(),
                        output,
                        duration: entered.elapsed(),
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
                    duration: entered.elapsed(),
                },
            ),
        }
        result
    }

    /// The work of one state, between its entry and exit events.
    async fn step(
        &'a self,
        st: &'a State,
        raw: Value,
        frame: &mut Frame,
        at: &Entry<'_>,
    ) -> Result<(Value, Transition), ExecError> {
        if let Some(ctx) = frame.ctx_mut() {
            let retry_count = matches!(
                st.kind,
                Kind::Task { .. } | Kind::Parallel { .. } | Kind::Map(_)
            )
            .then_some(0);
            context::enter_state(ctx, &st.name, SystemTime::now(), retry_count);
        }
        if st.jsonata
            && !matches!(
                st.kind,
                Kind::Task { .. } | Kind::Parallel { .. } | Kind::Map(_)
            )
        {
            let (out, next) = self.jsonata_simple(st, raw, frame, at).await?;
            if size::deeper_than(&out, MAX_DEPTH) {
                return Err(too_deep(at, "output"));
            }
            return Ok((out, next));
        }
        match &st.kind {
            Kind::Pass { result } => {
                let (out, assigned) = self.pass(st, result.as_ref(), raw, frame, at)?;
                frame.commit(assigned).map_err(|e| Self::locate(at, e))?;
                Ok((out, st.transition))
            }
            Kind::Succeed => {
                let eff = self.io(&st.input_path, raw, frame, at)?;
                self.note(at, Step::AfterInputPath, &eff);
                Ok((self.io(&st.output_path, eff, frame, at)?, Transition::End))
            }
            Kind::Fail { error, cause } => {
                // AWS reports a Fail state's input as its afterInputPath.
                self.note(at, Step::AfterInputPath, &raw);
                let error = self.string_source(error, "ErrorPath", &raw, frame, at)?;
                let cause = self.string_source(cause, "CausePath", &raw, frame, at)?;
                Err(ExecError::new(error, cause))
            }
            Kind::Choice { choices, default } => {
                let eff = self.io(&st.input_path, raw, frame, at)?;
                self.note(at, Step::AfterInputPath, &eff);
                let scope = Scope {
                    input: &eff,
                    context: frame.ctx(),
                    variables: frame.vars(),
                };
                let mut next = None;
                let mut assign = st.assign.as_ref();
                for branch in choices {
                    let Condition::Path(rule) = &branch.condition else {
                        continue;
                    };
                    if rule.eval(&scope).map_err(|e| Self::locate(at, e))? {
                        next = Some(branch.next);
                        assign = branch.assign.as_ref().or(assign);
                        break;
                    }
                }
                let next = match next.or(*default) {
                    Some(n) => n,
                    None => {
                        return Err(Self::located(
                            at,
                            names::NO_CHOICE_MATCHED,
                            "No Choice Rule matched and there is no Default.",
                        ))
                    }
                };
                let assigned = self.assign_values(assign, &eff, None, frame, at)?;
                let out = self.io(&st.output_path, eff, frame, at)?;
                frame.commit(assigned).map_err(|e| Self::locate(at, e))?;
                Ok((out, Transition::Next(next)))
            }
            Kind::Wait(wait) => {
                let eff = self.io(&st.input_path, raw, frame, at)?;
                self.note(at, Step::AfterInputPath, &eff);
                let delay = self.wait_duration(wait, &eff, frame, at)?;
                // A state test does not wait.
                if !delay.is_zero() && self.inspect.is_none() {
                    tokio::time::sleep(delay).await;
                }
                let assigned = self.assign_values(st.assign.as_ref(), &eff, None, frame, at)?;
                let out = self.io(&st.output_path, eff, frame, at)?;
                frame.commit(assigned).map_err(|e| Self::locate(at, e))?;
                Ok((out, st.transition))
            }
            Kind::Task { .. } | Kind::Parallel { .. } | Kind::Map(_) => {
                self.handled(st, raw, frame, at).await
            }
        }
    }

    /// InputPath or OutputPath over an owned value.
    fn io(
        &self,
        path: &IoPath,
        v: Value,
        frame: &Frame,
        at: &Entry<'_>,
    ) -> Result<Value, ExecError> {
        match path {
            IoPath::Identity => Ok(v),
            IoPath::Empty => Ok(empty_object()),
            IoPath::Path(p) => Ok(self.select(p, &v, frame, at)?.into_owned()),
        }
    }

    /// InputPath or ItemsPath over a borrowed value.
    pub(super) fn io_ref<'v>(
        &self,
        path: &IoPath,
        v: &'v Value,
        frame: &'v Frame,
        at: &Entry<'_>,
    ) -> Result<Cow<'v, Value>, ExecError> {
        match path {
            IoPath::Identity => Ok(Cow::Borrowed(v)),
            IoPath::Empty => Ok(Cow::Owned(empty_object())),
            IoPath::Path(p) => self.select(p, v, frame, at),
        }
    }

    fn select<'v>(
        &self,
        p: &Path,
        v: &'v Value,
        frame: &'v Frame,
        at: &Entry<'_>,
    ) -> Result<Cow<'v, Value>, ExecError> {
        let scope = Scope {
            input: v,
            context: frame.ctx(),
            variables: frame.vars(),
        };
        match p.select(&scope) {
            Ok(Selected::One(r)) => Ok(Cow::Borrowed(r)),
            Ok(other) => Ok(Cow::Owned(other.into_value())),
            Err(e) => Err(Self::located(at, names::RUNTIME, e)),
        }
    }

    /// InputPath then Parameters: the effective input.
    pub(super) fn effective<'v>(
        &self,
        st: &State,
        raw: &'v Value,
        frame: &'v Frame,
        at: &Entry<'_>,
    ) -> Result<Cow<'v, Value>, ExecError> {
        let selected = self.io_ref(&st.input_path, raw, frame, at)?;
        self.note(at, Step::AfterInputPath, &selected);
        let effective = match &st.parameters {
            None => selected,
            Some(t) => Cow::Owned(self.render(t, &selected, frame, at)?),
        };
        self.note(at, Step::AfterParameters, &effective);
        Ok(effective)
    }

    pub(super) fn render(
        &self,
        t: &Template,
        input: &Value,
        frame: &Frame,
        at: &Entry<'_>,
    ) -> Result<Value, ExecError> {
        t.render(&Scope {
            input,
            context: frame.ctx(),
            variables: frame.vars(),
        })
        .map_err(|e| Self::locate(at, e))
    }

    /// ResultPath: merges `result` into `raw`. `depth`: the result's depth
    /// when the caller measured it, else it is walked here, so that the
    /// merged document stays within [`MAX_DEPTH`].
    fn result_path(
        &self,
        rp: &ResultPath,
        raw: Value,
        result: Value,
        depth: Option<usize>,
        at: &Entry<'_>,
    ) -> Result<Value, ExecError> {
        let below = match rp {
            ResultPath::Discard => {
                self.note(at, Step::AfterResultPath, &raw);
                return Ok(raw);
            }
            ResultPath::Replace => 0,
            ResultPath::Path(p) => p.segments().len(),
        };
        let deep = match depth {
            Some(d) => d.saturating_add(below) > MAX_DEPTH,
            None => size::deeper_than(&result, MAX_DEPTH.saturating_sub(below)),
        };
        if deep || below > MAX_DEPTH {
            return Err(too_deep(at, "ResultPath"));
        }
        let merged = match rp {
            ResultPath::Path(p) => p
                .assign(raw, result)
                .map_err(|e| Self::located(at, names::RESULT_PATH_MATCH_FAILURE, e))?,
            _ => result,
        };
        self.note(at, Step::AfterResultPath, &merged);
        Ok(merged)
    }

    fn pass(
        &self,
        st: &State,
        result: Option<&Value>,
        raw: Value,
        frame: &Frame,
        at: &Entry<'_>,
    ) -> Result<(Value, Option<Value>), ExecError> {
        let fast = matches!(st.input_path, IoPath::Identity)
            && st.parameters.is_none()
            && result.is_none()
            && st.assign.is_none()
            && self.inspect.is_none();
        let mut assigned = None;
        let out = match (&st.result_path, fast) {
            (ResultPath::Replace, true) | (ResultPath::Discard, true) => raw,
            _ => {
                let value = match result {
                    Some(r) => {
                        // Parameters are still evaluated (their errors still count).
                        if st.parameters.is_some() {
                            self.effective(st, &raw, frame, at)?;
                        }
                        r.clone()
                    }
                    None => self.effective(st, &raw, frame, at)?.into_owned(),
                };
                // As AWS reports a Pass state: `result` only for a Result.
                if result.is_some() {
                    self.note(at, Step::Result, &value);
                }
                self.note(at, Step::AfterResultSelector, &value);
                let measure = size::measure(&value);
                if measure.exceeds(&value, MAX_PAYLOAD_BYTES) {
                    return Err(oversized_result(&st.name));
                }
                assigned = self.assign_values(st.assign.as_ref(), &value, None, frame, at)?;
                self.result_path(&st.result_path, raw, value, Some(measure.depth), at)?
            }
        };
        Ok((self.io(&st.output_path, out, frame, at)?, assigned))
    }

    fn string_source(
        &self,
        src: &StringSource,
        field: &str,
        raw: &Value,
        frame: &Frame,
        at: &Entry<'_>,
    ) -> Result<String, ExecError> {
        let scope = Scope {
            input: raw,
            context: frame.ctx(),
            variables: frame.vars(),
        };
        let v = match src {
            // JSONata sources are evaluated by `jsonata_simple`.
            StringSource::None | StringSource::Jsonata(_) => return Ok(String::new()),
            StringSource::Fixed(s) => return Ok(s.to_string()),
            StringSource::Intrinsic(i) => i.eval(&scope).map_err(|e| Self::locate(at, e))?,
            StringSource::Path(p) => match p.select(&scope) {
                Ok(sel) => sel.into_value(),
                Err(_) => {
                    return Err(Self::located(
                        at,
                        names::RUNTIME,
                        format!(
                            "The JSONPath '{}' specified for the field '{}' could not be found in the input '{}'",
                            p.text(),
                            field,
                            crate::json::to_string(raw)
                        ),
                    ))
                }
            },
        };
        match v {
            OwnedValue::String(s) => Ok(s),
            other => Err(Self::located(
                at,
                names::RUNTIME,
                format!(
                    "The JSONPath '{}' specified for the field '{}' did not resolve to a string: {}",
                    match src {
                        StringSource::Path(p) => p.text(),
                        _ => "",
                    },
                    field,
                    crate::json::to_string(&other)
                ),
            )),
        }
    }

    /// Task, Parallel and Map: one attempt after another under the state's
    /// Retriers, then its Catchers.
    async fn handled(
        &'a self,
        st: &'a State,
        raw: Value,
        frame: &mut Frame,
        at: &Entry<'_>,
    ) -> Result<(Value, Transition), ExecError> {
        // Per-Retrier attempt counts, allocated on the first error only.
        let mut counts: Vec<u32> = Vec::new();
        let mut retry_count = 0u32;
        // Shared with a Task's handler, which gets the document itself (not
        // a copy) when the Task has no InputPath or Parameters; taken back
        // below once the handler has let go of it.
        let raw = Arc::new(raw);
        loop {
            // A state test's mock replaces the attempt.
            let mocked = self.inspect.and_then(|i| i.mocked(at));
            let attempt = match (mocked, &st.kind) {
                // The input is still processed: its errors and steps count.
                (Some(mocked), Kind::Map(_)) => self
                    .io_ref(&st.input_path, &raw, frame, at)
                    .and_then(|eff| {
                        if !st.jsonata {
                            self.note(at, Step::AfterInputPath, &eff);
                        }
                        mocked
                    }),
                (Some(mocked), _) => self.arguments(st, &raw, frame, at).and(mocked),
                (
                    None,
                    Kind::Task {
                        resource, timeout, ..
                    },
                ) => {
                    self.task(st, resource, timeout.as_ref(), &raw, frame, at)
                        .await
                }
                (None, Kind::Parallel { branches }) => {
                    self.parallel(st, branches, &raw, frame, at).await
                }
                (None, Kind::Map(spec)) => self.map(st, spec, &raw, frame, at).await,
                _ => Err(ExecError::runtime("unreachable state kind")),
            };
            let result = attempt.and_then(|r| self.finish_attempt(st, &raw, r, frame, at));
            match result {
                Ok((result, assigned)) => {
                    let out = if st.jsonata {
                        if size::deeper_than(&result, MAX_DEPTH) {
                            return Err(too_deep(at, "output"));
                        }
                        result
                    } else {
                        let raw = Arc::unwrap_or_clone(raw);
                        let out = self.result_path(&st.result_path, raw, result, None, at)?;
                        self.io(&st.output_path, out, frame, at)?
                    };
                    frame.commit(assigned).map_err(|e| Self::locate(at, e))?;
                    return Ok((out, st.transition));
                }
                Err(e) => {
                    if let Some(i) = st
                        .handling
                        .retry
                        .as_slice()
                        .iter()
                        .position(|r| r.matcher.matches(&e.error))
                    {
                        let r = &st.handling.retry[i];
                        if counts.is_empty() {
                            counts.resize(st.handling.retry.len(), 0);
                        }
                        if counts[i] < r.max_attempts {
                            let mut delay = r.delay_seconds(counts[i]);
                            // A state test never retries: it ends RETRIABLE.
                            if self.inspect.is_some_and(|t| t.retriable(at, i, delay)) {
                                return Err(e);
                            }
                            if r.jitter == Jitter::Full {
                                delay *= rand::random::<f64>();
                            }
                            counts[i] += 1;
                            retry_count += 1;
                            tokio::time::sleep(Duration::from_secs_f64(delay.clamp(0.0, 1e9)))
                                .await;
                            if let Some(ctx) = frame.ctx_mut() {
                                context::enter_state(
                                    ctx,
                                    &st.name,
                                    SystemTime::now(),
                                    Some(retry_count),
                                );
                            }
                            continue;
                        }
                    }
                    if let Some((ci, c)) = st
                        .handling
                        .catch
                        .as_slice()
                        .iter()
                        .enumerate()
                        .find(|(_, c)| c.matcher.matches(&e.error))
                    {
                        if let (Some(o), Some(entered)) = (self.obs(), at.entered) {
                            o.event(
                                0,
                                &Event::StateFailed {
                                    state: at.state(),
                                    error: &e.error,
                                    cause: &e.cause,
                                    caught: true,
                                    duration: entered.elapsed(),
                                },
                            );
                        }
                        if let Some(i) = self.inspect {
                            i.caught(at, ci, &e);
                        }
                        let error_output = error_output(e);
                        if st.jsonata {
                            let out = self.jcatch(c, &raw, error_output, frame, at)?;
                            return Ok((out, Transition::Next(c.next)));
                        }
                        let assigned =
                            self.assign_values(c.assign.as_ref(), &error_output, None, frame, at)?;
                        let raw = Arc::unwrap_or_clone(raw);
                        let out =
                            self.result_path(&c.result_path, raw, error_output, Some(1), at)?;
                        frame.commit(assigned).map_err(|e| Self::locate(at, e))?;
                        return Ok((out, Transition::Next(c.next)));
                    }
                    return Err(e);
                }
            }
        }
    }

    /// After a successful attempt: Assign (against the raw result in
    /// JSONPath, `$states.result` in JSONata) and ResultSelector (JSONPath)
    /// or Output (JSONata). Returns the value ResultPath takes (JSONPath)
    /// or the state output (JSONata), and the variables to commit.
    fn finish_attempt(
        &self,
        st: &State,
        raw: &Value,
        result: Value,
        frame: &Frame,
        at: &Entry<'_>,
    ) -> Result<(Value, Option<Value>), ExecError> {
        // AWS reports no raw result for a Map state.
        let reported = !matches!(st.kind, Kind::Map(_));
        if st.jsonata {
            if reported {
                self.note(at, Step::Result, &result);
            }
            if st.output.is_none() && st.assign.is_none() {
                return Ok((result, None));
            }
            let states = crate::json::jsonata::States {
                result: Some(&result),
                ..states_object(raw, frame)
            };
            let assigned = self.assign_values(st.assign.as_ref(), raw, Some(&states), frame, at)?;
            let out = match &st.output {
                Some(t) => self.jrender(t, &states, frame, at)?,
                None => result,
            };
            return Ok((out, assigned));
        }
        if reported {
            self.note(at, Step::Result, &result);
        }
        let assigned = self.assign_values(st.assign.as_ref(), &result, None, frame, at)?;
        let result = match &st.result_selector {
            Some(t) => self.render(t, &result, frame, at)?,
            None => result,
        };
        self.note(at, Step::AfterResultSelector, &result);
        Ok((result, assigned))
    }

    /// The effective input of a Task or Parallel: InputPath + Parameters
    /// (JSONPath) or Arguments (JSONata; default the input).
    pub(super) fn arguments(
        &self,
        st: &State,
        raw: &Value,
        frame: &Frame,
        at: &Entry<'_>,
    ) -> Result<Value, ExecError> {
        if st.jsonata {
            let args = match &st.arguments {
                None => raw.clone(),
                Some(t) => {
                    let states = states_object(raw, frame);
                    self.jrender(t, &states, frame, at)?
                }
            };
            self.note(at, Step::AfterArguments, &args);
            return Ok(args);
        }
        Ok(self.effective(st, raw, frame, at)?.into_owned())
    }

    /// A Task's effective input, as [`Run::arguments`] builds it, but shared:
    /// the state's input itself when the Task selects all of it.
    pub(super) fn task_input(
        &self,
        st: &State,
        raw: &Arc<Value>,
        frame: &Frame,
        at: &Entry<'_>,
    ) -> Result<Arc<Value>, ExecError> {
        if st.jsonata {
            return match &st.arguments {
                None => {
                    self.note(at, Step::AfterArguments, raw);
                    Ok(Arc::clone(raw))
                }
                Some(_) => Ok(Arc::new(self.arguments(st, raw, frame, at)?)),
            };
        }
        match self.effective(st, raw, frame, at)? {
            Cow::Borrowed(v) if std::ptr::eq(v, &**raw) => Ok(Arc::clone(raw)),
            other => Ok(Arc::new(other.into_owned())),
        }
    }
}

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
