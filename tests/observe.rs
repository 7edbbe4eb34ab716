//! The engine's observer hook and the telemetry behind it: the event
//! sequence of an execution, per-state metrics in `/metrics`, execution logs.

mod common;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use expressway::compile::Machine;
use expressway::engine::observe::{
    Event, ExecutionObserver, LogLevel, LogSettings, Observer, StateIndex,
};
use expressway::engine::{Engine, ExecutionOptions, ExecutionStatus};
use expressway::errors::ExecError;
use expressway::tasks::Tasks;
use expressway::telemetry::{LogWriter, Telemetry, TelemetryConfig};

/// Pass → Task with Retry → Choice → Parallel whose Fail is caught → Succeed.
const MACHINE: &str = r#"{"StartAt":"Prepare","States":{
  "Prepare":{"Type":"Pass","Result":{"n":1},"ResultPath":"$.p","Next":"Charge"},
  "Charge":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:flaky","ResultPath":"$.charge",
    "Retry":[{"ErrorEquals":["Flaky"],"IntervalSeconds":1,"MaxAttempts":2}],"Next":"Route"},
  "Route":{"Type":"Choice","Choices":[{"Variable":"$.p.n","NumericEquals":1,"Next":"Fan"}],"Default":"Done"},
  "Fan":{"Type":"Parallel","Branches":[{"StartAt":"Boom","States":{"Boom":{"Type":"Fail","Error":"Boom.Error","Cause":"no"}}}],
    "Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.err","Next":"Done"}],"Next":"Done"},
  "Done":{"Type":"Succeed"}}}"#;

/// The Task's resource.
const FLAKY: &str = "arn:aws:lambda:us-east-1:123456789012:function:flaky";

/// A `flaky` handler that fails every other call (the first of each pair).
fn tasks() -> Tasks {
    let calls = Arc::new(AtomicU32::new(0));
    let mut tasks = Tasks::new();
    tasks.register_fn(FLAKY, move |_input| {
        let n = calls.fetch_add(1, Ordering::SeqCst);
        async move {
            if n % 2 == 0 {
                Err(ExecError::new("Flaky", "try again"))
            } else {
                Ok(expressway::json::parse(r#"{"ok":true}"#).expect("json"))
            }
        }
    });
    tasks
}

fn machine() -> Arc<Machine> {
    Arc::new(expressway::compile::load(MACHINE).expect("loads"))
}

fn options(name: &str) -> ExecutionOptions {
    ExecutionOptions {
        state_machine_name: name.into(),
        ..common::options()
    }
}

/// Records every event as `id Kind detail`.
#[derive(Default)]
struct Recorder {
    seen: Mutex<Vec<String>>,
    index: Mutex<Option<Arc<StateIndex>>>,
}

struct RecordExecution {
    recorder: Arc<Recorder>,
    index: Arc<StateIndex>,
}

impl ExecutionObserver for RecordExecution {
    fn states(&self) -> &StateIndex {
        &self.index
    }

    fn event(&self, id: u32, event: &Event<'_>) {
        let text = match event {
            Event::ExecutionStarted { .. } => "ExecutionStarted".to_owned(),
            Event::ExecutionSucceeded { output } => {
                format!("ExecutionSucceeded {}", expressway::json::to_string(output))
            }
            Event::ExecutionFailed { error, .. } => format!("ExecutionFailed {error}"),
            Event::ExecutionTimedOut { .. } => "ExecutionTimedOut".to_owned(),
            Event::ExecutionAborted => "ExecutionAborted".to_owned(),
            Event::StateEntered { state, .. } => {
                format!(
                    "{}StateEntered {} #{}",
                    state.type_name, state.name, state.index
                )
            }
            Event::StateExited { state, .. } => {
                format!("{}StateExited {}", state.type_name, state.name)
            }
            Event::StateFailed {
                state,
                error,
                caught,
                ..
            } => format!("StateFailed {} {error} caught={caught}", state.name),
            Event::TaskScheduled {
                resource,
                parameters,
                ..
            } => format!(
                "TaskScheduled {resource} {}",
                expressway::json::to_string(parameters)
            ),
            Event::TaskStarted { resource, .. } => format!("TaskStarted {resource}"),
            Event::TaskSucceeded { output, .. } => {
                format!("TaskSucceeded {}", expressway::json::to_string(output))
            }
            Event::TaskFailed { error, .. } => format!("TaskFailed {error}"),
            Event::TaskTimedOut { .. } => "TaskTimedOut".to_owned(),
            Event::ParallelStarted { state } => format!("ParallelStateStarted {}", state.name),
            Event::ParallelSucceeded { .. } => "ParallelStateSucceeded".to_owned(),
            Event::ParallelFailed { .. } => "ParallelStateFailed".to_owned(),
            Event::MapStarted { length, .. } => format!("MapStateStarted {length}"),
            Event::MapIterationStarted { index, .. } => format!("MapIterationStarted {index}"),
            Event::MapSucceeded { .. } => "MapStateSucceeded".to_owned(),
            Event::MapFailed { .. } => "MapStateFailed".to_owned(),
        };
        let mut seen = self.recorder.seen.lock().expect("lock");
        seen.push(format!("{id} {text}"));
    }
}

struct RecordingObserver(Arc<Recorder>);

impl Observer for RecordingObserver {
    fn execution(
        &self,
        machine: &Arc<Machine>,
        _options: &ExecutionOptions,
    ) -> Option<Arc<dyn ExecutionObserver>> {
        let index = Arc::new(StateIndex::new(machine));
        *self.0.index.lock().expect("lock") = Some(Arc::clone(&index));
        Some(Arc::new(RecordExecution {
            recorder: Arc::clone(&self.0),
            index,
        }))
    }
}

#[tokio::test(start_paused = true)]
async fn an_execution_emits_its_history_events_in_order() {
    let recorder = Arc::new(Recorder::default());
    let engine = Engine::new(tasks()).with_observer(Arc::new(RecordingObserver(recorder.clone())));
    let input = expressway::json::parse(r#"{"a":1}"#).expect("json");
    let out = engine.execute(machine(), input, options("seq")).await;
    assert_eq!(out.status, ExecutionStatus::Succeeded, "{out:?}");
    let seen = recorder.seen.lock().expect("lock").clone();
    let expected = [
        "1 ExecutionStarted",
        "2 PassStateEntered Prepare #0",
        "3 PassStateExited Prepare",
        "4 TaskStateEntered Charge #1",
        "5 TaskScheduled arn:aws:lambda:us-east-1:123456789012:function:flaky {\"a\":1,\"p\":{\"n\":1}}",
        "6 TaskStarted arn:aws:lambda:us-east-1:123456789012:function:flaky",
        "7 TaskFailed Flaky",
        "8 TaskScheduled arn:aws:lambda:us-east-1:123456789012:function:flaky {\"a\":1,\"p\":{\"n\":1}}",
        "9 TaskStarted arn:aws:lambda:us-east-1:123456789012:function:flaky",
        "10 TaskSucceeded {\"ok\":true}",
        "11 TaskStateExited Charge",
        "12 ChoiceStateEntered Route #2",
        "13 ChoiceStateExited Route",
        "14 ParallelStateEntered Fan #3",
        "15 ParallelStateStarted Fan",
        "16 FailStateEntered Boom #5",
        "0 StateFailed Boom Boom.Error caught=false",
        "17 ParallelStateFailed",
        "0 StateFailed Fan Boom.Error caught=true",
        "18 ParallelStateExited Fan",
        "19 SucceedStateEntered Done #4",
        "20 SucceedStateExited Done",
    ];
    assert_eq!(&seen[..expected.len()], expected, "{seen:#?}");
    assert_eq!(seen.len(), expected.len() + 1, "{seen:#?}");
    assert!(
        seen[expected.len()].starts_with("21 ExecutionSucceeded {"),
        "{seen:#?}"
    );
}

#[tokio::test]
async fn map_iterations_are_numbered_and_an_uncaught_error_fails_the_execution() {
    let recorder = Arc::new(Recorder::default());
    let engine =
        Engine::new(Tasks::new()).with_observer(Arc::new(RecordingObserver(recorder.clone())));
    let def = r#"{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":1,
        "ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"Next":"F"},
        "F":{"Type":"Fail","Error":"Bad","Cause":"c"}}}"#;
    let m = Arc::new(expressway::compile::load(def).expect("loads"));
    let input = expressway::json::parse("[1,2]").expect("json");
    let out = engine.execute(m, input, options("map")).await;
    assert_eq!(out.status, ExecutionStatus::Failed);
    let seen = recorder.seen.lock().expect("lock").clone();
    assert_eq!(
        seen,
        [
            "1 ExecutionStarted",
            "2 MapStateEntered M #0",
            "3 MapStateStarted 2",
            "4 MapIterationStarted 0",
            "5 PassStateEntered I #2",
            "6 PassStateExited I",
            "7 MapIterationStarted 1",
            "8 PassStateEntered I #2",
            "9 PassStateExited I",
            "10 MapStateSucceeded",
            "11 MapStateExited M",
            "12 FailStateEntered F #1",
            "0 StateFailed F Bad caught=false",
            "13 ExecutionFailed Bad",
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn state_metrics_count_every_state_and_task() {
    let telemetry = Arc::new(Telemetry::new(TelemetryConfig {
        state_metrics: true,
        log: None,
        sample: 1.0,
    }));
    let engine = Engine::new(tasks()).with_observer(telemetry);
    let m = machine();
    for _ in 0..3 {
        let input = expressway::json::parse("{}").expect("json");
        let out = engine
            .execute(Arc::clone(&m), input, options("obs-metrics"))
            .await;
        assert_eq!(out.status, ExecutionStatus::Succeeded);
    }
    let text = expressway::metrics::render();
    for line in [
        "expressway_state_entered_total{state_machine=\"obs-metrics\",state=\"Prepare\"} 3",
        "expressway_state_entered_total{state_machine=\"obs-metrics\",state=\"Charge\"} 3",
        "expressway_state_entered_total{state_machine=\"obs-metrics\",state=\"Boom\"} 3",
        "expressway_state_entered_total{state_machine=\"obs-metrics\",state=\"Done\"} 3",
        "expressway_state_failed_total{state_machine=\"obs-metrics\",state=\"Boom\",error=\"Boom.Error\"} 3",
        "expressway_state_failed_total{state_machine=\"obs-metrics\",state=\"Fan\",error=\"Boom.Error\"} 3",
        "expressway_task_errors_total{state_machine=\"obs-metrics\",resource=\"arn:aws:lambda:us-east-1:123456789012:function:flaky\",error=\"Flaky\"} 3",
        "expressway_state_duration_seconds_count{state_machine=\"obs-metrics\",state=\"Charge\"} 3",
        "expressway_state_duration_seconds_count{state_machine=\"obs-metrics\",state=\"Boom\"} 3",
        "expressway_task_duration_seconds_count{state_machine=\"obs-metrics\",resource=\"arn:aws:lambda:us-east-1:123456789012:function:flaky\"} 6",
        "# TYPE expressway_state_duration_seconds histogram",
    ] {
        assert!(text.contains(line), "missing {line} in\n{text}");
    }
    // The Choice never failed: no failure series for it.
    assert!(!text.contains("state_failed_total{state_machine=\"obs-metrics\",state=\"Route\""));
}

/// Runs the machine once with logging at `level`; returns the log lines.
async fn logged(level: LogLevel, include: bool, name: &str) -> Vec<serde_json::Value> {
    let path = std::env::temp_dir().join(format!(
        "expressway-observe-{}-{name}.log",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&path);
    let writer = LogWriter::open(path.to_str().expect("utf8 path")).expect("log file");
    let telemetry = Arc::new(Telemetry::new(TelemetryConfig {
        state_metrics: false,
        log: Some(writer),
        sample: 1.0,
    }));
    let engine = Engine::new(tasks()).with_observer(telemetry.clone());
    let m = machine();
    engine.register_machine(
        &m,
        name,
        &LogSettings {
            level,
            include_execution_data: include,
            log_group_arn: None,
        },
    );
    let input = expressway::json::parse(r#"{"a":1}"#).expect("json");
    let out = engine.execute(m, input, options(name)).await;
    assert_eq!(out.status, ExecutionStatus::Succeeded);
    assert!(telemetry.flush(Duration::from_secs(5)));
    let text = std::fs::read_to_string(&path).expect("log written");
    let _ = std::fs::remove_file(&path);
    text.lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn logging_all_writes_every_history_event_as_aws_does() {
    let lines = logged(LogLevel::All, true, "log-all").await;
    let types: Vec<&str> = lines
        .iter()
        .map(|l| l["type"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(
        types,
        [
            "ExecutionStarted",
            "PassStateEntered",
            "PassStateExited",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskFailed",
            "TaskScheduled",
            "TaskStarted",
            "TaskSucceeded",
            "TaskStateExited",
            "ChoiceStateEntered",
            "ChoiceStateExited",
            "ParallelStateEntered",
            "ParallelStateStarted",
            "FailStateEntered",
            "ParallelStateFailed",
            "ParallelStateExited",
            "SucceedStateEntered",
            "SucceedStateExited",
            "ExecutionSucceeded",
        ]
    );
    for (i, l) in lines.iter().enumerate() {
        assert_eq!(l["id"], (i + 1).to_string(), "{l}");
        assert_eq!(l["execution_arn"], common::options().execution_arn);
        assert_eq!(l["redrive_count"], "0");
        let ts: u64 = l["event_timestamp"]
            .as_str()
            .and_then(|t| t.parse().ok())
            .expect("ms");
        assert!(ts > 1_600_000_000_000);
    }
    // previous_event_id: 0 for the start and the first state, then the event before.
    let previous: Vec<&str> = lines
        .iter()
        .map(|l| l["previous_event_id"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(&previous[..4], ["0", "0", "2", "3"]);
    assert_eq!(lines[0]["details"]["input"], "{\"a\":1}");
    assert_eq!(lines[0]["details"]["inputDetails"]["truncated"], false);
    assert_eq!(lines[0]["details"]["roleArn"], common::options().role_arn);
    assert_eq!(
        lines[1]["details"],
        serde_json::json!({"input": "{\"a\":1}", "inputDetails": {"truncated": false}, "name": "Prepare"})
    );
    assert_eq!(
        lines[2]["details"],
        serde_json::json!({"name": "Prepare", "output": "{\"a\":1,\"p\":{\"n\":1}}", "outputDetails": {"truncated": false}})
    );
    assert_eq!(lines[4]["details"]["resource"], FLAKY);
    assert_eq!(lines[4]["details"]["resourceType"], "lambda");
    assert_eq!(lines[4]["details"]["region"], "us-east-1");
    assert_eq!(lines[6]["details"]["error"], "Flaky");
    assert_eq!(lines[6]["details"]["cause"], "try again");
    assert_eq!(lines[15]["details"]["name"], "Boom");
    assert!(lines[20]["details"]["output"]
        .as_str()
        .is_some_and(|o| o.contains("Boom.Error")));

    // Without execution data: names and errors only.
    let lines = logged(LogLevel::All, false, "log-nodata").await;
    assert_eq!(lines.len(), 21);
    assert_eq!(lines[1]["details"], serde_json::json!({"name": "Prepare"}));
    assert_eq!(lines[20]["details"], serde_json::json!({}));
    assert!(lines[4]["details"].get("parameters").is_none());
}

#[tokio::test(start_paused = true)]
async fn logging_error_and_fatal_keep_only_failures() {
    let lines = logged(LogLevel::Error, false, "log-error").await;
    let summary: Vec<(String, String, String)> = lines
        .iter()
        .map(|l| {
            (
                l["id"].as_str().unwrap_or("?").to_owned(),
                l["type"].as_str().unwrap_or("?").to_owned(),
                l["previous_event_id"].as_str().unwrap_or("?").to_owned(),
            )
        })
        .collect();
    let expected: Vec<(String, String, String)> = [
        ("7", "TaskFailed", "6"),
        ("16", "FailStateEntered", "15"),
        ("17", "ParallelStateFailed", "16"),
    ]
    .iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    .collect();
    assert_eq!(summary, expected);
    // The execution succeeded: nothing is fatal.
    assert!(logged(LogLevel::Fatal, true, "log-fatal").await.is_empty());
}
