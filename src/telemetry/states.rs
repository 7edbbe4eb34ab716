//! Per-state and per-Task metric handles of one state machine, resolved
//! once (when the machine is registered or first run) and indexed by the
//! state's flat index ([`crate::engine::observe::StateIndex`]), so recording
//! is an atomic add: no allocation, no formatting, no lookup by name.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use metrics::{Counter, Label};

use crate::compile::{Kind, Machine};
use crate::engine::observe::StateIndex;
use crate::metrics::histogram::{histogram, DurationHistogram};
use crate::metrics::{
    LABEL_ERROR, LABEL_RESOURCE, LABEL_STATE, LABEL_STATE_MACHINE, STATE_DURATION, STATE_ENTERED,
    STATE_FAILED, TASK_DURATION, TASK_ERRORS,
};

/// Distinct `error` label values kept per state (and per Task resource);
/// further error names are counted under [`OTHER_ERROR`].
pub const MAX_ERROR_LABELS: usize = 8;
/// The `error` label of errors past [`MAX_ERROR_LABELS`].
pub const OTHER_ERROR: &str = "other";
/// Longest `error` label value, in bytes (longer names are cut).
pub const MAX_ERROR_LABEL_BYTES: usize = 64;

/// Counters of one metric by `error` label, created on first use of each
/// error name, at most [`MAX_ERROR_LABELS`] of them.
#[derive(Debug)]
struct ErrorCounters {
    name: &'static str,
    labels: Vec<Label>,
    slots: [OnceLock<(Box<str>, Counter)>; MAX_ERROR_LABELS],
    other: OnceLock<Counter>,
}

impl ErrorCounters {
    fn new(name: &'static str, labels: Vec<Label>) -> Self {
        ErrorCounters {
            name,
            labels,
            slots: std::array::from_fn(|_| OnceLock::new()),
            other: OnceLock::new(),
        }
    }

    fn counter(&self, error: &str) -> Counter {
        let mut labels = self.labels.clone();
        labels.push(Label::new(LABEL_ERROR, error.to_owned()));
        metrics::counter!(self.name, labels)
    }

    /// Counts one `error`: a string compare per distinct name seen so far;
    /// an allocation only the first time a name is seen.
    fn increment(&self, error: &str) {
        let error = cut(error);
        for slot in &self.slots {
            let (name, counter) = slot.get_or_init(|| (error.into(), self.counter(error)));
            if &**name == error {
                counter.increment(1);
                return;
            }
        }
        self.other
            .get_or_init(|| self.counter(OTHER_ERROR))
            .increment(1);
    }
}

/// `error` cut to [`MAX_ERROR_LABEL_BYTES`] on a character boundary.
fn cut(error: &str) -> &str {
    if error.len() <= MAX_ERROR_LABEL_BYTES {
        return error;
    }
    let mut end = MAX_ERROR_LABEL_BYTES;
    while !error.is_char_boundary(end) {
        end -= 1;
    }
    &error[..end]
}

/// The handles of one Task state's resource.
#[derive(Debug)]
struct TaskHandles {
    duration: Arc<DurationHistogram>,
    errors: ErrorCounters,
}

/// The handles of one state.
#[derive(Debug)]
struct StateHandles {
    entered: Counter,
    duration: Arc<DurationHistogram>,
    failed: ErrorCounters,
    task: Option<TaskHandles>,
}

/// The per-state and per-Task metrics of one state machine.
#[derive(Debug)]
pub struct StateMetrics {
    states: Vec<StateHandles>,
}

impl StateMetrics {
    /// Registers the handles of every state of `machine` (named
    /// `state_machine`), in the order of `index`. Installs the recorder if
    /// needed.
    pub fn new(state_machine: &str, machine: &Machine, index: &mut StateIndex) -> Self {
        crate::metrics::install();
        let mut states = Vec::new();
        StateIndex::for_each(
            machine,
            |_, st| {
                let base = || {
                    vec![
                        Label::new(LABEL_STATE_MACHINE, state_machine.to_owned()),
                        Label::new(LABEL_STATE, st.name.to_string()),
                    ]
                };
                let labels = [
                    (LABEL_STATE_MACHINE, state_machine),
                    (LABEL_STATE, &*st.name),
                ];
                let task = match &st.kind {
                    Kind::Task { resource, .. } => {
                        let resource = resource
                            .strip_suffix(".waitForTaskToken")
                            .unwrap_or(resource);
                        Some(TaskHandles {
                            duration: histogram(
                                TASK_DURATION,
                                &[
                                    (LABEL_STATE_MACHINE, state_machine),
                                    (LABEL_RESOURCE, resource),
                                ],
                            ),
                            errors: ErrorCounters::new(
                                TASK_ERRORS,
                                vec![
                                    Label::new(LABEL_STATE_MACHINE, state_machine.to_owned()),
                                    Label::new(LABEL_RESOURCE, resource.to_owned()),
                                ],
                            ),
                        })
                    }
                    _ => None,
                };
                states.push(StateHandles {
                    entered: metrics::counter!(STATE_ENTERED, base()),
                    duration: histogram(STATE_DURATION, &labels),
                    failed: ErrorCounters::new(STATE_FAILED, base()),
                    task,
                });
            },
            index,
        );
        StateMetrics { states }
    }

    /// A state was entered.
    #[inline]
    pub fn entered(&self, state: u32) {
        if let Some(s) = self.states.get(state as usize) {
            s.entered.increment(1);
        }
    }

    /// A state completed (normally or through a Catcher) after `duration`.
    #[inline]
    pub fn exited(&self, state: u32, duration: Duration) {
        if let Some(s) = self.states.get(state as usize) {
            s.duration.record(duration);
        }
    }

    /// A state ended with `error`; `duration` is recorded unless it was
    /// caught (its exit records it then).
    pub fn failed(&self, state: u32, error: &str, duration: Option<Duration>) {
        if let Some(s) = self.states.get(state as usize) {
            s.failed.increment(error);
            if let Some(d) = duration {
                s.duration.record(d);
            }
        }
    }

    /// A Task attempt of state `state` ended after `duration`, with `error`
    /// when it failed or timed out.
    #[inline]
    pub fn task(&self, state: u32, duration: Duration, error: Option<&str>) {
        if let Some(t) = self
            .states
            .get(state as usize)
            .and_then(|s| s.task.as_ref())
        {
            t.duration.record(duration);
            if let Some(e) = error {
                t.errors.increment(e);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_labels_are_capped_and_cut() {
        let c = ErrorCounters::new("expressway_test_errors_total", vec![]);
        for i in 0..20 {
            c.increment(&format!("E{}", i % 10));
        }
        let names: Vec<&str> = c
            .slots
            .iter()
            .filter_map(|s| s.get().map(|(n, _)| &**n))
            .collect();
        assert_eq!(names, ["E0", "E1", "E2", "E3", "E4", "E5", "E6", "E7"]);
        assert!(c.other.get().is_some());
        let long = "é".repeat(40);
        assert_eq!(cut(&long).len(), 64);
        assert_eq!(cut("States.Timeout"), "States.Timeout");
    }
}
