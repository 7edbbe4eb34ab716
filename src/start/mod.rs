//! The one start path: every execution, whoever asks for it, is started
//! here.
//!
//! # Overview
//!
//! A [`Starter`] owns what a start needs, in the order a start passes it:
//!
//! 1. **identity**: the state machine registry ([`registry`], behind
//!    [`StartStore`]), its published versions and aliases ([`versions`],
//!    behind [`VersionStore`]: a version or alias ARN starts that version's
//!    snapshot, [`Starter::resolve`]), ARNs ([`arn`]) and names ([`names`]);
//!    [`Starter::prepare`] checks a [`StartRequest`] in AWS's order and names
//!    the execution;
//! 2. **admission**: [`crate::admission`]'s token buckets and FIFO buffer
//!    ([`Starter::admit`] waits, [`Starter::start`] reserves a place);
//! 3. **records**: asynchronous starts are retained for DescribeExecution,
//!    StopExecution and ListExecutions ([`records`]);
//! 4. **metrics**: `expressway_executions_{started,succeeded,failed,
//!    timed_out,aborted,throttled}_total` and the duration histogram
//!    ([`crate::metrics::executions`]), for every start;
//! 5. **the panic net**: a panic inside an execution is its FAILED outcome
//!    (`States.Runtime`), never the caller's;
//! 6. **the engine**: [`crate::engine::Engine`] runs it on a shard.
//!
//! The callers: the API's StartSyncExecution / StartExecution /
//! DescribeExecution / StopExecution / ListExecutions and the nested
//! execution integrations (`crate::api`), the consumers
//! ([`crate::sources::Pipeline`]) and `expressway run`. Errors are
//! [`StartError`]s; the API maps them to the wire with one `From`.
//!
//! ```
//! use expressway::engine::Engine;
//! use expressway::start::{MachineSpec, StartConfig, StartInput, StartRequest, Starter};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let starter = Starter::new(Engine::new(Default::default()), StartConfig::default());
//! let pass = r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#;
//! let created = starter.create_machine(MachineSpec::express("hello", pass)).unwrap();
//! let done = starter
//!     .start_sync(StartRequest {
//!         input: StartInput::Text(r#"{"a":1}"#),
//!         ..StartRequest::new(&created.machine.arn)
//!     })
//!     .await
//!     .unwrap();
//! assert_eq!(done.outcome.status.as_str(), "SUCCEEDED");
//! # });
//! ```
//!
//! # Storage
//!
//! The registry and the records sit behind [`StartStore`], a small trait
//! with two implementations: [`MemoryStore`] (the default) and the
//! cluster's Redis store ([`crate::cluster::RedisStore`]: a shared registry,
//! durable asynchronous starts), passed to [`Starter::with_store`]; nothing
//! above this layer changes.

pub mod arn;
mod error;
pub mod names;
mod preload;
pub mod records;
pub mod registry;
mod starter;
mod store;
pub mod versions;

pub use error::StartError;
pub use preload::{create_from_file, machine_name, preload, PreloadError, DEFINITION_SUFFIX};
pub use records::{ExecutionRecord, Executions, Origin, Progress, Stopped};
pub use registry::{MachineType, StateMachine};
pub use starter::{
    Completed, Created, MachineSpec, Mode, Prepared, StartConfig, StartInput, StartRequest,
    Started, Starter,
};
pub use store::{MemoryStore, StartStore, StoreCall, StoreFuture};
pub use versions::{Alias, MemoryVersions, Route, Version, VersionError, VersionStore};

#[cfg(test)]
mod tests;
