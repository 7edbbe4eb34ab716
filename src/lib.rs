//! # expressway
//!
//! An in-memory runtime for AWS Step Functions **Express** workflows. It loads
//! Amazon States Language (ASL) definitions unchanged, validates them,
//! compiles them into an immutable state graph and runs executions on it,
//! behind the AWS Step Functions JSON 1.0 API (`expressway serve`) or in
//! process through this library.
//!
//! Layers, each calling only the ones below it:
//!
//! | module | role |
//! |---|---|
//! | [`api`] | AWS JSON 1.0 over HTTP (`StartSyncExecution`, `CreateStateMachine`, …), `GET /metrics` |
//! | [`sources`] | event consumers (`consume file`): bounded concurrency, contiguous checkpoint |
//! | [`admission`] | token buckets + bounded FIFO buffer in front of every start |
//! | [`engine`] | executions: stepping states, Retry/Catch, timers, Parallel/Map, Context Object |
//! | [`tasks`] | resolving a Task's Resource: handler registry, mock file, Lambda |
//! | [`compile`] | ASL → state graph: state indices, compiled paths, Payload Templates, Choice Rules |
//! | [`asl`] | load + validate the definition |
//! | [`json`] | values, Reference Paths / JSONPath, Intrinsic Functions, ResultPath merge |
//! | [`metrics`] | every metric name as a constant, described once; the Prometheus recorder |
//! | [`errors`] | the predefined `States.*` error names and the execution error type |
//! | [`fuzzing`] | one fuzzing harness per stage (`fuzz/`, `tests/fuzz_replay.rs`) |
//! | [`payment`] | in-process handlers of the bundled card-payment example |

pub mod admission;
pub mod api;
pub mod asl;
pub mod compile;
pub mod engine;
pub mod errors;
pub mod fuzzing;
pub mod json;
pub mod metrics;
pub mod payment;
pub mod sources;
pub mod tasks;
pub mod telemetry;
#[cfg(test)]
mod test_support;

pub use errors::ExecError;
pub use json::Value;
