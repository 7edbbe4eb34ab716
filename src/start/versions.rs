//! State machine versions and aliases: immutable published snapshots of a
//! state machine (its compiled definition and configuration), and named
//! pointers routing starts to one or two of them by weight.
//!
//! - version ARN: `arn:aws:states:R:A:stateMachine:NAME:N` (N from 1, never
//!   reused after a delete);
//! - alias ARN: `arn:aws:states:R:A:stateMachine:NAME:ALIAS`.
//!
//! Behaviour follows the AWS guide (`concepts-state-machine-version.html`,
//! `concepts-state-machine-alias.html`,
//! `execution-alias-version-associate.html`) and the API reference of
//! PublishStateMachineVersion / CreateStateMachineAlias /
//! DeleteStateMachineVersion: publishing is idempotent per revision, at
//! most [`MAX_VERSIONS`] versions and [`MAX_ALIASES`] aliases per state
//! machine, a version an alias routes to cannot be deleted, an alias routes
//! to one or two versions of its own state machine whose weights sum to 100.
//!
//! The store is a small trait, [`VersionStore`], so that a shared store (the
//! cluster's Redis registry) can hold versions later; [`MemoryVersions`] is
//! the in-process one every [`super::Starter`] has today. A start through a
//! qualified ARN reads the version's own [`StateMachine`] snapshot: a
//! version never changes after it is published.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use super::registry::StateMachine;
use super::store::StoreCall;

/// Most versions per state machine (AWS quota).
pub const MAX_VERSIONS: usize = 1000;
/// Most aliases per state machine (AWS quota).
pub const MAX_ALIASES: usize = 100;

/// A published version: the state machine as it was at publication.
#[derive(Debug, Clone)]
pub struct Version {
    /// `…:stateMachine:NAME:N`.
    pub arn: String,
    /// N, from 1.
    pub number: u64,
    /// `versionDescription` / `description`, if given.
    pub description: Option<String>,
    /// When it was published.
    pub created: SystemTime,
    /// The state machine snapshot (its `arn` is the unqualified one; its
    /// `revision_id` the revision published).
    pub machine: Arc<StateMachine>,
}

/// One entry of an alias's `routingConfiguration`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The version ARN.
    pub version_arn: String,
    /// Percentage of starts (0–100; the entries sum to 100).
    pub weight: u8,
}

/// An alias: a name routing starts to one or two versions.
#[derive(Debug, Clone)]
pub struct Alias {
    /// `…:stateMachine:NAME:ALIAS`.
    pub arn: String,
    /// The alias name.
    pub name: String,
    /// The unqualified state machine ARN.
    pub machine_arn: String,
    /// Its description, if any.
    pub description: Option<String>,
    /// One or two routes.
    pub routing: Vec<Route>,
    /// When it was created.
    pub created: SystemTime,
    /// When it was last updated (the creation time until then).
    pub updated: SystemTime,
}

impl Alias {
    /// The version a start through this alias runs, given `roll` in
    /// 0..100: the first route whose cumulative weight exceeds it.
    pub fn pick(&self, roll: u8) -> Option<&str> {
        let mut sum = 0u16;
        for route in &self.routing {
            sum += u16::from(route.weight);
            if u16::from(roll) < sum {
                return Some(&route.version_arn);
            }
        }
        self.routing
            .iter()
            .rfind(|r| r.weight > 0)
            .map(|r| r.version_arn.as_str())
    }
}

/// Why a version or alias operation was refused (mapped to the wire by the
/// API: `StateMachineDoesNotExist`, `ResourceNotFound`, `ConflictException`,
/// `ValidationException`, `ServiceQuotaExceededException`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    /// No state machine has this ARN.
    #[error("State Machine Does Not Exist: '{0}'")]
    StateMachineDoesNotExist(String),
    /// No version or alias has this ARN.
    #[error("Resource not found: '{0}'")]
    ResourceNotFound(String),
    /// The change conflicts with the current state; the message.
    #[error("{0}")]
    Conflict(String),
    /// A request that cannot be satisfied as given; the message.
    #[error("{0}")]
    Validation(String),
    /// A per-machine quota is reached; the message.
    #[error("{0}")]
    QuotaExceeded(String),
    /// A shared store (the cluster's Redis) cannot take the change now; why.
    #[error("Service Unavailable: {0}")]
    ServiceUnavailable(String),
}

/// Where versions and aliases live. Implementations are shared between
/// threads and keep these promises: version numbers only grow (a deleted
/// number is never reused); a version is never changed; publishing the
/// revision of an existing version answers that version.
///
/// The changes are asynchronous (a shared store answers when its write is
/// acknowledged, without blocking the caller's thread); the reads answer
/// from memory, as a start through a version or alias ARN needs.
pub trait VersionStore: Send + Sync + 'static {
    /// Publishes `machine` (its current revision) as its next version,
    /// unless a version of that revision exists: answers the version and
    /// whether it is new.
    ///
    /// # Errors
    /// [`VersionError::QuotaExceeded`] past [`MAX_VERSIONS`];
    /// [`VersionError::ServiceUnavailable`] from a shared store.
    fn publish<'a>(
        &'a self,
        machine: &'a Arc<StateMachine>,
        description: Option<&'a str>,
    ) -> StoreCall<'a, Result<(Arc<Version>, bool), VersionError>>;

    /// The version with this ARN, as this process knows it now (a shared
    /// store answers from its local copy, without a round trip).
    fn version(&self, arn: &str) -> Option<Arc<Version>>;

    /// Reads the version or alias `arn` (`…:NAME:N` or `…:NAME:ALIAS`)
    /// from a shared store when the local copy does not have it yet
    /// (published on another instance a moment ago), without blocking the
    /// caller's thread; afterwards [`VersionStore::version`] and
    /// [`VersionStore::alias`] answer it. The default: nothing to read.
    fn fetch<'a>(&'a self, arn: &'a str) -> StoreCall<'a, ()> {
        let _ = arn;
        Box::pin(std::future::ready(()))
    }

    /// The versions of a state machine, newest first.
    fn versions_of(&self, machine_arn: &str) -> Vec<Arc<Version>>;

    /// Deletes a version (nothing when there is none).
    ///
    /// # Errors
    /// [`VersionError::Conflict`] when an alias routes to it.
    fn delete_version<'a>(&'a self, arn: &'a str) -> StoreCall<'a, Result<(), VersionError>>;

    /// Adds an alias; an identical one (description and routing) answers
    /// the existing alias.
    ///
    /// # Errors
    /// [`VersionError::Conflict`] for another alias of that name,
    /// [`VersionError::QuotaExceeded`] past [`MAX_ALIASES`].
    fn create_alias(&self, alias: Alias) -> StoreCall<'_, Result<Arc<Alias>, VersionError>>;

    /// Changes an alias's description and/or routing.
    ///
    /// # Errors
    /// [`VersionError::ResourceNotFound`] when there is no such alias.
    fn update_alias<'a>(
        &'a self,
        arn: &'a str,
        description: Option<String>,
        routing: Option<Vec<Route>>,
        now: SystemTime,
    ) -> StoreCall<'a, Result<Arc<Alias>, VersionError>>;

    /// The alias with this ARN, as this process knows it now (see
    /// [`VersionStore::version`]).
    fn alias(&self, arn: &str) -> Option<Arc<Alias>>;

    /// The aliases of a state machine, by name.
    fn aliases_of(&self, machine_arn: &str) -> Vec<Arc<Alias>>;

    /// Deletes an alias; whether it existed.
    ///
    /// # Errors
    /// [`VersionError::ServiceUnavailable`] from a shared store.
    fn delete_alias<'a>(&'a self, arn: &'a str) -> StoreCall<'a, Result<bool, VersionError>>;

    /// Forgets every version and alias of a deleted state machine.
    fn forget_machine<'a>(&'a self, machine_arn: &'a str) -> StoreCall<'a, ()>;
}

impl std::fmt::Debug for dyn VersionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VersionStore")
    }
}

/// The versions and aliases of one state machine.
#[derive(Debug, Default)]
struct Family {
    /// The last number given (numbers are never reused).
    last: u64,
    versions: BTreeMap<u64, Arc<Version>>,
    aliases: BTreeMap<String, Arc<Alias>>,
}

/// The in-process [`VersionStore`].
#[derive(Debug, Default)]
pub struct MemoryVersions {
    families: RwLock<HashMap<String, Family>>,
}

/// Splits a qualified state machine ARN into the unqualified ARN and the
/// qualifier (`…:stateMachine:NAME:Q` → (`…:stateMachine:NAME`, `Q`)).
pub fn split_qualified(arn: &str) -> Option<(&str, &str)> {
    // Seven colons, counted by bytes (every start asks).
    if arn.bytes().filter(|&b| b == b':').count() != 7 {
        return None;
    }
    let at = arn.bytes().rposition(|b| b == b':')?;
    (at + 1 < arn.len()).then(|| (&arn[..at], &arn[at + 1..]))
}

/// Whether a qualifier names a version (digits) rather than an alias.
pub fn is_version_qualifier(qualifier: &str) -> bool {
    !qualifier.is_empty() && qualifier.bytes().all(|b| b.is_ascii_digit())
}

impl MemoryVersions {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Family>> {
        self.families.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, Family>> {
        self.families.write().unwrap_or_else(|p| p.into_inner())
    }
}

/// The changes, applied at once (the [`VersionStore`] implementation, and
/// the cluster's local copy of its shared store).
impl MemoryVersions {
    /// [`VersionStore::publish`], at once.
    pub fn publish_now(
        &self,
        machine: &Arc<StateMachine>,
        description: Option<&str>,
    ) -> Result<(Arc<Version>, bool), VersionError> {
        let mut families = self.write();
        let family = families.entry(machine.arn.clone()).or_default();
        if let Some(existing) = family.versions.values().rev().find(|v| {
            v.machine.revision_id == machine.revision_id
                && (Arc::ptr_eq(&v.machine.machine, &machine.machine)
                    || v.machine.machine.definition == machine.machine.definition)
        }) {
            return Ok((Arc::clone(existing), false));
        }
        if family.versions.len() >= MAX_VERSIONS {
            return Err(VersionError::QuotaExceeded(format!(
                "Maximum number of versions ({MAX_VERSIONS}) reached for state machine: '{}'",
                machine.arn
            )));
        }
        family.last += 1;
        let number = family.last;
        let version = Arc::new(Version {
            arn: format!("{}:{number}", machine.arn),
            number,
            description: description.map(str::to_owned),
            created: SystemTime::now(),
            machine: Arc::clone(machine),
        });
        family.versions.insert(number, Arc::clone(&version));
        Ok((version, true))
    }

    /// [`VersionStore::version`].
    pub fn version_now(&self, arn: &str) -> Option<Arc<Version>> {
        let (base, q) = split_qualified(arn)?;
        let number: u64 = q.parse().ok().filter(|_| is_version_qualifier(q))?;
        self.read().get(base)?.versions.get(&number).cloned()
    }

    /// [`VersionStore::versions_of`].
    pub fn versions_of_now(&self, machine_arn: &str) -> Vec<Arc<Version>> {
        self.read()
            .get(machine_arn)
            .map(|f| f.versions.values().rev().cloned().collect())
            .unwrap_or_default()
    }

    /// [`VersionStore::delete_version`], at once.
    pub fn delete_version_now(&self, arn: &str) -> Result<(), VersionError> {
        let Some((base, q)) = split_qualified(arn) else {
            return Ok(());
        };
        let Ok(number) = q.parse::<u64>() else {
            return Ok(());
        };
        let mut families = self.write();
        let Some(family) = families.get_mut(base) else {
            return Ok(());
        };
        let users: Vec<&str> = family
            .aliases
            .values()
            .filter(|a| a.routing.iter().any(|r| r.version_arn == arn))
            .map(|a| a.arn.as_str())
            .collect();
        if !users.is_empty() {
            return Err(VersionError::Conflict(format!(
                "Version to be deleted must not be referenced by an alias. Current list of aliases referencing this version: [{}]",
                users.join(", ")
            )));
        }
        family.versions.remove(&number);
        Ok(())
    }

    /// [`VersionStore::create_alias`], at once.
    pub fn create_alias_now(&self, alias: Alias) -> Result<Arc<Alias>, VersionError> {
        let mut families = self.write();
        let family = families.entry(alias.machine_arn.clone()).or_default();
        if let Some(existing) = family.aliases.get(&alias.name) {
            if existing.description == alias.description && existing.routing == alias.routing {
                return Ok(Arc::clone(existing));
            }
            return Err(VersionError::Conflict(format!(
                "Failed to create alias because an alias with the same name and a different routing configuration already exists: '{}'",
                existing.arn
            )));
        }
        if family.aliases.len() >= MAX_ALIASES {
            return Err(VersionError::QuotaExceeded(format!(
                "Maximum number of aliases ({MAX_ALIASES}) reached for state machine: '{}'",
                alias.machine_arn
            )));
        }
        let alias = Arc::new(alias);
        family
            .aliases
            .insert(alias.name.clone(), Arc::clone(&alias));
        Ok(alias)
    }

    /// [`VersionStore::update_alias`], at once.
    pub fn update_alias_now(
        &self,
        arn: &str,
        description: Option<String>,
        routing: Option<Vec<Route>>,
        now: SystemTime,
    ) -> Result<Arc<Alias>, VersionError> {
        let not_found = || VersionError::ResourceNotFound(arn.to_owned());
        let (base, name) = split_qualified(arn).ok_or_else(not_found)?;
        let mut families = self.write();
        let family = families.get_mut(base).ok_or_else(not_found)?;
        let current = family.aliases.get(name).ok_or_else(not_found)?;
        let mut next = Alias::clone(current);
        if let Some(d) = description {
            next.description = Some(d);
        }
        if let Some(r) = routing {
            next.routing = r;
        }
        next.updated = now;
        let next = Arc::new(next);
        family.aliases.insert(name.to_owned(), Arc::clone(&next));
        Ok(next)
    }

    /// [`VersionStore::alias`].
    pub fn alias_now(&self, arn: &str) -> Option<Arc<Alias>> {
        let (base, name) = split_qualified(arn)?;
        self.read().get(base)?.aliases.get(name).cloned()
    }

    /// [`VersionStore::aliases_of`].
    pub fn aliases_of_now(&self, machine_arn: &str) -> Vec<Arc<Alias>> {
        self.read()
            .get(machine_arn)
            .map(|f| f.aliases.values().cloned().collect())
            .unwrap_or_default()
    }

    /// [`VersionStore::delete_alias`], at once.
    pub fn delete_alias_now(&self, arn: &str) -> bool {
        let Some((base, name)) = split_qualified(arn) else {
            return false;
        };
        self.write()
            .get_mut(base)
            .is_some_and(|f| f.aliases.remove(name).is_some())
    }

    /// The last version number given for `machine_arn` (0: none yet).
    pub fn last_number(&self, machine_arn: &str) -> u64 {
        self.read().get(machine_arn).map_or(0, |f| f.last)
    }

    /// The state machines that have versions or aliases.
    pub fn machines(&self) -> Vec<String> {
        self.read().keys().cloned().collect()
    }

    /// Replaces everything known of `machine_arn`'s versions and aliases
    /// (a shared store's copy read again); nothing when all are empty.
    pub fn replace_family(
        &self,
        machine_arn: &str,
        last: u64,
        versions: Vec<Arc<Version>>,
        aliases: Vec<Arc<Alias>>,
    ) {
        let mut families = self.write();
        if last == 0 && versions.is_empty() && aliases.is_empty() {
            families.remove(machine_arn);
            return;
        }
        let family = Family {
            last: versions.iter().map(|v| v.number).fold(last, u64::max),
            versions: versions.into_iter().map(|v| (v.number, v)).collect(),
            aliases: aliases.into_iter().map(|a| (a.name.clone(), a)).collect(),
        };
        families.insert(machine_arn.to_owned(), family);
    }

    /// [`VersionStore::forget_machine`], at once.
    pub fn forget_machine_now(&self, machine_arn: &str) {
        self.write().remove(machine_arn);
    }
}

impl VersionStore for MemoryVersions {
    fn publish<'a>(
        &'a self,
        machine: &'a Arc<StateMachine>,
        description: Option<&'a str>,
    ) -> StoreCall<'a, Result<(Arc<Version>, bool), VersionError>> {
        Box::pin(std::future::ready(self.publish_now(machine, description)))
    }

    fn version(&self, arn: &str) -> Option<Arc<Version>> {
        self.version_now(arn)
    }

    fn versions_of(&self, machine_arn: &str) -> Vec<Arc<Version>> {
        self.versions_of_now(machine_arn)
    }

    fn delete_version<'a>(&'a self, arn: &'a str) -> StoreCall<'a, Result<(), VersionError>> {
        Box::pin(std::future::ready(self.delete_version_now(arn)))
    }

    fn create_alias(&self, alias: Alias) -> StoreCall<'_, Result<Arc<Alias>, VersionError>> {
        Box::pin(std::future::ready(self.create_alias_now(alias)))
    }

    fn update_alias<'a>(
        &'a self,
        arn: &'a str,
        description: Option<String>,
        routing: Option<Vec<Route>>,
        now: SystemTime,
    ) -> StoreCall<'a, Result<Arc<Alias>, VersionError>> {
        Box::pin(std::future::ready(self.update_alias_now(
            arn,
            description,
            routing,
            now,
        )))
    }

    fn alias(&self, arn: &str) -> Option<Arc<Alias>> {
        self.alias_now(arn)
    }

    fn aliases_of(&self, machine_arn: &str) -> Vec<Arc<Alias>> {
        self.aliases_of_now(machine_arn)
    }

    fn delete_alias<'a>(&'a self, arn: &'a str) -> StoreCall<'a, Result<bool, VersionError>> {
        Box::pin(std::future::ready(Ok(self.delete_alias_now(arn))))
    }

    fn forget_machine<'a>(&'a self, machine_arn: &'a str) -> StoreCall<'a, ()> {
        self.forget_machine_now(machine_arn);
        Box::pin(std::future::ready(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::start::MachineType;

    const SM: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:m";

    /// The byte count answers as `split(':')` did.
    #[test]
    fn qualified_arns_split_as_before() {
        let before = |arn: &'static str| {
            (arn.split(':').count() == 8)
                .then(|| arn.rsplit_once(':').filter(|(_, q)| !q.is_empty()))
                .flatten()
        };
        for arn in [
            "arn:aws:states:us-east-1:123456789012:stateMachine:m:1",
            "arn:aws:states:us-east-1:123456789012:stateMachine:m:live",
            "arn:aws:states:us-east-1:123456789012:stateMachine:m:",
            "arn:aws:states:us-east-1:123456789012:stateMachine:m",
            "arn:aws:states:us-east-1:123456789012:stateMachine:m:1:2",
            ":::::::",
            ":::::::x",
            "",
            "é:é:é:é:é:é:é:é",
        ] {
            assert_eq!(split_qualified(arn), before(arn), "{arn}");
        }
    }

    fn machine(revision: Option<&str>) -> Arc<StateMachine> {
        let graph =
            crate::compile::load(r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#)
                .expect("definition");
        Arc::new(StateMachine {
            arn: SM.into(),
            name: "m".into(),
            kind: MachineType::Express,
            machine: Arc::new(graph),
            role_arn: "role".into(),
            logging: serde_json::Value::Null,
            tracing: serde_json::Value::Null,
            tags: Vec::new(),
            created: SystemTime::now(),
            revision_id: revision.map(str::to_owned),
        })
    }

    fn alias(name: &str, routing: Vec<Route>) -> Alias {
        Alias {
            arn: format!("{SM}:{name}"),
            name: name.into(),
            machine_arn: SM.into(),
            description: None,
            routing,
            created: SystemTime::now(),
            updated: SystemTime::now(),
        }
    }

    #[test]
    fn versions_are_numbered_once_per_revision_and_never_reused() {
        let store = MemoryVersions::default();
        let first = machine(None);
        let (v1, new) = store.publish_now(&first, Some("one")).expect("publish");
        assert!(new && v1.arn == format!("{SM}:1"));
        let (again, new) = store.publish_now(&first, None).expect("publish");
        assert!(!new && again.number == 1);
        let second = machine(Some("r2"));
        let (v2, _) = store.publish_now(&second, None).expect("publish");
        assert_eq!(v2.number, 2);
        assert_eq!(
            store
                .versions_of_now(SM)
                .iter()
                .map(|v| v.number)
                .collect::<Vec<_>>(),
            [2, 1]
        );
        store.delete_version_now(&v2.arn).expect("deleted");
        let (v3, _) = store
            .publish_now(&machine(Some("r3")), None)
            .expect("publish");
        assert_eq!(v3.number, 3);
        assert!(store.version_now(&format!("{SM}:2")).is_none());
        assert!(store.version_now(&format!("{SM}:1")).is_some());
    }

    #[test]
    fn aliases_route_by_weight_and_hold_their_versions() {
        let store = MemoryVersions::default();
        let (v1, _) = store.publish_now(&machine(None), None).expect("v1");
        let (v2, _) = store.publish_now(&machine(Some("r")), None).expect("v2");
        let routes = vec![
            Route {
                version_arn: v1.arn.clone(),
                weight: 30,
            },
            Route {
                version_arn: v2.arn.clone(),
                weight: 70,
            },
        ];
        let a = store
            .create_alias_now(alias("prod", routes.clone()))
            .expect("alias");
        assert_eq!(a.pick(0), Some(v1.arn.as_str()));
        assert_eq!(a.pick(29), Some(v1.arn.as_str()));
        assert_eq!(a.pick(30), Some(v2.arn.as_str()));
        assert_eq!(a.pick(99), Some(v2.arn.as_str()));
        // Identical create: the same alias; different: a conflict.
        assert!(store.create_alias_now(alias("prod", routes)).is_ok());
        assert!(matches!(
            store.create_alias_now(alias("prod", vec![])),
            Err(VersionError::Conflict(_))
        ));
        assert!(matches!(
            store.delete_version_now(&v1.arn),
            Err(VersionError::Conflict(_))
        ));
        let only_v2 = vec![Route {
            version_arn: v2.arn.clone(),
            weight: 100,
        }];
        let updated = store
            .update_alias_now(&a.arn, None, Some(only_v2), SystemTime::now())
            .expect("updated");
        assert_eq!(updated.routing.len(), 1);
        store.delete_version_now(&v1.arn).expect("no longer routed");
        assert_eq!(store.aliases_of_now(SM).len(), 1);
        assert!(store.delete_alias_now(&a.arn) && !store.delete_alias_now(&a.arn));
        store.forget_machine_now(SM);
        assert!(store.versions_of_now(SM).is_empty());
    }
}
