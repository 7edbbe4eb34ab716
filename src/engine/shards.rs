//! The sharded runtime: N shard threads (default one per core), each with a
//! single-threaded tokio runtime that owns the executions handed to it.
//!
//! A start is pushed onto its shard's lock-free queue (crossbeam
//! [`SegQueue`]) and the shard is woken; the shard spawns the execution on
//! its own runtime, so everything the execution waits on afterwards — a Task
//! completion, a Retrier's or a Wait state's timer, a Parallel branch or a Map
//! iteration, a Task Token callback — wakes that same shard. No execution
//! migrates between threads and the step path takes no lock: each shard's
//! scheduler, timer wheel and run queue belong to its thread alone.
//!
//! Starts go round-robin over the shards, except that a start made *on* a
//! shard (by a server or a driver spawned there with [`Shards::spawn`], or
//! a nested workflow's child) runs inline on that shard: no handoff at all.
//!
//! Dropping the caller's future cancels the execution on its shard (as
//! dropping [`Engine::execute`](super::Engine::execute)'s future does
//! without shards), which is how StopExecution and abandoned sync calls stop
//! executions.

use std::cell::Cell;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use crossbeam::queue::SegQueue;
use tokio::sync::{oneshot, Notify};

use super::ExecutionOutcome;

/// One execution, ready to run on whichever shard it is handed to.
pub(super) type Job = Pin<Box<dyn Future<Output = ExecutionOutcome> + Send + 'static>>;

/// Work waiting in a shard's queue: a future the shard spawns.
type Start = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// What the callers share with one shard thread.
struct Inbox {
    queue: SegQueue<Start>,
    wake: Notify,
}

thread_local! {
    /// The index of the shard this thread runs, if it is a shard thread.
    static CURRENT: Cell<Option<usize>> = const { Cell::new(None) };
}

/// A set of shard threads running executions.
///
/// Share it in an `Arc`; the threads stop when the [`Shards`] is dropped,
/// once the executions already handed to them have ended.
pub struct Shards {
    inboxes: Vec<Arc<Inbox>>,
    next: AtomicUsize,
    closing: Arc<AtomicBool>,
}

impl std::fmt::Debug for Shards {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shards")
            .field("shards", &self.inboxes.len())
            .finish()
    }
}

impl Shards {
    /// Starts `n` shard threads (at least 1), named `expressway-shard-I`.
    ///
    /// # Errors
    /// A thread or its tokio runtime cannot be created.
    pub fn start(n: usize) -> io::Result<Shards> {
        let n = n.max(1);
        let closing = Arc::new(AtomicBool::new(false));
        let mut inboxes = Vec::with_capacity(n);
        for index in 0..n {
            let inbox = Arc::new(Inbox {
                queue: SegQueue::new(),
                wake: Notify::new(),
            });
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let (thread_inbox, thread_closing) = (Arc::clone(&inbox), Arc::clone(&closing));
            std::thread::Builder::new()
                .name(format!("expressway-shard-{index}"))
                .spawn(move || {
                    CURRENT.with(|c| c.set(Some(index)));
                    runtime.block_on(intake(thread_inbox, thread_closing));
                })?;
            inboxes.push(inbox);
        }
        Ok(Shards {
            inboxes,
            next: AtomicUsize::new(0),
            closing,
        })
    }

    /// One shard per available core ([`std::thread::available_parallelism`]).
    ///
    /// # Errors
    /// As [`Shards::start`].
    pub fn per_core() -> io::Result<Shards> {
        Shards::start(std::thread::available_parallelism().map_or(1, |n| n.get()))
    }

    /// How many shards run.
    pub fn len(&self) -> usize {
        self.inboxes.len()
    }

    /// Always false: there is at least one shard.
    pub fn is_empty(&self) -> bool {
        self.inboxes.is_empty()
    }

    /// Runs `job` on a shard and waits for its outcome: on this thread's
    /// own shard, inline, when called from a shard; otherwise handed to the
    /// next shard round-robin.
    ///
    /// Dropping the returned future cancels the job. If the shard is gone
    /// (the runtime is shutting down), the outcome is `on_lost()`.
    pub(super) fn run(
        &self,
        job: Job,
        on_lost: fn() -> ExecutionOutcome,
    ) -> impl Future<Output = ExecutionOutcome> + Send + 'static {
        let handed = match CURRENT.with(Cell::get) {
            Some(_) => Err(job),
            None => {
                let (reply, outcome) = oneshot::channel();
                self.spawn(async move {
                    let mut reply = reply;
                    tokio::select! {
                        outcome = job => { let _ = reply.send(outcome); }
                        // The caller went away: drop (cancel) the execution.
                        () = reply.closed() => {}
                    }
                });
                Ok(outcome)
            }
        };
        async move {
            match handed {
                Err(job) => job.await,
                Ok(outcome) => outcome.await.unwrap_or_else(|_| on_lost()),
            }
        }
    }

    /// Spawns `work` on the next shard, round-robin (for drivers and
    /// servers that should run where the executions they start run).
    pub fn spawn<F>(&self, work: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let index = self.next.fetch_add(1, Ordering::Relaxed) % self.inboxes.len();
        self.spawn_on(index, work);
    }

    /// Spawns `work` on shard `index` (modulo the number of shards).
    pub fn spawn_on<F>(&self, index: usize, work: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let inbox = &self.inboxes[index % self.inboxes.len()];
        inbox.queue.push(Box::pin(work));
        inbox.wake.notify_one();
    }

    /// The index of the shard the calling thread runs, if it is one.
    pub fn current() -> Option<usize> {
        CURRENT.with(Cell::get)
    }
}

impl Drop for Shards {
    /// Tells the shard threads to stop once the executions they own have
    /// ended; does not wait for them.
    fn drop(&mut self) {
        self.closing.store(true, Ordering::Release);
        for inbox in &self.inboxes {
            inbox.wake.notify_one();
        }
    }
}

/// A shard's main loop: spawn what arrives, until told to close and every
/// execution it owns has ended.
async fn intake(inbox: Arc<Inbox>, closing: Arc<AtomicBool>) {
    let mut running = tokio::task::JoinSet::new();
    loop {
        let closed = closing.load(Ordering::Acquire);
        // After `closing` is seen, nothing more can be pushed (the Shards
        // is gone), so this drain takes the last starts.
        while let Some(work) = inbox.queue.pop() {
            running.spawn(work);
        }
        // Reap finished executions without waiting.
        while running.try_join_next().is_some() {}
        if closed {
            while running.join_next().await.is_some() {}
            return;
        }
        inbox.wake.notified().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ExecutionStatus;
    use std::time::{Duration, SystemTime};

    fn outcome(status: ExecutionStatus) -> ExecutionOutcome {
        ExecutionOutcome {
            status,
            output: None,
            error: None,
            cause: None,
            stop_time: SystemTime::now(),
        }
    }

    fn lost() -> ExecutionOutcome {
        outcome(ExecutionStatus::Aborted)
    }

    /// The job runs on a shard thread, not the caller's, and everything it
    /// awaits afterwards (here a timer) brings it back to the same shard.
    #[tokio::test]
    async fn jobs_run_on_their_shard_and_stay_there() {
        let shards = Shards::start(2).expect("shards");
        let mut seen = Vec::new();
        for _ in 0..4 {
            let (tx, rx) = std::sync::mpsc::channel();
            let job: Job = Box::pin(async move {
                let before = std::thread::current().name().map(str::to_owned);
                tokio::time::sleep(Duration::from_millis(5)).await;
                let after = std::thread::current().name().map(str::to_owned);
                let _ = tx.send((before, after));
                outcome(ExecutionStatus::Succeeded)
            });
            let o = shards.run(job, lost).await;
            assert_eq!(o.status, ExecutionStatus::Succeeded);
            let (before, after) = rx.recv().expect("ran");
            assert_eq!(before, after);
            seen.push(before.expect("named thread"));
        }
        // Round-robin: both shards got work.
        assert!(seen.iter().any(|n| n == "expressway-shard-0"), "{seen:?}");
        assert!(seen.iter().any(|n| n == "expressway-shard-1"), "{seen:?}");
    }

    /// Dropping the caller's future cancels the execution on its shard.
    #[tokio::test]
    async fn dropping_the_caller_cancels_the_job() {
        struct Flag(Arc<AtomicBool>);
        impl Drop for Flag {
            fn drop(&mut self) {
                self.0.store(true, Ordering::SeqCst);
            }
        }
        let shards = Shards::start(1).expect("shards");
        let dropped = Arc::new(AtomicBool::new(false));
        let flag = Flag(Arc::clone(&dropped));
        let job: Job = Box::pin(async move {
            let _flag = flag;
            tokio::time::sleep(Duration::from_secs(3600)).await;
            outcome(ExecutionStatus::Succeeded)
        });
        let fut = shards.run(job, lost);
        let waited = tokio::time::timeout(Duration::from_millis(20), fut).await;
        assert!(waited.is_err(), "the job cannot have finished");
        for _ in 0..200 {
            if dropped.load(Ordering::SeqCst) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("the job was not cancelled");
    }

    /// A start made on a shard stays on that shard.
    #[tokio::test]
    async fn nested_starts_stay_on_their_shard() {
        let shards = Arc::new(Shards::start(2).expect("shards"));
        let inner = Arc::clone(&shards);
        let (tx, rx) = std::sync::mpsc::channel();
        let job: Job = Box::pin(async move {
            let outer = std::thread::current().name().map(str::to_owned);
            let (itx, irx) = std::sync::mpsc::channel();
            for _ in 0..3 {
                let itx = itx.clone();
                let child: Job = Box::pin(async move {
                    let _ = itx.send(std::thread::current().name().map(str::to_owned));
                    outcome(ExecutionStatus::Succeeded)
                });
                inner.run(child, lost).await;
            }
            drop(itx);
            let _ = tx.send((outer, irx.iter().collect::<Vec<_>>()));
            outcome(ExecutionStatus::Succeeded)
        });
        shards.run(job, lost).await;
        let (outer, children) = rx.recv().expect("ran");
        assert_eq!(children.len(), 3);
        assert!(
            children.iter().all(|c| *c == outer),
            "{outer:?} {children:?}"
        );
    }

    /// Dropping the shards lets what runs finish; the threads then stop.
    #[test]
    fn drop_finishes_running_jobs() {
        let shards = Shards::start(2).expect("shards");
        let done = Arc::new(AtomicUsize::new(0));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("rt");
        let futs: Vec<_> = (0..8)
            .map(|_| {
                let done = Arc::clone(&done);
                let job: Job = Box::pin(async move {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    done.fetch_add(1, Ordering::SeqCst);
                    outcome(ExecutionStatus::Succeeded)
                });
                shards.run(job, lost)
            })
            .collect();
        drop(shards);
        let outcomes = rt.block_on(futures::future::join_all(futs));
        assert!(outcomes
            .iter()
            .all(|o| o.status == ExecutionStatus::Succeeded));
        assert_eq!(done.load(Ordering::SeqCst), 8);
    }
}
