//! The consumer core shared by every source: ordered [`Work`] in, bounded
//! concurrent executions behind admission control, finished units out to a
//! [`Sink`] with a contiguous checkpoint.
//!
//! Flow control: a unit is read only once an execution slot is free, and
//! started only once [`Admission::admit`] lets it through; while admission
//! refuses (its wait would exceed `max_wait_ms`), the pipeline backs off and
//! asks again instead of dropping the unit, so reading slows down to the
//! admitted rate (backpressure reaches the source: a file is read slower,
//! a queue is polled less).
//!
//! Delivery: a unit counts as finished when its execution ended (any
//! status) and the sink reported it; the checkpoint given to
//! [`Sink::checkpoint`] is the highest id below which every unit finished
//! ([`Contiguous`]), so a restart from it re-runs only later units.

use std::future::Future;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::{mpsc, Semaphore};
use tokio::time::Instant;

use super::{Contiguous, Unit, Work};
use crate::admission::Admission;
use crate::api::arn;
use crate::compile::Machine;
use crate::engine::{Engine, ExecutionOptions, ExecutionOutcome, ExecutionStatus};

/// Where work comes from, in id order.
pub trait Source: Send {
    /// The next unit of work; `Ok(None)` at the end of the source.
    ///
    /// # Errors
    /// The source cannot be read; the pipeline stops reading and finishes
    /// what is in flight.
    fn next(&mut self) -> impl Future<Output = io::Result<Option<Work>>> + Send;
}

/// Where finished units go: reports, dead letters, acknowledgements and the
/// stored checkpoint. Called from one task, in completion order.
pub trait Sink: Send + 'static {
    /// Reports a finished unit (its execution's outcome, or the refusal of
    /// its input). Called before the checkpoint can pass the unit.
    ///
    /// # Errors
    /// The report cannot be written; the checkpoint is no longer advanced.
    fn finished(&mut self, unit: &Unit, outcome: &ExecutionOutcome) -> io::Result<()>;

    /// Stores the checkpoint: every id ≤ `through` finished. Implementations
    /// make every earlier report durable first.
    ///
    /// # Errors
    /// It cannot be stored; it is not advanced further.
    fn checkpoint(&mut self, through: u64) -> io::Result<()>;
}

/// The state machine executions run on and how they are named.
#[derive(Clone)]
pub struct Pipeline {
    /// Runs the executions.
    pub engine: Engine,
    /// The compiled definition.
    pub machine: Arc<Machine>,
    /// Admission control, asked before every start with [`Pipeline::name`].
    pub admission: Admission,
    /// The state machine name (Context Object `$$.StateMachine.Name`, the admission bucket).
    pub name: String,
    /// The region in ARNs.
    pub region: String,
    /// The account in ARNs.
    pub account: String,
    /// Most executions in flight (at least 1).
    pub concurrency: usize,
    /// Shortest time between two checkpoint writes; the final one is always written.
    pub checkpoint_every: Duration,
}

/// What a pipeline run ended with.
#[derive(Debug)]
pub struct Settled<S> {
    /// The sink, with whatever it counted.
    pub sink: S,
    /// The last checkpoint stored (the starting one if none was).
    pub through: u64,
    /// Units that finished.
    pub units: u64,
    /// Times admission refused a start and the pipeline backed off.
    pub throttled: u64,
    /// Whether a stop signal ended the reading before the source's end.
    pub stopped: bool,
    /// The first source or sink error, which stopped the run.
    pub error: Option<io::Error>,
}

/// The longest pause after admission refuses a start.
const MAX_BACKOFF: Duration = Duration::from_millis(200);

impl Pipeline {
    pub(crate) fn options(&self) -> ExecutionOptions {
        let state_machine_arn = arn::state_machine(&self.region, &self.account, &self.name);
        let name = uuid::Uuid::new_v4().to_string();
        ExecutionOptions {
            execution_arn: arn::express_execution(&state_machine_arn, &name),
            name,
            state_machine_arn,
            state_machine_name: self.name.clone(),
            role_arn: format!("arn:aws:iam::{}:role/expressway", self.account),
            start_time: SystemTime::now(),
            test_case: None,
            redrive_count: None,
        }
    }

    /// Waits for admission, backing off while it refuses. `false` when
    /// `stop` fired first.
    pub(crate) async fn admit(
        &self,
        stop: &mut (impl Future<Output = ()> + Unpin),
        throttled: &mut u64,
    ) -> bool {
        let mut backoff = Duration::from_millis(1);
        loop {
            tokio::select! {
                biased;
                () = &mut *stop => return false,
                admitted = self.admission.admit(&self.name) => match admitted {
                    Ok(_) => return true,
                    Err(_) => *throttled += 1,
                },
            }
            tokio::select! {
                biased;
                () = &mut *stop => return false,
                () = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    /// Runs every unit of `source` until its end, an error, or `stop`
    /// resolves; then waits for the executions in flight, reports them and
    /// stores the final checkpoint. `through` is the checkpoint the source
    /// resumes after (its first unit starts at `through + 1`).
    ///
    /// A unit read but not yet started when `stop` fires is not run and not
    /// reported; the checkpoint stays before it.
    pub async fn run<R: Source, S: Sink>(
        &self,
        source: &mut R,
        sink: S,
        through: u64,
        stop: impl Future<Output = ()> + Send,
    ) -> Settled<S> {
        let (tx, rx) = mpsc::unbounded_channel::<(Unit, ExecutionOutcome)>();
        let broken = Arc::new(AtomicBool::new(false));
        let settler = tokio::spawn(settle(
            rx,
            sink,
            Contiguous::new(through),
            self.checkpoint_every,
            Arc::clone(&broken),
        ));
        let slots = Arc::new(Semaphore::new(self.concurrency.max(1)));
        let mut stop = std::pin::pin!(stop);
        let (mut throttled, mut stopped, mut error) = (0, false, None);
        loop {
            if broken.load(Ordering::Relaxed) {
                break;
            }
            let slot = tokio::select! {
                biased;
                () = &mut stop => { stopped = true; break }
                slot = Arc::clone(&slots).acquire_owned() => match slot {
                    Ok(s) => s,
                    Err(_) => break,
                },
            };
            let work = tokio::select! {
                biased;
                () = &mut stop => { stopped = true; break }
                work = source.next() => match work {
                    Ok(Some(w)) => w,
                    Ok(None) => break,
                    Err(e) => { error = Some(e); break }
                },
            };
            let input = match work.input {
                Ok(input) => input,
                Err(refused) => {
                    let outcome = ExecutionOutcome {
                        status: ExecutionStatus::Failed,
                        output: None,
                        error: Some(refused.error),
                        cause: Some(refused.cause),
                        stop_time: SystemTime::now(),
                    };
                    let _ = tx.send((work.unit, outcome));
                    continue;
                }
            };
            if !self.admit(&mut stop, &mut throttled).await {
                stopped = true;
                break;
            }
            let (engine, machine, options, tx) = (
                self.engine.clone(),
                Arc::clone(&self.machine),
                self.options(),
                tx.clone(),
            );
            let unit = work.unit;
            tokio::spawn(async move {
                let outcome = engine.execute(machine, input, options).await;
                let _ = tx.send((unit, outcome));
                drop(slot);
            });
        }
        drop(tx);
        let settled = settler.await;
        let (sink, through, units, sink_error) = match settled {
            Ok(s) => s,
            Err(join) => {
                // The sink panicked: nothing to hand back but the error.
                std::panic::resume_unwind(join.into_panic());
            }
        };
        Settled {
            sink,
            through,
            units,
            throttled,
            stopped,
            error: error.or(sink_error),
        }
    }
}

/// Reports finished units and advances the checkpoint, until every sender
/// (the reader and each execution in flight) is gone.
async fn settle<S: Sink>(
    mut rx: mpsc::UnboundedReceiver<(Unit, ExecutionOutcome)>,
    mut sink: S,
    mut seen: Contiguous,
    every: Duration,
    broken: Arc<AtomicBool>,
) -> (S, u64, u64, Option<io::Error>) {
    let mut stored = seen.through();
    let mut last_write = Instant::now();
    let mut error: Option<io::Error> = None;
    let mut units = 0;
    while let Some((unit, outcome)) = rx.recv().await {
        units += 1;
        if error.is_some() {
            continue;
        }
        if let Err(e) = sink.finished(&unit, &outcome) {
            error = Some(e);
            broken.store(true, Ordering::Relaxed);
            continue;
        }
        seen.complete(unit.first, unit.last());
        if seen.through() > stored && last_write.elapsed() >= every {
            match sink.checkpoint(seen.through()) {
                Ok(()) => stored = seen.through(),
                Err(e) => {
                    error = Some(e);
                    broken.store(true, Ordering::Relaxed);
                }
            }
            last_write = Instant::now();
        }
    }
    if error.is_none() && seen.through() > stored {
        match sink.checkpoint(seen.through()) {
            Ok(()) => stored = seen.through(),
            Err(e) => error = Some(e),
        }
    }
    (sink, stored, units, error)
}
