//! Admission control and metrics through the real router on 127.0.0.1:0:
//! throttled starts answer `ThrottlingException` (HTTP 400), accepted async
//! starts all run, and `GET /metrics` shows every metric the dashboard uses.

use std::time::Duration;

use serde_json::{json, Value as Json};

use expressway::admission::Limits;
use expressway::api::Config;

/// The API harness with the given admission limits, answering `(status, body)`.
struct Harness(crate::harness::Harness);

impl Harness {
    async fn start(limits: Limits) -> Self {
        let mut config = Config::default();
        config.admission.default = limits;
        Harness(crate::harness::Harness::start_with(config).await)
    }

    async fn call(&self, op: &str, body: Json) -> (u16, Json) {
        let reply = self.0.call(op, body).await;
        (reply.status, reply.body)
    }

    async fn create(&self, name: &str) -> String {
        self.0.create(name, "EXPRESS").await
    }
}

fn is_throttling(status: u16, body: &Json) -> bool {
    status == 400
        && body["__type"] == "com.amazon.coral.availability#ThrottlingException"
        && body["message"] == "Rate exceeded"
}

#[tokio::test]
async fn a_burst_of_sync_starts_past_the_limit_is_partly_throttled() {
    let h = Harness::start(Limits {
        rate: 5.0,
        burst: 3,
        max_wait_ms: 100,
        max_queue: 100,
    })
    .await;
    let arn = h.create("limited").await;
    let calls = (0..20).map(|i| {
        h.call(
            "StartSyncExecution",
            json!({"stateMachineArn": arn, "input": format!("{{\"i\":{i}}}")}),
        )
    });
    let replies = futures::future::join_all(calls).await;
    let succeeded = replies
        .iter()
        .filter(|(s, b)| *s == 200 && b["status"] == "SUCCEEDED")
        .count();
    let throttled = replies.iter().filter(|(s, b)| is_throttling(*s, b)).count();
    assert_eq!(succeeded + throttled, 20, "{replies:?}");
    // 3 at once; the next token comes after 200 ms, past the 100 ms max wait
    // (a slow machine spreading the requests lets one or two more in).
    assert!((3..=6).contains(&succeeded), "{succeeded} succeeded");
    // Another machine has its own bucket.
    let other = h.create("other").await;
    let (status, body) = h
        .call("StartSyncExecution", json!({"stateMachineArn": other}))
        .await;
    assert_eq!((status, &body["status"]), (200, &json!("SUCCEEDED")));
}

#[tokio::test]
async fn sync_starts_wait_in_the_buffer_within_the_max_wait() {
    let h = Harness::start(Limits {
        rate: 20.0,
        burst: 1,
        max_wait_ms: 1_000,
        max_queue: 100,
    })
    .await;
    let arn = h.create("buffered").await;
    let started = std::time::Instant::now();
    let calls = (0..5).map(|_| h.call("StartSyncExecution", json!({"stateMachineArn": arn})));
    let replies = futures::future::join_all(calls).await;
    for (status, body) in &replies {
        assert_eq!(*status, 200, "{body}");
    }
    // 1 at once, then one every 50 ms.
    assert!(started.elapsed() >= Duration::from_millis(200));
}

#[tokio::test]
async fn accepted_async_starts_all_run() {
    let h = Harness::start(Limits {
        rate: 50.0,
        burst: 5,
        max_wait_ms: 500,
        max_queue: 1_000,
    })
    .await;
    let arn = h.create("async").await;
    let calls = (0..60).map(|i| {
        h.call(
            "StartExecution",
            json!({"stateMachineArn": arn, "name": format!("e{i}")}),
        )
    });
    let replies = futures::future::join_all(calls).await;
    let accepted: Vec<String> = replies
        .iter()
        .filter(|(s, _)| *s == 200)
        .filter_map(|(_, b)| b["executionArn"].as_str().map(str::to_owned))
        .collect();
    let throttled = replies.iter().filter(|(s, b)| is_throttling(*s, b)).count();
    assert_eq!(accepted.len() + throttled, 60, "{replies:?}");
    // 5 at once + 500 ms of refill at 50/s = about 30 accepted (more if
    // the requests arrive spread out); the rest throttled, none lost.
    assert!((25..60).contains(&accepted.len()), "{}", accepted.len());
    for arn in &accepted {
        let mut status = Json::Null;
        for _ in 0..100 {
            let (code, body) = h
                .call("DescribeExecution", json!({"executionArn": arn}))
                .await;
            assert_eq!(code, 200, "{body}");
            status = body["status"].clone();
            if status != "RUNNING" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(status, "SUCCEEDED", "{arn}");
    }
}

#[tokio::test]
async fn metrics_show_every_dashboard_metric_after_one_execution() {
    // Per-state metrics and the execution log on, as `serve` has them.
    let telemetry = expressway::telemetry::Telemetry::new(expressway::telemetry::TelemetryConfig {
        state_metrics: true,
        log: Some(
            expressway::telemetry::LogWriter::new(Box::new(std::io::sink())).expect("writer"),
        ),
        sample: 1.0,
    });
    let engine = expressway::engine::Engine::new(expressway::tasks::Tasks::new())
        .with_observer(std::sync::Arc::new(telemetry));
    let mut config = Config::default();
    config.admission.default = expressway::admission::Limits::MACHINE_DEFAULT;
    let h = Harness(crate::harness::Harness::start_engine(engine, config).await);
    let arn = h.create("observed").await;
    let (status, _) = h
        .call("StartSyncExecution", json!({"stateMachineArn": arn}))
        .await;
    assert_eq!(status, 200);
    // A Task nothing resolves: Task and state failure series.
    let failing = r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:none","End":true}}}"#;
    let (status, created) = h
        .call(
            "CreateStateMachine",
            json!({"name": "observed-task", "definition": failing, "roleArn": crate::harness::ROLE, "type": "EXPRESS"}),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    let (status, out) = h
        .call(
            "StartSyncExecution",
            json!({"stateMachineArn": created["stateMachineArn"]}),
        )
        .await;
    assert_eq!((status, &out["status"]), (200, &json!("FAILED")), "{out}");
    let response =
        h.0.client
            .get(format!("{}metrics", h.0.url))
            .send()
            .await
            .expect("scrape");
    assert_eq!(response.status().as_u16(), 200);
    assert!(response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain")));
    let text = response.text().await.expect("text");
    let dashboard: Json =
        serde_json::from_str(include_str!("../../dashboards/expressway.json")).expect("json");
    for name in expressway::metrics::names_in_dashboard(&dashboard) {
        // Only the SQS / Kinesis consumers (`consume sqs|kinesis
        // --metrics-addr`) export these; tests/consume_sqs.rs scrapes them.
        // Likewise `serve --cluster` alone exports the cluster's;
        // tests/cluster.rs scrapes them.
        if name.starts_with("expressway_consumer_")
            || name.starts_with("expressway_kinesis_")
            || name.starts_with("expressway_sqs_")
            || name.starts_with("expressway_cluster_")
        {
            continue;
        }
        assert!(
            text.contains(&format!("\n{name}")),
            "{name} missing:\n{text}"
        );
    }
    for line in [
        "expressway_executions_started_total{state_machine=\"observed\"} 1",
        "expressway_executions_succeeded_total{state_machine=\"observed\"} 1",
        "expressway_admission_admitted_total{state_machine=\"observed\"} 1",
        "expressway_execution_time_milliseconds_count{state_machine=\"observed\"} 1",
        "expressway_admission_queue_depth{scope=\"machine\",state_machine=\"observed\"} 0",
        "expressway_admission_tokens{scope=\"global\"}",
        "expressway_state_entered_total{state_machine=\"observed\",state=\"P\"} 1",
        "expressway_state_duration_seconds_count{state_machine=\"observed\",state=\"P\"} 1",
        "expressway_state_failed_total{state_machine=\"observed-task\",state=\"T\",error=\"States.TaskFailed\"} 1",
    ] {
        assert!(text.contains(line), "{line} missing:\n{text}");
    }
    // POST /metrics is still the API.
    let response =
        h.0.client
            .post(format!("{}metrics", h.0.url))
            .header("x-amz-target", "AWSStepFunctions.ListStateMachines")
            .body("{}")
            .send()
            .await
            .expect("send");
    assert_eq!(response.status().as_u16(), 200);
}
