//! The finisher: records the ends of executions in Redis off the
//! executions' threads. An ended execution is queued here; one thread
//! writes whatever has queued up in one pipeline (one round trip for up to
//! [`BATCH`] ends), then forgets that this node runs them. Until then the
//! start stays pending for this node (the reclaimer leaves it alone: it
//! still runs here); if the node dies first, another runs it again after
//! its deadline (at least once).

use std::sync::Weak;
use std::time::Duration;

use crossbeam::channel::Receiver;

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
