//! Membership and the cluster gauges: every node heartbeats into a sorted
//! set (`expressway:members`, score = last heartbeat in ms) every
//! [`HEARTBEAT`]; members silent for [`MEMBER_TTL`] are dropped. Each
//! heartbeat also sets this node's gauges: live members, starts pending in
//! the consumer group, and whether Redis answers.

use std::time::{Duration, SystemTime};

use super::error::ClusterError;
use super::keys::GROUP;
use super::machines::millis;
use super::store::RedisStore;
use crate::metrics::{CLUSTER_MEMBERS, CLUSTER_REDIS_UP, CLUSTER_STARTS_PENDING};

/// How often a node heartbeats.
pub(crate) const HEARTBEAT: Duration = Duration::from_secs(1);

/// How long a node that stopped heartbeating still counts as a member.
pub(crate) const MEMBER_TTL: Duration = Duration::from_secs(5);

/// One heartbeat; sets the gauges (`expressway_cluster_redis_up` 0 when
/// Redis did not answer).
pub(crate) fn beat(store: &RedisStore) {
    match try_beat(store) {
        Ok((members, pending)) => {
            metrics::gauge!(CLUSTER_MEMBERS).set(members as f64);
            metrics::gauge!(CLUSTER_STARTS_PENDING).set(pending as f64);
            metrics::gauge!(CLUSTER_REDIS_UP).set(1.0);
        }
        Err(e) => {
            tracing::debug!(error = %e, "cluster: heartbeat failed");
            metrics::gauge!(CLUSTER_REDIS_UP).set(0.0);
        }
    }
}

fn try_beat(store: &RedisStore) -> Result<(u64, u64), ClusterError> {
    let keys = store.keys();
    let now = millis(SystemTime::now());
    let expired = now.saturating_sub(u64::try_from(MEMBER_TTL.as_millis()).unwrap_or(0));
    let (members, pending): (u64, redis::Value) = store.pool().with(|c| {
        redis::pipe()
            .cmd("ZADD")
            .arg(keys.members())
            .arg(now)
            .arg(store.node())
            .ignore()
            .cmd("ZREMRANGEBYSCORE")
            .arg(keys.members())
            .arg("-inf")
            .arg(format!("({expired}"))
            .ignore()
            .cmd("ZCARD")
            .arg(keys.members())
            .cmd("XPENDING")
            .arg(keys.starts())
            .arg(GROUP)
            .query(c)
    })?;
    // XPENDING's summary: [count, first id, last id, [[consumer, n], …]].
    let pending = match pending {
        redis::Value::Array(items) => match items.first() {
            Some(redis::Value::Int(n)) => u64::try_from(*n).unwrap_or(0),
            _ => 0,
        },
        _ => 0,
    };
    Ok((members, pending))
}
