//! Running one state alone with the engine's own step code, and reporting
//! what each step of its data flow produced (the TestState API).
//!
//! [`Engine::test_state`] steps the start state of a machine once through
//! [`Run::state`], the very code executions use, with an [`Inspector`]
//! attached to the run. The step code reports each intermediate value to
//! it ([`Run::note`]); the inspector keeps those of the tested state only
//! (states inside a Parallel branch or a Map iteration run as in an
//! execution but are not reported). The two places where a test differs
//! from an execution are decided here too: a Retrier that would retry ends
//! the test as `RETRIABLE` (a test never retries), and a Wait state does
//! not wait. A mocked result or error replaces the Task, Parallel or Map
//! attempt of the tested state.
//!
//! Source: API reference `API_TestState`, `API_InspectionData`; AWS guide
//! `test-state-isolation.html` ("Using inspection levels", "Mocking").

use std::sync::atomic::AtomicU32;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::{Doc, Entry, Run};
use crate::compile::{Machine, Transition};
use crate::engine::budget::Budget;
use crate::engine::variables::Frame;
use crate::engine::{context, Engine, ExecutionOptions, StopHandle};
use crate::errors::{names, ExecError};
use crate::json::Value;

/// The longest a test may run: five minutes, then it fails with
/// `States.Timeout` (API reference `API_TestState`).
pub const MAX_TEST_DURATION: Duration = Duration::from_secs(300);

/// What replaces the tested state's work (TestState's `mock`): the result
/// its Task, Parallel or Map returns, or the error it raises.
#[derive(Debug, Clone)]
pub enum Mock {
    /// The attempt returns this value (`mock.result`).
    Result(Value),
    /// The attempt fails with this error (`mock.errorOutput`).
    Error(ExecError),
}

/// One state to test: the start state of `machine`.
#[derive(Debug, Clone)]
pub struct StateTest {
    /// A machine whose StartAt state is the one tested; the states it may
    /// go to only give `nextState` its name.
    pub machine: Arc<Machine>,
    /// The state's raw input.
    pub input: Value,
    /// Workflow variables in scope (an object), if any.
    pub variables: Option<Value>,
    /// What replaces the state's Task, Parallel or Map attempt, if anything.
    pub mock: Option<Mock>,
    /// The identity the Context Object shows.
    pub options: ExecutionOptions,
}

/// How the tested state ended (TestState's `status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestStatus {
    /// It produced its output.
    Succeeded,
    /// It raised an error no Catcher caught (or a Fail state).
    Failed,
    /// It raised an error a Retrier would retry.
    Retriable,
    /// It raised an error a Catcher caught; the output is the Catcher's.
    CaughtError,
}

impl TestStatus {
    /// The wire name: `SUCCEEDED`, `FAILED`, `RETRIABLE`, `CAUGHT_ERROR`.
    pub fn as_str(self) -> &'static str {
        match self {
            TestStatus::Succeeded => "SUCCEEDED",
            TestStatus::Failed => "FAILED",
            TestStatus::Retriable => "RETRIABLE",
            TestStatus::CaughtError => "CAUGHT_ERROR",
        }
    }
}

/// The intermediate values of the tested state's data flow
/// (`API_InspectionData`); a field is `None` when the state has no such
/// step or did not reach it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inspection {
    /// The raw state input.
    pub input: Option<Value>,
    /// After InputPath (JSONPath).
    pub after_input_path: Option<Value>,
    /// After Parameters: the effective input (JSONPath).
    pub after_parameters: Option<Value>,
    /// After Arguments: the effective input (JSONata).
    pub after_arguments: Option<Value>,
    /// After ItemsPath: the Map's items (JSONPath).
    pub after_items_path: Option<Value>,
    /// The state's raw result.
    pub result: Option<Value>,
    /// After ResultSelector: the effective result (JSONPath).
    pub after_result_selector: Option<Value>,
    /// After ResultPath: the result merged into the raw input (JSONPath).
    pub after_result_path: Option<Value>,
    /// The workflow variables in scope after the state, if any.
    pub variables: Option<Value>,
    /// A Map's MaxConcurrency as evaluated (0: no limit).
    pub max_concurrency: Option<u32>,
    /// A Map's ToleratedFailureCount as evaluated, if it has one.
    pub tolerated_failure_count: Option<u32>,
    /// A Map's ToleratedFailurePercentage as evaluated, if it has one.
    pub tolerated_failure_percentage: Option<f64>,
    /// Which Retrier or Catcher handled the error, if any.
    pub error_details: Option<ErrorDetails>,
}

/// Which Retrier or Catcher of the tested state handled its error
/// (`API_InspectionErrorDetails`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ErrorDetails {
    /// The Catcher at this index of `Catch` caught it (`catchIndex`).
    Caught {
        /// Its index in `Catch`.
        catch_index: u32,
    },
    /// The Retrier at this index of `Retry` would retry it (`retryIndex`)
    /// after this many seconds (`retryBackoffIntervalSeconds`).
    Retried {
        /// Its index in `Retry`.
        retry_index: u32,
        /// The delay before the retry, in seconds (before jitter).
        backoff_seconds: f64,
    },
}

impl Inspection {
    /// The values that are present, under their wire names, in the order
    /// the data flows.
    pub fn entries(&self) -> impl Iterator<Item = (&'static str, &Value)> {
        [
            ("input", &self.input),
            ("afterInputPath", &self.after_input_path),
            ("afterParameters", &self.after_parameters),
            ("afterArguments", &self.after_arguments),
            ("afterItemsPath", &self.after_items_path),
            ("result", &self.result),
            ("afterResultSelector", &self.after_result_selector),
            ("afterResultPath", &self.after_result_path),
            ("variables", &self.variables),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
    }
}

/// How one state test ended.
#[derive(Debug, Clone)]
pub struct TestOutcome {
    /// SUCCEEDED, FAILED, RETRIABLE or CAUGHT_ERROR.
    pub status: TestStatus,
    /// The state output (SUCCEEDED, CAUGHT_ERROR).
    pub output: Option<Value>,
    /// The error raised (FAILED, RETRIABLE, CAUGHT_ERROR).
    pub error: Option<ExecError>,
    /// The name of the state it goes to next, if any.
    pub next_state: Option<Arc<str>>,
    /// What each step of its data flow produced.
    pub inspection: Inspection,
}

/// A step of the data flow, as [`Run::note`] reports it.
#[derive(Debug, Clone, Copy)]
pub(in crate::engine) enum Step {
    AfterInputPath,
    AfterParameters,
    AfterArguments,
    AfterItemsPath,
    Result,
    AfterResultSelector,
    AfterResultPath,
}

/// Attached to a run that tests one state: collects that state's
/// intermediate values and how its error was handled.
pub(in crate::engine) struct Inspector {
    /// The tested state's name; states are told apart by the address of
    /// their name, so a state of the same name inside a branch is not it.
    state: Arc<str>,
    mock: Option<Mock>,
    seen: Mutex<Seen>,
}

#[derive(Default)]
struct Seen {
    inspection: Inspection,
    /// A Retrier matched the error (RETRIABLE).
    retriable: bool,
    /// The error a Catcher caught (CAUGHT_ERROR).
    caught: Option<ExecError>,
}

impl Inspector {
    /// Whether `at` is the tested state (not a state of a branch).
    pub(in crate::engine) fn is(&self, at: &Entry<'_>) -> bool {
        std::ptr::eq(at.name.as_ptr(), self.state.as_ptr())
    }

    fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records the value of `step` if `at` is the tested state.
    pub(in crate::engine) fn note(&self, at: &Entry<'_>, step: Step, v: &Value) {
        if !self.is(at) {
            return;
        }
        let mut seen = self.seen();
        let i = &mut seen.inspection;
        let slot = match step {
            Step::AfterInputPath => &mut i.after_input_path,
            Step::AfterParameters => &mut i.after_parameters,
            Step::AfterArguments => &mut i.after_arguments,
            Step::AfterItemsPath => &mut i.after_items_path,
            Step::Result => &mut i.result,
            Step::AfterResultSelector => &mut i.after_result_selector,
            Step::AfterResultPath => &mut i.after_result_path,
        };
        *slot = Some(v.clone());
    }

    /// The mocked attempt of the tested state, if it is mocked.
    pub(in crate::engine) fn mocked(&self, at: &Entry<'_>) -> Option<Result<Value, ExecError>> {
        if !self.is(at) {
            return None;
        }
        self.mock.as_ref().map(|m| match m {
            Mock::Result(v) => Ok(v.clone()),
            Mock::Error(e) => Err(e.clone()),
        })
    }

    /// The Retrier at `index` of the tested state matched its error and
    /// would retry after `backoff_seconds`: the test stops there (it never
    /// retries). Returns whether `at` is the tested state.
    pub(in crate::engine) fn retriable(
        &self,
        at: &Entry<'_>,
        index: usize,
        backoff_seconds: f64,
    ) -> bool {
        if !self.is(at) {
            return false;
        }
        let mut seen = self.seen();
        seen.retriable = true;
        seen.inspection.error_details = Some(ErrorDetails::Retried {
            retry_index: u32::try_from(index).unwrap_or(u32::MAX),
            backoff_seconds,
        });
        true
    }

    /// The Catcher at `index` of the tested state caught `e`.
    pub(in crate::engine) fn caught(&self, at: &Entry<'_>, index: usize, e: &ExecError) {
        if self.is(at) {
            let mut seen = self.seen();
            seen.caught = Some(e.clone());
            seen.inspection.error_details = Some(ErrorDetails::Caught {
                catch_index: u32::try_from(index).unwrap_or(u32::MAX),
            });
        }
    }

    /// The tested Map's concurrency and tolerated failures, as evaluated.
    pub(in crate::engine) fn map_settings(
        &self,
        at: &Entry<'_>,
        max_concurrency: f64,
        tolerated_count: Option<f64>,
        tolerated_percentage: Option<f64>,
    ) {
        if self.is(at) {
            let i = &mut self.seen().inspection;
            // The values are checked integers and a percentage by then.
            i.max_concurrency = Some(max_concurrency.clamp(0.0, u32::MAX as f64) as u32);
            i.tolerated_failure_count =
                tolerated_count.map(|c| c.clamp(0.0, u32::MAX as f64) as u32);
            i.tolerated_failure_percentage = tolerated_percentage;
        }
    }
}

impl Engine {
    /// Runs the start state of `test.machine` once, with the engine's own
    /// step code, on the caller's task, and reports its output, status,
    /// next state and the intermediate values of its data flow.
    ///
    /// Tasks are resolved as in executions (handlers, mock file, Lambda,
    /// HTTP, activities, nested executions) unless `test.mock` replaces
    /// them; Parallel branches and Map iterations run in full. A Retrier
    /// that matches ends the test `RETRIABLE`; a Wait state does not wait.
    /// Bounded by [`MAX_TEST_DURATION`] (then `States.Timeout`) and by the
    /// engine's evaluation and memory limits. Never panics on any input.
    pub async fn test_state(&self, test: StateTest) -> TestOutcome {
        let StateTest {
            machine,
            input,
            variables,
            mock,
            options,
        } = test;
        let graph = &machine.graph;
        let st = graph.state(graph.start);
        let inspector = Inspector {
            state: Arc::clone(&st.name),
            mock,
            seen: Mutex::default(),
        };
        let memory = Budget::new(self.memory_budget);
        let run = Run {
            tasks: &self.tasks,
            tokens: &self.tokens,
            options: &options,
            events: AtomicU32::new(1),
            invocations: Mutex::default(),
            state_machine_name: Arc::clone(&options.state_machine_name),
            test_case: options.test_case.as_deref().map(Into::into),
            obs: None,
            budget: &memory,
            map_runs: Arc::clone(&self.map_runs),
            inspect: Some(&inspector),
        };
        let mut frame = Frame::new(
            machine
                .uses_context
                .then(|| context::ContextObject::new(&options, &input)),
        );
        frame.vars = variables.map(Arc::new);
        let raw_input = input.clone();
        let budget = crate::json::budget::Budget::with_stop_flag(
            Some(Instant::now() + MAX_TEST_DURATION),
            self.max_evaluation_bytes,
            Arc::clone(&StopHandle::new().0),
        );
        let step = crate::json::budget::scope(
            budget,
            futures::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(run.state(
                st,
                graph.start.0,
                Doc::new(input),
                &mut frame,
            ))),
        );
        let result = match tokio::time::timeout(MAX_TEST_DURATION, step).await {
            Ok(Ok(r)) => r.map(|(out, next)| (out.into_owned(), next)),
            Ok(Err(_panic)) => Err(ExecError::runtime("internal error while testing the state")),
            Err(_elapsed) => Err(ExecError::new(
                names::TIMEOUT,
                "The test ran past its time limit of five minutes.",
            )),
        };
        let seen = std::mem::take(&mut *inspector.seen());
        let mut inspection = seen.inspection;
        inspection.input = Some(raw_input);
        inspection.variables = frame.vars().cloned();
        let name = |t: Transition| match t {
            Transition::Next(id) => Some(Arc::clone(&graph.state(id).name)),
            Transition::End => None,
        };
        let (status, output, error, next_state) = match result {
            Ok((out, next)) => match seen.caught {
                Some(e) => (TestStatus::CaughtError, Some(out), Some(e), name(next)),
                None => (TestStatus::Succeeded, Some(out), None, name(next)),
            },
            Err(e) if seen.retriable => (TestStatus::Retriable, None, Some(e), None),
            Err(e) => (TestStatus::Failed, None, Some(e), None),
        };
        TestOutcome {
            status,
            output,
            error,
            next_state,
            inspection,
        }
    }
}
