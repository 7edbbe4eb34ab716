//! The AWS Step Functions JSON 1.0 API over HTTP (`expressway serve`).
//!
//! Every request is `POST /` with `X-Amz-Target: AWSStepFunctions.<Op>` and a
//! JSON body (awsJson1_0; reference §1). [`router`] builds the axum router over
//! a [`Service`]: the wire mapping over the one start path,
//! [`crate::start::Starter`] (registry, records, admission, the engine).
//!
//! Operations: CreateStateMachine, DescribeStateMachine, ListStateMachines,
//! UpdateStateMachine, DeleteStateMachine, ValidateStateMachineDefinition,
//! StartSyncExecution, StartExecution, DescribeExecution and StopExecution
//! (also for Express executions: an expressway extension), ListExecutions, TagResource,
//! UntagResource, ListTagsForResource, CreateActivity, DescribeActivity,
//! ListActivities, DeleteActivity, GetActivityTask ([`activities`]),
//! TestState, the version and alias operations (PublishStateMachineVersion,
//! ListStateMachineVersions, DeleteStateMachineVersion,
//! Create/Describe/Update/List/DeleteStateMachineAlias; starts through a
//! version or alias ARN: [`crate::start::versions`]), GetExecutionHistory,
//! DescribeStateMachineForExecution and RedriveExecution (for the retained
//! executions). Activity Tasks and nested executions
//! (`states:startExecution…`, `aws-sdk:sfn:…`) are served by the service
//! itself, bound into the engine's Task resolver. Errors are [`ApiError`]s
//! (a [`crate::start::StartError`] becomes one through `From`). Every start
//! passes [`crate::admission`] first (a refusal is `ThrottlingException`), and
//! `GET /metrics` serves [`crate::metrics`] in Prometheus text format.
//!
//! JSON at this edge is parsed with serde_json; execution inputs and outputs
//! cross into the engine as [`crate::json::Value`].

pub mod activities;
pub mod auth;
pub mod conn;
pub mod error;
pub mod limits;
mod ops;
mod request_id;
mod resolver;
mod server;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::admission::{Admission, AdmissionConfig};
use crate::engine::Engine;
use crate::start::{MachineSpec, StartConfig, Starter};

pub use crate::start::{MachineType, StateMachine};
pub use error::ApiError;
pub use limits::{HttpFlags, HttpLimits, LimitsError};
pub use server::{edge, router, Edge, MAX_BODY_BYTES, METRICS_PATH};

/// Settings of a [`Service`].
#[derive(Debug, Clone)]
pub struct Config {
    /// The region in ARNs when the request's signature names none (default `us-east-1`).
    pub region: String,
    /// The account id in ARNs (default `123456789012`).
    pub account: String,
    /// How many `StartExecution` executions `DescribeExecution` can still see
    /// (default 10,000; the oldest are forgotten first).
    pub execution_retention: usize,
    /// Admission control in front of every start (defaults:
    /// [`AdmissionConfig::default`]).
    pub admission: AdmissionConfig,
    /// How long `GetActivityTask` waits for a task before answering `{}`
    /// (default 60 s, AWS's long poll).
    pub activity_poll: Duration,
    /// SigV4 verification of every API request (`--verify-sigv4`), off
    /// (`None`) by default; see [`auth`].
    pub sigv4: Option<auth::Verifier>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            region: "us-east-1".to_owned(),
            account: "123456789012".to_owned(),
            execution_retention: 10_000,
            admission: AdmissionConfig::default(),
            activity_poll: Duration::from_secs(60),
            sigv4: None,
        }
    }
}

/// The state behind the API, cheap to clone (shared).
#[derive(Clone)]
pub struct Service {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    starter: Starter,
    activities: Arc<activities::Activities>,
    console: crate::console::Console,
}

impl Service {
    /// A service running executions on `engine`, with an in-memory
    /// registry ([`Starter::new`]). Installs the Prometheus recorder
    /// ([`crate::metrics::install`]) if it is not yet installed.
    pub fn new(engine: Engine, config: Config) -> Self {
        let starter = Starter::new(
            engine,
            StartConfig {
                region: config.region.clone(),
                account: config.account.clone(),
                execution_retention: config.execution_retention,
                admission: config.admission.clone(),
            },
        );
        Self::with_starter(starter, config)
    }

    /// A service over `starter` (its region, account, retention and
    /// admission are the starter's; `config` gives the rest).
    pub fn with_starter(starter: Starter, config: Config) -> Self {
        // The console's recorder watches the retained executions (src/console).
        let (starter, console) = crate::console::Console::attach(starter);
        let service = Service {
            inner: Arc::new(Inner {
                config,
                starter,
                activities: Arc::default(),
                console,
            }),
        };
        // Activity Tasks and nested executions are served by this service.
        let resolver = resolver::ServiceResolver::new(&service);
        service
            .inner
            .starter
            .engine()
            .tasks()
            .bind_resolver(Arc::new(resolver));
        service
    }

    /// The start path every execution goes through.
    pub fn starter(&self) -> &Starter {
        &self.inner.starter
    }

    /// The activities (CreateActivity, GetActivityTask…).
    pub fn activities(&self) -> &Arc<activities::Activities> {
        &self.inner.activities
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The engine executions run on.
    pub fn engine(&self) -> &Engine {
        self.inner.starter.engine()
    }

    /// The admission control every start passes (also for consumers that
    /// start executions outside the API).
    pub fn admission(&self) -> &Admission {
        self.inner.starter.admission()
    }

    /// Creates an EXPRESS or STANDARD state machine as `CreateStateMachine`
    /// would (role `arn:aws:iam::<account>:role/expressway`, logging OFF),
    /// in the default region; answers its ARN.
    ///
    /// # Errors
    /// What `CreateStateMachine` answers: `InvalidName`,
    /// `InvalidDefinition`, `StateMachineAlreadyExists`.
    pub fn create_state_machine(
        &self,
        name: &str,
        definition: &str,
        kind: MachineType,
    ) -> Result<String, ApiError> {
        let created = self.inner.starter.create_machine(MachineSpec {
            kind,
            ..MachineSpec::express(name, definition)
        })?;
        Ok(created.machine.arn.clone())
    }

    /// The state machine with this ARN (shared, read without locks).
    pub fn state_machine(&self, arn: &str) -> Option<Arc<StateMachine>> {
        self.inner.starter.state_machine(arn)
    }

    /// How many state machines exist.
    pub fn state_machine_count(&self) -> usize {
        self.inner.starter.store().machine_count()
    }

    /// Every state machine, in no particular order (the console's list).
    pub fn state_machines(&self) -> Vec<Arc<StateMachine>> {
        self.inner.starter.store().machines()
    }

    /// A copy of the record of the execution `arn`, while it is retained
    /// for DescribeExecution.
    pub fn execution(&self, arn: &str) -> Option<crate::start::ExecutionRecord> {
        self.inner.starter.store().execution(arn)
    }

    /// Whether the execution `arn` is retained for DescribeExecution.
    pub fn has_execution(&self, arn: &str) -> bool {
        self.inner.starter.store().contains_execution(arn)
    }

    /// [`Service::execution`] without blocking the caller's thread on a
    /// remote store (a cluster's records are in Redis): for the serving
    /// paths (the console).
    pub async fn fetch_execution(&self, arn: &str) -> Option<crate::start::ExecutionRecord> {
        self.inner.starter.store().fetch_execution(arn).await
    }

    /// [`Service::has_execution`] without blocking the caller's thread on a
    /// remote store.
    pub async fn fetch_has_execution(&self, arn: &str) -> bool {
        self.inner
            .starter
            .store()
            .fetch_contains_execution(arn)
            .await
    }

    /// The web console's state (its record of retained executions).
    pub fn console(&self) -> &crate::console::Console {
        &self.inner.console
    }
}

/// Validates a definition text as ValidateStateMachineDefinition does with
/// `type: EXPRESS` (how expressway runs it) and `severity: WARNING` (every
/// diagnostic): `{"result": "OK"|"FAIL", "diagnostics": [{severity, code,
/// message, location}], "truncated": false}`.
pub fn validate_definition(definition: &str) -> serde_json::Value {
    let diags = ops::machines::diagnose(definition, MachineType::Express);
    ops::machines::validation_result(&diags, false, usize::MAX)
}

/// Epoch seconds with millisecond fraction, as the API sends timestamps.
pub(crate) fn epoch_seconds(t: SystemTime) -> f64 {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => d.as_millis() as f64 / 1000.0,
        Err(_) => 0.0,
    }
}
