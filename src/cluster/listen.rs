//! The registry listener: a thread subscribed to the registry, versions and
//! stop channels that keeps this node's cache current (a machine created,
//! updated, tagged or deleted, a version published or deleted, an alias
//! created, updated or deleted on any node is visible here within
//! milliseconds), reads the whole registry every [`RESYNC`] to heal a missed
//! announcement, aborts the executions stopped on another node, and answers
//! the Task Token callbacks forwarded by other nodes (`tokens.rs`).
//! It reconnects by itself when Redis goes away.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::store::RedisStore;

/// How often the whole registry is read again.
pub(crate) const RESYNC: Duration = Duration::from_secs(5);

/// How long the listener waits before reconnecting.
const RECONNECT: Duration = Duration::from_millis(250);

/// Runs the listener on its own thread, for the life of the process.
pub(crate) fn spawn(store: Arc<RedisStore>) {
    let spawned = std::thread::Builder::new()
        .name("cluster-registry".to_owned())
        .spawn(move || loop {
            if let Err(e) = listen(&store) {
                tracing::warn!(error = %e, "cluster: registry listener reconnecting");
            }
            std::thread::sleep(RECONNECT);
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cluster: cannot start the registry listener");
    }
}

fn listen(store: &RedisStore) -> Result<(), Box<dyn std::error::Error>> {
    let mut conn = store
        .pool()
        .client()
        .get_connection_with_timeout(Duration::from_secs(1))?;
    let mut pubsub = conn.as_pubsub();
    pubsub.subscribe(store.keys().registry_channel())?;
    pubsub.subscribe(store.keys().stop_channel())?;
    pubsub.subscribe(store.keys().callbacks_channel())?;
    let replies = store.keys().replies_channel(store.node());
    pubsub.subscribe(&replies)?;
    let activity_changes = store.keys().activities_channel();
    pubsub.subscribe(&activity_changes)?;
    let activity_started = store.keys().activity_started(store.node());
    pubsub.subscribe(&activity_started)?;
    let versions = store.keys().versions_channel();
    pubsub.subscribe(&versions)?;
    pubsub.set_read_timeout(Some(Duration::from_millis(500)))?;
    // Subscribed first, then read: nothing announced in between is missed.
    store.ensure_group()?;
    resync(store)?;
    let mut synced = Instant::now();
    loop {
        match pubsub.get_message() {
            Ok(msg) => {
                let payload: String = msg.get_payload()?;
                let channel = msg.get_channel_name();
                if channel == store.keys().stop_channel() {
                    store.abort_here(&payload);
                } else if channel == replies {
                    store.replies().deliver(&payload);
                } else if channel == activity_started {
                    if let Some(activities) = store.activities() {
                        activities.started_elsewhere(&payload);
                    }
                } else if channel == versions {
                    super::versions::refresh(store, &payload)?;
                } else if channel == activity_changes {
                    if let Some(activities) = store.activities() {
                        super::activities::refresh(store, activities, &payload)?;
                    }
                } else if channel == store.keys().callbacks_channel() {
                    if let Some(engine) = store.engine() {
                        super::tokens::answer(store, engine.task_tokens(), &payload);
                    }
                } else {
                    store.refresh(&payload)?;
                }
            }
            Err(e) if e.is_timeout() => {}
            Err(e) => return Err(e.into()),
        }
        if synced.elapsed() >= RESYNC {
            resync(store)?;
            synced = Instant::now();
        }
    }
}

/// Reads the registry, the versions and aliases, and the activities again.
fn resync(store: &RedisStore) -> Result<(), super::error::ClusterError> {
    store.resync()?;
    super::versions::resync(store)?;
    if let Some(activities) = store.activities() {
        super::activities::resync(store, activities)?;
    }
    Ok(())
}
