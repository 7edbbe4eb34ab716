//! Issue 11, reproducer 2: JSONata and Intrinsic Function evaluations obey
//! the execution's deadline, StopExecution and the per-evaluation byte cap,
//! on the real sharded engine. Timing bounds are generous (a loaded CI
//! machine); the precise figures are measured by
//! `scripts/measure_evaluation_limits.sh`.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use expressway::engine::shards::Shards;
use expressway::engine::{Engine, ExecutionStatus, StopHandle};
use expressway::tasks::Tasks;

/// A one-state JSONata machine whose Output is `expr`, with `timeout`
/// seconds.
fn machine(expr: &str, timeout: u64) -> Arc<expressway::compile::Machine> {
    let definition = serde_json::json!({
        "QueryLanguage": "JSONata",
        "TimeoutSeconds": timeout,
        "StartAt": "Eval",
        "States": {"Eval": {"Type": "Pass", "Output": format!("{{% {expr} %}}"), "End": true}}
    });
    Arc::new(expressway::compile::load(&definition.to_string()).expect("definition loads"))
}

fn one_shard_engine() -> Engine {
    Engine::new(Tasks::new()).with_shards(Arc::new(Shards::start(1).expect("shards")))
}

const FOREVER: &str = "($f := function($i){ $f($i + 1) }; $f(0))";

/// `$count($distinct([1..1000000]))` ran for more than an hour (quadratic
/// `$distinct`); now it finishes (or, on a very slow machine, fails by its
/// deadline).
#[tokio::test]
async fn distinct_of_a_million_items_finishes() {
    let engine = one_shard_engine();
    let started = Instant::now();
    let o = engine
        .execute(
            machine("$count($distinct([1..1000000]))", 60),
            expressway::json::parse("{}").expect("input"),
            common::options(),
        )
        .await;
    match o.status {
        ExecutionStatus::Succeeded => {
            assert_eq!(
                o.output.map(|v| expressway::json::to_string(&v)).as_deref(),
                Some("1000000")
            )
        }
        ExecutionStatus::TimedOut => {}
        other => panic!("{other:?} {:?} {:?}", o.error, o.cause),
    }
    assert!(
        started.elapsed() < Duration::from_secs(70),
        "{:?}",
        started.elapsed()
    );
}

/// TimeoutSeconds 1 and a JSONata loop that never ends: TIMED_OUT with
/// States.Timeout about a second later, the cause naming the state.
#[tokio::test]
async fn a_looping_expression_times_out_at_the_deadline() {
    let engine = one_shard_engine();
    let started = Instant::now();
    let o = engine
        .execute(
            machine(FOREVER, 1),
            expressway::json::parse("{}").expect("input"),
            common::options(),
        )
        .await;
    let took = started.elapsed();
    assert_eq!(o.status, ExecutionStatus::TimedOut, "{:?}", o.cause);
    assert_eq!(o.error.as_deref(), Some("States.Timeout"));
    let cause = o.cause.unwrap_or_default();
    assert!(cause.contains("'Eval'"), "{cause}");
    assert!(took >= Duration::from_millis(950), "{took:?}");
    // Precisely ~1.0 s (see the measuring script); generous here.
    assert!(took < Duration::from_secs(10), "{took:?}");
}

/// StopExecution's flag stops a CPU-bound evaluation, and the shard it
/// pinned runs the next execution.
#[tokio::test]
async fn a_stopped_evaluation_frees_its_shard() {
    let engine = one_shard_engine();
    let stop = StopHandle::new();
    let busy = {
        let (engine, stop) = (engine.clone(), stop.clone());
        tokio::spawn(async move {
            engine
                .execute_stoppable(
                    machine(FOREVER, 300),
                    expressway::json::parse("{}").expect("input"),
                    common::options(),
                    stop,
                )
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stopped_at = Instant::now();
    stop.stop();
    let o = tokio::time::timeout(Duration::from_secs(10), busy)
        .await
        .expect("the stopped execution ended")
        .expect("joined");
    assert_eq!(o.status, ExecutionStatus::Aborted);
    // The only shard is free: another execution runs on it.
    let next = tokio::time::timeout(
        Duration::from_secs(10),
        engine.execute(
            machine("1 + 1", 60),
            expressway::json::parse("{}").expect("input"),
            common::options(),
        ),
    )
    .await
    .expect("the shard is free");
    assert_eq!(next.status, ExecutionStatus::Succeeded);
    assert!(stopped_at.elapsed() < Duration::from_secs(10));
}

/// Dropping the caller's future (a StartSyncExecution caller that went
/// away) stops the evaluation on its shard too.
#[tokio::test]
async fn dropping_the_caller_stops_a_busy_evaluation() {
    let engine = one_shard_engine();
    let fut = engine.execute(
        machine(FOREVER, 300),
        expressway::json::parse("{}").expect("input"),
        common::options(),
    );
    assert!(tokio::time::timeout(Duration::from_millis(300), fut)
        .await
        .is_err());
    let next = tokio::time::timeout(
        Duration::from_secs(10),
        engine.execute(
            machine("2", 60),
            expressway::json::parse("{}").expect("input"),
            common::options(),
        ),
    )
    .await
    .expect("the shard is free");
    assert_eq!(next.status, ExecutionStatus::Succeeded);
}

/// The memory reproducers fail the execution with States.DataLimitExceeded,
/// the cause naming the state and the limit.
#[tokio::test]
async fn growing_expressions_fail_with_data_limit_exceeded() {
    let engine = Engine::new(Tasks::new()).with_max_evaluation_bytes(16 << 20);
    for expr in [
        "$pad('x', 1e9)",
        "($f := function($s, $n){ $n = 0 ? $s : $f($s & $s, $n - 1) }; $length($f('x', 40)))",
        "($f := function($a, $n){ $n = 0 ? $a : $f($append($a, $a), $n - 1) }; $count($f([1], 40)))",
        "$count([1..10000000] ~> $map(function($v){ $v * 2 }))",
    ] {
        let started = Instant::now();
        let o = engine
            .execute(
                machine(expr, 60),
                expressway::json::parse("{}").expect("input"),
                common::options(),
            )
            .await;
        assert_eq!(o.status, ExecutionStatus::Failed, "{expr}");
        assert_eq!(o.error.as_deref(), Some("States.DataLimitExceeded"), "{expr}");
        let cause = o.cause.unwrap_or_default();
        assert!(cause.contains("'Eval'") && cause.contains("16777216 bytes"), "{cause}");
        assert!(started.elapsed() < Duration::from_secs(10), "{expr}");
    }
}
