//! Pipeline tests with an in-memory source and sink.

use std::collections::VecDeque;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::batch::EventSource;
use super::file::LineSource;
use super::{Pipeline, Record, Sink, Source, Unit, Work};
use crate::admission::{AdmissionConfig, Limits};
use crate::engine::{Engine, ExecutionOutcome, ExecutionStatus};
use crate::errors::ExecError;
use crate::start::{MachineSpec, StartConfig, Starter};
use crate::tasks::Tasks;

struct Memory(VecDeque<Work>);

impl Source for Memory {
    async fn next(&mut self) -> io::Result<Option<Work>> {
        Ok(self.0.pop_front())
    }
}

#[derive(Default)]
struct Log {
    finished: Vec<(u64, ExecutionStatus)>,
    checkpoints: Vec<u64>,
}

#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Log>>);

impl Sink for Shared {
    fn finished(&mut self, unit: &Unit, outcome: &ExecutionOutcome) -> io::Result<()> {
        let mut log = self.0.lock().map_err(|_| io::Error::other("poisoned"))?;
        // The checkpoint never passes a unit before it is reported.
        assert!(log.checkpoints.last().is_none_or(|&c| c < unit.first));
        log.finished.push((unit.first, outcome.status));
        Ok(())
    }

    fn checkpoint(&mut self, through: u64) -> io::Result<()> {
        let mut log = self.0.lock().map_err(|_| io::Error::other("poisoned"))?;
        let reported = log.finished.len() as u64;
        assert!(
            through <= reported,
            "checkpoint {through} past {reported} reported"
        );
        log.checkpoints.push(through);
        Ok(())
    }
}

/// Waits `$.s` seconds: later lines can finish before earlier ones.
const WAIT: &str =
    r#"{"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$.s","End":true}}}"#;

/// A pipeline running `definition` as the machine `name` on `engine`.
fn pipeline_of(
    engine: Engine,
    name: &str,
    definition: &str,
    concurrency: usize,
    admission: AdmissionConfig,
) -> Pipeline {
    let starter = Starter::new(
        engine,
        StartConfig {
            admission,
            ..StartConfig::default()
        },
    );
    let created = starter
        .create_machine(MachineSpec::express(name, definition))
        .expect("definition");
    Pipeline {
        starter,
        state_machine_arn: created.machine.arn.clone(),
        concurrency,
        checkpoint_every: Duration::ZERO,
    }
}

fn pipeline(concurrency: usize, admission: AdmissionConfig) -> Pipeline {
    pipeline_of(
        Engine::new(Tasks::new()),
        "wait",
        WAIT,
        concurrency,
        admission,
    )
}

fn work(id: u64, seconds: u64) -> Work {
    let body = format!("{{\"s\":{seconds}}}");
    Work {
        input: crate::json::parse(&body).map_err(|e| ExecError::new("Invalid", e.to_string())),
        unit: Unit {
            first: id,
            records: vec![Record { id, body }],
        },
    }
}

#[tokio::test(start_paused = true)]
async fn the_checkpoint_waits_for_the_slowest_earlier_unit() {
    // Line 1 waits 5 s, lines 2..=4 finish at once: the checkpoint stays at
    // 0 until line 1 ends, then jumps to 4.
    let source = [work(1, 5), work(2, 0), work(3, 0), work(4, 0)];
    let mut source = Memory(source.into());
    let sink = Shared::default();
    let settled = pipeline(4, AdmissionConfig::default())
        .run(&mut source, sink.clone(), 0, std::future::pending())
        .await;
    assert!(settled.error.is_none());
    assert_eq!(settled.through, 4);
    assert_eq!(settled.units, 4);
    let log = sink.0.lock().expect("log");
    let order: Vec<u64> = log.finished.iter().map(|(id, _)| *id).collect();
    assert_eq!(order.last(), Some(&1), "line 1 finishes last: {order:?}");
    assert_eq!(log.checkpoints, vec![4]);
}

#[tokio::test(start_paused = true)]
async fn concurrency_bounds_executions_in_flight() {
    // Eight 1-second executions two at a time take 4 s of (paused) time.
    let mut source = Memory((1..=8).map(|id| work(id, 1)).collect());
    let start = tokio::time::Instant::now();
    let settled = pipeline(2, AdmissionConfig::default())
        .run(&mut source, Shared::default(), 0, std::future::pending())
        .await;
    assert_eq!(settled.through, 8);
    let took = start.elapsed();
    assert!(
        took >= Duration::from_secs(4) && took < Duration::from_secs(5),
        "{took:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn admission_slows_reading_instead_of_dropping() {
    // 10 starts/s, burst 1, max wait 50 ms: most starts are refused at
    // first and retried; all 20 still run, over about 2 s.
    let config = AdmissionConfig {
        default: Limits {
            rate: 10.0,
            burst: 1,
            max_wait_ms: 50,
            max_queue: 100,
        },
        ..AdmissionConfig::default()
    };
    let mut source = Memory((1..=20).map(|id| work(id, 0)).collect());
    let sink = Shared::default();
    let start = tokio::time::Instant::now();
    let settled = pipeline(8, config)
        .run(&mut source, sink.clone(), 0, std::future::pending())
        .await;
    assert_eq!(settled.through, 20);
    assert!(settled.throttled > 0);
    assert!(
        start.elapsed() >= Duration::from_millis(1_800),
        "{:?}",
        start.elapsed()
    );
    let log = sink.0.lock().expect("log");
    assert_eq!(log.finished.len(), 20);
    assert!(log
        .finished
        .iter()
        .all(|(_, s)| *s == ExecutionStatus::Succeeded));
}

#[tokio::test(start_paused = true)]
async fn stop_finishes_in_flight_and_reads_no_further() {
    let mut source = Memory((1..=10).map(|id| work(id, 2)).collect());
    let sink = Shared::default();
    let stop = tokio::time::sleep(Duration::from_millis(500));
    let settled = pipeline(3, AdmissionConfig::default())
        .run(&mut source, sink.clone(), 0, stop)
        .await;
    assert!(settled.stopped);
    // Three were in flight; they finished and were checkpointed.
    assert_eq!(settled.through, 3);
    assert_eq!(sink.0.lock().expect("log").finished.len(), 3);
    assert!(source.0.len() >= 6);
}

#[tokio::test(start_paused = true)]
async fn refused_input_is_reported_failed_without_running() {
    let bad = Work {
        unit: Unit {
            first: 1,
            records: vec![Record {
                id: 1,
                body: "x".into(),
            }],
        },
        input: Err(ExecError::new("InvalidExecutionInput", "not JSON")),
    };
    let mut source = Memory([bad, work(2, 0)].into());
    let sink = Shared::default();
    let settled = pipeline(1, AdmissionConfig::default())
        .run(&mut source, sink.clone(), 0, std::future::pending())
        .await;
    assert_eq!(settled.through, 2);
    let log = sink.0.lock().expect("log");
    assert!(log.finished.contains(&(1, ExecutionStatus::Failed)));
    assert!(log.finished.contains(&(2, ExecutionStatus::Succeeded)));
}

#[tokio::test]
async fn line_source_skips_the_checkpoint_and_folds_blank_lines() {
    let text = b"{\"a\":1}\n{\"a\":2}\n\n  \n{\"a\":5}\nnope\n".as_slice();
    let source_info = EventSource {
        region: "us-east-1".into(),
        account: "1".into(),
        queue: "q".into(),
    };
    let mut source = LineSource::new(text, 1, None, source_info.clone());
    let w = source.next().await.expect("read").expect("line 2");
    assert_eq!((w.unit.first, w.unit.last()), (2, 2));
    let w = source.next().await.expect("read").expect("line 5");
    // Lines 3 and 4 are blank: settled with line 5.
    assert_eq!((w.unit.first, w.unit.last()), (3, 5));
    assert!(w.input.is_ok());
    let w = source.next().await.expect("read").expect("line 6");
    assert_eq!(
        w.input.map_err(|e| e.error),
        Err("InvalidExecutionInput".to_owned())
    );
    assert!(source.next().await.expect("read").is_none());
    assert_eq!(source.skipped(), 1);

    let mut batches = LineSource::new(text, 0, Some(2), source_info);
    let w = batches.next().await.expect("read").expect("batch 1");
    assert_eq!(
        (w.unit.first, w.unit.last(), w.unit.records.len()),
        (1, 2, 2)
    );
    let w = batches.next().await.expect("read").expect("batch 2");
    assert_eq!(
        (w.unit.first, w.unit.last(), w.unit.records.len()),
        (3, 6, 2)
    );
    // Invalid JSON is fine in a batch: the body is a string.
    assert!(w.input.is_ok());
    assert!(batches.next().await.expect("read").is_none());
}

/// Counts the executions it is asked to observe.
#[derive(Default)]
struct Counting(std::sync::atomic::AtomicUsize);

impl crate::engine::observe::Observer for Counting {
    fn execution(
        &self,
        _machine: &Arc<crate::compile::Machine>,
        _options: &crate::engine::ExecutionOptions,
    ) -> Option<Arc<dyn crate::engine::observe::ExecutionObserver>> {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        None
    }
}

#[tokio::test]
async fn a_consumer_runs_on_the_engines_shards_with_its_observer() {
    use crate::engine::shards::Shards;
    const ON_SHARD: &str = r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:where","End":true}}}"#;
    let ran_on: Arc<Mutex<Vec<Option<usize>>>> = Arc::default();
    let mut tasks = Tasks::new();
    let seen = Arc::clone(&ran_on);
    tasks.register_fn(
        "arn:aws:lambda:us-east-1:123456789012:function:where",
        move |_| {
            seen.lock().expect("lock").push(Shards::current());
            async { Ok(crate::json::Value::from(true)) }
        },
    );
    let observer = Arc::new(Counting::default());
    let engine = Engine::new(tasks)
        .with_shards(Arc::new(Shards::start(2).expect("shards")))
        .with_observer(observer.clone());
    let log = Shared::default();
    let pipeline = pipeline_of(engine, "on-shard", ON_SHARD, 4, AdmissionConfig::default());
    let mut source = Memory((1..=6).map(|id| work(id, 0)).collect());
    let settled = pipeline
        .run(&mut source, log.clone(), 0, std::future::pending::<()>())
        .await;
    assert_eq!(settled.through, 6);
    let ran_on = ran_on.lock().expect("lock");
    assert_eq!(ran_on.len(), 6);
    assert!(ran_on.iter().all(Option::is_some), "{ran_on:?}");
    assert_eq!(observer.0.load(std::sync::atomic::Ordering::Relaxed), 6);
}

/// The value of one metric line `NAME{state_machine="MACHINE"} VALUE`.
fn metric(name: &str, machine: &str) -> f64 {
    let text = crate::metrics::render();
    let prefix = format!("{name}{{state_machine=\"{machine}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn consumer_executions_reach_the_execution_metrics() {
    use crate::metrics::{EXECUTIONS_FAILED, EXECUTIONS_STARTED, EXECUTIONS_SUCCEEDED};
    const FAILS_ON_2: &str = r#"{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.s","NumericEquals":2,"Next":"F"}],"Default":"P"},"P":{"Type":"Pass","End":true},"F":{"Type":"Fail","Error":"Two"}}}"#;
    let machine = "consumer-metrics";
    let pipeline = pipeline_of(
        Engine::new(Tasks::new()),
        machine,
        FAILS_ON_2,
        2,
        AdmissionConfig::default(),
    );
    let mut source = Memory([work(1, 0), work(2, 2), work(3, 0)].into());
    let settled = pipeline
        .run(
            &mut source,
            Shared::default(),
            0,
            std::future::pending::<()>(),
        )
        .await;
    assert_eq!(settled.through, 3);
    assert_eq!(metric(EXECUTIONS_STARTED, machine), 3.0);
    assert_eq!(metric(EXECUTIONS_SUCCEEDED, machine), 2.0);
    assert_eq!(metric(EXECUTIONS_FAILED, machine), 1.0);
}
