//! Fuzzing harnesses, one per stage (STYLE.md item 12, as jaq fuzzes
//! `load_and_compile` apart from evaluation): each takes arbitrary bytes,
//! drives one stage of expressway with them and returns. A harness never
//! checks *what* a stage answers, only that it answers: a panic, a stack
//! overflow, an abort or (for [`api_requests`]) an HTTP 500 is the bug.
//!
//! The same functions run under `cargo fuzz` (the targets in `fuzz/`, on
//! nightly) and on stable in `tests/fuzz_replay.rs`, which replays every
//! committed corpus and regression file, so a fixed crash stays fixed.
//!
//! Input formats (the seeds in `fuzz/corpus/` follow them; `fuzz/seed.py`
//! writes them):
//!
//! | harness | bytes |
//! |---|---|
//! | [`definition`] | an ASL definition text |
//! | [`path`] | a path on the first line, then the JSON input document |
//! | [`intrinsic`] | an Intrinsic Function call on the first line, then the input |
//! | [`jsonata`] | a JSONata expression (without `{% %}`) on the first line, then the input |
//! | [`template`] | a Payload Template (compact JSON) on the first line, then the input |
//! | [`api_requests`] | requests separated by a line `~~~`: the `X-Amz-Target` value on the first line, the body after it |
//!
//! Input that is not UTF-8 is ignored where the stage only ever sees strings
//! (definitions and expressions arrive as JSON strings); an input document
//! that is not JSON is used as a JSON string.

mod api;
mod expressions;

pub use api::{api_requests, MAX_REQUESTS, REQUEST_REAL_TIME_MS};
pub use expressions::{
    definition, evaluate_jsonata_under_budget, intrinsic, jsonata, path, template,
    FUZZ_EVALUATION_DEADLINE_MS, FUZZ_EVALUATION_MAX_BYTES,
};

/// A harness: runs one input, panics on a bug.
pub type Harness = fn(&[u8]);

/// The harnesses by target name (`fuzz/fuzz_targets/<name>.rs`), for the
/// replay test. [`api_requests`] is async and absent here: it needs a
/// runtime with a paused clock, which the caller builds.
pub const SYNC_TARGETS: [(&str, Harness); 5] = [
    ("definition", definition),
    ("path", path),
    ("intrinsic", intrinsic),
    ("jsonata", jsonata),
    ("template", template),
];

/// The name of the API fuzz target (see [`api_requests`]).
pub const API_TARGET: &str = "api_request";
