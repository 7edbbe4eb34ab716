//! Overload, correctness only (no timing asserts): the served payment example
//! with an admission rate of 50/s (burst 10, 200 ms buffer wait) driven at
//! 10× that rate for 2 s, with StartSyncExecution and with StartExecution.
//! Every answer is either an execution or `ThrottlingException` (HTTP 400,
//! `com.amazon.coral.availability#ThrottlingException`, `Rate exceeded`); the
//! `/metrics` counters agree with what the client saw; every accepted
//! StartExecution runs to its end (none lost). `loadtest/overload.sh` is the
//! 60-second measured version.

use std::sync::Arc;
use std::time::{Duration, Instant};

use expressway::admission::Limits;
use expressway::api::{router, Config, MachineType, Service};
use expressway::engine::Engine;
use expressway::tasks::Tasks;
use serde_json::{json, Value as Json};

const RATE: f64 = 50.0;
const OVERLOAD: f64 = 10.0;
const SECONDS: f64 = 2.0;

struct Server {
    url: String,
    client: reqwest::Client,
}

impl Server {
    async fn start(machines: &[&str]) -> (Server, Vec<String>) {
        let mut tasks = Tasks::default();
        expressway::cli::example::register(&mut tasks);
        let mut config = Config::default();
        config.admission.default = Limits {
            rate: RATE,
            burst: 10,
            max_wait_ms: 200,
            max_queue: 10_000,
        };
        let service = Service::new(Engine::new(tasks), config);
        let definition = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/payment/payment.asl.json"
        ))
        .unwrap();
        let arns = machines
            .iter()
            .map(|m| {
                service
                    .create_state_machine(m, &definition, MachineType::Express)
                    .unwrap()
            })
            .collect();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router(service)).await });
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(1024)
            .build()
            .unwrap();
        (Server { url, client }, arns)
    }

    async fn call(&self, op: &str, body: Json) -> (u16, Json) {
        let r = self
            .client
            .post(&self.url)
            .header("x-amz-target", format!("AWSStepFunctions.{op}"))
            .header("content-type", "application/x-amz-json-1.0")
            .body(body.to_string())
            .send()
            .await
            .expect("the server answers");
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Json::Null))
    }

    /// The sum of every series of `metric` for the state machine `machine`.
    async fn metric(&self, metric: &str, machine: &str) -> u64 {
        let text = self
            .client
            .get(format!("{}metrics", self.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let label = format!("state_machine=\"{machine}\"");
        text.lines()
            .filter(|l| l.starts_with(metric) && l[metric.len()..].starts_with('{'))
            .filter(|l| l.contains(&label))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum::<f64>() as u64
    }

    /// Open loop: request `i` is sent at `i / rate`, whatever came back.
    async fn drive(self: &Arc<Self>, op: &'static str, arn: &str) -> Vec<(u16, Json)> {
        let n = (RATE * OVERLOAD * SECONDS) as u64;
        let t0 = Instant::now();
        let mut calls = Vec::new();
        for i in 0..n {
            let due = t0 + Duration::from_secs_f64(i as f64 / (RATE * OVERLOAD));
            tokio::time::sleep_until(due.into()).await;
            let (s, arn) = (Arc::clone(self), arn.to_owned());
            calls.push(tokio::spawn(async move {
                let input = json!({
                    "paymentId": format!("pay-{i}"), "amount": 250.0, "currency": "EUR",
                    "merchantId": "m-42", "card": {"last4": "4242", "brand": "visa", "threeDS": true},
                    "customer": {"id": "c", "email": "a@b.c"}
                });
                s.call(op, json!({"stateMachineArn": arn, "input": input.to_string()}))
                    .await
            }));
        }
        let mut replies = Vec::new();
        for c in calls {
            replies.push(c.await.unwrap());
        }
        replies
    }
}

fn is_throttling(status: u16, body: &Json) -> bool {
    status == 400
        && body["__type"] == "com.amazon.coral.availability#ThrottlingException"
        && body["message"] == "Rate exceeded"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_overload_answers_throttling_and_counters_add_up() {
    let (server, arns) = Server::start(&["overload_sync"]).await;
    let server = Arc::new(server);
    let replies = server.drive("StartSyncExecution", &arns[0]).await;
    let succeeded = replies
        .iter()
        .filter(|(s, b)| *s == 200 && b["status"] == "SUCCEEDED")
        .count() as u64;
    let throttled = replies.iter().filter(|(s, b)| is_throttling(*s, b)).count() as u64;
    let is_success = |s: u16, b: &Json| s == 200 && b["status"] == "SUCCEEDED";
    let others: Vec<_> = replies
        .iter()
        .filter(|(s, b)| !is_success(*s, b) && !is_throttling(*s, b))
        .collect();
    assert!(
        others.is_empty(),
        "neither an execution nor throttled: {others:?}"
    );
    assert!(throttled > 0 && succeeded > 0, "{succeeded} / {throttled}");
    let m = "overload_sync";
    assert_eq!(
        server
            .metric("expressway_executions_throttled_total", m)
            .await,
        throttled
    );
    assert_eq!(
        server
            .metric("expressway_admission_throttled_total", m)
            .await,
        throttled
    );
    assert_eq!(
        server
            .metric("expressway_admission_admitted_total", m)
            .await,
        succeeded
    );
    assert_eq!(
        server
            .metric("expressway_executions_started_total", m)
            .await,
        succeeded
    );
    assert_eq!(
        server
            .metric("expressway_executions_succeeded_total", m)
            .await,
        succeeded
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_overload_loses_no_accepted_start() {
    let (server, arns) = Server::start(&["overload_async"]).await;
    let server = Arc::new(server);
    let replies = server.drive("StartExecution", &arns[0]).await;
    let accepted: Vec<String> = replies
        .iter()
        .filter(|(s, _)| *s == 200)
        .filter_map(|(_, b)| b["executionArn"].as_str().map(str::to_owned))
        .collect();
    let throttled = replies.iter().filter(|(s, b)| is_throttling(*s, b)).count();
    assert_eq!(accepted.len() + throttled, replies.len(), "{replies:?}");
    assert!(throttled > 0 && !accepted.is_empty());
    let m = "overload_async";
    // Every accepted start ran to its end: DescribeExecution says SUCCEEDED.
    for arn in &accepted {
        let mut status = Json::Null;
        for _ in 0..500 {
            let (code, body) = server
                .call("DescribeExecution", json!({"executionArn": arn}))
                .await;
            assert_eq!(code, 200, "{body}");
            status = body["status"].clone();
            if status != "RUNNING" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(status, "SUCCEEDED", "{arn}");
    }
    let n = accepted.len() as u64;
    assert_eq!(
        server
            .metric("expressway_executions_started_total", m)
            .await,
        n
    );
    assert_eq!(
        server
            .metric("expressway_executions_succeeded_total", m)
            .await,
        n
    );
    assert_eq!(
        server
            .metric("expressway_admission_admitted_total", m)
            .await,
        n
    );
    assert_eq!(
        server
            .metric("expressway_executions_throttled_total", m)
            .await,
        throttled as u64
    );
}
