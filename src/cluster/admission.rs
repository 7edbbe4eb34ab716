//! Cluster-wide admission (issue 13 item 4): the per-machine and global
//! token buckets of [`crate::admission`] kept in Redis, so that a limit of
//! R starts/s holds for the cluster as a whole, whatever instance each
//! start reaches.
//!
//! A Lua script ([`GCRA_LUA`], on the asynchronous connection, `io.rs`)
//! runs the GCRA schedule of both buckets atomically on Redis's clock
//! (`TIME`, so the instances' clocks need not agree) and answers the
//! start's wait, which the instance then sleeps; past `max_wait_ms` or
//! `max_queue` it refuses the start. Every instance must be configured with
//! the same limits: each start carries its instance's.
//!
//! **Leased batches while tokens are plenty.** A round trip per start was
//! measured first: exact, but on 2 cores it cost StartSyncExecution a third
//! of its throughput and collapsed at 3,000 async starts/s (README,
//! "Running several instances"). So when both buckets hold enough tokens,
//! the script grants a batch: as many tokens as the slower bucket refills
//! in [`LEASE_WINDOW`] (at most [`MAX_LEASE`], at most the bursts), which
//! this instance spends locally with no round trip until the window ends;
//! the tokens of a batch not spent by then are dropped, never carried into
//! a burst. Only a start that finds no leased token asks Redis, and only
//! such starts wait or are refused, in the cluster-wide FIFO order of the
//! schedule. A batch's window starts when it arrives, and batches that
//! cross (several starts found the lease spent at once) add up instead of
//! the last replacing the others: measured on the loaded 2-core machine,
//! windows counted from the request expired before slow answers arrived
//! and crossing batches were thrown away, so 42 % of the starts at 1,000/s
//! made a round trip. (Asking for one batch at a time, the starts meanwhile
//! asking for their own token, was tried: at 3,000 synchronous starts/s
//! half of them then made a round trip.) The cost: an instance may admit a batch's tokens up to one
//! window earlier than a start-by-start schedule would, and tokens stranded
//! on an idle instance are lost to the others for at most one window.
//!
//! Keys: `admission:machine:<name>` and `admission:global`, each the
//! bucket's theoretical arrival time in µs, expiring once the bucket is
//! full again.

use std::sync::{Arc, LazyLock, Weak};
use std::time::{Duration, Instant};

use dashmap::DashMap;

use super::store::RedisStore;
use crate::admission::shared::SharedFuture;
use crate::admission::{Refusal, Schedule, Scope, SharedAnswer, SharedBuckets, Throttled};

/// How long a leased batch of tokens may be spent.
pub(crate) const LEASE_WINDOW: Duration = Duration::from_millis(10);

/// The most tokens one lease grants.
pub(crate) const MAX_LEASE: u64 = 100;

/// [`GCRA_LUA`], loaded once per process.
static GCRA: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(GCRA_LUA));

/// Reserves one token in a machine bucket, then in the global bucket, as
/// the local buckets do (`admission/bucket.rs`): admitted at
/// `max(now, tat - tolerance)`; `tat` moves one interval on. A refused start
/// takes nothing.
///
/// KEYS: machine bucket, global bucket. ARGV: machine interval, tolerance,
/// max wait (µs), max queue; the same four for the global bucket; bounded
/// (`1`: the whole wait is bounded by the machine's max wait); the batch
/// asked for (granted whole when both buckets hold that many tokens now,
/// else one token on the schedule). Returns `{0, wait µs, tokens}`, or
/// `{code, 0, 0}` with code 1 machine max wait, 2 machine max queue, 3
/// global max wait, 4 global max queue.
const GCRA_LUA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local mi, mt, mw, mq = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local gi, gt, gw, gq = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local n = tonumber(ARGV[10])
local mtat = tonumber(redis.call('GET', KEYS[1]) or '0')
local gtat = tonumber(redis.call('GET', KEYS[2]) or '0')
if n > 1 and mtat + (n - 1) * mi - mt <= now and gtat + (n - 1) * gi - gt <= now then
  mtat = math.max(mtat, now) + n * mi
  gtat = math.max(gtat, now) + n * gi
  redis.call('SET', KEYS[1], string.format('%d', mtat), 'PX', math.floor((mtat - now) / 1000) + 1000)
  redis.call('SET', KEYS[2], string.format('%d', gtat), 'PX', math.floor((gtat - now) / 1000) + 1000)
  return {0, 0, n}
end
local mat = math.max(now, mtat - mt)
if mat > now then
  if mat - now > mw then return {1, 0, 0} end
  if (mat - now) / mi >= mq then return {2, 0, 0} end
end
local gat = math.max(mat, gtat - gt)
if gat > mat then
  local limit = gw
  if ARGV[9] == '1' then limit = math.min(gw, mw - (mat - now)) end
  if gat - mat > limit then return {3, 0, 0} end
  if (gat - now) / gi >= gq then return {4, 0, 0} end
end
mtat = math.max(mtat, mat) + mi
gtat = math.max(gtat, gat) + gi
redis.call('SET', KEYS[1], string.format('%d', mtat), 'PX', math.floor((mtat - now) / 1000) + 1000)
redis.call('SET', KEYS[2], string.format('%d', gtat), 'PX', math.floor((gtat - now) / 1000) + 1000)
return {0, gat - now, 1}
";

/// Tokens of one machine leased to this instance.
#[derive(Debug, Clone, Copy)]
struct Lease {
    tokens: u64,
    until: Instant,
}

/// The [`SharedBuckets`] of a cluster node.
pub(crate) struct RedisBuckets {
    store: Weak<RedisStore>,
    leases: Arc<DashMap<String, Lease>>,
}

impl RedisBuckets {
    /// Buckets in `store`'s Redis.
    pub(crate) fn new(store: &Arc<RedisStore>) -> Self {
        RedisBuckets {
            store: Arc::downgrade(store),
            leases: Arc::new(DashMap::new()),
        }
    }

    /// Spends a leased token of `machine`, if one is left in its window.
    fn spend(&self, machine: &str) -> bool {
        let Some(mut lease) = self.leases.get_mut(machine) else {
            return false;
        };
        if lease.tokens == 0 || Instant::now() >= lease.until {
            return false;
        }
        lease.tokens -= 1;
        true
    }
}

/// How many tokens to ask for at once: what the slower bucket refills in
/// [`LEASE_WINDOW`], at most [`MAX_LEASE`] and the smaller burst (a batch
/// must fit in a full bucket); 1 (no lease) for slow buckets.
fn batch(limits: Schedule, global: Schedule) -> u64 {
    let window = u64::try_from(LEASE_WINDOW.as_micros()).unwrap_or(u64::MAX);
    let interval = limits.interval_us.max(global.interval_us).max(1);
    let burst = |s: Schedule| s.tolerance_us / s.interval_us.max(1) + 1;
    (window / interval)
        .min(MAX_LEASE)
        .min(burst(limits))
        .min(burst(global))
        .max(1)
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
        if self.spend(machine) {
            return Box::pin(std::future::ready(SharedAnswer::Admitted(Duration::ZERO)));
        }
        let Some(store) = self.store.upgrade() else {
            return Box::pin(std::future::ready(SharedAnswer::Unavailable));
        };
        let asked = batch(limits, global);
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
        invocation.arg(if bounded { "1" } else { "0" }).arg(asked);
        let answered = store.io().run(move |mut c| async move {
            invocation.invoke_async::<(i64, i64, i64)>(&mut c).await
        });
        let leases = Arc::clone(&self.leases);
        let machine = machine.to_owned();
        let window = Duration::from_micros(
            limits
                .interval_us
                .max(global.interval_us)
                .saturating_mul(asked),
        );
        Box::pin(async move {
            let answer = answered.await;
            let granted = match &answer {
                Ok((0, _, granted)) => u64::try_from(*granted).unwrap_or(0),
                _ => 0,
            };
            if granted > 1 {
                // The window starts when the batch arrives: its tokens were
                // charged in Redis before, so spending them later is never
                // above the schedule (a window counted from the request
                // could be over before a slow answer arrives). Tokens still
                // valid are kept: two batches that cross add up.
                let now = Instant::now();
                let mut lease = leases.entry(machine).or_insert(Lease {
                    tokens: 0,
                    until: now,
                });
                if now >= lease.until {
                    lease.tokens = 0;
                }
                lease.tokens += granted - 1;
                lease.until = now + window;
            }
            match answer {
                Ok((0, wait, _)) => {
                    SharedAnswer::Admitted(Duration::from_micros(u64::try_from(wait).unwrap_or(0)))
                }
                Ok((code, ..)) => {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admission::Limits;

    fn schedule(rate: f64, burst: u32) -> Schedule {
        Schedule::of(&Limits {
            rate,
            burst,
            max_wait_ms: 0,
            max_queue: 10,
        })
    }

    #[test]
    fn batches_are_what_the_slower_bucket_refills_in_a_window() {
        // 10,000/s: 100 tokens in 10 ms.
        assert_eq!(
            batch(schedule(10_000.0, 10_000), schedule(50_000.0, 50_000)),
            100
        );
        // The global bucket is slower: 20 in 10 ms.
        assert_eq!(
            batch(schedule(10_000.0, 10_000), schedule(2_000.0, 2_000)),
            20
        );
        // Never more than a burst.
        assert_eq!(batch(schedule(10_000.0, 5), schedule(50_000.0, 50_000)), 5);
        // Slow buckets: one token per round trip.
        assert_eq!(batch(schedule(20.0, 5), schedule(50_000.0, 50_000)), 1);
    }
}
