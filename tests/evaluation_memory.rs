//! Issue 11, reproducer 2, memory: each growing JSONata expression of the
//! issue fails its execution with States.DataLimitExceeded under the default
//! per-evaluation cap (256 MiB), and the process's peak memory stays far
//! below what they took before (2.9 GB for `$pad('x', 1e9)`, 4.4 GB for
//! string doubling, 6.4 GB for `$append` doubling, 1.2 GB for
//! `[1..10000000] ~> $map(...)`). The only test in its binary, so the peak
//! resident size (`VmHWM`) is its own.

mod common;

use std::sync::Arc;

use expressway::engine::{Engine, ExecutionStatus};
use expressway::tasks::Tasks;

/// The process's peak resident set, in KiB (`VmHWM` in /proc/self/status).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::test]
async fn growing_expressions_stay_within_the_default_cap() {
    let engine = Engine::new(Tasks::new());
    for expr in [
        "$pad('x', 1e9)",
        "($f := function($s, $n){ $n = 0 ? $s : $f($s & $s, $n - 1) }; $length($f('x', 40)))",
        "($f := function($a, $n){ $n = 0 ? $a : $f($append($a, $a), $n - 1) }; $count($f([1], 40)))",
        "$count([1..10000000] ~> $map(function($v){ $v * 2 }))",
    ] {
        let definition = serde_json::json!({
            "QueryLanguage": "JSONata",
            "StartAt": "Eval",
            "States": {"Eval": {"Type": "Pass", "Output": format!("{{% {expr} %}}"), "End": true}}
        });
        let machine =
            Arc::new(expressway::compile::load(&definition.to_string()).expect("loads"));
        let o = engine
            .execute(
                machine,
                expressway::json::parse("{}").expect("input"),
                common::options(),
            )
            .await;
        assert_eq!(o.status, ExecutionStatus::Failed, "{expr}");
        assert_eq!(
            o.error.as_deref(),
            Some("States.DataLimitExceeded"),
            "{expr}: {:?}",
            o.cause
        );
    }
    if let Some(kib) = peak_rss_kib() {
        // 256 MiB of values plus the allocator's slack and the test binary;
        // each expression alone took 1.2 to 6.4 GB before.
        assert!(kib < 1024 * 1024, "peak RSS {kib} KiB");
        eprintln!("peak RSS {} MiB", kib / 1024);
    }
}
