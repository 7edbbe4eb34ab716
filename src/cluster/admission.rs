//! Cluster-wide admission (issue 13 item 4): the per-machine and global
//! token buckets of [`crate::admission`] kept in Redis, so that a limit of
//! R starts/s holds for the cluster as a whole, whatever instance each
//! start reaches.
//!
//! One Lua script per start ([`GCRA_LUA`], on the asynchronous connection,
//! `io.rs`) runs the GCRA schedule of both buckets atomically on Redis's
//! clock (`TIME`, so the instances' clocks need not agree) and answers the
//! start's wait, which the instance then sleeps. Why a round trip per start
//! rather than leased token batches: it is exact (no tokens stranded on an
//! instance that leased them, no burst above the limit when leases
//! overlap), it keeps FIFO order and `max_wait_ms` / `max_queue` cluster-
//! wide without any coordination of its own, and it costs one pipelined
//! loopback round trip that the serving shard does not wait on (measured in
//! the README, "Running several instances"). Every instance must be
//! configured with the same limits: each start carries its instance's.
//!
//! Keys: `admission:machine:<name>` and `admission:global`, each the
//! bucket's theoretical arrival time in µs, expiring once the bucket is
//! full again.

use std::sync::{Arc, LazyLock, Weak};
use std::time::Duration;

use super::store::RedisStore;
use crate::admission::shared::SharedFuture;
use crate::admission::{Refusal, Schedule, Scope, SharedAnswer, SharedBuckets, Throttled};

/// [`GCRA_LUA`], loaded once per process.
static GCRA: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(GCRA_LUA));

/// Reserves one token in a machine bucket, then in the global bucket, as
/// the local buckets do (`admission/bucket.rs`): admitted at
/// `max(now, tat - tolerance)`; `tat` moves one interval on. A refused start
/// takes nothing.
///
/// KEYS: machine bucket, global bucket. ARGV: machine interval, tolerance,
/// max wait (µs), max queue; the same four for the global bucket; bounded
/// (`1`: the whole wait is bounded by the machine's max wait). Returns
/// `{0, wait µs}`, or `{code, 0}` with code 1 machine max wait, 2 machine
/// max queue, 3 global max wait, 4 global max queue.
const GCRA_LUA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local mi, mt, mw, mq = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local gi, gt, gw, gq = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local mtat = tonumber(redis.call('GET', KEYS[1]) or '0')
local gtat = tonumber(redis.call('GET', KEYS[2]) or '0')
local mat = math.max(now, mtat - mt)
if mat > now then
  if mat - now > mw then return {1, 0} end
  if (mat - now) / mi >= mq then return {2, 0} end
end
local gat = math.max(mat, gtat - gt)
if gat > mat then
  local limit = gw
  if ARGV[9] == '1' then limit = math.min(gw, mw - (mat - now)) end
  if gat - mat > limit then return {3, 0} end
  if (gat - now) / gi >= gq then return {4, 0} end
end
mtat = math.max(mtat, mat) + mi
gtat = math.max(gtat, gat) + gi
redis.call('SET', KEYS[1], string.format('%d', mtat), 'PX', math.floor((mtat - now) / 1000) + 1000)
redis.call('SET', KEYS[2], string.format('%d', gtat), 'PX', math.floor((gtat - now) / 1000) + 1000)
return {0, gat - now}
";

/// The [`SharedBuckets`] of a cluster node.
pub(crate) struct RedisBuckets {
    store: Weak<RedisStore>,
}

impl RedisBuckets {
    /// Buckets in `store`'s Redis.
    pub(crate) fn new(store: &Arc<RedisStore>) -> Self {
        RedisBuckets {
            store: Arc::downgrade(store),
        }
    }
}

/// The refusal of a script's code.
fn refusal(code: i64) -> Option<Throttled> {
    let (scope, reason) = match code {
        1 => (Scope::Machine, Refusal::MaxWait),
        2 => (Scope::Machine, Refusal::MaxQueue),
        3 => (Scope::Global, Refusal::MaxWait),
        4 => (Scope::Global, Refusal::MaxQueue),
        _ => return None,
    };
    Some(Throttled { scope, reason })
}

impl SharedBuckets for RedisBuckets {
    fn reserve(
        &self,
        machine: &str,
        limits: Schedule,
        global: Schedule,
        bounded: bool,
    ) -> SharedFuture {
        let Some(store) = self.store.upgrade() else {
            return Box::pin(std::future::ready(SharedAnswer::Unavailable));
        };
        let keys = store.keys();
        let mut invocation = GCRA.key(keys.admission_machine(machine));
        invocation.key(keys.admission_global());
        for s in [limits, global] {
            invocation
                .arg(s.interval_us)
                .arg(s.tolerance_us)
                .arg(s.max_wait_us)
                .arg(s.max_queue);
        }
        invocation.arg(if bounded { "1" } else { "0" });
        let answered = store
            .io()
            .run(move |mut c| async move { invocation.invoke_async::<(i64, i64)>(&mut c).await });
        Box::pin(async move {
            match answered.await {
                Ok((0, wait)) => {
                    SharedAnswer::Admitted(Duration::from_micros(u64::try_from(wait).unwrap_or(0)))
                }
                Ok((code, _)) => {
                    refusal(code).map_or(SharedAnswer::Unavailable, SharedAnswer::Refused)
                }
                Err(e) => {
                    tracing::debug!(error = %e, "cluster: shared admission unavailable, local buckets used");
                    SharedAnswer::Unavailable
                }
            }
        })
    }
}
