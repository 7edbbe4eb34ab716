//! Admission control in front of every execution start (the API's
//! `StartExecution` / `StartSyncExecution`, and any consumer that starts
//! executions).
//!
//! # Overview
//!
//! Each start passes two token buckets: its state machine's own, then one
//! global bucket. A bucket holds up to `burst` tokens and refills
//! continuously at `rate` per second ([`Limits`]); AWS applies the same model
//! to StartExecution (Express: 6,000 burst, 6,000/s per account, reference
//! §2). A start that finds no token does not fail at once: it waits in FIFO
//! order behind the starts already waiting, for at most `max_wait_ms`, with
//! at most `max_queue` starts waiting per bucket. Only a start past those
//! limits is refused with [`Throttled`], which the API answers as
//! `ThrottlingException` (HTTP 400).
//!
//! * Synchronous starts call [`Admission::admit`]: the refusal is known
//!   before any wait (the bucket computes each start's admission instant up
//!   front, see [`bucket`](self) docs), and the caller waits at most
//!   `max_wait_ms`.
//! * Asynchronous starts call [`Admission::reserve`], answer the client, and
//!   run once [`Ticket::wait`] returns: an accepted start is never dropped.
//!
//! The hot path takes two short mutexes (machine bucket, global bucket),
//! never across an `.await`, and allocates only the first time a machine is
//! seen.
//!
//! ```
//! # tokio_test_block_on(async {
//! use expressway::admission::{Admission, AdmissionConfig, Limits};
//!
//! let mut config = AdmissionConfig::default();
//! config.default = Limits { rate: 100.0, burst: 2, max_wait_ms: 1_000, max_queue: 10 };
//! let admission = Admission::new(config);
//! let permit = admission.admit("payment").await.expect("a token is there");
//! assert!(permit.waited().is_zero());
//! # });
//! # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
//! # }
//! ```

mod bucket;
pub mod config;
pub mod shared;

use std::sync::Arc;
use std::time::Duration;

use dashmap::DashMap;
use metrics::{Counter, Gauge};
use tokio::time::Instant;

use crate::metrics as m;
use bucket::Bucket;
pub use bucket::Refusal;
pub use config::{AdmissionConfig, ConfigError, Format, Limits, PartialLimits};
pub use shared::{Schedule, SharedAnswer, SharedBuckets};

/// Which bucket refused a start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The state machine's own bucket.
    Machine,
    /// The bucket shared by every start.
    Global,
}

impl Scope {
    /// The `scope` label value: `machine` or `global`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Machine => m::SCOPE_MACHINE,
            Scope::Global => m::SCOPE_GLOBAL,
        }
    }
}

/// A start refused by admission control; the API answers it as
/// `ThrottlingException` ("Rate exceeded", HTTP 400).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("rate exceeded: the {} bucket's {} limit", .scope.as_str(), match .reason { Refusal::MaxWait => "max wait", Refusal::MaxQueue => "max queue" })]
pub struct Throttled {
    /// The bucket that refused it.
    pub scope: Scope,
    /// Which limit it hit.
    pub reason: Refusal,
}

/// Proof that a start was admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Permit {
    waited: Duration,
}

impl Permit {
    /// How long the start waited in the buffer: from its reservation to the
    /// instant its buckets admitted it (zero when tokens were there).
    pub fn waited(&self) -> Duration {
        self.waited
    }
}

/// Tokens and buffer depth of one bucket at an instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BucketState {
    /// Tokens available (0 while starts wait; fractional while refilling).
    pub tokens: f64,
    /// Starts waiting for this bucket.
    pub depth: usize,
}

/// A bucket with its metric handles (registered once, when it is created).
struct Gate {
    bucket: Bucket,
    admitted: Counter,
    buffered: Counter,
    /// Indexed by [`throttle_index`].
    throttled: [Counter; 4],
    tokens: Gauge,
    depth: Gauge,
}

fn throttle_index(scope: Scope, reason: Refusal) -> usize {
    match (scope, reason) {
        (Scope::Machine, Refusal::MaxWait) => 0,
        (Scope::Machine, Refusal::MaxQueue) => 1,
        (Scope::Global, Refusal::MaxWait) => 2,
        (Scope::Global, Refusal::MaxQueue) => 3,
    }
}

impl Gate {
    fn new(limits: &Limits, machine: &str) -> Self {
        let name = machine.to_owned();
        let sm = m::LABEL_STATE_MACHINE;
        let throttled = |scope: Scope, reason: &'static str| {
            metrics::counter!(m::ADMISSION_THROTTLED, sm => name.clone(),
                m::LABEL_SCOPE => scope.as_str(), m::LABEL_REASON => reason)
        };
        Gate {
            bucket: Bucket::new(limits),
            admitted: metrics::counter!(m::ADMISSION_ADMITTED, sm => name.clone()),
            buffered: metrics::counter!(m::ADMISSION_BUFFERED, sm => name.clone()),
            throttled: [
                throttled(Scope::Machine, m::REASON_MAX_WAIT),
                throttled(Scope::Machine, m::REASON_MAX_QUEUE),
                throttled(Scope::Global, m::REASON_MAX_WAIT),
                throttled(Scope::Global, m::REASON_MAX_QUEUE),
            ],
            tokens: metrics::gauge!(m::ADMISSION_TOKENS, m::LABEL_SCOPE => m::SCOPE_MACHINE,
                sm => name.clone()),
            depth: metrics::gauge!(m::ADMISSION_QUEUE_DEPTH, m::LABEL_SCOPE => m::SCOPE_MACHINE,
                sm => name),
        }
    }

    fn refuse(&self, scope: Scope, reason: Refusal) -> Throttled {
        if let Some(c) = self.throttled.get(throttle_index(scope, reason)) {
            c.increment(1);
        }
        Throttled { scope, reason }
    }
}

struct Inner {
    config: AdmissionConfig,
    origin: Instant,
    global: Bucket,
    global_tokens: Gauge,
    global_depth: Gauge,
    machines: DashMap<String, Arc<Gate>>,
    /// The cluster's buckets, when set ([`Admission::share`]).
    shared: std::sync::OnceLock<Arc<dyn SharedBuckets>>,
}

impl Inner {
    /// Nanoseconds since `origin`.
    fn now(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    fn instant(&self, at: u64) -> Instant {
        self.origin + Duration::from_nanos(at)
    }
}

/// Admission control: the buckets of every state machine and the global one.
/// Cheap to clone (shared).
#[derive(Clone)]
pub struct Admission {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Admission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admission")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl Default for Admission {
    fn default() -> Self {
        Admission::new(AdmissionConfig::default())
    }
}

impl Admission {
    /// Admission control with these limits; every bucket starts full.
    /// Out-of-range limits are clamped (see [`Limits::validate`] to refuse them instead).
    pub fn new(config: AdmissionConfig) -> Self {
        let global = Bucket::new(&config.global);
        Admission {
            inner: Arc::new(Inner {
                global,
                global_tokens: metrics::gauge!(m::ADMISSION_TOKENS, m::LABEL_SCOPE => m::SCOPE_GLOBAL),
                global_depth: metrics::gauge!(m::ADMISSION_QUEUE_DEPTH, m::LABEL_SCOPE => m::SCOPE_GLOBAL),
                config,
                origin: Instant::now(),
                machines: DashMap::new(),
                shared: std::sync::OnceLock::new(),
            }),
        }
    }

    /// The limits in force.
    pub fn config(&self) -> &AdmissionConfig {
        &self.inner.config
    }

    /// From now on, admits every start through `buckets` (a cluster's,
    /// shared by every instance) instead of this process's buckets, which
    /// only serve while `buckets` cannot answer. Set once; later calls
    /// change nothing.
    pub fn share(&self, buckets: Arc<dyn SharedBuckets>) {
        let _ = self.inner.shared.set(buckets);
    }

    /// Asks the shared buckets (if set) for one start of `machine`.
    async fn ask_shared(&self, machine: &str, bounded: bool) -> SharedAnswer {
        let Some(shared) = self.inner.shared.get() else {
            return SharedAnswer::Unavailable;
        };
        let config = &self.inner.config;
        shared
            .reserve(
                machine,
                Schedule::of(&config.limits_of(machine)),
                Schedule::of(&config.global),
                bounded,
            )
            .await
    }

    fn gate(&self, machine: &str) -> Arc<Gate> {
        if let Some(gate) = self.inner.machines.get(machine) {
            return Arc::clone(&gate);
        }
        let entry = self.inner.machines.entry(machine.to_owned());
        Arc::clone(
            &entry.or_insert_with(|| {
                Arc::new(Gate::new(&self.inner.config.limits_of(machine), machine))
            }),
        )
    }

    /// Takes a place for one start of the state machine named `machine`:
    /// decides at once whether it is admitted now, buffered, or refused.
    /// The start runs when [`Ticket::wait`] returns. Use it for asynchronous
    /// starts, which are answered before they run.
    ///
    /// # Errors
    /// [`Throttled`] when the global buffer is full or its wait is already
    /// past the global `max_wait_ms`, or when the machine's start would wait
    /// longer than its `max_wait_ms` or find its `max_queue` starts waiting.
    pub fn reserve(&self, machine: &str) -> Result<Ticket, Throttled> {
        let gate = self.gate(machine);
        let inner = &self.inner;
        let now = inner.now();
        let (global_wait, global_full) = inner.global.peek(now);
        if global_full {
            return Err(gate.refuse(Scope::Global, Refusal::MaxQueue));
        }
        if global_wait > inner.global.max_wait() {
            return Err(gate.refuse(Scope::Global, Refusal::MaxWait));
        }
        let at = gate
            .bucket
            .reserve(now, Some(gate.bucket.max_wait()))
            .map_err(|r| gate.refuse(Scope::Machine, r))?;
        let buffered = at > now;
        if buffered {
            gate.buffered.increment(1);
        }
        Ok(Ticket {
            admission: self.clone(),
            gate,
            enqueued: now,
            at,
            in_machine_queue: buffered,
            buffered,
            shared: false,
        })
    }

    /// Admits one start of the state machine named `machine`, waiting in
    /// FIFO order for at most its `max_wait_ms` (a synchronous start).
    ///
    /// # Errors
    /// [`Throttled`] as [`Admission::reserve`], or when, after its machine
    /// bucket admitted it, the global bucket would make the total wait longer
    /// than `max_wait_ms`.
    ///
    /// With shared buckets ([`Admission::share`]) the wait and the refusal
    /// are the cluster's (one round trip), else this process's.
    pub async fn admit(&self, machine: &str) -> Result<Permit, Throttled> {
        match self.ask_shared(machine, true).await {
            SharedAnswer::Admitted(wait) => {
                let gate = self.gate(machine);
                if !wait.is_zero() {
                    gate.buffered.increment(1);
                    tokio::time::sleep(wait).await;
                }
                gate.admitted.increment(1);
                Ok(Permit { waited: wait })
            }
            SharedAnswer::Refused(t) => Err(self.gate(machine).refuse(t.scope, t.reason)),
            SharedAnswer::Unavailable => self.reserve(machine)?.wait_within(true).await,
        }
    }

    /// As [`Admission::reserve`], through the shared buckets when set
    /// ([`Admission::share`]; one round trip): what an asynchronous start
    /// calls.
    ///
    /// # Errors
    /// [`Throttled`] as [`Admission::reserve`], by the cluster's buckets.
    pub async fn reserve_shared(&self, machine: &str) -> Result<Ticket, Throttled> {
        match self.ask_shared(machine, false).await {
            SharedAnswer::Admitted(wait) => {
                let gate = self.gate(machine);
                let now = self.inner.now();
                let buffered = !wait.is_zero();
                if buffered {
                    gate.buffered.increment(1);
                }
                let at = now.saturating_add(u64::try_from(wait.as_nanos()).unwrap_or(u64::MAX));
                Ok(Ticket {
                    admission: self.clone(),
                    gate,
                    enqueued: now,
                    at,
                    in_machine_queue: false,
                    buffered,
                    shared: true,
                })
            }
            SharedAnswer::Refused(t) => Err(self.gate(machine).refuse(t.scope, t.reason)),
            SharedAnswer::Unavailable => self.reserve(machine),
        }
    }

    /// Tokens and depth of the bucket of `machine` (`None`: the global bucket).
    pub fn state(&self, machine: Option<&str>) -> BucketState {
        let now = self.inner.now();
        match machine {
            None => BucketState {
                tokens: self.inner.global.tokens(now),
                depth: self.inner.global.depth(),
            },
            Some(name) => {
                let gate = self.gate(name);
                BucketState {
                    tokens: gate.bucket.tokens(now),
                    depth: gate.bucket.depth(),
                }
            }
        }
    }

    /// Sets the token and queue-depth gauges of every bucket (called when
    /// metrics are scraped, so tokens refilled while idle show).
    pub fn publish_gauges(&self) {
        let inner = &self.inner;
        let now = inner.now();
        inner.global_tokens.set(inner.global.tokens(now));
        inner.global_depth.set(inner.global.depth() as f64);
        for gate in inner.machines.iter() {
            gate.tokens.set(gate.bucket.tokens(now));
            gate.depth.set(gate.bucket.depth() as f64);
        }
    }
}

/// A start's place in line, from [`Admission::reserve`]. Dropping it before
/// [`Ticket::wait`] returns gives the place up (the token it reserved is not
/// returned).
#[must_use = "a start runs only once its ticket is waited on"]
pub struct Ticket {
    admission: Admission,
    gate: Arc<Gate>,
    /// When it was reserved (ns since origin).
    enqueued: u64,
    /// When its machine bucket admits it (ns since origin).
    at: u64,
    /// Counted in the machine bucket's depth.
    in_machine_queue: bool,
    /// Counted in the buffered counter.
    buffered: bool,
    /// Admitted by the shared buckets: `at` is its admission instant for
    /// both buckets.
    shared: bool,
}

impl std::fmt::Debug for Ticket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ticket")
            .field("enqueued", &self.enqueued)
            .field("at", &self.at)
            .finish_non_exhaustive()
    }
}

/// Leaves a bucket's queue when dropped (admitted or cancelled).
struct InQueue<'a>(&'a Bucket);

impl Drop for InQueue<'_> {
    fn drop(&mut self) {
        self.0.leave();
    }
}

impl Ticket {
    /// Waits until the start is admitted by its machine bucket and then by
    /// the global bucket. Never refuses: an accepted asynchronous start runs.
    pub async fn wait(self) -> Permit {
        match self.wait_within(false).await {
            Ok(permit) => permit,
            // Unreachable: without a bound the global bucket never refuses.
            Err(_) => Permit {
                waited: Duration::ZERO,
            },
        }
    }

    /// Whether the start will wait (it found no token in its machine bucket).
    pub fn is_buffered(&self) -> bool {
        self.buffered
    }

    async fn wait_within(mut self, bounded: bool) -> Result<Permit, Throttled> {
        let inner = Arc::clone(&self.admission.inner);
        if self.at > inner.now() {
            tokio::time::sleep_until(inner.instant(self.at)).await;
        }
        if self.shared {
            self.gate.admitted.increment(1);
            return Ok(Permit {
                waited: Duration::from_nanos(self.at.saturating_sub(self.enqueued)),
            });
        }
        if std::mem::take(&mut self.in_machine_queue) {
            self.gate.bucket.leave();
        }
        let now = inner.now();
        let limit = bounded.then(|| {
            let deadline = self.enqueued.saturating_add(self.gate.bucket.max_wait());
            inner.global.max_wait().min(deadline.saturating_sub(now))
        });
        let at = inner
            .global
            .reserve(now, limit)
            .map_err(|r| self.gate.refuse(Scope::Global, r))?;
        if at > now {
            let _queued = InQueue(&inner.global);
            if !self.buffered {
                self.buffered = true;
                self.gate.buffered.increment(1);
            }
            tokio::time::sleep_until(inner.instant(at)).await;
        }
        self.gate.admitted.increment(1);
        // The scheduled admission instant, not the clock after waking: a
        // start that found tokens waited exactly zero.
        let admitted_at = if at > now { at } else { self.at };
        let waited = admitted_at.saturating_sub(self.enqueued);
        Ok(Permit {
            waited: Duration::from_nanos(waited),
        })
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if self.in_machine_queue {
            self.gate.bucket.leave();
        }
    }
}

#[cfg(test)]
mod tests;
