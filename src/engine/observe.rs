//! The observer hook: the events an execution emits as it runs, numbered as
//! AWS numbers history events (ExecutionStarted is event 1), for metrics and
//! execution logs.
//!
//! An [`Engine`](super::Engine) without an [`Observer`] pays one branch per
//! hook point: no allocation, no clock read. With one, the observer decides
//! once per execution ([`Observer::execution`]) whether to watch it; an
//! execution it does not watch runs as if there were no observer.
//!
//! States are identified by a flat index over the whole machine
//! ([`StateIndex`]): the top-level states first, then every Parallel branch
//! and Map ItemProcessor, depth first. An observer resolves whatever it needs
//! per state (metric handles, names) once per machine and indexes it with
//! [`StateRef::index`].
//!
//! Source: AWS API reference `API_HistoryEvent.html` (event types and their
//! details); AWS guide `cw-logs.html`.

use std::sync::Arc;
use std::time::Duration;

use super::ExecutionOptions;
use crate::compile::{Graph, Kind, Machine, State};
use crate::json::Value;

/// A state as an event names it.
#[derive(Debug, Clone, Copy)]
pub struct StateRef<'a> {
    /// Its flat index in the machine's [`StateIndex`].
    pub index: u32,
    /// Its name.
    pub name: &'a str,
    /// Its AWS type name (`Pass`, `Task`, `Choice`, `Wait`, `Succeed`,
    /// `Fail`, `Parallel`, `Map`), as history event types spell it.
    pub type_name: &'static str,
}

/// One thing that happened in an execution. Every event but
/// [`Event::StateFailed`] is an AWS history event; the `id` it is delivered
/// with is its history event id (0 for `StateFailed`).
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// The execution started on `input` (event 1).
    ExecutionStarted {
        /// The execution input.
        input: &'a Value,
    },
    /// The execution succeeded with `output`.
    ExecutionSucceeded {
        /// The execution output.
        output: &'a Value,
    },
    /// The execution failed.
    ExecutionFailed {
        /// Error name (may be empty).
        error: &'a str,
        /// Cause (may be empty).
        cause: &'a str,
    },
    /// The execution ran past its time limit.
    ExecutionTimedOut {
        /// `States.Timeout`.
        error: &'a str,
        /// Why.
        cause: &'a str,
    },
    /// The execution was stopped (StopExecution) before it ended.
    ExecutionAborted,
    /// A state was entered (`<Type>StateEntered`).
    StateEntered {
        /// The state.
        state: StateRef<'a>,
        /// Its raw input.
        input: &'a Value,
    },
    /// A state completed, normally or through a Catcher (`<Type>StateExited`).
    StateExited {
        /// The state.
        state: StateRef<'a>,
        /// Its output.
        output: &'a Value,
        /// Time since it was entered.
        duration: Duration,
    },
    /// A state ended with an error after its retries: followed by
    /// [`Event::StateExited`] when a Catcher took it (`caught`), else by the
    /// end of the branch or execution. Not a history event.
    StateFailed {
        /// The state.
        state: StateRef<'a>,
        /// Error name.
        error: &'a str,
        /// Cause.
        cause: &'a str,
        /// Whether a Catcher handled it.
        caught: bool,
        /// Time since the state was entered.
        duration: Duration,
    },
    /// A Task attempt was handed to its resource (`TaskScheduled`).
    TaskScheduled {
        /// The Task state.
        state: StateRef<'a>,
        /// Its Resource (without `.waitForTaskToken`).
        resource: &'a str,
        /// The effective input the resource receives.
        parameters: &'a Value,
        /// TimeoutSeconds, if any.
        timeout: Option<Duration>,
    },
    /// The resource started the attempt (`TaskStarted`).
    TaskStarted {
        /// The Task state.
        state: StateRef<'a>,
        /// Its Resource.
        resource: &'a str,
    },
    /// The attempt succeeded (`TaskSucceeded`).
    TaskSucceeded {
        /// The Task state.
        state: StateRef<'a>,
        /// Its Resource.
        resource: &'a str,
        /// The resource's result.
        output: &'a Value,
        /// Time from scheduling to the result.
        duration: Duration,
    },
    /// The attempt failed (`TaskFailed`).
    TaskFailed {
        /// The Task state.
        state: StateRef<'a>,
        /// Its Resource.
        resource: &'a str,
        /// Error name.
        error: &'a str,
        /// Cause.
        cause: &'a str,
        /// Time from scheduling to the failure.
        duration: Duration,
    },
    /// The attempt ran past TimeoutSeconds (`TaskTimedOut`).
    TaskTimedOut {
        /// The Task state.
        state: StateRef<'a>,
        /// Its Resource.
        resource: &'a str,
        /// `States.Timeout`.
        error: &'a str,
        /// Cause (often empty).
        cause: &'a str,
        /// Time from scheduling to the timeout.
        duration: Duration,
    },
    /// A Parallel state started its branches (`ParallelStateStarted`).
    ParallelStarted {
        /// The Parallel state.
        state: StateRef<'a>,
    },
    /// Every branch succeeded (`ParallelStateSucceeded`).
    ParallelSucceeded {
        /// The Parallel state.
        state: StateRef<'a>,
    },
    /// A branch failed (`ParallelStateFailed`).
    ParallelFailed {
        /// The Parallel state.
        state: StateRef<'a>,
    },
    /// A Map state started its iterations (`MapStateStarted`).
    MapStarted {
        /// The Map state.
        state: StateRef<'a>,
        /// How many items it iterates.
        length: usize,
    },
    /// One iteration started (`MapIterationStarted`).
    MapIterationStarted {
        /// The Map state.
        state: StateRef<'a>,
        /// The item's index.
        index: usize,
    },
    /// Every iteration succeeded or the failures were tolerated (`MapStateSucceeded`).
    MapSucceeded {
        /// The Map state.
        state: StateRef<'a>,
    },
    /// The Map state failed (`MapStateFailed`).
    MapFailed {
        /// The Map state.
        state: StateRef<'a>,
    },
}

/// Watches one execution. Called from the execution's own task, possibly
/// from concurrent Parallel branches or Map iterations of it.
pub trait ExecutionObserver: Send + Sync {
    /// The flat state numbering of the machine being run.
    fn states(&self) -> &StateIndex;

    /// One event; `id` is its history event id (0 for non-history events).
    fn event(&self, id: u32, event: &Event<'_>);
}

/// Decides, once per execution, whether and how to watch it.
pub trait Observer: Send + Sync {
    /// The observer of one execution of `machine`, or `None` to leave it
    /// unobserved (then it costs nothing more than a branch per hook).
    fn execution(
        &self,
        machine: &Arc<Machine>,
        options: &ExecutionOptions,
    ) -> Option<Arc<dyn ExecutionObserver>>;

    /// A state machine was created or updated: `logging` is its normalised
    /// `loggingConfiguration`. Lets an observer resolve its per-state handles
    /// once, before the first execution. The default does nothing.
    fn register(&self, _machine: &Arc<Machine>, _state_machine_name: &str, _logging: &LogSettings) {
    }

    /// A state machine was deleted. The default does nothing.
    fn unregister(&self, _machine: &Arc<Machine>) {}
}

/// `loggingConfiguration.level`: which history events are logged.
///
/// Source: AWS guide `cloudwatch-log-level.html`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogLevel {
    /// Every event.
    All,
    /// Failure events (`…Failed`, `…TimedOut`, `…Aborted`, `FailStateEntered`).
    Error,
    /// Execution-level failures only (`ExecutionFailed`, `ExecutionTimedOut`,
    /// `ExecutionAborted`).
    Fatal,
    /// Nothing.
    #[default]
    Off,
}

impl LogLevel {
    /// Parses a wire name (`ALL`, `ERROR`, `FATAL`, `OFF`).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ALL" => Some(LogLevel::All),
            "ERROR" => Some(LogLevel::Error),
            "FATAL" => Some(LogLevel::Fatal),
            "OFF" => Some(LogLevel::Off),
            _ => None,
        }
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::All => "ALL",
            LogLevel::Error => "ERROR",
            LogLevel::Fatal => "FATAL",
            LogLevel::Off => "OFF",
        }
    }

    /// Whether an event of `severity` is logged at this level.
    pub fn logs(self, severity: Severity) -> bool {
        match self {
            LogLevel::All => true,
            LogLevel::Error => severity >= Severity::Error,
            LogLevel::Fatal => severity == Severity::Fatal,
            LogLevel::Off => false,
        }
    }
}

/// How bad a history event is, for [`LogLevel`] filtering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Logged at ALL only.
    Info,
    /// Logged at ALL and ERROR.
    Error,
    /// Logged at ALL, ERROR and FATAL.
    Fatal,
}

/// A state machine's logging configuration, as the engine's observers see it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogSettings {
    /// Which events are logged.
    pub level: LogLevel,
    /// Whether inputs and outputs are included (`includeExecutionData`).
    pub include_execution_data: bool,
    /// The destination's `logGroupArn`, if any.
    pub log_group_arn: Option<String>,
}

/// The flat numbering of every state of a machine: the top-level states
/// `0..n`, then each nested graph (Parallel branch, Map ItemProcessor) of
/// each state in order, depth first.
#[derive(Debug, Clone, Default)]
pub struct StateIndex {
    /// Per flat state, where its child graphs' bases start in `bases`
    /// (one more entry than there are states).
    child_start: Vec<u32>,
    /// Base index of each child graph.
    bases: Vec<u32>,
}

impl StateIndex {
    /// Numbers the states of `machine`.
    pub fn new(machine: &Machine) -> Self {
        let mut index = StateIndex::default();
        Self::for_each(machine, |_, _| {}, &mut index);
        index
    }

    /// How many states the machine has, nested ones included.
    pub fn len(&self) -> usize {
        self.child_start.len().saturating_sub(1)
    }

    /// Whether the machine has no states.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The base index of child graph `branch` of the state with flat index
    /// `state` (0 when there is none).
    pub fn child_base(&self, state: u32, branch: usize) -> u32 {
        let start = self.child_start.get(state as usize).copied().unwrap_or(0) as usize;
        self.bases.get(start + branch).copied().unwrap_or(0)
    }

    /// Calls `f(flat index, state)` for every state of `machine`, in flat
    /// order, and records the numbering in `index`.
    pub fn for_each(machine: &Machine, mut f: impl FnMut(u32, &State), index: &mut StateIndex) {
        // Assign bases breadth-first per graph, depth-first across graphs.
        fn number<'m>(
            graph: &'m Graph,
            base: u32,
            next: &mut u32,
            out: &mut Vec<(u32, &'m State, Vec<u32>)>,
        ) {
            let first = out.len();
            for (i, st) in graph.states.iter().enumerate() {
                out.push((base + i as u32, st, Vec::new()));
            }
            for i in 0..graph.states.len() {
                let st = out[first + i].1;
                for child in children(st) {
                    let child_base = *next;
                    *next += child.states.len() as u32;
                    out[first + i].2.push(child_base);
                    number(child, child_base, next, out);
                }
            }
        }
        let mut all = Vec::new();
        let mut next = machine.graph.states.len() as u32;
        number(&machine.graph, 0, &mut next, &mut all);
        all.sort_by_key(|(i, _, _)| *i);
        index.child_start.clear();
        index.bases.clear();
        for (i, st, bases) in &all {
            index.child_start.push(index.bases.len() as u32);
            index.bases.extend_from_slice(bases);
            f(*i, st);
        }
        index.child_start.push(index.bases.len() as u32);
    }
}

/// The nested graphs of a state: a Parallel's branches, a Map's ItemProcessor.
fn children(st: &State) -> &[Graph] {
    match &st.kind {
        Kind::Parallel { branches } => branches,
        Kind::Map(spec) => std::slice::from_ref(&spec.processor),
        _ => &[],
    }
}

/// The severity of a history event type, for [`LogLevel`] filtering
/// (AWS guide `cloudwatch-log-level.html`).
pub fn severity(event: &Event<'_>) -> Severity {
    match event {
        Event::ExecutionFailed { .. }
        | Event::ExecutionTimedOut { .. }
        | Event::ExecutionAborted => Severity::Fatal,
        Event::TaskFailed { .. }
        | Event::TaskTimedOut { .. }
        | Event::ParallelFailed { .. }
        | Event::MapFailed { .. } => Severity::Error,
        Event::StateEntered { state, .. } if state.type_name == "Fail" => Severity::Error,
        _ => Severity::Info,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_graphs_are_numbered_after_the_top_level() {
        let m = crate::compile::load(
            r#"{"StartAt":"A","States":{
                "A":{"Type":"Parallel","Branches":[
                    {"StartAt":"B1","States":{"B1":{"Type":"Pass","Next":"B2"},"B2":{"Type":"Pass","End":true}}},
                    {"StartAt":"C1","States":{"C1":{"Type":"Pass","End":true}}}],"Next":"M"},
                "M":{"Type":"Map","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true}}}"#,
        )
        .expect("loads");
        let mut names = Vec::new();
        let mut index = StateIndex::default();
        StateIndex::for_each(&m, |i, st| names.push((i, st.name.to_string())), &mut index);
        let order: Vec<&str> = names.iter().map(|(_, n)| n.as_str()).collect();
        assert_eq!(order, ["A", "M", "B1", "B2", "C1", "I"]);
        assert_eq!(index.len(), 6);
        assert_eq!(index.child_base(0, 0), 2);
        assert_eq!(index.child_base(0, 1), 4);
        assert_eq!(index.child_base(1, 0), 5);
        assert_eq!(index.child_base(2, 0), 0);
        assert_eq!(StateIndex::new(&m).child_base(1, 0), 5);
    }

    #[test]
    fn levels_filter_by_severity() {
        assert!(LogLevel::All.logs(Severity::Info));
        assert!(!LogLevel::Error.logs(Severity::Info));
        assert!(LogLevel::Error.logs(Severity::Error));
        assert!(LogLevel::Error.logs(Severity::Fatal));
        assert!(!LogLevel::Fatal.logs(Severity::Error));
        assert!(LogLevel::Fatal.logs(Severity::Fatal));
        assert!(!LogLevel::Off.logs(Severity::Fatal));
        assert_eq!(LogLevel::parse("ERROR"), Some(LogLevel::Error));
        assert_eq!(LogLevel::parse("error"), None);
    }
}
