//! The console's record of what each retained execution did: an engine
//! [`Observer`] that keeps, per execution started with `StartExecution`
//! (those the API retains for DescribeExecution), its history events as
//! Step Functions' execution log lines ([`crate::telemetry::log`], numbered
//! as AWS numbers history events, with inputs and outputs), plus the
//! `StateFailed` notices (error, cause, whether a Catcher took it).
//!
//! It wraps the engine's own observer (telemetry), which keeps seeing every
//! event; executions that are not retained (StartSyncExecution, consumers)
//! are not recorded and cost one map look-up.
//!
//! Bounded: at most [`MAX_NEW_TRACES_PER_SECOND`] new executions a second
//! are traced (a sample under load), at most [`MAX_TRACES`] executions are
//! kept (the oldest forgotten first),
//! and about [`MAX_BYTES`] of event text over all of them: past that, the
//! oldest traces are forgotten when a new execution starts, and an event
//! that would take the total past twice the budget, or one trace past
//! [`MAX_TRACE_BYTES`], is dropped and counted.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use crate::compile::Machine;
use crate::engine::observe::{Event, ExecutionObserver, LogSettings, Observer, StateIndex};
use crate::engine::ExecutionOptions;
use crate::start::StartStore;
use crate::telemetry::log;

/// Most executions whose events are kept.
pub const MAX_TRACES: usize = 1_000;
/// About how many bytes of event text are kept over all executions.
pub const MAX_BYTES: usize = 64 * 1024 * 1024;
/// Most bytes of event text kept for one execution.
pub const MAX_TRACE_BYTES: usize = 8 * 1024 * 1024;
/// Most new executions traced per second: recording costs about as much
/// as running a small execution again (each event's data is written out),
/// so under load the console keeps a sample of at most this many a second
/// and the executions past it run untraced (measured: 2,000 StartExecution
/// payments/s traced in full took the server from 2 s to 6 s of CPU).
pub const MAX_NEW_TRACES_PER_SECOND: u32 = 100;

/// One recorded event.
#[derive(Debug, Clone)]
pub(crate) enum Recorded {
    /// A history event: its execution log line (JSON text, AWS's shape).
    History {
        /// The log line.
        line: String,
        /// The state it concerns, if any (TaskScheduled and its kin do not
        /// name their state in the line).
        state: Option<Box<str>>,
        /// When, in µs since the epoch (the line has ms).
        at_us: u64,
    },
    /// A state ended with an error after its retries (not a history event).
    StateFailed {
        /// The state's name.
        state: String,
        /// Error name.
        error: String,
        /// Cause.
        cause: String,
        /// Whether a Catcher took it.
        caught: bool,
        /// When, in µs since the epoch.
        at_us: u64,
    },
}

impl Recorded {
    fn bytes(&self) -> usize {
        match self {
            Recorded::History { line, state, .. } => {
                line.len() + state.as_ref().map_or(0, |s| s.len()) + 8
            }
            Recorded::StateFailed {
                state,
                error,
                cause,
                ..
            } => state.len() + error.len() + cause.len() + 16,
        }
    }
}

#[derive(Debug, Default)]
struct Events {
    list: Vec<Recorded>,
    bytes: usize,
    /// The last history event id (`previous_event_id` of the next).
    last: u32,
    /// Events not kept (budget).
    dropped: u64,
    /// `SUCCEEDED`, `FAILED`, `TIMED_OUT`, `ABORTED` once it ended.
    status: Option<&'static str>,
    /// When it ended.
    stopped: Option<SystemTime>,
}

/// The recorded events of one execution.
#[derive(Debug)]
pub(crate) struct Trace {
    /// The execution ARN.
    pub(crate) arn: String,
    /// The state machine's name.
    pub(crate) machine: String,
    /// The execution name.
    pub(crate) name: String,
    /// When it started.
    pub(crate) start: SystemTime,
    role_arn: String,
    region: String,
    events: Mutex<Events>,
    total: Arc<AtomicUsize>,
}

/// What [`Trace::snapshot`] copies out.
#[derive(Debug, Clone)]
pub(crate) struct TraceSnapshot {
    /// The events, in the order they happened.
    pub(crate) events: Vec<Recorded>,
    /// Events dropped for the byte budget.
    pub(crate) dropped: u64,
    /// The terminal status, if it ended.
    pub(crate) status: Option<&'static str>,
}

impl Trace {
    fn lock(&self) -> std::sync::MutexGuard<'_, Events> {
        self.events.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A copy of its events.
    pub(crate) fn snapshot(&self) -> TraceSnapshot {
        let e = self.lock();
        TraceSnapshot {
            events: e.list.clone(),
            dropped: e.dropped,
            status: e.status,
        }
    }

    /// `SUCCEEDED`, `FAILED`, `TIMED_OUT`, `ABORTED` and when, once it ended.
    pub(crate) fn ended(&self) -> Option<(&'static str, SystemTime)> {
        let e = self.lock();
        e.status.zip(e.stopped)
    }

    fn push(&self, record: Recorded) {
        let size = record.bytes();
        let mut e = self.lock();
        let total = self.total.load(Ordering::Relaxed);
        if e.bytes + size > MAX_TRACE_BYTES || total + size > 2 * MAX_BYTES {
            e.dropped += 1;
            return;
        }
        e.bytes += size;
        self.total.fetch_add(size, Ordering::Relaxed);
        e.list.push(record);
    }

    fn event(&self, id: u32, event: &Event<'_>) {
        let now = SystemTime::now();
        if let Event::StateFailed {
            state,
            error,
            cause,
            caught,
            ..
        } = *event
        {
            self.push(Recorded::StateFailed {
                state: state.name.to_owned(),
                error: error.to_owned(),
                cause: cause.to_owned(),
                caught,
                at_us: epoch_us(now),
            });
            return;
        }
        if id == 0 {
            return;
        }
        let status = match event {
            Event::ExecutionSucceeded { .. } => Some("SUCCEEDED"),
            Event::ExecutionFailed { .. } => Some("FAILED"),
            Event::ExecutionTimedOut { .. } => Some("TIMED_OUT"),
            Event::ExecutionAborted => Some("ABORTED"),
            _ => None,
        };
        let previous = {
            let mut e = self.lock();
            let last = std::mem::replace(&mut e.last, id);
            if status.is_some() {
                e.status = status;
                e.stopped = Some(now);
            }
            // AWS numbers the first state's entry as following event 0.
            match event {
                Event::StateEntered { .. } if last == 1 => 0,
                _ => last,
            }
        };
        let ctx = log::LineContext {
            execution_arn: &self.arn,
            role_arn: &self.role_arn,
            region: &self.region,
            include_data: true,
        };
        let mut line = String::new();
        if log::write_line(&mut line, &ctx, id, previous, event, now) {
            let trimmed = line.trim_end().len();
            line.truncate(trimmed);
            self.push(Recorded::History {
                line,
                state: state_of(event).map(Box::from),
                at_us: epoch_us(now),
            });
        }
    }
}

/// The state an event concerns.
fn state_of<'a>(event: &Event<'a>) -> Option<&'a str> {
    match *event {
        Event::StateEntered { state, .. }
        | Event::StateExited { state, .. }
        | Event::StateFailed { state, .. }
        | Event::TaskScheduled { state, .. }
        | Event::TaskStarted { state, .. }
        | Event::TaskSucceeded { state, .. }
        | Event::TaskFailed { state, .. }
        | Event::TaskTimedOut { state, .. }
        | Event::ParallelStarted { state }
        | Event::ParallelSucceeded { state }
        | Event::ParallelFailed { state }
        | Event::MapStarted { state, .. }
        | Event::MapIterationStarted { state, .. }
        | Event::MapSucceeded { state }
        | Event::MapFailed { state } => Some(state.name),
        Event::ExecutionStarted { .. }
        | Event::ExecutionSucceeded { .. }
        | Event::ExecutionFailed { .. }
        | Event::ExecutionTimedOut { .. }
        | Event::ExecutionAborted => None,
    }
}

impl Drop for Trace {
    fn drop(&mut self) {
        let bytes = self.lock().bytes;
        self.total.fetch_sub(bytes, Ordering::Relaxed);
    }
}

/// Microseconds since the epoch.
pub(crate) fn epoch_us(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Milliseconds since the epoch.
pub(crate) fn epoch_ms(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

#[derive(Default)]
struct Traces {
    by_arn: HashMap<String, Arc<Trace>>,
    order: VecDeque<String>,
}

/// The recorder: an [`Observer`] around the engine's own.
pub struct Recorder {
    inner: Option<Arc<dyn Observer>>,
    /// The second (since `origin`) of the current rate window, and the
    /// traces begun in it.
    window: std::sync::atomic::AtomicU64,
    origin: std::time::Instant,
    retained: Arc<dyn StartStore>,
    traces: Mutex<Traces>,
    total: Arc<AtomicUsize>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("bytes", &self.total.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Recorder {
    /// A recorder of the executions whose records `retained` holds,
    /// passing every event on to `inner`.
    pub fn new(inner: Option<Arc<dyn Observer>>, retained: Arc<dyn StartStore>) -> Self {
        Recorder {
            inner,
            window: std::sync::atomic::AtomicU64::new(0),
            origin: std::time::Instant::now(),
            retained,
            traces: Mutex::new(Traces::default()),
            total: Arc::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Traces> {
        self.traces.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The trace of execution `arn`, if kept.
    pub(crate) fn get(&self, arn: &str) -> Option<Arc<Trace>> {
        self.lock().by_arn.get(arn).cloned()
    }

    /// The traces of the state machine named `machine`, newest first.
    pub(crate) fn of_machine(&self, machine: &str) -> Vec<Arc<Trace>> {
        let t = self.lock();
        t.order
            .iter()
            .rev()
            .filter_map(|arn| t.by_arn.get(arn))
            .filter(|tr| tr.machine == machine)
            .cloned()
            .collect()
    }

    /// Bytes of event text held.
    pub fn bytes(&self) -> usize {
        self.total.load(Ordering::Relaxed)
    }

    /// How many executions are traced.
    pub fn len(&self) -> usize {
        self.lock().by_arn.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether one more trace may begin this second: the window packs the
    /// second (high 40 bits) and the count begun in it (low 24 bits).
    fn admit(&self) -> bool {
        let second = self.origin.elapsed().as_secs();
        let mut current = self.window.load(Ordering::Relaxed);
        loop {
            let (s, n) = (current >> 24, current & 0xff_ffff);
            let next = if s == second {
                if n >= u64::from(MAX_NEW_TRACES_PER_SECOND) {
                    return false;
                }
                current + 1
            } else {
                (second << 24) | 1
            };
            match self.window.compare_exchange_weak(
                current,
                next,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(seen) => current = seen,
            }
        }
    }

    fn begin(&self, options: &ExecutionOptions) -> Arc<Trace> {
        let trace = Arc::new(Trace {
            arn: options.execution_arn.clone(),
            machine: options.state_machine_name.to_string(),
            name: options.name.clone(),
            start: options.start_time,
            role_arn: options.role_arn.clone(),
            region: options
                .execution_arn
                .split(':')
                .nth(3)
                .unwrap_or_default()
                .to_owned(),
            events: Mutex::default(),
            total: Arc::clone(&self.total),
        });
        let evicted: Vec<Arc<Trace>> = {
            let mut t = self.lock();
            if let Some(old) = t.by_arn.insert(trace.arn.clone(), Arc::clone(&trace)) {
                // The same ARN again (a STANDARD name reused): newest wins.
                t.order.retain(|a| a != &old.arn);
            }
            t.order.push_back(trace.arn.clone());
            let mut evicted = Vec::new();
            // Bytes are given back when the last holder of a trace drops it:
            // count what this eviction frees as it goes.
            let mut freed = 0;
            while t.order.len() > MAX_TRACES
                || (self.total.load(Ordering::Relaxed).saturating_sub(freed) > MAX_BYTES
                    && t.order.len() > 1)
            {
                let Some(arn) = t.order.pop_front() else {
                    break;
                };
                if let Some(old) = t.by_arn.remove(&arn) {
                    freed += old.lock().bytes;
                    evicted.push(old);
                }
            }
            evicted
        };
        drop(evicted);
        trace
    }
}

/// One traced execution: its trace plus the wrapped observer's.
struct Traced {
    trace: Arc<Trace>,
    inner: Option<Arc<dyn ExecutionObserver>>,
    index: Option<StateIndex>,
}

impl ExecutionObserver for Traced {
    fn states(&self) -> &StateIndex {
        match (&self.inner, &self.index) {
            (Some(inner), _) => inner.states(),
            (None, Some(index)) => index,
            (None, None) => unreachable_index(),
        }
    }

    fn event(&self, id: u32, event: &Event<'_>) {
        if let Some(inner) = &self.inner {
            inner.event(id, event);
        }
        self.trace.event(id, event);
    }
}

/// An empty index (never used: a [`Traced`] always has one of its own or
/// its inner observer's).
fn unreachable_index() -> &'static StateIndex {
    static EMPTY: std::sync::OnceLock<StateIndex> = std::sync::OnceLock::new();
    EMPTY.get_or_init(StateIndex::default)
}

impl Observer for Recorder {
    fn execution(
        &self,
        machine: &Arc<Machine>,
        options: &ExecutionOptions,
    ) -> Option<Arc<dyn ExecutionObserver>> {
        let inner = self
            .inner
            .as_ref()
            .and_then(|o| o.execution(machine, options));
        // Only StartExecution starts are retained, and only they carry a
        // RedriveCount (`Starter::prepare`): a synchronous execution is
        // skipped without asking the store, which for a cluster is a Redis
        // read on the shard's thread.
        if options.redrive_count.is_none()
            || !self.retained.contains_execution(&options.execution_arn)
            || !self.admit()
        {
            return inner;
        }
        let index = inner.is_none().then(|| StateIndex::new(machine));
        Some(Arc::new(Traced {
            trace: self.begin(options),
            inner,
            index,
        }))
    }

    fn register(&self, machine: &Arc<Machine>, state_machine_name: &str, logging: &LogSettings) {
        if let Some(o) = &self.inner {
            o.register(machine, state_machine_name, logging);
        }
    }

    fn unregister(&self, machine: &Arc<Machine>) {
        if let Some(o) = &self.inner {
            o.unregister(machine);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::observe::StateRef;
    use crate::json::Value;
    use crate::start::{ExecutionRecord, MemoryStore, Progress};

    fn options(arn: &str) -> ExecutionOptions {
        ExecutionOptions {
            execution_arn: arn.into(),
            name: "n".into(),
            state_machine_arn: "arn:aws:states:us-east-1:1:stateMachine:m".into(),
            state_machine_name: "m".into(),
            role_arn: "role".into(),
            start_time: SystemTime::now(),
            test_case: None,
            redrive_count: Some(0),
        }
    }

    fn retain(ex: &MemoryStore, arn: &str) {
        ex.insert_execution(ExecutionRecord {
            arn: arn.into(),
            state_machine_arn: "sm".into(),
            name: "n".into(),
            input: "{}".into(),
            start: SystemTime::now(),
            progress: Progress::Running,
            abort: None,
            origin: None,
        });
    }

    fn machine() -> Arc<Machine> {
        Arc::new(
            crate::compile::load(r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#)
                .expect("definition"),
        )
    }

    #[test]
    fn only_retained_executions_are_traced_with_aws_numbering() {
        let retained = Arc::new(MemoryStore::new(10));
        let recorder = Recorder::new(None, Arc::clone(&retained) as Arc<dyn StartStore>);
        let m = machine();
        assert!(recorder.execution(&m, &options("sync")).is_none());
        retain(&retained, "kept");
        // A synchronous start (no RedriveCount) is never looked up.
        let sync = ExecutionOptions {
            redrive_count: None,
            ..options("kept")
        };
        assert!(recorder.execution(&m, &sync).is_none());
        let obs = recorder.execution(&m, &options("kept")).expect("traced");
        assert_eq!(obs.states().len(), 1);
        let input = Value::from("x");
        let state = StateRef {
            index: 0,
            name: "P",
            type_name: "Pass",
        };
        obs.event(1, &Event::ExecutionStarted { input: &input });
        obs.event(
            2,
            &Event::StateEntered {
                state,
                input: &input,
            },
        );
        obs.event(
            0,
            &Event::StateFailed {
                state,
                error: "E",
                cause: "C",
                caught: true,
                duration: std::time::Duration::ZERO,
            },
        );
        obs.event(3, &Event::ExecutionSucceeded { output: &input });
        let trace = recorder.get("kept").expect("kept");
        let snap = trace.snapshot();
        assert_eq!(snap.status, Some("SUCCEEDED"));
        assert_eq!(snap.events.len(), 4);
        let Recorded::History { line, state, .. } = &snap.events[1] else {
            panic!("not a history event")
        };
        let line: serde_json::Value = serde_json::from_str(line).expect("json");
        assert_eq!(state.as_deref(), Some("P"));
        assert_eq!(line["type"], "PassStateEntered");
        assert_eq!(line["previous_event_id"], "0");
        assert_eq!(line["details"]["input"], "\"x\"");
        assert!(matches!(
            &snap.events[2],
            Recorded::StateFailed { caught: true, .. }
        ));
        assert!(recorder.bytes() > 0);
        assert_eq!(recorder.of_machine("m").len(), 1);
        assert_eq!(recorder.of_machine("other").len(), 0);
    }

    #[test]
    fn traces_are_bounded_in_number() {
        let retained = Arc::new(MemoryStore::new(MAX_TRACES * 2));
        let recorder = Recorder::new(None, Arc::clone(&retained) as Arc<dyn StartStore>);
        let m = machine();
        let input = Value::from("y");
        for i in 0..MAX_TRACES + 5 {
            // A new rate window for each (the test is not about the rate).
            recorder.window.store(0, Ordering::Relaxed);
            let arn = format!("e{i}");
            retain(&retained, &arn);
            let obs = recorder.execution(&m, &options(&arn)).expect("traced");
            obs.event(1, &Event::ExecutionStarted { input: &input });
        }
        assert_eq!(recorder.len(), MAX_TRACES);
        // Within one second, only MAX_NEW_TRACES_PER_SECOND more begin.
        let second = recorder.origin.elapsed().as_secs();
        recorder.window.store(second << 24, Ordering::Relaxed);
        let traced = (0..MAX_NEW_TRACES_PER_SECOND + 10)
            .filter(|i| {
                let arn = format!("r{i}");
                retain(&retained, &arn);
                recorder.execution(&m, &options(&arn)).is_some()
            })
            .count();
        if recorder.origin.elapsed().as_secs() == second {
            assert_eq!(traced, MAX_NEW_TRACES_PER_SECOND as usize);
        }
        assert!(recorder.get("e0").is_none());
        assert!(recorder.get(&format!("e{}", MAX_TRACES + 4)).is_some());
        let per_trace = recorder.bytes() / MAX_TRACES;
        assert!(per_trace > 0 && per_trace < 1024, "{per_trace}");
    }
}
