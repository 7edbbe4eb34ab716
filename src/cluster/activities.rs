//! Activities across instances (issue 13 item 3): the cluster's
//! [`SharedActivities`].
//!
//! - **Registry.** Activities live in a Redis hash (`activities`, ARN →
//!   JSON); a creation or deletion is announced on a channel and applied on
//!   every node by the listener (`listen.rs`), which also reads the whole
//!   hash again every few seconds.
//! - **Queues.** A Task scheduled on an activity is pushed on the
//!   activity's Redis list (`activity-tasks:<arn>`, RPUSH). GetActivityTask
//!   on any node takes the oldest entry with BLPOP on a connection of its
//!   own (a blocking command would hold up the shared one): Redis hands
//!   each entry to exactly one taker, so each Task is delivered once.
//! - **Start and answer.** The taker tells the scheduling node (pub/sub
//!   `activity-started:<node>`) so that its HeartbeatSeconds clock starts,
//!   as AWS starts it at `ActivityStarted`; the worker's SendTaskSuccess is
//!   a Task Token callback, forwarded to that node (`tokens.rs`). A Task
//!   that ends before any worker took it is withdrawn from the list (LREM).
//!
//! Every command of a serving thread runs on the asynchronous connection
//! (`io.rs`); the registry writes (CreateActivity, DeleteActivity) are
//! queued there without waiting. The listener's reads (`refresh`,
//! `resync`) run on its own thread.

use std::sync::{Arc, Weak};
use std::time::Duration;

use serde_json::json;

use super::error::ClusterError;
use super::machines::{from_millis, millis};
use super::store::RedisStore;
use crate::api::activities::{
    Activities, Activity, QueueError, SharedActivities, SharedActivity, SharedFuture,
};

/// The [`SharedActivities`] of a cluster node.
pub(crate) struct RedisActivities {
    store: Arc<RedisStore>,
}

impl RedisActivities {
    /// Activities in `store`'s Redis.
    pub(crate) fn new(store: Arc<RedisStore>) -> Self {
        RedisActivities { store }
    }
}

/// The stored JSON of an activity.
fn encode(activity: &Activity) -> String {
    json!({
        "name": activity.name,
        "created": millis(activity.created),
        "tags": activity.tags,
    })
    .to_string()
}

fn decode(text: &str) -> Result<SharedActivity, ClusterError> {
    let corrupt = |why: String| ClusterError::Corrupt(format!("activity: {why}"));
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| corrupt(e.to_string()))?;
    let name = v["name"]
        .as_str()
        .ok_or_else(|| corrupt("no name".to_owned()))?;
    let tags: Vec<(String, String)> =
        serde_json::from_value(v["tags"].clone()).map_err(|e| corrupt(e.to_string()))?;
    Ok((
        name.to_owned(),
        from_millis(v["created"].as_u64().unwrap_or(0)),
        tags,
    ))
}

/// Reads the activity `arn` from Redis into `activities` (created or
/// deleted on another node).
///
/// # Errors
/// [`ClusterError`] when Redis is unreachable.
pub(crate) fn refresh(
    store: &RedisStore,
    activities: &Activities,
    arn: &str,
) -> Result<(), ClusterError> {
    let text: Option<String> = store.pool().with(|c| {
        redis::cmd("HGET")
            .arg(store.keys().activities())
            .arg(arn)
            .query(c)
    })?;
    match text {
        Some(t) => activities.apply_shared(arn, Some(decode(&t)?)),
        None => activities.apply_shared(arn, None),
    }
    Ok(())
}

/// Reads every activity from Redis into `activities`; forgets the ones
/// no longer there.
///
/// # Errors
/// [`ClusterError`] when Redis is unreachable.
pub(crate) fn resync(store: &RedisStore, activities: &Activities) -> Result<(), ClusterError> {
    let all: std::collections::HashMap<String, String> = store.pool().with(|c| {
        redis::cmd("HGETALL")
            .arg(store.keys().activities())
            .query(c)
    })?;
    for (arn, text) in &all {
        match decode(text) {
            Ok(d) => activities.apply_shared(arn, Some(d)),
            Err(e) => {
                tracing::warn!(activity_arn = %arn, error = %e, "cluster: skipped an activity")
            }
        }
    }
    for known in activities.list() {
        if !all.contains_key(&known.arn) {
            activities.apply_shared(&known.arn, None);
        }
    }
    Ok(())
}

impl SharedActivities for RedisActivities {
    fn node(&self) -> &str {
        self.store.node()
    }

    /// HSETNX (the first creation wins) and an announcement, queued on the
    /// I/O thread: the serving thread does not wait for Redis (the activity
    /// exists on this instance at once, on the others within milliseconds).
    fn created(&self, activity: &Activity) {
        let keys = self.store.keys();
        let mut pipe = redis::pipe();
        pipe.cmd("HSETNX")
            .arg(keys.activities())
            .arg(&activity.arn)
            .arg(encode(activity))
            .ignore()
            .cmd("PUBLISH")
            .arg(keys.activities_channel())
            .arg(&activity.arn)
            .ignore();
        let arn = activity.arn.clone();
        self.store.io().spawn(move |mut c| async move {
            if let Err(e) = pipe.query_async::<()>(&mut c).await {
                tracing::warn!(activity_arn = %arn, error = %e, "cluster: activity created on this instance only");
            }
        });
    }

    /// HDEL, its queue deleted, an announcement, queued on the I/O thread.
    fn deleted(&self, arn: &str) {
        let keys = self.store.keys();
        let mut pipe = redis::pipe();
        pipe.cmd("HDEL")
            .arg(keys.activities())
            .arg(arn)
            .ignore()
            .cmd("DEL")
            .arg(keys.activity_tasks(arn))
            .ignore()
            .cmd("PUBLISH")
            .arg(keys.activities_channel())
            .arg(arn)
            .ignore();
        let arn = arn.to_owned();
        self.store.io().spawn(move |mut c| async move {
            if let Err(e) = pipe.query_async::<()>(&mut c).await {
                tracing::warn!(activity_arn = %arn, error = %e, "cluster: activity deleted on this instance only");
            }
        });
    }

    fn push(&self, arn: &str, entry: String) -> SharedFuture<Result<(), QueueError>> {
        let key = self.store.keys().activity_tasks(arn);
        let pushed = self.store.io().run(move |mut c| async move {
            redis::cmd("RPUSH")
                .arg(key)
                .arg(entry)
                .query_async::<i64>(&mut c)
                .await
        });
        Box::pin(async move {
            pushed
                .await
                .map(|_| ())
                .map_err(|e| QueueError(Box::new(e)))
        })
    }

    fn withdraw(&self, arn: &str, entry: String) {
        let key = self.store.keys().activity_tasks(arn);
        // Runs on the I/O thread whether or not it is awaited.
        drop(self.store.io().run(move |mut c| async move {
            redis::cmd("LREM")
                .arg(key)
                .arg(1)
                .arg(entry)
                .query_async::<i64>(&mut c)
                .await
        }));
    }

    fn take(&self, arn: &str, wait: Duration) -> SharedFuture<Option<String>> {
        let key = self.store.keys().activity_tasks(arn);
        let client = self.store.io().client().clone();
        let taken = self.store.io().run(move |_| async move {
            let config = redis::AsyncConnectionConfig::new()
                .set_connection_timeout(Some(Duration::from_secs(1)))
                .set_response_timeout(Some(wait + Duration::from_secs(2)));
            let mut own = client
                .get_multiplexed_async_connection_with_config(&config)
                .await?;
            redis::cmd("BLPOP")
                .arg(key)
                .arg(wait.as_secs_f64().max(0.01))
                .query_async::<Option<(String, String)>>(&mut own)
                .await
        });
        let store: Weak<RedisStore> = Arc::downgrade(&self.store);
        Box::pin(async move {
            match taken.await {
                Ok(entry) => entry.map(|(_, e)| e),
                Err(e) => {
                    tracing::warn!(error = %e, "cluster: GetActivityTask could not read the queue");
                    if store.upgrade().is_some() {
                        // Do not answer an empty poll at once in a loop.
                        tokio::time::sleep(wait.min(Duration::from_millis(500))).await;
                    }
                    None
                }
            }
        })
    }

    fn started(&self, node: &str, token: &str) {
        let channel = self.store.keys().activity_started(node);
        let token = token.to_owned();
        drop(self.store.io().run(move |mut c| async move {
            redis::cmd("PUBLISH")
                .arg(channel)
                .arg(token)
                .query_async::<i64>(&mut c)
                .await
        }));
    }
}
