//! The reclaimer: re-runs the asynchronous starts whose runner died.
//!
//! Every accepted start is pending in the starts stream's consumer group
//! for the node that runs it until its end acknowledges it. Every
//! [`TICK`], each node reads the next pages of the entries pending longer
//! than the margin (`XPENDING … IDLE`, up to 20,000 a pass, going on from
//! there next pass; each entry's ARN and deadline are read once); one whose runner is another node and which has been
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
            let mut scan = Scan::default();
            loop {
                if beaten.elapsed() >= super::members::HEARTBEAT {
                    super::members::beat(&store);
                    beaten = std::time::Instant::now();
                }
                std::thread::sleep(TICK);
                if let Err(e) = reclaim(&store, &starter, &runtime, margin, &mut scan) {
                    tracing::debug!(error = %e, "cluster: reclaim pass failed");
                }
            }
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cluster: cannot start the reclaimer");
    }
}

/// Pending entries read per `XPENDING` call.
const PAGE: usize = 500;

/// Pages read per pass (the next pass goes on from there).
const PAGES_PER_PASS: usize = 40;

/// Where the scan of the pending entries stands, and what is known of the
/// entries seen (each entry is read once: its ARN and deadline).
#[derive(Default)]
struct Scan {
    /// The last entry id read; `None`: start from the oldest.
    cursor: Option<String>,
    /// Entry id → (execution ARN, deadline ms).
    known: std::collections::HashMap<String, (String, u64)>,
    /// Entry ids seen since the scan last started from the oldest.
    seen: std::collections::HashSet<String>,
}

/// The ARN and deadline (ms) of the stream entry `id`; `None` when the
/// entry is gone.
fn entry(store: &RedisStore, id: &str) -> Result<Option<(String, u64)>, ClusterError> {
    let entry: Vec<(String, Vec<String>)> = store.pool().with(|c| {
        redis::cmd("XRANGE")
            .arg(store.keys().starts())
            .arg(id)
            .arg(id)
            .query(c)
    })?;
    let fields = entry.into_iter().next().map(|(_, f)| f).unwrap_or_default();
    let field = |name: &str| {
        fields
            .chunks(2)
            .find(|kv| kv[0] == name)
            .and_then(|kv| kv.get(1).cloned())
    };
    Ok(field("arn").map(|arn| {
        let deadline = field("deadline")
            .and_then(|d| d.parse().ok())
            .unwrap_or(300_000);
        (arn, deadline)
    }))
}

/// One pass: reads the next pages of entries pending past the margin, then
/// claims and re-runs what is due.
fn reclaim(
    store: &Arc<RedisStore>,
    starter: &Starter,
    runtime: &tokio::runtime::Handle,
    margin: Duration,
    scan: &mut Scan,
) -> Result<(), ClusterError> {
    let keys = store.keys().clone();
    let margin_ms = u64::try_from(margin.as_millis()).unwrap_or(u64::MAX);
    let mut pending: Vec<(String, String, u64, u64)> = Vec::new();
    for _ in 0..PAGES_PER_PASS {
        let start = match &scan.cursor {
            Some(id) => format!("({id}"),
            None => "-".to_owned(),
        };
        let page: Vec<(String, String, u64, u64)> = store.pool().with(|c| {
            redis::cmd("XPENDING")
                .arg(keys.starts())
                .arg(GROUP)
                .arg("IDLE")
                .arg(margin_ms)
                .arg(&start)
                .arg("+")
                .arg(PAGE)
                .query(c)
        })?;
        let full = page.len() == PAGE;
        for (id, ..) in &page {
            scan.seen.insert(id.clone());
        }
        scan.cursor = page.last().map(|(id, ..)| id.clone());
        pending.extend(page);
        if !full {
            // The end: the next pass starts from the oldest again, and
            // forgets the entries no longer pending.
            scan.cursor = None;
            let seen = std::mem::take(&mut scan.seen);
            scan.known.retain(|id, _| seen.contains(id));
            break;
        }
    }
    for (id, consumer, idle, _deliveries) in pending {
        let known = match scan.known.get(&id) {
            Some(k) => Some(k.clone()),
            None => entry(store, &id)?,
        };
        let Some((arn, deadline)) = known else {
            ack(store, &id)?;
            continue;
        };
        scan.known.insert(id.clone(), (arn.clone(), deadline));
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
        let Ok(record) = stored.record() else {
            tracing::warn!(execution_arn = %arn, "cluster: unreadable record, not run again");
            ack(store, &id)?;
            continue;
        };
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
        // The version it ran (not the alias's pick of now, nor the
        // machine's current definition).
        let run_arn = stored
            .version()
            .unwrap_or(&record.state_machine_arn)
            .to_owned();
        let store = Arc::clone(store);
        let starter = starter.clone();
        runtime.spawn(Abortable::new(
            async move {
                let outcome = rerun(&starter, &record, &run_arn).await;
                store.finish(&record.arn, outcome);
            },
            registration,
        ));
    }
    Ok(())
}

/// Runs a reclaimed start again: same machine (the version `run_arn` for a
/// start through a version or an alias), name (so same ARN), input and
/// start time.
async fn rerun(
    starter: &Starter,
    record: &crate::start::ExecutionRecord,
    run_arn: &str,
) -> ExecutionOutcome {
    let failed = |cause: String| ExecutionOutcome {
        status: ExecutionStatus::Failed,
        output: None,
        error: Some(error_names::RUNTIME.to_owned()),
        cause: Some(cause),
        stop_time: std::time::SystemTime::now(),
    };
    let request = StartRequest {
        state_machine_arn: run_arn,
        name: Some(&record.name),
        input: StartInput::Text(&record.input),
    };
    starter.load(run_arn).await;
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
