//! [`RedisStore`]: the cluster's [`StartStore`]. The registry lives in a
//! Redis hash shared by every node, read through a local arc-swapped cache
//! ([`Machines`]) that pub/sub keeps current (a start reads the cache, no
//! round trip); the records of asynchronous starts live in Redis hashes,
//! their starts in a stream with a consumer group ([`super::records`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use dashmap::{DashMap, DashSet};

use super::error::ClusterError;
use super::finisher::End;
use super::io::Io;
use super::keys::{Keys, GROUP};
use super::machines::{decode, encode, millis};
use super::pool::Pool;
use super::records::{encode_outcome, Stored, ACCEPT, STOP};
use crate::engine::{Engine, ExecutionOutcome, ExecutionStatus};
use crate::start::records::Abort;
use crate::start::registry::log_settings;
use crate::start::registry::Machines;
use crate::start::{
    ExecutionRecord, MachineType, StartError, StartStore, StateMachine, Stopped, StoreCall,
    StoreFuture,
};

/// What a refresh of the cache from Redis found for one machine.
#[derive(Debug)]
pub(crate) enum Change {
    /// Added or changed: the machine now in the cache.
    Upserted(Arc<StateMachine>),
    /// Deleted (on another node).
    Removed,
    /// Nothing changed.
    Same,
}

/// The Redis-backed registry and execution records of one node.
pub struct RedisStore {
    pool: Pool,
    /// The asynchronous connection of the hot paths (`io.rs`).
    io: Io,
    /// The forwarded Task Token callbacks waiting for answers.
    replies: super::tokens::Replies,
    /// The service's activities, once shared ([`RedisStore::share_activities`]).
    activities: OnceLock<Arc<crate::api::activities::Activities>>,
    keys: Keys,
    node: String,
    cache: Machines,
    /// Machines created while Redis was unreachable: written to Redis
    /// (first writer wins) on the next resynchronisation.
    unsaved: DashSet<String>,
    /// The executions running on this node, by ARN (StopExecution aborts
    /// them; the reclaimer leaves them alone).
    running: Arc<DashMap<String, Abort>>,
    /// How long an ended execution's record is kept.
    retention: Duration,
    /// How many records are kept cluster-wide (the oldest are forgotten).
    kept: usize,
    /// Ends queued for the finisher.
    ends: crossbeam::channel::Sender<End>,
    /// The engine whose observer learns of machines read from Redis (set
    /// once the starter exists, [`RedisStore::announce_to`]).
    engine: OnceLock<Engine>,
    /// Whether the whole registry has been read from Redis once (until
    /// then `/readyz` says not ready: an instance started before its Redis
    /// does not know the machines created elsewhere).
    synced: AtomicBool,
    /// This node's copy of the versions and aliases (`versions.rs`).
    versions: Arc<crate::start::MemoryVersions>,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("node", &self.node)
            .field("machines", &self.cache.len())
            .finish()
    }
}

/// How long a registry write waits for the registry lock.
const LOCK_WAIT: Duration = Duration::from_secs(2);

/// Deletes the registry lock if it still holds the caller's token.
static UNLOCK: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0",
    )
});

impl RedisStore {
    /// A store on `pool` for the node `node`, keys under `keys`.
    pub(crate) fn new(
        pool: Pool,
        io: Io,
        keys: Keys,
        node: String,
        retention: Duration,
        kept: usize,
        ends: crossbeam::channel::Sender<End>,
    ) -> Self {
        RedisStore {
            pool,
            io,
            replies: super::tokens::Replies::default(),
            activities: OnceLock::new(),
            keys,
            node,
            cache: Machines::default(),
            unsaved: DashSet::new(),
            running: Arc::new(DashMap::new()),
            retention,
            kept: kept.max(1),
            ends,
            engine: OnceLock::new(),
            synced: AtomicBool::new(false),
            versions: Arc::default(),
        }
    }

    /// Tells `engine`'s observer of every machine read from Redis from now
    /// on (a new definition version or logging configuration, a deletion).
    pub(crate) fn announce_to(&self, engine: Engine) {
        let _ = self.engine.set(engine);
    }

    /// The engine set by [`RedisStore::announce_to`].
    pub(crate) fn engine(&self) -> Option<&Engine> {
        self.engine.get()
    }

    /// This node's copy of the versions and aliases.
    pub(crate) fn versions(&self) -> &crate::start::MemoryVersions {
        &self.versions
    }

    /// The machine `arn` in this node's cache (no Redis read).
    pub(crate) fn cached(&self, arn: &str) -> Option<Arc<StateMachine>> {
        self.cache.get(arn)
    }

    /// The connection pool.
    pub(crate) fn pool(&self) -> &Pool {
        &self.pool
    }

    /// The asynchronous connection (for the hot paths).
    pub(crate) fn io(&self) -> &Io {
        &self.io
    }

    /// Keeps `activities` in step with the cluster's (`activities.rs`).
    pub(crate) fn share_activities(&self, activities: Arc<crate::api::activities::Activities>) {
        let _ = self.activities.set(activities);
    }

    /// The activities set by [`RedisStore::share_activities`].
    pub(crate) fn activities(&self) -> Option<&Arc<crate::api::activities::Activities>> {
        self.activities.get()
    }

    /// The forwarded callbacks waiting for answers (`tokens.rs`).
    pub(crate) fn replies(&self) -> &super::tokens::Replies {
        &self.replies
    }

    /// Whether Redis failed to answer either connection lately.
    pub(crate) fn known_down(&self) -> bool {
        self.pool.known_down() || self.io.known_down()
    }

    /// The key names.
    pub(crate) fn keys(&self) -> &Keys {
        &self.keys
    }

    /// This node's id (its consumer name in the starts group).
    pub(crate) fn node(&self) -> &str {
        &self.node
    }

    /// Whether the execution `arn` runs on this node now.
    pub(crate) fn runs_here(&self, arn: &str) -> bool {
        self.running.contains_key(arn)
    }

    /// Notes that `arn` runs on this node, abortable by `abort`.
    pub(crate) fn running_here(&self, arn: &str, abort: Abort) {
        self.running.insert(arn.to_owned(), abort);
    }

    /// Aborts the execution `arn` if it runs on this node (a stop made on
    /// another node).
    pub(crate) fn abort_here(&self, arn: &str) {
        if let Some((_, abort)) = self.running.remove(arn) {
            abort.abort();
        }
    }

    /// Creates the starts stream and its consumer group if missing.
    ///
    /// # Errors
    /// [`ClusterError::Unavailable`].
    pub(crate) fn ensure_group(&self) -> Result<(), ClusterError> {
        let made = self.pool.with(|c| {
            redis::cmd("XGROUP")
                .arg("CREATE")
                .arg(self.keys.starts())
                .arg(GROUP)
                .arg("0")
                .arg("MKSTREAM")
                .query::<()>(c)
        });
        match made {
            Err(ClusterError::Unavailable(e)) if e.contains("BUSYGROUP") => Ok(()),
            other => other,
        }
    }

    /// Puts `machine` in the local cache (replacing any version).
    fn put(&self, machine: StateMachine) -> Arc<StateMachine> {
        let fresh = machine.clone();
        match self.cache.update(&machine.arn, move |sm| {
            *sm = fresh;
            Ok::<(), ()>(())
        }) {
            Some(Ok(((), sm))) => sm,
            _ => match self.cache.insert_new(machine) {
                Ok(sm) | Err(sm) => sm,
            },
        }
    }

    /// Reads the machine `arn` from Redis into the cache.
    ///
    /// # Errors
    /// [`ClusterError`] when Redis is unreachable or the record unreadable.
    pub(crate) fn refresh(&self, arn: &str) -> Result<Change, ClusterError> {
        let text: Option<String> = self.pool.with(|c| {
            redis::cmd("HGET")
                .arg(self.keys.machines())
                .arg(arn)
                .query(c)
        })?;
        self.apply(arn, text.as_deref())
    }

    fn apply(&self, arn: &str, text: Option<&str>) -> Result<Change, ClusterError> {
        let known = self.cache.get(arn);
        let Some(text) = text else {
            if self.unsaved.contains(arn) {
                return Ok(Change::Same);
            }
            return Ok(match self.cache.remove(arn) {
                Some(old) => {
                    if let Some(engine) = self.engine.get() {
                        engine.unregister_machine(&old.machine);
                    }
                    Change::Removed
                }
                None => Change::Same,
            });
        };
        if let Some(k) = &known {
            if encode(k) == text {
                return Ok(Change::Same);
            }
        }
        let machine = decode(text, known.as_ref())?;
        let reload = known.as_ref().is_none_or(|k| {
            !Arc::ptr_eq(&k.machine, &machine.machine) || k.logging != machine.logging
        });
        let machine = self.put(machine);
        if let (true, Some(engine)) = (reload, self.engine.get()) {
            engine.register_machine(
                &machine.machine,
                &machine.name,
                &log_settings(&machine.logging),
            );
        }
        Ok(Change::Upserted(machine))
    }

    /// Writes the machines created while Redis was down, then reads the
    /// whole registry into the cache (healing any missed announcement).
    ///
    /// # Errors
    /// [`ClusterError`] when Redis is unreachable.
    pub(crate) fn resync(&self) -> Result<(), ClusterError> {
        let unsaved: Vec<String> = self.unsaved.iter().map(|a| a.clone()).collect();
        for arn in unsaved {
            if let Some(sm) = self.cache.get(&arn) {
                self.pool.with(|c| {
                    let added: i64 = redis::cmd("HSETNX")
                        .arg(self.keys.machines())
                        .arg(&arn)
                        .arg(encode(&sm))
                        .query(c)?;
                    if added == 1 {
                        redis::cmd("PUBLISH")
                            .arg(self.keys.registry_channel())
                            .arg(&arn)
                            .query::<()>(c)?;
                    }
                    Ok(())
                })?;
            }
            self.unsaved.remove(&arn);
        }
        let all: HashMap<String, String> = self
            .pool
            .with(|c| redis::cmd("HGETALL").arg(self.keys.machines()).query(c))?;
        for (arn, text) in &all {
            if let Err(e) = self.apply(arn, Some(text)) {
                tracing::warn!(arn = %arn, error = %e, "cluster: skipped a state machine");
            }
        }
        for arn in self.cache.snapshot().keys() {
            if !all.contains_key(arn) {
                self.apply(arn, None)?;
            }
        }
        if !self.synced.swap(true, Ordering::AcqRel) {
            tracing::info!(
                machines = self.cache.len(),
                "cluster: registry read from Redis"
            );
            eprintln!(
                "expressway: cluster registry read from Redis ({} state machines)",
                self.cache.len()
            );
        }
        Ok(())
    }

    /// Takes the registry lock (a read-modify-write of one machine must
    /// not interleave with another node's) on the I/O thread; answers its
    /// token for [`RedisStore::unlock`].
    pub(crate) async fn lock(&self) -> Result<String, ClusterError> {
        let token = uuid::Uuid::new_v4().to_string();
        let key = self.keys.registry_lock();
        let mine = token.clone();
        self.io
            .run(move |mut c| async move {
                let began = Instant::now();
                loop {
                    let got: Option<String> = redis::cmd("SET")
                        .arg(&key)
                        .arg(&mine)
                        .arg("NX")
                        .arg("PX")
                        .arg(5_000)
                        .query_async(&mut c)
                        .await?;
                    if got.is_some() {
                        return Ok(true);
                    }
                    if began.elapsed() > LOCK_WAIT {
                        return Ok(false);
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            })
            .await?
            .then_some(token)
            .ok_or_else(|| {
                ClusterError::Unavailable("the registry lock is held too long".to_owned())
            })
    }

    /// Releases the registry lock taken with `token` (if still ours).
    pub(crate) async fn unlock(&self, token: String) {
        let key = self.keys.registry_lock();
        let _ = self
            .io
            .run(move |mut c| async move {
                UNLOCK.key(key).arg(token).invoke_async::<i64>(&mut c).await
            })
            .await;
    }

    /// Reads the machine `arn` from Redis into the cache, on the I/O thread.
    pub(crate) async fn refresh_async(&self, arn: &str) -> Result<Change, ClusterError> {
        let (key, field) = (self.keys.machines(), arn.to_owned());
        let text: Option<String> = self
            .io
            .run(move |mut c| async move {
                redis::cmd("HGET")
                    .arg(key)
                    .arg(field)
                    .query_async(&mut c)
                    .await
            })
            .await?;
        self.apply(arn, text.as_deref())
    }

    /// Writes `machine` and announces it, on the I/O thread.
    async fn save(&self, machine: &StateMachine) -> Result<(), ClusterError> {
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("HSET")
            .arg(self.keys.machines())
            .arg(&machine.arn)
            .arg(encode(machine))
            .ignore()
            .cmd("PUBLISH")
            .arg(self.keys.registry_channel())
            .arg(&machine.arn)
            .ignore();
        self.io
            .run(move |mut c| async move { pipe.query_async::<()>(&mut c).await })
            .await
    }

    /// [`StartStore::update_machine`] under the registry lock.
    async fn update_locked(
        &self,
        arn: &str,
        change: &mut (dyn FnMut(&mut StateMachine) -> bool + Send),
    ) -> Result<Option<Option<Arc<StateMachine>>>, ClusterError> {
        let token = self.lock().await?;
        let done = async {
            let (Change::Upserted(_) | Change::Same) = self.refresh_async(arn).await? else {
                return Ok(None);
            };
            let Some(current) = self.cache.get(arn) else {
                return Ok(None);
            };
            let mut next = StateMachine::clone(&current);
            if !change(&mut next) {
                return Ok(Some(None));
            }
            self.save(&next).await?;
            Ok(Some(Some(self.put(next))))
        }
        .await;
        self.unlock(token).await;
        done
    }

    /// Reads the record of `arn`.
    ///
    /// # Errors
    /// [`ClusterError::Unavailable`].
    pub(crate) fn stored(&self, arn: &str) -> Result<Option<Stored>, ClusterError> {
        let fields: HashMap<String, String> = self
            .pool
            .with(|c| redis::cmd("HGETALL").arg(self.keys.execution(arn)).query(c))?;
        Ok((!fields.is_empty()).then_some(Stored { fields }))
    }

    /// How long an ended execution's record is kept.
    pub(crate) fn retention(&self) -> Duration {
        self.retention
    }

    /// Forgets that `arn` runs here (its end is recorded).
    pub(crate) fn ran_here(&self, arn: &str) {
        self.running.remove(arn);
    }

    /// The executions running here (the finisher's tasks forget them).
    pub(crate) fn running(&self) -> &Arc<DashMap<String, Abort>> {
        &self.running
    }

    /// The queue of the finisher's thread.
    pub(crate) fn ends(&self) -> &crossbeam::channel::Sender<End> {
        &self.ends
    }
}

impl StartStore for RedisStore {
    /// From the cache (no round trip); the listener puts a machine created
    /// on another node there within milliseconds, and a start reads one not
    /// announced yet with [`StartStore::fetch_machine`].
    fn machine(&self, arn: &str) -> Option<Arc<StateMachine>> {
        self.cache.get(arn)
    }

    /// From the cache; a machine not cached yet (created on another node
    /// a few milliseconds ago, not yet announced here) is read from Redis
    /// on the asynchronous connection, so a client that creates on one
    /// node and starts on another at once finds it, and the serving thread
    /// keeps serving meanwhile.
    fn fetch_machine<'a>(&'a self, arn: &'a str) -> StoreCall<'a, Option<Arc<StateMachine>>> {
        if let Some(sm) = self.cache.get(arn) {
            return Box::pin(std::future::ready(Some(sm)));
        }
        Box::pin(async move {
            if self.known_down() {
                return None;
            }
            match self.refresh_async(arn).await {
                Ok(Change::Upserted(machine)) => Some(machine),
                // The listener put it in the cache meanwhile (it read the
                // same announcement): `Same`, and the cache has it.
                Ok(Change::Same) => self.cache.get(arn),
                _ => None,
            }
        })
    }

    fn machines(&self) -> Vec<Arc<StateMachine>> {
        self.cache.snapshot().values().cloned().collect()
    }

    fn machine_count(&self) -> usize {
        self.cache.len()
    }

    /// HSETNX (first writer wins) and, when added, an announcement, on the
    /// I/O thread. While Redis is unreachable the machine is kept here and
    /// written on reconnection (first writer wins).
    fn insert_machine(
        &self,
        machine: StateMachine,
    ) -> StoreCall<'_, Result<Arc<StateMachine>, Arc<StateMachine>>> {
        let (hash, channel) = (self.keys.machines(), self.keys.registry_channel());
        let (arn, text) = (machine.arn.clone(), encode(&machine));
        let written = self.io.run(move |mut c| async move {
            let (added, existing): (i64, Option<String>) = redis::pipe()
                .atomic()
                .cmd("HSETNX")
                .arg(&hash)
                .arg(&arn)
                .arg(text)
                .cmd("HGET")
                .arg(&hash)
                .arg(&arn)
                .query_async(&mut c)
                .await?;
            if added == 1 {
                redis::cmd("PUBLISH")
                    .arg(channel)
                    .arg(&arn)
                    .query_async::<()>(&mut c)
                    .await?;
            }
            Ok((added == 1, existing))
        });
        Box::pin(async move {
            let arn = machine.arn.clone();
            match written.await {
                Ok((true, _)) => Ok(self.put(machine)),
                Ok((false, Some(text))) => match decode(&text, self.cache.get(&arn).as_ref()) {
                    Ok(existing) => Err(self.put(existing)),
                    Err(e) => {
                        tracing::warn!(arn = %arn, error = %e, "cluster: unreadable machine replaced");
                        Ok(self.put(machine))
                    }
                },
                Ok((false, None)) => Ok(self.put(machine)),
                Err(e) => {
                    // Kept here and written on reconnection (first writer wins).
                    tracing::warn!(arn = %arn, error = %e, "cluster: state machine created locally only until Redis is back");
                    self.unsaved.insert(arn);
                    self.cache.insert_new(machine)
                }
            }
        })
    }

    fn update_machine<'a>(
        &'a self,
        arn: &'a str,
        change: &'a mut (dyn FnMut(&mut StateMachine) -> bool + Send),
    ) -> StoreCall<'a, Option<Option<Arc<StateMachine>>>> {
        Box::pin(async move {
            match self.update_locked(arn, change).await {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(arn = %arn, error = %e, "cluster: state machine changed locally only");
                    let changed =
                        self.cache
                            .update(arn, |sm| if change(sm) { Ok(()) } else { Err(()) })?;
                    Some(changed.ok().map(|((), sm)| sm))
                }
            }
        })
    }

    fn remove_machine<'a>(&'a self, arn: &'a str) -> StoreCall<'a, Option<Arc<StateMachine>>> {
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("HDEL")
            .arg(self.keys.machines())
            .arg(arn)
            .ignore()
            .cmd("PUBLISH")
            .arg(self.keys.registry_channel())
            .arg(arn)
            .ignore();
        let removed = self
            .io
            .run(move |mut c| async move { pipe.query_async::<()>(&mut c).await });
        Box::pin(async move {
            if let Err(e) = removed.await {
                tracing::warn!(arn = %arn, error = %e, "cluster: state machine deleted locally only");
            }
            self.unsaved.remove(arn);
            self.cache.remove(arn)
        })
    }

    /// Recorded as [`StartStore::accept_execution`] records it, without
    /// waiting for the answer (the write is already queued on the I/O
    /// thread; a failure leaves it unrecorded).
    fn insert_execution(&self, record: ExecutionRecord) {
        drop(self.accept_execution(record, Duration::from_secs(300)));
    }

    /// One Lua script on the asynchronous connection (`io.rs`): the
    /// caller's thread keeps serving until Redis acknowledges the write.
    fn accept_execution(
        &self,
        record: ExecutionRecord,
        deadline: Duration,
    ) -> StoreFuture<Result<(), StartError>> {
        // Noted as running here before it is pending for this node, so that
        // the reclaimer never takes it from under its runner.
        if let Some(abort) = &record.abort {
            self.running.insert(record.arn.clone(), abort.clone());
        }
        let mut invocation = ACCEPT.key(self.keys.starts());
        invocation
            .key(self.keys.execution(&record.arn))
            .key(self.keys.executions_of(&record.state_machine_arn))
            .key(self.keys.all_executions())
            .arg(GROUP)
            .arg(&self.node)
            .arg(&record.arn)
            .arg(&record.state_machine_arn)
            .arg(&record.name)
            .arg(&record.input)
            .arg(millis(record.start))
            .arg(u64::try_from(deadline.as_millis()).unwrap_or(u64::MAX))
            .arg(self.kept)
            .arg(self.keys.prefix());
        let origin = record.origin.as_deref();
        // Indexed by machine for ListExecutions, which answers STANDARD
        // machines only (a record of an unknown machine is indexed).
        let standard = match origin {
            Some(o) => o.machine.kind == MachineType::Standard,
            None => self
                .cache
                .get(&record.state_machine_arn)
                .is_none_or(|m| m.kind == MachineType::Standard),
        };
        invocation
            .arg(origin.and_then(|o| o.version_arn.as_deref()).unwrap_or(""))
            .arg(origin.and_then(|o| o.alias_arn.as_deref()).unwrap_or(""))
            .arg(if standard { "1" } else { "0" });
        let accepted = self
            .io
            .run(move |mut c| async move { invocation.invoke_async::<String>(&mut c).await });
        let running = self.running.clone();
        let arn = record.arn;
        Box::pin(async move {
            match accepted.await {
                Ok(_) => Ok(()),
                Err(e) => {
                    running.remove(&arn);
                    Err(e.into())
                }
            }
        })
    }

    fn not_ready(&self) -> Option<String> {
        (!self.synced.load(Ordering::Acquire)).then(|| {
            "the cluster's registry has not been read from Redis yet (unreachable since start-up)"
                .to_owned()
        })
    }

    fn check_available(&self) -> Result<(), StartError> {
        if self.known_down() {
            return Err(StartError::ServiceUnavailable(
                "the cluster's Redis is unreachable".to_owned(),
            ));
        }
        Ok(())
    }

    /// Records the end without making the execution's task wait for it:
    /// on a shard, one Lua script sent on the shard's own connection by a
    /// task of its own (no other thread woken; a failure hands the end to
    /// the finisher, which retries); elsewhere queued for the finisher
    /// (`finisher.rs`). `false` when the execution was stopped here
    /// meanwhile (its record keeps ABORTED).
    fn finish(&self, arn: &str, outcome: ExecutionOutcome) -> bool {
        let running = self.running.contains_key(arn);
        let end = (arn.to_owned(), outcome);
        let end = match self.io.local() {
            Some(conn) if !self.io.known_down() => {
                super::finisher::spawn_here(self, conn, end);
                return running;
            }
            _ => end,
        };
        if self.ends.send(end).is_err() {
            tracing::warn!(execution_arn = %arn, "cluster: outcome not recorded (no finisher)");
        }
        running
    }

    /// One Lua script on the I/O thread.
    fn stop<'a>(
        &'a self,
        arn: &'a str,
        error: Option<String>,
        cause: Option<String>,
        stop_time: SystemTime,
    ) -> StoreCall<'a, Option<Stopped>> {
        let outcome = ExecutionOutcome {
            status: ExecutionStatus::Aborted,
            output: None,
            error,
            cause,
            stop_time,
        };
        let mut invocation = STOP.key(self.keys.execution(arn));
        invocation
            .key(self.keys.starts())
            .arg(GROUP)
            .arg(encode_outcome(&outcome))
            .arg(self.retention.as_secs().max(1))
            .arg(self.keys.stop_channel())
            .arg(arn);
        let answer = self.io.run(move |mut c| async move {
            invocation.invoke_async::<(i64, String)>(&mut c).await
        });
        Box::pin(async move {
            match answer.await {
                Ok((1, start)) => {
                    self.abort_here(arn);
                    Some(Stopped::Aborted(super::machines::from_millis(
                        start.parse().unwrap_or(0),
                    )))
                }
                Ok((0, _)) => Some(Stopped::AlreadyEnded),
                Ok(_) => None,
                Err(e) => {
                    tracing::warn!(execution_arn = %arn, error = %e, "cluster: stop not recorded");
                    None
                }
            }
        })
    }

    fn execution(&self, arn: &str) -> Option<ExecutionRecord> {
        let stored = match self.stored(arn) {
            Ok(s) => s?,
            Err(e) => {
                tracing::warn!(execution_arn = %arn, error = %e, "cluster: record unreadable");
                return None;
            }
        };
        let mut record = stored.record_in(&self.versions).ok()?;
        if matches!(record.progress, crate::start::Progress::Running) {
            record.abort = self.running.get(arn).map(|a| a.clone());
        }
        Some(record)
    }

    /// On the asynchronous connection (`io.rs`).
    fn fetch_execution(&self, arn: &str) -> StoreFuture<Option<ExecutionRecord>> {
        let key = self.keys.execution(arn);
        let read = self.io.run(move |mut c| async move {
            redis::cmd("HGETALL")
                .arg(key)
                .query_async::<HashMap<String, String>>(&mut c)
                .await
        });
        let running = self.running.clone();
        let versions = Arc::clone(&self.versions);
        let arn = arn.to_owned();
        Box::pin(async move {
            let fields = match read.await {
                Ok(f) => f,
                Err(e) => {
                    tracing::warn!(execution_arn = %arn, error = %e, "cluster: record unreadable");
                    return None;
                }
            };
            if fields.is_empty() {
                return None;
            }
            let mut record = Stored { fields }.record_in(&versions).ok()?;
            if matches!(record.progress, crate::start::Progress::Running) {
                record.abort = running.get(&arn).map(|a| a.clone());
            }
            Some(record)
        })
    }

    /// An execution running on this node is retained (known without a
    /// round trip: what the console's recorder asks on the shard as each
    /// execution begins); any other is looked up in Redis.
    fn contains_execution(&self, arn: &str) -> bool {
        self.running.contains_key(arn) || self.execution(arn).is_some()
    }

    /// An execution running on this node is retained; any other is looked
    /// up with one EXISTS on the asynchronous connection.
    fn fetch_contains_execution<'a>(&'a self, arn: &'a str) -> StoreCall<'a, bool> {
        if self.running.contains_key(arn) {
            return Box::pin(std::future::ready(true));
        }
        let key = self.keys.execution(arn);
        let read = self.io.run(move |mut c| async move {
            redis::cmd("EXISTS")
                .arg(key)
                .query_async::<bool>(&mut c)
                .await
        });
        Box::pin(async move {
            read.await.unwrap_or_else(|e| {
                tracing::warn!(execution_arn = %arn, error = %e, "cluster: record unreadable");
                false
            })
        })
    }

    /// Two round trips on the I/O thread: the newest 1,000 ARNs of the
    /// machine's index, then their records in one pipeline.
    fn executions_of<'a>(
        &'a self,
        state_machine_arn: &'a str,
    ) -> StoreCall<'a, Vec<ExecutionRecord>> {
        let index = self.keys.executions_of(state_machine_arn);
        let keys = self.keys.clone();
        let read = self.io.run(move |mut c| async move {
            let arns: Vec<String> = redis::cmd("ZREVRANGE")
                .arg(index)
                .arg(0)
                .arg(999)
                .query_async(&mut c)
                .await?;
            if arns.is_empty() {
                return Ok(Vec::new());
            }
            let mut pipe = redis::pipe();
            for arn in &arns {
                pipe.cmd("HGETALL").arg(keys.execution(arn));
            }
            let records: Vec<HashMap<String, String>> = pipe.query_async(&mut c).await?;
            Ok(arns.into_iter().zip(records).collect::<Vec<_>>())
        });
        Box::pin(async move {
            let found = match read.await {
                Ok(found) => found,
                Err(e) => {
                    tracing::warn!(state_machine_arn = %state_machine_arn, error = %e, "cluster: executions unreadable");
                    return Vec::new();
                }
            };
            found
                .into_iter()
                .filter(|(_, fields)| !fields.is_empty())
                .filter_map(|(arn, fields)| {
                    let mut record = Stored { fields }.record_in(&self.versions).ok()?;
                    if matches!(record.progress, crate::start::Progress::Running) {
                        record.abort = self.running.get(&arn).map(|a| a.clone());
                    }
                    Some(record)
                })
                .collect()
        })
    }
}
