//! Versions and aliases in the cluster (issue 13 item 1, as state machines):
//! the cluster's [`VersionStore`].
//!
//! - **Storage.** Per state machine, a hash of its versions
//!   (`versions:<machine ARN>`, number → JSON with the machine snapshot as
//!   the registry stores it) and a hash of its aliases
//!   (`aliases:<machine ARN>`, name → JSON); the hash `versioned` lists the
//!   machines that have either, with the last version number given (never
//!   reused, as on AWS).
//! - **Reads** answer from this node's copy ([`MemoryVersions`]), so a start
//!   through a version or alias ARN reads no Redis; a version or alias not
//!   in the copy yet (published on another node a moment ago) is read from
//!   Redis once, as a machine is.
//! - **Changes** run under the registry lock on the asynchronous
//!   connection (the serving thread awaits them): the machine's versions and
//!   aliases are read again, the change is checked and applied on the copy
//!   with the in-memory rules (idempotent publish per revision, quotas, an
//!   alias's versions cannot be deleted), written, and announced on the
//!   `versions-changed` channel; every node's listener reads that machine's
//!   versions and aliases again (within milliseconds), and the whole set
//!   every few seconds.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::SystemTime;

use serde_json::{json, Value};

use super::error::ClusterError;
use super::machines::{decode, encode, from_millis, millis};
use super::store::RedisStore;
use crate::start::versions::{is_version_qualifier, split_qualified};
use crate::start::{
    Alias, MemoryVersions, Route, StateMachine, StoreCall, Version, VersionError, VersionStore,
};

/// What Redis holds for one machine: the last number given, its versions'
/// and its aliases' JSON.
type Family = (
    Option<u64>,
    HashMap<String, String>,
    HashMap<String, String>,
);

/// The cluster's [`VersionStore`] on a node.
pub(crate) struct RedisVersions {
    store: Arc<RedisStore>,
}

impl RedisVersions {
    /// Versions and aliases in `store`'s Redis, copied in its memory.
    pub(crate) fn new(store: Arc<RedisStore>) -> Self {
        RedisVersions { store }
    }
}

fn encode_version(v: &Version) -> String {
    json!({
        "number": v.number,
        "description": v.description,
        "created": millis(v.created),
        "machine": encode(&v.machine),
    })
    .to_string()
}

fn encode_alias(a: &Alias) -> String {
    json!({
        "name": a.name,
        "description": a.description,
        "routing": a.routing.iter().map(|r| json!({"versionArn": r.version_arn, "weight": r.weight})).collect::<Vec<_>>(),
        "created": millis(a.created),
        "updated": millis(a.updated),
    })
    .to_string()
}

fn decode_version(
    text: &str,
    machine_arn: &str,
    known: &[Arc<Version>],
    current: Option<&Arc<StateMachine>>,
) -> Result<Arc<Version>, ClusterError> {
    let corrupt = |why: &str| ClusterError::Corrupt(format!("version of {machine_arn}: {why}"));
    let v: Value = serde_json::from_str(text).map_err(|e| corrupt(&e.to_string()))?;
    let number = v["number"].as_u64().ok_or_else(|| corrupt("number"))?;
    if let Some(same) = known.iter().find(|k| k.number == number) {
        // A version never changes: the copy is kept (and its compiled graph).
        return Ok(Arc::clone(same));
    }
    let snapshot = v["machine"].as_str().ok_or_else(|| corrupt("machine"))?;
    // One compile per definition per node: reuse the current machine's or
    // another version's graph when the text is the same.
    let definition: Value = serde_json::from_str(snapshot).map_err(|e| corrupt(&e.to_string()))?;
    let definition = definition["definition"].as_str().unwrap_or_default();
    let same = current
        .filter(|c| c.machine.definition == definition)
        .or_else(|| {
            known
                .iter()
                .map(|k| &k.machine)
                .find(|m| m.machine.definition == definition)
        });
    let machine = decode(snapshot, same)?;
    Ok(Arc::new(Version {
        arn: format!("{machine_arn}:{number}"),
        number,
        description: v["description"].as_str().map(str::to_owned),
        created: from_millis(v["created"].as_u64().unwrap_or(0)),
        machine: Arc::new(machine),
    }))
}

fn decode_alias(text: &str, machine_arn: &str) -> Result<Arc<Alias>, ClusterError> {
    let corrupt = |why: &str| ClusterError::Corrupt(format!("alias of {machine_arn}: {why}"));
    let v: Value = serde_json::from_str(text).map_err(|e| corrupt(&e.to_string()))?;
    let name = v["name"].as_str().ok_or_else(|| corrupt("name"))?;
    let routing = v["routing"]
        .as_array()
        .ok_or_else(|| corrupt("routing"))?
        .iter()
        .map(|r| {
            Some(Route {
                version_arn: r["versionArn"].as_str()?.to_owned(),
                weight: u8::try_from(r["weight"].as_u64()?).ok()?,
            })
        })
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| corrupt("route"))?;
    Ok(Arc::new(Alias {
        arn: format!("{machine_arn}:{name}"),
        name: name.to_owned(),
        machine_arn: machine_arn.to_owned(),
        description: v["description"].as_str().map(str::to_owned),
        routing,
        created: from_millis(v["created"].as_u64().unwrap_or(0)),
        updated: from_millis(v["updated"].as_u64().unwrap_or(0)),
    }))
}

/// The pipeline reading one machine's versions and aliases.
fn read_family(store: &RedisStore, machine_arn: &str) -> redis::Pipeline {
    let keys = store.keys();
    let mut pipe = redis::pipe();
    pipe.cmd("HGET")
        .arg(keys.versioned())
        .arg(machine_arn)
        .cmd("HGETALL")
        .arg(keys.versions(machine_arn))
        .cmd("HGETALL")
        .arg(keys.aliases(machine_arn));
    pipe
}

/// Puts what Redis holds for `machine_arn` in the node's copy.
pub(crate) fn install(store: &RedisStore, machine_arn: &str, family: Family) {
    let (last, versions, aliases) = family;
    let copy = store.versions();
    let known = copy.versions_of_now(machine_arn);
    let current = store.cached(machine_arn);
    let mut read: Vec<Arc<Version>> = Vec::with_capacity(versions.len());
    for text in versions.values() {
        match decode_version(text, machine_arn, &known, current.as_ref()) {
            Ok(v) => read.push(v),
            Err(e) => tracing::warn!(error = %e, "cluster: skipped a version"),
        }
    }
    let aliases = aliases
        .values()
        .filter_map(|text| match decode_alias(text, machine_arn) {
            Ok(a) => Some(a),
            Err(e) => {
                tracing::warn!(error = %e, "cluster: skipped an alias");
                None
            }
        })
        .collect();
    copy.replace_family(machine_arn, last.unwrap_or(0), read, aliases);
}

/// Reads one machine's versions and aliases again (the listener's thread).
///
/// # Errors
/// [`ClusterError`] when Redis is unreachable.
pub(crate) fn refresh(store: &RedisStore, machine_arn: &str) -> Result<(), ClusterError> {
    let pipe = read_family(store, machine_arn);
    let family: Family = store.pool().with(|c| pipe.query(c))?;
    install(store, machine_arn, family);
    Ok(())
}

/// Reads every machine's versions and aliases again; forgets the machines
/// no longer listed (the listener's thread).
///
/// # Errors
/// [`ClusterError`] when Redis is unreachable.
pub(crate) fn resync(store: &RedisStore) -> Result<(), ClusterError> {
    let listed: HashMap<String, u64> = store
        .pool()
        .with(|c| redis::cmd("HGETALL").arg(store.keys().versioned()).query(c))?;
    for machine_arn in listed.keys() {
        refresh(store, machine_arn)?;
    }
    for machine_arn in store.versions().machines() {
        if !listed.contains_key(&machine_arn) {
            store.versions().forget_machine_now(&machine_arn);
        }
    }
    Ok(())
}

impl RedisVersions {
    /// Runs `change` on the copy of `machine_arn`'s versions and aliases
    /// read again under the registry lock, then writes what it returns
    /// (a pipeline, announced) on the I/O thread.
    async fn change<T: Send>(
        &self,
        machine_arn: &str,
        change: impl FnOnce(
                &MemoryVersions,
                Option<Arc<StateMachine>>,
            ) -> Result<(T, Option<redis::Pipeline>), VersionError>
            + Send,
    ) -> Result<T, VersionError> {
        let unavailable = |e: ClusterError| VersionError::ServiceUnavailable(e.to_string());
        let store = &self.store;
        let token = store.lock().await.map_err(unavailable)?;
        let done = async {
            let pipe = read_family(store, machine_arn);
            let family: Family = store
                .io()
                .run(move |mut c| async move { pipe.query_async(&mut c).await })
                .await
                .map_err(unavailable)?;
            install(store, machine_arn, family);
            // The machine as the registry holds it now (an update made on
            // another node a moment ago included: the lock is the same).
            store
                .refresh_async(machine_arn)
                .await
                .map_err(unavailable)?;
            let (answer, write) = change(store.versions(), store.cached(machine_arn))?;
            if let Some(mut write) = write {
                write
                    .cmd("PUBLISH")
                    .arg(store.keys().versions_channel())
                    .arg(machine_arn)
                    .ignore();
                let written = store
                    .io()
                    .run(move |mut c| async move { write.atomic().query_async::<()>(&mut c).await })
                    .await;
                if let Err(e) = written {
                    // The copy may hold a change Redis does not: read again.
                    let pipe = read_family(store, machine_arn);
                    if let Ok(family) = store
                        .io()
                        .run(move |mut c| async move { pipe.query_async::<Family>(&mut c).await })
                        .await
                    {
                        install(store, machine_arn, family);
                    }
                    return Err(unavailable(e));
                }
            }
            Ok(answer)
        }
        .await;
        store.unlock(token).await;
        done
    }
}

impl VersionStore for RedisVersions {
    fn publish<'a>(
        &'a self,
        machine: &'a Arc<StateMachine>,
        description: Option<&'a str>,
    ) -> StoreCall<'a, Result<(Arc<Version>, bool), VersionError>> {
        Box::pin(self.change(&machine.arn, move |copy, current| {
            let current = current
                .ok_or_else(|| VersionError::StateMachineDoesNotExist(machine.arn.clone()))?;
            let (version, new) = copy.publish_now(&current, description)?;
            if !new {
                return Ok(((version, false), None));
            }
            let keys = self.store.keys();
            let mut pipe = redis::pipe();
            pipe.cmd("HSET")
                .arg(keys.versions(&machine.arn))
                .arg(version.number)
                .arg(encode_version(&version))
                .ignore()
                .cmd("HSET")
                .arg(keys.versioned())
                .arg(&machine.arn)
                .arg(version.number)
                .ignore();
            Ok(((version, true), Some(pipe)))
        }))
    }

    /// From this node's copy (no round trip).
    fn version(&self, arn: &str) -> Option<Arc<Version>> {
        self.store.versions().version_now(arn)
    }

    /// A version or alias not in the copy yet (published on another node
    /// a moment ago): its machine's versions and aliases are read again on
    /// the asynchronous connection (the serving thread keeps serving).
    fn fetch<'a>(&'a self, arn: &'a str) -> StoreCall<'a, ()> {
        let copy = self.store.versions();
        let known = copy.version_now(arn).is_some() || copy.alias_now(arn).is_some();
        let Some((machine_arn, _)) = split_qualified(arn).filter(|_| !known) else {
            return Box::pin(std::future::ready(()));
        };
        Box::pin(async move {
            if self.store.known_down() {
                return;
            }
            let pipe = read_family(&self.store, machine_arn);
            let read = self
                .store
                .io()
                .run(move |mut c| async move { pipe.query_async::<Family>(&mut c).await })
                .await;
            match read {
                Ok(family) => install(&self.store, machine_arn, family),
                Err(e) => tracing::debug!(error = %e, "cluster: versions not read"),
            }
        })
    }

    fn versions_of(&self, machine_arn: &str) -> Vec<Arc<Version>> {
        self.store.versions().versions_of_now(machine_arn)
    }

    fn delete_version<'a>(&'a self, arn: &'a str) -> StoreCall<'a, Result<(), VersionError>> {
        Box::pin(async move {
            let Some((machine_arn, number)) =
                split_qualified(arn).filter(|(_, q)| is_version_qualifier(q))
            else {
                return Ok(());
            };
            self.change(machine_arn, |copy, _| {
                copy.delete_version_now(arn)?;
                let mut pipe = redis::pipe();
                pipe.cmd("HDEL")
                    .arg(self.store.keys().versions(machine_arn))
                    .arg(number)
                    .ignore();
                Ok(((), Some(pipe)))
            })
            .await
        })
    }

    fn create_alias(&self, alias: Alias) -> StoreCall<'_, Result<Arc<Alias>, VersionError>> {
        Box::pin(async move {
            let machine_arn = alias.machine_arn.clone();
            self.change(&machine_arn, |copy, _| {
                let alias = copy.create_alias_now(alias)?;
                let keys = self.store.keys();
                let mut pipe = redis::pipe();
                pipe.cmd("HSET")
                    .arg(keys.aliases(&machine_arn))
                    .arg(&alias.name)
                    .arg(encode_alias(&alias))
                    .ignore()
                    .cmd("HSETNX")
                    .arg(keys.versioned())
                    .arg(&machine_arn)
                    .arg(copy.last_number(&machine_arn))
                    .ignore();
                Ok((alias, Some(pipe)))
            })
            .await
        })
    }

    fn update_alias<'a>(
        &'a self,
        arn: &'a str,
        description: Option<String>,
        routing: Option<Vec<Route>>,
        now: SystemTime,
    ) -> StoreCall<'a, Result<Arc<Alias>, VersionError>> {
        Box::pin(async move {
            let (machine_arn, _) = split_qualified(arn)
                .ok_or_else(|| VersionError::ResourceNotFound(arn.to_owned()))?;
            self.change(machine_arn, |copy, _| {
                let alias = copy.update_alias_now(arn, description, routing, now)?;
                let mut pipe = redis::pipe();
                pipe.cmd("HSET")
                    .arg(self.store.keys().aliases(machine_arn))
                    .arg(&alias.name)
                    .arg(encode_alias(&alias))
                    .ignore();
                Ok((alias, Some(pipe)))
            })
            .await
        })
    }

    /// From this node's copy (no round trip; see [`VersionStore::fetch`]).
    fn alias(&self, arn: &str) -> Option<Arc<Alias>> {
        self.store.versions().alias_now(arn)
    }

    fn aliases_of(&self, machine_arn: &str) -> Vec<Arc<Alias>> {
        self.store.versions().aliases_of_now(machine_arn)
    }

    fn delete_alias<'a>(&'a self, arn: &'a str) -> StoreCall<'a, Result<bool, VersionError>> {
        Box::pin(async move {
            let Some((machine_arn, name)) = split_qualified(arn) else {
                return Ok(false);
            };
            self.change(machine_arn, |copy, _| {
                if !copy.delete_alias_now(arn) {
                    return Ok((false, None));
                }
                let mut pipe = redis::pipe();
                pipe.cmd("HDEL")
                    .arg(self.store.keys().aliases(machine_arn))
                    .arg(name)
                    .ignore();
                Ok((true, Some(pipe)))
            })
            .await
        })
    }

    fn forget_machine<'a>(&'a self, machine_arn: &'a str) -> StoreCall<'a, ()> {
        Box::pin(async move {
            let forgot = self
                .change(machine_arn, |copy, _| {
                    copy.forget_machine_now(machine_arn);
                    let keys = self.store.keys();
                    let mut pipe = redis::pipe();
                    pipe.cmd("DEL")
                        .arg(keys.versions(machine_arn))
                        .ignore()
                        .cmd("DEL")
                        .arg(keys.aliases(machine_arn))
                        .ignore()
                        .cmd("HDEL")
                        .arg(keys.versioned())
                        .arg(machine_arn)
                        .ignore();
                    Ok(((), Some(pipe)))
                })
                .await;
            if let Err(e) = forgot {
                tracing::warn!(machine_arn = %machine_arn, error = %e, "cluster: versions forgotten on this instance only");
                self.store.versions().forget_machine_now(machine_arn);
            }
        })
    }
}
