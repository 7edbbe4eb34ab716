//! [`Starter`]: the one start path. Every execution (StartSyncExecution,
//! StartExecution, the nested-execution integrations, the consumers and
//! `expressway run`) is identified, admitted, counted and run here.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use futures::FutureExt as _;
use tokio::sync::oneshot;

use super::error::StartError;
use super::records::{Abort, ExecutionRecord, Origin, Progress, Stopped};
use super::registry::{log_settings, logging_off, tracing_off, MachineType, StateMachine};
use super::store::{MemoryStore, StartStore};
use super::versions::{self, MemoryVersions, VersionStore};
use super::{arn, names};
use crate::admission::{Admission, AdmissionConfig, Permit};
use crate::engine::{Engine, ExecutionOptions, ExecutionOutcome, ExecutionStatus, StopHandle};
use crate::errors::names as error_names;
use crate::json::Value;

/// Settings of a [`Starter`].
#[derive(Debug, Clone)]
pub struct StartConfig {
    /// The region in the ARNs of state machines created without one
    /// (default `us-east-1`).
    pub region: String,
    /// The account id in ARNs (default `123456789012`).
    pub account: String,
    /// How many asynchronous executions DescribeExecution can still see
    /// (default 10,000; the oldest are forgotten first).
    pub execution_retention: usize,
    /// Admission control in front of every start
    /// ([`AdmissionConfig::default`]).
    pub admission: AdmissionConfig,
}

impl Default for StartConfig {
    fn default() -> Self {
        StartConfig {
            region: "us-east-1".to_owned(),
            account: "123456789012".to_owned(),
            execution_retention: 10_000,
            admission: AdmissionConfig::default(),
        }
    }
}

/// An execution's input: JSON text as a request carries it (parsed once,
/// here), or a value already parsed (consumers, nested executions).
#[derive(Debug, Clone)]
pub enum StartInput<'a> {
    /// JSON text; `InvalidExecutionInput` when it does not parse.
    Text(&'a str),
    /// A parsed document.
    Value(Value),
}

/// A request to start an execution.
#[derive(Debug, Clone)]
pub struct StartRequest<'a> {
    /// The state machine ARN, optionally suffixed `#TestCase` to select a
    /// mock-file test case (Step Functions Local).
    pub state_machine_arn: &'a str,
    /// The execution name (1–80 characters; default a UUID v4).
    pub name: Option<&'a str>,
    /// The input (default `{}`).
    pub input: StartInput<'a>,
}

impl<'a> StartRequest<'a> {
    /// A request for `state_machine_arn` with no name and input `{}`.
    pub fn new(state_machine_arn: &'a str) -> Self {
        StartRequest {
            state_machine_arn,
            name: None,
            input: StartInput::Text("{}"),
        }
    }
}

/// Which start a request is: a synchronous one (answered with the outcome)
/// refuses STANDARD machines, as StartSyncExecution does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Runs to the end before answering (StartSyncExecution, consumers, `run`).
    Sync,
    /// Answered at once, recorded for DescribeExecution (StartExecution).
    Async,
}

/// A start that passed every check: its machine, input and identity.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The state machine, as registered when the start was prepared.
    pub machine: Arc<StateMachine>,
    /// The parsed input.
    pub input: Value,
    /// The execution's identity (ARN, name, start time, test case);
    /// `state_machine_arn` is the version ARN for a start through a version
    /// or an alias (the Context Object's `StateMachine.Id`).
    pub options: ExecutionOptions,
    /// The version run, for a start through a version or an alias ARN.
    pub version_arn: Option<String>,
    /// The alias started through, if any.
    pub alias_arn: Option<String>,
}

/// A synchronous execution that ran to its end.
#[derive(Debug, Clone)]
pub struct Completed {
    /// Its identity; `start_time` is the instant of admission.
    pub options: ExecutionOptions,
    /// How it ended.
    pub outcome: ExecutionOutcome,
}

/// An asynchronous execution, answered before it runs: await
/// [`Started::outcome`] to wait for its end, or drop it.
#[derive(Debug)]
pub struct Started {
    /// The execution ARN.
    pub execution_arn: String,
    /// When it was started.
    pub start_time: SystemTime,
    /// The execution name.
    pub name: String,
    /// The state machine ARN.
    pub state_machine_arn: String,
    done: Option<oneshot::Receiver<ExecutionOutcome>>,
    store: Arc<dyn StartStore>,
}

impl Started {
    /// Waits for the execution's end and answers its recorded outcome
    /// (ABORTED when StopExecution stopped it; `States.Runtime` when its
    /// record was forgotten meanwhile).
    pub async fn outcome(self) -> ExecutionOutcome {
        let ran = match self.done {
            Some(rx) => rx.await.ok(),
            None => loop {
                // A repeated STANDARD start: the first start's task owns it.
                match self.store.fetch_execution(&self.execution_arn).await {
                    Some(ExecutionRecord {
                        progress: Progress::Running,
                        ..
                    }) => tokio::time::sleep(Duration::from_millis(20)).await,
                    _ => break None,
                }
            },
        };
        match self
            .store
            .fetch_execution(&self.execution_arn)
            .await
            .map(|r| r.progress)
        {
            Some(Progress::Done(outcome)) => outcome,
            _ => ran.unwrap_or_else(|| ExecutionOutcome {
                status: ExecutionStatus::Failed,
                output: None,
                error: Some(error_names::RUNTIME.to_owned()),
                cause: Some("the execution record was evicted".to_owned()),
                stop_time: SystemTime::now(),
            }),
        }
    }
}

/// A state machine to create ([`Starter::create_machine`]).
#[derive(Debug, Clone)]
pub struct MachineSpec<'a> {
    /// Its name (1–80 characters, no forbidden character).
    pub name: &'a str,
    /// The ASL definition text.
    pub definition: &'a str,
    /// STANDARD or EXPRESS.
    pub kind: MachineType,
    /// The region of its ARN (default: the starter's).
    pub region: Option<&'a str>,
    /// The role ARN (default `arn:aws:iam::<account>:role/expressway`).
    pub role_arn: Option<&'a str>,
    /// The normalised `loggingConfiguration` (default: level OFF).
    pub logging: Option<serde_json::Value>,
    /// The normalised `tracingConfiguration` (default: disabled).
    pub tracing: Option<serde_json::Value>,
    /// Tags in order (key, value).
    pub tags: Vec<(String, String)>,
}

impl<'a> MachineSpec<'a> {
    /// An EXPRESS machine `name` with every default.
    pub fn express(name: &'a str, definition: &'a str) -> Self {
        MachineSpec {
            name,
            definition,
            kind: MachineType::Express,
            region: None,
            role_arn: None,
            logging: None,
            tracing: None,
            tags: Vec::new(),
        }
    }
}

/// What [`Starter::create_machine`] did.
#[derive(Debug, Clone)]
pub struct Created {
    /// The machine (the existing one for a repeated create).
    pub machine: Arc<StateMachine>,
    /// Whether it was created now (`false`: an identical one existed).
    pub new: bool,
}

/// The start path, cheap to clone (shared): the registry and records
/// ([`StartStore`]), admission control, execution metrics, the panic net,
/// and the [`Engine`] executions run on.
#[derive(Clone)]
pub struct Starter {
    inner: Arc<Inner>,
}

struct Inner {
    engine: Engine,
    admission: Admission,
    versions: Arc<dyn VersionStore>,
    store: Arc<dyn StartStore>,
    region: String,
    account: String,
}

impl std::fmt::Debug for Starter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Starter")
            .field("region", &self.inner.region)
            .field("account", &self.inner.account)
            .field("machines", &self.inner.store.machine_count())
            .finish()
    }
}

impl Starter {
    /// A starter over `engine` with an in-memory store ([`MemoryStore`]).
    /// Installs the Prometheus recorder ([`crate::metrics::install`]) if it
    /// is not yet installed.
    pub fn new(engine: Engine, config: StartConfig) -> Self {
        let store = Arc::new(MemoryStore::new(config.execution_retention));
        Self::with_store(engine, config, store)
    }

    /// A starter over `engine` keeping its registry and records in `store`
    /// (`config.execution_retention` is then the store's business).
    pub fn with_store(engine: Engine, config: StartConfig, store: Arc<dyn StartStore>) -> Self {
        crate::metrics::install();
        Starter {
            inner: Arc::new(Inner {
                engine,
                admission: Admission::new(config.admission),
                versions: Arc::new(MemoryVersions::default()),
                store,
                region: config.region,
                account: config.account,
            }),
        }
    }

    /// This starter with `observer` watching its engine's executions in
    /// place of the engine's observer (wrap that one to keep it: see
    /// [`Engine::observer`]). Call it before the starter is shared: clones
    /// made earlier keep the former engine.
    #[must_use]
    pub fn with_observer(self, observer: Arc<dyn crate::engine::observe::Observer>) -> Self {
        let inner = &self.inner;
        Starter {
            inner: Arc::new(Inner {
                engine: inner.engine.clone().with_observer(observer),
                admission: inner.admission.clone(),
                versions: Arc::clone(&inner.versions),
                store: Arc::clone(&inner.store),
                region: inner.region.clone(),
                account: inner.account.clone(),
            }),
        }
    }

    /// This starter with its versions and aliases kept in `versions` (a
    /// shared store, such as a cluster's) in place of the in-process
    /// [`MemoryVersions`]. Call it before the starter is shared: clones made
    /// earlier keep the former store.
    #[must_use]
    pub fn with_versions(self, versions: Arc<dyn VersionStore>) -> Self {
        let inner = &self.inner;
        Starter {
            inner: Arc::new(Inner {
                engine: inner.engine.clone(),
                admission: inner.admission.clone(),
                versions,
                store: Arc::clone(&inner.store),
                region: inner.region.clone(),
                account: inner.account.clone(),
            }),
        }
    }

    /// The engine executions run on.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// The admission control every start passes.
    pub fn admission(&self) -> &Admission {
        &self.inner.admission
    }

    /// The registry and the execution records.
    pub fn store(&self) -> &Arc<dyn StartStore> {
        &self.inner.store
    }

    /// The state machine versions and aliases ([`versions`]).
    pub fn versions(&self) -> &Arc<dyn VersionStore> {
        &self.inner.versions
    }

    /// The default region of ARNs.
    pub fn region(&self) -> &str {
        &self.inner.region
    }

    /// The account of ARNs.
    pub fn account(&self) -> &str {
        &self.inner.account
    }

    /// The state machine with this ARN (no `#TestCase`).
    pub fn state_machine(&self, arn: &str) -> Option<Arc<StateMachine>> {
        self.inner.store.machine(arn)
    }

    /// The ARN a machine named `name` gets in `region` (default: the starter's).
    pub fn state_machine_arn(&self, region: Option<&str>, name: &str) -> String {
        let region = region.unwrap_or(&self.inner.region);
        arn::state_machine(region, &self.inner.account, name)
    }

    /// Creates a state machine as CreateStateMachine does: an identical
    /// repeat (same definition, type, logging and tracing) answers the
    /// existing machine; the engine's observer learns its logging settings.
    ///
    /// # Errors
    /// `InvalidName`, `InvalidDefinition` (the load error),
    /// `StateMachineAlreadyExists` for a different machine of that name,
    /// `ServiceUnavailable` when the store cannot take the write.
    ///
    /// Blocks the calling thread until a remote store answers: for callers
    /// off the serving path (the CLI, tests, embedders); the API awaits
    /// [`Starter::create_machine_async`].
    pub fn create_machine(&self, spec: MachineSpec<'_>) -> Result<Created, StartError> {
        futures::executor::block_on(self.create(spec, true))
    }

    /// [`Starter::create_machine`] without blocking the calling thread on a
    /// remote store (CreateStateMachine).
    ///
    /// # Errors
    /// As [`Starter::create_machine`].
    pub async fn create_machine_async(&self, spec: MachineSpec<'_>) -> Result<Created, StartError> {
        self.create(spec, true).await
    }

    /// Creates a state machine from a definition file at start-up
    /// (`serve --definitions`, [`super::preload`]) as
    /// [`Starter::create_machine`] does, except that a remote store known
    /// to be unreachable does not refuse it: the machine is kept here and
    /// written to the store when it is reachable again (first writer wins),
    /// so that an instance started before its cluster's Redis still serves
    /// its definitions.
    ///
    /// # Errors
    /// `InvalidName`, `InvalidDefinition`, `StateMachineAlreadyExists`.
    pub fn create_machine_at_startup(&self, spec: MachineSpec<'_>) -> Result<Created, StartError> {
        futures::executor::block_on(self.create(spec, false))
    }

    async fn create(
        &self,
        spec: MachineSpec<'_>,
        needs_store: bool,
    ) -> Result<Created, StartError> {
        names::check(spec.name)?;
        let machine_arn = self.state_machine_arn(spec.region, spec.name);
        let logging = spec.logging.unwrap_or_else(logging_off);
        let tracing = spec.tracing.unwrap_or_else(tracing_off);
        let same = |existing: &StateMachine| {
            existing.machine.definition == spec.definition
                && existing.kind == spec.kind
                && existing.logging == logging
                && existing.tracing == tracing
        };
        let repeat = |existing: Arc<StateMachine>| {
            if same(&existing) {
                Ok(Created {
                    machine: existing,
                    new: false,
                })
            } else {
                Err(StartError::StateMachineAlreadyExists(existing.arn.clone()))
            }
        };
        if let Some(existing) = self.inner.store.machine(&machine_arn) {
            return repeat(existing);
        }
        if needs_store {
            self.inner.store.check_available()?;
        }
        let machine = crate::compile::load(spec.definition)
            .map(Arc::new)
            .map_err(|e| StartError::InvalidDefinition(e.to_string()))?;
        let role_arn = match spec.role_arn {
            Some(r) => r.to_owned(),
            None => format!("arn:aws:iam::{}:role/expressway", self.inner.account),
        };
        let settings = log_settings(&logging);
        let record = StateMachine {
            arn: machine_arn,
            name: spec.name.to_owned(),
            kind: spec.kind,
            machine: Arc::clone(&machine),
            role_arn,
            logging: logging.clone(),
            tracing: tracing.clone(),
            tags: spec.tags,
            created: SystemTime::now(),
            revision_id: None,
        };
        // Two racing creates of one name: the first wins, the second is
        // answered as a repeat of it.
        match self.inner.store.insert_machine(record).await {
            Ok(added) => {
                self.inner
                    .engine
                    .register_machine(&machine, spec.name, &settings);
                Ok(Created {
                    machine: added,
                    new: true,
                })
            }
            Err(existing) => repeat(existing),
        }
    }

    /// Changes the machine `arn` with `change` (on a copy, swapped in when
    /// `change` returns `Ok`). `None` when there is no such machine. The
    /// caller tells the engine's observer of a new definition or logging
    /// configuration ([`Engine::register_machine`]).
    ///
    /// # Errors
    /// `change`'s error; the machine is then left as it was.
    pub async fn update_machine<E: Send>(
        &self,
        arn: &str,
        change: impl FnOnce(&mut StateMachine) -> Result<(), E> + Send,
    ) -> Option<Result<Arc<StateMachine>, E>> {
        let mut change = Some(change);
        let mut failed = None;
        let mut apply = |sm: &mut StateMachine| match change.take().map(|c| c(sm)) {
            Some(Ok(())) => true,
            Some(Err(e)) => {
                failed = Some(e);
                false
            }
            None => false,
        };
        let changed = self.inner.store.update_machine(arn, &mut apply).await?;
        match (changed, failed) {
            (Some(sm), _) => Some(Ok(sm)),
            (None, Some(e)) => Some(Err(e)),
            // A store that refused without calling `change`: nothing changed.
            (None, None) => self.inner.store.machine(arn).map(Ok),
        }
    }

    /// Deletes the machine `arn` (nothing when there is none), with its
    /// versions and aliases.
    pub async fn delete_machine(&self, arn: &str) {
        if let Some(sm) = self.inner.store.remove_machine(arn).await {
            self.inner.engine.unregister_machine(&sm.machine);
        }
        self.inner.versions.forget_machine(arn).await;
    }

    /// Publishes the current revision of the machine `arn` as a version
    /// (PublishStateMachineVersion, and `publish: true` on Create/Update):
    /// idempotent per revision. Answers the version and whether it is new.
    ///
    /// # Errors
    /// `StateMachineDoesNotExist`; `Conflict` when `revision_id` is given
    /// and is not the machine's current revision; `QuotaExceeded` past
    /// [`versions::MAX_VERSIONS`].
    pub async fn publish_version(
        &self,
        arn: &str,
        revision_id: Option<&str>,
        description: Option<&str>,
    ) -> Result<(Arc<versions::Version>, bool), versions::VersionError> {
        let machine = self
            .inner
            .store
            .machine(arn)
            .ok_or_else(|| versions::VersionError::StateMachineDoesNotExist(arn.to_owned()))?;
        if let Some(wanted) = revision_id {
            if machine.revision_id.as_deref() != Some(wanted) {
                return Err(versions::VersionError::Conflict(format!(
                    "Failed to publish the State Machine version because the current revision ID does not match the given revision ID: '{wanted}'"
                )));
            }
        }
        self.inner.versions.publish(&machine, description).await
    }

    /// The machine a start of `arn` runs: the registry's for an unqualified
    /// ARN; for `…:NAME:N` that version's snapshot; for `…:NAME:ALIAS` the
    /// version the alias routes this start to (by its weights), with the
    /// version and alias ARNs.
    ///
    /// # Errors
    /// `StateMachineDoesNotExist` (with `arn`) when nothing has that ARN.
    pub fn resolve(&self, arn: &str) -> Result<Origin, StartError> {
        let missing = || StartError::StateMachineDoesNotExist(arn.to_owned());
        let Some((_, qualifier)) = versions::split_qualified(arn) else {
            let machine = self.inner.store.machine(arn).ok_or_else(missing)?;
            return Ok(Origin {
                machine,
                version_arn: None,
                alias_arn: None,
            });
        };
        let store = &self.inner.versions;
        let (version, alias_arn) = if versions::is_version_qualifier(qualifier) {
            (store.version(arn).ok_or_else(missing)?, None)
        } else {
            let alias = store.alias(arn).ok_or_else(missing)?;
            let roll = rand::Rng::random_range(&mut rand::rng(), 0..100u8);
            let version = alias
                .pick(roll)
                .and_then(|v| store.version(v))
                .ok_or_else(missing)?;
            (version, Some(alias.arn.clone()))
        };
        Ok(Origin {
            machine: Arc::clone(&version.machine),
            version_arn: Some(version.arn.clone()),
            alias_arn,
        })
    }

    /// Reads what a start of `state_machine_arn` runs (its machine, or its
    /// version or alias) into the store's local copy when it is not there
    /// yet (created on another instance of a cluster a moment ago), without
    /// blocking the caller's thread: [`Starter::prepare`] reads the local
    /// copy only ([`Starter::start_sync`] and [`Starter::start`] read it
    /// so themselves). An ARN that does not parse is left to `prepare`'s
    /// error.
    pub async fn load(&self, state_machine_arn: &str) {
        let Ok(target) = arn::parse_state_machine(state_machine_arn, true) else {
            return;
        };
        match versions::split_qualified(target.arn) {
            None => drop(self.inner.store.fetch_machine(target.arn).await),
            Some(_) => self.inner.versions.fetch(target.arn).await,
        }
    }

    /// Checks a start in AWS's order (after the wire's model constraints):
    /// the ARN, the machine's existence and type, the name's characters,
    /// then the input's JSON; names the execution.
    ///
    /// # Errors
    /// `InvalidArn`, `StateMachineDoesNotExist`,
    /// `StateMachineTypeNotSupported` (a [`Mode::Sync`] start of a STANDARD
    /// machine), `InvalidName`, `InvalidExecutionInput`.
    pub fn prepare(&self, req: StartRequest<'_>, mode: Mode) -> Result<Prepared, StartError> {
        let target = arn::parse_state_machine(req.state_machine_arn, true)?;
        let origin = self.resolve(target.arn)?;
        self.prepared(req, mode, target.test_case, origin)
    }

    /// [`Starter::prepare`] for the start paths: a machine, version or
    /// alias not in the store's local copy yet (created on another
    /// instance a moment ago) is read from the store without blocking the
    /// caller's thread (one read of the store for an unqualified ARN).
    async fn prepare_loaded(
        &self,
        req: StartRequest<'_>,
        mode: Mode,
    ) -> Result<Prepared, StartError> {
        let target = arn::parse_state_machine(req.state_machine_arn, true)?;
        let origin = match versions::split_qualified(target.arn) {
            None => Origin {
                machine: self
                    .inner
                    .store
                    .fetch_machine(target.arn)
                    .await
                    .ok_or_else(|| StartError::StateMachineDoesNotExist(target.arn.to_owned()))?,
                version_arn: None,
                alias_arn: None,
            },
            Some(_) => {
                self.inner.versions.fetch(target.arn).await;
                self.resolve(target.arn)?
            }
        };
        self.prepared(req, mode, target.test_case, origin)
    }

    /// The rest of [`Starter::prepare`], once the ARN is resolved.
    fn prepared(
        &self,
        req: StartRequest<'_>,
        mode: Mode,
        test_case: Option<&str>,
        origin: Origin,
    ) -> Result<Prepared, StartError> {
        let Origin {
            machine,
            version_arn,
            alias_arn,
        } = origin;
        if mode == Mode::Sync && machine.kind == MachineType::Standard {
            return Err(StartError::StateMachineTypeNotSupported);
        }
        let name = match req.name {
            Some(n) => {
                names::check(n)?;
                n.to_owned()
            }
            None => {
                let mut id = [0u8; uuid::fmt::Hyphenated::LENGTH];
                (*arn::random_uuid().hyphenated().encode_lower(&mut id)).to_owned()
            }
        };
        let input = match req.input {
            StartInput::Text(text) => crate::json::parse(text)
                .map_err(|e| StartError::InvalidExecutionInput(e.to_string()))?,
            StartInput::Value(v) => v,
        };
        let execution_arn = match machine.kind {
            MachineType::Express => arn::express_execution(&machine.arn, &name),
            MachineType::Standard => arn::standard_execution(&machine.arn, &name),
        };
        let options = ExecutionOptions {
            execution_arn,
            name,
            state_machine_arn: version_arn.clone().unwrap_or_else(|| machine.arn.clone()),
            state_machine_name: machine.name.as_str().into(),
            role_arn: machine.role_arn.clone(),
            start_time: SystemTime::now(),
            test_case: test_case.map(str::to_owned),
            // AWS shows `RedriveCount: 0` for StartExecution, none for
            // StartSyncExecution.
            redrive_count: (mode == Mode::Async).then_some(0),
        };
        Ok(Prepared {
            machine,
            input,
            options,
            version_arn,
            alias_arn,
        })
    }

    /// Waits for admission of `prepared` (at most its machine's
    /// `max_wait_ms`).
    ///
    /// # Errors
    /// [`StartError::Throttled`] (counted in `expressway_executions_throttled_total`).
    pub async fn admit(&self, prepared: &Prepared) -> Result<Permit, StartError> {
        let name = &prepared.options.state_machine_name;
        match self.inner.admission.admit(name).await {
            Ok(permit) => Ok(permit),
            Err(_) => {
                crate::metrics::executions(name).throttled();
                Err(StartError::Throttled)
            }
        }
    }

    /// Runs an admitted start to its end, counted in the
    /// `expressway_executions_*` metrics; a panic inside the execution is
    /// its FAILED outcome (`States.Runtime`), never the caller's. The start
    /// time is the instant of admission when the start waited for it.
    pub async fn run(&self, prepared: Prepared, permit: Permit) -> Completed {
        let Prepared {
            machine,
            input,
            mut options,
            ..
        } = prepared;
        if !permit.waited().is_zero() {
            options.start_time = SystemTime::now();
        }
        let metrics = crate::metrics::executions(&options.state_machine_name);
        metrics.started();
        let began = Instant::now();
        let outcome = self
            .execute(&machine, input, options.clone(), StopHandle::new())
            .await;
        record_end(&metrics, outcome.status, began.elapsed());
        Completed { options, outcome }
    }

    /// A synchronous start: prepared, admitted and run to its end.
    ///
    /// # Errors
    /// What [`Starter::prepare`] and [`Starter::admit`] answer.
    pub async fn start_sync(&self, req: StartRequest<'_>) -> Result<Completed, StartError> {
        let prepared = self.prepare_loaded(req, Mode::Sync).await?;
        let permit = self.admit(&prepared).await?;
        Ok(self.run(prepared, permit).await)
    }

    /// An asynchronous start (StartExecution): takes a place in admission
    /// control (refused at once when the buffer is full or the wait too
    /// long), records the execution, runs it on a tokio task once admitted
    /// and answers at once: an accepted start is never dropped, a panicking
    /// one is recorded FAILED (`States.Runtime`). A STANDARD start repeating
    /// a running execution's name and input answers that execution.
    ///
    /// # Errors
    /// What [`Starter::prepare`] answers; `ExecutionAlreadyExists` for
    /// other reuse of a STANDARD execution's name; `Throttled`;
    /// `ServiceUnavailable` when the store cannot record the start.
    pub async fn start(&self, req: StartRequest<'_>) -> Result<Started, StartError> {
        let input_text = match &req.input {
            StartInput::Text(t) => (*t).to_owned(),
            StartInput::Value(v) => crate::json::to_string(v),
        };
        let prepared = self.prepare_loaded(req, Mode::Async).await?;
        let store = Arc::clone(&self.inner.store);
        if prepared.machine.kind == MachineType::Standard {
            let execution_arn = &prepared.options.execution_arn;
            if let Some(existing) = store.fetch_execution(execution_arn).await {
                return match existing.progress {
                    Progress::Running if existing.input == input_text => Ok(Started {
                        execution_arn: existing.arn,
                        start_time: existing.start,
                        name: existing.name,
                        state_machine_arn: existing.state_machine_arn,
                        done: None,
                        store,
                    }),
                    _ => Err(StartError::ExecutionAlreadyExists(existing.arn)),
                };
            }
        }
        let name = &prepared.options.state_machine_name;
        let metrics = crate::metrics::executions(name);
        let Ok(ticket) = self.inner.admission.reserve_shared(name).await else {
            metrics.throttled();
            return Err(StartError::Throttled);
        };
        // From the durable record on, the start must not depend on the
        // caller: a client that disconnects drops this future, and a start
        // recorded (in Redis) but never spawned would be lost. Recording
        // and spawning run on their own task, which nothing cancels.
        let starter = self.clone();
        let accepting = tokio::spawn(async move {
            starter
                .accept(prepared, input_text, ticket, metrics, store)
                .await
        });
        match accepting.await {
            Ok(answer) => answer,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }

    /// Records the admitted start `prepared` in `store` and spawns its run
    /// once `ticket` admits it: the second half of [`Starter::start`].
    ///
    /// # Errors
    /// `ServiceUnavailable` when the store cannot record the start.
    async fn accept(
        &self,
        prepared: Prepared,
        input_text: String,
        ticket: crate::admission::Ticket,
        metrics: Arc<crate::metrics::ExecutionMetrics>,
        store: Arc<dyn StartStore>,
    ) -> Result<Started, StartError> {
        let execution_arn = prepared.options.execution_arn.clone();
        let start_time = prepared.options.start_time;
        let (abort, abort_registration) = futures::future::AbortHandle::new_pair();
        let stop = StopHandle::new();
        // Recorded (durably, for a cluster store) before the answer; a
        // store that cannot record it refuses the start.
        store
            .accept_execution(
                ExecutionRecord {
                    arn: execution_arn.clone(),
                    state_machine_arn: prepared.machine.arn.clone(),
                    name: prepared.options.name.clone(),
                    input: input_text,
                    start: start_time,
                    progress: Progress::Running,
                    abort: Some(Abort {
                        stop: stop.clone(),
                        task: abort,
                    }),
                    origin: Some(Arc::new(Origin {
                        machine: Arc::clone(&prepared.machine),
                        version_arn: prepared.version_arn.clone(),
                        alias_arn: prepared.alias_arn.clone(),
                    })),
                },
                prepared.machine.machine.timeout,
            )
            .await?;
        let (tx, rx) = oneshot::channel();
        let name = prepared.options.name.clone();
        let state_machine_arn = prepared.machine.arn.clone();
        let starter = self.clone();
        let arn = execution_arn.clone();
        let run = async move {
            ticket.wait().await;
            metrics.started();
            let began = Instant::now();
            let Prepared {
                machine,
                input,
                options,
                ..
            } = prepared;
            let outcome = starter.execute(&machine, input, options, stop).await;
            let status = outcome.status;
            let waited = (!tx.is_closed()).then(|| outcome.clone());
            if starter.inner.store.finish(&arn, outcome) {
                record_end(&metrics, status, began.elapsed());
            }
            if let Some(outcome) = waited {
                let _ = tx.send(outcome);
            }
        };
        // StopExecution sets the stop flag (a busy evaluation fails within
        // 1,024 steps) and aborts the task at its next await (a Wait, a Task's I/O).
        tokio::spawn(futures::future::Abortable::new(run, abort_registration));
        Ok(Started {
            execution_arn,
            start_time,
            name,
            state_machine_arn,
            done: Some(rx),
            store,
        })
    }

    /// Stops a retained asynchronous execution (StopExecution): a running
    /// one is aborted and recorded ABORTED with `error` and `cause`; an
    /// ended one keeps its outcome. Answers the stop time.
    ///
    /// # Errors
    /// `InvalidArn`; `ExecutionDoesNotExist` when it is not retained.
    pub async fn stop(
        &self,
        execution_arn: &str,
        error: Option<&str>,
        cause: Option<&str>,
    ) -> Result<SystemTime, StartError> {
        arn::parse_execution(execution_arn)?;
        let stop_time = SystemTime::now();
        let stopped = self
            .inner
            .store
            .stop(
                execution_arn,
                error.map(str::to_owned),
                cause.map(str::to_owned),
                stop_time,
            )
            .await
            .ok_or_else(|| StartError::ExecutionDoesNotExist(execution_arn.to_owned()))?;
        if let Stopped::Aborted(started) = stopped {
            let machine = arn::execution_machine_name(execution_arn).unwrap_or_default();
            let elapsed = stop_time.duration_since(started).unwrap_or_default();
            crate::metrics::executions(machine).aborted(elapsed);
        }
        Ok(stop_time)
    }

    /// The record of a retained asynchronous execution (DescribeExecution).
    ///
    /// # Errors
    /// `InvalidArn`; `ExecutionDoesNotExist` when it is not retained.
    pub async fn describe(&self, execution_arn: &str) -> Result<ExecutionRecord, StartError> {
        arn::parse_execution(execution_arn)?;
        self.inner
            .store
            .fetch_execution(execution_arn)
            .await
            .ok_or_else(|| StartError::ExecutionDoesNotExist(execution_arn.to_owned()))
    }

    /// The retained executions of a STANDARD machine, newest first
    /// (ListExecutions).
    ///
    /// # Errors
    /// `InvalidArn`; `StateMachineDoesNotExist`;
    /// `StateMachineTypeNotSupported` for an EXPRESS machine, as on AWS.
    pub async fn list(&self, state_machine_arn: &str) -> Result<Vec<ExecutionRecord>, StartError> {
        arn::parse_state_machine(state_machine_arn, false)?;
        let machine =
            self.inner.store.machine(state_machine_arn).ok_or_else(|| {
                StartError::StateMachineDoesNotExist(state_machine_arn.to_owned())
            })?;
        if machine.kind == MachineType::Express {
            return Err(StartError::StateMachineTypeNotSupported);
        }
        Ok(self.inner.store.executions_of(state_machine_arn).await)
    }

    /// Runs one execution on the engine behind the panic net.
    async fn execute(
        &self,
        machine: &StateMachine,
        input: Value,
        options: ExecutionOptions,
        stop: StopHandle,
    ) -> ExecutionOutcome {
        let arn = options.execution_arn.clone();
        let run =
            self.inner
                .engine
                .execute_stoppable(Arc::clone(&machine.machine), input, options, stop);
        match AssertUnwindSafe(run).catch_unwind().await {
            Ok(outcome) => outcome,
            Err(_) => panicked(&arn),
        }
    }
}

/// The outcome recorded for an execution whose task panicked.
pub(crate) fn panicked(arn: &str) -> ExecutionOutcome {
    tracing::error!(execution_arn = arn, "execution panicked");
    ExecutionOutcome {
        status: ExecutionStatus::Failed,
        output: None,
        error: Some(error_names::RUNTIME.to_owned()),
        cause: Some("Internal error: the execution stopped unexpectedly".to_owned()),
        stop_time: SystemTime::now(),
    }
}

/// Counts an execution that ended with `status` after `elapsed` in its
/// state machine's execution metrics.
fn record_end(
    metrics: &crate::metrics::ExecutionMetrics,
    status: ExecutionStatus,
    elapsed: Duration,
) {
    match status {
        ExecutionStatus::Succeeded => metrics.succeeded(elapsed),
        ExecutionStatus::Failed => metrics.failed(elapsed),
        ExecutionStatus::TimedOut => metrics.timed_out(elapsed),
        ExecutionStatus::Aborted => metrics.aborted(elapsed),
    }
}
