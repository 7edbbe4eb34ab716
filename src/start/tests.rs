//! The start path end to end: identity, admission, records, metrics and the
//! panic net.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::*;
use crate::admission::{AdmissionConfig, Limits};
use crate::engine::observe::{ExecutionObserver, Observer};
use crate::engine::{Engine, ExecutionOptions, ExecutionStatus};
use crate::tasks::Tasks;

const PASS: &str = r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#;
const WAIT: &str = r#"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":30,"End":true}}}"#;

fn starter() -> Starter {
    Starter::new(Engine::new(Tasks::new()), StartConfig::default())
}

fn machine(s: &Starter, name: &str, definition: &str, kind: MachineType) -> String {
    let spec = MachineSpec {
        kind,
        ..MachineSpec::express(name, definition)
    };
    s.create_machine(spec).expect("machine").machine.arn.clone()
}

fn text<'a>(arn: &'a str, input: &'a str) -> StartRequest<'a> {
    StartRequest {
        input: StartInput::Text(input),
        ..StartRequest::new(arn)
    }
}

#[tokio::test]
async fn a_sync_start_runs_and_names_the_execution() {
    let s = starter();
    let arn = machine(&s, "pass", PASS, MachineType::Express);
    let done = s
        .start_sync(StartRequest {
            name: Some("first"),
            ..text(&arn, r#"{"a":1}"#)
        })
        .await
        .expect("started");
    assert_eq!(done.outcome.status, ExecutionStatus::Succeeded);
    assert!(done
        .options
        .execution_arn
        .starts_with("arn:aws:states:us-east-1:123456789012:express:pass:first:"));
    assert_eq!(
        crate::json::to_string(done.outcome.output.as_ref().expect("output")),
        r#"{"a":1}"#
    );
}

#[tokio::test]
async fn refusals_come_in_aws_order() {
    let s = starter();
    let express = machine(&s, "e", PASS, MachineType::Express);
    let standard = machine(&s, "s", PASS, MachineType::Standard);
    let err = |r: Result<Completed, StartError>| r.expect_err("refused");
    assert!(matches!(
        err(s.start_sync(text("nope", "{}")).await),
        StartError::InvalidArn(_)
    ));
    let missing = express.replace(":e", ":zzz");
    assert_eq!(
        err(s.start_sync(text(&missing, "{}")).await),
        StartError::StateMachineDoesNotExist(missing.clone())
    );
    assert_eq!(
        err(s.start_sync(text(&standard, "{}")).await),
        StartError::StateMachineTypeNotSupported
    );
    // The name is checked before the input.
    let bad_name = StartRequest {
        name: Some("a b"),
        ..text(&express, "{")
    };
    assert_eq!(
        err(s.start_sync(bad_name).await),
        StartError::InvalidName("a b".into())
    );
    assert!(matches!(
        err(s.start_sync(text(&express, "{")).await),
        StartError::InvalidExecutionInput(_)
    ));
    assert_eq!(StartError::Throttled.code(), "ThrottlingException");
}

#[tokio::test]
async fn async_starts_are_recorded_stopped_and_awaited() {
    let s = starter();
    let arn = machine(&s, "w", WAIT, MachineType::Standard);
    let started = s
        .start(StartRequest {
            name: Some("one"),
            ..text(&arn, "{}")
        })
        .await
        .expect("started");
    let execution = started.execution_arn.clone();
    assert!(matches!(
        s.describe(&execution).await.expect("recorded").progress,
        Progress::Running
    ));
    // Same name and input while running: the same execution; other input: refused.
    let again = s
        .start(StartRequest {
            name: Some("one"),
            ..text(&arn, "{}")
        })
        .await
        .expect("same");
    assert_eq!(again.execution_arn, execution);
    let other = s
        .start(StartRequest {
            name: Some("one"),
            ..text(&arn, r#"{"x":1}"#)
        })
        .await;
    assert_eq!(
        other.expect_err("refused"),
        StartError::ExecutionAlreadyExists(execution.clone())
    );
    s.stop(&execution, Some("E"), Some("C"))
        .await
        .expect("stopped");
    let outcome = tokio::time::timeout(Duration::from_secs(5), started.outcome())
        .await
        .expect("the waiter learns of the stop");
    assert_eq!(outcome.status, ExecutionStatus::Aborted);
    assert_eq!(outcome.error.as_deref(), Some("E"));
    assert_eq!(s.list(&arn).await.expect("standard").len(), 1);
    assert_eq!(
        s.stop(&execution.replace("one", "two"), None, None).await,
        Err(StartError::ExecutionDoesNotExist(
            execution.replace("one", "two")
        ))
    );
}

#[tokio::test]
async fn admission_refuses_with_throttled_and_counts_it() {
    let config = StartConfig {
        admission: AdmissionConfig {
            default: Limits {
                rate: 0.001,
                burst: 1,
                max_wait_ms: 0,
                max_queue: 1,
            },
            ..AdmissionConfig::default()
        },
        ..StartConfig::default()
    };
    let s = Starter::new(Engine::new(Tasks::new()), config);
    let arn = machine(&s, "throttled-start", PASS, MachineType::Express);
    s.start_sync(text(&arn, "{}")).await.expect("the burst");
    assert_eq!(
        s.start_sync(text(&arn, "{}")).await.expect_err("refused"),
        StartError::Throttled
    );
    assert_eq!(
        s.start(text(&arn, "{}")).await.expect_err("refused"),
        StartError::Throttled
    );
    let metrics = crate::metrics::render();
    assert!(
        metrics
            .contains("expressway_executions_throttled_total{state_machine=\"throttled-start\"} 2"),
        "{metrics}"
    );
}

/// An observer whose first look at an execution panics: a bug inside the
/// engine's run.
struct Panics;

impl Observer for Panics {
    fn execution(
        &self,
        _machine: &Arc<crate::compile::Machine>,
        _options: &ExecutionOptions,
    ) -> Option<Arc<dyn ExecutionObserver>> {
        panic!("an observer bug")
    }
}

#[tokio::test]
async fn a_panic_inside_an_execution_is_its_failure_not_the_callers() {
    let engine = Engine::new(Tasks::new()).with_observer(Arc::new(Panics));
    let s = Starter::new(engine, StartConfig::default());
    let arn = machine(&s, "panics", PASS, MachineType::Express);
    let done = s.start_sync(text(&arn, "{}")).await.expect("answered");
    assert_eq!(done.outcome.status, ExecutionStatus::Failed);
    assert_eq!(done.outcome.error.as_deref(), Some("States.Runtime"));
    let standard = machine(&s, "panics-async", PASS, MachineType::Standard);
    let started = s.start(text(&standard, "{}")).await.expect("started");
    let execution = started.execution_arn.clone();
    assert_eq!(started.outcome().await.status, ExecutionStatus::Failed);
    let Progress::Done(recorded) = s.describe(&execution).await.expect("kept").progress else {
        panic!("not recorded")
    };
    assert_eq!(recorded.error.as_deref(), Some("States.Runtime"));
}

/// A store wrapping the in-memory one: counts registry reads and makes
/// the durable record of an asynchronous start take `accept_delay` (as a
/// remote store's write does).
struct Wrapped {
    inner: MemoryStore,
    reads: std::sync::atomic::AtomicUsize,
    accept_delay: Duration,
}

impl Wrapped {
    fn new(accept_delay: Duration) -> Arc<Self> {
        Arc::new(Wrapped {
            inner: MemoryStore::new(10),
            reads: Default::default(),
            accept_delay,
        })
    }
}

impl StartStore for Wrapped {
    fn machine(&self, arn: &str) -> Option<Arc<StateMachine>> {
        self.reads
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.inner.machine(arn)
    }
    fn machines(&self) -> Vec<Arc<StateMachine>> {
        self.inner.machines()
    }
    fn machine_count(&self) -> usize {
        self.inner.machine_count()
    }
    fn insert_machine(
        &self,
        m: StateMachine,
    ) -> StoreCall<'_, Result<Arc<StateMachine>, Arc<StateMachine>>> {
        self.inner.insert_machine(m)
    }
    fn update_machine<'a>(
        &'a self,
        arn: &'a str,
        change: &'a mut (dyn FnMut(&mut StateMachine) -> bool + Send),
    ) -> StoreCall<'a, Option<Option<Arc<StateMachine>>>> {
        self.inner.update_machine(arn, change)
    }
    fn remove_machine<'a>(&'a self, arn: &'a str) -> StoreCall<'a, Option<Arc<StateMachine>>> {
        self.inner.remove_machine(arn)
    }
    fn insert_execution(&self, r: ExecutionRecord) {
        self.inner.insert_execution(r);
    }
    fn accept_execution(
        &self,
        record: ExecutionRecord,
        _deadline: Duration,
    ) -> super::store::StoreFuture<Result<(), StartError>> {
        // Written first, acknowledged later: the window in which a caller
        // may give up.
        self.inner.insert_execution(record);
        let delay = self.accept_delay;
        Box::pin(async move {
            tokio::time::sleep(delay).await;
            Ok(())
        })
    }
    fn finish(&self, arn: &str, o: crate::engine::ExecutionOutcome) -> bool {
        self.inner.finish(arn, o)
    }
    fn stop<'a>(
        &'a self,
        arn: &'a str,
        e: Option<String>,
        c: Option<String>,
        t: std::time::SystemTime,
    ) -> StoreCall<'a, Option<Stopped>> {
        self.inner.stop(arn, e, c, t)
    }
    fn execution(&self, arn: &str) -> Option<ExecutionRecord> {
        self.inner.execution(arn)
    }
    fn executions_of<'a>(&'a self, arn: &'a str) -> StoreCall<'a, Vec<ExecutionRecord>> {
        self.inner.executions_of(arn)
    }
}

#[tokio::test]
async fn a_custom_store_serves_the_starter() {
    // The trait is the seam: a store wrapping the in-memory one sees every
    // registry read of a start.
    let store = Wrapped::new(Duration::ZERO);
    let s = Starter::with_store(
        Engine::new(Tasks::new()),
        StartConfig::default(),
        store.clone(),
    );
    let arn = machine(&s, "custom", PASS, MachineType::Express);
    let before = store.reads.load(std::sync::atomic::Ordering::Relaxed);
    s.start_sync(text(&arn, "{}")).await.expect("ran");
    assert_eq!(
        store.reads.load(std::sync::atomic::Ordering::Relaxed),
        before + 1
    );
}

#[tokio::test]
async fn a_recorded_start_runs_even_when_its_caller_gives_up() {
    // A client that disconnects while the store records its start drops
    // the start's future; the recorded execution must still run (else a
    // cluster would hold a start in Redis that nobody runs).
    let store = Wrapped::new(Duration::from_millis(100));
    let s = Starter::with_store(
        Engine::new(Tasks::new()),
        StartConfig::default(),
        store.clone(),
    );
    let arn = machine(&s, "given-up", PASS, MachineType::Standard);
    let mut req = text(&arn, "{\"a\":1}");
    req.name = Some("dropped");
    let gave_up = tokio::time::timeout(Duration::from_millis(10), s.start(req)).await;
    assert!(gave_up.is_err(), "the caller gave up before the answer");
    let execution = format!("{}:dropped", arn.replace(":stateMachine:", ":execution:"));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let record = s.describe(&execution).await.expect("recorded");
        if let Progress::Done(outcome) = record.progress {
            assert_eq!(outcome.status, ExecutionStatus::Succeeded);
            break;
        }
        assert!(Instant::now() < deadline, "the recorded start never ran");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn versions_live_in_the_store_the_starter_is_given() {
    let shared: Arc<dyn VersionStore> = Arc::new(MemoryVersions::default());
    let a = starter().with_versions(Arc::clone(&shared));
    let arn = machine(&a, "shared", PASS, MachineType::Express);
    let (version, new) = a
        .publish_version(&arn, None, Some("d"))
        .await
        .expect("published");
    assert!(new && version.arn == format!("{arn}:1"));
    assert_eq!(shared.versions_of(&arn).len(), 1);
    // A start through the version: the execution is the machine's, its
    // Context Object's StateMachine.Id the version's.
    let prepared = a
        .prepare(StartRequest::new(&version.arn), Mode::Sync)
        .expect("prepared");
    assert_eq!(prepared.options.state_machine_arn, version.arn);
    assert_eq!(prepared.version_arn.as_deref(), Some(version.arn.as_str()));
    assert!(prepared.options.execution_arn.contains(":express:shared:"));
    // Another starter over the same store sees the version, but not a
    // machine it does not have.
    let b = starter().with_versions(shared);
    assert!(b.resolve(&version.arn).is_ok());
    assert_eq!(
        b.publish_version(&arn, None, None).await.err(),
        Some(VersionError::StateMachineDoesNotExist(arn.clone()))
    );
    assert_eq!(
        a.publish_version(&arn, Some("stale"), None)
            .await
            .err()
            .map(|e| matches!(e, VersionError::Conflict(_))),
        Some(true)
    );
    a.delete_machine(&arn).await;
    assert!(a.resolve(&version.arn).is_err());
}
