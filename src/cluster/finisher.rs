//! The finisher: records the ends of executions in Redis without making
//! the executions wait. An execution that ends on a shard sends its end on
//! the shard's own connection from a task of its own ([`spawn_here`]:
//! concurrent ends of a shard share the connection's pipeline, and no other
//! thread is woken); an end that fails there, or that happens off a shard,
//! is queued for the finisher's thread, which writes whatever has queued up
//! in one pipeline (one round trip for up to [`BATCH`] ends) on a pooled
//! connection, retrying while Redis is unreachable. Once written, this node
//! forgets that it runs them. Until then the start stays pending for this
//! node (the reclaimer leaves it alone: it still runs here); if the node
//! dies first, another runs it again after its deadline (at least once).

use std::sync::Weak;
use std::time::Duration;

use crossbeam::channel::Receiver;
use redis::aio::ConnectionManager;

use super::keys::GROUP;
use super::records::{encode_outcome, FINISH};
use super::store::RedisStore;
use crate::engine::ExecutionOutcome;

/// Most ends written in one round trip.
pub(crate) const BATCH: usize = 512;

/// An execution's end, queued for the finisher.
pub(crate) type End = (String, ExecutionOutcome);

/// Runs the finisher on its own thread until the store is dropped.
pub(crate) fn spawn(store: Weak<RedisStore>, ends: Receiver<End>) {
    let spawned = std::thread::Builder::new()
        .name("cluster-finish".to_owned())
        .spawn(move || {
            while let Ok(first) = ends.recv() {
                let mut batch = vec![first];
                while batch.len() < BATCH {
                    match ends.try_recv() {
                        Ok(end) => batch.push(end),
                        Err(_) => break,
                    }
                }
                let Some(store) = store.upgrade() else {
                    return;
                };
                write(&store, &batch);
            }
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cluster: cannot start the finisher");
    }
}

/// Writes `end` on `conn` (the caller's shard's connection) from a task
/// spawned on the caller's runtime, then forgets that it runs here; on a
/// failure the finisher's thread takes it over (and retries).
pub(crate) fn spawn_here(store: &RedisStore, mut conn: ConnectionManager, end: End) {
    let keys = store.keys();
    let (arn, outcome) = end;
    let mut invocation = FINISH.key(keys.execution(&arn));
    invocation
        .key(keys.starts())
        .arg(GROUP)
        .arg(outcome.status.as_str())
        .arg(encode_outcome(&outcome))
        .arg(store.retention().as_secs().max(1));
    let running = std::sync::Arc::clone(store.running());
    let ends = store.ends().clone();
    drop(tokio::spawn(async move {
        match invocation.invoke_async::<i64>(&mut conn).await {
            Ok(_) => {
                running.remove(&arn);
            }
            Err(e) => {
                tracing::debug!(execution_arn = %arn, error = %e, "cluster: end handed to the finisher");
                if ends.send((arn, outcome)).is_err() {
                    tracing::warn!("cluster: outcome not recorded (no finisher)");
                }
            }
        }
    }));
}

/// Writes `batch`, retrying for a while when Redis is unreachable (the
/// starts stay pending meanwhile), then forgets that they run here.
fn write(store: &RedisStore, batch: &[End]) {
    let keys = store.keys();
    let retention = store.retention().as_secs().max(1);
    for attempt in 0..20 {
        let written = store.pool().with(|c| {
            let mut pipe = redis::pipe();
            for (arn, outcome) in batch {
                pipe.invoke_script(
                    FINISH
                        .key(keys.execution(arn))
                        .key(keys.starts())
                        .arg(GROUP)
                        .arg(outcome.status.as_str())
                        .arg(encode_outcome(outcome))
                        .arg(retention),
                )
                .ignore();
            }
            match pipe.query::<()>(c) {
                // EVALSHA of a script this Redis has not seen (restarted):
                // nothing ran; load it and send again.
                Err(e) if e.code() == Some("NOSCRIPT") => {
                    FINISH.load(c)?;
                    pipe.query::<()>(c)
                }
                other => other,
            }
        });
        match written {
            Ok(()) => break,
            Err(e) => {
                tracing::warn!(error = %e, attempt, "cluster: execution ends not recorded yet");
                std::thread::sleep(Duration::from_millis(250));
            }
        }
    }
    for (arn, _) in batch {
        store.ran_here(arn);
    }
}
