//! Replays every committed fuzzing input on stable, as ordinary tests: each
//! file of `fuzz/corpus/<target>/` and `fuzz/regressions/<target>/` goes
//! through the harness the fuzz target calls (`expressway::fuzzing`), which
//! must return without a panic. A crash found by `cargo fuzz` and saved under
//! `fuzz/regressions/` therefore stays fixed.
//!
//! Inputs listed in `fuzz/known_open.txt` (crashes whose fix is under way
//! elsewhere) are skipped; delete a line there once its fix is merged.

use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

/// The replay runs on a thread with this stack (bytes): debug builds use
/// several times more stack per frame than the release builds `cargo fuzz`
/// runs on its 8 MiB main thread.
const STACK_BYTES: usize = 64 * 1024 * 1024;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// `<target>/<file name>` of each input in `fuzz/known_open.txt` (first
/// word of each line; `#` starts a comment).
fn known_open() -> HashSet<String> {
    let text = std::fs::read_to_string(fuzz_dir().join("known_open.txt")).unwrap_or_default();
    text.lines()
        .filter_map(|line| line.split('#').next())
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

/// Every corpus and regression file of `target`, minus the known open ones.
fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let skip = known_open();
    let mut files = Vec::new();
    for kind in ["corpus", "regressions"] {
        let Ok(dir) = std::fs::read_dir(fuzz_dir().join(kind).join(target)) else {
            continue;
        };
        for entry in dir.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || skip.contains(&format!("{target}/{name}")) {
                continue;
            }
            let data = std::fs::read(entry.path()).expect("readable fuzz input");
            files.push((format!("{kind}/{target}/{name}"), data));
        }
    }
    files.sort();
    files
}

/// Runs `harness` on every input of `target` on a big-stack thread and
/// fails naming each input that panicked.
fn replay(target: &'static str, harness: expressway::fuzzing::Harness) {
    let files = inputs(target);
    let failed = std::thread::Builder::new()
        .stack_size(STACK_BYTES)
        .spawn(move || {
            files
                .iter()
                .filter(|(_, data)| catch_unwind(AssertUnwindSafe(|| harness(data))).is_err())
                .map(|(name, _)| name.clone())
                .collect::<Vec<_>>()
        })
        .expect("replay thread")
        .join()
        .expect("replay thread ends");
    assert!(
        failed.is_empty(),
        "{target}: inputs that panic: {failed:#?}"
    );
}

fn api_request(data: &[u8]) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("a tokio runtime");
    runtime.block_on(expressway::fuzzing::api_requests(data));
}

fn harness(target: &str) -> expressway::fuzzing::Harness {
    expressway::fuzzing::SYNC_TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .map(|(_, f)| *f)
        .expect("a fuzz target of that name")
}

#[test]
fn definition() {
    replay("definition", harness("definition"));
}

#[test]
fn path() {
    replay("path", harness("path"));
}

#[test]
fn intrinsic() {
    replay("intrinsic", harness("intrinsic"));
}

#[test]
fn jsonata() {
    replay("jsonata", harness("jsonata"));
}

#[test]
fn template() {
    replay("template", harness("template"));
}

#[test]
fn api_request_decoder() {
    assert_eq!(expressway::fuzzing::API_TARGET, "api_request");
    replay("api_request", api_request);
}

/// Every fuzz target has a replay above, and every corpus folder a target.
#[test]
fn every_target_is_replayed() {
    let manifest = std::fs::read_to_string(fuzz_dir().join("Cargo.toml")).expect("fuzz manifest");
    let mut targets: Vec<&str> = manifest
        .lines()
        .filter_map(|l| l.strip_prefix("name = \""))
        .filter_map(|l| l.strip_suffix('"'))
        .filter(|n| *n != "expressway-fuzz")
        .collect();
    targets.sort_unstable();
    let mut replayed: Vec<&str> = expressway::fuzzing::SYNC_TARGETS
        .iter()
        .map(|(n, _)| *n)
        .chain([expressway::fuzzing::API_TARGET])
        .collect();
    replayed.sort_unstable();
    assert_eq!(targets, replayed);
    for dir in std::fs::read_dir(fuzz_dir().join("corpus"))
        .expect("fuzz/corpus")
        .flatten()
    {
        let name = dir.file_name().to_string_lossy().into_owned();
        assert!(
            replayed.contains(&name.as_str()),
            "corpus of unknown target {name}"
        );
    }
}
