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
//! | [`console`] | the web console at `/console`, `/healthz`, `/readyz` |
//! | [`sources`] | event consumers (`consume file`): bounded concurrency, contiguous checkpoint |
//! | [`start`] | the one start path: registry, ARNs, admission, execution records and metrics, panic net |
//! | [`admission`] | token buckets + bounded FIFO buffer in front of every start |
//! | [`engine`] | executions: stepping states, Retry/Catch, timers, Parallel/Map, Context Object |
//! | [`tasks`] | resolving a Task's Resource: handler registry, mock file, Lambda |
//! | [`compile`] | ASL → state graph: state indices, compiled paths, Payload Templates, Choice Rules |
//! | [`asl`] | load + validate the definition |
//! | [`json`] | values, Reference Paths / JSONPath, Intrinsic Functions, ResultPath merge |
//! | [`metrics`] | every metric name as a constant, described once; the Prometheus recorder |
//! | [`errors`] | the predefined `States.*` error names and the execution error type |
//! | [`cli`] | the `expressway` command: flags and wiring; the bundled example's handlers ([`cli::example`]) |
//! | [`fuzzing`] | one fuzzing harness per stage (`fuzz/`, `tests/fuzz_replay.rs`) |

pub mod admission;
pub mod allocator;
pub mod api;
pub mod asl;
pub mod cli;
pub mod cluster;
pub mod compile;
pub mod console;
pub mod engine;
pub mod errors;
pub mod fuzzing;
pub mod json;
pub mod metrics;
pub mod sources;
pub mod start;
pub mod tasks;
pub mod telemetry;
#[cfg(test)]
mod test_support;

// Lets code written as the example's own (`examples/payment/handlers.rs`,
// `use expressway::…`) be compiled inside this crate as [`cli::example`].
extern crate self as expressway;

pub use errors::ExecError;
pub use json::Value;

/// The README's Rust code, compiled and run by `cargo test` as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
