//! The engine observer expressway ships: per-state and per-Task metrics
//! ([`StateMetrics`], in [`states`]) and execution logs in the shape of
//! Step Functions' CloudWatch Logs events ([`log`]), written by a bounded,
//! non-blocking writer ([`writer`]).
//!
//! A [`Telemetry`] keeps one [`MachineTelemetry`] per state machine (its
//! metric handles and logging configuration), built when the machine is
//! registered ([`crate::engine::Engine::register_machine`]) or first run.
//! Per execution it decides once whether the execution is logged: its
//! machine's `loggingConfiguration.level` is not OFF, a log destination is
//! configured (`--execution-log`) and the execution is sampled
//! (`--execution-log-sample`); a sampled execution logs all its events.

pub mod log;
pub mod states;
pub mod writer;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, SystemTime};

use dashmap::DashMap;

use crate::compile::Machine;
use crate::engine::observe::{
    severity, Event, ExecutionObserver, LogLevel, LogSettings, Observer, StateIndex,
};
use crate::engine::ExecutionOptions;
pub use states::StateMetrics;
pub use writer::LogWriter;

/// Buffered log text of one execution is handed to the writer past this size.
const FLUSH_BYTES: usize = 64 * 1024;

/// What a [`Telemetry`] records.
#[derive(Debug, Clone, Default)]
pub struct TelemetryConfig {
    /// Record per-state and per-Task metrics.
    pub state_metrics: bool,
    /// Where execution logs go (none: executions are not logged).
    pub log: Option<LogWriter>,
    /// Fraction of executions of a logging machine that are logged (0..=1).
    pub sample: f64,
}

/// The metrics and logging of one state machine.
#[derive(Debug)]
pub struct MachineTelemetry {
    index: StateIndex,
    metrics: Option<StateMetrics>,
    logging: LogSettings,
}

impl MachineTelemetry {
    fn new(name: &str, machine: &Machine, metrics: bool, logging: LogSettings) -> Self {
        let mut index = StateIndex::default();
        let metrics = if metrics {
            Some(StateMetrics::new(name, machine, &mut index))
        } else {
            StateIndex::for_each(machine, |_, _| {}, &mut index);
            None
        };
        MachineTelemetry {
            index,
            metrics,
            logging,
        }
    }

    /// Records the metrics of one event.
    #[inline]
    fn record(&self, event: &Event<'_>) {
        let Some(m) = &self.metrics else { return };
        match *event {
            Event::StateEntered { state, .. } => m.entered(state.index),
            Event::StateExited {
                state, duration, ..
            } => m.exited(state.index, duration),
            Event::StateFailed {
                state,
                error,
                caught,
                duration,
                ..
            } => m.failed(state.index, error, (!caught).then_some(duration)),
            Event::TaskSucceeded {
                state, duration, ..
            } => m.task(state.index, duration, None),
            Event::TaskFailed {
                state,
                error,
                duration,
                ..
            }
            | Event::TaskTimedOut {
                state,
                error,
                duration,
                ..
            } => m.task(state.index, duration, Some(error)),
            _ => {}
        }
    }
}

impl ExecutionObserver for MachineTelemetry {
    fn states(&self) -> &StateIndex {
        &self.index
    }

    fn event(&self, _id: u32, event: &Event<'_>) {
        self.record(event);
    }
}

/// One logged execution: metrics as [`MachineTelemetry`], plus its log lines.
struct LoggedExecution {
    machine: Arc<MachineTelemetry>,
    writer: LogWriter,
    execution_arn: String,
    role_arn: String,
    region: String,
    /// The last history event id seen (`previous_event_id` of the next).
    last: AtomicU32,
    /// Lines not yet handed to the writer, and how many.
    buffer: Mutex<(String, u64)>,
}

impl LoggedExecution {
    fn take(&self, force: bool) -> Option<(String, u64)> {
        let mut b = self.buffer.lock().unwrap_or_else(|p| p.into_inner());
        if b.1 == 0 || (!force && b.0.len() < FLUSH_BYTES) {
            return None;
        }
        Some(std::mem::take(&mut *b))
    }
}

impl ExecutionObserver for LoggedExecution {
    fn states(&self) -> &StateIndex {
        &self.machine.index
    }

    fn event(&self, id: u32, event: &Event<'_>) {
        self.machine.record(event);
        if id == 0 {
            return;
        }
        let last = self.last.swap(id, Ordering::Relaxed);
        // AWS numbers the first state's entry as following event 0.
        let previous = match event {
            Event::StateEntered { .. } if last == 1 => 0,
            _ => last,
        };
        if self.machine.logging.level.logs(severity(event)) {
            let ctx = log::LineContext {
                execution_arn: &self.execution_arn,
                role_arn: &self.role_arn,
                region: &self.region,
                include_data: self.machine.logging.include_execution_data,
            };
            let mut b = self.buffer.lock().unwrap_or_else(|p| p.into_inner());
            if log::write_line(&mut b.0, &ctx, id, previous, event, SystemTime::now()) {
                b.1 += 1;
            }
        }
        let end = matches!(
            event,
            Event::ExecutionSucceeded { .. }
                | Event::ExecutionFailed { .. }
                | Event::ExecutionTimedOut { .. }
                | Event::ExecutionAborted
        );
        if let Some((text, n)) = self.take(end) {
            self.writer.send(text, n);
        }
    }
}

/// A machine's telemetry, valid while the machine it was built for lives.
struct Registered {
    machine: Weak<Machine>,
    telemetry: Arc<MachineTelemetry>,
}

/// The [`Observer`] behind `expressway serve` / `run`: per-state metrics
/// and execution logs.
pub struct Telemetry {
    config: TelemetryConfig,
    /// By machine address, hashed with foldhash (SipHash cost 215 of a
    /// StartSyncExecution's instructions; addresses are not chosen by
    /// clients, so no flooding to defend against).
    machines: DashMap<usize, Registered, foldhash::fast::FixedState>,
}

impl std::fmt::Debug for Telemetry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Telemetry")
            .field("config", &self.config)
            .field("machines", &self.machines.len())
            .finish()
    }
}

impl Telemetry {
    /// A telemetry observer recording what `config` says.
    pub fn new(config: TelemetryConfig) -> Self {
        Telemetry {
            config: TelemetryConfig {
                sample: config.sample.clamp(0.0, 1.0),
                ..config
            },
            machines: DashMap::default(),
        }
    }

    /// Whether this observer would watch anything at all.
    pub fn is_active(&self) -> bool {
        self.config.state_metrics || self.config.log.is_some()
    }

    /// Waits (at most `timeout`) until every log line handed over so far is
    /// written. True when there is no log.
    pub fn flush(&self, timeout: Duration) -> bool {
        self.config.log.as_ref().is_none_or(|w| w.flush(timeout))
    }

    fn key(machine: &Arc<Machine>) -> usize {
        Arc::as_ptr(machine) as usize
    }

    /// The telemetry of `machine`, built on first use with logging OFF.
    fn machine(&self, machine: &Arc<Machine>, name: &str) -> Arc<MachineTelemetry> {
        let key = Self::key(machine);
        if let Some(r) = self.machines.get(&key) {
            if std::ptr::eq(r.machine.as_ptr(), Arc::as_ptr(machine))
                && r.machine.strong_count() > 0
            {
                return Arc::clone(&r.telemetry);
            }
        }
        self.insert(machine, name, LogSettings::default())
    }

    fn insert(
        &self,
        machine: &Arc<Machine>,
        name: &str,
        logging: LogSettings,
    ) -> Arc<MachineTelemetry> {
        // Forget machines that are gone (their addresses may be reused).
        self.machines.retain(|_, r| r.machine.strong_count() > 0);
        let telemetry = Arc::new(MachineTelemetry::new(
            name,
            machine,
            self.config.state_metrics,
            logging,
        ));
        self.machines.insert(
            Self::key(machine),
            Registered {
                machine: Arc::downgrade(machine),
                telemetry: Arc::clone(&telemetry),
            },
        );
        telemetry
    }
}

impl Observer for Telemetry {
    fn execution(
        &self,
        machine: &Arc<Machine>,
        options: &ExecutionOptions,
    ) -> Option<Arc<dyn ExecutionObserver>> {
        if !self.is_active() {
            return None;
        }
        let telemetry = self.machine(machine, &options.state_machine_name);
        let logged = match &self.config.log {
            Some(writer)
                if telemetry.logging.level != LogLevel::Off
                    && (self.config.sample >= 1.0
                        || rand::random::<f64>() < self.config.sample) =>
            {
                writer
            }
            _ if self.config.state_metrics => return Some(telemetry),
            _ => return None,
        };
        let region = options
            .execution_arn
            .split(':')
            .nth(3)
            .unwrap_or_default()
            .to_owned();
        Some(Arc::new(LoggedExecution {
            machine: telemetry,
            writer: logged.clone(),
            execution_arn: options.execution_arn.clone(),
            role_arn: options.role_arn.clone(),
            region,
            last: AtomicU32::new(0),
            buffer: Mutex::new((String::new(), 0)),
        }))
    }

    fn register(&self, machine: &Arc<Machine>, state_machine_name: &str, logging: &LogSettings) {
        if self.is_active() {
            self.insert(machine, state_machine_name, logging.clone());
        }
    }

    fn unregister(&self, machine: &Arc<Machine>) {
        self.machines.remove(&Self::key(machine));
    }
}

#[cfg(test)]
mod address_tests {
    use std::hash::BuildHasher;

    #[test]
    fn aligned_addresses_differ_in_their_low_bits() {
        let build = foldhash::fast::FixedState::default();
        let hashes: Vec<u64> = (0..64usize)
            .map(|i| build.hash_one(0x7f00_0000_1000 + i * 64))
            .collect();
        let low: std::collections::HashSet<u64> = hashes.iter().map(|h| h & 0xff).collect();
        assert!(low.len() > 32, "{low:?}");
    }
}
