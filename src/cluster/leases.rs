//! Kinesis shard leases in Redis: N `consume kinesis --cluster` instances
//! share a stream's shards, after the Kinesis Client Library's lease table
//! (KCL `DynamoDBLeaseTaker` / `DynamoDBLeaseRenewer`; AWS guide "Use a
//! lease table to track the shards processed by the KCL consumer
//! application").
//!
//! # Layout
//!
//! Per lease scope ([`LeaseScope`]: the stream and the state machine, as a
//! KCL application), under the cluster prefix (`expressway:`):
//!
//! * `kinesis:<stream>:<machine>:leases`: the set of shard ids;
//! * `kinesis:<stream>:<machine>:lease:<shard>`: one hash per shard:
//!   `owner` (node id, empty when free), `expires` (ms on the Redis clock),
//!   `counter` (incremented by every take: KCL's `leaseCounter`),
//!   `parents` (comma-separated parent shard ids), `checkpoint` (the
//!   consumer's position, JSON, written by `checkpoints.rs` only while this
//!   node owns the lease), `ended` (`1` once the shard was read to its end:
//!   KCL's `SHARD_END`), `lag` (the holder's last `MillisBehindLatest`);
//! * `kinesis:<stream>:<machine>:workers`: the live consumers (score: last
//!   scan, ms on the Redis clock).
//!
//! Every change is one Lua script, timed by Redis's own clock (`TIME`), so
//! instances with skewed clocks agree on expiry.
//!
//! # Behaviour (as KCL)
//!
//! * A holder renews its leases every third of the lease duration; a renewal
//!   that finds another owner means the lease was stolen or taken over: the
//!   holder stops reading that shard (its checkpoints are refused from then
//!   on, `checkpoints.rs`). A holder that could not renew for a whole lease
//!   duration stops reading too.
//! * [`plan`] (KCL `computeLeasesToTake`): the target is
//!   ⌈leases / workers⌉ (1 when workers ≥ leases); a worker under target
//!   takes expired or free leases up to it; when none is free it steals one
//!   lease at a time from the most loaded worker, if that one holds more
//!   than the target (or exactly the target while this one needs more than
//!   one). A lease whose holder has been silent for three lease durations is
//!   taken whatever the target.
//! * Parents before children: a shard is not taken while one of its parents
//!   (split or merge) still has a lease that has not ended, so a child's
//!   records run after every record of its parents.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use rand::seq::SliceRandom;
use redis::Script;

use super::consumers::ConsumerNode;
use super::error::ClusterError;

/// Whose leases: a stream read for one state machine (a KCL application).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseScope {
    /// The stream name.
    pub stream: String,
    /// The state machine name the records start.
    pub machine: String,
}

/// One lease as a scan read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseView {
    /// The shard id.
    pub shard_id: String,
    /// The holder (`None`: free).
    pub owner: Option<String>,
    /// When the holder's lease ends unless renewed, ms on the Redis clock.
    pub expires_ms: u64,
    /// Takes so far (a take succeeds only if it is unchanged since the scan).
    pub counter: u64,
    /// The parent shard ids (a split's parent, a merge's two parents).
    pub parents: Vec<String>,
    /// Whether the shard was read to its end.
    pub ended: bool,
    /// The holder's last `MillisBehindLatest`.
    pub lag_ms: Option<u64>,
}

impl LeaseView {
    /// Whether nobody holds it now (free, or its holder did not renew).
    pub fn available(&self, now_ms: u64) -> bool {
        self.owner.is_none() || self.expires_ms < now_ms
    }
}

/// The lease table and the live workers, at one instant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scan {
    /// The Redis clock at the scan, ms since the Unix epoch.
    pub now_ms: u64,
    /// The consumers that scanned within the last lease duration.
    pub workers: Vec<String>,
    /// Every lease.
    pub leases: Vec<LeaseView>,
}

/// A lease [`plan`] decided to take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// The shard id.
    pub shard_id: String,
    /// The lease's counter at the scan.
    pub counter: u64,
    /// The worker it is stolen from (`None`: it is free or expired).
    pub victim: Option<String>,
}

/// A lease taken: the shard's checkpoint as stored (JSON) and who held it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taken {
    /// The stored checkpoint (`None`: never checkpointed).
    pub checkpoint: Option<String>,
    /// The previous holder (`None`: it was free).
    pub previous: Option<String>,
}

/// Leases of shards whose parents have all ended (or are gone from the
/// table), not ended themselves: the ones that may be read now.
pub fn eligible(scan: &Scan) -> Vec<&LeaseView> {
    let open: HashSet<&str> = scan
        .leases
        .iter()
        .filter(|l| !l.ended)
        .map(|l| l.shard_id.as_str())
        .collect();
    scan.leases
        .iter()
        .filter(|l| !l.ended && l.parents.iter().all(|p| !open.contains(p.as_str())))
        .collect()
}

/// The leases `me` should take now (KCL `computeLeasesToTake` and
/// `chooseLeasesToSteal`, at most one steal per scan), in random order so
/// that workers scanning together contend less.
pub fn plan(me: &str, scan: &Scan, duration: Duration) -> Vec<Claim> {
    let now = scan.now_ms;
    let duration_ms = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
    let leases = eligible(scan);
    if leases.is_empty() {
        return Vec::new();
    }
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for l in &leases {
        if let (false, Some(owner)) = (l.available(now), &l.owner) {
            *counts.entry(owner.as_str()).or_default() += 1;
        }
    }
    let mut workers: HashSet<&str> = scan.workers.iter().map(String::as_str).collect();
    workers.extend(counts.keys().copied());
    workers.insert(me);
    let mine = counts.get(me).copied().unwrap_or(0);
    let claim = |l: &LeaseView, victim: Option<String>| Claim {
        shard_id: l.shard_id.clone(),
        counter: l.counter,
        victim,
    };
    let mut rng = rand::rng();
    // Leases whose holder has been silent for three lease durations: taken
    // whatever the target (a live worker that stopped taking must not
    // strand them).
    let mut very_old: Vec<&LeaseView> = leases
        .iter()
        .copied()
        .filter(|l| {
            l.owner.is_some() && l.expires_ms.saturating_add(duration_ms.saturating_mul(2)) < now
        })
        .collect();
    if !very_old.is_empty() {
        very_old.shuffle(&mut rng);
        return very_old.into_iter().map(|l| claim(l, None)).collect();
    }
    let (n, w) = (leases.len(), workers.len());
    let target = if w >= n { 1 } else { n.div_ceil(w) };
    let needed = target.saturating_sub(mine);
    if needed == 0 {
        return Vec::new();
    }
    let mut available: Vec<&LeaseView> = leases
        .iter()
        .copied()
        .filter(|l| l.available(now))
        .collect();
    if !available.is_empty() {
        available.shuffle(&mut rng);
        return available
            .into_iter()
            .take(needed)
            .map(|l| claim(l, None))
            .collect();
    }
    // Steal from the most loaded worker (ties: the first by name).
    let Some((&victim, &most)) = counts
        .iter()
        .filter(|(w, _)| **w != me)
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
    else {
        return Vec::new();
    };
    let over = most.saturating_sub(target);
    let steal = if most >= target && (over > 0 || needed > 1) {
        1
    } else {
        0
    };
    let mut theirs: Vec<&LeaseView> = leases
        .iter()
        .copied()
        .filter(|l| l.owner.as_deref() == Some(victim) && !l.available(now))
        .collect();
    theirs.shuffle(&mut rng);
    theirs
        .into_iter()
        .take(steal)
        .map(|l| claim(l, Some(victim.to_owned())))
        .collect()
}

/// Creates the leases of shards the table does not list yet.
const REGISTER: &str = r"
local n = 0
for i = 2, #ARGV, 2 do
  local key = ARGV[1] .. ARGV[i]
  if redis.call('EXISTS', key) == 0 then
    redis.call('HSET', key, 'owner', '', 'expires', 0, 'counter', 0, 'parents', ARGV[i + 1])
    n = n + 1
  end
  redis.call('SADD', KEYS[1], ARGV[i])
end
return n
";

/// Heartbeats this worker and reads the table: {now, workers, leases}.
const SCAN: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[2], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. (now - tonumber(ARGV[2])))
local workers = redis.call('ZRANGE', KEYS[2], 0, -1)
local leases = {}
for _, shard in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local f = redis.call('HMGET', ARGV[3] .. shard, 'owner', 'expires', 'counter', 'parents', 'ended', 'lag')
  table.insert(leases, {shard, f[1] or '', f[2] or '0', f[3] or '0', f[4] or '', f[5] or '', f[6] or ''})
end
return {tostring(now), workers, leases}
";

/// Takes a lease if its counter is unchanged and it is free or expired
/// (ARGV[4] empty), or still held by the victim ARGV[4] (a steal).
const TAKE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local f = redis.call('HMGET', KEYS[1], 'owner', 'expires', 'counter', 'ended', 'checkpoint')
if not f[3] or f[4] == '1' or f[3] ~= ARGV[3] then return false end
local owner = f[1] or ''
if ARGV[4] == '' then
  if owner ~= '' and tonumber(f[2] or '0') >= now then return false end
elseif owner ~= ARGV[4] then
  return false
end
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'expires', now + tonumber(ARGV[2]), 'counter', tonumber(f[3]) + 1)
return {f[5] or '', owner}
";

/// Renews every lease in KEYS still owned by ARGV[1]; ARGV[3 + i] is the
/// lag of KEYS[i] ('' unknown). One 1/0 per key.
const RENEW: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {}
for i, key in ipairs(KEYS) do
  if redis.call('HGET', key, 'owner') == ARGV[1] then
    redis.call('HSET', key, 'expires', now + tonumber(ARGV[2]))
    if ARGV[i + 2] ~= '' then redis.call('HSET', key, 'lag', ARGV[i + 2]) end
    out[i] = 1
  else
    out[i] = 0
  end
end
return out
";

/// Frees a lease still owned by ARGV[1] and drops ARGV[1] from the workers.
const RELEASE: &str = r"
if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'owner', '', 'expires', 0)
  return 1
end
return 0
";

/// The shard leases of one scope, used by one node.
#[derive(Debug, Clone)]
pub struct Leases {
    node: ConsumerNode,
    set: String,
    workers: String,
    lease_prefix: String,
    duration: Duration,
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn text(v: &redis::Value) -> String {
    match v {
        redis::Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        redis::Value::SimpleString(s) => s.clone(),
        redis::Value::Int(n) => n.to_string(),
        _ => String::new(),
    }
}

fn corrupt(what: &str) -> ClusterError {
    ClusterError::Corrupt(format!("lease scan: {what}"))
}

impl Leases {
    /// The leases of `scope` on `node`'s Redis, each held for `duration`
    /// unless renewed.
    pub(crate) fn new(node: ConsumerNode, scope: &LeaseScope, duration: Duration) -> Self {
        let base = format!(
            "{}kinesis:{}:{}:",
            node.prefix(),
            scope.stream,
            scope.machine
        );
        Leases {
            set: format!("{base}leases"),
            workers: format!("{base}workers"),
            lease_prefix: format!("{base}lease:"),
            node,
            duration,
        }
    }

    /// This node's id (the owner it writes).
    pub fn node_id(&self) -> &str {
        self.node.node_id()
    }

    /// How long a lease lasts unless renewed.
    pub fn duration(&self) -> Duration {
        self.duration
    }

    /// The hash of one shard's lease.
    pub(crate) fn key(&self, shard_id: &str) -> String {
        format!("{}{shard_id}", self.lease_prefix)
    }

    /// The node (for the checkpoint writes of `checkpoints.rs`).
    pub(crate) fn node(&self) -> &ConsumerNode {
        &self.node
    }

    /// Adds the leases of `shards` (id, parent ids) the table does not list
    /// yet (free, no checkpoint); returns how many were new.
    ///
    /// # Errors
    /// [`ClusterError::Unavailable`] when Redis does not answer.
    pub async fn register(&self, shards: &[(String, Vec<String>)]) -> Result<u64, ClusterError> {
        let script = Script::new(REGISTER);
        let mut call = script.key(&self.set);
        call.arg(&self.lease_prefix);
        for (id, parents) in shards {
            call.arg(id).arg(parents.join(","));
        }
        let mut conn = self.node.conn();
        Ok(call.invoke_async(&mut conn).await?)
    }

    /// Heartbeats this node as a worker of the scope and reads every lease.
    ///
    /// # Errors
    /// [`ClusterError::Unavailable`] when Redis does not answer,
    /// [`ClusterError::Corrupt`] when the answer is not a scan.
    pub async fn scan(&self) -> Result<Scan, ClusterError> {
        let mut conn = self.node.conn();
        let value: redis::Value = Script::new(SCAN)
            .key(&self.set)
            .key(&self.workers)
            .arg(self.node_id())
            .arg(ms(self.duration))
            .arg(&self.lease_prefix)
            .invoke_async(&mut conn)
            .await?;
        let redis::Value::Array(parts) = value else {
            return Err(corrupt("not an array"));
        };
        let [now, redis::Value::Array(workers), redis::Value::Array(leases)] = parts.as_slice()
        else {
            return Err(corrupt("not {now, workers, leases}"));
        };
        let now_ms = text(now).parse().map_err(|_| corrupt("time"))?;
        let workers = workers.iter().map(text).collect();
        let mut out = Vec::with_capacity(leases.len());
        for l in leases {
            let redis::Value::Array(f) = l else {
                return Err(corrupt("lease"));
            };
            let f: Vec<String> = f.iter().map(text).collect();
            let [shard, owner, expires, counter, parents, ended, lag] = f.as_slice() else {
                return Err(corrupt("lease fields"));
            };
            out.push(LeaseView {
                shard_id: shard.clone(),
                owner: (!owner.is_empty()).then(|| owner.clone()),
                expires_ms: expires.parse().unwrap_or(0),
                counter: counter.parse().unwrap_or(0),
                parents: parents
                    .split(',')
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned)
                    .collect(),
                ended: ended == "1",
                lag_ms: lag.parse().ok(),
            });
        }
        out.sort_by(|a, b| a.shard_id.cmp(&b.shard_id));
        Ok(Scan {
            now_ms,
            workers,
            leases: out,
        })
    }

    /// Takes the lease `claim` names, if nobody changed it since the scan;
    /// `None` when another worker was faster (or its holder renewed it).
    ///
    /// # Errors
    /// [`ClusterError::Unavailable`] when Redis does not answer.
    pub async fn take(&self, claim: &Claim) -> Result<Option<Taken>, ClusterError> {
        let mut conn = self.node.conn();
        let got: Option<(String, String)> = Script::new(TAKE)
            .key(self.key(&claim.shard_id))
            .arg(self.node_id())
            .arg(ms(self.duration))
            .arg(claim.counter)
            .arg(claim.victim.as_deref().unwrap_or(""))
            .invoke_async(&mut conn)
            .await?;
        Ok(got.map(|(checkpoint, previous)| Taken {
            checkpoint: (!checkpoint.is_empty()).then_some(checkpoint),
            previous: (!previous.is_empty()).then_some(previous),
        }))
    }

    /// Renews the leases of `shards` (id, last `MillisBehindLatest`) this
    /// node still owns; returns the ids it no longer owns.
    ///
    /// # Errors
    /// [`ClusterError::Unavailable`] when Redis does not answer.
    pub async fn renew(
        &self,
        shards: &[(String, Option<u64>)],
    ) -> Result<Vec<String>, ClusterError> {
        if shards.is_empty() {
            return Ok(Vec::new());
        }
        let script = Script::new(RENEW);
        let mut call = script.prepare_invoke();
        for (id, _) in shards {
            call.key(self.key(id));
        }
        call.arg(self.node_id()).arg(ms(self.duration));
        for (_, lag) in shards {
            call.arg(lag.map(|l| l.to_string()).unwrap_or_default());
        }
        let mut conn = self.node.conn();
        let kept: Vec<u8> = call.invoke_async(&mut conn).await?;
        Ok(shards
            .iter()
            .zip(kept.iter().copied().chain(std::iter::repeat(0)))
            .filter(|(_, k)| *k == 0)
            .map(|((id, _), _)| id.clone())
            .collect())
    }

    /// Frees the lease of `shard_id` if this node holds it (a clean stop:
    /// another worker takes it at its next scan instead of after expiry).
    ///
    /// # Errors
    /// [`ClusterError::Unavailable`] when Redis does not answer.
    pub async fn release(&self, shard_id: &str) -> Result<bool, ClusterError> {
        let mut conn = self.node.conn();
        let freed: u8 = Script::new(RELEASE)
            .key(self.key(shard_id))
            .arg(self.node_id())
            .invoke_async(&mut conn)
            .await?;
        Ok(freed == 1)
    }

    /// Leaves the scope's workers (after releasing every lease on a clean
    /// stop), so the others' targets count one worker less at once.
    ///
    /// # Errors
    /// [`ClusterError::Unavailable`] when Redis does not answer.
    pub async fn leave(&self) -> Result<(), ClusterError> {
        let mut conn = self.node.conn();
        redis::cmd("ZREM")
            .arg(&self.workers)
            .arg(self.node_id())
            .query_async::<()>(&mut conn)
            .await?;
        Ok(())
    }
}

/// Leases held per worker in `scan` (unexpired, eligible or not), and the
/// largest lag over the shards not ended.
pub fn summary(scan: &Scan) -> (HashMap<String, usize>, u64, usize) {
    let mut held: HashMap<String, usize> = HashMap::new();
    let mut lag = 0;
    let mut open = 0;
    for l in &scan.leases {
        if l.ended {
            continue;
        }
        open += 1;
        lag = lag.max(l.lag_ms.unwrap_or(0));
        if let (false, Some(owner)) = (l.available(scan.now_ms), &l.owner) {
            *held.entry(owner.clone()).or_default() += 1;
        }
    }
    (held, lag, open)
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: Duration = Duration::from_secs(10);
    const NOW: u64 = 1_000_000;

    fn lease(id: &str, owner: Option<&str>) -> LeaseView {
        LeaseView {
            shard_id: id.to_owned(),
            owner: owner.map(str::to_owned),
            expires_ms: if owner.is_some() { NOW + 5_000 } else { 0 },
            counter: 1,
            parents: Vec::new(),
            ended: false,
            lag_ms: None,
        }
    }

    fn scan(workers: &[&str], leases: Vec<LeaseView>) -> Scan {
        Scan {
            now_ms: NOW,
            workers: workers.iter().map(|w| (*w).to_owned()).collect(),
            leases,
        }
    }

    fn shards(n: usize, owner: impl Fn(usize) -> Option<&'static str>) -> Vec<LeaseView> {
        (0..n).map(|i| lease(&format!("s{i}"), owner(i))).collect()
    }

    #[test]
    fn free_leases_are_shared_by_target() {
        // 6 free shards, 3 workers: each takes 2.
        let s = scan(&["a", "b", "c"], shards(6, |_| None));
        let p = plan("a", &s, D);
        assert_eq!(p.len(), 2);
        assert!(p.iter().all(|c| c.victim.is_none()));
        // Alone, a worker takes them all.
        assert_eq!(plan("a", &scan(&["a"], shards(6, |_| None)), D).len(), 6);
        // 7 shards, 3 workers: target 3.
        assert_eq!(
            plan("a", &scan(&["a", "b", "c"], shards(7, |_| None)), D).len(),
            3
        );
        // More workers than shards: one each at most.
        assert_eq!(
            plan("a", &scan(&["a", "b", "c"], shards(2, |_| None)), D).len(),
            1
        );
    }

    #[test]
    fn a_worker_at_target_takes_nothing() {
        let s = scan(
            &["a", "b", "c"],
            shards(6, |i| Some(["a", "b", "c"][i % 3])),
        );
        for w in ["a", "b", "c"] {
            assert!(plan(w, &s, D).is_empty(), "{w}");
        }
    }

    #[test]
    fn expired_leases_of_a_dead_worker_are_taken() {
        // c died: its leases expired and it left the workers.
        let mut leases = shards(6, |i| Some(["a", "b", "c"][i % 3]));
        for l in leases
            .iter_mut()
            .filter(|l| l.owner.as_deref() == Some("c"))
        {
            l.expires_ms = NOW - 1;
        }
        let s = scan(&["a", "b"], leases);
        let p = plan("a", &s, D);
        assert_eq!(p.len(), 1, "target 3, holds 2: {p:?}");
        let taken = s.leases.iter().find(|l| l.shard_id == p[0].shard_id);
        assert_eq!(taken.and_then(|l| l.owner.as_deref()), Some("c"));
        assert_eq!(p[0].victim, None);
    }

    #[test]
    fn a_new_worker_steals_one_at_a_time_from_the_most_loaded() {
        // a holds 4, b holds 2, c just joined: target 2; steal 1 from a.
        let s = scan(
            &["a", "b", "c"],
            shards(6, |i| Some(if i < 4 { "a" } else { "b" })),
        );
        let p = plan("c", &s, D);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].victim.as_deref(), Some("a"));
        // b (at target) steals nothing; a holds more than the target.
        assert!(plan("b", &s, D).is_empty());
        assert!(plan("a", &s, D).is_empty());
        // 3 shards all on a, 3 workers: target 1, a is 2 over: c steals.
        let s = scan(&["a", "b", "c"], shards(3, |_| Some("a")));
        assert_eq!(plan("c", &s, D)[0].victim.as_deref(), Some("a"));
        // a at target with 2, c needs 2: steals 1; needing 1, it does not.
        let s = scan(
            &["a", "b", "c"],
            shards(5, |i| {
                Some(if i < 2 {
                    "a"
                } else if i < 4 {
                    "b"
                } else {
                    "c"
                })
            }),
        );
        // target 2; c holds 1, needs 1; a and b at target: no steal.
        assert!(plan("c", &s, D).is_empty());
    }

    #[test]
    fn leases_silent_for_three_durations_are_taken_whatever_the_target() {
        let mut leases = shards(4, |i| Some(if i < 2 { "a" } else { "z" }));
        for l in leases
            .iter_mut()
            .filter(|l| l.owner.as_deref() == Some("z"))
        {
            l.expires_ms = NOW - 25_000;
        }
        // "z" still listed as a worker (stuck): a is at target 2 but takes
        // the very old leases anyway.
        let s = scan(&["a", "z"], leases);
        let p = plan("a", &s, D);
        assert_eq!(p.len(), 2, "{p:?}");
    }

    #[test]
    fn children_wait_for_their_parents_to_end() {
        let mut parent = lease("s0", Some("a"));
        let mut left = lease("s1", None);
        left.parents = vec!["s0".into()];
        let mut right = lease("s2", None);
        right.parents = vec!["s0".into()];
        let s = scan(&["b"], vec![parent.clone(), left.clone(), right.clone()]);
        assert_eq!(eligible(&s).len(), 1);
        assert!(
            plan("b", &s, D).is_empty(),
            "b needs 1, a holds the only one"
        );
        parent.ended = true;
        parent.owner = None;
        let s = scan(
            &["a", "b"],
            vec![parent.clone(), left.clone(), right.clone()],
        );
        let ids: Vec<&str> = eligible(&s).iter().map(|l| l.shard_id.as_str()).collect();
        assert_eq!(ids, ["s1", "s2"]);
        assert_eq!(plan("b", &s, D).len(), 1);
        // A merge: both parents must end; a parent gone from the table
        // (trimmed) does not hold the child back.
        let mut merged = lease("s3", None);
        merged.parents = vec!["s1".into(), "gone".into()];
        let mut orphan = lease("s4", None);
        orphan.parents = vec!["gone".into()];
        let s = scan(&["b"], vec![parent, left, right, merged, orphan]);
        let ids: Vec<&str> = eligible(&s).iter().map(|l| l.shard_id.as_str()).collect();
        assert_eq!(ids, ["s1", "s2", "s4"]);
    }

    #[test]
    fn the_summary_counts_holders_and_the_worst_lag() {
        let mut leases = shards(3, |i| Some(["a", "a", "b"][i]));
        leases[0].lag_ms = Some(40);
        leases[2].lag_ms = Some(900);
        leases[1].ended = true;
        leases[1].lag_ms = Some(5_000);
        let (held, lag, open) = summary(&scan(&["a", "b"], leases));
        assert_eq!(held.get("a"), Some(&1));
        assert_eq!(held.get("b"), Some(&1));
        assert_eq!((lag, open), (900, 2));
    }
}
