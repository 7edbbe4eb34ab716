//! The consumer core shared by every source: ordered [`Work`] in, bounded
//! concurrent executions behind admission control, finished units out to a
//! [`Sink`] with a contiguous checkpoint.
//!
//! Every execution starts through the one start path,
//! [`Starter`](crate::start::Starter): identified, admitted, counted in the
//! `expressway_executions_*` metrics and run behind its panic net.
//!
//! Flow control: a unit is read only once an execution slot is free, and
//! started only once [`Starter::admit`] lets it through; while admission
//! refuses (its wait would exceed `max_wait_ms`), the pipeline backs off and
//! asks again instead of dropping the unit, so reading slows down to the
//! admitted rate (backpressure reaches the source: a file is read slower,
//! a queue is polled less).
//!
//! Delivery: a unit counts as finished when its execution ended (any
//! status) and the sink reported it; the checkpoint given to
//! [`Sink::checkpoint`] is the highest id below which every unit finished
//! ([`Contiguous`]), so a restart from it re-runs only later units.

use super::SourceError;
use std::future::Future;
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::{mpsc, Semaphore};
use tokio::time::Instant;

use super::{Contiguous, Unit, Work};
use crate::engine::{ExecutionOutcome, ExecutionStatus};
use crate::json::Value;
use crate::start::{Mode, Prepared, StartError, StartInput, StartRequest, Starter};

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

/// The state machine executions run on, and the start path they go through.
#[derive(Clone, Debug)]
pub struct Pipeline {
    /// The start path (registry, admission, metrics, engine).
    pub starter: Starter,
    /// The ARN of the state machine every unit starts (registered in the
    /// starter's registry, e.g. by [`Pipeline::for_definition`]).
    pub state_machine_arn: String,
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
    /// A pipeline running the definition file `definition`, created in
    /// `starter`'s registry as an EXPRESS machine named `name` (default:
    /// the file's name, [`crate::start::machine_name`]).
    ///
    /// # Errors
    /// [`SourceError::Definition`]: the file cannot be read or the
    /// definition is refused.
    pub fn for_definition(
        starter: &Starter,
        definition: &Path,
        name: Option<&str>,
        concurrency: usize,
        checkpoint_every: Duration,
    ) -> Result<Self, SourceError> {
        let machine = crate::start::create_from_file(starter, definition, name)?;
        Ok(Pipeline {
            starter: starter.clone(),
            state_machine_arn: machine.arn.clone(),
            concurrency: concurrency.max(1),
            checkpoint_every,
        })
    }

    /// The state machine's name (the last field of its ARN).
    pub fn name(&self) -> &str {
        self.state_machine_arn
            .rsplit(':')
            .next()
            .unwrap_or_default()
    }

    /// Names the execution of `input`.
    ///
    /// # Errors
    /// The machine was deleted from the registry meanwhile.
    fn prepare(&self, input: Value) -> Result<Prepared, StartError> {
        let request = StartRequest {
            input: StartInput::Value(input),
            ..StartRequest::new(&self.state_machine_arn)
        };
        self.starter.prepare(request, Mode::Sync)
    }

    /// Starts one execution of `input` through the start path and runs it
    /// to its end, waiting for admission (backing off while it refuses);
    /// `None` when `stop` fired first. (The Kinesis consumer's retries.)
    #[cfg(feature = "aws")]
    pub(crate) async fn execute(
        &self,
        input: Value,
        stop: &mut (impl Future<Output = ()> + Unpin),
        throttled: &mut u64,
    ) -> Option<ExecutionOutcome> {
        let prepared = match self.prepare(input) {
            Ok(p) => p,
            Err(e) => return Some(refused(&e)),
        };
        let permit = self.admit(&prepared, stop, throttled).await?;
        Some(self.starter.run(prepared, permit).await.outcome)
    }

    /// Waits for admission, backing off while it refuses. `None` when
    /// `stop` fired first.
    async fn admit(
        &self,
        prepared: &Prepared,
        stop: &mut (impl Future<Output = ()> + Unpin),
        throttled: &mut u64,
    ) -> Option<crate::admission::Permit> {
        let mut backoff = Duration::from_millis(1);
        loop {
            tokio::select! {
                biased;
                () = &mut *stop => return None,
                admitted = self.starter.admit(prepared) => match admitted {
                    Ok(permit) => return Some(permit),
                    Err(_) => *throttled += 1,
                },
            }
            tokio::select! {
                biased;
                () = &mut *stop => return None,
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
            let prepared = match self.prepare(input) {
                Ok(p) => p,
                Err(e) => {
                    let _ = tx.send((work.unit, refused(&e)));
                    continue;
                }
            };
            let Some(permit) = self.admit(&prepared, &mut stop, &mut throttled).await else {
                stopped = true;
                break;
            };
            let (starter, tx) = (self.starter.clone(), tx.clone());
            let unit = work.unit;
            tokio::spawn(async move {
                let done = starter.run(prepared, permit).await;
                let _ = tx.send((unit, done.outcome));
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

/// The outcome reported for a unit whose start the start path refused.
fn refused(e: &StartError) -> ExecutionOutcome {
    ExecutionOutcome {
        status: ExecutionStatus::Failed,
        output: None,
        error: Some(e.code().to_owned()),
        cause: Some(e.to_string()),
        stop_time: SystemTime::now(),
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
