//! The reclaimer: re-runs the asynchronous starts whose runner died.
//!
//! Every accepted start is pending in the starts stream's consumer group
//! for the node that runs it until its end acknowledges it. Every
//! [`TICK`], each node lists the entries pending longer than the margin
//! (`XPENDING … IDLE`); one whose runner is another node and which has been
//! pending for longer than its execution's deadline (machine TimeoutSeconds,
//! at most 5 minutes) plus the margin cannot still be running there: this
//! node claims it (`XCLAIM`, which only one claimant wins) and runs it again
//! with the same name and ARN, counted in
//! `expressway_cluster_starts_reclaimed_total`. An entry pending for this
//! node that no longer runs here (a previous life of the same node id) is
//! claimed at once. A record that already ended is acknowledged and never
//! run again.

use std::sync::Arc;
use std::time::Duration;

use futures::future::{AbortHandle, Abortable};

use super::error::ClusterError;
use super::keys::GROUP;
use super::store::RedisStore;
use crate::engine::{ExecutionOutcome, ExecutionStatus, StopHandle};
use crate::errors::names as error_names;
use crate::start::records::Abort;
use crate::start::{Mode, StartInput, StartRequest, StartStore as _, Starter};

/// How often a node looks for starts to reclaim.
pub(crate) const TICK: Duration = Duration::from_millis(250);

/// Runs the reclaimer (and the heartbeat, [`super::members`]) on its own
/// thread; re-runs go to `runtime`.
pub(crate) fn spawn(
    store: Arc<RedisStore>,
    starter: Starter,
    runtime: tokio::runtime::Handle,
    margin: Duration,
) {
    let spawned = std::thread::Builder::new()
        .name("cluster-reclaim".to_owned())
        .spawn(move || {
            let mut beaten = std::time::Instant::now() - super::members::HEARTBEAT;
            loop {
                if beaten.elapsed() >= super::members::HEARTBEAT {
                    super::members::beat(&store);
                    beaten = std::time::Instant::now();
                }
                std::thread::sleep(TICK);
                if let Err(e) = reclaim(&store, &starter, &runtime, margin) {
                    tracing::debug!(error = %e, "cluster: reclaim pass failed");
                }
            }
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cluster: cannot start the reclaimer");
    }
}

/// One pass: claims and re-runs what is due.
fn reclaim(
    store: &Arc<RedisStore>,
    starter: &Starter,
    runtime: &tokio::runtime::Handle,
    margin: Duration,
) -> Result<(), ClusterError> {
    let keys = store.keys().clone();
    let margin_ms = u64::try_from(margin.as_millis()).unwrap_or(u64::MAX);
    let pending: Vec<(String, String, u64, u64)> = store.pool().with(|c| {
        redis::cmd("XPENDING")
            .arg(keys.starts())
            .arg(GROUP)
            .arg("IDLE")
            .arg(margin_ms)
            .arg("-")
            .arg("+")
            .arg(100)
            .query(c)
    })?;
    for (id, consumer, idle, _deliveries) in pending {
        let entry: Vec<(String, Vec<String>)> = store.pool().with(|c| {
            redis::cmd("XRANGE")
                .arg(keys.starts())
                .arg(&id)
                .arg(&id)
                .query(c)
        })?;
        let fields = entry.into_iter().next().map(|(_, f)| f).unwrap_or_default();
        let field = |name: &str| {
            fields
                .chunks(2)
                .find(|kv| kv[0] == name)
                .and_then(|kv| kv.get(1).cloned())
        };
        let Some(arn) = field("arn") else {
            ack(store, &id)?;
            continue;
        };
        let deadline: u64 = field("deadline")
            .and_then(|d| d.parse().ok())
            .unwrap_or(300_000);
        let min_idle = if consumer == store.node() {
            if store.runs_here(&arn) {
                continue;
            }
            margin_ms
        } else {
            deadline.saturating_add(margin_ms)
        };
        if idle < min_idle {
            continue;
        }
        let claimed: Vec<String> = store.pool().with(|c| {
            redis::cmd("XCLAIM")
                .arg(keys.starts())
                .arg(GROUP)
                .arg(store.node())
                .arg(min_idle)
                .arg(&id)
                .arg("JUSTID")
                .query(c)
        })?;
        if claimed.is_empty() {
            continue; // another node won it
        }
        let Some(stored) = store.stored(&arn)? else {
            ack(store, &id)?;
            continue;
        };
        if !stored.running() {
            // Ended (or stopped) before its runner acknowledged it.
            ack(store, &id)?;
            continue;
        }
        let record = stored.record()?;
        metrics::counter!(crate::metrics::CLUSTER_STARTS_RECLAIMED).increment(1);
        tracing::warn!(execution_arn = %arn, previous_runner = %consumer, "cluster: running a reclaimed start again");
        let (task, registration) = AbortHandle::new_pair();
        store.running_here(
            &arn,
            Abort {
                stop: StopHandle::new(),
                task,
            },
        );
        let store = Arc::clone(store);
        let starter = starter.clone();
        runtime.spawn(Abortable::new(
            async move {
                let outcome = rerun(&starter, &record).await;
                store.finish(&record.arn, outcome);
            },
            registration,
        ));
    }
    Ok(())
}

/// Runs a reclaimed start again: same machine, name (so same ARN), input
/// and start time.
async fn rerun(starter: &Starter, record: &crate::start::ExecutionRecord) -> ExecutionOutcome {
    let failed = |cause: String| ExecutionOutcome {
        status: ExecutionStatus::Failed,
        output: None,
        error: Some(error_names::RUNTIME.to_owned()),
        cause: Some(cause),
        stop_time: std::time::SystemTime::now(),
    };
    let request = StartRequest {
        state_machine_arn: &record.state_machine_arn,
        name: Some(&record.name),
        input: StartInput::Text(&record.input),
    };
    let mut prepared = match starter.prepare(request, Mode::Async) {
        Ok(p) => p,
        Err(e) => return failed(format!("the reclaimed start cannot run again: {e}")),
    };
    prepared.options.start_time = record.start;
    match starter.admit(&prepared).await {
        Ok(permit) => starter.run(prepared, permit).await.outcome,
        Err(e) => failed(format!("the reclaimed start was not admitted: {e}")),
    }
}

fn ack(store: &RedisStore, id: &str) -> Result<(), ClusterError> {
    store.pool().with(|c| {
        redis::pipe()
            .cmd("XACK")
            .arg(store.keys().starts())
            .arg(GROUP)
            .arg(id)
            .ignore()
            .cmd("XDEL")
            .arg(store.keys().starts())
            .arg(id)
            .ignore()
            .query::<()>(c)
    })
}
